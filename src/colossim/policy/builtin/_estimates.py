"""Speed and time estimates policies share, from ``view.estimate_rate`` (the speed model).

A job's config never changes during a run, so rates are cached per (job, GPUs); one cache
belongs to one policy instance, i.e. one run.
"""

from __future__ import annotations

from colossim.policy.view import ClusterView, JobView, RackView

INF = float("inf")


class Rates:
    """Best rate of a job on ``gpus`` GPUs of one type (the fastest type for it), cached."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, int], float] = {}

    def best(self, view: ClusterView, job: JobView, gpus: int) -> float:
        key = (job.name, gpus)
        rate = self._cache.get(key)
        if rate is None:
            rate = max(view.estimate_rate(job, {t: gpus}) for t in view.racks.gpu_types)
            self._cache[key] = rate
        return rate

    def remaining_s(self, view: ClusterView, job: JobView, gpus: int | None = None) -> float:
        """Time left at the current rate when running, else at ``gpus`` (default max) GPUs."""
        if job.running and job.rate > 0 and gpus is None:
            return job.remaining_work / job.rate
        rate = self.best(view, job, gpus or job.max_gpus)
        return job.remaining_work / rate if rate > 0 else INF


def usable_capacity(racks: RackView) -> int:
    """GPUs on racks that may be allocated, busy or not."""
    return int(racks.capacity[racks.usable].sum())
