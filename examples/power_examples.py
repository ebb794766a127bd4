"""Run the power examples and print the tables of docs/power.md (Markdown).

Usage: ``python examples/power_examples.py`` from the repository root (a few minutes on two
cores: it runs the Colossus-2 scenario about fifteen times).
"""

from __future__ import annotations

from colossim.api import load_scenario, simulate

DAY, HOUR = 86400.0, 3600.0


def run(source: str, *overrides: str, policy: str | None = None):
    """One run, failure-free unless the overrides say otherwise (the power effect alone)."""
    if not any(o.startswith("reliability.") for o in overrides):
        overrides = ("reliability.enabled=false", *overrides)
    return simulate(load_scenario(source, list(overrides), policy=policy))


def days(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds / DAY:.2f}"


def grid_dip() -> None:
    print("\n### grid_dip.yaml: JCT (days) per job\n")
    runs = {
        "no dip": run("examples/grid_dip.yaml", "cluster.power.events=[]"),
        "dip, battery": run("examples/grid_dip.yaml"),
        "dip, no battery": run("examples/grid_dip.yaml", "cluster.power.battery=null"),
    }
    names = [j.name for j in runs["no dip"].jobs]
    print("| job | " + " | ".join(runs) + " | cost of the dip (h) |")
    print("|---" * (len(runs) + 2) + "|")
    for name in names:
        cells = [days(r.job(name).jct_s) for r in runs.values()]
        cost = (runs["dip, battery"].job(name).jct_s - runs["no dip"].job(name).jct_s) / HOUR
        print(f"| {name} | " + " | ".join(cells) + f" | {cost:+.2f} |")
    for label, r in runs.items():
        p = r.power
        print(f"\n{label}: makespan {days(r.makespan_s)} d, energy {r.cluster.energy_mwh:,.0f} MWh,"
              f" throttled {p.throttled_gpu_hours / 1e6:,.2f}M GPU-h, time at cap "
              f"{p.time_at_cap_s / HOUR:,.1f} h, battery low {p.battery_min_mwh} MWh")


def expansion() -> None:
    print("\n### expansion_1p5gw.yaml\n")
    runs = {
        "colossus2 (1 GW)": run("colossus2"),
        "+2,240 racks, 1 GW": run("examples/expansion_1p5gw.yaml", "cluster.power.events=[]"),
        "+2,240 racks, 1.5 GW from day 7": run("examples/expansion_1p5gw.yaml"),
        "+2,240 racks, 1.5 GW from day 0": run("examples/expansion_1p5gw.yaml",
                                               "cluster.power.supply_mw=1500"),
    }
    print("| run | makespan d | 10t JCT d | 6t JCT d | mean JCT d | energy MWh | peak MW |"
          " throttled M GPU-h |")
    print("|---|---|---|---|---|---|---|---|")
    for label, r in runs.items():
        mean = sum(j.jct_s for j in r.jobs) / len(r.jobs)
        print(f"| {label} | {days(r.makespan_s)} | {days(r.job('10t').jct_s)} | "
              f"{days(r.job('6t').jct_s)} | {days(mean)} | {r.cluster.energy_mwh:,.0f} | "
              f"{r.cluster.peak_power_mw:,.0f} | {r.power.throttled_gpu_hours / 1e6:,.1f} |")


# The 10T job's plan computes on 64 of each of its 3,072 racks' 72 GPUs (TP x EP = 64); the
# other GPUs stay at their idle draw (docs/power.md). GB200: 1,200 W computing, 240 W restarting
# (0.2 x TDP), 200 W idle; PUE 1.1.
PLAN_GPUS = 3072 * 64
START_MW = PLAN_GPUS * (1200 - 200) * 1.1 / 1e6  # 216.3 MW
RESTART_MW = PLAN_GPUS * (1200 - 240) * 1.1 / 1e6  # 207.6 MW


def battery() -> None:
    print("\n### battery_sizing.yaml: battery energy for the 10T job's step\n")
    print(f"| ramp MW/min | analytic MWh (start, {START_MW:.1f} MW) | simulated MWh | analytic MWh "
          f"(restart, {RESTART_MW:.1f} MW) |")
    print("|---|---|---|---|")
    for ramp in (2.7, 5, 10, 20, 60):
        r = run("examples/battery_sizing.yaml", f"cluster.power.ramp.limit_mw_per_min={ramp}")
        used = 655.2 - r.power.battery_min_mwh
        print(f"| {ramp} | {START_MW ** 2 / (2 * ramp) / 60:.1f} | {used:.1f} | "
              f"{RESTART_MW ** 2 / (2 * ramp) / 60:.1f} |")
    r = run("examples/battery_sizing.yaml", "cluster.power.ramp.cover=stagger",
            "cluster.power.battery=null")
    base = run("examples/battery_sizing.yaml")
    print(f"\nstagger, no battery: JCT {r.job('10t').jct_s - base.job('10t').jct_s:.0f} s longer,"
          f" {r.power.throttled_gpu_hours:,.0f} throttled GPU-h, holds {r.power.power_holds}")
    r = run("examples/battery_sizing.yaml", "reliability.enabled=true")
    print(f"failures and checkpoints on: {r.job('10t').interruptions} interruptions, battery low "
          f"point {r.power.battery_min_mwh:.1f} MWh ({655.2 - r.power.battery_min_mwh:.1f} used),"
          f" largest step {r.power.max_step_mw:.1f} MW")


def budget_800() -> None:
    print("\n### power-aware vs fifo (and priority) under 800 MW\n")
    print("| policy | makespan d | mean JCT d | 10t JCT d | energy MWh | throttled M GPU-h |"
          " deficits | decisions |")
    print("|---|---|---|---|---|---|---|---|")
    for policy in ("fifo", "power-aware", "priority"):
        r = run("colossus2", "cluster.power.supply_mw=800", policy=policy)
        mean = sum(j.jct_s for j in r.jobs) / len(r.jobs)
        print(f"| {policy} | {days(r.makespan_s)} | {days(mean)} | {days(r.job('10t').jct_s)} | "
              f"{r.cluster.energy_mwh:,.0f} | {r.power.throttled_gpu_hours / 1e6:,.1f} | "
              f"{r.power.deficit_events} | {r.decisions} |")
        print("|  | " + ", ".join(f"{j.name} {days(j.jct_s)}" for j in r.jobs) + " |||||||")


if __name__ == "__main__":
    grid_dip()
    expansion()
    battery()
    budget_800()
