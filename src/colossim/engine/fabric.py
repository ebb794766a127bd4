"""Fabric contention as an engine subsystem: a rate modifier recomputed at events only.

``install(sim)`` adds a ``Fabric`` modifier when the scenario's ``fabric.contention`` is on and some
job has a model the traffic model can read. After every change the engine asks ``factors``; the
fabric re-solves the max-min shares only when the set of communicating jobs, a grant or a fault
changed (a job starts, ends, resizes, pauses or resumes; a link fails or is repaired), so a run
pays O(running jobs) per event and nothing per GPU. Faults come from ``fabric.events`` (via
``sim.call_at``) and from other subsystems' ``failure``/``repair`` events with ``component`` link
or switch (``docs/fabric.md`` gives that contract).

Recorded: a ``fabric`` event per job whenever its factor, communication share or cross-pod rate
changes (and when it stops communicating), ``fabric_fault``/``fabric_repair`` events, and level
series ``fabric.<tier>.utilization`` and ``fabric.<tier>.hottest``; metrics derive from these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from colossim.config.fabric import POD_SWITCH_LOSS, RACK_LINK_LOSS, TIER_NAMES, FabricFault
from colossim.engine.fabric_cut import check_cut, interrupt_cut
from colossim.engine.fabric_view import build_view
from colossim.errors import InvariantViolation
from colossim.model.cluster import Grant, grant_array, swap_rack
from colossim.model.fabric import (
    FabricTopology,
    JobFootprint,
    TierMeter,
    allocate,
    build_topology,
    footprint,
    grant_arrays,
    job_cap,
    unique_inverse,
)
from colossim.model.frozen import frozen
from colossim.model.jobs import Job, JobState, Phase
from colossim.model.parallelism import Span
from colossim.model.traffic import JobComm, job_comm, replica_domains
from colossim.policy.view import FabricView

if TYPE_CHECKING:
    from colossim.engine.simulation import Simulation
    from colossim.engine.state import RunState

NETWORK_COMPONENTS = ("network", "link", "switch")
STOPPED = (0.0, 1.0, 0.0, 0.0, 0.0)  # logged values of a job that stopped computing
# ... and of a job the traffic model describes that computes with its traffic inside its racks:
# unlogged, that time fell out of the job's time-weighted comm_fraction and slowdown once it had
# also run across racks (QA: a job back on one rack after a failure read 14.6x its
# communication share; review: one on one rack before it, 24% high)
LOCAL = (1.0, 1.0, 0.0, 0.0, 0.0)


@dataclass(frozen=True)
class _Placed:
    grant: Grant
    foot: JobFootprint
    comm: JobComm | None
    uniform: bool = False  # every rack of the grant holds the same GPUs of one GPU type
    # worked out once per placement, not on every solve: the job's traffic leaves its racks,
    # and it loads some shared tier
    talks: bool = field(init=False)
    shares: bool = field(init=False)

    def __post_init__(self) -> None:
        talks = (self.comm is not None and self.foot.racks > 1
                 and self.comm.traffic.nic > 0)
        object.__setattr__(self, "talks", talks)
        object.__setattr__(self, "shares", talks and self.foot.resources.size > 0)


def _bytes_per_flop(placed: _Placed, base_rate: float) -> float:
    """Bytes the job's traffic carries across pod uplinks per FLOP it does on this placement.

    A step sends its bytes whatever the step's length: at full speed (the nominal step, factor
    1) the job does ``base_rate`` FLOP/s and sends bytes-per-step / nominal-step bytes/s; a job
    the fabric, a power cap or a clock limit slows does fewer FLOP/s and sends as many fewer
    bytes. The job counts them as it folds its progress (``Job.advance``), so lost work done
    again is counted again, as its steps send their bytes again."""
    comm = placed.comm
    if not placed.talks or comm is None or base_rate <= 0:
        return 0.0
    per_step = comm.gpus * comm.traffic.nic_peak * placed.foot.cross_pod_share
    return per_step / (comm.reference.total_s * base_rate)


class Fabric:
    """The fabric of one run: topology, active faults, and the current shares."""

    def __init__(self, sim: Simulation):
        self.sim = sim
        state = sim.state
        cluster = state.scenario.cluster
        self.topology: FabricTopology = build_topology(
            cluster.fabric, state.layout, cluster.pod_size_racks
        )
        self.hierarchical = cluster.fabric.collectives == "hierarchical"
        self.scale = np.ones(self.topology.resources)
        self.cap_scale = self.scale  # the faults that lower every rack's uplinks (``job_cap``)
        self.capacity = self.topology.capacity.copy()  # healthy capacity x fault scale
        self.faults: dict[Any, tuple[np.ndarray, float]] = {}
        self._pooled: set[Any] = set()  # faults of one rack's links: off its pod's pool only
        self.cut = False  # some resource has no capacity left (engine.fabric_cut)
        self.cut_at: dict[int, float] = {}  # job index -> when a cut last took it off
        self._placed: dict[int, _Placed] = {}
        self._computing: dict[int, tuple[Job, Grant]] = {}  # computing jobs and their grants
        self._series = [(state.record.level(f"fabric.{tier}.utilization"),
                         state.record.level(f"fabric.{tier}.hottest")) for tier in TIER_NAMES]
        self._meter = TierMeter(self.topology, self.capacity)
        # per job: (placement, its cap, the load it carries at its cap, its resources' capacity
        # with the solve's tolerance), valid until the next fault or repair
        self._at_cap: dict[int, tuple[_Placed, float, np.ndarray, np.ndarray]] = {}
        self._comms: dict[tuple, tuple[Any, JobComm | None]] = {}  # job_comm, by cheap keys
        self._view: FabricView | None = None  # the policy's snapshot, until load or scale move
        self._share_key: tuple | None = None
        self._rates: dict[int, float] = {}
        self._load_of: dict[int, tuple[Grant, np.ndarray, np.ndarray]] = {}  # what each carries
        self._at_caps = True  # the last solve left every job at its cap (no one held back)
        self._speed: dict[int, tuple[_Placed, float, tuple[float, ...]]] = {}
        self._factors: dict[int, float] = {}
        self._logged: dict[int, tuple[float, ...]] = {}  # jobs last logged computing
        self._read = 0
        self._faults_changed = True
        self._swaps: dict[int, list[tuple[int, int]]] = {}  # hot-spare swaps not yet placed
        self.load = np.zeros(self.topology.resources)
        self.rack_gpus = state.layout.capacity
        self.pod_gpus = np.bincount(state.layout.rack_pod, weights=self.rack_gpus,
                                    minlength=state.layout.pods)
        t = self.topology  # a pod's uplinks in whole domains' worth of line-rate flows
        domain_line = np.bincount(t.rack_pod, weights=t.rack_nic * t.rack_domain,
                                  minlength=t.pods) / np.maximum(
                                      np.bincount(t.rack_pod, minlength=t.pods), 1)
        self.pod_domains = frozen(  # handed to policies' views (``fabric_view``)
            t.capacity[t.tier_slice("pod")] / np.maximum(domain_line, 1e-12))

    # -- faults --------------------------------------------------------------------------
    def _resources(self, tier: str, pod: int | None) -> np.ndarray:
        if tier == "core":
            return np.array([self.topology.resource("core")])
        if pod is None:
            return np.arange(self.topology.pods) + self.topology.tier_slice(tier).start
        return np.array([self.topology.resource(tier, pod)])

    def degrade(self, key: Any, tier: str, pod: int | None, fraction: float, *,
                pooled: bool = False, **why: Any) -> None:
        """Start a fault: ``tier`` of ``pod`` (all pods if None) keeps ``fraction`` of capacity.
        ``pooled``: the capacity lost is one rack's links, so it comes off the pod's pooled
        capacity and lowers no job's own ceiling."""
        self.faults[key] = (self._resources(tier, pod), fraction)
        if pooled:
            self._pooled.add(key)
        self._rescale()
        self.sim.state.log("fabric_fault", None, tier=tier, pod=pod, capacity_fraction=fraction,
                           **why)
        if fraction <= 0:  # jobs crossing it cannot take a step: off their racks
            interrupt_cut(self, self.sim.state.running_jobs())
        self.sim.trigger("fabric_fault")

    def repair(self, key: Any) -> None:
        if self.faults.pop(key, None) is None:
            return
        self._pooled.discard(key)
        self._rescale()
        self.sim.state.log("fabric_repair", None, fault=_fault_name(key))
        self.sim.trigger("fabric_repair")

    def _rescale(self) -> None:
        self.scale = np.ones(self.topology.resources)
        self.cap_scale = np.ones(self.topology.resources)
        for key, (ids, fraction) in self.faults.items():
            self.scale[ids] *= fraction
            if key not in self._pooled:
                self.cap_scale[ids] *= fraction
        self.capacity = self.topology.capacity * self.scale
        self.cut = bool((self.scale <= 0).any())
        self._meter = TierMeter(self.topology, self.capacity)
        self._at_cap.clear()
        self._view = None
        self._faults_changed = True

    def schedule(self, index: int, fault: FabricFault) -> None:
        """Arm a scenario fault and, if it ends, its repair."""
        key = ("scenario", index)
        self.sim.call_at(fault.time_s, lambda: self.degrade(
            key, fault.tier, fault.pod, fault.capacity_fraction, component=fault.kind,
            fault=_fault_name(key), until_s=None if fault.duration_s is None
            else fault.time_s + fault.duration_s))
        if fault.duration_s is not None:
            self.sim.call_at(fault.time_s + fault.duration_s, lambda: self.repair(key))

    def _read_record(self, state: RunState) -> set[str]:
        """Jobs named by events since the last call; network faults from other subsystems."""
        events = state.record.events
        start, self._read = self._read, len(events)
        touched: set[str] = set()
        for i, event in enumerate(events[start:], start):
            if event.job is not None:
                touched.add(event.job)
            data = event.data or {}
            if event.kind == "swap":
                index = state.by_name[event.job].index
                self._swaps.setdefault(index, []).append((data["rack_out"], data["rack_in"]))
            if event.kind == "fault" and data.get("component") in NETWORK_COMPONENTS:
                self._record_fault(("record", i), data)
        return touched

    def _record_fault(self, key: Any, data: dict[str, Any]) -> None:
        """A ``fault`` event (``docs/fabric.md``): component, rack or pod, optional tier and
        capacity_fraction, and ``until_s`` when it is repaired."""
        rack = data.get("rack")
        pod = data.get("pod")
        if pod is None and rack is not None:
            pod = int(self.topology.rack_pod[int(rack)])
        switch = data["component"] == "switch"
        tier = data.get("tier", "pod" if switch else "rack")
        fraction = data.get("capacity_fraction")
        if fraction is None and switch:
            fraction = 1.0 - POD_SWITCH_LOSS
        elif fraction is None:  # a quarter of one rack's uplinks, as a share of its pod's
            share = self.rack_gpus[int(rack)] / self.pod_gpus[pod] if rack is not None else 1.0
            fraction = 1.0 - RACK_LINK_LOSS * share
        self.degrade(key, tier, None if tier == "core" else pod, float(fraction),
                     pooled=rack is not None and not switch, component=data["component"],
                     fault=_fault_name(key), until_s=data.get("until_s"))
        if data.get("until_s") is not None:
            self.sim.call_at(float(data["until_s"]), lambda: self.repair(key))

    # -- the modifier --------------------------------------------------------------------
    def _place(self, state: RunState, job: Job) -> _Placed:
        placed = self._placed.get(job.index)
        if placed is not None and (placed.grant is job.grant or placed.grant == job.grant):
            return placed  # the same racks (other subsystems may hand over an equal new tuple)
        swaps = self._swaps.pop(job.index, ())
        moved = self._carry_over(placed, job, swaps) if placed is not None and swaps else None
        placed = moved or self._build(job, job.grant, state.ledger.arrays(job.index, job.grant))
        self._placed[job.index] = placed
        job.cross_pod_bytes_per_flop = _bytes_per_flop(placed, job.base_rate)
        return placed

    def _build(self, job: Job, grant: Grant,
               held: tuple[np.ndarray, np.ndarray] | None = None) -> _Placed:
        """The job's footprint and traffic on ``grant`` (``held``: the ledger's arrays of it)."""
        t, layout = self.topology, self.sim.state.layout
        if held is not None:  # the arrays the ledger converted (the same numbers)
            pairs = np.column_stack(held)
            racks, gpus = held[0], held[1].astype(np.float64)
        else:
            pairs = grant_array(grant)
            racks, gpus = grant_arrays(pairs)
        by_type = np.bincount(layout.rack_type[racks], weights=gpus,
                              minlength=len(layout.gpu_types))
        parts = tuple((layout.specs[k], int(n)) for k, n in enumerate(by_type) if n)
        short = gpus < t.rack_domain[racks]  # racks holding less than a domain of the job
        span = Span(racks=int(racks.size), pods=int(unique_inverse(t.rack_pod[racks])[0].size),
                    fewest=int(gpus[short].min()) if racks.size > 1 and short.any() else 0,
                    gpus=int(gpus.sum()))
        comm = self._comm(job, by_type, parts, span, float(t.rack_nic[racks].min()))
        traffic = comm.traffic if comm else None
        dp, pp, senders = ((traffic.dp_nic, traffic.pp_nic, traffic.pp_senders) if traffic
                           else (1.0, 0.0, 1.0))
        spacing = 1.0 if comm is None else replica_domains(comm.plan,
                                                           int(t.rack_domain[racks].min()))
        foot = footprint(t, pairs, dp, pp, hierarchical=self.hierarchical, pp_senders=senders,
                         dp_spacing=spacing)
        types = layout.rack_type[racks]
        uniform = bool(gpus.min() == gpus.max() and types.min() == types.max())
        return _Placed(grant, foot, comm, uniform)

    def _comm(self, job: Job, by_type: np.ndarray, parts: tuple, span: Span,
               nic: float) -> JobComm | None:
        """``job_comm``, looked up by the job and its GPU counts: its own cache hashes the
        job's whole configuration, a tenth of a millisecond on every re-placement."""
        key = (job.index, tuple(by_type.tolist()), span, nic)
        hit = self._comms.get(key)
        if hit is None or hit[0] is not job.config:
            hit = self._comms[key] = (job.config, job_comm(job.config, parts, span, nic))
        return hit[1]

    def _carry_over(self, placed: _Placed, job: Job,
                    swaps: list[tuple[int, int]]) -> _Placed | None:
        """The placement after hot-spare swaps, without recomputing it, when that is exact.

        A spare of the same GPU type in the same rack-tier unit (and so the same pod) as the
        rack it replaces leaves every per-unit and per-pod sum of the footprint the same, and
        when all racks hold the same GPUs the sums add equal numbers, so even their rounding
        is the same whatever the racks' order. The swaps are replayed on the placed grant
        (``swap_rack``, as ``Ledger.swap`` does) to check that they are exactly what changed.
        Returns None when any condition fails (the caller places the grant from scratch).
        """
        if not placed.uniform:
            return None
        unit, rack_type = self.topology.rack_unit, self.sim.state.layout.rack_type
        grant = placed.grant
        for out, into in swaps:
            if unit[out] != unit[into] or rack_type[out] != rack_type[into]:
                return None
            grant = swap_rack(grant, out, into)
            if grant is None:
                return None
        if grant != job.grant:
            return None
        return _Placed(job.grant, placed.foot, placed.comm, True)

    def factors(self, state: RunState) -> dict[int, float]:
        changed = False
        touched = self._read_record(state)  # a job changes only with an event naming it
        if self.cut:  # a job just started (or swapped) across a cut is taken off at once
            computing = len(self._computing)
            interrupt_cut(self, sorted((state.by_name[n] for n in touched if n in state.by_name),
                                       key=lambda j: j.index))
            changed = len(self._computing) != computing  # one that computed left (forget)
        for name in touched:
            job = state.by_name.get(name)
            if job is None:
                continue
            seen = self._computing.get(job.index)
            if job.state is JobState.RUNNING and job.phase is Phase.COMPUTE:
                if seen is None or seen[1] is not job.grant:
                    self._computing[job.index] = (job, job.grant)
                    changed = True
            elif seen is not None:
                del self._computing[job.index]
                changed = True
        if changed or self._faults_changed:  # faults: scheduled, or read from the record
            self._solve(state)
        return self._factors

    def _solve(self, state: RunState) -> None:
        """Shares of the jobs whose traffic leaves their rack; re-solved only when that set, a
        grant or a fault changed (a single-rack job pausing leaves them as they are)."""
        computing, placed = self._computing, self._placed
        on_fabric: list[tuple[int, _Placed]] = []
        local: list[int] = []  # modelled jobs whose traffic stays inside their racks
        for i in sorted(computing):
            job = computing[i][0]
            p = placed.get(i)
            if p is None or p.grant is not job.grant:
                p = self._place(state, job)
            if p.talks:
                on_fabric.append((i, p))
            elif p.comm is not None:
                local.append(i)
        share_key = tuple((i, id(p.grant)) for i, p in on_fabric if p.shares)
        if share_key != self._share_key or self._faults_changed:
            sharing = {i: p for i, p in on_fabric if p.shares}
            if self._faults_changed or not self._incremental(sharing):
                self._allocate(sharing)
            self._share_key, self._faults_changed = share_key, False
            self._view = None
            now = state.now_s
            for (whole, hot), (mean, hottest) in zip(self._series, self._meter.levels(self.load),
                                                     strict=True):
                whole.set(now, mean)
                hot.set(now, hottest)
        factors: dict[int, float] = {}
        now_logged: dict[int, tuple[float, ...]] = {}
        rates, speed = self._rates, self._speed
        for i, p in on_fabric:
            rate = rates.get(i, p.foot.nic)
            cached = speed.get(i)
            values = (cached[2] if cached is not None and cached[0] is p and cached[1] == rate
                      else self._values(i, p, rate))
            if values[1] < 1.0:
                factors[i] = values[1]
            now_logged[i] = values
        for index in local:
            now_logged[index] = LOCAL
        logged = self._logged
        for index in logged.keys() - now_logged.keys():
            now_logged[index] = STOPPED
        for index, values in now_logged.items():
            if logged.get(index) != values:
                computing_, factor, comm, cross, rate = values
                state.log("fabric", state.jobs[index], computing=bool(computing_),
                          factor=factor, comm_fraction=comm, cross_pod_bytes_per_s=cross,
                          gbytes_s=rate)
        self._logged = {i: v for i, v in now_logged.items() if v[0]}
        self._factors = factors
        state.power_model.slowed_by_fabric(factors)  # its waits are priced as communication

    def _allocate(self, sharing: dict[int, _Placed]) -> None:
        """The full max-min solve over every job loading a shared tier."""
        feet = [p.foot for p in sharing.values()]
        alloc = allocate(self.topology, feet, self.scale, self.cap_scale)
        self._rates = dict(zip(sharing, map(float, alloc.rates), strict=True))
        self._load_of = {i: (p.grant, p.foot.resources, p.foot.weights * self._rates[i])
                         for i, p in sharing.items()}
        self.load = alloc.load
        caps = [job_cap(self.topology, f, self.cap_scale) for f in feet]
        self._at_caps = all(r >= c * (1 - 1e-12) for r, c in zip(alloc.rates, caps, strict=True))

    def _incremental(self, sharing: dict[int, _Placed]) -> bool:
        """Update the shares without a solve when that is exact: if every job was at its cap,
        jobs leaving keep it so, and jobs joining keep it so when their load at their cap fits.
        Returns False (and changes nothing that matters) when a full solve is needed."""
        if not self._at_caps:
            return False
        held = self._load_of
        joining = [i for i in sharing if i not in held or held[i][0] is not sharing[i].grant]
        leaving = [i for i in held if i not in sharing or i in joining]
        load = self.load  # changed in place: a failed check is followed by a full solve
        for i in leaving:
            _grant, resources, carried = held[i]
            load[resources] -= carried
        caps = {}
        for i in joining:
            p = sharing[i]
            caps[i] = entry = self._cap_of(i, p)
            resources = p.foot.resources
            load[resources] += entry[2]
            if (load[resources] > entry[3]).any():
                return False
        np.maximum(load, 0.0, out=load)  # rounding crumbs of the subtractions
        for i in leaving:
            del held[i]
            self._rates.pop(i, None)
        for i, (p, cap, carried, _limit) in caps.items():
            held[i] = (p.grant, p.foot.resources, carried)
            self._rates[i] = cap
        return True

    def _cap_of(self, index: int, p: _Placed) -> tuple[_Placed, float, np.ndarray, np.ndarray]:
        """(placement, the job's cap, the load it carries at its cap, the capacity of what it
        loads with the solve's tolerance): fixed until a fault or repair (``_rescale``)."""
        entry = self._at_cap.get(index)
        if entry is None or entry[0] is not p:
            foot = p.foot
            cap = job_cap(self.topology, foot, self.cap_scale)
            entry = (p, cap, foot.weights * cap, self.capacity[foot.resources] * (1 + 1e-12))
            self._at_cap[index] = entry
        return entry

    def _values(self, index: int, p: _Placed, rate: float) -> tuple[float, ...]:
        """(computing, factor, comm share, cross-pod bytes/s, rate), kept per grant and rate
        (``_solve`` reads that cache before calling)."""
        assert p.comm is not None
        factor, comm, step_s = p.comm.speed(rate)
        cross = p.comm.gpus * p.comm.traffic.nic_peak * p.foot.cross_pod_share / step_s
        values = (1.0, factor, comm, cross, rate)
        self._speed[index] = (p, rate, values)
        return values

    # -- for engine.fabric_cut, policies and invariants -----------------------------------
    def placement(self, job: Job) -> _Placed:
        """Where a running job's traffic goes (its footprint), for its grant now."""
        return self._place(self.sim.state, job)

    def placement_on(self, job: Job, grant: Grant) -> _Placed:
        """Where the job's traffic would go on ``grant`` (a resize the engine is asked for)."""
        return self._build(job, grant)

    def forget(self, job: Job) -> None:
        """The job is leaving its racks now (the next solve leaves it out)."""
        self._computing.pop(job.index, None)

    def cut_by(self, resource: int) -> str:
        """The name of a fault that leaves ``resource`` no capacity."""
        return next((_fault_name(key) for key, (ids, fraction) in self.faults.items()
                     if fraction <= 0 and resource in ids), "faults")

    def view(self) -> FabricView:
        """The placers' snapshot of the fabric (``engine.fabric_view``), built again only after
        the shares or a fault changed (the policy is called at ~10,000 instants of a
        failure-heavy run, mostly with the fabric as it was)."""
        if self._view is None:
            self._view = build_view(self)
        return self._view

    def check(self, state: RunState) -> None:
        """Shares never exceed any (faulted) capacity, factors lie in (0, 1], and the shares
        kept incrementally equal a full max-min solve; no running job crosses a cut resource
        (``engine.fabric_cut``).

        (A job another modifier stops within the same refresh keeps its stale share until the
        next event; the engine ignores factors of jobs that are not running.)"""
        cap = self.topology.capacity * self.scale
        if np.any(self.load > cap * (1 + 1e-9) + 1e-9):
            bad = int(np.argmax(self.load - cap))
            raise InvariantViolation(
                f"fabric {self.topology.tier_of(bad)} resource {bad}: load {self.load[bad]:.6g} "
                f"GB/s above capacity {cap[bad]:.6g}"
            )
        for index, factor in self._factors.items():
            job = state.jobs[index]
            if not 0.0 < factor <= 1.0:
                raise InvariantViolation(f"job {job.name}: fabric factor {factor} not in (0, 1]")
        full = allocate(self.topology, [self._placed[i].foot for i in self._rates], self.scale,
                        self.cap_scale)
        for index, rate in zip(self._rates, full.rates, strict=True):
            if abs(self._rates[index] - rate) > 1e-9 * max(1.0, rate):
                raise InvariantViolation(
                    f"job {state.jobs[index].name}: fabric share {self._rates[index]:.9g} GB/s "
                    f"kept incrementally, but a full solve gives {rate:.9g}")
        check_cut(self, state)


def _fault_name(key: Any) -> str:
    """How the record names a fault: the scenario's ``cluster.fabric.events[0]``, or the index
    of the record's ``fault`` event that started it (not a Python tuple's repr)."""
    source, index = key
    return f"cluster.fabric.events[{index}]" if source == "scenario" else f"record event {index}"


def install(sim: Simulation) -> Fabric | None:
    """Add the fabric model when contention is on and some job has a traffic model."""
    fabric_cfg = sim.scenario.cluster.fabric
    if not fabric_cfg.contention or all(j.params_billion is None for j in sim.scenario.jobs):
        return None
    fabric = Fabric(sim)
    sim.state.modifiers.append(fabric)
    t = fabric.topology
    sim.state.log("fabric_model", None, pods=t.pods, **{
        f"{tier}_capacity_gbytes_s": float(t.capacity[t.tier_slice(tier)].sum())
        for tier in TIER_NAMES})
    sim.views.fabric_source = fabric.view
    for i, fault in enumerate(fabric_cfg.events):
        fabric.schedule(i, fault)
    return fabric


__all__ = ["TIER_NAMES", "Fabric", "install"]
