"""Short lists in messages: the first few items, and how many more there are.

Messages name what they are about (jobs, points, fields) but a trace can bring thousands, so
each names a few and counts the rest: ``a, b, c and 2 more``. Here in ``config``, the lowest
layer, so every layer that writes a message words its lists the same way.
"""

from __future__ import annotations

from collections.abc import Sequence


def and_more(items: Sequence[str], shown: int) -> str:
    """``items[:shown]`` comma-separated, then `` and N more`` when there are more."""
    more = f" and {len(items) - shown:,} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more
