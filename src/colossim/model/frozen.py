"""Arrays a policy's view may hold without any way to write into the run.

numpy lets anyone set ``writeable`` back to True on an array that owns its data, or on a view
whose base chain ends in such an array: ``view.base.setflags(write=True)`` reached the engine's
own fabric topology (QA: a policy moved every rack into one rail unit and changed the run). It
refuses only on an array over a read-only buffer. So what a view hands out is backed by an
immutable ``bytes`` copy (``frozen``): neither it nor any view of it can be made writeable.
"""

from __future__ import annotations

import numpy as np


def frozen(array: np.ndarray) -> np.ndarray:
    """A read-only copy of ``array`` over an immutable buffer: no array in its base chain can
    be made writeable again (the engine keeps such copies of what it hands out and never writes
    them)."""
    return np.frombuffer(array.tobytes(), dtype=array.dtype).reshape(array.shape)


def read_only_view(array: np.ndarray) -> np.ndarray:
    """A view of ``array`` that refuses writes; for good when ``array`` is ``frozen``."""
    view = array.view()
    view.flags.writeable = False
    return view


def read_only_copy(array: np.ndarray) -> np.ndarray:
    """A copy of ``array`` that refuses writes for good (a view of a frozen copy)."""
    return read_only_view(frozen(array))
