"""EASY backfilling for rigid jobs with runtime estimates.

Lifka, "The ANL/IBM SP scheduling system", JSSPP 1995; analysed by Mu'alem and Feitelson,
"Utilization, predictability, workloads, and user runtime estimates in scheduling the IBM SP2 with
backfilling", IEEE TPDS 2001. Jobs are served in FIFO order. When the head of the queue does not
fit, it gets a reservation: the earliest time (the *shadow time*) at which, by the running jobs'
estimated finish times, enough GPUs free up for it. A later job may start now ("backfill") only
if it does not delay that reservation: it is estimated to finish by the shadow time, or it uses
only GPUs the head will not need then.

The reservation is made on real racks, not a GPU count: the placer finds the head's grant among
the GPUs free at the shadow time, and a long backfill job may use, rack by rack, only what that
grant leaves. Estimates are the user's (a job's ``runtime_estimate_s``, such as an SWF log's
requested time) where a job has one, else the speed model's runtime times ``estimate_factor``
(>= 1: users over-estimate; Mu'alem and Feitelson found this harmless or even helpful). The
model's estimates never under-run while the facility's power does not bind (they do not count
the slowdown a start causes under a binding supply: docs/policies.md), so a reservation they
make then holds; a job that outruns its user's estimate (a batch system would kill it) is
planned by the model from then on, the policy woken at that moment, and may delay the
reservation as it does on a real machine whose users under-estimate.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import Field

from colossim.model.cluster import grant_gpus
from colossim.policy.actions import Action, Grant, Start
from colossim.policy.builtin._estimates import INF
from colossim.policy.placement import claim, free_gpus, grant_types, release
from colossim.policy.staged import PlacementParams, StagedPolicy, Wakes
from colossim.policy.view import ClusterView, JobView

MARGIN_S = 1e-6  # a backfill job may be estimated to end this much after the shadow time (a
# rounding crumb): one ending at it frees its GPUs as the head needs them (EASY's "by")


class BackfillParams(PlacementParams):
    estimate_factor: float = Field(
        1.0, ge=1.0, description="Runtime estimates of jobs without runtime_estimate_s = the "
        "speed model's runtime x this"
    )


class Backfill(StagedPolicy):
    name = "backfill"
    Params = BackfillParams

    def __init__(self, params=None):
        super().__init__(params)
        self.reservation: tuple[str, float] | None = None  # (head job, shadow time), for tests
        self.wakes = Wakes()

    @staticmethod
    def _user_left_s(job: JobView, gpus: int) -> float | None:
        """What the user's runtime estimate (``runtime_estimate_s``, at the job's requested
        ``max_gpus``) leaves from now on ``gpus`` GPUs: the GPU-seconds it budgets less those the
        job has had, over ``gpus``. So an elastic job granted fewer GPUs than it asked for, or
        restarted on another count, is planned to run longer in proportion (a job started on 30
        of its 44 GPUs ran 1.47x its estimate and broke the head's reservation: QA). None
        without an estimate, and once the job has outrun it: a batch system would have killed
        it; here it runs on, planned by the speed model."""
        estimate = job.config.runtime_estimate_s
        if estimate is None or gpus <= 0:
            return None
        left = (estimate * job.max_gpus - job.attained_gpu_s) / gpus
        return left if left > 0 else None

    def _estimate_s(self, view: ClusterView, job: JobView, grant: Grant) -> float:
        """Estimated runtime from now on ``grant``: the user's estimate where the job has one,
        else factor x the speed model's whole run, minus time done."""
        user = self._user_left_s(job, grant_gpus(grant))
        if user is not None:
            return user
        rate = view.estimate_rate(job, grant_types(view.racks, grant))
        if rate <= 0:
            return INF
        done_s = job.work_done / rate
        return self.params.estimate_factor * (done_s + job.remaining_work / rate) - done_s

    def _running_end_s(self, view: ClusterView, job: JobView) -> float:
        user = self._user_left_s(job, job.gpus)
        if user is not None:
            return view.now_s + user
        if job.rate <= 0:
            return INF
        started = job.first_start_s if job.first_start_s is not None else view.now_s
        elapsed = view.now_s - started
        total = elapsed + job.remaining_work / job.rate
        return view.now_s + self.params.estimate_factor * total - elapsed

    def _expiry_wake(self, view: ClusterView, starting: Sequence[Action]) -> list[Action]:
        """A wake-up when the first running job with a user's estimate outruns it: it is then
        planned by the speed model, later, and a job refused for ending past the old shadow
        time may fit before the new one. Nothing else happens at that moment, so the GPUs it
        could use sat idle until an unrelated event (QA: 2,030 s in a hand case)."""
        grants = {a.job: a.grant for a in starting if isinstance(a, Start)}
        jobs = {j.name: j for j in view.pending if j.name in grants}
        left = [self._user_left_s(j, j.gpus) for j in view.running]
        left += [self._user_left_s(jobs[name], grant_gpus(grant))
                 for name, grant in grants.items() if name in jobs]
        soonest = min((s for s in left if s is not None), default=INF)
        return list(self.wakes.at(view.now_s, view.now_s + soonest))

    def _shadow(self, view: ClusterView, head: JobView, free: np.ndarray,
                ends: list[tuple[float, Grant]]
                ) -> tuple[float, np.ndarray | None, Grant | None]:
        """Shadow time, the GPUs free then that the head's reserved grant leaves (spare), and
        that grant."""
        trial = free.copy()
        left = free_gpus(view.racks, trial)
        for end, grant in sorted(ends, key=lambda e: e[0]):
            release(trial, grant)
            left += grant_gpus(grant)
            if head.min_gpus <= left:
                reserved = self.place(head, trial, view, head.max_gpus)
                if reserved is not None:
                    claim(trial, reserved)
                    return end, trial, reserved
        return INF, None, None

    def decide(self, view: ClusterView) -> Sequence[Action]:
        now = view.now_s
        free = view.racks.free.copy()
        queue = sorted(view.pending, key=lambda j: (j.submit_s, j.index))
        ends = [(self._running_end_s(view, j), j.grant) for j in view.running]
        actions: list[Action] = []
        self.reservation = None
        power = self.start_power(view)
        i = 0
        while i < len(queue):  # the head and everyone after it while they fit
            grant = self.powered(power, queue[i],
                                 self.place(queue[i], free, view, queue[i].max_gpus), free, view)
            if grant is None:
                break
            claim(free, grant)
            ends.append((now + self._estimate_s(view, queue[i], grant), grant))
            actions.append(Start(queue[i].name, grant))
            i += 1
        if i == len(queue):
            return actions
        head = queue[i]
        shadow, spare, reserved = self._shadow(view, head, free, ends)
        self.reservation = (head.name, shadow)
        for job in queue[i + 1:]:
            if free_gpus(view.racks, free) < job.min_gpus:
                continue
            # sized to the power supply before the reservation check: a grant made smaller
            # afterwards ran longer than the check allowed and delayed the head
            grant = self.powered(power, job, self.place(job, free, view, job.max_gpus), free,
                                 view, count=False)
            if grant is not None and now + self._estimate_s(view, job, grant) > shadow + MARGIN_S:
                grant = None  # it would still run at the shadow time: only spare GPUs will do
                if spare is not None:
                    room = np.minimum(free, spare)
                    grant = self.powered(power, job, self.place(job, room, view, job.max_gpus),
                                         room, view, count=False)
                    if grant is not None and power is not None and reserved is not None \
                            and not power.fits_alongside(head, reserved, job, grant):
                        grant = None  # spare GPUs, but not spare power: it would hold the head
                    if grant is not None:
                        claim(spare, grant)
            if grant is not None:
                if power is not None:
                    power.count(job, grant)
                claim(free, grant)
                actions.append(Start(job.name, grant))
        return [*actions, *self._expiry_wake(view, actions)]  # the head waits


POLICY = Backfill
