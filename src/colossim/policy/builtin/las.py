"""Tiresias' discretised two-dimensional least-attained-service (2D-LAS), with preemption.

Gu et al., "Tiresias: A GPU Cluster Manager for Distributed Deep Learning", NSDI'19. A job's
attained service is GPUs x time received (two dimensions: spatial and temporal). Jobs sit in K
priority queues split by ``thresholds_gpu_s``; a job drops a queue when its attained service
crosses a threshold. Queues are served highest first, FIFO (by submission) within a queue, and a
pending job preempts running jobs that rank below it (lower queues, or its own queue and a later
submission). Needs no job sizes. The default, two queues
split at 3,600 GPU-seconds, is the example configuration of the Tiresias simulator's README.

Starvation: with ``promote_knob`` set, a pending job that has waited longer than
``promote_knob`` x the time it has run since it last ran returns to the highest queue
(Tiresias' STARVELIMIT / PROMOTE_KNOB). The policy asks to be woken when a running job will
cross a threshold or a waiting job will be promoted, so no decision waits for an unrelated event.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from pydantic import Field, field_validator

from colossim.model.cluster import grant_gpus
from colossim.policy.actions import Action, Preempt, Start
from colossim.policy.builtin._estimates import INF
from colossim.policy.staged import PreemptiveParams, PreemptiveStagedPolicy
from colossim.policy.view import ClusterView, JobView

TOLERANCE_GPU_S = 1e-6  # rounding of attained service at a wake-up must not miss a threshold


class LasParams(PreemptiveParams):
    thresholds_gpu_s: tuple[float, ...] = Field(
        (3600.0,), description="Attained GPU-seconds that end each queue (K-1 for K queues)"
    )
    promote_knob: float | None = Field(
        None, gt=0, description="Promote a job waiting longer than this x its run time (None: off)"
    )

    @field_validator("thresholds_gpu_s")
    @classmethod
    def _increasing(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        pairs = zip(value, value[1:], strict=False)
        if any(t <= 0 for t in value) or any(b <= a for a, b in pairs):
            raise ValueError("thresholds must be positive and strictly increasing")
        return value


class Las(PreemptiveStagedPolicy):
    name = "las"
    Params = LasParams

    def __init__(self, params=None):
        super().__init__(params)
        self._last_run: dict[str, float] = {}  # when each job was last seen running
        self._reset: dict[str, float] = {}  # attained service forgiven at a promotion
        cls = type(self)
        self._inline = (cls.sort_key, cls.queue, cls.service) == (
            Las.sort_key, Las.queue, Las.service)
        self._inline_keys = self._inline and cls.rank_key is Las.rank_key

    def service(self, job: JobView) -> float:
        """Attained GPU-seconds that count (since its last promotion)."""
        return job.attained_gpu_s - self._reset.get(job.name, 0.0)

    def queue(self, job: JobView) -> int:
        """0 is the highest-priority queue."""
        return bisect_right(self.params.thresholds_gpu_s, self.service(job) + TOLERANCE_GPU_S)

    def sort_key(self, job: JobView):
        return (self.queue(job), job.submit_s)

    def rank_key(self, job: JobView, view: ClusterView):
        """``(sort_key, index)`` with ``sort_key``, ``queue`` and ``service`` inlined (the same
        key): every running job is ranked at most decisions. A subclass that overrides one of
        them is ranked through them."""
        if not self._inline:
            return super().rank_key(job, view)
        service = job.attained_gpu_s - self._reset.get(job.name, 0.0)
        queue = bisect_right(self.params.thresholds_gpu_s, service + TOLERANCE_GPU_S)
        return ((queue, job.submit_s), job.index)

    def rank_keys(self, jobs: Sequence[JobView], view: ClusterView) -> list:
        """``rank_key`` of each job in one pass (the running jobs are ranked at every decision
        where a pending job does not fit)."""
        if not self._inline_keys:
            return super().rank_keys(jobs, view)
        thresholds, reset, tol = self.params.thresholds_gpu_s, self._reset, TOLERANCE_GPU_S
        if not reset:  # service = attained - 0.0, the same number
            return [((bisect_right(thresholds, j.attained_gpu_s + tol), j.submit_s), j.index)
                    for j in jobs]
        get = reset.get
        return [((bisect_right(thresholds, j.attained_gpu_s - get(j.name, 0.0) + tol),
                  j.submit_s), j.index) for j in jobs]

    def _promote(self, view: ClusterView) -> None:
        """Promote starving jobs to the highest queue."""
        if self.params.promote_knob is None:
            return
        now = view.now_s
        for job in view.jobs:
            if job.running:
                self._last_run[job.name] = now
            elif self.queue(job) > 0 and now >= self._starves_at(job, None, now):
                self._reset[job.name] = job.attained_gpu_s

    def _starves_at(self, job: JobView, stopped: set[str] | None, now: float) -> float:
        """When a waiting job is due for promotion: ``promote_knob`` x the time it has run
        after it last ran (now, for a job this decision stops)."""
        since = now if stopped and job.name in stopped else self._last_run.get(job.name,
                                                                               job.submit_s)
        return since + self.params.promote_knob * job.attained_gpu_s / max(job.max_gpus, 1)

    def _next_promotion(self, view: ClusterView, stopped: set[str],
                        started: Sequence[Start]) -> float:
        """When the next job that waits after this decision will be due for promotion: the
        jobs it leaves pending and the ones it preempts, not the ones it starts (QA: a job
        preempted by the decision was not counted, and one it started was: the wake came at
        the started job's time, 275 s after the preempted one was due)."""
        if self.params.promote_knob is None:
            return INF
        starting = {start.job for start in started}
        waiting = [job for job in view.jobs if job.name in stopped
                   or (not job.running and job.name not in starting)]
        return min((self._starves_at(job, stopped, view.now_s) for job in waiting
                    if self.queue(job) > 0), default=INF)

    def _next_crossing(self, view: ClusterView, stopped: set[str],
                       started: Sequence[Start] = ()) -> float:
        """When the first running job, or one this decision starts, will cross into a lower
        queue (a job started now pays its switch cost first: a wake then can be early, never
        late, and the next decision asks again)."""
        soonest = INF
        thresholds = self.params.thresholds_gpu_s
        serving = [(job, job.gpus) for job in view.running if job.name not in stopped]
        if started:
            pending = {job.name: job for job in view.pending}
            serving += [(pending[s.job], grant_gpus(s.grant)) for s in started]
        for job, count in serving:
            if count == 0:
                continue
            service = self.service(job)
            i = bisect_right(thresholds, service + TOLERANCE_GPU_S)
            if i < len(thresholds):
                soonest = min(soonest, view.now_s + (thresholds[i] - service) / count)
        return soonest

    def decide(self, view: ClusterView) -> Sequence[Action]:
        self._promote(view)
        actions = list(super().decide(view))
        stopped = {a.job for a in actions if isinstance(a, Preempt)}
        starts = [a for a in actions if isinstance(a, Start)]
        if len(view.pending) + len(stopped) <= len(starts):
            return actions  # nobody waits: a queue change would change nothing
        soonest = min(self._next_promotion(view, stopped, starts),
                      self._next_crossing(view, stopped, starts))
        return [*actions, *self.wakes.at(view.now_s, soonest)]


POLICY = Las
