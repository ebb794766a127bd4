"""Jobs left below their max_gpus beside idle GPUs (``metrics.undersized``), by hand."""

from __future__ import annotations

import pytest

from colossim.api import simulate
from colossim.metrics.undersized import Undersized, undersized_jobs
from tests.policy.factories import pool_job, pool_scenario


def _elastic(name: str, gpu_hours: float, most: int) -> dict:
    return {**pool_job(name, 0.0, gpu_hours), "min_gpus": 1, "max_gpus": most}


def _scenario(policy: str = "fifo"):
    """6 one-GPU racks: ``a`` takes 5 for 4 h, ``b`` (40 GPU-hours, up to 3 GPUs) gets the one
    left. Under fifo ``b`` stays on it for 40 h; from hour 4 five GPUs are idle: 5 x 36 / 40 =
    4.5 on average over its run, more than the 2 it lacked."""
    return pool_scenario([pool_job("a", 0.0, 4.0, gpus=5), _elastic("b", 40.0, 3)],
                         racks=6, policy=policy, free_switches=True)


def _found(policy: str) -> list[Undersized]:
    scenario = _scenario(policy)
    result = simulate(scenario)
    return undersized_jobs(result, {j.name: j.max_gpus for j in scenario.jobs},
                           {j.name: j.min_gpus for j in scenario.jobs})


def test_a_job_never_grown_beside_idle_gpus_is_found():
    [found] = _found("fifo")
    assert (found.job, found.max_gpus) == ("b", 3)
    assert found.mean_gpus == pytest.approx(1.0)
    assert found.idle_gpus == pytest.approx(5 * 36 / 40)
    assert found.days == pytest.approx(40 / 24)


def test_a_job_the_policy_grows_is_not():
    assert _found("elastic-goodput") == []


def test_the_run_says_which_job_and_why():
    from colossim.cli.run import run_notes

    scenario = _scenario()
    notes = run_notes(simulate(scenario), scenario.simulation.horizon_s, scenario=scenario)
    assert notes == [
        "[yellow]ran below their max_gpus beside idle GPUs[/yellow]: b on 1 GPU on average, 33% "
        "of its max_gpus (3), for 1.7 days beside 4 idle GPUs on average. fifo started them on "
        "the GPUs free then and never resized them (and the built-in placers keep a job on one "
        "GPU type where one holds its min_gpus, so idle GPUs of another type stay idle); a "
        "policy that grows running jobs (elastic-goodput) uses idle GPUs of their type "
        "(docs/policies.md#placement)"]


@pytest.mark.parametrize("spare", [{"cluster": {"spare_racks": 1}},
                                   {"reliability": {"spares": {"racks_per_pod": 1}}}])
def test_a_spare_rack_is_no_idle_gpus_a_policy_could_give(spare):
    """QA: of 2 racks one is a spare, and the job (72 to 144 GPUs) runs on the other: it is on
    every GPU a policy may give, not "beside 72 idle GPUs"; elastic-goodput cannot grow it."""
    from tests.conftest import make_scenario
    from tests.reliability.helpers import quiet

    job = {"name": "j", "work_gpu_hours": 144, "reference_gpu": "GB200", "min_gpus": 72,
           "max_gpus": 144, "checkpoint": {"interval_s": None}}
    reliability = quiet(**spare.get("reliability", {}))
    scenario = make_scenario([job], racks=2, pod_size_racks=2, reliability=reliability,
                             cluster=spare.get("cluster", {}))
    result = simulate(scenario)
    assert result.cluster.usable_gpus == 72 and result.job("j").mean_gpus == 72
    assert undersized_jobs(result, {"j": 144}, {"j": 72}) == []


def test_a_job_on_the_most_whole_domains_it_can_hold_is_not_said_to_run_below_them():
    """QA: up to 100 GPUs in whole 72-GPU domains, the job holds 72 of 2 racks' 144: the run
    said it ran at 72% of its max_gpus beside 72 idle GPUs, though no policy could give it
    more (a second domain would make 144 > 100)."""
    from colossim.cli.run import run_notes
    from tests.conftest import make_scenario

    job = {"name": "j", "work_gpu_hours": 72, "reference_gpu": "GB200", "min_gpus": 1,
           "max_gpus": 100}
    scenario = make_scenario([job], racks=2)
    result = simulate(scenario)
    assert result.job("j").mean_gpus == 72
    notes = run_notes(result, scenario.simulation.horizon_s, scenario=scenario)
    assert not [n for n in notes if "below their max_gpus" in n]


def test_the_note_names_the_gpus_a_job_can_hold_when_its_max_gpus_is_no_whole_number_of_racks():
    """b (72 to 150 GPUs, so whole 72-GPU domains: 144 at most) starts on the one rack a (2
    racks, 1 h) leaves and stays there for 40 h beside 2 idle racks: 50% of the 144 it can
    hold, not 48% of 150."""
    from colossim.cli.run import run_notes
    from tests.conftest import make_scenario

    jobs = [{"name": "a", "work_gpu_hours": 144, "reference_gpu": "GB200", "min_gpus": 144,
             "max_gpus": 144},
            {"name": "b", "work_gpu_hours": 72 * 40, "reference_gpu": "GB200", "min_gpus": 72,
             "max_gpus": 150, "submit_s": 1.0}]
    scenario = make_scenario(jobs, racks=3, pod_size_racks=3)
    result = simulate(scenario)
    assert result.job("b").mean_gpus == 72
    [note] = [n for n in run_notes(result, scenario.simulation.horizon_s, scenario=scenario)
              if "below their max_gpus" in n]
    assert "b on 72 GPUs on average, 50% of the 144 GPUs it can hold (max_gpus 150), for " \
           "1.7 days beside 140 idle GPUs on average" in note  # 144 idle for 39 of 40 h
