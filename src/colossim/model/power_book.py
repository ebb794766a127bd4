"""The running jobs' draw, priced once per change instead of after every event.

The engine needs the facility's draw, its demand and its floor at the lowest clocks after every
event. ``PowerModel.it_w`` prices every running job each time it is asked: on a trace replay that
is ~100 jobs, several times, at each of ~60,000 events, most of which change one job or none.
Here each running job's contributions are kept until the job is touched (``RunState.watch``: the
engine touches a job at every change it makes: start, stop, pause, resume, a new grant) or one of
its power settings changes (``PowerModel.set_setting``: a cap, the engine's clock limit or a hold
changes a draw without touching the job), or the fabric's contention factor of it moves
(``PowerModel.slowed_by_fabric``).

Sums are re-added left to right in index order from the idle draw, exactly as ``it_w`` adds them,
so they are bit-identical to a fresh sum; a running total kept with ``+=`` and ``-=`` would drift
in the last bits and change results.
"""

from __future__ import annotations

from bisect import bisect_left
from operator import attrgetter
from typing import TYPE_CHECKING

from colossim.model.jobs import Job, JobState, Phase

CAP_KEY = "power_cap_w"  # job.extra keys (as in model.power, which imports this module)
CLOCK_KEY = "power_engine_clock"
HOLD_KEY = "power_hold"

if TYPE_CHECKING:
    from colossim.model.power import PowerModel

# A priced job: (demand W, demand above idle, full clocks above idle, draw W, draw above idle,
# lowest clocks above idle, speed). Plain tuples: read ~100 times per event.
DEMAND_W, DEMAND, FULL, DRAW_W, DRAW, FLOOR, SPEED = range(7)
_IDLE_ONLY = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0)
_INDEX = attrgetter("index")


def find(running: list[Job], index: int) -> int | None:
    """Position of job ``index`` in ``running`` (sorted by index), or None."""
    k = bisect_left(running, index, key=_INDEX)
    return k if k < len(running) and running[k].index == index else None


def _added(start: float, entries: list[tuple], field: int) -> float:
    """``start`` plus each entry's ``field``, left to right (as ``PowerModel.it_w`` adds)."""
    total = start
    for entry in entries:
        total += entry[field]
    return total


def _speed(model: PowerModel, job: Job) -> float:
    """The job's speed under its caps and clock limit, which marks it throttled when below 1.
    A paused job (checkpoint, restart, resize) is throttled only where they lower its draw
    (docs/power.md): a 960 W cap over a 360 W checkpoint counted its writes as throttled
    GPU-hours, 18% more than the same run under the engine's limit (QA)."""
    speed = model.job_speed(job)
    if speed < 1.0 and job.phase is not Phase.COMPUTE and not model.lowers_pause_draw(job):
        return 1.0
    return speed


class DrawBook:
    """Per-job draw of the running jobs, re-priced on change, summed on demand.

    Every list it is given is ``RunState.running_jobs()`` (or the enforcer's copy less the jobs
    it preempted): all running jobs, in index order.
    """

    def __init__(self, model: PowerModel, jobs: list[Job], touched: set[int]):
        self.model = model
        self.jobs = jobs  # every job of the run, by index
        self.touched = touched  # jobs touched since the last sync (RunState.watch)
        self.changed: set[int] = set()  # jobs whose power settings changed (set_setting)
        self.fresh: set[int] = set()  # jobs re-priced since the levels were last recorded
        self._list: list[Job] | None = None  # the running list last synced (by identity)
        self._entries: dict[int, tuple] = {}
        self._order: list[tuple] = []  # entries in the order of the synced list
        self._slowed: set[int] = set()  # priced jobs whose speed is below 1
        self._odd: set[int] = set()  # priced jobs whose FULL or DRAW differs from DEMAND
        self._sums: dict[int, float] = {}
        self._slow: dict[int, float] | None = None
        self._priced: dict[tuple, tuple] = {}  # entries by what they depend on

    def _price(self, job: Job) -> tuple:
        self.fresh.add(job.index)
        if job.state is not JobState.RUNNING:
            entry = _IDLE_ONLY  # it_w skips such a job; adding 0.0 is the same
        else:
            model = self.model
            held = model._held(job)  # one object per grant shape (kept by the model)
            extra = job.extra
            key = (id(held), job.phase, extra.get(CAP_KEY), extra.get(CLOCK_KEY),
                   HOLD_KEY in extra, model.fabric_factor(job))  # all a draw depends on
            values = self._priced.get(key)
            if values is None:
                idle, priced = held[1], model._job_w
                demand_w = priced(job, held, 1.0, True)
                draw_w = priced(job, held, None, False)
                if len(self._priced) > 4096:  # clock limits found by search vary freely
                    self._priced.clear()
                values = self._priced[key] = (
                    demand_w, demand_w - idle, priced(job, held, 1.0, False) - idle, draw_w,
                    draw_w - idle, priced(job, held, 0.0, False) - idle, _speed(model, job))
            entry = values
        self._entries[job.index] = entry
        if entry[SPEED] < 1.0:
            self._slowed.add(job.index)
        if entry[FULL] != entry[DEMAND] or entry[DRAW] != entry[DEMAND]:
            self._odd.add(job.index)
        return entry

    def sync(self, running: list[Job]) -> list[tuple]:
        """The entries of ``running``, re-priced where stale.

        Only touched jobs can have joined or left the running set (starting and stopping touch
        a job), so the entries are patched where those jobs were and are, not rebuilt."""
        touched, changed = self.touched, self.changed
        if running is self._list and not touched and not changed:
            return self._order
        stale = touched | changed if changed else touched
        entries, slowed, odd, jobs = self._entries, self._slowed, self._odd, self.jobs
        old, order = self._list, self._order
        gone: list[int] = []  # positions in the old list of stale jobs (entries hold its jobs)
        came: list[int] = []  # positions in ``running`` of stale jobs that run
        for index in stale:  # mostly jobs that neither ran nor run (arrivals): skipped at once
            if entries.pop(index, None) is not None:
                slowed.discard(index)
                odd.discard(index)
                if (k := find(old, index)) is not None:
                    gone.append(k)
            if jobs[index].state is JobState.RUNNING and (k := find(running, index)) is not None:
                came.append(k)
        if gone or came:
            gone.sort(reverse=True)
            came.sort()
            order = list(order)
            for k in gone:
                del order[k]
            for k in came:
                order.insert(k, self._price(running[k]))
        if old is None or len(order) != len(running):  # first sync, or not a running list
            entries.clear()
            slowed.clear()
            odd.clear()
            order = [self._price(job) for job in running]
            gone = True
        touched.clear()
        changed.clear()
        self._list = running
        if gone or came:
            self._order, self._sums, self._slow = order, {}, None
        return order

    def it_w(self, running: list[Job], field: int) -> float:
        """Facility IT watts with every running job's ``field`` (DEMAND, FULL, DRAW, FLOOR)."""
        order = self.sync(running)
        if field in (FULL, DRAW) and not self._odd:
            field = DEMAND  # every job's entries are equal: the same additions, the same sum
        total = self._sums.get(field)
        if total is None:
            total = self._sums[field] = _added(self.model.idle_it_w, order, field)
        return total

    def floor_it_w(self, running: list[Job], without: Job) -> float:
        """IT watts with every running job but ``without`` at its lowest clocks."""
        self.sync(running)
        if find(running, without.index) is None:
            return self.it_w(running, FLOOR)
        total = self.model.idle_it_w
        for job, entry in zip(running, self._order, strict=True):
            if job is not without:
                total += entry[FLOOR]
        return total

    def slow(self, running: list[Job]) -> dict[int, float]:
        """Speed factor by job index of the jobs the power caps slow (factor < 1), index order.

        Shared until the next change: callers must not modify it."""
        self.sync(running)
        if self._slow is None:
            entries = self._entries
            self._slow = {i: entries[i][SPEED] for i in sorted(self._slowed)}
        return self._slow

    def take_fresh(self, running: list[Job]) -> list[int]:
        """Positions in ``running`` of jobs re-priced since the last call, in order (their
        levels may have changed; the others' have not)."""
        self.sync(running)
        fresh, self.fresh = self.fresh, set()
        return sorted(k for i in fresh if (k := find(running, i)) is not None)
