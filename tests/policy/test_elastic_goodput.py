"""Elastic goodput: GPUs go where the speedup objective gains most; resizes weigh restarts."""

from __future__ import annotations

import math

from colossim.policy.actions import Resize, Start
from colossim.policy.registry import make_policy
from tests.policy.factories import cluster, job, racks


def sizes(actions) -> dict[str, int]:
    return {a.job: sum(n for _, n in a.grant) for a in actions if isinstance(a, Start | Resize)}


def test_fairness_exponent_splits_or_concentrates_a_linear_speedup():
    # two elastic jobs (1..4 GPUs) on 4 GPUs, rate = GPUs: speedup = GPUs / 1.
    # p = -1 (sum of -1/S): the job with the lower speedup always gains more: 2 and 2.
    # p = 1 (sum of S): every GPU gains 1 wherever it goes; ties go to the earlier job: 3 and 1.
    jobs = [job("a", 0, 4, min_gpus=1), job("b", 1, 4, min_gpus=1)]
    fair = make_policy("elastic-goodput", {"fairness_p": -1}).decide(cluster(jobs, racks([4])))
    assert sizes(fair) == {"a": 2, "b": 2}
    greedy = make_policy("elastic-goodput", {"fairness_p": 1}).decide(cluster(jobs, racks([4])))
    assert sizes(greedy) == {"a": 3, "b": 1}


def test_concave_speedups_by_marginal_gain():
    # rate = sqrt(GPUs) x weight: a's curve is 4x steeper. With p = 1 the objective is
    # sqrt(g_a) + sqrt(g_b) (speedups over min 1 GPU); greedy unit steps on 5 GPUs, both at 1:
    # marginal gains sqrt(2)-1 = 0.414 each (tie -> a: 2), then a: sqrt3-sqrt2 = 0.318 vs
    # b: 0.414 -> b: 2, then a 0.318 vs b 0.318 (tie -> a: 3). Result a 3, b 2.
    def rate(cfg, by_type):
        g = sum(by_type.values())
        return math.sqrt(g) * (4.0 if cfg.name == "a" else 1.0)

    jobs = [job("a", 0, 4, min_gpus=1), job("b", 1, 4, min_gpus=1)]
    actions = make_policy("elastic-goodput", {"fairness_p": 1}).decide(
        cluster(jobs, racks([5]), rate_fn=rate))
    assert sizes(actions) == {"a": 3, "b": 2}


def test_a_running_job_shrinks_to_admit_a_newcomer():
    running = job("a", 0, 4, min_gpus=1, grant=((0, 4),))
    arriving = job("b", 1, 4, min_gpus=1, submit_s=5.0)
    actions = make_policy("elastic-goodput").decide(
        cluster([running, arriving], racks([4], free=[0]), now_s=5.0))
    assert [type(a).__name__ for a in actions] == ["Resize", "Start"]
    assert sizes(actions) == {"a": 2, "b": 2}


def test_growth_only_when_it_saves_more_than_a_restart():
    # a runs on 2 of 4 GPUs with 100 GPU-s left: 50 s at 2 GPUs, 25 s at 4: growing saves 25 s
    running = job("a", 0, 4, min_gpus=1, work=200, done=100, grant=((0, 2),))
    view = cluster([running], racks([4], free=[2]))
    assert sizes(make_policy("elastic-goodput", {"restart_s": 10}).decide(view)) == {"a": 4}
    assert make_policy("elastic-goodput", {"restart_s": 30}).decide(view) == []
