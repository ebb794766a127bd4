"""``colossim run``: simulate one scenario and show or save the result."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from colossim.cli.options import (
    ExplainOpt,
    JsonOpt,
    NoStallGuardOpt,
    OutOpt,
    PolicyOpt,
    QuietOpt,
    ReportOpt,
    ScenarioArg,
    SeedOpt,
    SetOpt,
    TraceOpt,
    check_destinations,
    check_names,
)
from colossim.config.overrides import Override, shown_override, text_override
from colossim.config.wording import and_more

if TYPE_CHECKING:
    from colossim.config.schema import Scenario
    from colossim.metrics.explain import JobTimeline
    from colossim.metrics.result import RunResult


def run(
    scenario: ScenarioArg = None,
    set_: SetOpt = None,
    seed: SeedOpt = None,
    policy: PolicyOpt = None,
    json_: JsonOpt = False,
    out: OutOpt = None,
    quiet: QuietOpt = False,
    trace: TraceOpt = None,
    report: ReportOpt = False,
    explain: ExplainOpt = None,
    no_stall_guard: NoStallGuardOpt = False,
) -> None:
    """Run a scenario (the built-in Colossus-2 scenario when none is given)."""
    from colossim.api import load_scenario, simulate
    from colossim.cli.render import console, err_console, progress_bar, result_tables
    from colossim.cli.report import kept_warnings
    from colossim.errors import ColossimError, PolicyFailure
    from colossim.metrics.export import SCENARIO_NAME, dumps, write_run
    from colossim.testing.starvation import failing_as, guard_for, watched

    overrides = list(set_ or [])
    if seed is not None:
        overrides.append(Override(f"simulation.seed={seed}", f"--seed {seed}"))
    if policy is not None:
        overrides.append(policy_override(policy))
    load_notes: list[str] = []  # for --report, as the terminal shows them
    with kept_warnings(load_notes):
        loaded = load_scenario(scenario, overrides)
    if explain is not None:  # checked before the run, with a suggestion
        check_names("--explain", "job", [explain], [j.name for j in loaded.jobs])
    check_destinations(out, trace)  # a bad path was found only after a run of minutes (QA)
    show_progress = not (quiet or json_) and console().is_terminal
    guard = guard_for(loaded) if not no_stall_guard else None
    # a policy under development that never starts its jobs ran for minutes and hundreds of
    # MB before ending "unfinished at the horizon" (QA): the guard stops it as a failure
    with progress_bar(enabled=show_progress) as progress, failing_as(
            PolicyFailure, loaded.scheduler.policy.name, loaded,
            "run with --no-stall-guard"):
        result = simulate(loaded, progress=watched(progress, guard))
    if out is not None:
        try:
            write_run(result, out, loaded)
        except OSError as exc:  # the run itself worked: a run failure (1), not bad input
            raise ColossimError(f"cannot write results to {out}: {exc.strerror or exc}") from exc
    if json_:
        data = result.to_dict()
        if explain is not None:
            from dataclasses import asdict

            data["explain"] = asdict(_timeline(result, loaded, explain))
        typer.echo(dumps(data, indent=2))
    else:
        result_tables(result, [shown_override(text) for text in set_ or []])
        if out is not None:
            console().print(f"wrote {out}/result.json, events.jsonl, series.json and "
                            f"{SCENARIO_NAME}")
    lines = run_notes(result, loaded.simulation.horizon_s, loaded.cluster.power.facility_cap_mw,
                      loaded)
    if trace is not None or report:
        from colossim.cli.report import plain, write_extras

        for path in write_extras(result, out, trace=trace, report=report,
                                 notes=load_notes + [plain(line) for line in lines]):
            if not json_:
                console().print(f"wrote {path}")
    # with --json on stderr, beside the load warnings: stdout stays one JSON object (QA: a
    # stalled or unfinished run said nothing with --json)
    notes = console() if not json_ else err_console()
    for line in lines:
        notes.print(line)
    if explain is not None and not json_:
        from colossim.cli.render_compare import explain_timeline

        explain_timeline(_timeline(result, loaded, explain))


def _timeline(result: RunResult, scenario: Scenario, name: str) -> JobTimeline:
    """Job ``name``'s timeline, told what the result does not carry: the fewest GPUs the job
    takes, and the GPUs of the racks held back as hot spares."""
    from colossim.metrics.explain import job_timeline
    from colossim.model.cluster import build_layout, held_back

    layout = build_layout(scenario)
    rel = scenario.reliability
    spares = held_back(layout, rel.spares.racks_per_pod if rel.enabled else 0)
    min_gpus = next((job.min_gpus for job in scenario.jobs if job.name == name), None)
    return job_timeline(result, name, min_gpus, int(layout.capacity[spares].sum()))


def _stall_cause(result: RunResult, cap_mw: float | None = None,
                 scenario: Scenario | None = None) -> str:
    """Why nothing was left to happen: the facility dark for want of power, a fabric cut still
    in force that no placement of the pending jobs avoids (``scenario`` gives their sizes),
    else the policy. ``cap_mw``: the scenario's ``facility_cap_mw``, the limit to raise when it
    binds."""
    power = [e for e in result.record.events if e.kind in ("power_dark", "power_restored")]
    if power and power[-1].kind == "power_dark":
        available = (power[-1].data or {}).get("available_mw")
        shown = "" if available is None else f" ({available:.4g} MW available)"
        if scenario is not None:
            fix = scenario.cluster.power.raise_to_power(power[-1].time_s)
        else:
            capped = cap_mw is not None and available is not None and available >= cap_mw
            fix = f"raise cluster.power.{'facility_cap_mw' if capped else 'supply_mw'}"
        return ("The facility was dark: the power it may draw" + shown + " is below what it "
                f"draws idle, so nothing could run; {fix}.")
    if scenario is None:
        return _refused_cause(result) or "Did the policy leave them pending?"
    return (_cut_cause(result, scenario) or _unpowered_cause(result, scenario)
            or _refused_cause(result) or "Did the policy leave them pending?")


def _refused_cause(result: RunResult) -> str | None:
    """The pending jobs whose starts the engine refused, how often, and the first one's last
    refusal, or None: the policy did ask (QA: a policy that asked to start both jobs at every
    decision, each start refused as invalid, was asked whether it left them pending)."""
    pending = {job.name for job in result.jobs if job.state == "pending"}
    refused: dict[str, list] = {}
    for d in result.record.decisions:
        job = d.action.get("job")
        if d.verdict != "applied" and d.action.get("action") == "start" and job in pending:
            refused.setdefault(job, []).append(d)
    if not refused:
        return None
    counts = [f"{name} {len(ds):,} time{'s' * (len(ds) != 1)}" for name, ds in refused.items()]
    name, last = next(iter(refused)), next(iter(refused.values()))[-1]
    return (f"The policy asked to start them, and the engine refused: "
            f"{and_more(counts, 3)}; {name}'s last at {last.time_s:,.0f} s: {last.verdict}: "
            f"{last.reason} (--explain {name} shows each).")


def _unpowered_cause(result: RunResult, scenario: Scenario) -> str | None:
    """The pending jobs the supply can never power (``load_warnings.unpowered.never_powered``),
    named, or None if there are none."""
    from dataclasses import replace

    from colossim.load_warnings.unpowered import never_powered

    pending = {job.name for job in result.jobs if job.state == "pending"}
    found = never_powered(scenario)
    found = replace(found, jobs=[job for job in found.jobs if job[0] in pending])
    if not found.jobs:
        return None
    _, supply = found.shown()
    return (f"The supply (at most {supply}) can never power {found.listed()}: alone on the fewest "
            f"GPUs at the lowest clocks the facility would need that much; {found.fix} or "
            "lower min_gpus.")


def _cut_cause(result: RunResult, scenario: Scenario) -> str | None:
    """The cut that leaves the pending jobs nowhere to run, named, or None if none does."""
    from colossim.metrics.cuts import cuts_in_force, largest_uncut

    cuts = cuts_in_force(result.record)
    if not cuts:
        return None
    largest = largest_uncut(scenario, cuts)
    need = {j.name: j.min_gpus for j in scenario.jobs}
    pending = [j.name for j in result.jobs if j.state == "pending"]
    blocked = [name for name in pending if need.get(name, 0) > largest]
    if not blocked:
        return None
    faults = "; ".join(f"{c.fault}, {c.describe()} at zero capacity since {c.time_s:,.0f} s"
                       for c in cuts)
    wants = ", ".join(f"{name} needs at least {need[name]:,}" for name in blocked[:10])
    others = [name for name in pending if name not in blocked]
    rest = f" Did the policy leave {', '.join(others[:10])} pending?" if others else ""
    one = len(cuts) == 1
    head = "A fabric cut is" if one else f"{len(cuts)} fabric cuts are"
    fix = "the fault a duration_s to repair it" if one else "the faults a duration_s to repair them"
    return (f"{head} still in force ({faults}; never repaired): placers keep jobs that span "
            f"racks off cut tiers, and the largest set of racks that crosses no cut holds "
            f"{largest:,} GPUs ({wants}). Give {fix} (docs/fabric.md, Cuts).{rest}")


UNFINISHED_SHOWN = 10  # a trace cut at the horizon leaves thousands: the first few, named


def run_notes(result: RunResult, horizon_s: float, cap_mw: float | None = None,
              scenario: Scenario | None = None) -> list[str]:
    """What went wrong without failing the run, in words that point at the cause: actions the
    engine refused as invalid (a policy bug, silent otherwise), and why jobs did not complete:
    the run reached the horizon with work left, or it stalled before (nothing was left to
    happen: a policy that never starts a pending job), or the policy rejected them. Rich
    markup; names are escaped."""
    from rich.markup import escape

    from colossim.metrics.cuts import cut_effects
    from colossim.metrics.fabric import SLOWED_BY
    from colossim.metrics.labels import plural

    notes = []
    if result.invalid_decisions:
        count = result.invalid_decisions
        verb = "was" if count == 1 else "were"
        notes.append(f"[yellow]{plural(count, 'action')} of the policy {verb} invalid[/yellow] "
                     f"and ignored{_first_refused(result, 'invalid')}; every reason is in "
                     "events.jsonl (--out) and in --explain JOB")
    if result.infeasible_decisions:
        count = result.infeasible_decisions
        verb = "was" if count == 1 else "were"
        notes.append(f"[yellow]{plural(count, 'action')} of the policy {verb} refused as "
                     "infeasible[/yellow]: GPUs that were not free (busy, failed or spare racks, "
                     "or given twice in one decision) or power the facility did not have"
                     f"{_first_refused(result, 'infeasible')}; every reason is in events.jsonl "
                     "(--out) and in --explain JOB")
    left = [j for j in result.jobs if j.state not in ("completed", "rejected")]
    if left:
        shown = ", ".join(f"{j.name} ({j.state})" for j in left[:UNFINISHED_SHOWN])
        more = f" and {len(left) - UNFINISHED_SHOWN:,} more (result.json lists every job)" \
            if len(left) > UNFINISHED_SHOWN else ""
        names = escape(shown + more)
        when = f"{result.end_s / 86400:,.2f} days ({result.end_s:,.0f} s)"
        if result.end_s < horizon_s:
            notes.append(f"[yellow]stalled at {when}:[/yellow] nothing was left to happen and "
                         f"these jobs never finished: {names}. "
                         f"{escape(_stall_cause(result, cap_mw, scenario))}")
        else:
            notes.append(f"[yellow]unfinished at the horizon, {when}:[/yellow] {names}")
    rejected = [j.name for j in result.jobs if j.state == "rejected"]
    if rejected:
        notes.append(f"rejected by the policy: {escape(', '.join(rejected))}")
    if scenario is not None:
        notes.extend(_undersized(result, scenario))
    fabric = result.fabric
    moved, cut = cut_effects(result.record) if fabric is not None else ([], False)
    if moved:  # a cut moves jobs: "slowed no job" would read as nothing
        notes.append(f"{plural(len(moved), 'job')} moved off a fabric tier cut to zero capacity "
                     f"({escape(', '.join(moved[:10]))}{', ...' if len(moved) > 10 else ''}): "
                     "`preempt` events with reason fabric_cut (docs/fabric.md, Cuts)")
    elif fabric is not None and fabric.faults and not fabric.slowed_jobs and not cut:
        # a cut's effect is a move or a stall, said above
        from colossim.metrics.fabric import fault_windows, peak_within

        windows = fault_windows(result.record, result.end_s)
        series = result.record.series
        peaks = ", ".join(f"{tier} {peak_within(series[f'fabric.{tier}.hottest'], spans):.1%}"
                          for tier, spans in sorted(windows.items())
                          if f"fabric.{tier}.hottest" in series)
        notes.append(f"{plural(fabric.faults, 'fabric fault')} slowed no job by "
                     f"{SLOWED_BY:.1%} or more: a fault takes capacity away, and a job slows "
                     "only where a tier saturates and its communication is not hidden behind "
                     f"compute (while the faults lasted, the faulted tiers' busiest links "
                     f"peaked at: {peaks} of capacity). A fault that restarts the jobs on a rack "
                     "is a reliability `network` fault (docs/fabric.md)")
    return notes


UNDERSIZED_SHOWN = 3  # jobs named by the note, largest gap first


def _undersized(result: RunResult, scenario: Scenario) -> list[str]:
    """A note of the elastic jobs the policy left far below their max_gpus while GPUs sat
    idle (``metrics.undersized``): the table alone showed a long makespan (QA)."""
    from rich.markup import escape

    from colossim.metrics.undersized import undersized_jobs

    most = _most_held(scenario)
    found = undersized_jobs(result, most, {j.name: j.min_gpus for j in scenario.jobs})
    if not found:
        return []
    asked = {j.name: j.max_gpus for j in scenario.jobs}
    said = "; ".join(f"{escape(u.job)} on {u.mean_gpus:,.0f} GPUs on average, "
                     f"{u.mean_gpus / u.max_gpus:.0%} of "
                     + (f"its max_gpus ({u.max_gpus:,})" if u.max_gpus == asked[u.job] else
                        f"the {u.max_gpus:,} GPUs it can hold (max_gpus {asked[u.job]:,})")
                     + f", for {u.days:,.1f} days beside {u.idle_gpus:,.0f} idle GPUs on "
                     "average" for u in found[:UNDERSIZED_SHOWN]).replace(" on 1 GPUs ",
                                                                          " on 1 GPU ")
    more = f" (and {len(found) - UNDERSIZED_SHOWN:,} more)" if len(found) > UNDERSIZED_SHOWN \
        else ""
    return [f"[yellow]ran below their max_gpus beside idle GPUs[/yellow]: {said}{more}. "
            f"{escape(result.policy)} started them on the GPUs free then and never resized "
            "them (and the built-in placers keep a job on one GPU type where one holds its "
            "min_gpus, so idle GPUs of another type stay idle)"
            + ("" if any(e.kind == "resize" for e in result.record.events) else
               "; a policy that grows running jobs (elastic-goodput) uses idle GPUs of their "
               "type")
            + " (docs/policies.md#placement)"]


def _most_held(scenario: Scenario) -> dict[str, int]:
    """The most GPUs each job can hold here: up to its max_gpus, in whole allocation units of
    a type (QA: a job of up to 100 GPUs in whole 72-GPU domains holds 72, and was said to run
    below its max_gpus beside idle GPUs no policy could give it)."""
    from colossim.config.crosscheck import usable_of
    from colossim.model.speed import SpeedModel

    speed, usable = SpeedModel(scenario), usable_of(scenario)
    return {j.name: max((sum(g.values()) for g in speed.fastest_grants(j, usable)),
                        default=j.max_gpus) for j in scenario.jobs}


def _first_refused(result: RunResult, verdict: str) -> str:
    """The first refused action's reason, inline (QA: the note sent every reader to a rerun
    with --out or --explain to learn even one): ``; the first, at 0 s: start llm-70b: 216
    GPUs is outside [72, 144]``. Escaped: a policy's names are not markup."""
    from rich.markup import escape

    first = next((d for d in result.record.decisions if d.verdict == verdict), None)
    if first is None or not first.reason:
        return ""
    what = " ".join(str(first.action[k]) for k in ("action", "job") if first.action.get(k))
    what = f"{what}: " if what else ""  # an object that is no action describes as nothing
    return escape(f"; the first, at {first.time_s:,.0f} s: {what}{first.reason}")


def policy_override(policy: str) -> Override:
    """``--policy NAME`` as the override it is, which its problems name (``--policy sjff:``)."""
    return Override(text_override("scheduler.policy.name", policy), f"--policy {policy}")
