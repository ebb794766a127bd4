"""EDF: deadlines first, jobs without deadlines after, admission control on request."""

from __future__ import annotations

import pytest

from colossim.api import simulate
from colossim.policy.registry import make_policy
from tests.policy.factories import cluster, job, kinds, pool_job, pool_scenario, racks, starts

HOUR = 3600.0


def test_earliest_deadline_first_then_jobs_without_one():
    jobs = [job("none", 0, 1), job("late", 1, 1, deadline_s=500), job("soon", 2, 1, deadline_s=50)]
    actions = make_policy("edf").decide(cluster(jobs, racks([2])))
    assert list(starts(actions)) == ["soon", "late"]


def test_non_preemptive_by_default_preemptive_on_request():
    running = job("later", 0, 1, deadline_s=900, grant=((0, 1),))
    urgent = job("urgent", 1, 1, deadline_s=100)
    view = cluster([running, urgent], racks([1], free=[0]))
    assert make_policy("edf").decide(view) == []
    assert kinds(make_policy("edf", {"preempt": True}).decide(view)) == [
        ("preempt", "later"), ("start", "urgent")]


def test_reject_late_refuses_a_job_that_cannot_make_it():
    # 100 GPU-s of work on at most 1 GPU takes 100 s: at t=10 a deadline of 105 is out of reach
    jobs = [job("doomed", 0, 1, deadline_s=105), job("fine", 1, 1, deadline_s=120)]
    view = cluster(jobs, racks([1]), now_s=10.0)
    assert kinds(make_policy("edf", {"reject_late": True}).decide(view)) == [
        ("reject", "doomed"), ("start", "fine")]


def test_edf_meets_every_feasible_deadline_on_one_gpu():
    # one GPU, all submitted at 0: a (1 h, due 4 h), b (2 h, due 3 h), c (1 h, due 1 h).
    # EDF runs c 0-1, b 1-3, a 3-4: all on time. FIFO runs a 0-1, b 1-3, c 3-4: c is late.
    jobs = [pool_job("a", 0, 1, deadline_s=4 * HOUR), pool_job("b", 0, 2, deadline_s=3 * HOUR),
            pool_job("c", 0, 1, deadline_s=1 * HOUR)]
    edf = simulate(pool_scenario(jobs, policy="edf"), check_invariants=True)
    assert [edf.job(n).end_s / HOUR for n in "abc"] == pytest.approx([4, 3, 1])
    fifo = simulate(pool_scenario(jobs, policy="fifo"), check_invariants=True)
    assert fifo.job("c").end_s / HOUR == pytest.approx(4)  # past its 1 h deadline


def test_reject_late_rejects_when_the_deadline_becomes_unreachable():
    # one GPU: busy (4 h) from 0; late (0.5 h, due at 1 h) arrives at 0.1 h. The last start that
    # makes it is 0.5 h: it is rejected then, not when busy ends at 4 h (no event came between)
    jobs = [pool_job("busy", 0, 4), pool_job("late", 0.1, 0.5, deadline_s=3600.0)]
    result = simulate(pool_scenario(jobs, policy="edf", params={"reject_late": True}))
    [reject] = [e for e in result.record.events if e.kind == "reject"]
    assert reject.job == "late" and reject.time_s == pytest.approx(1800.0, abs=0.01)
