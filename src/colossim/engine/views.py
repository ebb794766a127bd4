"""Build the frozen ``ClusterView`` a policy decides on.

Job snapshots are cached per job and rebuilt only when the job changed (it was touched:
``RunState.watch``), so a decision costs what changed since the last one, not a pass over every
active job: a trace replay has ~100 running jobs at every one of ~30,000 decisions, and visiting
each snapshot at each decision dominated the run. A job holding GPUs gets a live snapshot whose
time-dependent fields (work done, attained service) are computed when read, at the instant of the
latest decision, from the job's state when it last changed (the same formulas as
``Job.work_at``, so the same numbers). So a ``JobView`` is valid for the decision it was handed
to; a policy keeps job names, not views, across calls (a copy of a view is a plain snapshot).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable
from dataclasses import fields
from functools import partial
from itertools import islice
from operator import itemgetter

import numpy as np

from colossim.engine.power import power_view
from colossim.engine.state import RunState
from colossim.model.frozen import read_only_copy
from colossim.model.jobs import Job, JobState
from colossim.model.rng import RngStreams
from colossim.policy.view import (
    ClusterView,
    FabricView,
    JobView,
    RackView,
    Trigger,
)

ACTIVE = (JobState.PENDING, JobState.RUNNING)
_STATE = {s: s.value for s in JobState}  # enum .value is a slow descriptor on a hot path
_set = object.__setattr__  # the engine fills its own frozen snapshots
_FIELDS = tuple(f.name for f in fields(JobView))
_SLOT = {name: JobView.__dict__[name].__set__ for name in _FIELDS}  # JobView's own slots


class LiveJobView(JobView):
    """A job holding GPUs: ``work_done`` and ``attained_gpu_s`` at the builder's current instant,
    from the job's progress when it last changed (unchanged since, or it would be rebuilt)."""

    __slots__ = ("_done", "_rate", "_since", "_gpu_s", "_now")

    @property
    def work_done(self) -> float:  # Job.work_at
        return min(self.work_total, self._done + self._rate * (self._now[0] - self._since))

    @property
    def attained_gpu_s(self) -> float:
        return self._gpu_s + self.gpus * (self._now[0] - self._since)

    def __reduce__(self):  # a copy or pickle is a plain snapshot of the values now
        return JobView, tuple(getattr(self, name) for name in _FIELDS)


_VIEW_SLOT = {f.name: ClusterView.__dict__[f.name].__set__ for f in fields(ClusterView)}


def _lazy(name: str) -> property:
    """A ``ClusterView`` field filled on first read by ``self._lazy[name]()``."""
    get, put = ClusterView.__dict__[name].__get__, _VIEW_SLOT[name]

    def read(self):
        try:
            return get(self)
        except AttributeError:  # not read yet
            value = self._lazy[name]()
            put(self, value)
            return value

    def write(self, value) -> None:  # the dataclass __init__ (``replace``) only: plain
        put(self, value)  # assignment is refused (a frozen class)

    return property(read, write, doc=f"``{name}``, built on first read")


class LazyClusterView(ClusterView):
    """A ``ClusterView`` whose ``racks`` and ``power`` are built on first read, from the state
    as it was at the build (nothing changes while the policy decides): many decisions of a
    trace replay have no pending job and never read them, and las or fifo never read
    ``power``; building both at each of ~30,000 decisions was several per cent of the run.
    Like a live job snapshot, it is valid for the decision it was handed to."""

    __slots__ = ("_lazy",)
    racks = _lazy("racks")
    power = _lazy("power")

    def __reduce__(self):  # a copy or pickle holds the views, not the engine's state
        return LazyClusterView, tuple(getattr(self, f.name) for f in fields(ClusterView)
                                      if f.init)


# A live snapshot's slots, in the order ``_job_view`` gives their values: JobView's fields less
# the two computed when read, then LiveJobView's own.
_LIVE_SETTERS = tuple(
    [_SLOT[name] for name in _FIELDS if name not in ("work_done", "attained_gpu_s")]
    + [LiveJobView.__dict__[name].__set__ for name in LiveJobView.__slots__])


def _pick(views: dict[int, JobView], indices: list[int]) -> tuple[JobView, ...]:
    """``tuple(views[i] for i in indices)``; ``itemgetter`` looks them up at C speed."""
    if len(indices) > 1:
        return itemgetter(*indices)(views)
    return (views[indices[0]],) if indices else ()


class ViewBuilder:
    def __init__(self, state: RunState, rng: RngStreams):
        self.state = state
        self.rng = rng("policy")
        layout = state.layout
        self._static = {
            "gpu_types": layout.gpu_types,
            "rack_type": read_only_copy(layout.rack_type),
            "rack_pod": read_only_copy(layout.rack_pod),
            "capacity": read_only_copy(layout.capacity),
            "gpus_per_domain": read_only_copy(np.array([s.gpus_per_domain for s in layout.specs])),
            "mixed_types": state.scenario.cluster.mixed_gpu_types,
        }
        self.active: dict[int, Job] = {}  # submitted, unfinished jobs in submission order
        self.fabric_source: Callable[[], FabricView] | None = None  # set by engine.fabric
        self._views: dict[int, JobView] = {}  # snapshots of the active jobs, in active's order
        self._jobs: tuple[JobView, ...] = ()
        self._touched = state.watch()  # jobs changed since the last build
        self._now = [0.0]  # the instant live snapshots are read at
        # The pending/running split, kept as jobs change instead of filtering every active job
        # at every decision: each active job's state and arrival number, and the indices of
        # each state in arrival (``active``) order.
        self._state_of: dict[int, str] = {}
        self._seq: dict[int, int] = {}
        self._arrived = 0
        self._split: dict[str, list[int]] = {"pending": [], "running": []}
        self._split_views: tuple = ((), ())

    def _job_view(self, job: Job, now_s: float) -> JobView:
        cfg = job.config
        if not job.gpus:  # progress and service stand still: a plain snapshot
            return JobView(
                job.name, job.index, _STATE[job.state], cfg.priority, cfg.submit_s,
                cfg.min_gpus, cfg.max_gpus, job.gpus, job.grant, job.work_total,
                job.work_at(now_s), job.rate, job.first_start_s,
                job.gpu_seconds + job.gpus * (now_s - job.since_s), cfg, job.phase.value,
                job.plan_share)
        view = LiveJobView.__new__(LiveJobView)
        values = (job.name, job.index, _STATE[job.state], cfg.priority, cfg.submit_s,
                  cfg.min_gpus, cfg.max_gpus, job.gpus, job.grant, job.work_total, job.rate,
                  job.first_start_s, cfg, job.phase.value, job.plan_share, job.work_done,
                  job.rate, job.since_s, job.gpu_seconds, self._now)
        for setter, value in zip(_LIVE_SETTERS, values, strict=True):
            setter(view, value)
        return view

    def _catch_up(self, now: float) -> None:
        """Re-snapshot the jobs touched since the last build, drop those no longer active, and
        add the arrivals (at the end of ``active``, which the event loop appends to)."""
        views, active, jobs = self._views, self.active, self.state.jobs
        move = self._move
        for index in self._touched:
            if index not in views:
                continue  # an arrival not yet seen: added below
            job = jobs[index]
            if job.state in ACTIVE:
                views[index] = view = self._job_view(job, now)
                move(index, view.state)
            else:
                del views[index]
                active.pop(index, None)
                move(index, None)
        self._touched.clear()
        new = len(active) - len(views)
        if new > 0:
            for index in reversed(list(islice(reversed(active), new))):
                job = jobs[index]
                if job.state in ACTIVE:
                    views[index] = view = self._job_view(job, now)
                    self._seq[index] = self._arrived
                    self._arrived += 1
                    move(index, view.state)
                else:
                    del active[index]
        self._jobs = tuple(views.values())
        self._split_views = (_pick(views, self._split["pending"]),
                             _pick(views, self._split["running"]))

    def _move(self, index: int, state: str | None) -> None:
        """File job ``index`` under its new state (None: no longer active) in the split."""
        before = self._state_of.get(index)
        if before == state:
            return
        seq = self._seq
        if before is not None:
            indices = self._split[before]
            del indices[bisect_left(indices, seq[index], key=seq.__getitem__)]
        if state is None:
            del self._state_of[index], seq[index]
        else:
            self._state_of[index] = state
            insort(self._split[state], index, key=seq.__getitem__)

    def build(self, triggers: tuple[Trigger, ...]) -> ClusterView:
        state = self.state
        now = state.now_s
        self._now[0] = now
        if self._touched or len(self.active) != len(self._views):
            self._catch_up(now)
        view = LazyClusterView.__new__(LazyClusterView)
        slot = _VIEW_SLOT
        slot["now_s"](view, now)
        slot["triggers"](view, triggers)
        slot["jobs"](view, self._jobs)
        slot["rng"](view, self.rng)
        slot["rate_fn"](view, state.rate_fn)
        slot["_split"](view, self._split_views)  # (pending, running), kept by _catch_up
        # racks, and supply, draw, battery and the model (engine.power), when first read
        _set(view, "_lazy", {"racks": self._racks, "power": partial(power_view, state)})
        return view

    def _racks(self) -> RackView:
        """The racks now. ``free`` counts only usable racks' GPUs: the ledger's count on a
        spare or failed rack is GPUs no grant may take, and a policy placing on ``free`` alone
        met 38 refusals on ``busy``, where the docs promised none (QA)."""
        ledger = self.state.ledger
        usable = ledger.usable
        return RackView(
            free=read_only_copy(np.where(usable, ledger.free, 0)), usable=read_only_copy(usable),
            fabric=self.fabric_source() if self.fabric_source else None, **self._static,
        )
