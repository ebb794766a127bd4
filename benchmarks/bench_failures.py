"""Speed of failure-heavy runs: the built-in Colossus-2 scenario with failures, repairs and
checkpoints on, run to the completion of all seven jobs.

Usage: ``python benchmarks/bench_failures.py [--repeat 5] [--only-reliability] [--set P=V]``.
Reports events, the median engine events per second over the repeats, the median wall time, and
the peak memory of each run (tracemalloc's peak of Python allocations, and the process's peak
resident set).
Each repeat runs in a fresh process, so one run's memory never hides another's. The CPU time
of each run (summary included) is reported too: on a shared machine it is the steadier figure.

``--only-reliability`` installs only the reliability subsystem (no fabric contention, no power
subsystem), to separate its cost from the other models'. ``--no-power-level`` also replaces the
facility power level the engine samples after every event by a constant: a diagnostic of what
the engine and the reliability subsystem alone cost (the power figures are then meaningless).
``--set PATH=VALUE`` (repeatable) overrides the scenario as ``colossim run --set`` does: with
``--set reliability.spares.racks_per_pod=0`` every fault sends the 10T job back through the
policy and a 3,072-rack start, the case that stresses placement and grant checks.
Nothing is asserted: speed is measured, not tested.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time, tracemalloc
only, flat, overrides = sys.argv[1] == "1", sys.argv[2] == "1", json.loads(sys.argv[3])
from colossim.engine import subsystems
if only:
    subsystems.SUBSYSTEMS[:] = ["colossim.engine.failures:install"]
if flat:
    from colossim.engine.state import RunState
    RunState.power_mw = lambda self: 0.0
from colossim.api import load_scenario, simulate
scenario = load_scenario("colossus2", overrides)
assert scenario.reliability.enabled
tracemalloc.start()
started, cpu = time.perf_counter(), time.process_time()
result = simulate(scenario)
wall, cpu = time.perf_counter() - started, time.process_time() - cpu
_, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
print(json.dumps({
    "events": result.events, "engine_s": result.wall_s, "wall_s": wall, "cpu_s": cpu,
    "events_per_s": result.events / result.wall_s, "tracemalloc_peak_mb": peak / 2**20,
    "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "makespan_days": (result.makespan_s or float("nan")) / 86400,
    "faults": result.reliability.faults, "interruptions": result.reliability.interruptions,
    "unfinished": [j.name for j in result.unfinished],
}))
"""
UNTRACED = CHILD.replace("tracemalloc.start()", "").replace(
    "_, peak = tracemalloc.get_traced_memory()", "peak = 0").replace("tracemalloc.stop()", "")


def one_run(only: bool, flat: bool, traced: bool, overrides: list[str]) -> dict:
    code = CHILD if traced else UNTRACED
    args = [sys.executable, "-c", code, "1" if only else "0", "1" if flat else "0",
            json.dumps(overrides)]
    out = subprocess.run(args, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only-reliability", action="store_true")
    parser.add_argument("--no-power-level", action="store_true")
    parser.add_argument("--set", action="append", default=[], metavar="PATH=VALUE")
    args = parser.parse_args()
    only, flat = args.only_reliability or args.no_power_level, args.no_power_level
    # speed from untraced runs (tracemalloc slows Python down); memory from one traced run
    runs = [one_run(only, flat, traced=False, overrides=args.set) for _ in range(args.repeat)]
    mem = one_run(only, flat, traced=True, overrides=args.set)
    first = runs[0]
    models = "all models" if not only else "reliability only" + (
        ", no power level" if flat else "")
    print(f"colossus2 with failures ({models})" + "".join(f" --set {o}" for o in args.set))
    print(f"  events {first['events']:,}  faults {first['faults']:,}  interruptions "
          f"{first['interruptions']:,}  makespan {first['makespan_days']:.2f} days"
          f"  unfinished {first['unfinished'] or 'none'}")
    rates = ", ".join(f"{r['events_per_s']:,.0f}" for r in runs)
    print(f"  engine events/s: median {statistics.median(r['events_per_s'] for r in runs):,.0f} "
          f"(runs: {rates})")
    print(f"  wall: median {statistics.median(r['wall_s'] for r in runs):.1f} s  (CPU: median "
          f"{statistics.median(r['cpu_s'] for r in runs):.1f} s, "
          f"{statistics.median(r['events'] / r['cpu_s'] for r in runs):,.0f} events per CPU-second;"
          f" wall exceeds CPU when other processes share the cores)")
    print(f"  peak memory: {mem['tracemalloc_peak_mb']:.0f} MB traced Python allocations, "
          f"{mem['max_rss_mb']:.0f} MB resident (whole process)")


if __name__ == "__main__":
    main()
