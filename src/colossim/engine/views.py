"""Build the frozen ``ClusterView`` a policy decides on.

Job snapshots are cached per job and rebuilt only when the job changed (its stamp). When only time
moved on, a job holding GPUs has its snapshot's time-dependent fields (work done, attained service)
refreshed in place rather than rebuilt: a trace replay has ~100 running jobs at every one of ~30,000
decisions, and building each snapshot anew dominated the run. So a ``JobView`` is valid for the
decision it was handed to; a policy keeps job names, not views, across calls.
"""

from __future__ import annotations

from collections.abc import Callable

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
_set = object.__setattr__  # the engine refreshes its own frozen snapshots


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
        self._cache: dict[int, list] = {}  # job index -> [stamp, time, view]
        self.active: dict[int, Job] = {}  # submitted, unfinished jobs in submission order
        self.fabric_source: Callable[[], FabricView] | None = None  # set by engine.fabric

    def _job_view(self, job: Job, now_s: float) -> JobView:
        cached = self._cache.get(job.index)
        if cached is not None and cached[0] == job.stamp:
            view = cached[2]
            if cached[1] != now_s and job.gpus:  # only time moved on: refresh, do not rebuild
                _set(view, "work_done", job.work_at(now_s))
                _set(view, "attained_gpu_s", job.gpu_seconds + job.gpus * (now_s - job.since_s))
                cached[1] = now_s
            return view
        cfg = job.config
        gpu_s = job.gpu_seconds + job.gpus * (now_s - job.since_s)
        view = JobView(
            name=job.name, index=job.index, state=_STATE[job.state], priority=cfg.priority,
            submit_s=cfg.submit_s, min_gpus=cfg.min_gpus, max_gpus=cfg.max_gpus, gpus=job.gpus,
            grant=job.grant, work_total=job.work_total, work_done=job.work_at(now_s),
            rate=job.rate, first_start_s=job.first_start_s, attained_gpu_s=gpu_s, config=cfg,
        )
        self._cache[job.index] = [job.stamp, now_s, view]
        return view

    def build(self, triggers: tuple[Trigger, ...]) -> ClusterView:
        state = self.state
        now = state.now_s
        for index in [i for i, j in self.active.items() if j.state not in ACTIVE]:
            del self.active[index]
            self._cache.pop(index, None)
        racks = RackView(
            free=_readonly(state.ledger.free), usable=_readonly(state.ledger.usable),
            fabric=self.fabric_source() if self.fabric_source else None, **self._static,
        )
        power = power_view(state)  # supply, draw, battery and the model (engine.power)
        jobs = tuple(self._job_view(j, now) for j in self.active.values())
        return ClusterView(now_s=now, triggers=triggers, jobs=jobs, racks=racks, power=power,
                           rng=self.rng, rate_fn=state.rate_fn)
