"""Small grants (up to ``SMALL_GRANT`` racks) are booked rack by rack, large ones vectorised.

Both paths must keep the same books and refuse the same grants with the same reason (the first
bad rack in rack order), so a trace replay's thousands of one-rack jobs and Colossus-2's
thousand-rack jobs see one ledger. Checked by hand on a 12-rack ledger of 72-GPU racks.
"""

from __future__ import annotations

import pytest

from colossim.model.cluster import SMALL_GRANT, AllocationError, Ledger, build_layout
from tests.conftest import make_scenario

JOB = {"name": "x", "params_billion": 1, "tokens_billion": 1, "max_gpus": 8}


def ledger() -> Ledger:
    book = Ledger(build_layout(make_scenario([JOB], racks=12, pod_size_racks=12)))
    book.healthy[3] = False  # a failed rack
    book.spare[4] = True  # a hot spare
    return book


SMALL = {0: 8, 1: 72}  # 2 racks: booked rack by rack
LARGE = {r: 1 for r in (0, 1, 2, 5, 6, 7, 8, 9, 10)}  # 9 racks: vectorised
assert len(SMALL) <= SMALL_GRANT < len(LARGE)


@pytest.mark.parametrize("grant", [SMALL, LARGE])
def test_both_paths_keep_the_same_books(grant):
    book = ledger()
    held = book.allocate(7, grant)
    assert held == tuple(sorted(grant.items()))
    gpus = sum(grant.values())
    assert book.busy_gpus() == gpus and book.busy_gpus_by_type() == (gpus,)
    assert [int(book.free[r]) for r in grant] == [72 - n for n in grant.values()]
    racks, counts = book.arrays(7, held)  # made on demand for a small grant
    assert racks.tolist() == sorted(grant) and counts.tolist() == [grant[r] for r in sorted(grant)]
    assert book.release(7) == held
    assert book.free.tolist() == [72] * 12 and book.busy_gpus() == 0
    assert book.release(7) == ()


@pytest.mark.parametrize("extra", [{}, {r: 1 for r in (5, 6, 7, 8, 9, 10, 11)}])
@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ({12: 1}, "rack 12 does not exist"),
        ({2: -1}, "negative GPU count -1 on rack 2"),
        ({3: 1}, "rack 3 is failed"),
        ({4: 1}, "rack 4 is a spare"),
        ({2: 73}, "rack 2 has 72 free GPUs, not 73"),
    ],
)
def test_both_paths_refuse_with_the_same_reason_and_book_nothing(bad, why, extra):
    # rack 0 is fine and comes first, so the reason is the bad rack's; `extra` makes it large
    book = ledger()
    grant = {0: 8, **bad, **extra}
    with pytest.raises(AllocationError, match=f"^{why}$"):
        book.allocate(7, grant)
    assert book.free.tolist() == [72] * 12 and book.busy_gpus() == 0 and not book.holdings
