"""A lower bound on makespan that no policy can beat, to judge how close a policy gets.

Two bounds, take the larger: (1) no job finishes before its submit time plus its work at its
fastest allowed speed (up to max GPUs of the GPUs the cluster has, tightly packed: one GPU type
alone, or, where types may mix, the fastest types first; the performance model never runs slower
on more GPUs); (2) the cluster cannot finish before the
first submission plus the GPU-seconds all jobs need (at a per-GPU speed no allocation can beat:
peak x kernel efficiency, or the pinned rate) spread over every allocatable GPU.
"""

from __future__ import annotations

import math

from colossim.config.crosscheck import usable_of
from colossim.config.schema import JobConfig
from colossim.engine.state import RunState


def fastest_rate(state: RunState, cfg: JobConfig, usable: dict[str, int] | None = None
                 ) -> float:
    """The job's speed on the fastest grant of up to ``max_gpus`` the cluster can give (0 if
    none: ``SpeedModel.fastest_grants``): its ideal, for the makespan bound and for compare's
    slowdowns alike. ``usable``: the GPUs per type (``usable_of``), when the caller has them."""
    usable = usable_of(state.scenario) if usable is None else usable
    return max((state.rate_fn(cfg, grant) for grant in state.speed.fastest_grants(cfg, usable)),
               default=0.0)


def makespan_lower_bound_s(state: RunState) -> float:
    types = state.layout.gpu_types
    usable = usable_of(state.scenario)  # spare racks left out, as the load check counts them
    per_job, gpu_seconds = 0.0, []
    for job in state.jobs:
        cfg = job.config
        best_rate = fastest_rate(state, cfg, usable)
        best_per_gpu = max(state.speed.per_gpu_ceiling(cfg, t) for t in types)
        if best_rate <= 0:  # the job can never run (refused at load time in practice)
            return float("inf")
        per_job = max(per_job, cfg.submit_s + job.work_total / best_rate)
        gpu_seconds.append(job.work_total / best_per_gpu)
    first = min(j.config.submit_s for j in state.jobs)
    # fsum: the same bound, to the bit, whatever the order of the jobs (QA)
    return max(per_job, first + math.fsum(gpu_seconds) / state.usable_gpus)
