"""Regression tests for the shortest-first policy, using colossim's pytest plugin.

By hand (jobs run one at a time on all 144 GPUs): short 0-1,800 s, mid 1,800-5,400 s, long
5,400-12,600 s. Mean JCT (1,800 + 5,400 + 12,600) / 3 = 6,600 s; fifo would give 9,600 s.
"""

from pathlib import Path

import pytest

TOY = Path(__file__).resolve().parents[1] / "scenarios" / "toy.yaml"
POLICY_METRICS = ["makespan_s", "mean_jct_s", "max_jct_s", "jobs_completed", "gpu_utilization",
                  "jct_s.long", "jct_s.mid", "jct_s.short"]


def test_shortest_first_matches_its_baseline(run_policy, assert_invariants, policy_baseline):
    result = run_policy("shortest-first", TOY)
    assert_invariants(result, feasible_decisions=True)  # nor asked for GPUs that were not free
    policy_baseline(result, "toy-shortest-first", metrics=POLICY_METRICS)


def test_shortest_first_by_hand(run_policy):
    result = run_policy("shortest-first", TOY)
    assert [result.job(n).end_s for n in ("short", "mid", "long")] == [1_800, 5_400, 12_600]


@pytest.mark.parametrize("seed", [0, 1])
def test_every_installed_policy_keeps_every_invariant(colossim_policy, seed, run_policy,
                                                      assert_invariants):
    assert_invariants(run_policy(colossim_policy, TOY, seed=seed))
