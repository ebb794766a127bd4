"""The allocation ledger: the only place GPUs are claimed, and its invariants."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from colossim.errors import InvariantViolation
from colossim.model.cluster import AllocationError, Ledger, build_layout
from tests.conftest import make_scenario

JOB = {"name": "x", "params_billion": 1, "tokens_billion": 1, "max_gpus": 8}


def ledger(racks=3, pod=2, spare=0):
    scenario = make_scenario([JOB], racks=racks, pod_size_racks=pod, cluster={"spare_racks": spare})
    return Ledger(build_layout(scenario))


def test_layout_pods_and_capacity():
    layout = build_layout(make_scenario([JOB], racks={"GB200": 3, "GB300": 2}, pod_size_racks=2))
    assert layout.total_gpus == 5 * 72
    # each group starts a fresh pod: GB200 racks in pods 0,0,1 and GB300 racks in pod 2,2
    assert layout.rack_pod.tolist() == [0, 0, 1, 2, 2]
    assert layout.pods == 3


def test_allocate_and_release_balance():
    book = ledger()
    book.allocate(1, {0: 72, 1: 8})
    book.allocate(2, {1: 64})
    assert book.free.tolist() == [0, 0, 72]
    book.check()
    assert book.release(1) == ((0, 72), (1, 8))
    assert book.free.tolist() == [72, 8, 72]
    book.check()


def test_over_allocation_is_refused_atomically():
    book = ledger()
    book.allocate(1, {1: 70})
    with pytest.raises(AllocationError, match="rack 1 has 2 free GPUs"):
        book.allocate(2, {0: 72, 1: 8})
    assert book.free.tolist() == [72, 2, 72]  # nothing of the refused grant was taken


def test_no_gpu_given_twice_to_the_same_job():
    book = ledger()
    book.allocate(1, {0: 8})
    with pytest.raises(AllocationError, match="already holds"):
        book.allocate(1, {1: 8})


def test_failed_and_spare_racks_are_never_allocated():
    book = ledger(racks=3, spare=1)
    with pytest.raises(AllocationError, match="spare"):
        book.allocate(1, {2: 8})
    book.healthy[0] = False
    with pytest.raises(AllocationError, match="failed"):
        book.allocate(1, {0: 8})


def test_check_catches_a_corrupted_book():
    book = ledger()
    book.allocate(1, {0: 72})
    book.free[0] = 5  # corrupt: GPUs invented
    with pytest.raises(InvariantViolation, match="rack 0"):
        book.check()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(1, 72), st.booleans()), max_size=40))
def test_random_claims_and_releases_keep_the_books(ops):
    book = ledger()
    for job, (rack, n, release) in enumerate(ops):
        if release and book.holdings:
            book.release(next(iter(book.holdings)))
            continue
        before = book.free.copy()
        try:
            book.allocate(job, {rack: n})
        except AllocationError:
            assert (book.free == before).all()
        book.check()
        assert (book.free >= 0).all()
