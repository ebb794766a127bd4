"""Building a run's record into rows, or back from a file, with the cyclic collector paused.

Such a build makes hundreds of thousands of dicts and tuples that hold no reference cycles (they
are freed by reference counting), yet each allocation counts towards the collector's thresholds:
writing Colossus-2's ``events.jsonl`` ran 3 to 4 full collections over a heap of the whole run,
about a quarter of ``write_run``'s CPU, that could never free anything built here.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


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
