"""The result of a run: what ``colossim run --json`` prints and what sweeps tabulate.

Field names and units are documented in ``docs/results.md``; later features add fields and
never rename these.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from colossim.engine.record import Record
from colossim.metrics.plain import plain, plain_dict


@dataclass(frozen=True)
class JobResult:
    name: str
    state: str
    submit_s: float
    start_s: float | None
    end_s: float | None
    jct_s: float | None
    gpu_hours: float
    mean_gpus: float | None  # None for a job that never started
    work_flops: float
    work_done_flops: float
    # performance model (None for jobs on the linear speed model, e.g. trace jobs)
    mfu: float | None = None
    achieved_tflops_per_gpu: float | None = None
    tokens_per_s: float | None = None
    plan: dict[str, Any] | None = None
    step_s: dict[str, Any] | None = None
    gpus_by_type: dict[str, int] | None = None  # GPUs of each type in the plan's allocation
    # fabric (docs/fabric.md); None when the fabric model is off or cannot describe the job
    comm_fraction: float | None = None  # time-mean share of the step waiting on the fabric
    contention_slowdown: float | None = None  # computing time / the same at full bandwidth
    cross_pod_bytes: float | None = None  # bytes its traffic carried across pod uplinks
    # reliability (docs/reliability.md): failures, checkpoints and restarts
    interruptions: int = 0
    lost_gpu_hours: float = 0.0
    checkpoint_gpu_hours: float = 0.0
    restart_gpu_hours: float = 0.0
    checkpoints: int = 0
    checkpoint_interval_s: float | None = None  # in force at its latest periodic checkpoint
    ettr: float | None = None  # productive time / simulated time since first start
    mttf_s: float | None = None  # time holding GPUs / unplanned interruptions
    # power (docs/power.md): the job's GPUs and their rack overhead share, times PUE
    energy_mwh: float = 0.0
    time_at_cap_s: float = 0.0  # running below full speed because of a power cap or limit
    # deadlines (scheduling): None for a job without one
    deadline_s: float | None = None
    deadline_met: bool | None = None  # completed by its deadline (rejected or late: false;
    # still going when the run ended before its deadline, or no deadline: None)


@dataclass(frozen=True)
class ReliabilityResult:
    """Cluster-wide reliability figures; None on ``RunResult`` when the model is off."""

    faults: int  # faults on hardware in service (software: on a running job)
    faults_by_component: dict[str, int]
    interruptions: int  # job interruptions, all jobs, planned drains included
    lost_gpu_hours: float
    checkpoint_gpu_hours: float
    restart_gpu_hours: float
    checkpoints: int
    gpu_availability: float  # time-mean fraction of GPUs in service
    min_gpus_available: int
    # the shared storage (periodic checkpoints and persists; docs/reliability.md, Limits)
    storage_written_tb: float = 0.0  # TB its writes carried
    storage_saturated_hours: float = 0.0  # hours its writes used all its write bandwidth
    storage_peak_writes: int = 0  # most writes sharing it at once


@dataclass(frozen=True)
class FabricTierResult:
    """Utilisation of one fabric tier: load / capacity, during communication phases."""

    mean_utilization: float  # time-mean over the run, whole tier
    peak_utilization: float  # highest, whole tier
    hottest_mean_utilization: float  # time-mean of the busiest pod's (or the core's)
    hottest_peak_utilization: float  # highest of any single pod's (or the core's)


@dataclass(frozen=True)
class FabricResult:
    """Scale-out fabric figures (docs/fabric.md); None on ``RunResult`` when the model is off."""

    rack: FabricTierResult
    pod: FabricTierResult
    core: FabricTierResult
    cross_pod_bytes: float
    faults: int  # link/switch faults and degradations that started
    slowed_jobs: int  # jobs with contention_slowdown >= 1.001 (metrics.fabric.SLOWED_BY)


@dataclass(frozen=True)
class PowerResult:
    """Facility power figures (docs/power.md); the battery ones are None without a battery."""

    supply_min_mw: float | None
    battery_min_soc: float | None  # lowest state of charge, fraction of capacity
    battery_min_mwh: float | None
    throttled_gpu_hours: float  # GPUs running below full speed for power, x hours
    time_at_cap_s: float  # time with at least one job below full speed for power
    deficit_events: int  # times demand rose above what was available
    power_preemptions: int  # jobs the engine's fallback preempted
    power_holds: int  # jobs held while generation caught up
    max_step_mw: float  # largest change of facility draw at one instant
    it_energy_mwh: float
    energy_cost_usd: float | None  # with a tariff


@dataclass(frozen=True)
class ClusterResult:
    gpus: int
    racks: int
    pods: int
    gpu_utilization: float
    energy_mwh: float
    peak_power_mw: float
    supply_mw: float
    # GPUs jobs may be given: ``gpu_utilization``'s denominator (spare racks, and with the
    # reliability model its spare racks per pod, left out), so the utilisation can be recomputed
    # from the outputs alone (QA); None in a run folder written before it was recorded
    usable_gpus: int | None = None


@dataclass(frozen=True)
class RunResult:
    scenario: str
    policy: str
    seed: int
    makespan_s: float | None
    makespan_lower_bound_s: float
    end_s: float
    events: int
    decisions: int
    wall_s: float = field(compare=False)  # the machine's time, not the run's: two runs of one
    # scenario and seed compare equal (QA)
    cluster: ClusterResult
    jobs: tuple[JobResult, ...]
    record: Record = field(repr=False, compare=False)
    fabric: FabricResult | None = None
    reliability: ReliabilityResult | None = None
    power: PowerResult | None = None
    invalid_decisions: int = 0  # actions the engine refused as breaking the policy contract
    infeasible_decisions: int = 0  # actions refused as impossible then (GPUs not free, power)

    @property
    def unfinished(self) -> tuple[JobResult, ...]:
        return tuple(j for j in self.jobs if j.state != "completed")

    def job(self, name: str) -> JobResult:
        for job in self.jobs:
            if job.name == name:
                return job
        raise KeyError(f"no job {name!r} in this run; its jobs: "
                       f"{', '.join(job.name for job in self.jobs) or 'none'}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (no record; see ``metrics.export`` for events). Field by field:
        ``asdict(self)`` would deep-copy the whole record of events first, only to drop it
        (most of a sweep worker's CPU per run on the small scenario); ``plain`` gives what
        ``asdict`` gives for the rest, without deep-copying each number."""
        out: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "jobs":
                out["jobs"] = [plain_dict(job) for job in value]
            elif item.name != "record":
                out[item.name] = plain(value)
        return out


def with_fields(jobs: tuple[JobResult, ...], fields: list[dict[str, Any]]
                ) -> tuple[JobResult, ...]:
    """``jobs`` with each one's ``fields`` (a model's ``*_fields``) filled in; a job with none
    kept as it is."""
    return tuple(replace(job, **given) if given else job
                 for job, given in zip(jobs, fields, strict=True))
