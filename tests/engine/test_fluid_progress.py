"""Engine progress against hand-computed completion times on 2-3 rack scenarios.

Speed stand-in: GPUs x peak x efficiency. GB200 BF16 peak is 2,500 TFLOP/s and the test scenarios
use efficiency 0.5, so one GB200 GPU does 1.25e15 FLOP/s; an NVL72 rack 9.0e16 FLOP/s.
Work is 6 x params x tokens.
"""

from __future__ import annotations

import pytest

from colossim.api import simulate
from tests.conftest import make_scenario

PER_GPU = 2500e12 * 0.5  # FLOP/s of one GB200 at efficiency 0.5 (BF16)


def llm(name, params_b, tokens_b, gpus, min_gpus=None, **kw):
    return {
        "name": name,
        "params_billion": params_b,
        "tokens_billion": tokens_b,
        "min_gpus": min_gpus or gpus,
        "max_gpus": gpus,
        **kw,
    }


def test_single_job_finishes_at_work_over_rate():
    # 10B params x 90B tokens x 6 = 5.4e21 FLOPs on 72 GPUs at 1.25e15 = 9.0e16 FLOP/s -> 60,000 s
    result = simulate(make_scenario([llm("a", 10, 90, 72)]), check_invariants=True)
    job = result.job("a")
    assert job.end_s == pytest.approx(60_000.0, rel=1e-12)
    assert job.jct_s == pytest.approx(60_000.0, rel=1e-12)
    assert job.gpu_hours == pytest.approx(72 * 60_000 / 3600, rel=1e-12)
    assert result.makespan_s == pytest.approx(60_000.0, rel=1e-12)


def test_fifo_queues_second_job_until_first_releases():
    # Two racks; job a takes both (144 GPUs): 5.4e21 / (144 x 1.25e15) = 30,000 s.
    # Job b (submitted at 100 s, 72 GPUs, 2.7e21 FLOPs) waits, then runs 2.7e21 / 9e16 = 30,000 s.
    jobs = [llm("a", 10, 90, 144), llm("b", 10, 45, 72, submit_s=100.0)]
    result = simulate(make_scenario(jobs, racks=2), check_invariants=True)
    a, b = result.job("a"), result.job("b")
    assert a.end_s == pytest.approx(30_000.0)
    assert b.start_s == pytest.approx(30_000.0)
    assert b.end_s == pytest.approx(60_000.0)
    assert b.jct_s == pytest.approx(60_000.0 - 100.0)
    # utilisation: 144 of 144 GPUs for 30,000 s, then 72 for 30,000 s
    assert result.cluster.gpu_utilization == pytest.approx(
        (144 * 30_000 + 72 * 30_000) / 144 / 60_000
    )


def test_three_racks_jobs_run_side_by_side():
    # 3 racks: a (72 GPUs, 2.7e21) and b (144 GPUs, 5.4e21) both finish at 30,000 s.
    jobs = [llm("a", 10, 45, 72), llm("b", 10, 90, 144)]
    result = simulate(make_scenario(jobs, racks=3), check_invariants=True)
    assert result.job("a").end_s == pytest.approx(30_000.0)
    assert result.job("b").end_s == pytest.approx(30_000.0)
    assert result.job("b").start_s == 0.0


def test_elastic_job_starts_below_max_when_cluster_is_partly_busy():
    # a holds one of two racks; b wants up to 144 but accepts 72: it starts at once on 72.
    jobs = [llm("a", 10, 45, 72), llm("b", 10, 45, 144, min_gpus=72, submit_s=10.0)]
    result = simulate(make_scenario(jobs, racks=2), check_invariants=True)
    b = result.job("b")
    assert b.start_s == 10.0
    assert b.mean_gpus == 72
    assert b.end_s == pytest.approx(10.0 + 2.7e21 / (72 * PER_GPU))


def test_fp8_runs_at_fp8_peak():
    # FP8 peak of GB200 is 5,000 TFLOP/s: twice as fast as BF16.
    result = simulate(make_scenario([llm("a", 10, 90, 72, precision="fp8")]))
    assert result.job("a").end_s == pytest.approx(5.4e21 / (72 * 5000e12 * 0.5))


def test_trace_style_job_runs_its_duration():
    # 72 GPU-hours on GB200 at 8 GPUs: exactly 9 hours.
    job = {"name": "t", "work_gpu_hours": 72, "reference_gpu": "GB200", "max_gpus": 8}
    result = simulate(make_scenario([job], racks=1))
    assert result.job("t").end_s == pytest.approx(9 * 3600.0)


def test_mixed_gpu_types_run_at_the_slower_pace():
    # A100 (312 TFLOP/s BF16) and GB200 in one cluster; job needs GPUs of both types.
    # 1 GB200 rack (72) + 1 A100 rack (32): 104 GPUs run at the A100 pace.
    job = {
        "name": "m",
        "params_billion": 1,
        "tokens_billion": 10,
        "min_gpus": 104,
        "max_gpus": 104,
        "placement": "gpu",
    }
    scenario = make_scenario([job], racks={"GB200": 1, "A100": 1}, pod_size_racks=2)
    result = simulate(scenario, check_invariants=True)
    assert result.job("m").end_s == pytest.approx(6e19 / (104 * 312e12 * 0.5))


def test_energy_is_power_integral():
    # One rack, pue 1.0: busy 72 x 1,200 W + 45,600 W overhead = 132,000 W for 60,000 s.
    result = simulate(make_scenario([llm("a", 10, 90, 72)], racks=1))
    assert result.cluster.peak_power_mw == pytest.approx(0.132)
    assert result.cluster.energy_mwh == pytest.approx(0.132 * 60_000 / 3600)


def test_lower_bound_is_a_bound_and_tight_for_one_job():
    result = simulate(make_scenario([llm("a", 10, 90, 72)], racks=1))
    assert result.makespan_lower_bound_s == pytest.approx(60_000.0)
    jobs = [llm("a", 10, 90, 144), llm("b", 10, 45, 72, submit_s=100.0)]
    result = simulate(make_scenario(jobs, racks=2))
    # total work 5.4e21 + 2.7e21 = 8.1e21 FLOPs = 6.48e6 GPU-s at 1.25e15 FLOP/s per GPU,
    # over 144 GPUs = 45,000 s (> the per-job bound of 30,000 s)
    assert result.makespan_lower_bound_s == pytest.approx(45_000.0)
    assert result.makespan_s >= result.makespan_lower_bound_s


def test_lower_bound_uses_only_gpus_the_cluster_has():
    """2 GB200 racks (144 GPUs) and 1 GB300 rack (72), FP4 (dense 10 and 15 PFLOP/s), linear
    speed at efficiency 0.5. A job of 6 x 1e9 x 1e12 = 6e21 FLOPs on up to 144 GPUs: 144 GB300
    do not exist; 72 GB300 give 72 x 7.5e15 = 5.4e17 FLOP/s, 144 GB200 (or 72 of each, paced by
    the GB200) 144 x 5e15 = 7.2e17: the bound is 6e21 / 7.2e17 = 8,333 s, not the 5,556 s of
    144 GB300 (6e21 / 1.08e18). The cluster bound, 6e21 / 7.5e15 / 216 = 3,704 s, is lower."""
    from colossim.engine.state import RunState
    from colossim.metrics.bounds import makespan_lower_bound_s

    job = {"name": "a", "params_billion": 1, "tokens_billion": 1000, "precision": "fp4",
           "min_gpus": 72, "max_gpus": 144}
    state = RunState(make_scenario([job], racks={"GB200": 2, "GB300": 1}))
    assert makespan_lower_bound_s(state) == pytest.approx(6e21 / 7.2e17)


def test_lower_bound_counts_only_the_whole_domains_a_job_can_hold():
    """A job of 1 to 100 GPUs takes whole 72-GPU domains (its max_gpus fills one), so on 2
    GB200 racks it holds 72 at most: 10 x 90e9 x 6 = 5.4e21 FLOPs at 72 x 1.25e15 FLOP/s is
    60,000 s, the schedule fifo finds. QA: the bound took 100 GPUs (43,200 s), and a deadline
    of 50,000 s, out of reach, went unwarned."""
    import warnings

    from colossim.load_warnings import warn_about

    job = {**llm("a", 10, 90, 72), "min_gpus": 1, "max_gpus": 100, "deadline_s": 50_000.0}
    scenario = make_scenario([job], racks=2)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        warn_about(scenario)
    assert any("cannot meet its deadline_s" in str(w.message) for w in seen)
    result = simulate(scenario)
    assert result.job("a").mean_gpus == 72
    assert result.makespan_lower_bound_s == pytest.approx(60_000.0)
    assert result.makespan_s == pytest.approx(60_000.0)


def test_job_that_never_fits_stays_pending_without_hanging():
    # Two racks but a and b each need both; b arrives while a runs; horizon ends the run.
    jobs = [llm("a", 10, 90, 144)]
    scenario = make_scenario(jobs, racks=2, simulation={"horizon_s": 1000.0})
    result = simulate(scenario)
    assert result.job("a").state == "running"
    assert result.makespan_s is None
    assert result.end_s == 1000.0
    assert result.job("a").work_done_flops == pytest.approx(1000.0 * 144 * PER_GPU)


def test_same_seed_same_result_and_events_are_few():
    jobs = [llm(f"j{i}", 1, 10 + i, 72, submit_s=100.0 * i) for i in range(6)]
    first = simulate(make_scenario(jobs, racks=2)).to_dict()
    second = simulate(make_scenario(jobs, racks=2)).to_dict()
    first.pop("wall_s"), second.pop("wall_s")
    assert first == second
    # fluid: a handful of events per job, independent of simulated time
    assert first["events"] <= 6 * 6
