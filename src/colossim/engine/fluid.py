"""The fluid clock: which running job finishes next, at current rates.

A heap of ``(finish time, seq, job index, job stamp)``. When a job's rate changes its stamp
moves on, so older entries become stale and are skipped when they surface (lazy deletion). Cost
per rate change is O(log n), independent of how many jobs run.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from colossim.model.jobs import Job, JobState

TIME_RTOL = 1e-12


class FluidClock:
    def __init__(self, jobs: Sequence[Job]):
        self._jobs = jobs
        self._heap: list[tuple[float, int, int, int]] = []
        self._seq = 0

    def update(self, job: Job) -> None:
        """Note a running job's (new) finish time."""
        if job.state is JobState.RUNNING and job.rate > 0:
            self._seq += 1
            heapq.heappush(self._heap, (job.finish_time(), self._seq, job.index, job.stamp))

    def _valid(self, entry: tuple[float, int, int, int]) -> bool:
        job = self._jobs[entry[2]]
        return job.stamp == entry[3] and job.state is JobState.RUNNING

    def next_time(self) -> float:
        """Earliest valid finish time (inf if none)."""
        heap = self._heap
        while heap and not self._valid(heap[0]):
            heapq.heappop(heap)
        return heap[0][0] if heap else float("inf")

    def pop_due(self, now_s: float) -> list[Job]:
        """Jobs whose finish time is now (within rounding), in finish order."""
        due = []
        limit = now_s + TIME_RTOL * max(1.0, abs(now_s))
        heap = self._heap
        while heap and heap[0][0] <= limit:
            entry = heapq.heappop(heap)
            if self._valid(entry):
                due.append(self._jobs[entry[2]])
        return due
