"""Small hand-checkable reliability scenarios for the tests in this folder."""

from __future__ import annotations

from typing import Any

from colossim.engine.failures import Reliability
from colossim.engine.failures import reliability_of as find
from colossim.engine.simulation import Simulation
from colossim.metrics.result import RunResult
from colossim.metrics.summary import summarize
from colossim.policy.registry import make_policy
from tests.conftest import make_scenario

CLASSES = ("gpu", "tray", "rack", "network", "software")
# 10B params x 90B tokens x 6 = 5.4e21 FLOPs on 72 GB200 at 2.5e15 x 0.5 = 9e16 FLOP/s:
# 60,000 s undisturbed. Checkpoint: 10e9 params x 14 B = 140 GB.
JOB: dict[str, Any] = {
    "name": "a", "params_billion": 10, "tokens_billion": 90, "min_gpus": 72, "max_gpus": 72,
}
RATE = 9e16  # FLOP/s of JOB on one rack


def quiet(**blocks: Any) -> dict[str, Any]:
    """A reliability block with every failure class off, then ``blocks`` laid over it."""
    out: dict[str, Any] = {name: {"enabled": False} for name in CLASSES}
    out.update(blocks)
    return out


def job(**over: Any) -> dict[str, Any]:
    return {**JOB, **over}


def simulation(jobs, reliability, racks=2, seed=0, policy="fifo", check=True, **extra):
    """One run's simulation; fabric contention off (these cases are about failures)."""
    cluster = {"fabric": {"contention": False}, **extra.pop("cluster", {})}
    scenario = make_scenario(list(jobs), racks=racks, policy=policy, reliability=reliability,
                             cluster=cluster,
                             simulation={"seed": seed, "efficiency": 0.5,
                                         "speed_model": "linear", **extra.pop("sim", {})},
                             **extra)
    return Simulation(scenario, make_policy(policy), check_invariants=check)


def reliability_of(sim: Simulation) -> Reliability:
    rel = find(sim.state)
    assert rel is not None
    return rel


def run(sim: Simulation) -> RunResult:
    return summarize(sim.run(), sim.policy.name)


def events(result: RunResult, kind: str, job: str | None = None):
    return [e for e in result.record.events if e.kind == kind and (job is None or e.job == job)]


def spare_swap_simulation() -> Simulation:
    """One 2-rack job (144 GPUs, traffic leaves its racks) on a 4-rack rail-optimised pod (one
    rack-tier unit) with one hot spare; a GPU failure about every 2 hours of the cluster, so the
    job is swapped onto the spare and back many times (caches kept over swaps are tested here)."""
    reliability = quiet(gpu={"mtbf_gpu_hours": 600.0,
                             "repair": {"distribution": "fixed", "mean_s": 3600.0}},
                        spares={"racks_per_pod": 1})
    return simulation([job(min_gpus=144, max_gpus=144, checkpoint={"interval_s": 1800.0})],
                      reliability, racks=4, seed=5, pod_size_racks=4,
                      cluster={"fabric": {"contention": True, "rail_optimized": True}})
