"""Jobs larger than one GPU type: the per-type policies (max-min-fair, elastic-goodput) still run
them, against hand arithmetic and against fifo, which places on any mix of types."""

from __future__ import annotations

import pytest

from colossim.api import simulate
from tests.conftest import make_scenario
from tests.policy.factories import pool_job

PER_TYPE = ["max-min-fair", "elastic-goodput"]
ONE_GPU = {"gpus_per_rack": 1, "gpus_per_domain": 1}


def mixed(jobs: list[dict], policy: str):
    """One 1-GPU A100 rack and one 1-GPU H100 rack: no job above 1 GPU fits one type."""
    return make_scenario(jobs, racks={"A100": 1, "H100": 1}, policy=policy,
                         catalog={"A100": ONE_GPU, "H100": ONE_GPU})


@pytest.mark.parametrize("policy", PER_TYPE)
def test_a_maximum_above_the_type_runs_on_what_the_type_holds(policy):
    # 2 one-GPU A100 racks, a job of 10 A100 GPU-hours allowed 1..4 GPUs: it gets both GPUs
    # (its maximum of 4 does not fit; 2 does): 10 GPU-h / 2 GPUs = 5 h
    job = pool_job("a", 0, 10) | {"min_gpus": 1, "max_gpus": 4}
    scenario = make_scenario([job], racks={"A100": 2}, policy=policy,
                             catalog={"A100": ONE_GPU})
    result = simulate(scenario, check_invariants=True)
    assert result.jobs[0].state == "completed"
    assert result.jobs[0].jct_s == pytest.approx(5 * 3600)


@pytest.mark.parametrize("policy", PER_TYPE)
def test_a_job_spanning_types_alone_runs_as_under_fifo(policy):
    job = pool_job("wide", 0, 4, gpus=2)
    alone = simulate(mixed([job], policy), check_invariants=True).jobs[0]
    reference = simulate(mixed([job], "fifo")).jobs[0]
    assert alone.state == "completed" and alone.mean_gpus == pytest.approx(2)
    assert alone.jct_s == pytest.approx(reference.jct_s)


@pytest.mark.parametrize("policy", PER_TYPE)
def test_a_spanning_job_waits_for_a_type_job_then_runs(policy):
    # a 1-GPU job holds the A100 from t=0 for 3 h; the 2-GPU job (t=1 h) cannot start before it
    # ends, then runs alone; nothing is swapped out under it
    jobs = [pool_job("one", 0, 3), pool_job("wide", 1, 4, gpus=2)]
    result = simulate(mixed(jobs, policy), check_invariants=True)
    one, wide = result.jobs
    assert one.state == wide.state == "completed"
    assert wide.start_s >= one.end_s - 1e-6
    assert wide.interruptions == 0
    assert wide.jct_s - (wide.start_s - wide.submit_s) == pytest.approx(
        simulate(mixed([pool_job("wide", 0, 4, gpus=2)], "fifo")).jobs[0].jct_s)


MEMORY_BOUND = """\
name: fitmix
cluster:
  pod_size_racks: 2
  power: {supply_mw: 2}
  rack_groups: [{gpu_type: GB200, racks: 2}, {gpu_type: GB300, racks: 1}]
jobs:
  - {name: first, params_billion: 8, tokens_billion: 50, min_gpus: 72, max_gpus: 72}
  - {name: big, params_billion: 1000, tokens_billion: 20, min_gpus: 72, max_gpus: 72,
     submit_s: 60}
"""


def test_a_type_the_job_does_not_fit_in_memory_is_never_offered(tmp_path):
    """QA: a 1T model fits in 72 GB300s (288 GB each) but needs 120 GB200s (186 GB). With the
    GB300 rack busy, the placer offered 72 GB200s; the engine refused the start as invalid
    ("does not fit in memory"), and the run charged the policy with it. Now it waits for the
    GB300 rack, with no invalid action."""
    from colossim.api import load_scenario
    from colossim.model.speed import SpeedModel

    path = tmp_path / "fitmix.yaml"
    path.write_text(MEMORY_BOUND)
    scenario = load_scenario(path)
    speed = SpeedModel(scenario)
    big = scenario.jobs[1]
    assert speed.memory_min_gpus(big, "GB300") == 72 < speed.memory_min_gpus(big, "GB200")
    result = simulate(scenario, check_invariants=True)
    assert result.invalid_decisions == 0
    assert result.job("big").state == "completed"
    assert result.job("big").gpus_by_type == {"GB300": 72}


def test_a_grant_smaller_than_asked_is_grown_until_the_job_fits_its_memory(tmp_path):
    """Review: the placer gives what a type has free, which may be fewer GPUs than asked. The
    1T job allowed 144 was given the 72 GB200s left, which it needs 120 of (refused as
    invalid); now it gets 144 GB200s. A 400B job needing 124 GPUs of H100 or A100 (64 each
    here) took 64 A100s and the run stalled; now it runs on a 64 + 64 mix."""
    from colossim.api import load_scenario

    path = tmp_path / "fitmix.yaml"
    path.write_text(MEMORY_BOUND.replace("min_gpus: 72, max_gpus: 72,\n     submit_s: 60",
                                         "min_gpus: 72, max_gpus: 144,\n     submit_s: 60"))
    result = simulate(load_scenario(path), check_invariants=True)
    assert result.invalid_decisions == 0
    assert result.job("big").gpus_by_type == {"GB200": 144}
    two = tmp_path / "two.yaml"
    two.write_text("name: two\n"
                   "cluster: {pod_size_racks: 4, power: {supply_mw: 5},\n"
                   "          rack_groups: [{gpu_type: H100, racks: 1}, "
                   "{gpu_type: A100, racks: 2}]}\n"
                   "jobs: [{name: big, params_billion: 400, tokens_billion: 1, min_gpus: 8, "
                   "max_gpus: 512}]\n")
    result = simulate(load_scenario(two), check_invariants=True)
    assert result.invalid_decisions == 0 and result.job("big").state == "completed"
    assert result.job("big").gpus_by_type == {"H100": 64, "A100": 64}
