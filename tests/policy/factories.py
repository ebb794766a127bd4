"""Hand-built policy inputs: a ``ClusterView`` with racks, jobs and a speed model in the test.

The default speed model is 1 unit of work per GPU-second on every GPU type (``rate = GPUs``), so
a job's work is its GPU-seconds and its runtime on g GPUs is work / g: tests can do the arithmetic
in their heads. Jobs are trace-style (``work_gpu_hours``) and placed GPU by GPU unless told.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from colossim.config.schema import JobConfig
from colossim.policy.view import ClusterView, JobView, PowerView, RackView

RateFn = Callable[[JobConfig, dict[str, int]], float]


def per_gpu(cfg: JobConfig, by_type: dict[str, int]) -> float:
    """1 work unit per GPU-second, whatever the type."""
    return float(sum(by_type.values()))


def racks(
    capacity: Sequence[int],
    free: Sequence[int] | None = None,
    *,
    types: Sequence[int] | None = None,
    gpu_types: Sequence[str] = ("A",),
    domain: Sequence[int] | None = None,
    pods: Sequence[int] | None = None,
    mixed: bool = False,
) -> RackView:
    """Racks with ``capacity`` GPUs each (``free`` defaults to all), of ``gpu_types[types[i]]``."""
    n = len(capacity)
    ro = np.asarray
    return RackView(
        gpu_types=tuple(gpu_types),
        rack_type=ro(types if types is not None else [0] * n),
        rack_pod=ro(pods if pods is not None else [0] * n),
        capacity=ro(capacity),
        free=ro(free if free is not None else capacity),
        usable=ro([True] * n),
        gpus_per_domain=ro(domain if domain is not None else [1] * len(gpu_types)),
        mixed_types=mixed,
    )


def job(
    name: str,
    index: int,
    gpus: int,
    *,
    min_gpus: int | None = None,
    work: float = 100.0,
    done: float = 0.0,
    state: str = "pending",
    grant: tuple[tuple[int, int], ...] = (),
    rate: float | None = None,
    submit_s: float = 0.0,
    attained_gpu_s: float = 0.0,
    first_start_s: float | None = None,
    priority: int = 0,
    deadline_s: float | None = None,
    placement: str = "gpu",
) -> JobView:
    """A job of ``work`` GPU-seconds; running when given a ``grant`` (rate = its GPUs)."""
    cfg = JobConfig(
        name=name, work_gpu_hours=work / 3600, reference_gpu="A100", max_gpus=gpus,
        min_gpus=min_gpus or gpus, priority=priority, submit_s=submit_s, deadline_s=deadline_s,
        placement=placement,
    )
    held = sum(n for _, n in grant)
    if grant and state == "pending":
        state = "running"
    return JobView(
        name=name, index=index, state=state, priority=priority, submit_s=submit_s,
        min_gpus=cfg.min_gpus, max_gpus=gpus, gpus=held, grant=tuple(grant), work_total=work,
        work_done=done, rate=float(held) if rate is None else rate,
        first_start_s=first_start_s if first_start_s is not None else (0.0 if grant else None),
        attained_gpu_s=attained_gpu_s, config=cfg,
    )


def cluster(jobs: Sequence[JobView], rack_view: RackView, *, now_s: float = 0.0,
            rate_fn: RateFn = per_gpu, seed: int = 0) -> ClusterView:
    return ClusterView(
        now_s=now_s, triggers=(), jobs=tuple(jobs), racks=rack_view,
        power=PowerView(supply_mw=100.0, draw_mw=0.0), rng=np.random.default_rng(seed),
        rate_fn=rate_fn,
    )


def starts(actions) -> dict[str, int]:
    """Started job -> GPUs."""
    return {a.job: sum(n for _, n in a.grant) for a in actions if type(a).__name__ == "Start"}


def kinds(actions) -> list[tuple[str, str]]:
    """(action kind, job) in order, wake-ups as ("wakeat", time)."""
    out = []
    for a in actions:
        kind = type(a).__name__.lower()
        out.append((kind, str(a.time_s) if kind == "wakeat" else a.job))
    return out


def pool_job(name: str, submit_h: float, hours: float, gpus: int = 1, **extra) -> dict:
    """A rigid trace-style job that runs exactly ``hours`` on ``gpus`` A100s."""
    return {"name": name, "work_gpu_hours": hours * gpus, "reference_gpu": "A100",
            "min_gpus": gpus, "max_gpus": gpus, "submit_s": submit_h * 3600.0,
            "placement": "gpu", **extra}


def pool_scenario(jobs: list[dict], *, gpus_per_rack: int = 1, racks: int = 1,
                  policy: str = "fifo", params: dict | None = None, free_switches: bool = False):
    """A pool of single-GPU-grain A100 racks (the catalog entry resized for the test).

    ``free_switches``: preemptions and resizes cost nothing, as classical scheduling results
    assume (by default each costs a checkpoint-restart, ``engine.switch_costs``).
    """
    from tests.conftest import make_scenario

    return make_scenario(
        jobs, racks={"A100": racks}, policy=policy, params=params,
        catalog={"A100": {"gpus_per_rack": gpus_per_rack, "gpus_per_domain": 1}},
        scheduler={"switch_costs": {"enabled": not free_switches}},
    )


# One switch of a job without parameters on 1 A100: its 1 GB checkpoint written and read back
# through the GPU's 200 Gb/s NIC (25 GB/s, below the 2 TB/s and 7 TB/s of storage), and the
# 120 s relaunch (engine.switch_costs, reliability defaults): 0.04 + 120 + 0.04 s
A100_NIC_BYTES_S = 200e9 / 8
SWITCH_1GPU_S = 1e9 / min(2e12, A100_NIC_BYTES_S) + 120.0 + 1e9 / min(7e12, A100_NIC_BYTES_S)
