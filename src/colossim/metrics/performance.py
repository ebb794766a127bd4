"""Per-job training efficiency from the record: MFU, achieved TFLOP/s, tokens/s, plan, breakdown.

The engine logs a ``perf`` event each time a job is placed on an allocation (start, resize,
restart), carrying what the performance model says of it. A job's figures are the time-weighted
means over the periods each allocation was held; the plan and step-time breakdown are those of the
allocation held longest.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from colossim.engine.record import Event, Record

# Event kinds after which a job no longer holds the allocation described by its last ``perf``
# (a ``failure`` only when it stopped the job: ``_releases``).
RELEASES = frozenset({"perf", "preempt", "complete"})
MEANS = ("mfu", "achieved_tflops_per_gpu", "tokens_per_s")


def _periods(events: list[Event], end_s: float) -> list[tuple[float, dict[str, Any]]]:
    """(duration, perf data) for each allocation a job held."""
    out = []
    current: Event | None = None
    for event in events:
        if current is not None and _releases(event):
            out.append((event.time_s - current.time_s, current.data or {}))
            current = None
        if event.kind == "perf":
            current = event
    if current is not None:
        out.append((end_s - current.time_s, current.data or {}))
    return out


def _releases(event: Event) -> bool:
    """Does the job let go of its allocation here? A failure that sent it back to the queue
    does (QA: its time waiting there was credited to the allocation it had, 5.6% off a job's
    tokens/s); one it restarted from in place, or on a spare of the same type, does not."""
    return event.kind in RELEASES or (event.kind == "failure"
                                      and bool((event.data or {}).get("stopped")))


def job_performance(record: Record, end_s: float) -> dict[str, dict[str, Any]]:
    """For each job with performance-model allocations: its efficiency figures."""
    by_job: dict[str, list[Event]] = defaultdict(list)
    for event in record.events:
        if event.job is not None:
            by_job[event.job].append(event)
    out: dict[str, dict[str, Any]] = {}
    for name, events in by_job.items():
        periods = _periods(events, end_s)
        if not periods:
            continue
        total = sum(d for d, _ in periods)
        longest = max(periods, key=lambda p: p[0])[1]
        figures: dict[str, Any] = {key: _mean(periods, key, total, longest) for key in MEANS}
        figures["plan"] = longest["plan"]
        figures["step_s"] = longest["step_s"]
        figures["gpus_by_type"] = longest.get("gpus_by_type")  # (absent from older records)
        out[name] = figures
    return out


def _mean(periods: list[tuple[float, dict[str, Any]]], key: str, total: float,
          longest: dict[str, Any]) -> Any:
    """The time-weighted mean of ``key`` over the periods; the value itself when every period
    held the same one (one allocation: the mean of one value is that value, where the weighted
    sum's rounding moved its last bit off the ``perf`` event's, QA)."""
    if total <= 0:
        return longest[key]
    values = {data[key] for d, data in periods if d > 0}
    if len(values) == 1:
        return values.pop()
    return sum(d * data[key] for d, data in periods) / total
