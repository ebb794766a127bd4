"""Strict priority: highest ``priority`` first, ties by submit time, then submission order.

Non-preemptive: a running job keeps its GPUs when a higher-priority job arrives. The head of the
queue blocks lower-priority jobs (``strict: false`` lets them fill the gaps).
"""

from __future__ import annotations

from colossim.policy.staged import StagedPolicy


class StrictPriority(StagedPolicy):
    name = "priority"

    def sort_key(self, job):
        return (-job.priority, job.submit_s, job.index)


POLICY = StrictPriority
