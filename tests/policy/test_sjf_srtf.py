"""SJF and SRTF: pure decisions, and the classical single-machine results in the engine."""

from __future__ import annotations

import pytest

from colossim.api import simulate
from colossim.policy.registry import make_policy
from tests.policy.factories import (
    SWITCH_1GPU_S,
    cluster,
    job,
    kinds,
    pool_job,
    pool_scenario,
    racks,
    starts,
)

HOUR = 3600.0


def test_sjf_starts_the_least_remaining_work_first():
    view = cluster([job("a", 0, 1, work=5), job("b", 1, 1, work=3), job("c", 2, 1, work=8)],
                   racks([2]))
    assert starts(make_policy("sjf").decide(view)) == {"b": 1, "a": 1}


def test_sjf_by_time_differs_from_by_work_when_sizes_differ():
    # a: 8 GPU-s on 4 GPUs = 2 s; b: 4 GPU-s on 1 GPU = 4 s. Work says b first, time says a.
    view = cluster([job("a", 0, 4, work=8), job("b", 1, 1, work=4)], racks([4]))
    assert list(starts(make_policy("sjf").decide(view))) == ["b"]
    assert list(starts(make_policy("sjf", {"by": "time"}).decide(view))) == ["a"]


def test_srtf_preempts_the_job_with_more_work_left():
    running = job("a", 0, 1, work=10, done=1, grant=((0, 1),))  # 9 left
    arriving = job("b", 1, 1, work=3, submit_s=1.0)
    view = cluster([running, arriving], racks([1], free=[0]), now_s=1.0)
    assert kinds(make_policy("srtf").decide(view)) == [("preempt", "a"), ("start", "b")]


def test_srtf_keeps_a_shorter_running_job():
    running = job("a", 0, 1, work=10, done=8, grant=((0, 1),))  # 2 left
    view = cluster([running, job("b", 1, 1, work=3)], racks([1], free=[0]))
    assert make_policy("srtf").decide(view) == []


def test_srtf_does_not_preempt_a_job_about_to_finish_given_restart_costs():
    # 9 s left, but checkpoint + restart would cost 10 s: preempting cannot pay off
    running = job("a", 0, 1, work=10, done=1, grant=((0, 1),))
    view = cluster([running, job("b", 1, 1, work=3)], racks([1], free=[0]))
    policy = make_policy("srtf", {"checkpoint_s": 4, "restart_s": 6})
    assert policy.decide(view) == []


# One GPU; jobs (arrival h, length h): A (0, 10), B (1, 3), C (2, 1), D (3, 6).
JOBS = [pool_job("A", 0, 10), pool_job("B", 1, 3), pool_job("C", 2, 1), pool_job("D", 3, 6)]


def mean_jct_h(policy: str, free_switches: bool = True) -> float:
    scenario = pool_scenario(JOBS, policy=policy, free_switches=free_switches)
    result = simulate(scenario, check_invariants=True)
    assert all(j.state == "completed" for j in result.jobs)
    return sum(j.jct_s for j in result.jobs) / len(result.jobs) / HOUR


def test_fifo_mean_jct_by_hand():
    # A 0-10, B 10-13, C 13-14, D 14-20: JCTs 10, 12, 12, 17 -> 51/4
    assert mean_jct_h("fifo") == pytest.approx(51 / 4)


def test_srtf_reaches_the_srpt_optimum_and_beats_fifo():
    # SRPT is optimal for mean flow time on one machine with preemption (Schrage 1968):
    # 0-1 A (9 left); 1-2 B (2 left); C arrives at 2 (1 < 2): 2-3 C; at 3 D arrives:
    # B (2) 3-5; D (6) 5-11; A (9) 11-20. JCTs: A 20, B 4, C 1, D 8 -> 33/4.
    srtf = mean_jct_h("srtf")
    assert srtf == pytest.approx(33 / 4)
    assert srtf <= mean_jct_h("fifo")


def test_srtf_with_switch_costs_pays_one_switch_per_resumed_job():
    # the same schedule, but B (resumed at 3 h) and A (resumed at 11 h) each pause one switch
    # first: B ends 5 h + s, D runs 5 h + s to 11 h + s, A ends 20 h + 2 s: JCTs add 4 s in all
    assert mean_jct_h("srtf", free_switches=False) == pytest.approx(
        33 / 4 + SWITCH_1GPU_S / HOUR, rel=1e-9)


def test_sjf_is_between_without_preemption():
    # non-preemptive SJF: A 0-10 (alone at 0), then C 10-11, B 11-14, D 14-20:
    # JCTs 10, 13, 9, 17 -> 49/4
    assert mean_jct_h("sjf") == pytest.approx(49 / 4)


def test_srtf_preempts_only_the_victims_the_newcomer_needs_keeping_the_better_ranked():
    """QA: victims were freed worst first (W, then P, then Big) until the newcomer fit, and the
    placer, filling racks in index order, then took P's GPU on rack 0 as well as two of Big's
    on rack 1: P (better ranked than W) was preempted with Big while W kept running. Only Big
    is needed (W and P free 2 GPUs, the newcomer needs 3), and with Big's 3 GPUs it needs
    neither P's nor W's. Two racks of 4 GPUs, every GPU busy; time left (work over GPUs): X 1 s
    (ranked above N: no victim), N 10 s, Big 50 s, P 100 s, W 200 s."""
    x = job("X", 0, 3, work=3, done=0, grant=((0, 3),))
    p = job("P", 1, 1, work=100, grant=((0, 1),))
    w = job("W", 2, 1, work=200, grant=((1, 1),))
    big = job("Big", 3, 3, work=150, grant=((1, 3),))
    n = job("N", 4, 3, work=30, submit_s=1.0)
    view = cluster([x, p, w, big, n], racks([4, 4], free=[0, 0]), now_s=1.0)
    for placement in ("any", "spread", "pack"):
        actions = make_policy("srtf", {"by": "time", "placement": placement}).decide(view)
        assert kinds(actions) == [("preempt", "Big"), ("start", "N")], placement
        assert starts(actions) == {"N": 3}


def test_a_victim_is_not_kept_at_the_cost_of_an_elastic_newcomers_size():
    """Review: keeping a victim by placing the newcomer again let an elastic one shrink (N,
    8 to 12 GPUs, got 8 so that A kept running). It keeps the size its first placement gave
    it. Racks of 4, 8 and 4 GPUs, every GPU busy; time left: X 1 s (no victim), B 50 s on 8
    GPUs, A 100 s on 4 (worst): freeing A, then B, gives N its 12."""
    x = job("X", 0, 4, work=4, grant=((2, 4),))
    b = job("B", 1, 8, work=400, grant=((1, 8),))
    a = job("A", 2, 4, work=400, grant=((0, 4),))
    n = job("N", 3, 12, min_gpus=8, work=120, submit_s=1.0)
    view = cluster([x, b, a, n], racks([4, 8, 4], free=[0, 0, 0]), now_s=1.0)
    for placement in ("any", "spread", "pack"):
        actions = make_policy("srtf", {"by": "time", "placement": placement}).decide(view)
        assert kinds(actions) == [("preempt", "A"), ("preempt", "B"), ("start", "N")], placement
        assert starts(actions) == {"N": 12}
