"""Shortest remaining work first: a toy colossim policy for the regression-testing tutorial.

Serves pending jobs in order of remaining work, smallest first (ties by submission order), each
at its maximum GPU count; the head of the queue blocks the rest (``strict``, from
``StagedPolicy``). On jobs that all arrive together this minimises mean JCT (Smith's rule).
"""

from __future__ import annotations

from colossim.policy.staged import StagedPolicy


class ShortestFirst(StagedPolicy):
    name = "shortest-first"

    def sort_key(self, job):
        return job.remaining_work
