"""The engine runs with the cyclic collector relaxed, and leaves it exactly as it found it."""

from __future__ import annotations

import gc

import pytest

from colossim.api import load_scenario, simulate
from colossim.collector import RELAXED_THRESHOLD, collector_relaxed


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_relaxed_inside_and_restored_after_even_on_error():
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    with pytest.raises(RuntimeError), collector_relaxed():
        assert gc.get_threshold() == RELAXED_THRESHOLD
        assert gc.get_freeze_count() > frozen  # what was alive on entry is not walked again
        raise RuntimeError
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen


def test_cycles_made_inside_are_still_collected():
    with collector_relaxed():
        young = gc.get_stats()[0]["collections"]
        for _ in range(3 * RELAXED_THRESHOLD[0]):
            _Cycle()
        assert gc.get_stats()[0]["collections"] > young
        alive = sum(isinstance(o, _Cycle) for o in gc.get_objects())
        assert alive <= RELAXED_THRESHOLD[0]  # at most those made since the last collection


def test_a_collector_turned_off_stays_off():
    gc.disable()
    try:
        with collector_relaxed():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_run_leaves_the_collector_as_it_was():
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    simulate(load_scenario("small"))
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen
