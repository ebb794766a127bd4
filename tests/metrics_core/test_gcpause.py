"""Writing a run folder runs no cyclic garbage collection while it builds and encodes the rows,
and leaves the collector as it was.

The rows of ``events.jsonl`` hold no reference cycles, yet building them ran 3 to 4 full
collections over the whole run's heap (Colossus-2: a quarter of ``write_run``'s CPU).
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from colossim.api import load_scenario, simulate
from colossim.metrics.export import write_run
from colossim.metrics.gcpause import collector_paused

BUILDERS = {"record_lines", "jsonl", "series_dict", "to_dict", "dumps", "atomic_write_text"}


@contextmanager
def collections_in(functions: set[str], threshold: int = 100) -> Iterator[list[str]]:
    """The names of ``functions`` found on the stack of each collection that starts inside,
    with a low first threshold so that building a few hundred rows would start some."""
    seen: list[str] = []

    def callback(phase: str, info: dict) -> None:
        if phase != "start":
            return
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_name in functions:
                seen.append(frame.f_code.co_name)
                return
            frame = frame.f_back

    old = gc.get_threshold()
    gc.collect()  # counts from zero
    gc.callbacks.append(callback)
    gc.set_threshold(threshold)
    try:
        yield seen
    finally:
        gc.set_threshold(*old)
        gc.callbacks.remove(callback)


def test_the_probe_sees_collections():
    def build() -> list[list[int]]:
        return [[i] for i in range(1000)]

    with collections_in({"build"}) as seen:
        build()
    assert seen  # the guard of the check below


def test_write_run_collects_nothing_while_building_and_reenables(tmp_path: Path):
    result = simulate(load_scenario("small", ["reliability.enabled=true"]))
    assert gc.isenabled()
    with collections_in(BUILDERS) as seen:
        write_run(result, tmp_path)
    assert seen == []
    assert gc.isenabled()
    assert (tmp_path / "events.jsonl").stat().st_size > 0


def test_a_disabled_collector_stays_disabled_and_errors_reenable():
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(KeyError), collector_paused():
        raise KeyError("x")
    assert gc.isenabled()
