"""Python's cyclic garbage collector, made to wait where it would only walk a heap of objects
that reference counting already frees.

A run allocates hundreds of thousands of small objects (events, tuples, dicts) and few reference
cycles. By default the collector runs every 700 net allocations, and every tenth of those
collections walks the next generation, every tenth of those the whole heap: on the built-in
Colossus-2 run about 2,000 collections, 9 of them over the whole heap, about 1 s of CPU in all
(measured with ``gc.callbacks``), and almost nothing to free. There cycles are still collected:
the collector is relaxed, not off (``collector_relaxed``).

Building a run's record into rows, or back from a file (``metrics``), makes hundreds of
thousands of dicts and tuples that hold no cycles at all: writing Colossus-2's ``events.jsonl``
ran 3 to 4 full collections over the run's heap, about a quarter of ``write_run``'s CPU, that
could never free anything built there. Such builds pause the collector (``collector_paused``).

A finished run's engine is cyclic garbage once its result is dropped (the simulation, its
subsystems and the closures of its pending events reference each other, and the state holds the
record of events). The whole-heap collection that frees it seldom comes: each run freezes what
is alive when it starts, the previous runs' garbage included, and a sweep worker or a loop of
runs allocates little between runs. So a worker's memory grew ~3.4 MB a run, to 900 MB after
250 runs (QA). Runs therefore note what they leave (``owe``: their events, plus a fixed weight
per run), and the next run starts with a whole-heap collection once that passes
``GARBAGE_LIMIT`` (``collect_if_owed``): memory stays bounded, at one collection (~20 ms here)
per ~20,000 events or ~170 small runs, about 1% of their time.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

RELAXED_THRESHOLD = (10_000, 10, 10)  # young-generation allocations, then older collections
GARBAGE_LIMIT = 20_000  # events left as garbage by finished runs before a whole-heap collection
RUN_WEIGHT = 100  # what a run leaves beside its events (engine, models, layout), in events


class _Settings:
    """The collector is the process's: of nested or concurrent users (simulations in threads,
    a run inside a notebook's), the first to enter changes it and the last to leave puts back
    what the first found. Each keeping its own copy left the relaxed threshold behind after two
    threads, and an inner run's exit unfroze an outer run's heap."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.relaxed = 0  # users inside collector_relaxed
        self.saved: tuple[int, int, int] | None = None  # the threshold the first found
        self.paused = 0  # users inside collector_paused
        self.disabled = False  # whether the first pauser turned the collector off
        self.owed = 0  # events (and run weights) finished runs have left since a collection


_SETTINGS = _Settings()


@contextmanager
def collector_relaxed(threshold: tuple[int, int, int] = RELAXED_THRESHOLD) -> Iterator[None]:
    """Inside: objects alive on entry are frozen (later collections do not walk them again) and
    young collections run every ``threshold[0]`` net allocations; after the last user leaves,
    both are as the first found them. A collector already off stays off."""
    state = _SETTINGS
    with state.lock:
        state.relaxed += 1
        if state.relaxed == 1 and gc.isenabled():
            state.saved = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(*threshold)
    try:
        yield
    finally:
        with state.lock:
            state.relaxed -= 1
            if state.relaxed == 0 and state.saved is not None:
                gc.set_threshold(*state.saved)
                gc.unfreeze()
                state.saved = None


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside; the collector as it was afterwards (a caller that
    turned it off keeps it off). Cycles made inside are collected once it runs again."""
    state = _SETTINGS
    with state.lock:
        state.paused += 1
        if state.paused == 1 and gc.isenabled():
            gc.disable()
            state.disabled = True
    try:
        yield
    finally:
        with state.lock:
            state.paused -= 1
            if state.paused == 0 and state.disabled:
                gc.enable()
                state.disabled = False


def owe(events: int) -> None:
    """Note that a finished run of ``events`` events will leave its engine as cyclic garbage."""
    with _SETTINGS.lock:
        _SETTINGS.owed += events + RUN_WEIGHT


def collect_if_owed() -> None:
    """Collect the whole heap if finished runs have left more than ``GARBAGE_LIMIT`` (called as
    a run starts, before it freezes what is alive); not while another run is relaxed, whose
    frozen heap a collection would walk, nor while the collector is off."""
    with _SETTINGS.lock:
        if _SETTINGS.owed < GARBAGE_LIMIT or _SETTINGS.relaxed or not gc.isenabled():
            return
        _SETTINGS.owed = 0
    gc.collect()
