"""How many runs go into one task: sized from how long the runs are seen to take.

A task costs the executor a quarter to half a millisecond of the parent's CPU (the local pool's
threads and pipes) and one to two milliseconds on Ray. Runs of a small scenario take a few
milliseconds, so one run per task would spend a sizeable share of the machine on overhead; a
Colossus-scale run takes a minute, and batching it would hold finished results back in a worker,
out of the progress bar and off the disk. So the first task of each slot carries one run, and
once runs have come back, later tasks carry as many as fill about ``TASK_S`` of work, never more
than ``MAX_BATCH`` nor than one worker's share of the runs not yet handed out. That last cap is
guided self-scheduling (Polychronopoulos and Kuck, IEEE Trans. Computers 36(12), 1987): tasks
shrink as the study nears its end, so the workers finish together, while early tasks are large
enough that a 40-run study of the small scenario costs the parent 14 tasks, not 27 (under the
earlier cap of two tasks per slot for the end), and the parent's CPU competes less with the
workers'. Runs of a minute always go one per task: each is written the moment it is done.

Which runs share a task never changes a result: every run is simulated on its own.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence

from colossim.sweep.expand import Run
from colossim.sweep.records import Outcome

TASK_S = 0.05  # work per task once runs are known to be short: ~1% of it is the task's overhead
MAX_BATCH = 16
SEEN = 32  # run times remembered: the median of the latest, as parameters move on


class Batcher:
    """Hands out the plan's runs in order, in tasks whose size follows the observed run time.

    ``fixed`` (``--batch N``) turns the adaptation off: every task then carries ``fixed`` runs.
    """

    def __init__(self, runs: Sequence[Run], slots: int, fixed: int | None = None):
        self._runs = list(runs)
        self._next = 0
        self._slots = max(1, slots)
        self._fixed = fixed
        self._walls: list[float] = []

    def observe(self, outcomes: Iterable[Outcome]) -> None:
        """Remember how long the returned runs took (in their worker, so overhead excluded).
        Runs of a task whose worker died carry no time (0) and say nothing about run length."""
        self._walls.extend(outcome.wall_s for outcome in outcomes if outcome.wall_s > 0)
        del self._walls[:-SEEN]

    def size(self) -> int:
        """Runs for the next task."""
        if self._fixed is not None:
            return self._fixed
        if not self._walls:
            return 1
        typical = statistics.median(self._walls)
        wanted = int(TASK_S / typical)
        left = len(self._runs) - self._next
        share = 2 * left // self._slots  # executors keep two slots per worker
        return max(1, min(wanted, MAX_BATCH, share))

    def take(self) -> list[Run] | None:
        """The next task's runs, or None when every run has been handed out."""
        if self._next >= len(self._runs):
            return None
        size = self.size()
        batch = self._runs[self._next : self._next + size]
        self._next += len(batch)
        return batch
