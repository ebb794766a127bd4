"""A lower bound on makespan that no policy can beat, to judge how close a policy gets.

Two bounds, take the larger: (1) no job finishes before its submit time plus its work at its
fastest allowed speed (max GPUs on the best GPU type, tightly packed; the performance model
never runs slower on more GPUs); (2) the cluster cannot finish before the
first submission plus the GPU-seconds all jobs need (at a per-GPU speed no allocation can beat:
peak x kernel efficiency, or the pinned rate) spread over every allocatable GPU.
"""

from __future__ import annotations

from colossim.engine.state import RunState


def makespan_lower_bound_s(state: RunState) -> float:
    types = state.layout.gpu_types
    per_job, gpu_seconds = 0.0, 0.0
    for job in state.jobs:
        cfg = job.config
        best_rate = max(state.rate_fn(cfg, {t: cfg.max_gpus}) for t in types)
        best_per_gpu = max(state.speed.per_gpu_ceiling(cfg, t) for t in types)
        if best_rate <= 0:  # the job can never run (refused at load time in practice)
            return float("inf")
        per_job = max(per_job, cfg.submit_s + job.work_total / best_rate)
        gpu_seconds += job.work_total / best_per_gpu
    first = min(j.config.submit_s for j in state.jobs)
    return max(per_job, first + gpu_seconds / state.usable_gpus)
