"""The read-only picture of the cluster a policy decides on.

Built by the engine once per decision, never mutated by policies: job snapshots are frozen
dataclasses and rack arrays are read-only numpy copies. ``estimate_rate`` lets a policy ask the
performance model how fast a job would go on a given allocation without touching the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from colossim.config.schema import JobConfig
from colossim.model.power import PowerModel


@dataclass(frozen=True, slots=True)
class Trigger:
    """Something that happened since the policy's last call."""

    time_s: float
    kind: str  # arrival, completion, wake, resume, failure, ... (docs/policies.md lists them)
    job: str | None = None


@dataclass(frozen=True, slots=True)
class JobView:
    """A job as a policy sees it at ``now_s``."""

    name: str
    index: int
    state: str
    priority: int
    submit_s: float
    min_gpus: int
    max_gpus: int
    gpus: int
    grant: tuple[tuple[int, int], ...]
    work_total: float  # FLOPs
    work_done: float  # FLOPs at now_s
    rate: float  # FLOP/s now (0 unless running)
    first_start_s: float | None
    attained_gpu_s: float  # GPU-seconds received so far
    config: JobConfig
    # what a running job does with its GPUs: "compute", or paused ("checkpoint", "restart",
    # "resize"; its rate is 0 until the pause ends); "compute" for a pending job
    phase: str = "compute"
    # the share of its GPUs a running job's parallel plan computes on (TP x PP x DP / GPUs;
    # the rest draw idle power: docs/power.md); 1 for a pending job or one whose every GPU
    # counts (the linear model, a pinned efficiency)
    plan_share: float = 1.0

    @property
    def remaining_work(self) -> float:
        return max(0.0, self.work_total - self.work_done)

    @property
    def pending(self) -> bool:
        return self.state == "pending"

    @property
    def running(self) -> bool:
        return self.state == "running"


@dataclass(frozen=True, slots=True)
class FabricView:
    """The scale-out fabric as placers see it (``docs/fabric.md``): per pod, how loaded and how
    healthy its uplinks are, and which racks share a rack-tier unit (a rail group, or the rack)."""

    pod_uplink_load: np.ndarray  # per pod: traffic now / healthy uplink capacity
    pod_uplink_health: np.ndarray  # per pod: capacity left after faults, 1 = healthy
    pod_uplink_domains: np.ndarray  # per pod: healthy capacity in NVLink domains at line rate
    rack_unit: np.ndarray  # per rack: its rack-tier unit (rail group when rail-optimised)
    rack_oversubscription: float
    pod_oversubscription: float
    # per pod: rack-tier capacity left after faults (None: all healthy); and the core's. A tier
    # at 0 is cut: no job's traffic may cross it (the placers keep multi-rack jobs off it)
    pod_rack_health: np.ndarray | None = None
    core_health: float = 1.0


@dataclass(frozen=True, slots=True)
class RackView:
    """Racks as arrays indexed by rack (read-only)."""

    gpu_types: tuple[str, ...]
    rack_type: np.ndarray
    rack_pod: np.ndarray
    capacity: np.ndarray
    free: np.ndarray  # free GPUs a grant may take: 0 on a failed or spare rack
    usable: np.ndarray  # healthy and not a spare
    gpus_per_domain: np.ndarray  # per GPU type index
    mixed_types: bool = True  # may one job span GPU types?
    fabric: FabricView | None = None  # scale-out fabric state, when the fabric model is on

    @property
    def racks(self) -> int:
        return int(self.capacity.size)


@dataclass(frozen=True, slots=True)
class PowerView:
    """Facility power now (``docs/power.md``). ``model`` prices a job's watts and speed under a
    cap (``model.gpu_w``, ``model.speed``, ``model.curve(gpu_type).floor_w``): the engine's own
    model behind a read-only front (``model.power.ReadOnlyPowerModel``), so reading it is free
    and writing to it fails."""

    supply_mw: float  # supply in force now (schedule, dips, facility cap)
    draw_mw: float  # facility draw now
    available_mw: float | None = None  # generation online + battery discharge limit
    demand_mw: float | None = None  # draw without the engine's fallback limits
    generation_mw: float | None = None  # generation capacity online (ramps towards demand)
    battery_mwh: float = 0.0
    battery_capacity_mwh: float = 0.0
    battery_max_discharge_mw: float = 0.0  # what it can deliver now (0 when empty)
    # generation + what the battery can keep up until generation has ramped (= available_mw
    # unless generation is ramping): what the engine relaxes its clock limit against
    sustained_mw: float | None = None
    caps_w: Mapping[str, float] = field(default_factory=dict)  # policy caps by job, W per GPU
    engine_clocks: Mapping[str, float] = field(default_factory=dict)  # fallback clock limits
    model: PowerModel | None = None
    # IT W with every running job at its lowest clock: what the engine adds a start to when it
    # checks the start against the supply (``model.start_mw``, ``policy.power_room``)
    floor_it_w: float | None = None
    # the facility is dark (generation cannot carry even its idle draw): the engine starts no
    # job until it can, whatever the numbers say (``policy.power_room`` plans no start)
    dark: bool = False

    @property
    def headroom_mw(self) -> float:
        return self.supply_mw - self.draw_mw

    @property
    def carry_mw(self) -> float:
        """The most the facility can keep drawing, to budget against: the supply (generation
        ramps to it, the battery covering the ramp or the engine limiting meanwhile), or in a
        dip, if more, what generation and the battery can keep up now (``sustained_mw``: the
        battery until it runs dry, and while generation ramps only what it can keep up until
        the ramp is done). Never the supply plus the battery's rating: the battery fills in up
        to the firm supply only, and while generation ramps it is carrying the ramp."""
        if self.sustained_mw is None:
            return self.supply_mw
        return max(self.supply_mw, self.sustained_mw)

    @property
    def deficit_mw(self) -> float:
        """Demand above what is available now (0 when it fits)."""
        if self.demand_mw is None or self.available_mw is None:
            return 0.0
        return max(0.0, self.demand_mw - self.available_mw)


RateFn = Callable[[JobConfig, dict[str, int]], float]


@dataclass(frozen=True, slots=True)
class ClusterView:
    """Everything a policy may know when it decides."""

    now_s: float
    triggers: tuple[Trigger, ...]
    jobs: tuple[JobView, ...]  # submitted, unfinished jobs in submission order
    racks: RackView
    power: PowerView
    rng: np.random.Generator
    rate_fn: RateFn = field(repr=False)
    _split: tuple | None = field(default=None, init=False, repr=False, compare=False)  # _by_state

    def _by_state(self) -> tuple[tuple[JobView, ...], tuple[JobView, ...]]:
        """(pending, running), split once per view: policies ask for them several times per
        decision, and ``jobs`` (frozen snapshots in a tuple) cannot change meanwhile."""
        if self._split is None:
            jobs = self.jobs
            object.__setattr__(self, "_split", (
                tuple([j for j in jobs if j.state == "pending"]),
                tuple([j for j in jobs if j.state == "running"])))
        return self._split

    @property
    def pending(self) -> tuple[JobView, ...]:
        return self._by_state()[0]

    @property
    def running(self) -> tuple[JobView, ...]:
        return self._by_state()[1]

    def estimate_rate(self, job: JobView, gpus_by_type: dict[str, int]) -> float:
        """FLOP/s the job would reach on this many GPUs of each type."""
        try:
            return self.rate_fn(job.config, gpus_by_type)
        except KeyError as exc:  # a type the catalog lacks (QA: a bare KeyError: 'GB20')
            if exc.args and exc.args[0] in gpus_by_type:
                from colossim.config.crosscheck import did_you_mean

                name = str(exc.args[0])
                raise KeyError(f"estimate_rate: no GPU type {name!r}"
                               f"{did_you_mean(name, self.racks.gpu_types)}") from None
            raise
