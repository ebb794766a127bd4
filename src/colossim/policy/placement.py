"""Placers: turn "this job, this many GPUs" into a grant of (rack, GPUs) pairs.

A placer works on a scratch copy of the free-GPU array so a policy can place several jobs in
one decision without double-booking; the engine re-checks every grant anyway. ``pack`` puts a job
in as few pods as possible, then as few racks as possible, on a single GPU type when one type can
hold it (a job spread over types runs at the slower type's pace).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from colossim.model.cluster import allocation_unit
from colossim.policy.actions import Grant
from colossim.policy.view import JobView, RackView

Placer = Callable[[RackView, np.ndarray, JobView, int], Grant | None]


def _units(job: JobView, gpus: int, unit: int) -> tuple[int, int]:
    """Smallest and largest number of units that respect min_gpus and the requested size."""
    need = -(-job.min_gpus // unit)
    want = min(gpus, job.max_gpus) // unit
    return need, want


def _take_racks(order: np.ndarray, units_free: np.ndarray, k: int) -> list[tuple[int, int]]:
    taken = []
    for rack in order:
        if k <= 0:
            break
        n = int(min(units_free[rack], k))
        if n:
            taken.append((int(rack), n))
            k -= n
    return taken


def _pack_one_type(
    racks: RackView, free: np.ndarray, t: int, unit: int, k: int
) -> list[tuple[int, int]]:
    """k units of type t in the fewest pods (best-fit pod when one pod suffices)."""
    mask = racks.usable & (racks.rack_type == t)
    units_free = np.where(mask, free // unit, 0)
    pod_units = np.bincount(racks.rack_pod, weights=units_free, minlength=1)
    fits = np.flatnonzero(pod_units >= k)
    if fits.size:
        pods = [int(fits[np.argmin(pod_units[fits])])]  # best fit: the tightest pod that fits
    else:
        pods = [int(p) for p in np.argsort(-pod_units, kind="stable") if pod_units[p] > 0]
    taken: list[tuple[int, int]] = []
    for pod in pods:
        in_pod = np.flatnonzero((racks.rack_pod == pod) & (units_free > 0))
        order = in_pod[np.argsort(-units_free[in_pod], kind="stable")]
        got = _take_racks(order, units_free, k - sum(n for _, n in taken))
        taken.extend(got)
        if sum(n for _, n in taken) >= k:
            break
    return taken


def pack(racks: RackView, free: np.ndarray, job: JobView, gpus: int) -> Grant | None:
    """Fewest pods, then fewest racks, on one GPU type.

    Among GPU types, prefer the one that gives the job the most GPUs, then the fewest pods, then
    the tightest fit (fewest free GPUs left on that type), which keeps large blocks free for
    large jobs that come later.
    """
    best: list[tuple[int, int]] | None = None
    best_key: tuple[int, int, int] | None = None
    for t in range(len(racks.gpu_types)):
        unit = allocation_unit(job.config, int(racks.gpus_per_domain[t]))
        need, want = _units(job, gpus, unit)
        if want < need:
            continue
        available = int((np.where(racks.usable & (racks.rack_type == t), free, 0) // unit).sum())
        k = min(want, available)
        if k < need:
            continue
        taken = _pack_one_type(racks, free, t, unit, k)
        pods = len({int(racks.rack_pod[r]) for r, _ in taken})
        key = (-k * unit, pods, available * unit - k * unit)
        if best_key is None or key < best_key:
            best, best_key = [(r, n * unit) for r, n in taken], key
    if best is None and racks.mixed_types:
        best = _pack_mixed(racks, free, job, gpus)
    if best is None:
        return None
    return tuple(sorted(best))


def _pack_mixed(
    racks: RackView, free: np.ndarray, job: JobView, gpus: int
) -> list[tuple[int, int]] | None:
    """Span GPU types when no single type can hold ``min_gpus``: most free type first."""
    want = min(gpus, job.max_gpus)
    units = [allocation_unit(job.config, int(d)) for d in racks.gpus_per_domain]
    usable_free = np.where(racks.usable, free, 0)
    by_type = [int(usable_free[racks.rack_type == t].sum()) for t in range(len(units))]
    taken: list[tuple[int, int]] = []
    got = 0
    for t in sorted(range(len(units)), key=lambda t: (-by_type[t], t)):
        unit = units[t]
        k = min((want - got) // unit, by_type[t] // unit)
        if k > 0:
            taken.extend((r, n * unit) for r, n in _pack_one_type(racks, free, t, unit, k))
            got += k * unit
    return taken if got >= job.min_gpus else None


PLACERS: dict[str, Placer] = {"pack": pack}


def claim(free: np.ndarray, grant: Grant) -> None:
    """Mark a grant as used in a scratch free array."""
    for rack, n in grant:
        free[rack] -= n
