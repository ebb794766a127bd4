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
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

RELAXED_THRESHOLD = (10_000, 10, 10)  # young-generation allocations, then older collections


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
