"""Shortest job first: start the pending job with the least remaining work first; no preemption.

The classical shortest-processing-time rule (Smith 1956), minimising mean completion time among
non-preemptive orders on one machine; used as a baseline by Tiresias (NSDI'19, "SJF"). ``by:
time`` orders by remaining time at the job's maximum GPUs instead (Tiresias' "SRTF" key), which
differs from work when jobs differ in size or GPU type. Not strict by default: a job that does not
fit lets the jobs behind it start.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from colossim.policy.builtin._estimates import Rates
from colossim.policy.staged import StagedParams, StagedPolicy
from colossim.policy.view import ClusterView, JobView


class SjfParams(StagedParams):
    strict: bool = Field(False, description="Stop at the first job that does not fit")
    by: Literal["work", "time"] = Field(
        "work", description="Order by remaining work (FLOPs) or remaining time at max GPUs"
    )


class ShortestFirst:
    """Mixin: rank by remaining work or time (shared by sjf and srtf)."""

    params: SjfParams
    rates: Rates

    def rank_key(self, job: JobView, view: ClusterView):
        if self.params.by == "work":
            return (job.remaining_work, job.submit_s, job.index)
        return (self.rates.remaining_s(view, job, job.max_gpus), job.submit_s, job.index)


class Sjf(ShortestFirst, StagedPolicy):
    name = "sjf"
    Params = SjfParams

    def __init__(self, params=None):
        super().__init__(params)
        self.rates = Rates()


POLICY = Sjf
