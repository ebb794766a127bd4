"""First in, first out: serve jobs in submission order; the head of the queue blocks the rest.

The baseline every scheduling paper compares against (e.g. Tiresias, NSDI'19, and Gavel, OSDI'20
use it as their FIFO baseline). ``strict: false`` lets later jobs that fit go first.
"""

from __future__ import annotations

from colossim.policy.staged import StagedPolicy


class Fifo(StagedPolicy):
    name = "fifo"

    def sort_key(self, job):
        return (job.submit_s, job.index)


POLICY = Fifo
