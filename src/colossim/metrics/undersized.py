"""Jobs that ran well below their ``max_gpus`` while GPUs sat idle, never resized.

A policy that starts an elastic job on the GPUs free at the time and never grows it (fifo,
priority, backfill: docs/policies.md) can leave the largest job on half its GPUs for weeks
after the racks around it empty. The run's table then shows only a long makespan: converting
half of Colossus-2's racks to GB300 made fifo's run 6 days slower, the 10T job on 57% of its
``max_gpus`` for 31 days beside 314,257 idle GPUs on average, with no word of why (QA). This
finds such jobs, so the run can say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from colossim.metrics.series import integral

if TYPE_CHECKING:
    from colossim.metrics.result import RunResult

BELOW = 0.75  # a job on less than this share of its max_gpus, on average, is undersized
# ... when the idle GPUs, on average over its run, would cover all the GPUs it lacked, and the
# facility drew on average less than this share of its supply (idle GPUs it could not have
# powered are no policy's to give)
POWER_SHARE = 0.95


@dataclass(frozen=True)
class Undersized:
    job: str
    mean_gpus: float
    max_gpus: int
    idle_gpus: float  # GPUs in service and idle, on average over the job's run
    days: float  # the job's run: first start to its end (or the run's)


def undersized_jobs(result: RunResult, max_gpus: Mapping[str, int],
                    min_gpus: Mapping[str, int]) -> list[Undersized]:
    """Elastic jobs (``min_gpus < max_gpus``) the policy never resized that ran on average below
    ``BELOW`` of their ``max_gpus`` while the idle GPUs would have covered the gap, power
    permitting; largest gap first."""
    series = result.record.series
    busy = series.get("gpus_busy")
    available = series.get("gpus_available")  # with failures on: GPUs in service
    resized = {e.job for e in result.record.events if e.kind == "resize"}
    found = []
    for job in result.jobs:
        top = max_gpus.get(job.name)
        if (busy is None or job.mean_gpus is None or job.start_s is None or top is None
                or min_gpus.get(job.name, top) >= top or job.name in resized
                or job.mean_gpus >= BELOW * top):
            continue
        end = job.end_s if job.end_s is not None else result.end_s
        span = end - job.start_s
        if span <= 0:
            continue
        in_service = (integral(available, job.start_s, end) / span - _held_back(result)
                      if available is not None else float(_usable(result)))
        idle = in_service - integral(busy, job.start_s, end) / span
        if idle >= top - job.mean_gpus and not _power_bound(series, job.start_s, end):
            found.append(Undersized(job.name, job.mean_gpus, top, idle, span / 86400))
    return sorted(found, key=lambda u: u.mean_gpus - u.max_gpus)


def _usable(result: RunResult) -> int:
    """GPUs the policy may place jobs on: spare racks held back are not idle GPUs a policy
    could give (QA: a job on 72 of 2 racks' 144 GPUs, the other a spare, was said to run
    beside 72 idle GPUs, and elastic-goodput could not grow it)."""
    usable = result.cluster.usable_gpus
    return result.cluster.gpus if usable is None else usable


def _held_back(result: RunResult) -> int:
    """The spares' GPUs, which the failures model's ``gpus_available`` counts as in service.
    A broken rack that became a spare when one swapped in is out of service and counted here
    too, so idle GPUs may be understated by its GPUs (review): the note may then stay silent,
    never wrongly speak."""
    return result.cluster.gpus - _usable(result)


def _power_bound(series: Mapping, start_s: float, end_s: float) -> bool:
    """Did the facility draw, on average over the span, ``POWER_SHARE`` of its supply or more?"""
    drawn, supply = series.get("power_mw"), series.get("supply_mw")
    if drawn is None or supply is None:
        return False
    offered = integral(supply, start_s, end_s)
    return offered > 0 and integral(drawn, start_s, end_s) >= POWER_SHARE * offered
