"""Properties over random small scenarios (hypothesis), for every shipped policy.

Scenarios come from ``colossim.testing.strategies.scenarios`` (the strategy users get too): one
or two rack groups of 72-GPU racks, maybe a spare rack, 1-7 trace-style jobs whose work has a
closed form.

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

from colossim.testing.invariants import result_problems
from colossim.testing.runner import run_policy
from colossim.testing.strategies import scenarios, usable_gpus, work_flops
from tests.regression.conftest import shipped_policies

POLICIES = shipped_policies()
SETTINGS = settings(max_examples=30, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


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
    for cfg, job in zip(scenario.jobs, result.jobs, strict=True):
        # work of a trace job: its GPU-hours on the reference GPU at the scenario's efficiency
        assert job.work_flops == pytest.approx(work_flops(cfg.work_gpu_hours))
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
