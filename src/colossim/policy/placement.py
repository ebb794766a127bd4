"""Placers: turn "this job, this many GPUs" into a grant of (rack, GPUs) pairs.

A placer works on a scratch copy of the free-GPU array so a policy can place several jobs in
one decision without double-booking; the engine re-checks every grant anyway. Every placer
respects the job's allocation grain (whole NVLink domains or single GPUs) and gives between
``min_gpus`` and the requested size, as many as there are.

- ``pack``: fewest pods, then fewest racks, on one GPU type (a job spread over types runs at
  the slower type's pace);
- ``spread``: as many racks as possible, evenly (the anti-locality baseline);
- ``random``: racks in a random order drawn from the policy's own stream;
- ``topology-aware``: the smallest domain that holds the job (rack, rail group, pod), then pods
  whose uplinks are healthy and unloaded (``policy/topology.py``, ``docs/fabric.md``);
- ``any``: the cluster as one pool of GPUs, no topology (first fit by rack index), as trace
  studies in the literature model it (e.g. Tiresias' ``count`` scheme, NSDI'19).

No placer gives a job racks whose traffic would cross a cut (a fabric tier at zero capacity,
``FabricView``): a job spanning pods uses no pod whose uplinks or rack tier are cut (none when
the core is), and one spanning rack-tier units of a pod none whose rack tier is; a placement
that would is retried on the healthy racks (``_around_cut``). Growing a running job, pass its
grant as ``held``: the cut is judged on the racks it holds and the new ones together (a rack
added in another pod takes a job on a pod whose uplinks are cut across them).

Keyword options shared by all placers: ``min_gpus`` (a lower bound other than the job's, e.g.
one unit when growing a running job), ``held`` (the grant of a job being grown: the answer is
the GPUs to add), ``only_type`` (a GPU type index), ``rng``, and ``prefer``
(the job's speed on each GPU type, ``type_speeds``): between types that fit a job equally well
the faster wins, so the answer does not depend on which rack group a scenario lists first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import compress, permutations, repeat
from operator import mul
from typing import Any, Protocol

import numpy as np

from colossim.config.job_checks import domain_group
from colossim.model.cluster import (
    allocation_unit,
    gpus_by_type,
    gpus_of,
    grant_array,
    plain_pairs,
    rack_of,
)
from colossim.policy.actions import Grant
from colossim.policy.topology import topology_select
from colossim.policy.view import ClusterView, FabricView, JobView, RackView

Taken = list[tuple[int, int]]  # (rack, units)
Select = Callable[[RackView, np.ndarray, np.ndarray, int, "np.random.Generator | None"], Taken]
Cut = tuple[np.ndarray, np.ndarray]  # per pod: rack tier cut; cannot share a job with another pod


class Placer(Protocol):
    def __call__(
        self,
        racks: RackView,
        free: np.ndarray,
        job: JobView,
        gpus: int,
        *,
        min_gpus: int | None = None,
        only_type: int | None = None,
        rng: np.random.Generator | None = None,
        prefer: Sequence[float] | None = None,
        held: Grant | None = None,
    ) -> Grant | None: ...


def grant_types(racks: RackView, grant: Grant) -> dict[str, int]:
    """GPUs of a grant by GPU type name (as ``estimate_rate`` and the power model take them)."""
    if grant and plain_pairs(grant):  # the placers' grants: one array step
        pairs = grant_array(grant)
        kinds = racks.rack_type[pairs[:, 0]]
        if kinds.min() == kinds.max():  # one type: the usual grant, summed at once
            return {racks.gpu_types[int(kinds[0])]: int(pairs[:, 1].sum())}
    names = [racks.gpu_types[t] for t in racks.rack_type.tolist()]
    return gpus_by_type(grant, names)  # type: ignore[return-value]


def _units(job: JobView, gpus: int, unit: int, min_gpus: int | None) -> tuple[int, int]:
    """Smallest and largest number of units that respect the lower bound and the size."""
    need = -(-(job.min_gpus if min_gpus is None else min_gpus) // unit)
    want = min(gpus, job.max_gpus) // unit
    return max(need, 1), want


def _types(racks: RackView, only_type: int | None, job: JobView,
           prefer: Sequence[float] | None = None) -> list[int]:
    """The GPU types to place the job on: all (or ``only_type``), less those whose NVLink domain
    cannot hold its pinned tensor-parallel group (tp 16 never runs on H100's 8-GPU domains: a
    grant there was refused as "does not fit in memory", again at every decision), and less
    those on which ``prefer`` (its speed on the GPUs asked for, by type) is 0: it does not fit
    in their memory (QA: a 1T job was offered 72 GB200s, which it needs 120 of, beside 72
    GB300s it fits; the start was refused as invalid and it waited 7 h)."""
    group = domain_group(job.config)
    types = range(len(racks.gpu_types)) if only_type is None else (only_type,)
    return [t for t in types if group <= int(racks.gpus_per_domain[t])
            and (prefer is None or prefer[t] > 0.0)]


def fitting_place(placer: Placer, view: ClusterView, free: np.ndarray, job: JobView, gpus: int,
                  **options: Any) -> Grant | None:
    """``placer``'s grant, if the job fits in its memory there (the speed model gives it a rate);
    else the grant for a lower bound raised past it, until one fits or none is left.

    A type is left out where the job misses at the size asked for (``_types``), but the placer
    may give fewer GPUs than asked, all a type has free: a 1T job allowed 144 GPUs was given 72
    GB200s, which it needs 120 of, and the engine refused the start as invalid (review; or a
    400B job took 64 A100s where only a 64 + 64 mix of types holds it, and the run stalled).
    Each try gives more GPUs than the last, so the tries end."""
    floor = options.pop("min_gpus", None)
    while True:
        grant = placer(view.racks, free, job, gpus, min_gpus=floor, **options)
        if grant is None or view.estimate_rate(job, grant_types(view.racks, grant)) > 0.0:
            return grant
        got = sum(n for _, n in grant)
        if got >= min(gpus, job.max_gpus):
            return None  # it misses at the size asked for: no grant of it fits
        floor = got + 1


def type_speeds(view: ClusterView, job: JobView, gpus: int) -> tuple[float, ...] | None:
    """The job's FLOP/s on ``gpus`` GPUs of each GPU type (the placers' ``prefer``), or None
    on a cluster of one type, where there is nothing to choose."""
    types = view.racks.gpu_types
    if len(types) < 2:
        return None
    return tuple(view.estimate_rate(job, {name: gpus}) for name in types)


def _slower(prefer: Sequence[float] | None, t: int) -> float:
    """Sorts the faster GPU type first, where two fit a job equally well (GB300 before GB200
    for a job whose plan gains from its memory, whichever rack group is listed first)."""
    return 0.0 if prefer is None else -float(prefer[t])


def _take_racks(order: np.ndarray, units_free: np.ndarray, k: int) -> Taken:
    """The racks of ``order`` in turn, each giving all its free units or the last few wanted,
    until ``k`` units are taken (or the racks run out). A cumulative sum, not a loop: the
    10T job's restarts take 3,072 racks at a time, thousands of times a run."""
    if k <= 0:
        return []
    values = units_free[order].astype(np.int64)  # whole units, as int() took them
    given = values > 0
    order, values = order[given], values[given]
    total = np.cumsum(values)
    last = int(np.searchsorted(total, k))  # the rack that reaches k
    if last < total.size:
        order, values = order[: last + 1], values[: last + 1].copy()
        values[-1] -= int(total[last]) - k
    return list(zip(order.tolist(), values.tolist(), strict=True))


def _units_free(racks: RackView, free: np.ndarray, t: int, unit: int) -> np.ndarray:
    return np.where(racks.usable & (racks.rack_type == t), free // unit, 0)


def _pack_select(racks: RackView, free: np.ndarray, units_free: np.ndarray, k: int,
                 _rng: np.random.Generator | None) -> Taken:
    """k units in the fewest pods (best-fit pod when one pod suffices): the pods with the most
    free units first, and in each pod its fullest racks first (then by rack index)."""
    pod_units = np.bincount(racks.rack_pod, weights=units_free, minlength=1)
    fits = np.flatnonzero(pod_units >= k)
    if fits.size:
        pods = fits[np.argmin(pod_units[fits])][None]  # best fit: the tightest pod that fits
    else:
        pods = np.argsort(-pod_units, kind="stable")
        pods = pods[pod_units[pods] > 0]
    rank = np.full(pod_units.size, pods.size)  # a pod's turn; pods not taken from come last
    rank[pods] = np.arange(pods.size)
    candidates = np.flatnonzero(units_free > 0)
    turn = rank[racks.rack_pod[candidates]]
    candidates, turn = candidates[turn < pods.size], turn[turn < pods.size]
    # by pod turn, then most free units; lexsort is stable, so ties keep rack order
    order = candidates[np.lexsort((-units_free[candidates], turn))]
    return _take_racks(order, units_free, k)


def _spread_select(_racks: RackView, _free: np.ndarray, units_free: np.ndarray, k: int,
                   _rng: np.random.Generator | None) -> Taken:
    """k units over as many racks as possible: level L with sum(min(free, L)) >= k."""
    lo, hi = 1, int(units_free.max())
    while lo < hi:  # smallest level that holds k units
        mid = (lo + hi) // 2
        if int(np.minimum(units_free, mid).sum()) >= k:
            hi = mid
        else:
            lo = mid + 1
    take = np.minimum(units_free, lo - 1)
    extra = k - int(take.sum())
    for rack in np.flatnonzero(units_free >= lo)[:extra]:  # lowest racks get the last units
        take[rack] += 1
    return [(int(r), int(take[r])) for r in np.flatnonzero(take)]


def _random_select(_racks: RackView, _free: np.ndarray, units_free: np.ndarray, k: int,
                   rng: np.random.Generator | None) -> Taken:
    candidates = np.flatnonzero(units_free > 0)
    order = (rng or np.random.default_rng(0)).permutation(candidates)
    return _take_racks(order, units_free, k)


def _first_fit_select(_racks: RackView, _free: np.ndarray, units_free: np.ndarray, k: int,
                      _rng: np.random.Generator | None) -> Taken:
    """The pool view: the first racks (by index) that hold k units."""
    cum = np.cumsum(units_free)
    last = int(np.searchsorted(cum, k))
    take = units_free[: last + 1].copy()
    take[last] -= int(cum[last]) - k
    return [(int(r), int(take[r])) for r in np.flatnonzero(take)]


def _cut(fabric: FabricView | None) -> Cut | None:
    """Per pod: (its rack tier is cut, it cannot join a job spanning pods: its rack tier or
    uplinks are cut, or the core is), or None when nothing is cut (the usual case)."""
    if fabric is None:
        return None
    rack = fabric.pod_rack_health
    rack_cut = (rack <= 0) if rack is not None else np.zeros(fabric.pod_uplink_health.size, bool)
    alone = rack_cut | (fabric.pod_uplink_health <= 0) | (fabric.core_health <= 0)
    return (rack_cut, alone) if alone.any() else None


def _crosses(racks: RackView, cut: Cut, taken: Taken, held: Sequence[int] = ()) -> bool:
    """Would this placement's traffic, with the racks the job already ``held`` (growing it),
    cross a cut? (One rack-tier unit never leaves it.)"""
    if not taken:
        return False
    rk = np.fromiter((*(r for r, _ in taken), *held), dtype=np.int64, count=len(taken) + len(held))
    pods = np.unique(racks.rack_pod[rk])
    if pods.size > 1:
        return bool(cut[1][pods].any())
    unit = racks.fabric.rack_unit if racks.fabric is not None else np.arange(racks.racks)
    return bool(cut[0][pods[0]]) and np.unique(unit[rk]).size > 1


def _around_cut(
    racks: RackView, free: np.ndarray, units_free: np.ndarray, k: int, need: int,
    select: Select, rng: np.random.Generator | None, cut: Cut, held: Sequence[int] = (),
) -> tuple[Taken, int] | None:
    """The placer's choice on ever fewer racks until it crosses no cut: without pods whose rack
    tier is cut; nor those that cannot join other pods; in the one healthy pod, then the one
    rack-tier unit, with the most free units (a job being grown: the pod, then the unit, it
    ``held`` already). The first that holds all ``k`` units wins, else the one that holds the
    most (at least ``need``); None if none does."""
    pod = racks.rack_pod
    unit = racks.fabric.rack_unit if racks.fabric is not None else np.arange(racks.racks)
    tries = [np.where(cut[0][pod], 0, units_free), np.where(cut[1][pod], 0, units_free)]
    per_pod = np.bincount(pod, weights=tries[0], minlength=cut[0].size)
    its_pods, its_units = np.unique(pod[list(held)]), np.unique(unit[list(held)])
    if held and its_pods.size == 1:
        tries.append(np.where(pod == int(its_pods[0]), units_free, 0))
    elif not held and per_pod.max() > 0:
        tries.append(np.where(pod == int(np.argmax(per_pod)), units_free, 0))
    if held and its_units.size == 1:
        tries.append(np.where(unit == int(its_units[0]), units_free, 0))
    elif not held:
        per_unit = np.bincount(unit, weights=units_free)
        tries.append(np.where(unit == int(np.argmax(per_unit)), units_free, 0))
    best: tuple[Taken, int] | None = None
    for left in tries:
        got = min(k, int(left.sum()))
        if got < need or (best is not None and got <= best[1]):
            continue
        taken = select(racks, free, left, got, rng)
        if not _crosses(racks, cut, taken, held):
            if got == k:
                return taken, got
            best = (taken, got)
    return best


SMALL_POOL = 256  # racks: below this, the pool placer walks Python lists, not numpy arrays


def _pool_place(racks: RackView, free: np.ndarray, job: JobView, gpus: int,
                min_gpus: int | None, only_type: int | None,
                prefer: Sequence[float] | None = None) -> Taken | None:
    """``_place`` with ``_first_fit_select`` (the same grant), on Python lists: on a small
    cluster a trace replay places ~20,000 jobs of 1-8 GPUs, and a dozen numpy calls on arrays
    of a few dozen racks cost ~10 times the arithmetic. Larger clusters take ``_place``."""
    best: Taken | None = None
    best_key: tuple[int, int, int, float, str] | None = None
    free_l, usable, rack_type = free.tolist(), racks.usable.tolist(), racks.rack_type.tolist()
    for t in _types(racks, only_type, job, prefer):
        unit = allocation_unit(job.config, int(racks.gpus_per_domain[t]))
        need, want = _units(job, gpus, unit, min_gpus)
        if want < need:
            continue
        units_free = [int(f // unit) if ok and rt == t else 0
                      for f, ok, rt in zip(free_l, usable, rack_type, strict=True)]
        available = sum(units_free)
        k = min(want, available)
        if k < need:
            continue
        taken: Taken = []
        left = k
        for rack, units in enumerate(units_free):  # first fit by rack index
            if units:
                n = units if units < left else left
                taken.append((rack, n * unit))
                left -= n
                if not left:
                    break
        key = (-k * unit, 0, (available - k) * unit, _slower(prefer, t), racks.gpu_types[t])
        if best_key is None or key < best_key:
            best, best_key = taken, key
    if best is None and racks.mixed_types and only_type is None:
        best = _mixed(racks, free, job, gpus, _first_fit_select, min_gpus, None, prefer=prefer)
    return best


def _place(
    racks: RackView, free: np.ndarray, job: JobView, gpus: int, select: Select,
    min_gpus: int | None, only_type: int | None, rng: np.random.Generator | None,
    *, pods_matter: bool, prefer: Sequence[float] | None = None, cut: Cut | None = None,
    held: Sequence[int] = (),
) -> Taken | None:
    """One GPU type: the one that gives the job the most GPUs (then fewest pods, tightest fit,
    the faster type), crossing no cut (with the racks it ``held``, when growing it)."""
    best: Taken | None = None
    best_key: tuple[int, int, int, float, str] | None = None
    for t in _types(racks, only_type, job, prefer):
        unit = allocation_unit(job.config, int(racks.gpus_per_domain[t]))
        need, want = _units(job, gpus, unit, min_gpus)
        if want < need:
            continue
        units_free = _units_free(racks, free, t, unit)
        available = int(units_free.sum())
        k = min(want, available)
        if k < need:
            continue
        taken = select(racks, free, units_free, k, rng)
        if cut is not None and _crosses(racks, cut, taken, held):
            around = _around_cut(racks, free, units_free, k, need, select, rng, cut, held)
            if around is None:
                continue
            taken, k = around
        pods = _pods_of(racks, taken) if pods_matter else 0
        # the last tie by type name: never by the order the rack groups are listed in
        key = (-k * unit, pods, (available - k) * unit, _slower(prefer, t), racks.gpu_types[t])
        if best_key is None or key < best_key:
            best, best_key = _in_gpus(taken, unit), key
    if best is None and racks.mixed_types and only_type is None:
        best = _mixed(racks, free, job, gpus, select, min_gpus, rng, cut, held, prefer=prefer)
    return best


def _pods_of(racks: RackView, taken: Taken) -> int:
    """How many pods the taken racks are in."""
    return int(np.unique(racks.rack_pod[grant_array(taken)[:, 0]]).size)


def _in_gpus(taken: Taken, unit: int) -> Taken:
    """(rack, units) pairs as (rack, GPUs)."""
    return list(zip(map(rack_of, taken), map(mul, map(gpus_of, taken), repeat(unit)),
                    strict=True))  # mul, not unit.__mul__: a numpy count multiplies too


ALL_ORDERS_UP_TO = 4  # types with free GPUs a mixed grant tries in every order (24); more:
# each type first once, the rest most free first


def _mixed(
    racks: RackView, free: np.ndarray, job: JobView, gpus: int, select: Select,
    min_gpus: int | None, rng: np.random.Generator | None, cut: Cut | None = None,
    held: Sequence[int] = (), prefer: Sequence[float] | None = None,
) -> Taken | None:
    """Span GPU types when no single type can hold the lower bound: most free type first (on
    racks of several types, so several racks: never in a pod that cannot join others, nor
    across a cut with the racks a job being grown ``held``). A type the job does not fit in
    the memory of (``prefer`` 0) takes no part: a mix is held to its smallest memory.

    When that order cannot form the grant, other orders of the types with free GPUs are tried
    (every order of up to ``ALL_ORDERS_UP_TO`` types, else each type first once) and the one
    giving the most GPUs wins: 128 free H100s taken first left 8 GPUs to find, less than one
    72-GPU GB200 domain, and a job of 136 that 64 H100s and a GB200 rack hold stayed pending
    for good under every policy (QA). A job all the types' free GPUs together cannot hold is
    refused before any order is tried (policies ask for every pending job at every call)."""
    want = min(gpus, job.max_gpus)
    least = job.min_gpus if min_gpus is None else min_gpus
    units = [allocation_unit(job.config, int(d)) for d in racks.gpus_per_domain]
    usable_free = np.where(racks.usable, free, 0)
    by_type = [int(usable_free[racks.rack_type == t].sum()) for t in range(len(units))]
    order = sorted(_types(racks, None, job, prefer), key=lambda t: (-by_type[t],
                                                                    racks.gpu_types[t]))
    grains: dict[int, np.ndarray] = {}  # each type's free grains per rack (none across a cut)
    for t in order:
        units_free = _units_free(racks, free, t, units[t])
        if cut is not None:
            units_free = np.where(cut[1][racks.rack_pod], 0, units_free)
        if units_free.sum() > 0:
            grains[t] = units_free
    types = [t for t in order if t in grains]  # a type with nothing free adds nothing
    if min(want, sum(int(g.sum()) * units[t] for t, g in grains.items())) < least:
        return None
    orders = (permutations(types) if len(types) <= ALL_ORDERS_UP_TO
              else (tuple(types[i:] + types[:i]) for i in range(len(types))))
    best: Taken | None = None
    most = 0
    for tried, sequence in enumerate(orders):
        taken: Taken = []
        got = 0
        for t in sequence:
            unit = units[t]
            k = min((want - got) // unit, int(grains[t].sum()))
            if k > 0:
                taken.extend(_in_gpus(select(racks, free, grains[t], k, rng), unit))
                got += k * unit
        if cut is not None and held and _crosses(racks, cut, taken, held):
            continue
        if got >= least and got > most:
            best, most = taken, got
        if best is not None and (tried == 0 or most == want):
            break  # the usual order formed it (as it always did), or nothing gives more
    return best


def _placer(select: Select, *, pods_matter: bool = False, doc: str = "") -> Placer:
    def place(
        racks: RackView, free: np.ndarray, job: JobView, gpus: int, *,
        min_gpus: int | None = None, only_type: int | None = None,
        rng: np.random.Generator | None = None, prefer: Sequence[float] | None = None,
        held: Grant | None = None,
    ) -> Grant | None:
        cut = _cut(racks.fabric)
        if select is _first_fit_select and racks.racks <= SMALL_POOL and cut is None:
            taken = _pool_place(racks, free, job, gpus, min_gpus, only_type, prefer)
        else:
            its = tuple(r for r, _ in held) if held and cut is not None else ()
            taken = _place(racks, free, job, gpus, select, min_gpus, only_type, rng,
                           pods_matter=pods_matter, prefer=prefer, cut=cut, held=its)
        return None if taken is None else tuple(sorted(taken))

    place.__doc__ = doc
    return place


pack = _placer(_pack_select, pods_matter=True, doc="Fewest pods, then fewest racks, one type.")
spread = _placer(_spread_select, doc="As many racks as possible, evenly.")
random = _placer(_random_select, doc="Racks in a random order from the policy's stream.")
any_gpus = _placer(_first_fit_select, doc="The cluster as one pool of GPUs: first fit.")
topology_aware = _placer(topology_select, pods_matter=True,  # docs/fabric.md
                         doc="Smallest domain that holds the job; unloaded pod uplinks first.")

PLACERS: dict[str, Placer] = {"pack": pack, "spread": spread, "random": random, "any": any_gpus,
                              "topology-aware": topology_aware}


def claim(free: np.ndarray, grant: Grant) -> None:
    """Mark a grant as used in a scratch free array."""
    if plain_pairs(grant):  # the placers' grants: one numpy step for thousands of racks
        pairs = grant_array(grant)
        np.subtract.at(free, pairs[:, 0], pairs[:, 1])  # unbuffered: a rack named twice counts
    else:  # a policy's own grant (numpy or odd numbers): rack by rack, as numpy indexes each
        for rack, n in grant:
            free[rack] -= n


def release(free: np.ndarray, grant: Grant) -> None:
    """Give a grant back to a scratch free array (a job the policy is about to stop)."""
    if plain_pairs(grant):
        pairs = grant_array(grant)
        np.add.at(free, pairs[:, 0], pairs[:, 1])
    else:
        for rack, n in grant:
            free[rack] += n


def free_gpus(racks: RackView, free: np.ndarray) -> int:
    """Free GPUs on usable racks: no placer can give a job more than this."""
    if free.size <= SMALL_POOL:  # asked at every decision: lists beat numpy on a few racks
        return sum(compress(free.tolist(), racks.usable.tolist()))
    return int(free[racks.usable].sum())
