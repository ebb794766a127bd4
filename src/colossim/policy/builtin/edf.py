"""Earliest deadline first: serve jobs by ``deadline_s``; jobs without one come after, in FIFO.

Liu and Layland (JACM 1973) showed preemptive EDF meets every deadline that any policy can on one
processor. For GPU clusters, deadline-aware schedulers such as ElasticFlow (ASPLOS'23) add
admission control: ``reject_late`` refuses a pending job that cannot meet its deadline even if it
started now on its maximum GPUs of the fastest type. Non-preemptive by default (``preempt``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from pydantic import Field

from colossim.model.jobs import meets_deadline
from colossim.policy.actions import Action, Reject, Start
from colossim.policy.builtin._estimates import INF, Rates
from colossim.policy.staged import PreemptiveParams, PreemptiveStagedPolicy
from colossim.policy.view import ClusterView, JobView


class EdfParams(PreemptiveParams):
    preempt: bool = Field(False, description="Let an earlier deadline preempt a later one")
    reject_late: bool = Field(
        False, description="Reject a pending job that can no longer meet its deadline"
    )


class Edf(PreemptiveStagedPolicy):
    name = "edf"
    Params = EdfParams

    def __init__(self, params=None):
        super().__init__(params)
        self.rates = Rates()

    def sort_key(self, job: JobView):
        deadline = job.config.deadline_s
        return (INF if deadline is None else deadline, job.submit_s)

    def decide(self, view: ClusterView) -> Sequence[Action]:
        if not self.params.reject_late:
            return super().decide(view)
        late = {
            j.name for j in view.pending
            if j.config.deadline_s is not None
            and not meets_deadline(view.now_s + self.rates.remaining_s(view, j, j.max_gpus),
                                   j.config.deadline_s)
        }
        rejects = [Reject(n, "cannot meet its deadline") for n in sorted(late)]
        kept = [j for j in view.jobs if j.name not in late]
        actions = [*rejects, *super().decide(replace(view, jobs=tuple(kept)))]
        started = {a.job for a in actions if isinstance(a, Start)}
        # look again when the first job left waiting can no longer make it (it was rejected
        # at whatever event came next: hours late on a quiet cluster)
        last = min((j.config.deadline_s - self.rates.remaining_s(view, j, j.max_gpus)
                    for j in view.pending if j.name not in late and j.name not in started
                    and j.config.deadline_s is not None), default=INF)
        return [*actions, *self.wakes.at(view.now_s, last + LATE_AFTER_S)]


LATE_AFTER_S = 1e-3  # the wake comes this long after the last moment a start could make it


POLICY = Edf
