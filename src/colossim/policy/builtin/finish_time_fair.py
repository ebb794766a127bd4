"""Themis-style finish-time fairness: the job whose finish-time fairness is worst goes first.

Mahajan et al., "Themis: Fair and Efficient GPU Cluster Scheduling", NSDI'20. A job's finish-time
fairness is rho = T_shared / T_independent: its completion time in the shared cluster over its
completion time had it owned 1/N of the cluster alone (N = jobs contending now). rho > 1 means
the job is worse off than under an equal split. Themis auctions GPUs in leases to the jobs with
the worst rho; this policy keeps the essence without the auction: jobs are ranked by rho, worst
first; a pending job preempts running jobs ranked below it once their lease (``min_run_s``) has
run out, and the policy looks again within every lease while anyone waits (one look asked for
at a time).

Estimates, per job, from the speed model at its maximum GPUs on its fastest GPU type (rate r):
T_independent = work / (r x min(1, C / (N x max_gpus))) with C the usable GPUs (a job smaller than
its share runs alone at full size; a larger one time-shares its share); T_shared = time since
submission + remaining work / (its current rate if running, else r).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from colossim.policy.actions import Action, Preempt, Start
from colossim.policy.builtin._estimates import INF, Rates, usable_capacity
from colossim.policy.staged import PreemptiveParams, PreemptiveStagedPolicy
from colossim.policy.view import ClusterView, JobView


class ThemisParams(PreemptiveParams):
    min_run_s: float = Field(
        600.0, ge=0, description="Lease: a job keeps its GPUs at least this long, s (assumption)"
    )


class FinishTimeFair(PreemptiveStagedPolicy):
    name = "finish-time-fair"
    Params = ThemisParams

    def __init__(self, params=None):
        super().__init__(params)
        self.rates = Rates()
        self._rho: dict[str, float] = {}
        self._look_at = -INF  # the next look asked for while jobs wait (one at a time)

    def rho(self, view: ClusterView, job: JobView, contenders: int,
            capacity: float | None = None) -> float:
        """``capacity``: the usable GPUs, if the caller has them (one sum per decision, not per
        job: a trace has thousands of jobs)."""
        rate = self.rates.best(view, job, job.max_gpus)
        if rate <= 0:
            return INF
        if capacity is None:
            capacity = usable_capacity(view.racks)
        share = min(1.0, capacity / (contenders * job.max_gpus))
        if share <= 0:  # nothing in service (every rack failed): no one can be served yet
            return INF
        independent = job.work_total / (rate * share)
        current = job.rate if job.running and job.rate > 0 else rate
        shared = (view.now_s - job.submit_s) + job.remaining_work / current
        return shared / independent

    def sort_key(self, job: JobView):
        return (-self._rho.get(job.name, INF), job.submit_s)

    def decide(self, view: ClusterView) -> Sequence[Action]:
        contenders = len(view.jobs)
        capacity = usable_capacity(view.racks)
        self._rho = {j.name: self.rho(view, j, contenders, capacity) for j in view.jobs}
        actions = list(super().decide(view))
        started = sum(1 for a in actions if isinstance(a, Start))
        stopped = sum(1 for a in actions if isinstance(a, Preempt))
        # the wake lets a waiting job preempt once min_run_s has passed: pointless with nothing
        # running (a job no placement can hold then woke it every min_run_s to the horizon)
        runs = len(view.running) - stopped + started > 0
        lease, now = self.params.min_run_s, view.now_s
        # one look every lease at most: a look asked for at every decision (each arrival's,
        # each look's own) began a chain of looks of its own, 600 s apart, that never merged:
        # 12,897 of a 200-job run's 14,631 decisions (QA)
        if len(view.pending) > started and lease > 0 and runs and \
                not now < self._look_at <= now + lease:
            self._look_at = now + lease
            actions += self.wakes.at(now, self._look_at)
        return actions


POLICY = FinishTimeFair
