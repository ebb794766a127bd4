"""Arrays a policy's view may hold without any way to write into the run.

numpy lets anyone set ``writeable`` back to True on an array that owns its data, or on a view
of a writeable array; it refuses only on a view of a read-only array. So what a view hands out
is a view of a read-only array: the engine's own when it never writes it (``frozen``), else a
read-only copy (``read_only_copy``). QA made writes reach later views and the engine's fabric
through ``setflags(write=True)``.
"""

from __future__ import annotations

import numpy as np


def frozen(array: np.ndarray) -> np.ndarray:
    """``array`` (which must own its data) made read-only for good: views of it cannot be
    made writeable."""
    array.setflags(write=False)
    return array


def read_only_view(array: np.ndarray) -> np.ndarray:
    """A view of ``array`` that refuses writes; for good when ``array`` is ``frozen``."""
    view = array.view()
    view.flags.writeable = False
    return view


def read_only_copy(array: np.ndarray) -> np.ndarray:
    """A copy of ``array`` that refuses writes for good (a view of a frozen copy)."""
    return read_only_view(frozen(array.copy()))
