"""Compare metrics as pure functions, checked against hand arithmetic."""

from __future__ import annotations

import math

import pytest

from colossim.api import simulate
from colossim.metrics.compare import jain_index, run_metrics, stat
from tests.policy.factories import pool_job, pool_scenario

HOUR = 3600.0


def test_jain_index_by_hand():
    assert jain_index([2.0, 2.0, 2.0]) == pytest.approx(1.0)
    # (1 + 3)^2 / (2 x (1 + 9)) = 16 / 20
    assert jain_index([1.0, 3.0]) == pytest.approx(0.8)
    # one job takes it all: 1/n
    assert jain_index([5.0, 0.0, 0.0, 0.0]) == pytest.approx(0.25)
    assert jain_index([]) is None


def test_student_t_interval_by_hand():
    # 1, 2, 3: mean 2, s = 1, t(0.975, 2) = 4.302653: half-width 4.302653 / sqrt(3) = 2.48414
    s = stat([1.0, 2.0, 3.0])
    assert (s.mean, s.n) == (2.0, 3)
    assert s.ci95 == pytest.approx(4.302653 / math.sqrt(3), rel=1e-6)
    assert stat([4.0]).ci95 is None and stat([1.0, None]).mean is None


def test_deadlines_met_is_the_share_of_jobs_with_a_deadline_that_met_it():
    # one GPU, fifo: a 0-2 h, b 2-3 h, c 3-4 h. a's deadline 2 h: met (at it exactly); b's
    # 2.5 h: missed; c has none. One of two: 0.5. With no deadline at all: none (not 0 or 1).
    jobs = [pool_job("a", 0, 2, deadline_s=2 * HOUR), pool_job("b", 0, 1, deadline_s=2.5 * HOUR),
            pool_job("c", 0, 1)]
    result = simulate(pool_scenario(jobs))
    assert run_metrics(result, {}).deadlines_met == 0.5
    assert run_metrics(simulate(pool_scenario([pool_job("a", 0, 2)])), {}).deadlines_met is None
    # review: a run cut at 2.5 h leaves c (due at 10 h, it would end at 4 h) not yet due, not
    # missed; b (due at 2.5 h, unfinished) missed: 1 of 2
    jobs[2] = pool_job("c", 0, 1, deadline_s=10 * HOUR)
    cut = pool_scenario(jobs).model_copy(deep=True)
    cut = cut.model_copy(update={"simulation": cut.simulation.model_copy(
        update={"horizon_s": 2.5 * HOUR})})
    result = simulate(cut)
    assert result.job("c").deadline_met is None and result.job("b").deadline_met is False
    assert run_metrics(result, {}).deadlines_met == 0.5


def test_a_share_below_one_never_reads_100_per_cent():
    from colossim.cli.render_compare import share

    assert share(299 / 300) == "99.7%" and share(0.9996) == ">99.9%" and share(1.0) == "100.0%"
    assert share(0.0004) == "<0.1%" and share(0.0) == "0.0%" and share(0.5) == "50.0%"


def test_run_metrics_on_a_hand_computed_fifo_run():
    # one GPU: a (0 h, 2 h), b (0 h, 1 h). FIFO: a 0-2, b 2-3. JCTs 2 h and 3 h; waits 0 and 2 h.
    # Ideal times 2 h and 1 h -> slowdowns 1 and 3 -> Jain 0.8. Lower bound: 3 h of work on one
    # GPU -> makespan ratio 1. Utilisation 100%.
    result = simulate(pool_scenario([pool_job("a", 0, 2), pool_job("b", 0, 1)]))
    m = run_metrics(result, {"a": 2 * HOUR, "b": 1 * HOUR})
    assert m.mean_jct_s == pytest.approx(2.5 * HOUR)
    assert m.p95_jct_s == pytest.approx((2 + 0.95 * 1) * HOUR)
    assert m.mean_queue_s == pytest.approx(1 * HOUR)
    assert m.jain_slowdown == pytest.approx(0.8)
    assert m.makespan_ratio == pytest.approx(1.0)
    assert m.gpu_utilization == pytest.approx(1.0)
    assert (m.completed, m.jobs) == (2, 2)


def test_time_queued_counts_the_waits_after_a_preemption():
    # one GPU, SRTF, free switches: x 0-0.5 h; a (2 h, at 0.2) starts at 0.5; s1 (1 h, at 0.8)
    # is shorter than a's 1.7 h left, so a is preempted 0.8-1.8 and ends at 3.5; long (5 h, at
    # 0.1) runs 3.5-8.5. Queued: x 0, long 3.4 h, a 0.3 + 1.0 = 1.3 h, s1 0: mean 4.7 / 4 h.
    # The queueing delay (first start) misses a's second wait: (0 + 3.4 + 0.3 + 0) / 4 h.
    from colossim.metrics.compare import queued_s

    jobs = [pool_job("x", 0, 0.5), pool_job("long", 0.1, 5), pool_job("a", 0.2, 2),
            pool_job("s1", 0.8, 1)]
    result = simulate(pool_scenario(jobs, policy="srtf", free_switches=True))
    queued = queued_s(result)
    assert queued == pytest.approx({"x": 0.0, "long": 3.4 * HOUR, "a": 1.3 * HOUR, "s1": 0.0})
    m = run_metrics(result, {})
    assert m.mean_queued_s == pytest.approx(4.7 / 4 * HOUR)
    assert m.mean_queue_s == pytest.approx(3.7 / 4 * HOUR)


def test_a_job_still_pending_at_the_end_is_queued_to_the_end():
    # one GPU, FIFO, a horizon of 2.5 h: a (0 h, 2 h) runs 0-2; b (0 h, 2 h) starts at 2 and is
    # cut at 2.5; c (1 h, 1 h) waits from 1 h to the end: 1.5 h. Queued: 0, 2 h, 1.5 h.
    from colossim.metrics.compare import queued_s

    jobs = [pool_job("a", 0, 2), pool_job("b", 0, 2), pool_job("c", 1, 1)]
    scenario = pool_scenario(jobs)
    scenario = scenario.model_copy(update={"simulation": scenario.simulation.model_copy(
        update={"horizon_s": 2.5 * HOUR})})
    result = simulate(scenario)
    assert queued_s(result) == pytest.approx({"a": 0.0, "b": 2 * HOUR, "c": 1.5 * HOUR})


def test_a_job_that_never_arrived_before_the_horizon_is_not_queued():
    # as above, plus d submitted at 3 h, after the 2.5 h horizon (a trace cut to a window): it
    # was never pending, so the mean queued is (0 + 2 + 1.5) / 3 h, not / 4; it was below the
    # mean wait of the jobs that started, (0 + 2) / 2 h, which a job's queued time includes
    jobs = [pool_job("a", 0, 2), pool_job("b", 0, 2), pool_job("c", 1, 1), pool_job("d", 3, 1)]
    scenario = pool_scenario(jobs)
    scenario = scenario.model_copy(update={"simulation": scenario.simulation.model_copy(
        update={"horizon_s": 2.5 * HOUR})})
    m = run_metrics(simulate(scenario), {})
    assert m.mean_queued_s == pytest.approx(3.5 / 3 * HOUR)
    assert m.mean_queue_s == pytest.approx(1.0 * HOUR)


def test_a_job_allowed_more_gpus_than_the_cluster_has_is_judged_on_the_cluster():
    # One rack of 72 GB200. a (72 GPU-h, max 144 GPUs) alone on the whole cluster 0-1 h; b (72
    # GPU-h, max 72) 1-2 h. Ideal times on this cluster: 1 h each (a cannot get 144 GPUs), so
    # slowdowns 1 and 2 and Jain (1 + 2)^2 / (2 (1 + 4)) = 0.9. Taken at 144 GPUs, a's ideal
    # was 0.5 h: slowdown 2 for a job that never waited, and Jain 1.0.
    from colossim.api import run_scenario
    from colossim.config.schema import Scenario
    from colossim.metrics.compare import ideal_times_s, run_metrics
    from colossim.metrics.summary import summarize

    scenario = Scenario.model_validate({
        "name": "big",
        "cluster": {"pod_size_racks": 1, "rack_groups": [{"gpu_type": "GB200", "racks": 1}],
                    "power": {"supply_mw": 1.0}},
        "jobs": [{"name": "a", "work_gpu_hours": 72, "reference_gpu": "GB200",
                  "min_gpus": 72, "max_gpus": 144},
                 {"name": "b", "work_gpu_hours": 72, "reference_gpu": "GB200",
                  "min_gpus": 72, "max_gpus": 72}],
        "scheduler": {"switch_costs": {"enabled": False}},
    })
    out = run_scenario(scenario)
    ideal = ideal_times_s(out.state)
    assert ideal == pytest.approx({"a": HOUR, "b": HOUR})
    m = run_metrics(summarize(out, policy="fifo"), ideal)
    assert m.jain_slowdown == pytest.approx(0.9)
    assert m.mean_jct_s == pytest.approx(1.5 * HOUR)
