"""Tiresias 2D-LAS: queues by attained GPU-seconds, FIFO within a queue, preemption across."""

from __future__ import annotations

import pytest

from colossim.api import simulate
from colossim.policy.actions import WakeAt
from colossim.policy.registry import make_policy
from tests.policy.factories import (
    SWITCH_1GPU_S,
    cluster,
    job,
    kinds,
    pool_job,
    pool_scenario,
    racks,
)

HOUR = 3600.0


def test_queues_split_at_the_thresholds():
    las = make_policy("las", {"thresholds_gpu_s": [3600, 7200]})
    assert [las.queue(job("j", 0, 1, attained_gpu_s=a)) for a in (0, 3599, 3600, 7199, 9e9)] == [
        0, 0, 1, 1, 2]


def test_a_fresh_job_preempts_one_that_has_had_its_service():
    old = job("old", 0, 2, grant=((0, 2),), attained_gpu_s=8000)  # queue 1
    new = job("new", 1, 2, submit_s=10.0)  # queue 0
    view = cluster([old, new], racks([2], free=[0]), now_s=10.0)
    assert kinds(make_policy("las").decide(view))[:2] == [("preempt", "old"), ("start", "new")]


def test_no_preemption_within_a_queue_order_is_fifo():
    running = job("first", 0, 2, grant=((0, 2),), attained_gpu_s=100, submit_s=0.0)
    waiting = job("second", 1, 2, submit_s=5.0)
    view = cluster([running, waiting], racks([2], free=[0]), now_s=50.0)
    actions = make_policy("las").decide(view)
    assert [a for a in actions if not isinstance(a, WakeAt)] == []


def test_wakes_when_the_running_job_will_drop_a_queue():
    # 1,000 GPU-s attained on 2 GPUs: crosses 3,600 after 1,300 s more
    running = job("first", 0, 2, grant=((0, 2),), attained_gpu_s=1000)
    view = cluster([running, job("second", 1, 2, submit_s=5.0)], racks([2], free=[0]),
                   now_s=500.0)
    assert make_policy("las").decide(view) == [WakeAt(500.0 + 1300.0)]


def test_starving_job_is_promoted_back_to_the_top_queue():
    # ran 2 h on 1 GPU (7,200 GPU-s: queue 1), waiting since t=0. With promote_knob 1 it is
    # promoted once it has waited as long as it ran: at t = 7,200 s.
    starved = job("starved", 0, 1, attained_gpu_s=7200)
    busy = job("busy", 1, 1, grant=((0, 1),), attained_gpu_s=3000, submit_s=1.0)
    las = make_policy("las", {"promote_knob": 1.0})
    early = las.decide(cluster([starved, busy], racks([1], free=[0]), now_s=7000.0))
    assert not any(kind == "preempt" for kind, _ in kinds(early))
    assert WakeAt(7200.0) in early
    late = las.decide(cluster([starved, busy], racks([1], free=[0]), now_s=7200.0))
    assert kinds(late)[:2] == [("preempt", "busy"), ("start", "starved")]


def test_las_lets_a_short_job_overtake_a_long_one_without_knowing_sizes():
    # one GPU, threshold 1 GPU-h: long (10 h) from 0; short (0.5 h) at 2 h. The long job is in
    # queue 1 after 1 h, so the short one preempts it at 2 h and finishes at 2.5 h; the long
    # one resumes and ends at 10.5 h, plus its switch: a 1 GB checkpoint (the 1 GB/GPU of a job
    # without parameters) written at 2 TB/s, a 120 s relaunch, and the read at 7 TB/s.
    jobs = [pool_job("long", 0, 10), pool_job("short", 2, 0.5)]
    result = simulate(pool_scenario(jobs, policy="las"), check_invariants=True)
    assert result.job("short").end_s / HOUR == pytest.approx(2.5)
    assert result.job("long").end_s == pytest.approx(10.5 * HOUR + SWITCH_1GPU_S, rel=1e-12)


def test_ranking_in_one_pass_gives_the_keys_one_by_one():
    # queues split at 100 and 1,000 GPU-s: attained 50 -> queue 0, 100 -> 1 (the tolerance
    # rounds up at a threshold), 5,000 -> 2; a promoted job forgets 4,950 of its 5,000 -> 0
    from colossim.policy.builtin.las import Las

    policy = make_policy("las", {"thresholds_gpu_s": [100.0, 1000.0]})
    jobs = [job("a", 0, 1, attained_gpu_s=50.0, submit_s=3.0),
            job("b", 1, 1, attained_gpu_s=100.0, submit_s=2.0),
            job("c", 2, 1, attained_gpu_s=5000.0, submit_s=1.0)]
    view = cluster(jobs, racks([4]))
    assert policy.rank_keys(jobs, view) == [((0, 3.0), 0), ((1, 2.0), 1), ((2, 1.0), 2)]
    policy._reset["c"] = 4950.0
    assert policy.rank_keys(jobs, view) == [((0, 3.0), 0), ((1, 2.0), 1), ((0, 1.0), 2)]
    assert policy.rank_keys(jobs, view) == [policy.rank_key(j, view) for j in jobs]

    class OneQueue(Las):  # a subclass's own queue is still asked
        def queue(self, job):
            return 0

    other = OneQueue({"thresholds_gpu_s": [100.0, 1000.0]})
    assert other.rank_keys(jobs, view) == [((0, 3.0), 0), ((0, 2.0), 1), ((0, 1.0), 2)]


def test_a_job_started_in_a_decision_is_woken_for_at_its_crossing():
    # 4 GPUs, free switches, threshold 3,600 GPU-s: A (4 GPUs, 0.5 h) from 0; B (the same) at
    # 100 s. A drops to queue 1 at 3,600 / 4 = 900 s and B preempts it; B drops at 900 + 900 =
    # 1,800 s: both in queue 1, A first by submission, so A runs 1,800-2,700 and B 2,700-3,600.
    # The policy asked for no wake when it started B, so B ran on to 2,700 s
    jobs = [pool_job("A", 0, 0.5, gpus=4), pool_job("B", 100 / HOUR, 0.5, gpus=4)]
    result = simulate(pool_scenario(jobs, gpus_per_rack=4, policy="las", free_switches=True),
                      check_invariants=True)
    starts = [(d.time_s, d.action["job"]) for d in result.record.decisions
              if d.action["action"] == "start" and d.verdict == "applied"]
    assert starts == [(0.0, "A"), (pytest.approx(900.0), "B"), (pytest.approx(1800.0), "A"),
                      (pytest.approx(2700.0), "B")]
    assert (result.job("A").end_s, result.job("B").end_s) == (pytest.approx(2700.0),
                                                              pytest.approx(3600.0))


def test_a_job_preempted_by_a_decision_is_woken_for_at_its_promotion():
    """QA: one pool of 32 GPUs, free switches, promote_knob 1. A (32 GPUs) from 0 drops to
    queue 1 at 3,600 / 32 = 112.5 s; B (32 GPUs) arrives at 500 s and preempts it; B drops at
    612.5 s and A, first by submission, preempts it. B has run 112.5 s, so it is due for
    promotion 112.5 s later, at 725 s, and preempts A then. The wake came at 1,000 s (A's due
    time, though A was started by that decision), since the job the decision preempted was not
    counted."""
    jobs = [pool_job("A", 0, 10_000 / HOUR, gpus=32), pool_job("B", 500 / HOUR, 10_000 / HOUR,
                                                                gpus=32)]
    result = simulate(pool_scenario(jobs, gpus_per_rack=32, policy="las",
                                    params={"promote_knob": 1.0}, free_switches=True),
                      check_invariants=True)
    starts = [(d.time_s, d.action["job"]) for d in result.record.decisions
              if d.action["action"] == "start" and d.verdict == "applied"]
    assert starts[:4] == [(0.0, "A"), (pytest.approx(500.0), "B"), (pytest.approx(612.5), "A"),
                          (pytest.approx(725.0), "B")]


@pytest.mark.parametrize("policy", ["las", "srtf", "fifo"])
def test_in_a_dark_facility_no_start_is_planned_and_the_run_stalls_at_once(policy):
    """A facility cap of 0.01 MW is below the small scenario's idle draw (0.264 MW): the
    facility is dark for good and the engine starts nothing. Its four jobs arrive at 0, 1,800,
    3,600 and 7,200 s, so a run that stalls at once makes one decision at each arrival and
    nothing more. QA: ``las`` planned starts the engine refused, counted them as running, and
    woke every 25 s (3,600 GPU-s over 144 GPUs) to see them cross a queue, to the horizon:
    7,716 decisions in 200,000 s."""
    from colossim.api import load_scenario
    from colossim.errors import ColossimWarning

    with pytest.warns(ColossimWarning, match="below the idle facility's draw"):
        scenario = load_scenario("configs/small.yaml", [
            "cluster.power.facility_cap_mw=0.01", "simulation.horizon_s=200000",
            f"scheduler.policy.name={policy}"])
    result = simulate(scenario)
    assert result.decisions == 4  # fifo and srtf made 4, each with starts the engine refused
    assert result.infeasible_decisions == 0 and result.invalid_decisions == 0
    assert all(j.end_s is None for j in result.jobs)
