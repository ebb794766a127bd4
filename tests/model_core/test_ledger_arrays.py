"""The (racks, GPUs) arrays the ledger keeps from ``allocate`` equal the grant a job holds.

The fabric reads them instead of converting a grant of thousands of racks on every re-placement,
and ``release`` reuses them; a stale pair (after a hot-spare swap, a release, a re-allocation)
would place a job on racks it no longer holds. Checked by hand on a 3-rack ledger, and after
every event of a run with GPU failures and hot-spare swaps against a fresh conversion.
"""

from __future__ import annotations

import numpy as np
import pytest

from colossim.model.cluster import Ledger, build_layout, grant_array
from colossim.model.jobs import JobState
from tests.conftest import make_scenario
from tests.reliability.helpers import run, spare_swap_simulation

JOB = {"name": "x", "params_billion": 1, "tokens_billion": 1, "max_gpus": 8}
def test_arrays_follow_allocate_swap_and_release():
    book = Ledger(build_layout(make_scenario([JOB], racks=3, pod_size_racks=3)))
    grant = book.allocate(1, {1: 8, 0: 72})
    racks, gpus = book.arrays(1, grant)
    assert racks.tolist() == [0, 1] and gpus.tolist() == [72, 8]  # sorted by rack
    with pytest.raises(ValueError):
        racks[0] = 2  # shared with release and the fabric: read-only
    assert book.arrays(1, ((0, 72), (1, 8))) is None  # an equal tuple that is not the grant
    swapped = book.swap(1, 0, 2)  # rack 0's 72 GPUs move to rack 2
    assert book.arrays(1, grant) is None
    racks, gpus = book.arrays(1, swapped)
    assert racks.tolist() == [1, 2] and gpus.tolist() == [8, 72]
    assert book.release(1) == ((1, 8), (2, 72))
    assert book.free.tolist() == [72, 72, 72]
    assert book.arrays(1, swapped) is None


def test_a_swap_of_a_rack_the_job_does_not_hold_is_refused_and_changes_nothing():
    """Review: ``swap`` moved the free counts before it found the job held nothing on the rack,
    then stored None as the job's grant (rack 1 over its capacity, the ledger unreadable)."""
    from colossim.model.cluster import AllocationError

    book = Ledger(build_layout(make_scenario([JOB], racks=4, pod_size_racks=4)))
    grant = book.allocate(0, {2: 72})
    for old in (1, 3):  # before and after the rack it holds
        with pytest.raises(AllocationError, match=f"holds no GPUs on rack {old}"):
            book.swap(0, old, 1 if old == 3 else 3)
    assert book.holdings[0] is grant
    assert book.free.tolist() == [72, 72, 0, 72]
    book.check()


def test_kept_arrays_equal_each_held_grant_after_every_event():
    sim = spare_swap_simulation()
    state, settle, checked = sim.state, sim._after_change, []

    def check() -> None:
        settle()
        for j in state.jobs:
            if j.state is not JobState.RUNNING:
                continue
            held = state.ledger.arrays(j.index, j.grant)
            fresh = grant_array(j.grant)
            assert np.array_equal(held[0], fresh[:, 0])
            assert np.array_equal(held[1], fresh[:, 1])
            checked.append(j.grant)

    sim._after_change = check
    result = run(sim)
    assert not result.unfinished
    assert any(e.kind == "swap" for e in result.record.events)
    # both the allocated grant and the one a swap left (racks 0,1 then 1,3) were checked
    assert {((0, 72), (1, 72)), ((1, 72), (3, 72))} <= set(checked)
