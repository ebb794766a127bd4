"""Gavel max-min fairness: the LP against a hand solution, and the round mechanism."""

from __future__ import annotations

import numpy as np
import pytest

from colossim.api import simulate
from colossim.policy.builtin._maxmin_lp import equal_share_throughput, max_min_allocation
from colossim.policy.registry import make_policy
from tests.policy.factories import cluster, job, kinds, pool_job, pool_scenario, racks

# Two GPU types: F (1 GPU) and S (2 GPUs). Two 1-GPU jobs; throughputs (F, S):
# A = (2, 1), B = (4, 1): B gains more from the fast type.
THROUGHPUT = np.array([[2.0, 1.0], [4.0, 1.0]])
SCALE = np.array([1, 1])
CAPACITY = np.array([1, 2])


def test_equal_share_normaliser_by_hand():
    # X_eq = capacity / (n scale) = (1/2, 1) per job, row sum 1.5 > 1, scaled to (1/3, 2/3):
    # R_A = 2/3 + 2/3 = 4/3, R_B = 4/3 + 2/3 = 2
    r = equal_share_throughput(THROUGHPUT, SCALE, CAPACITY)
    assert r == pytest.approx([4 / 3, 2.0])


def test_lp_matches_the_hand_solution():
    # Both jobs fill their rows (S has room); only F is contended. With x = A's share of F:
    # A = 2x + (1 - x) = 1 + x, B = 4(1 - x) + x = 4 - 3x. Max-min of (1+x)/(4/3) and
    # (4-3x)/2: equal at 3(1+x)/4 = (4-3x)/2 -> 3 + 3x = 8 - 6x -> x = 5/9, t = (14/9)(3/4) = 7/6.
    x, t = max_min_allocation(THROUGHPUT, SCALE, CAPACITY)
    assert t == pytest.approx(7 / 6, rel=1e-7)
    assert x == pytest.approx(np.array([[5 / 9, 4 / 9], [4 / 9, 5 / 9]]), abs=1e-7)
    # and it beats the equal split, where both normalised throughputs are 1
    assert t > 1.0


def test_lp_respects_capacity_and_scale():
    # a 2-GPU job cannot use the 1-GPU type at all
    x, _ = max_min_allocation(np.array([[1.0, 1.0]]), np.array([2]), np.array([1, 2]))
    assert x[0, 0] == 0.0 and x[0, 1] == pytest.approx(1.0)


def rates(per_gpu: dict[tuple[str, str], float]):
    return lambda cfg, by_type: sum(per_gpu[(cfg.name, t)] * n for t, n in by_type.items())


RATES = rates({("A", "F"): 2.0, ("A", "S"): 1.0, ("B", "F"): 4.0, ("B", "S"): 1.0})
RACKS = dict(gpu_types=("F", "S"), types=[0, 1])


def test_first_round_then_swap_to_follow_the_shares():
    policy = make_policy("max-min-fair")
    jobs = [job("A", 0, 1), job("B", 1, 1)]
    first = policy.decide(cluster(jobs, racks([1, 2], **RACKS), rate_fn=RATES))
    # nothing received yet: the largest shares go first: A on F (5/9), then B on S (5/9)
    assert kinds(first)[:2] == [("start", "A"), ("start", "B")]
    assert first[0].grant == ((0, 1),) and first[1].grant == ((1, 1),)
    # one round later each has had 100% of its time on one type: A's unmet share of S (4/9 vs 0)
    # and B's of F come first now, so both move
    later = [job("A", 0, 1, grant=((0, 1),)), job("B", 1, 1, grant=((1, 1),))]
    second = policy.decide(cluster(later, racks([1, 2], free=[0, 1], **RACKS), now_s=360.0,
                                   rate_fn=RATES))
    assert kinds(second) == [("preempt", "A"), ("preempt", "B"), ("start", "A"), ("start", "B"),
                             ("wakeat", "720.0")]
    assert second[2].grant == ((1, 1),) and second[3].grant == ((0, 1),)


def test_time_sharing_one_gpu_in_rounds():
    # two 10-h jobs on one GPU, both at t=0: each gets half the rounds, so both finish near 20 h
    # (the last round decides who ends first), far later than one alone
    jobs = [pool_job("a", 0, 10), pool_job("b", 0, 10)]
    # (switches free: this is about the rounds; each swap would otherwise cost a restart)
    result = simulate(pool_scenario(jobs, policy="max-min-fair", params={"round_s": 3600},
                                    free_switches=True), check_invariants=True)
    ends = sorted(j.end_s / 3600 for j in result.jobs)
    assert ends[0] == pytest.approx(19, abs=1.0) and ends[1] == pytest.approx(20)


def test_priority_weights_of_any_size_give_the_same_shares():
    # weights are 1 + priority: priorities 0 and 2 weigh 1 and 3, and 10^15 - 1 and
    # 3 x 10^15 - 1 weigh 10^15 and 3 x 10^15, the same 1:3, so the same shares. The huge ones
    # made HiGHS refuse the LP ("Model error") and the run fail; the policy now divides the
    # weights by the largest before solving.
    def shares(priorities):
        jobs = [job("A", 0, 1, priority=priorities[0]), job("B", 1, 1, priority=priorities[1])]
        policy = make_policy("max-min-fair", {"weights": "priority"})
        policy.decide(cluster(jobs, racks([1, 2], **RACKS), rate_fn=RATES))
        return policy.allocation

    small, huge = shares((0, 2)), shares((10**15 - 1, 3 * 10**15 - 1))
    assert set(small) == set(huge) == {"A", "B"}
    for name in small:
        assert huge[name] == pytest.approx(small[name], abs=1e-6)
