"""The running jobs' draw, priced once per change instead of after every event.

The engine needs the facility's draw, its demand and its floor at the lowest clocks after every
event. ``PowerModel.it_w`` prices every running job each time it is asked: on a trace replay that
is ~100 jobs, several times, at each of ~60,000 events, most of which change one job or none.
Here each running job's contributions are kept with the job's stamp (the engine bumps it at every
change it makes: start, stop, pause, resume, a new grant) and re-priced only when the stamp moved
or one of its power settings changed (``PowerModel.set_setting``: a cap or the engine's clock
limit changes a draw without moving the stamp).

Sums are re-added left to right in index order from the idle draw, exactly as ``it_w`` adds them,
so they are bit-identical to a fresh sum; a running total kept with ``+=`` and ``-=`` would drift
in the last bits and change results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from colossim.model.jobs import Job, JobState

if TYPE_CHECKING:
    from colossim.model.power import PowerModel

# A priced job: (stamp, demand W, demand above idle, full clocks above idle, draw W,
# draw above idle, lowest clocks above idle, speed). Plain tuples: read ~100 times per event.
STAMP, DEMAND_W, DEMAND, FULL, DRAW_W, DRAW, FLOOR, SPEED = range(8)
_IDLE_ONLY = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0)


def _added(start: float, entries: list[tuple], field: int) -> float:
    """``start`` plus each entry's ``field``, left to right (as ``PowerModel.it_w`` adds)."""
    total = start
    for entry in entries:
        total += entry[field]
    return total


class DrawBook:
    """Per-job draw of the running jobs, re-priced on change, summed on demand."""

    def __init__(self, model: PowerModel):
        self.model = model
        self.changed: set[int] = set()  # jobs whose power settings changed (set_setting)
        self.fresh: set[int] = set()  # jobs re-priced since the levels were last recorded
        self._list: list[Job] | None = None  # the running list last synced (by identity)
        self._stamps: list[int] = []
        self._entries: dict[int, tuple] = {}
        self._order: list[tuple] = []  # entries in the order of the synced list
        self._sums: dict[int, float] = {}
        self._slow: dict[int, float] | None = None

    def _price(self, job: Job) -> tuple:
        if job.state is not JobState.RUNNING:
            return (job.stamp, *_IDLE_ONLY)  # it_w skips such a job; adding 0.0 is the same
        model = self.model
        held = model._held(job)
        idle, priced = held[1], model._job_w
        demand_w = priced(job, held, 1.0, True)
        draw_w = priced(job, held, None, False)
        return (job.stamp, demand_w, demand_w - idle, priced(job, held, 1.0, False) - idle,
                draw_w, draw_w - idle, priced(job, held, 0.0, False) - idle,
                model.job_speed(job))

    def sync(self, running: list[Job]) -> list[tuple]:
        """The entries of ``running`` (RUNNING jobs in index order), re-priced where stale."""
        stamps = [j.stamp for j in running]
        if running is self._list and stamps == self._stamps and not self.changed:
            return self._order
        changed, entries = self.changed, self._entries
        kept: dict[int, tuple] = {}
        order = []
        for job, stamp in zip(running, stamps, strict=True):
            entry = entries.get(job.index)
            if entry is None or entry[STAMP] != stamp or job.index in changed:
                entry = self._price(job)
                self.fresh.add(job.index)
            kept[job.index] = entry
            order.append(entry)
        changed.clear()
        self._list, self._stamps, self._entries, self._order = running, stamps, kept, order
        self._sums = {}
        self._slow = None
        return order

    def it_w(self, running: list[Job], field: int) -> float:
        """Facility IT watts with every running job's ``field`` (DEMAND, FULL, DRAW, FLOOR)."""
        order = self.sync(running)
        total = self._sums.get(field)
        if total is None:
            total = self._sums[field] = _added(self.model.idle_it_w, order, field)
        return total

    def floor_it_w(self, running: list[Job], without: Job) -> float:
        """IT watts with every running job but ``without`` at its lowest clocks."""
        order = self.sync(running)
        total = self.model.idle_it_w
        for job, entry in zip(running, order, strict=True):
            if job is not without:
                total += entry[FLOOR]
        return total

    def slow(self, running: list[Job]) -> dict[int, float]:
        """Speed factor by job index of the jobs the power caps slow (factor < 1), index order.

        Shared until the next change: callers must not modify it."""
        order = self.sync(running)
        if self._slow is None:
            self._slow = {job.index: entry[SPEED]
                          for job, entry in zip(running, order, strict=True)
                          if entry[SPEED] < 1.0}
        return self._slow

    def take_fresh(self, running: list[Job]) -> list[int]:
        """Positions in ``running`` of jobs re-priced since the last call (their levels may have
        changed; the others' have not)."""
        self.sync(running)
        fresh, self.fresh = self.fresh, set()
        if not fresh:
            return []
        return [k for k, job in enumerate(running) if job.index in fresh]
