"""Facility power, first model: GPU watts by state plus rack overhead, times PUE.

Allocated GPUs draw their TDP, unallocated ones their idle power; every rack draws its overhead
(CPUs, NICs, switches, fans) whatever it does. Facility power = IT power x PUE. The power issue
replaces this with phase-dependent draw, caps, supply schedules and batteries.
"""

from __future__ import annotations

import numpy as np

from colossim.model.cluster import RackLayout


def it_power_w(layout: RackLayout, busy_by_type: np.ndarray) -> float:
    """IT power with ``busy_by_type[t]`` GPUs of type t allocated."""
    total_by_type = np.bincount(
        layout.rack_type, weights=layout.capacity, minlength=len(layout.specs)
    )
    racks_by_type = np.bincount(layout.rack_type, minlength=len(layout.specs))
    watts = 0.0
    for t, spec in enumerate(layout.specs):
        busy = float(busy_by_type[t])
        watts += busy * spec.tdp_w + (total_by_type[t] - busy) * spec.idle_w
        watts += racks_by_type[t] * spec.rack_overhead_w
    return watts


def facility_power_mw(layout: RackLayout, busy_by_type: np.ndarray, pue: float) -> float:
    """Facility power in MW."""
    return it_power_w(layout, busy_by_type) * pue / 1e6
