"""Named random streams from one seed.

Each stream is keyed by a stable hash of its name, so adding a stream (say, failures of a new
component) never shifts the sample path of another: ``streams("failures.gpu")`` is the same
generator whatever else the run asks for.
"""

from __future__ import annotations

import zlib

import numpy as np


class RngStreams:
    """Independent ``numpy.random.Generator`` streams derived from a seed and a name."""

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._streams: dict[str, np.random.Generator] = {}

    def __call__(self, name: str) -> np.random.Generator:
        if name not in self._streams:
            key = zlib.crc32(name.encode("utf-8"))
            seq = np.random.SeedSequence(entropy=self.seed, spawn_key=(key,))
            self._streams[name] = np.random.Generator(np.random.PCG64(seq))
        return self._streams[name]
