"""Fabric figures from the record: per-job communication share, contention slowdown and
cross-pod bytes, per-tier utilisation. Pure functions of what ``engine.fabric`` records:

- a ``fabric_model`` event when the model is on;
- per job, a ``fabric`` event whenever its state on the fabric changes: ``computing``,
  ``factor`` (its speed vs a non-blocking fabric at line rate), ``comm_fraction`` (share of the
  step spent waiting on the scale-out fabric) and ``cross_pod_bytes_per_s`` (at full clocks);
  each holds until the job's next ``fabric`` event or the end of the run;
- ``fabric_fault`` events, and the level series ``fabric.<tier>.utilization`` (the tier's load
  over its capacity) and ``fabric.<tier>.hottest`` (its busiest pod's, or the core's).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from typing import Any

from colossim.config.fabric import TIER_NAMES
from colossim.engine.record import Record, StepSeries
from colossim.metrics.result import FabricResult, FabricTierResult, JobResult
from colossim.metrics.series import peak, time_mean

# A job counts as slowed by the fabric when contention made its computing at least 0.1% longer
# (``contention_slowdown`` >= 1.001). Counting any slowdown above 1 counted jobs that shared a
# link for a moment (1.00003: 26 s of a 10-day job) alongside those it really cost. The 0.1% is
# a choice (an assumption, not a measurement): time a planner would notice (43 min of a 30-day
# run); each job's exact figure stays in its ``contention_slowdown``.
SLOWED_BY = 0.001


def slowed(contention_slowdown: float | None) -> bool:
    """Whether the fabric counts as having slowed a job (``SLOWED_BY``)."""
    return contention_slowdown is not None and contention_slowdown >= 1.0 + SLOWED_BY


def _segments(record: Record) -> dict[str, list[tuple[float, dict[str, Any]]]]:
    by_job: dict[str, list[tuple[float, dict[str, Any]]]] = {}
    for event in record.events:
        if event.kind == "fabric" and event.job is not None:
            by_job.setdefault(event.job, []).append((event.time_s, event.data or {}))
    return by_job


def fabric_on(record: Record) -> bool:
    return any(e.kind == "fabric_model" for e in record.events)


def job_fabric(marks: Sequence[tuple[float, dict[str, Any]]], end_s: float) -> dict[str, float]:
    """Time-weighted figures over the job's communicating time.

    ``contention_slowdown`` = time computing / the time the same work takes at factor 1
    (so 1.25 = 25% longer); ``comm_fraction`` = time-mean share of the step on the fabric.
    """
    busy = at_full = comm = 0.0
    for i, (t, data) in enumerate(marks):
        t_next = marks[i + 1][0] if i + 1 < len(marks) else end_s
        dt = max(0.0, min(t_next, end_s) - t)
        if not data.get("computing") or dt <= 0:
            continue
        busy += dt
        at_full += dt * data["factor"]
        comm += dt * data["comm_fraction"]
    return {
        "comm_fraction": comm / busy if busy > 0 else 0.0,
        "contention_slowdown": busy / at_full if at_full > 0 else 1.0,
    }


def fabric_fields(
    jobs: tuple[JobResult, ...], record: Record, end_s: float, modelled: Sequence[bool],
    sent: Sequence[float],
) -> list[dict[str, Any]]:
    """Each job's fabric fields (empty: they stay None). ``modelled[i]``: job i has a model the
    traffic model reads (trace jobs given as GPU-hours do not); all stay None when the model is
    off. ``sent[i]``: the bytes job i's steps carried across pod uplinks, as the engine counted
    them with its progress (``Job.cross_pod_bytes``): its full-clock rate over the time it ran
    counted a job a power limit slowed as sending more than its steps did (QA: +36% under a
    700 W cap). A modelled job that ran but never left its rack has comm_fraction 0, slowdown
    1, no bytes."""
    if not fabric_on(record):
        return [{} for _ in jobs]
    segments = _segments(record)
    out: list[dict[str, Any]] = []
    for job, has_model, bytes_sent in zip(jobs, modelled, sent, strict=True):
        if job.name in segments:
            out.append({**job_fabric(segments[job.name], end_s), "cross_pod_bytes": bytes_sent})
        elif has_model and job.start_s is not None:
            out.append({"comm_fraction": 0.0, "contention_slowdown": 1.0, "cross_pod_bytes": 0.0})
        else:
            out.append({})
    return out


def _tier(record: Record, tier: str, end_s: float) -> FabricTierResult:
    empty = StepSeries()
    whole = record.series.get(f"fabric.{tier}.utilization", empty)
    hottest = record.series.get(f"fabric.{tier}.hottest", empty)
    return FabricTierResult(
        mean_utilization=time_mean(whole, 0.0, end_s),
        peak_utilization=peak(whole, 0.0, end_s),
        hottest_peak_utilization=peak(hottest, 0.0, end_s),
        hottest_mean_utilization=time_mean(hottest, 0.0, end_s),
    )


def cluster_fabric(
    record: Record, jobs: tuple[JobResult, ...], end_s: float
) -> FabricResult | None:
    """Per-tier utilisation, cross-pod bytes and faults; None when the fabric model is off."""
    if not fabric_on(record):
        return None
    tiers = {tier: _tier(record, tier, end_s) for tier in TIER_NAMES}
    return FabricResult(
        **tiers,
        cross_pod_bytes=sum(j.cross_pod_bytes or 0.0 for j in jobs),
        faults=sum(1 for e in record.events if e.kind == "fabric_fault"),
        slowed_jobs=sum(1 for j in jobs if slowed(j.contention_slowdown)),
    )


def fault_windows(record: Record, end_s: float) -> dict[str, list[tuple[float, float]]]:
    """Per tier, the times some fabric fault was in force on it: from each ``fabric_fault`` to
    its ``fabric_repair`` (matched by the fault's name), or to the end of the run."""
    started: dict[str, tuple[str, float]] = {}
    windows: dict[str, list[tuple[float, float]]] = {}
    for event in record.events:
        data = event.data or {}
        if event.kind == "fabric_fault" and "tier" in data:
            started[str(data.get("fault"))] = (str(data["tier"]), event.time_s)
        elif event.kind == "fabric_repair" and str(data.get("fault")) in started:
            tier, since = started.pop(str(data.get("fault")))
            windows.setdefault(tier, []).append((since, event.time_s))
    for tier, since in started.values():
        windows.setdefault(tier, []).append((since, end_s))
    return windows


def peak_within(series: StepSeries, windows: Sequence[tuple[float, float]]) -> float:
    """The highest value a step series holds at any time inside the windows (the value in
    force at a window's start counts). Overlapping windows are merged, and each is found in
    the series by bisection: walking the whole series once per window took 2.6 minutes after
    a Colossus-2 run with 12,902 fabric faults (the run itself took 2.8)."""
    times, values = series.times, series.values
    best = 0.0
    for start, end in _merged(windows):
        first = bisect_right(times, start)  # the first point after the window's start
        if first:
            best = max(best, values[first - 1])  # in force at the start
        last = bisect_left(times, end, lo=first)  # the first point at or after its end
        if last > first:
            best = max(best, max(values[first:last]))
    return best


def _merged(windows: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The windows as disjoint spans in time order (overlapping or touching ones joined)."""
    spans: list[tuple[float, float]] = []
    for start, end in sorted(windows):
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans
