"""The engine runs with the cyclic collector relaxed (the metrics pause it), and both leave it
exactly as they found it."""

from __future__ import annotations

import gc

import pytest

from colossim.api import load_scenario, simulate
from colossim.collector import RELAXED_THRESHOLD, collector_paused, collector_relaxed


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


@pytest.mark.parametrize("settings", [collector_relaxed, collector_paused])
def test_a_collector_turned_off_stays_off_and_an_error_restores_it(settings):
    gc.disable()
    try:
        with settings():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(KeyError), settings():
        raise KeyError("x")
    assert gc.isenabled()


def test_a_run_leaves_the_collector_as_it_was():
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    simulate(load_scenario("small"))
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen


@pytest.mark.parametrize("settings", [collector_relaxed, collector_paused])
def test_nested_and_threaded_users_leave_the_collector_as_the_first_found_it(settings):
    # each use kept its own copy of the settings: after two threads the relaxed threshold
    # stayed, and an inner run's exit unfroze the outer run's heap
    import threading

    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    with settings():
        inside = (gc.get_threshold(), gc.isenabled(), gc.get_freeze_count())
        with settings():
            pass
        assert (gc.get_threshold(), gc.isenabled(), gc.get_freeze_count()) == inside
    barrier = threading.Barrier(2)

    def user(first_out: bool) -> None:
        with settings():
            barrier.wait()  # both inside
            if not first_out:
                barrier.wait()
        if first_out:
            barrier.wait()

    threads = [threading.Thread(target=user, args=(k == 0,)) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert gc.get_threshold() == before and gc.isenabled()
    assert gc.get_freeze_count() == frozen


def test_finished_runs_engines_are_freed_once_they_pass_the_garbage_limit(monkeypatch):
    """QA: a sweep worker grew ~3.4 MB a run, to 900 MB after 250 runs: each run's engine was
    cyclic garbage (its record of events in it) that the whole-heap collection, seldom run and
    kept from the frozen heap during the next run, never freed."""
    import weakref

    from colossim import collector

    scenario = load_scenario("small")
    gc.collect()
    monkeypatch.setattr(collector, "GARBAGE_LIMIT", 3 * (19 + collector.RUN_WEIGHT))
    monkeypatch.setattr(collector._SETTINGS, "owed", 0)
    records = []
    for _ in range(7):
        result = simulate(scenario)
        assert result.events == 19  # the limit counts small's 19 events a run
        records.append(weakref.ref(result.record))
        del result
    # runs 1-3 owe 3 x 119 = the limit; run 4 collects them as it starts, and runs 4-6 are
    # collected as run 7 starts (whose own record waits for a later run)
    assert [ref() for ref in records[:6]] == [None] * 6
