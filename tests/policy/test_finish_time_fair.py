"""Themis finish-time fairness: rho = T_shared / T_independent, worst first, with leases."""

from __future__ import annotations

import pytest

from colossim.policy.actions import WakeAt
from colossim.policy.registry import make_policy
from tests.policy.factories import cluster, job, kinds, racks

# 4 GPUs, 2 contending jobs, each 400 GPU-s of work on up to 4 GPUs (rate = GPUs):
# T_independent = 400 / (4 x min(1, 4 / (2 x 4))) = 200 s for both.
# A runs on all 4 GPUs since t=0; at t=50 it has 200 GPU-s left: T_shared = 50 + 200/4 = 100,
# rho_A = 0.5. B arrived at t=10 and waits: T_shared = 40 + 400/4 = 140, rho_B = 0.7.


def jobs():
    a = job("A", 0, 4, work=400, done=200, grant=((0, 4),), first_start_s=0.0)
    b = job("B", 1, 4, work=400, submit_s=10.0)
    return a, b


def test_rho_by_hand():
    policy = make_policy("finish-time-fair")
    a, b = jobs()
    view = cluster([a, b], racks([4], free=[0]), now_s=50.0)
    assert policy.rho(view, a, 2) == pytest.approx(0.5)
    assert policy.rho(view, b, 2) == pytest.approx(0.7)


def test_worst_rho_takes_the_gpus_once_the_lease_is_over():
    a, b = jobs()
    view = cluster([a, b], racks([4], free=[0]), now_s=50.0)
    actions = make_policy("finish-time-fair", {"min_run_s": 0}).decide(view)
    assert kinds(actions) == [("preempt", "A"), ("start", "B")]


def test_a_lease_protects_a_job_it_started_and_the_policy_looks_again_after():
    policy = make_policy("finish-time-fair", {"min_run_s": 600})
    a, _ = jobs()
    fresh = job("A", 0, 4, work=400)
    assert kinds(policy.decide(cluster([fresh], racks([4])))) == [("start", "A")]
    _, b = jobs()
    later = policy.decide(cluster([a, b], racks([4], free=[0]), now_s=50.0))
    assert [x for x in later if not isinstance(x, WakeAt)] == []
    assert WakeAt(600.0) in later and WakeAt(650.0) in later


def test_one_look_a_lease_however_many_decisions_ask():
    # QA: every decision asked for a look a lease later, and each look for the next, so every
    # arrival began a chain of its own that never merged: 12,897 of a 200-job run's 14,631
    # decisions were such looks. Decisions at 50, 60 and 70 s (arrivals) now share one look
    # at 650 s (beside the lease's end at 600 s)
    policy = make_policy("finish-time-fair", {"min_run_s": 600})
    fresh = job("A", 0, 4, work=400)
    policy.decide(cluster([fresh], racks([4])))
    a, b = jobs()
    wakes = [{x.time_s for x in policy.decide(cluster([a, b], racks([4], free=[0]), now_s=t))
              if isinstance(x, WakeAt)} for t in (50.0, 60.0, 70.0)]
    assert wakes == [{600.0, 650.0}, set(), set()]
