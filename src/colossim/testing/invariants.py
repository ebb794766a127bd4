"""Whole-run invariants checked from a finished ``RunResult``: the plugin's ``assert_invariants``.

The engine's own checks (``colossim.engine.invariants``, run after every event with
``check_invariants=True``) look at live state: the ledger, failed and spare racks. These look at
what a run left behind, from two independent accountings that must agree:

- per-job results: work is never invented (0 <= done <= total) and completed jobs did all of it;
  times are ordered (submit <= start <= end) and JCT = end - submit;
- the record: events in time order, never past the end; the GPU level never above the cluster;
- GPU-hours the jobs were charged equal the integral of the cluster's GPUs-in-use level;
- replaying start/resize/preempt/complete events gives, at every instant, the GPUs-in-use level
  (skipped if the record has job events this module does not know: a newer model's);
- with ``complete=True``: every job finished or was rejected (no job starved forever);
- with ``valid_decisions=True``: the engine refused no action of the policy as invalid (an
  unknown job, one in the wrong state, a malformed grant): the engine ignores such an action and
  the run goes on, so without this check a policy bug would pass unnoticed;
- with ``feasible_decisions=True``: nor as infeasible (GPUs that were not free, or too little
  power): off by default, since a policy may try a start and be refused for power, but a
  policy that places only on the free GPUs its view shows should never meet it;
  ``feasible_decisions="gpus"`` allows the power refusals (built-in ``fifo`` meets them on a
  facility short of power) and fails only on GPUs that were not free.
"""

from __future__ import annotations

from typing import Any, Literal

from colossim.engine.power_enforce import POWER_REFUSAL
from colossim.metrics.series import integral
from colossim.policy.actions import said

REL = 1e-9  # floating-point crumbs of fluid time arithmetic
# Job event kinds whose effect on the job's GPUs is known: "set" takes ``data["gpus"]`` (a
# failure states the GPUs the job keeps), "zero" frees them all, None keeps them.
GPU_EFFECT: dict[str, str | None] = {
    "submit": None,
    "start": "set",
    "resize": "set",
    "preempt": "zero",
    "complete": "zero",
    "reject": None,
    "pause": None,
    "resume": None,
    "checkpoint": None,
    "checkpoint_saved": None,
    "restore_lost": None,  # its copy in host memory went down: it holds what it held (none
    # while pending; its grant while it restarts on other racks)
    "failure": "set",
    "swap": "set",
    "fabric": None,
    "perf": None,
    "power_cap": None,
    "power_hold": None,
    "power_limit": None,
}


def _close(a: float, b: float, rel: float = REL, abs_: float = 0.0) -> bool:
    return abs(a - b) <= max(abs_, rel * max(abs(a), abs(b)))


def _job_problems(result: Any, complete: bool) -> tuple[list[str], list[str]]:
    """Broken per-job invariants, and (with ``complete``) the jobs left unfinished."""
    out: list[str] = []
    unfinished: list[str] = []
    for job in result.jobs:
        name = f"job {job.name}"
        if not -REL * job.work_flops <= job.work_done_flops <= job.work_flops * (1 + REL):
            out.append(f"{name}: work done {job.work_done_flops:g} outside [0, {job.work_flops:g}]")
        if job.gpu_hours < 0:
            out.append(f"{name}: negative GPU-hours {job.gpu_hours:g}")
        if job.state == "completed":
            if not _close(job.work_done_flops, job.work_flops):
                out.append(f"{name}: completed with {job.work_done_flops:g} of "
                           f"{job.work_flops:g} FLOPs done")
            if job.start_s is None or job.end_s is None:
                out.append(f"{name}: completed without a start or end time")
            elif not job.submit_s <= job.start_s <= job.end_s:
                out.append(f"{name}: times out of order: submit {job.submit_s}, "
                           f"start {job.start_s}, end {job.end_s}")
            elif job.jct_s is None or not _close(job.jct_s, job.end_s - job.submit_s, abs_=1e-6):
                out.append(f"{name}: JCT {job.jct_s} is not end - submit")
        elif complete and job.state == "running":
            unfinished.append(_still_running(result, job))
        elif complete and job.state != "rejected":
            unfinished.append(f"{name} is still {job.state} at the end of the run "
                              f"(t={result.end_s:g} s): starved or never fitted")
    return out, unfinished


def _still_running(result: Any, job: Any) -> str:
    """Why a running job did not finish: mostly paused (a policy that resizes it again before
    each resize's pause ends keeps it from ever computing; QA: "starved or never fitted" was
    said of it), or too slow for the horizon."""
    end, since = result.end_s, job.start_s if job.start_s is not None else result.end_s
    spans = sorted((e.time_s, e.time_s + float((e.data or {}).get("seconds", 0.0)),
                    str((e.data or {}).get("phase", "pause")))
                   for e in result.record.events if e.kind == "pause" and e.job == job.name)
    by_phase: dict[str, float] = {}
    reach = since
    for start, stop, phase in spans:  # a pause cut short by the next one counts up to it
        start, stop = max(start, reach), min(stop, end)
        if stop > start:
            by_phase[phase] = by_phase.get(phase, 0.0) + stop - start
            reach = stop
    paused, held = sum(by_phase.values()), end - since
    done = job.work_done_flops / job.work_flops if job.work_flops else 1.0
    head = (f"job {job.name} is still running at the end of the run (t={end:g} s), "
            f"{done:.1%} of its work done")
    if held > 0 and paused >= 0.5 * held:
        phases = ", ".join(f"{phase} {s:,.0f} s" for phase, s in sorted(by_phase.items()))
        return (f"{head}; paused {paused / held:.0%} of the {held:,.0f} s since its first start "
                f"({phases}): a policy that resizes or restarts it again before its pause ends "
                "keeps it from computing")
    return f"{head}: the horizon came first (more GPUs, or a later horizon)"


def _record_problems(result: Any) -> list[str]:
    out: list[str] = []
    record, end = result.record, result.end_s
    last = 0.0
    for event in record.events:
        if event.time_s < last:
            out.append(f"event {event.kind} at t={event.time_s} is before the previous one")
        if event.time_s > end * (1 + REL) + 1e-9:
            out.append(f"event {event.kind} at t={event.time_s} is after the end {end}")
        last = max(last, event.time_s)
    busy = record.series.get("gpus_busy")
    if busy is not None and busy.values:
        if min(busy.values) < 0 or max(busy.values) > result.cluster.gpus:
            out.append(f"GPUs in use left [0, {result.cluster.gpus}]: "
                       f"{min(busy.values):g}..{max(busy.values):g}")
        charged = 3600.0 * sum(j.gpu_hours for j in result.jobs)
        level = integral(busy, 0.0, end)
        if not _close(charged, level, rel=1e-6, abs_=1e-6):
            out.append(f"jobs were charged {charged:g} GPU-s but the cluster level integrates to "
                       f"{level:g} GPU-s")
        out.extend(_replay_problems(result))
    return out


def _replay_problems(result: Any) -> list[str]:
    """Replay job events and compare GPUs held with the recorded level at each instant."""
    events = result.record.events
    if any(e.job is not None and e.kind not in GPU_EFFECT for e in events):
        return []  # a newer model's events: their effect on GPUs is not known here
    busy = result.record.series["gpus_busy"]
    held: dict[str, int] = {}
    out: list[str] = []
    i = 0
    while i < len(events):
        now = events[i].time_s
        while i < len(events) and events[i].time_s == now:
            event = events[i]
            effect = GPU_EFFECT.get(event.kind) if event.job is not None else None
            if effect == "set":
                held[event.job] = int((event.data or {}).get("gpus", held.get(event.job, 0)))
            elif effect == "zero":
                held.pop(event.job, None)
            i += 1
        level = busy.at(now, None)
        if level is not None and sum(held.values()) != level:
            out.append(f"t={now:g}: jobs hold {sum(held.values())} GPUs by the events but the "
                       f"GPUs-in-use level says {level:g}")
            break
    return out


class Folded(str):
    """A line that stands for ``count`` problems (``... and 6 more infeasible actions``)."""

    count: int

    def __new__(cls, text: str, count: int) -> Folded:
        line = super().__new__(cls, text)
        line.count = count
        return line

    def __getnewargs__(self) -> tuple[str, int]:  # copies and pickles whole (review: a
        return str(self), self.count  # deepcopy of the problems raised a TypeError)


def problem_count(problems: list[str]) -> int:
    """How many problems ``result_problems``'s lines stand for: a folded line counts the
    actions it folds (QA: "6 invariant(s) broken" headed 5 refusals and "... and 6 more")."""
    return sum(line.count if isinstance(line, Folded) else 1 for line in problems)


def _decision_problems(result: Any, verdict: str = "invalid", shown: int = 5,
                       power: bool = True) -> list[str]:
    """The actions refused with ``verdict`` (the first ``shown`` of them, and how many more);
    ``power=False`` leaves out refusals for power."""
    refused = [d for d in result.record.decisions if d.verdict == verdict
               and (power or not d.reason.startswith(POWER_REFUSAL))]
    out = [f"t={d.time_s:g}: {verdict} {said(d.action)}: {d.reason}" for d in refused[:shown]]
    if len(refused) > shown:
        more = len(refused) - shown
        out.append(Folded(f"... and {more} more {verdict} actions", more))
    return out


def result_problems(result: Any, *, complete: bool = True, valid_decisions: bool = True,
                    feasible_decisions: bool | Literal["gpus"] = False) -> list[str]:
    """Every broken invariant of a finished run, as readable lines (empty when all hold).

    Actions the engine refused come first and unfinished jobs last: a refused start is the
    likely cause of a job left pending, and a list of pending jobs above it hid it (QA)."""
    jobs, unfinished = _job_problems(result, complete)
    refused = _decision_problems(result) if valid_decisions else []
    if isinstance(feasible_decisions, str) and feasible_decisions != "gpus":
        raise ValueError(f"feasible_decisions={feasible_decisions!r}: give True, False or "
                         "'gpus' (power refusals allowed)")
    if feasible_decisions:  # "gpus": power refusals allowed (QA: fifo met them at 0.15 MW)
        refused += _decision_problems(result, "infeasible", power=feasible_decisions != "gpus")
    return refused + jobs + _record_problems(result) + unfinished
