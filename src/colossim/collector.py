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
from collections.abc import Iterator
from contextlib import contextmanager

RELAXED_THRESHOLD = (10_000, 10, 10)  # young-generation allocations, then older collections


@contextmanager
def collector_relaxed(threshold: tuple[int, int, int] = RELAXED_THRESHOLD) -> Iterator[None]:
    """Inside: objects alive on entry are frozen (later collections do not walk them again) and
    young collections run every ``threshold[0]`` net allocations; on exit both are as they were.
    A collector already off stays off."""
    if not gc.isenabled():
        yield
        return
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*threshold)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside; the collector as it was afterwards (a caller that
    turned it off keeps it off). Cycles made inside are collected once it runs again."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
