"""Properties over random small scenarios (hypothesis), for every shipped policy.

Scenarios are built in Python: one or two rack groups of 72-GPU racks (GB200/GB300), pods of 1-3
racks, maybe a spare rack, and 1-7 trace-style jobs of random size and arrival. Trace-style jobs
(GPU-hours on a reference GPU) run at a speed proportional to their GPUs, so work and GPU-hours
have closed forms to check against.

- no over-allocation: the engine checks its ledger after every event (``check_invariants``),
  and GPUs in use never exceed the racks that may be allocated (spares excluded);
- unusable hardware is never used: spare racks (and failed racks, once failures act: the
  engine's ledger check covers them) hold no GPUs;
- work is conserved: completed jobs did exactly their work, none did more;
- same seed, same run: identical results (except wall time) and identical records;
- every policy terminates on a finite workload and no job that fits is starved forever.
"""

from __future__ import annotations

from dataclasses import asdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from colossim.config.catalog import BUILTIN_GPUS
from colossim.config.schema import Scenario
from colossim.testing.invariants import result_problems
from colossim.testing.runner import run_policy
from tests.regression.conftest import shipped_policies

POLICIES = shipped_policies()
RACK = 72  # GPUs per GB200/GB300 rack
EFFICIENCY = 0.4
SETTINGS = settings(max_examples=30, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def scenarios(draw) -> Scenario:
    groups = draw(st.lists(st.tuples(st.sampled_from(["GB200", "GB300"]),
                                     st.integers(1, 3)), min_size=1, max_size=2))
    names = [f"g{i}" for i in range(len(groups))]
    racks = sum(n for _, n in groups)
    spare = draw(st.integers(0, 1)) if racks > 1 else 0
    usable = (racks - spare) * RACK  # jobs may span GPU types (the default)
    jobs = []
    for i in range(draw(st.integers(1, 7))):
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
    return Scenario.model_validate({
        "name": "random",
        "cluster": {
            "pod_size_racks": draw(st.integers(1, 3)),
            "rack_groups": [{"gpu_type": t, "racks": n, "name": name}
                            for (t, n), name in zip(groups, names, strict=True)],
            "spare_racks": spare,
            "power": {"supply_mw": 10.0},
        },
        "jobs": jobs,
        # 7 jobs of at most 400 GPU-h one after another on one GPU take 117 days: a horizon of
        # 200 days ends a run whose policy starves a job quickly instead of after 10 years
        "simulation": {"seed": draw(st.integers(0, 2**16)), "efficiency": EFFICIENCY,
                       "horizon_s": 200 * 86400.0},
    })


def usable_gpus(scenario: Scenario) -> int:
    racks = sum(g.racks for g in scenario.cluster.rack_groups)
    return (racks - scenario.cluster.spare_racks) * RACK


@SETTINGS
@given(scenario=scenarios(), policy=st.sampled_from(POLICIES))
def test_no_over_allocation_and_spares_never_used(scenario, policy):
    result = run_policy(policy, scenario, check_invariants=True)  # ledger checked every event
    busy = result.record.series["gpus_busy"].values
    assert max(busy) <= usable_gpus(scenario)
    assert result_problems(result) == []


@SETTINGS
@given(scenario=scenarios(), policy=st.sampled_from(POLICIES))
def test_work_is_conserved(scenario, policy):
    result = run_policy(policy, scenario)
    peak = BUILTIN_GPUS["GB200"].bf16_tflops * 1e12
    for cfg, job in zip(scenario.jobs, result.jobs, strict=True):
        # work of a trace job: its GPU-hours on the reference GPU at the scenario's efficiency
        assert job.work_flops == pytest.approx(cfg.work_gpu_hours * 3600 * peak * EFFICIENCY)
        assert job.work_done_flops <= job.work_flops
        if job.state == "completed":
            assert job.work_done_flops == pytest.approx(job.work_flops, rel=1e-12)


@SETTINGS
@given(scenario=scenarios(), policy=st.sampled_from(POLICIES))
def test_same_seed_same_run(scenario, policy):
    first, second = run_policy(policy, scenario), run_policy(policy, scenario)
    one, two = first.to_dict(), second.to_dict()
    one.pop("wall_s"), two.pop("wall_s")
    assert one == two
    assert [asdict(e) for e in first.record.events] == [asdict(e) for e in second.record.events]
    assert first.record.decisions == second.record.decisions


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios())
def test_every_policy_finishes_every_job_that_fits(scenario):
    for policy in POLICIES:
        result = run_policy(policy, scenario)
        assert result.unfinished == (), f"{policy} left {[j.name for j in result.unfinished]}"
        assert result.makespan_s is not None
        assert result.makespan_s >= result.makespan_lower_bound_s * (1 - 1e-9)
