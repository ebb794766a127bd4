"""The scale-out fabric as shared capacity: topology aggregates and max-min fair sharing.

Resources are aggregates, never single links, so the cost does not grow with the cluster:
per pod, the **rack tier** (the rack or rail-group uplinks into the pod spine) and the **pod
tier** (the pod's uplinks to the core), and one **core**. A job is one class of flows, one per
GPU, each at the same rate ``x`` (GB/s per direction); of each GPU's bytes a share leaves its rack
unit and its pod, set by the job's collectives and where its GPUs sit (``footprint``): pod ``p``'s
uplinks carry ``sum over the job's GPUs in p of (share leaving the pod) x``. Rates are shared
max-min fairly between jobs by progressive filling (Bertsekas & Gallager, *Data Networks*,
s6.5.2), each job capped by its NIC and its rack's own uplinks. ``docs/fabric.md`` states the
model and its limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from colossim.config.fabric import TIER_NAMES, FabricConfig
from colossim.model.cluster import Grant, RackLayout, grant_array
from colossim.model.frozen import frozen

GBIT_PER_GBYTE = 8.0


@dataclass(frozen=True)
class FabricTopology:
    """Healthy capacities of every aggregate resource, in GB/s per direction.

    Resource ids: rack tier of pod ``p`` is ``p``, pod tier of pod ``p`` is ``pods + p``, the
    core is ``2 * pods``.
    """

    pods: int
    rack_pod: np.ndarray  # rack -> pod
    rack_unit: np.ndarray  # rack -> rack-tier unit (its rail group if rail-optimised, or itself)
    rack_nic: np.ndarray  # rack -> NIC GB/s per GPU
    rack_domain: np.ndarray  # rack -> GPUs per NVLink domain
    capacity: np.ndarray  # resource -> healthy GB/s
    rack_oversubscription: float

    @property
    def resources(self) -> int:
        return int(self.capacity.size)

    def tier_of(self, resource: int) -> str:
        return TIER_NAMES[min(resource // self.pods, 2)]

    def tier_slice(self, tier: str) -> slice:
        """Resource ids of one tier."""
        i = TIER_NAMES.index(tier)
        return slice(i * self.pods, min((i + 1) * self.pods, 2 * self.pods + 1))

    def resource(self, tier: str, pod: int | None = None) -> int:
        i = TIER_NAMES.index(tier)
        return 2 * self.pods if i == 2 else i * self.pods + int(pod or 0)


def build_topology(
    fabric: FabricConfig, layout: RackLayout, pod_size_racks: int
) -> FabricTopology:
    """Aggregate the racks' NICs into per-pod tier capacities and the core."""
    nic_by_type = np.array(
        [fabric.nic_gbit(name, spec.nic_gbit_s) / GBIT_PER_GBYTE
         for name, spec in zip(layout.gpu_types, layout.specs, strict=True)]
    )
    rack_nic = nic_by_type[layout.rack_type]
    pods = layout.pods
    tiers = fabric.tiers
    nic_total = np.bincount(layout.rack_pod, weights=rack_nic * layout.capacity, minlength=pods)
    rack_cap = nic_total / tiers.rack.oversubscription * fabric.link_efficiency
    pod_cap = rack_cap / tiers.pod.oversubscription
    core_cap = pod_cap.sum() / tiers.core.oversubscription
    capacity = np.concatenate([rack_cap, pod_cap, [core_cap]])
    racks = np.arange(layout.racks)
    if fabric.rail_optimized:
        # rail groups of rail_group_racks consecutive racks inside each pod (the whole pod if None)
        first = np.searchsorted(layout.rack_pod, layout.rack_pod)  # first rack of each rack's pod
        size = fabric.rail_group_racks or pod_size_racks
        group = (racks - first) // size
        labels = layout.rack_pod * (pod_size_racks + 1) + group
        rack_unit = np.unique(labels, return_inverse=True)[1]
    else:
        rack_unit = racks
    return FabricTopology(
        pods=pods,
        rack_pod=layout.rack_pod,
        rack_unit=frozen(np.array(rack_unit, dtype=np.int64)),  # handed to policies' views
        rack_nic=rack_nic,
        rack_domain=np.array([sp.gpus_per_domain for sp in layout.specs],
                             dtype=np.float64)[layout.rack_type],
        capacity=capacity,
        rack_oversubscription=tiers.rack.oversubscription,
    )


@dataclass(frozen=True)
class JobFootprint:
    """Where one job's flows go, per unit of its per-GPU rate.

    ``resources`` and ``weights`` pair each resource the job loads with the GPUs-worth of flow
    that cross it; ``leave_rack`` is the most any GPU sends out of its rack unit, over the most
    any GPU sends, and ``cross_pod_share`` its load on the pod uplinks per GPU, over what the GPU
    that sends the most sends: on an even split, the share of its scale-out bytes that leaves
    their pod (uneven, the solver's load, which follows the step's mean bytes: docs/fabric.md).
    """

    gpus: int
    racks: int
    pods: np.ndarray
    resources: np.ndarray
    weights: np.ndarray
    leave_rack: float
    cross_pod_share: float
    nic: float  # GB/s per GPU: the slowest NIC in the grant


def hierarchical_shares(
    unit_domains: np.ndarray, unit_pod_index: np.ndarray, pods: int, spacing: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Bytes that leave a unit's rack unit and that leave its pod, per GPU of the unit, over
    the bytes of the GPU that sends the most (``footprint``'s weights: that GPU streams at the
    job's rate).

    A topology-ordered reduce-scatter (all-gather alike) runs in three rings: among the m
    domains of a unit ((m-1)/m of the data), among the U units of a pod (on 1/m of it), among
    the P pods (on 1/D of it, D the pod's domains): nccl-tests' (n-1)/n at each level.

    Over the most any GPU sends, not over each unit's own bytes: a lone rack beside a pod of
    two sends half a domain's data across, as the pair does the other way, but over its own
    bytes it was charged as streaming them at the full rate, 1.5 times the pair's load on the
    same uplinks (QA). On an even split every unit sends the most, so nothing changes there.

    ``spacing``: the domains between two members of a DP group, the domains one model replica
    spans (tp x ep x pp GPUs over a domain's, at least 1). Each domain holds one member of
    every group only when a replica fits a domain; a pipeline spread over 15 racks puts a
    group's members one every 15 domains, so a 112-rack pod holds ~7 of them, not 112, and a
    seventh of its DP bytes leaves the pod, not a 112th (QA: the pod uplinks carried 8 to 15
    times less than the built-in jobs send). The rings then run among the domains, units and
    pods that hold members: m/s of a unit's domains, or one member in a unit of fewer than s.
    """
    m = np.maximum(unit_domains, 1.0)
    units_in_pod = np.bincount(unit_pod_index, minlength=pods).astype(float)
    domains_in_pod = np.maximum(np.bincount(unit_pod_index, weights=m, minlength=pods), 1.0)
    u = units_in_pod[unit_pod_index]
    d = domains_in_pod[unit_pod_index]
    p = float(pods)
    if spacing > 1.0:  # members in fewer domains (units, pods) than the job holds
        held = np.minimum(m / spacing, 1.0)  # a unit narrower than a replica: 1 member or none
        u = np.maximum(u * held, 1.0)
        m = np.maximum(m / spacing, 1.0)
        p = max(p * float(np.minimum(d / spacing, 1.0).mean()), 1.0)
        d = np.maximum(d / spacing, 1.0)
    inner = (m - 1.0) / m
    middle = (u - 1.0) / u / m
    outer = (p - 1.0) / p / d
    most = float((inner + middle + outer).max(initial=0.0))
    if most <= 0.0:  # one domain: nothing leaves it
        return np.zeros_like(inner), np.zeros_like(inner)
    return (middle + outer) / most, outer / most


def unique_inverse(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(a, return_inverse=True)``, without its sort when ``a`` is already in order
    (a grant's racks are sorted, and rack units and pods are numbered in rack order): the
    fabric re-places grants of thousands of racks after every failure restart."""
    if a.size and bool(np.all(a[1:] >= a[:-1])):
        starts = np.empty(a.size, dtype=bool)
        starts[0] = True
        np.not_equal(a[1:], a[:-1], out=starts[1:])
        return a[starts], np.cumsum(starts) - 1
    return np.unique(a, return_inverse=True)


def grant_arrays(grant: Grant | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(racks, GPUs) of a grant as arrays; one conversion, however long the grant."""
    pairs = grant_array(grant)
    return pairs[:, 0], pairs[:, 1].astype(np.float64)


def footprint(
    topology: FabricTopology, grant: Grant | np.ndarray, dp_bytes: float = 1.0,
    pp_bytes: float = 0.0, hierarchical: bool = True, pp_senders: float = 1.0,
    dp_spacing: float = 1.0,
) -> JobFootprint:
    """A job's footprint from its grant and its bytes per GPU per step over the NICs (DP and
    pipeline, means over its GPUs). O(racks in the grant), independent of the cluster's size.

    Pipeline sends cross a boundary between consecutive racks: of the job's R-1 rack boundaries,
    U-1 leave a rack unit and P-1 a pod. ``hierarchical=False`` spreads every GPU's NIC bytes
    evenly over the job's GPUs it reaches over the NICs, those outside its own NVLink domain (NIC
    bytes never go to its domain): of its G-d peers (d the job's GPUs in that domain), G-g lie
    outside a unit or pod holding g.

    A weight is what one unit of the job's per-GPU NIC rate puts on a tier: the bytes crossing
    it over the bytes of the GPU that sends the most, which streams at that rate. When only a
    share ``pp_senders`` of the GPUs send pipeline bytes over their NICs (a stage smaller than a
    domain: ``traffic.pipeline_nic_share``), the others are idle on the NICs meanwhile, so the
    pipeline's weight is ``pp_bytes`` (the mean) over the sender's bytes, not its whole share.
    ``dp_spacing``: the domains one model replica spans (``hierarchical_shares``).
    """
    racks, gpus = grant_arrays(grant)
    total = float(gpus.sum())
    pod = topology.rack_pod[racks]
    units, unit_index = unique_inverse(topology.rack_unit[racks])
    unit_gpus = np.bincount(unit_index, weights=gpus)
    unit_domains = np.bincount(unit_index, weights=gpus / topology.rack_domain[racks])
    unit_pod = np.zeros(units.size, dtype=np.int64)
    unit_pod[unit_index] = pod
    pods, unit_pod_index = np.unique(unit_pod, return_inverse=True)
    n_units, n_pods, n_racks = units.size, pods.size, racks.size
    if hierarchical:
        dp_unit, dp_pod = hierarchical_shares(unit_domains, unit_pod_index, n_pods, dp_spacing)
        edges = max(n_racks - 1, 1)
        pp_unit, pp_pod = (n_units - 1) / edges, (n_pods - 1) / edges
        nic = dp_bytes + pp_bytes
        w_dp = dp_bytes / nic if nic > 0 else 1.0
        w_pp = 1 - w_dp
        if 0.0 < pp_senders < 1.0 and pp_bytes > 0:
            peak = dp_bytes + pp_bytes / pp_senders
            w_dp, w_pp = dp_bytes / peak, pp_bytes / peak
        leave_unit = w_dp * dp_unit + w_pp * pp_unit
        leave_pod = w_dp * dp_pod + w_pp * pp_pod
    else:
        pod_gpus = np.bincount(unit_pod_index, weights=unit_gpus)
        peers = total - np.minimum(gpus, topology.rack_domain[racks])  # per rack's GPUs
        reach = np.where(peers > 0, gpus / np.where(peers > 0, peers, 1.0), 0.0)
        outside_unit = total - unit_gpus[unit_index]
        outside_pod = total - pod_gpus[unit_pod_index[unit_index]]
        leave_unit = np.bincount(unit_index, weights=reach * outside_unit) / unit_gpus
        leave_pod = np.bincount(unit_index, weights=reach * outside_pod) / unit_gpus
        if 0.0 < pp_senders < 1.0 and pp_bytes > 0:  # the bytes that move, over the sender's
            busy = (dp_bytes + pp_bytes) / (dp_bytes + pp_bytes / pp_senders)
            leave_unit, leave_pod = leave_unit * busy, leave_pod * busy
    rack_w = np.bincount(unit_pod_index, weights=unit_gpus * leave_unit, minlength=n_pods)
    pod_w = np.bincount(unit_pod_index, weights=unit_gpus * leave_pod, minlength=n_pods)
    ids, weights = [], []
    if n_units > 1:
        ids.append(pods)
        weights.append(rack_w)
    if n_pods > 1:
        ids += [topology.pods + pods, np.array([2 * topology.pods])]
        weights += [pod_w, np.array([pod_w.sum()])]
    resources = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
    w = np.concatenate(weights) if weights else np.zeros(0)
    keep = w > 0
    return JobFootprint(
        gpus=int(total),
        racks=int(n_racks),
        pods=pods,
        resources=resources[keep].astype(np.int64),
        weights=w[keep],
        leave_rack=float(leave_unit.max()) if n_units > 1 else 0.0,
        cross_pod_share=float(pod_w.sum() / total) if n_pods > 1 else 0.0,
        nic=float(topology.rack_nic[racks].min()),
    )


def max_min_fair(
    capacity: np.ndarray, usage: np.ndarray, caps: np.ndarray, rtol: float = 1e-12
) -> np.ndarray:
    """Max-min fair rates by progressive filling.

    ``usage[j, r]`` is how much of resource ``r`` one unit of job ``j``'s rate takes; every
    unfrozen job's rate rises together until a resource saturates (its users freeze) or a job
    reaches its cap. Result: no capacity exceeded, and every job is at its cap or has a
    saturated resource on which no user has a higher rate (the max-min bottleneck condition).
    At most one round per job, each O(jobs x resources).
    """
    jobs, n_res = usage.shape
    rate = np.zeros(jobs)
    active = np.ones(jobs, dtype=bool)
    remaining = np.asarray(capacity, dtype=float).copy()
    caps = np.asarray(caps, dtype=float)
    level = 0.0
    while active.any():
        idx = np.flatnonzero(active)
        w = usage[idx].sum(axis=0)
        loaded = w > 0
        room = np.full(n_res, np.inf)
        room[loaded] = np.maximum(remaining[loaded], 0.0) / w[loaded]
        step = max(0.0, min(float(room.min(initial=np.inf)), float((caps[idx] - level).min())))
        level += step
        remaining -= w * step
        tol = rtol * max(1.0, level)
        done = caps[idx] <= level + tol
        saturated = np.flatnonzero(loaded & (room <= step + tol))
        if saturated.size:
            done |= (usage[np.ix_(idx, saturated)] > 0).any(axis=1)
        rate[idx[done]] = np.minimum(level, caps[idx[done]])
        active[idx[done]] = False
    return rate


@dataclass(frozen=True)
class Allocation:
    """The outcome of one contention solve."""

    rates: np.ndarray  # per job, GB/s per GPU per direction
    load: np.ndarray  # per resource, GB/s
    capacity: np.ndarray  # per resource, GB/s, faults applied


def job_cap(topology: FabricTopology, job: JobFootprint, cap_scale: np.ndarray) -> float:
    """A job's own ceiling: its NIC, and its rack unit's uplinks (shared by that unit's GPUs).
    ``cap_scale``: the faults that take a share of every rack's uplinks in a pod (a switch, a
    scenario's tier fault), not those of one rack's links, which come off the pod's pool only
    (``docs/fabric.md``, Limits)."""
    if job.leave_rack <= 0:
        return job.nic
    health = float(cap_scale[job.pods].min())  # rack-tier faults in the job's pods
    return job.nic * min(1.0, health / (topology.rack_oversubscription * job.leave_rack))


def allocate(
    topology: FabricTopology, jobs: Sequence[JobFootprint], scale: np.ndarray,
    cap_scale: np.ndarray | None = None,
) -> Allocation:
    """Share the fabric among ``jobs``; ``scale`` multiplies each resource's healthy capacity,
    ``cap_scale`` the jobs' own ceilings (``job_cap``; by default ``scale``)."""
    capacity = topology.capacity * scale
    cap_scale = scale if cap_scale is None else cap_scale
    caps = np.array([job_cap(topology, j, cap_scale) for j in jobs], dtype=float)
    load = np.zeros(topology.resources)
    if not jobs:
        return Allocation(np.zeros(0), load, capacity)
    used = np.unique(np.concatenate([j.resources for j in jobs]))
    usage = np.zeros((len(jobs), used.size))
    for i, job in enumerate(jobs):
        usage[i, np.searchsorted(used, job.resources)] = job.weights
    at_caps = usage.T @ caps
    if np.all(at_caps <= capacity[used] * (1 + 1e-12)):
        rates = caps  # nobody is held back: every job at its cap is the max-min allocation
    else:
        rates = max_min_fair(capacity[used], usage, caps)
    load[used] = usage.T @ rates
    return Allocation(rates, load, capacity)


class TierMeter:
    """Per-tier utilisation against one capacity vector, with its capacity-only parts (the
    divisor, the tiers' totals) worked out once: the capacity changes only with faults, while
    the engine asks for the levels whenever the shares change (tens of thousands of times a
    run)."""

    def __init__(self, topology: FabricTopology, capacity: np.ndarray):
        self.starts = [0, topology.pods, 2 * topology.pods]  # rack tier, pod tier, core
        self.divisor = np.where(capacity > 0, capacity, np.inf)  # a dead resource carries nothing
        self.totals: list[float] = np.add.reduceat(capacity, self.starts).tolist()

    def levels(self, load: np.ndarray) -> list[tuple[float, float]]:
        """Per tier in ``TIER_NAMES`` order: (load / capacity over the whole tier, the hottest
        resource's load / capacity)."""
        used = np.add.reduceat(load, self.starts).tolist()
        hottest = np.maximum.reduceat(load / self.divisor, self.starts).tolist()
        return [(u / t if t > 0 else 0.0, h)
                for u, t, h in zip(used, self.totals, hottest, strict=True)]

