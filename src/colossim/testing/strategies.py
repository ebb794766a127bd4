"""Hypothesis strategies for property tests of policies: random small scenarios.

Example-based tests check the cases their author thought of; a property test states what must
hold for every scenario (no GPU given twice, work conserved, every job that fits finishes) and
lets hypothesis search for a counter-example, shrinking it to a small one. ``scenarios()`` draws
clusters of one or two rack groups of 72-GPU racks (GB200/GB300), pods of 1-3 racks, maybe a
spare rack, and 1-7 trace-style jobs (GPU-hours on GB200) of random size, priority and arrival.
A trace-style job runs at a speed proportional to its GPUs, so its work has a closed form
(``work_flops``) to check against. docs/testing.md shows a test that uses it.

Needs hypothesis (``pip install 'colossim[testing]'``), imported when this module is.
"""

from __future__ import annotations

import math
from typing import Any

from colossim.config.catalog import BUILTIN_GPUS
from colossim.config.schema import Scenario
from colossim.errors import require

st: Any = require("hypothesis.strategies", "testing",
                  "colossim.testing.strategies needs hypothesis")

RACK = 72  # GPUs per GB200/GB300 rack
EFFICIENCY = 0.4  # the scenarios' simulation.efficiency
HORIZON_S = 200 * 86400.0  # 7 jobs of at most 400 GPU-h one after another on one GPU: 117 days


def usable_gpus(scenario: Scenario) -> int:
    """GPUs a policy may allocate in a drawn scenario (spare racks excluded): a bound on the
    GPUs in use without failures only; with them, a hot spare stands in for a failed rack that
    jobs still partly hold, and the GPUs in use may exceed it until the repair (QA)."""
    racks = sum(g.racks for g in scenario.cluster.rack_groups)
    return (racks - scenario.cluster.spare_racks) * RACK


def work_flops(work_gpu_hours: float) -> float:
    """A drawn job's work: its GPU-hours on GB200 at the scenarios' efficiency."""
    return work_gpu_hours * 3600 * BUILTIN_GPUS["GB200"].bf16_tflops * 1e12 * EFFICIENCY


class DrawnScenario(Scenario):
    """A drawn scenario whose repr is only what was drawn: hypothesis prints a counter-example
    by its repr, and a full Scenario's runs to thousands of characters of defaults. The repr
    is code that rebuilds it (paste it into a test)."""

    def __repr__(self) -> str:
        drawn = self.model_dump(mode="json", exclude_defaults=True)
        return f"Scenario.model_validate({drawn!r})"


@st.composite
def scenarios(draw: Any, max_jobs: int = 7, max_racks: int = 3,
              failures: bool = False, power: bool = False) -> Scenario:
    """A random small scenario (see the module docstring); ``max_racks`` per rack group.

    The horizon is 200 days, so a policy that starves a job ends its run quickly (with the job
    unfinished) instead of after simulating ten years. ``failures``: hardware fails too (see
    ``_failing_reliability``), so a property can meet failed racks and interrupted jobs.
    ``power``: the supply binds (``supply_range_mw``), so a policy must size its starts to
    it; else it is 10 MW, more than any drawn cluster draws (QA: a policy that started jobs
    beyond the supply passed every property)."""
    groups = draw(st.lists(st.tuples(st.sampled_from(["GB200", "GB300"]),
                                     st.integers(1, max_racks)), min_size=1, max_size=2))
    racks = sum(n for _, n in groups)
    spare = draw(st.integers(0, 1)) if racks > 1 else 0
    usable = (racks - spare) * RACK  # jobs may span GPU types (the default)
    jobs = []
    for i in range(draw(st.integers(1, max_jobs))):
        if draw(st.booleans()):  # single GPUs
            low = draw(st.integers(1, usable))
            bounds = {"placement": "gpu", "min_gpus": low,
                      "max_gpus": draw(st.integers(low, usable))}
        else:  # whole NVLink domains (auto picks them for jobs of a domain or more)
            low = draw(st.integers(1, usable // RACK))
            bounds = {"placement": "auto", "min_gpus": RACK * low,
                      "max_gpus": RACK * draw(st.integers(low, usable // RACK))}
        jobs.append({
            "name": f"j{i}",
            "work_gpu_hours": draw(st.integers(1, 400)),
            "reference_gpu": "GB200",
            "priority": draw(st.integers(0, 3)),
            "submit_s": 600.0 * draw(st.integers(0, 20)),
            **bounds,
        })
    extra: dict[str, Any] = {}
    if failures:
        extra["reliability"] = _failing_reliability(draw, racks * RACK)
        for job in jobs:  # at most ~8 hours on a job's fewest GPUs: tens of faults a run, not
            # thousands; checkpoints every 10 minutes, well inside the ~30 minutes between a
            # job's interruptions at the highest rates, so every job gets done
            job["work_gpu_hours"] = min(job["work_gpu_hours"], 8 * job["min_gpus"])
            job["checkpoint"] = {"interval_s": 600.0}
    drawn = DrawnScenario.model_validate({
        **extra,
        "name": "random",
        "cluster": {
            "pod_size_racks": draw(st.integers(1, 3)),
            "rack_groups": [{"gpu_type": t, "racks": n, "name": f"g{i}"}
                            for i, (t, n) in enumerate(groups)],
            "spare_racks": spare,
            "power": {"supply_mw": 10.0},
        },
        "jobs": jobs,
        "simulation": {"seed": draw(st.integers(0, 2**16)), "efficiency": EFFICIENCY,
                       "horizon_s": HORIZON_S},
    })
    if not power:
        return drawn
    least, most = supply_range_mw(drawn)
    share = draw(st.integers(0, 100)) / 400  # up to a quarter of the way: starts are refused
    supply = math.ceil((least + share * max(0.0, most - least)) * 1e6) / 1e6  # up to a watt
    power_block = drawn.cluster.power.model_copy(update={"supply_mw": supply})
    return drawn.model_copy(update={"cluster": drawn.cluster.model_copy(
        update={"power": power_block})})


def supply_range_mw(scenario: Scenario) -> tuple[float, float]:
    """Where a supply binds, MW: from the least that lets every job start alone on its
    ``min_gpus`` at the lowest clocks (of its dearest GPU type: a correct policy can always run
    each job, so the engine refuses only starts that over-commit; the engine's own admission
    arithmetic, ``PowerModel.start_mw``) to the most the whole cluster can draw (every GPU at
    full draw: power no longer binds above it)."""
    from colossim.engine.state import RunState

    model = RunState(scenario).power_model
    least = max(model.start_mw(model.idle_it_w, job, {t: job.min_gpus})
                for job in scenario.jobs for t in model.type_index)
    return least, model.peak_mw({})


def _failing_reliability(draw: Any, gpus: int) -> dict[str, Any]:
    """A reliability block under which every class of hardware fails about every one to
    sixteen hours somewhere in a cluster of ``gpus`` GPUs (GPUs every 1-4 h, trays 2-8 h,
    racks and network links 4-16 h, software every 8 h), each repaired in half an hour on
    average, with no standby trays: every GPU, tray or rack fault takes its GPUs out of service
    until its repair."""
    repair = {"distribution": "exponential", "mean_s": 1800.0}

    def every(low: int, high: int) -> dict[str, Any]:
        return {"mtbf_gpu_hours": gpus * draw(st.integers(low, high)), "repair": repair}

    return {"enabled": True, "gpu": every(1, 4), "tray": every(2, 8), "rack": every(4, 16),
            "network": every(4, 16), "software": {"mtbf_gpu_hours": gpus * 8.0}}


__all__ = ["EFFICIENCY", "RACK", "DrawnScenario", "scenarios", "supply_range_mw", "usable_gpus",
           "work_flops"]
