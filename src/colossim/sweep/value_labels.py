"""A study's parameter values as short labels that can still be told apart.

Tables and plots show values within a width, but a value can be hundreds of characters (a list
of power events), and the values of one knob often differ in a few characters in the middle
(one event's ``duration_s``): cutting each at its end, or eliding each one's middle, made three
different values read the same (QA). So a knob's values are labelled together: what they all
share at the start and at the end is elided, and what differs is kept, with as much context
either side as the width allows; values that still read alike (they differ in two places far
apart) end with their place among the knob's values, `` #3``. Values are written in the study
file's terms (``true``, ``{"name": "fifo"}`` as JSON), not Python's repr; a float to 15
significant digits (results.csv keeps its shortest exact form, which two floats that read alike
at 15 get here too: ``written_apart``).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Sequence
from typing import Any

from colossim.metrics.labels import middle_elided

ELLIPSIS = "…"


def written(value: Any) -> str:
    """A value as tables and plots show it: JSON for anything structured, floats to 15
    significant digits, which keeps every float a study writes apart (QA: at 6 digits,
    200000 and 200000.5 were two points printed as one row) and drops the binary crumbs of
    one a range adds up (0.30000000000000004 reads 0.3)."""
    if value is None:  # a value given as null, as results.csv writes it (not "-": no value)
        return "null"
    if isinstance(value, float):
        return f"{value:.15g}"
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(", ", ": "))


def written_apart(values: Sequence[Any]) -> list[str]:
    """``written`` for each of a knob's values, but floats that 15 digits print alike in their
    shortest exact form, as results.csv writes them (QA: 0.3 and 0.30000000000000004 were two
    points printed as four rows of 0.3)."""
    texts = [written(value) for value in values]
    floats: dict[str, set[float]] = {}
    for value, text in zip(values, texts, strict=True):
        if isinstance(value, float):
            floats.setdefault(text, set()).add(value)
    return [repr(value) if isinstance(value, float) and len(floats[text]) > 1 else text
            for value, text in zip(values, texts, strict=True)]


def distinct_labels(texts: Sequence[str], width: int) -> list[str]:
    """``texts`` within ``width`` characters each, keeping the part where they differ."""
    unique = list(dict.fromkeys(texts))
    # what the values too long to show share is found among them alone: a short value beside
    # them (``[]``, the baseline without a dip) is shown whole, and shared only ``[`` and ``]``
    # with them, so their labels kept their common start and ended alike, "#2" and "#3" (QA)
    long = [text for text in unique if len(text) > width]
    if not long:
        return list(texts)
    prefix = len(os.path.commonprefix(long)) if len(long) > 1 else 0  # one: its middle goes
    suffix = len(os.path.commonprefix([text[::-1] for text in long])) if len(long) > 1 else 0
    suffix = min(suffix, min(len(text) for text in long) - prefix)
    labels = {text: text if len(text) <= width else _around(text, prefix, len(text) - suffix,
                                                             width) for text in unique}
    counts = Counter(labels.values())
    for k, text in enumerate(unique, start=1):  # still alike (they differ in two far places,
        # or one reads as a short value does): the long value's place in the knob's list
        if len(text) > width and counts[labels[text]] > 1:
            tag = f" #{k}"
            labels[text] = _around(text, prefix, len(text) - suffix, width - len(tag)) + tag \
                if width - len(tag) >= 4 else tag.strip()
    return [labels[text] for text in texts]


def _around(text: str, start: int, end: int, width: int) -> str:
    """``text[start:end]`` (where it differs from the others) with context either side, an
    ellipsis where ``text`` goes on, within ``width``."""
    if len(text) <= width:
        return text
    start = 0 if start == 1 else start  # one character costs what its ellipsis does: shown
    end = len(text) if len(text) - end == 1 else end
    marks = (start > 0) + (end < len(text))  # the ellipses around what differs
    if end - start > width - marks:  # what differs is itself too long: its middle goes
        return ELLIPSIS * (start > 0) + middle_elided(text[start:end], width - marks) \
            + ELLIPSIS * (end < len(text))
    room = width - 2 - (end - start)
    lo = max(0, start - room // 2)
    hi = min(len(text), end + room - (start - lo))
    lo = max(0, lo - (room - (start - lo) - (hi - end)))  # what the end could not take
    if len(text) - hi == 1:  # one character left out costs what its ellipsis does: show it
        hi, lo = len(text), lo + (lo > 0)
    if lo == 1:
        lo, hi = 0, hi - (hi < len(text))
    return ELLIPSIS * (lo > 0) + text[lo:hi] + ELLIPSIS * (hi < len(text))
