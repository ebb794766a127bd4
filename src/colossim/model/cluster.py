"""Racks, pods and the one allocation ledger.

The ledger is the only place GPUs are claimed and released. It counts GPUs per rack, so a job can
hold whole NVLink domains or single GPUs. Invariants (checked by ``check``): a rack never gives
more GPUs than it has, no GPU is in two allocations, spare and failed racks hold no allocation,
and failed GPUs are never free (held + free + failed = capacity).
Racks live in numpy arrays so that placement over ~7,600 racks is a few vector operations.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter

import numpy as np

from colossim.config.schema import GpuSpec, JobConfig, Scenario
from colossim.errors import InvariantViolation

Grant = tuple[tuple[int, int], ...]  # ((rack index, GPUs), ...), sorted by rack
# a grant pair's rack and GPUs: map(rack_of, grant) walks a grant of thousands at C speed
rack_of, gpus_of = itemgetter(0), itemgetter(1)


def grant_gpus(grant: Grant) -> int:
    """The GPUs a grant gives."""
    return sum(map(gpus_of, grant))


def gpus_by_type(grant: Grant, type_of_rack: Sequence[Hashable]) -> dict[Hashable, int]:
    """GPUs of a grant by its racks' type (``type_of_rack``: a type index or name per rack), in
    the order the types first appear. A grant of one type, the rule on a cluster that does not
    mix them, is summed at C speed: the 10T job's restarts ask this of 3,072 racks."""
    kinds = set(map(type_of_rack.__getitem__, map(rack_of, grant)))
    if len(kinds) == 1:
        return {kinds.pop(): grant_gpus(grant)}
    out: dict[Hashable, int] = {}
    for rack, n in grant:
        kind = type_of_rack[rack]
        out[kind] = out.get(kind, 0) + n
    return out


def _distinct_racks(grant: Grant) -> bool:
    return len(set(map(rack_of, grant))) == len(grant)


def plain_pairs(grant: object) -> bool:
    """Is ``grant`` a tuple or list of (int, int) tuples (not bools, not numpy integers)? Such
    a grant needs no conversion, and the test runs at C speed on thousands of racks."""
    return (type(grant) in (tuple, list)
            and set(map(type, grant)) <= {tuple} and set(map(len, grant)) <= {2}  # type: ignore[arg-type]
            and set(map(type, map(rack_of, grant))) <= {int}  # type: ignore[arg-type]
            and set(map(type, map(gpus_of, grant))) <= {int})  # type: ignore[arg-type]


def grant_array(grant: Grant | np.ndarray) -> np.ndarray:
    """A grant as an (n, 2) int64 array of (rack, GPUs) rows.

    ``np.fromiter`` over the flattened pairs: about ten times faster than ``np.asarray`` on a
    tuple of tuples, which matters because a failure-heavy run re-places grants of thousands of
    racks after every spare swap.
    """
    if isinstance(grant, np.ndarray):
        return grant.astype(np.int64, copy=False).reshape(-1, 2)
    flat = np.fromiter(chain.from_iterable(grant), dtype=np.int64, count=2 * len(grant))
    return flat.reshape(-1, 2)


def swap_rack(grant: Grant, old: int, new: int) -> Grant | None:
    """``grant`` with its GPUs on rack ``old`` moved to rack ``new`` (kept sorted by rack), or
    None if ``old`` is not in it: one rack changes, so no re-sort of a long grant."""
    i = bisect_left(grant, (old, 0))
    if i == len(grant) or grant[i][0] != old:
        return None
    n, rest = grant[i][1], grant[:i] + grant[i + 1:]
    j = bisect_left(rest, (new, 0))
    return rest[:j] + ((new, n),) + rest[j:]


class AllocationError(Exception):
    """A requested grant does not fit the ledger as it is now (the caller records why)."""


@dataclass(frozen=True)
class RackLayout:
    """The static shape of the cluster: what each rack is and where it sits."""

    gpu_types: tuple[str, ...]  # index -> GPU type name
    specs: tuple[GpuSpec, ...]  # index -> spec
    rack_type: np.ndarray  # rack -> GPU type index
    rack_pod: np.ndarray  # rack -> pod index
    rack_group: np.ndarray  # rack -> rack group index
    capacity: np.ndarray  # rack -> GPUs
    spare: np.ndarray  # rack -> held back as a spare
    pods: int

    @property
    def racks(self) -> int:
        return int(self.capacity.size)

    @property
    def total_gpus(self) -> int:
        return int(self.capacity.sum())


def build_layout(scenario: Scenario) -> RackLayout:
    """Lay racks out group by group; each group starts a fresh pod so pods stay homogeneous."""
    catalog = scenario.gpu_catalog()
    cluster = scenario.cluster
    names: list[str] = []
    for group in cluster.rack_groups:
        if group.gpu_type not in names:
            names.append(group.gpu_type)
    rack_type, rack_pod, rack_group, capacity = [], [], [], []
    pod = 0
    for g, group in enumerate(cluster.rack_groups):
        spec = catalog[group.gpu_type]
        for r in range(group.racks):
            rack_type.append(names.index(group.gpu_type))
            rack_pod.append(pod + r // cluster.pod_size_racks)
            rack_group.append(g)
            capacity.append(spec.gpus_per_rack)
        pod += -(-group.racks // cluster.pod_size_racks)
    n = len(capacity)
    spare = np.zeros(n, dtype=bool)
    if cluster.spare_racks:
        spare[n - cluster.spare_racks :] = True
    return RackLayout(
        gpu_types=tuple(names),
        specs=tuple(catalog[t] for t in names),
        rack_type=np.asarray(rack_type, dtype=np.int32),
        rack_pod=np.asarray(rack_pod, dtype=np.int32),
        rack_group=np.asarray(rack_group, dtype=np.int32),
        capacity=np.asarray(capacity, dtype=np.int64),
        spare=spare,
        pods=pod,
    )


def held_back(layout: RackLayout, per_pod: int) -> np.ndarray:
    """Racks held back as hot spares: ``cluster.spare_racks`` (the layout's) and the last
    ``per_pod`` racks of every pod (``reliability.spares.racks_per_pod``); a rack both pick is
    held once."""
    spare = layout.spare.copy()
    if per_pod:
        for pod in range(layout.pods):
            spare[np.flatnonzero(layout.rack_pod == pod)[-per_pod:]] = True
    return spare


SMALL_GRANT = 8  # racks; smaller grants are booked rack by rack (Ledger._allocate_small)


class Ledger:
    """Who holds which GPUs. The single writer of ``free``."""

    def __init__(self, layout: RackLayout):
        self.layout = layout
        self.free = layout.capacity.copy()
        self.healthy = np.ones(layout.racks, dtype=bool)
        self.holdings: dict[int, Grant] = {}  # job index -> grant
        # Reliability: failed GPUs are out of ``free`` (held + free + failed = capacity), and a
        # hot spare swapped into a job trades roles with the failed rack, so spares live here.
        self.failed = np.zeros(layout.racks, dtype=np.int64)
        self.spare = layout.spare.copy()
        self._rack_type = layout.rack_type.tolist()
        self._busy = [0] * len(layout.specs)  # GPUs allocated per type, kept as grants change
        # per job: (grant, racks, GPUs) as ``allocate`` converted them, for ``arrays``
        self._arrays_of: dict[int, tuple[Grant, np.ndarray, np.ndarray]] = {}

    @property
    def usable(self) -> np.ndarray:
        """Racks that may be allocated: healthy and not held as spares."""
        return self.healthy & ~self.spare

    def busy_gpus(self) -> int:
        return sum(self._busy)

    def busy_gpus_by_type(self) -> tuple[int, ...]:
        """The same counts as a hashable tuple (cheap: no array)."""
        return tuple(self._busy)

    def _count(self, racks: np.ndarray, ns: np.ndarray, sign: int) -> None:
        by_type = np.bincount(self.layout.rack_type[racks], weights=ns, minlength=len(self._busy))
        for t, n in enumerate(by_type.tolist()):
            self._busy[t] += sign * int(n)

    @staticmethod
    def _arrays(items: Grant) -> tuple[np.ndarray, np.ndarray]:
        pairs = grant_array(items)
        pairs.flags.writeable = False  # shared through ``arrays``
        return pairs[:, 0], pairs[:, 1]

    def arrays(self, job: int, grant: Grant) -> tuple[np.ndarray, np.ndarray] | None:
        """(racks, GPUs) of ``grant`` as read-only arrays, if it is what ``job`` holds (else
        None). Kept from ``allocate``: converting a grant of thousands of racks costs a fifth
        of a millisecond, and a failure-heavy run restarts jobs thousands of times, each
        release and each re-placement of the fabric converting it again."""
        if self.holdings.get(job) is not grant:
            return None
        entry = self._arrays_of.get(job)
        if entry is None or entry[0] is not grant:  # swapped since: convert once more
            entry = self._arrays_of[job] = (grant, *self._arrays(grant))
        return entry[1], entry[2]

    def allocate(self, job: int, grant: Mapping[int, int] | Grant) -> Grant:
        """Claim ``grant`` for ``job`` atomically: all of it or nothing."""
        if job in self.holdings:
            raise AllocationError(f"job {job} already holds GPUs")
        if plain_pairs(grant) and _distinct_racks(grant) and all(map(gpus_of, grant)):
            items = tuple(sorted(grant))  # what the conversion below would give, sooner
        else:
            items = tuple(sorted((int(r), int(n)) for r, n in dict(grant).items() if n))
        if not items:
            raise AllocationError("empty grant")
        if len(items) <= SMALL_GRANT:
            return self._allocate_small(job, items)
        racks, ns = self._arrays(items)
        exists = (racks >= 0) & (racks < self.layout.racks)
        ok = exists & (ns >= 0)
        ok[ok] &= self.usable[racks[ok]] & (ns[ok] <= self.free[racks[ok]])
        if not ok.all():  # vectorised test; the first bad rack says why, in rack order
            rack, n = items[int(np.argmin(ok))]
            raise AllocationError(self._refusal(rack, n))
        self.free[racks] -= ns  # racks are distinct (the grant went through a dict)
        self.holdings[job] = items
        self._arrays_of[job] = (items, racks, ns)
        self._count(racks, ns, 1)
        return items

    def _refusal(self, rack: int, n: int) -> str | None:
        """Why ``n`` GPUs of ``rack`` cannot be allocated, or None if they can."""
        if not 0 <= rack < self.layout.racks:
            return f"rack {rack} does not exist"
        if n < 0:
            return f"negative GPU count {n} on rack {rack}"
        if not self.healthy[rack] or self.spare[rack]:
            why = "failed" if not self.healthy[rack] else "a spare"
            return f"rack {rack} is {why}"
        if n > self.free[rack]:
            return f"rack {rack} has {self.free[rack]} free GPUs, not {n}"
        return None

    def _allocate_small(self, job: int, items: Grant) -> Grant:
        """``allocate`` for a grant of a few racks, rack by rack: a trace replay starts thousands
        of one-rack jobs, where a dozen numpy calls on one-element arrays cost ten times more.
        The same checks in the same order, so the same refusal; arrays are made on demand."""
        for rack, n in items:
            why = self._refusal(rack, n)
            if why is not None:
                raise AllocationError(why)
        free, busy, rack_type = self.free, self._busy, self._rack_type
        for rack, n in items:
            free[rack] -= n
            busy[rack_type[rack]] += n
        self.holdings[job] = items
        return items

    def release(self, job: int) -> Grant:
        """Give back everything ``job`` holds."""
        items = self.holdings.pop(job, ())
        kept = self._arrays_of.pop(job, None)
        if not items:
            return items
        if len(items) <= SMALL_GRANT:
            free, busy, rack_type = self.free, self._busy, self._rack_type
            for rack, n in items:
                free[rack] += n
                busy[rack_type[rack]] -= n
            return items
        racks, ns = kept[1:] if kept is not None and kept[0] is items else self._arrays(items)
        self.free[racks] += ns
        self._count(racks, ns, -1)
        return items

    def swap(self, job: int, old: int, new: int) -> Grant:
        """Move ``job``'s GPUs on rack ``old`` to rack ``new`` (a hot spare the caller promoted).

        One rack changes, so this is cheaper than releasing and re-allocating a large grant.
        """
        grant = self.holdings[job]
        items = swap_rack(grant, old, new)
        if items is None:  # checked before any count moves (review: it corrupted the ledger)
            raise AllocationError(f"job {job} holds no GPUs on rack {old}")
        n = grant[bisect_left(grant, (old, 0))][1]
        if not self.usable[new] or self.free[new] < n:
            raise AllocationError(f"rack {new} cannot take {n} GPUs")
        self.free[old] += n
        self.free[new] -= n
        self._busy[self._rack_type[old]] -= n
        self._busy[self._rack_type[new]] += n
        self.holdings[job] = items
        entry = self._arrays_of.get(job)
        if entry is not None and entry[0] is grant:  # splice the arrays as swap_rack did
            i = bisect_left(grant, (old, 0))
            j = bisect_left(items, (new, 0))
            racks = np.insert(np.delete(entry[1], i), j, new)
            ns = np.insert(np.delete(entry[2], i), j, n)
            racks.flags.writeable = ns.flags.writeable = False
            self._arrays_of[job] = (items, racks, ns)
        return items

    def fail_gpus(self, rack: int, n: int) -> None:
        """Take ``n`` free GPUs of ``rack`` out of service (their holder must have let go)."""
        if not 0 < n <= self.free[rack]:
            raise AllocationError(f"rack {rack} has {self.free[rack]} free GPUs to fail, not {n}")
        self.free[rack] -= n
        self.failed[rack] += n

    def repair_gpus(self, rack: int, n: int) -> None:
        """Return ``n`` repaired GPUs of ``rack`` to service."""
        if not 0 < n <= self.failed[rack]:
            raise AllocationError(f"rack {rack} has {self.failed[rack]} failed GPUs, not {n}")
        self.failed[rack] -= n
        self.free[rack] += n

    def check(self) -> None:
        """Raise ``InvariantViolation`` if the books do not balance."""
        held = np.zeros(self.layout.racks, dtype=np.int64)
        for job, grant in self.holdings.items():
            for rack, n in grant:
                if n <= 0:
                    raise InvariantViolation(f"job {job} holds {n} GPUs on rack {rack}")
                held[rack] += n
                if not self.healthy[rack]:
                    raise InvariantViolation(f"job {job} holds GPUs on failed rack {rack}")
                if self.spare[rack]:
                    raise InvariantViolation(f"job {job} holds GPUs on spare rack {rack}")
        wrong = held + self.free + self.failed != self.layout.capacity
        if np.any(wrong):
            bad = int(np.flatnonzero(wrong)[0])
            raise InvariantViolation(
                f"rack {bad}: held {held[bad]} + free {self.free[bad]} + failed "
                f"{self.failed[bad]} != capacity {self.layout.capacity[bad]}"
            )
        if np.any(self.free < 0) or np.any(self.failed < 0):
            raise InvariantViolation("a rack has negative free or failed GPUs")
        busy = np.bincount(self.layout.rack_type, weights=held, minlength=len(self._busy))
        if busy.tolist() != [float(b) for b in self._busy]:
            raise InvariantViolation(f"busy GPUs per type {self._busy} != holdings {busy}")


def allocation_unit(job: JobConfig, gpus_per_domain: int) -> int:
    """GPUs per allocation unit for ``job`` on a GPU type: a whole NVLink domain, or one GPU.

    The rule lives on ``JobConfig.allocation_unit`` so the load-time fit check uses it too.
    """
    return job.allocation_unit(gpus_per_domain)
