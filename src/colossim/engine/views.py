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

from collections.abc import Callable
from dataclasses import fields
from itertools import islice

import numpy as np

from colossim.engine.power import power_view
from colossim.engine.state import RunState
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


def _readonly(array: np.ndarray) -> np.ndarray:
    out = array.copy()
    out.setflags(write=False)
    return out


class ViewBuilder:
    def __init__(self, state: RunState, rng: RngStreams):
        self.state = state
        self.rng = rng("policy")
        layout = state.layout
        self._static = {
            "gpu_types": layout.gpu_types,
            "rack_type": _readonly(layout.rack_type),
            "rack_pod": _readonly(layout.rack_pod),
            "capacity": _readonly(layout.capacity),
            "gpus_per_domain": _readonly(np.array([s.gpus_per_domain for s in layout.specs])),
            "mixed_types": state.scenario.cluster.mixed_gpu_types,
        }
        self.active: dict[int, Job] = {}  # submitted, unfinished jobs in submission order
        self.fabric_source: Callable[[], FabricView] | None = None  # set by engine.fabric
        self._views: dict[int, JobView] = {}  # snapshots of the active jobs, in active's order
        self._jobs: tuple[JobView, ...] = ()
        self._touched = state.watch()  # jobs changed since the last build
        self._now = [0.0]  # the instant live snapshots are read at

    def _job_view(self, job: Job, now_s: float) -> JobView:
        cfg = job.config
        values = dict(
            name=job.name, index=job.index, state=_STATE[job.state], priority=cfg.priority,
            submit_s=cfg.submit_s, min_gpus=cfg.min_gpus, max_gpus=cfg.max_gpus, gpus=job.gpus,
            grant=job.grant, work_total=job.work_total, rate=job.rate,
            first_start_s=job.first_start_s, config=cfg,
        )
        if not job.gpus:  # progress and service stand still: a plain snapshot
            gpu_s = job.gpu_seconds + job.gpus * (now_s - job.since_s)
            return JobView(work_done=job.work_at(now_s), attained_gpu_s=gpu_s, **values)
        view = LiveJobView.__new__(LiveJobView)
        for name, value in values.items():
            _SLOT[name](view, value)
        for name, value in (("_done", job.work_done), ("_rate", job.rate),
                            ("_since", job.since_s), ("_gpu_s", job.gpu_seconds),
                            ("_now", self._now)):
            _set(view, name, value)
        return view

    def _catch_up(self, now: float) -> None:
        """Re-snapshot the jobs touched since the last build, drop those no longer active, and
        add the arrivals (at the end of ``active``, which the event loop appends to)."""
        views, active, jobs = self._views, self.active, self.state.jobs
        for index in self._touched:
            if index not in views:
                continue  # an arrival not yet seen: added below
            job = jobs[index]
            if job.state in ACTIVE:
                views[index] = self._job_view(job, now)
            else:
                del views[index]
                active.pop(index, None)
        self._touched.clear()
        new = len(active) - len(views)
        if new > 0:
            for index in reversed(list(islice(reversed(active), new))):
                job = jobs[index]
                if job.state in ACTIVE:
                    views[index] = self._job_view(job, now)
                else:
                    del active[index]
        self._jobs = tuple(views.values())

    def build(self, triggers: tuple[Trigger, ...]) -> ClusterView:
        state = self.state
        now = state.now_s
        self._now[0] = now
        if self._touched or len(self.active) != len(self._views):
            self._catch_up(now)
        racks = RackView(
            free=_readonly(state.ledger.free), usable=_readonly(state.ledger.usable),
            fabric=self.fabric_source() if self.fabric_source else None, **self._static,
        )
        power = power_view(state)  # supply, draw, battery and the model (engine.power)
        return ClusterView(now_s=now, triggers=triggers, jobs=self._jobs, racks=racks, power=power,
                           rng=self.rng, rate_fn=state.rate_fn)
