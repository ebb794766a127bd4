"""Progressive filling against hand-solved instances, and the max-min properties over random ones.

Max-min fairness (Bertsekas & Gallager, *Data Networks*, s6.5.2): an allocation is max-min fair
iff it is feasible and every job is at its cap or has a bottleneck: a saturated resource it uses
on which no other user has a higher rate. Equivalently no job can gain without a job whose rate
is no larger losing, which the perturbation check below tests directly.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from colossim.model.fabric import max_min_fair

INF = np.inf


def solve(capacity, usage, caps):
    return max_min_fair(np.array(capacity, float), np.array(usage, float), np.array(caps, float))


def test_two_flows_share_one_link_equally():
    assert solve([10], [[1], [1]], [INF, INF]) == pytest.approx([5, 5])


def test_a_capped_flow_leaves_its_unused_share_to_the_other():
    assert solve([10], [[1], [1]], [2, INF]) == pytest.approx([2, 8])


def test_the_classic_three_link_line():
    # links A, B (capacity 1 each); flow 0 uses both, flow 1 only A, flow 2 only B:
    # everyone rises to 1/2, saturating both links at once.
    assert solve([1, 1], [[1, 1], [1, 0], [0, 1]], [INF] * 3) == pytest.approx([0.5, 0.5, 0.5])


def test_a_bottleneck_elsewhere_frees_capacity_downstream():
    # link A (cap 1) shared by flows 0 and 1; link B (cap 3) by flows 1 and 2.
    # A saturates at 1/2 (flows 0, 1 frozen); flow 2 takes B's rest: 3 - 1/2 = 5/2.
    assert solve([1, 3], [[1, 0], [1, 1], [0, 1]], [INF] * 3) == pytest.approx([0.5, 0.5, 2.5])


def test_weights_are_gpus_per_unit_of_rate():
    # a job with 3 GPUs crossing and one with 1, on 8 units of capacity: per-GPU rates equal,
    # 3x + x = 8 -> x = 2 (the 3-GPU job carries 6, the other 2)
    assert solve([8], [[3], [1]], [INF, INF]) == pytest.approx([2, 2])


def test_a_dead_link_gives_its_users_nothing_and_others_everything():
    assert solve([0, 4], [[1, 0], [0, 1], [1, 1]], [INF] * 3) == pytest.approx([0, 4, 0])


def test_no_resources_means_the_cap():
    assert solve([], np.zeros((2, 0)), [3, 7]) == pytest.approx([3, 7])


instances = st.integers(1, 6).flatmap(lambda jobs: st.integers(1, 5).flatmap(
    lambda res: st.tuples(
        st.lists(st.floats(0.0, 100.0), min_size=res, max_size=res),
        st.lists(st.lists(st.sampled_from([0.0, 0.0, 0.5, 1.0, 2.0, 72.0]), min_size=res,
                          max_size=res), min_size=jobs, max_size=jobs),
        st.lists(st.one_of(st.just(1e6), st.floats(0.0, 50.0)), min_size=jobs,
                 max_size=jobs),  # caps are finite: every job has a NIC
    )))


def check_max_min(capacity, usage, caps, rate, tol=1e-7):
    load = usage.T @ rate
    scale = 1.0 + max(1.0, float(np.max(capacity, initial=0)))
    assert np.all(rate >= -tol)
    assert np.all(rate <= caps + tol * scale)
    assert np.all(load <= capacity + tol * scale), "a capacity is exceeded"
    saturated = load >= capacity - tol * scale
    for j in range(len(rate)):
        if rate[j] >= caps[j] - tol * scale:
            continue
        uses = (usage[j] > 0) & saturated
        bottleneck = [r for r in np.flatnonzero(uses)
                      if rate[j] >= rate[usage[:, r] > 0].max() - tol * scale]
        assert bottleneck, f"job {j} is below its cap with no bottleneck: {rate}"


@settings(max_examples=120, deadline=None)
@given(instances)
def test_progressive_filling_is_feasible_and_max_min_fair(instance):
    capacity, usage, caps = (np.array(x, float) for x in instance)
    rate = max_min_fair(capacity, usage, caps)
    check_max_min(capacity, usage, caps, rate)


@settings(max_examples=80, deadline=None)
@given(instances, st.data())
def test_no_job_gains_without_a_poorer_job_losing(instance, data):
    """Pareto in the max-min sense: give job j a little more; to stay feasible, some job whose
    rate is at most j's must lose (checked by the best possible rebalancing: everyone richer than
    j gives up as much as they like, and the extra still does not fit)."""
    capacity, usage, caps = (np.array(x, float) for x in instance)
    rate = max_min_fair(capacity, usage, caps)
    j = data.draw(st.integers(0, len(rate) - 1))
    if rate[j] >= caps[j] - 1e-9 or not np.any(usage[j] > 0):
        return
    eps = 1e-4 * max(1.0, rate[j])
    trial = rate.copy()
    trial[j] += eps
    richer = rate > rate[j] + 1e-12
    trial[richer] = 0.0  # the most the richer jobs could give back
    load = usage.T @ trial
    assert np.any(load > capacity + 1e-9), "job could gain at no poorer job's expense"
