"""Shortest remaining time first: the preemptive SJF (SRPT).

At every event the jobs with the least remaining work run; an arriving shorter job preempts the
running job with the most work left. On one machine SRPT minimises mean response time (Schrage
1968; Schrage and Miller 1966); Tiresias (NSDI'19) uses SRTF as the clairvoyant baseline. It needs
job sizes, which trace replay knows and real clusters usually do not.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from colossim.policy.builtin._estimates import Rates
from colossim.policy.builtin.sjf import ShortestFirst
from colossim.policy.staged import PreemptiveParams, PreemptiveStagedPolicy


class SrtfParams(PreemptiveParams):
    by: Literal["work", "time"] = Field(
        "work", description="Order by remaining work (FLOPs) or remaining time at max GPUs"
    )


class Srtf(ShortestFirst, PreemptiveStagedPolicy):
    name = "srtf"
    Params = SrtfParams

    def __init__(self, params=None):
        super().__init__(params)
        self.rates = Rates()


POLICY = Srtf
