"""The ``reliability:`` block (failures, repairs, spares, maintenance) and per-job checkpoints.

Every default rate is sourced or marked as an assumption in ``docs/reliability.md``. Rates are
given per GPU-hour of hardware (``mtbf_gpu_hours``: GPU-hours per failure of the class, counted
over every GPU whatever the class's unit), or per 1,000 node-days as Meta's RSC study reports
them. The Llama 3 defaults split the 419 unexpected interruptions of the 54-day, 16,384-GPU
pre-training run (arXiv 2407.21783, Table 5) by the unit a fault takes out of service.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from colossim.config.base import FieldValueError, Frozen

#: GPU-hours of the Llama 3 405B pre-training snapshot: 16,384 GPUs x 54 days x 24 h.
LLAMA3_GPU_HOURS = 16_384 * 54 * 24
HOUR_S = 3600.0


class Tbf(StrEnum):
    """Time between failures of a class (over the whole population)."""

    EXPONENTIAL = "exponential"
    WEIBULL = "weibull"


class RepairDistribution(StrEnum):
    FIXED = "fixed"
    EXPONENTIAL = "exponential"
    LOGNORMAL = "lognormal"


class RepairConfig(Frozen):
    """How long a failed part is out of service."""

    distribution: RepairDistribution = RepairDistribution.LOGNORMAL
    mean_s: float = Field(ge=0, description="Mean time to repair, s")
    cv: float = Field(1.0, gt=0, le=100, description="Coefficient of variation (lognormal "
                      "only; at most 100, already a log-spread of 3)")


class FailureProcess(Frozen):
    """One component class: its rate, time-between-failures law and repair time.

    Give the rate as ``mtbf_gpu_hours`` or as ``per_1000_node_days`` (nodes of ``node_gpus``).
    """

    enabled: bool = True
    mtbf_gpu_hours: float | None = Field(
        None, gt=0, description="GPU-hours per failure of this class (whole population)"
    )
    per_1000_node_days: float | None = Field(
        None, gt=0, description="Failures per 1,000 node-days (Meta RSC's r_f), nodes of node_gpus"
    )
    node_gpus: int = Field(8, gt=0, description="GPUs per node for per_1000_node_days")
    tbf: Tbf = Tbf.EXPONENTIAL
    weibull_shape: float = Field(
        0.75, ge=0.1, description="Weibull shape k when tbf is weibull (k < 1: clustered "
        "failures; at least 0.1: below it gaps span hundreds of orders of magnitude and the "
        "mean's scale factor Gamma(1 + 1/k) overflows)"
    )
    repair: RepairConfig | None = Field(None, description="Repair time (None: nothing to repair)")

    @model_validator(mode="after")
    def _one_rate(self) -> FailureProcess:
        explicit = {k for k in self.model_fields_set if getattr(self, k) is not None}
        if {"mtbf_gpu_hours", "per_1000_node_days"} <= explicit:
            raise FieldValueError(
                "per_1000_node_days", "give mtbf_gpu_hours or per_1000_node_days, not both"
            )
        if self.mtbf_gpu_hours is None and self.per_1000_node_days is None:
            raise FieldValueError("mtbf_gpu_hours", "give mtbf_gpu_hours or per_1000_node_days")
        return self

    def rate_per_gpu_s(self) -> float:
        """Failures per GPU-second; a node-day rate counts when it was given explicitly."""
        if not self.enabled:
            return 0.0
        if self.per_1000_node_days is not None and (
            "per_1000_node_days" in self.model_fields_set or self.mtbf_gpu_hours is None
        ):
            return self.per_1000_node_days / (1000.0 * self.node_gpus * 86_400.0)
        return 1.0 / (float(self.mtbf_gpu_hours or 0.0) * HOUR_S)


def _mtbf(count: int) -> float:
    """GPU-hours per interruption when Llama 3 saw ``count`` of them (Table 5)."""
    return round(LLAMA3_GPU_HOURS / count, 1)


class GpuFailures(FailureProcess):
    """GPU and HBM faults (one GPU out): faulty GPU 148, HBM3 72, SRAM 19, GPU system processor
    17, thermal interface 6, silent data corruption 6 = 268 of Llama 3's 419."""

    mtbf_gpu_hours: float | None = Field(_mtbf(268), gt=0)
    repair: RepairConfig | None = RepairConfig(mean_s=12 * HOUR_S)


class TrayFailures(FailureProcess):
    """Compute tray / host faults (the tray's GPUs out): unplanned host maintenance 32, NIC 7,
    SSD 3, power supply 3, chassis 2, IO board 2, CPU 2, system memory 2 = 53 of 419."""

    mtbf_gpu_hours: float | None = Field(_mtbf(53), gt=0)
    repair: RepairConfig | None = RepairConfig(mean_s=12 * HOUR_S)


class RackFailures(FailureProcess):
    """NVL72 rack faults (NVLink switch tray, power shelf, cooling: all 72 GPUs out).

    Assumption: no published rate; one per rack per two years (72 x 17,520 GPU-hours).
    """

    mtbf_gpu_hours: float | None = Field(72 * 2 * 8760.0, gt=0)
    repair: RepairConfig | None = RepairConfig(mean_s=24 * HOUR_S)


class NetworkFailures(FailureProcess):
    """Scale-out link and switch faults (network switch/cable: 35 of 419). They interrupt the
    jobs on the rack and are recorded with the pod for the fabric model; no GPU leaves service."""

    mtbf_gpu_hours: float | None = Field(_mtbf(35), gt=0)
    repair: RepairConfig | None = RepairConfig(mean_s=2 * HOUR_S)


class SoftwareFailures(FailureProcess):
    """Job-level faults needing a restart but no repair (software bug 54, NCCL watchdog 7,
    dependency 2 = 63 of 419). The rate counts GPU-hours of running jobs only."""

    mtbf_gpu_hours: float | None = Field(_mtbf(63), gt=0)


class PodFailures(FailureProcess):
    """Faults that take a whole pod out at once, spares included: its power feed or its
    cooling loop (a correlated outage). The pod's jobs lose their work since their last
    checkpoint and go back to the queue; no spare stands in for a whole pod.

    Assumption: no published rate (docs/reliability.md); off unless ``enabled: true``. Its
    default rate, once on: one per pod of 8,064 GPUs (112 NVL72 racks) every five years, and a
    4-hour repair."""

    enabled: bool = False
    mtbf_gpu_hours: float | None = Field(8_064 * 5 * 8760.0, gt=0)
    repair: RepairConfig | None = RepairConfig(mean_s=4 * HOUR_S)


class SparesConfig(Frozen):
    """Hot spares: standby trays inside each rack, and whole racks held back in each pod."""

    trays_per_rack: int = Field(0, ge=0, description="Standby compute trays per rack")
    racks_per_pod: int = Field(
        0, ge=0, description="The last racks of each pod held back as hot spares (with "
        "cluster.spare_racks: a rack both pick is held once)"
    )
    tray_swap_s: float = Field(60.0, ge=0, description="Time to bring a standby tray in, s, "
                               "alongside the relaunch (restart_s): only a longer swap adds")
    rack_swap_s: float = Field(60.0, ge=0, description="Time to move a job onto a spare rack, "
                               "s, alongside the relaunch (restart_s): only a longer swap adds")


class StorageConfig(Frozen):
    """Checkpoint storage shared by the whole cluster (Llama 3's Tectonic by default)."""

    write_tbytes_s: float = Field(2.0, gt=0, description="Sustained write bandwidth, TB/s")
    read_tbytes_s: float = Field(7.0, gt=0, description="Read bandwidth for restores, TB/s")


class MaintenanceWindow(Frozen):
    """A planned window: the pods' racks are drained and out of service."""

    start_s: float = Field(ge=0, description="Start, s from the beginning of the run")
    duration_s: float = Field(gt=0, description="Length of the window, s")
    pods: tuple[int, ...] = Field(min_length=1, description="Pods taken out (indices)")


FAILURE_CLASSES = ("gpu", "network", "pod", "rack", "software", "tray")  # ``processes``' names,
# sorted


class ReliabilityConfig(Frozen):
    """Failures, repairs, spares, maintenance, detection and restart (docs/reliability.md).

    A scenario without this block runs failure-free; writing the block turns it on unless it
    says ``enabled: false``.
    """

    enabled: bool = True
    gpu: GpuFailures = GpuFailures()
    tray: TrayFailures = TrayFailures()
    rack: RackFailures = RackFailures()
    network: NetworkFailures = NetworkFailures()
    software: SoftwareFailures = SoftwareFailures()
    pod: PodFailures = PodFailures()
    gpus_per_tray: int = Field(4, gt=0, description="GPUs per compute tray (GB200/GB300: 4)")
    detection_s: float = Field(
        150.0, ge=0, description="From a fault to its detection, s (half a 5-minute health check)"
    )
    restart_s: float = Field(
        120.0, ge=0, description="Relaunch and communicator set-up after a fault, s (assumption)"
    )
    rate_scale: float = Field(
        1.0, ge=0, allow_inf_nan=False, description="Multiplies every failure class's rate, "
        "for what-ifs (2: failures twice as frequent; 0: none, checkpoints still written); "
        "each class keeps its own RNG stream"
    )
    spares: SparesConfig = SparesConfig()
    storage: StorageConfig = StorageConfig()
    maintenance: tuple[MaintenanceWindow, ...] = ()

    def rate_per_gpu_s(self, name: str) -> float:
        """Class ``name``'s failures per GPU-second, ``rate_scale`` included: what every rate
        in the model and the engine reads (one knob for "twice as frequent": QA)."""
        return self.processes()[name].rate_per_gpu_s() * self.rate_scale

    def processes(self) -> dict[str, FailureProcess]:
        """Component classes by name, in the fixed order their streams are created."""
        return {"gpu": self.gpu, "tray": self.tray, "rack": self.rack,
                "network": self.network, "software": self.software, "pod": self.pod}


# -- per-job checkpoints -----------------------------------------------------------------------


class CheckpointMode(StrEnum):
    """``sync``: the job pauses for the whole write; ``async``: a short snapshot pause, then the
    write overlaps training and the checkpoint counts only once it is written."""

    SYNC = "sync"
    ASYNC = "async"


class AutoMethod(StrEnum):
    YOUNG = "young"  # Young 1974: sqrt(2 delta M)
    DALY = "daly"  # Daly 2006: higher-order correction of Young


class MemoryCopy(StrEnum):
    """Where checkpoints go: storage only, or host memory first (lost if the fault took it)."""

    NONE = "none"
    LOCAL = "local"  # the job's own host memory: survives GPU, network, software faults
    PEER = "peer"  # host memory on another rack: survives any single-rack fault


class CheckpointConfig(Frozen):
    """Checkpoint settings of one job; they take effect when reliability is enabled."""

    interval_s: Annotated[float, Field(gt=0)] | Literal["auto"] | None = Field(
        "auto",
        description="Compute time between checkpoints, s; 'auto': Young's or Daly's optimum "
        "for the job's current failure rate and write cost; null: never checkpoint",
    )
    method: AutoMethod = Field(AutoMethod.DALY, description="Formula behind interval_s: auto")
    min_interval_s: float = Field(60.0, gt=0, description="Floor for an auto interval, s")
    mode: CheckpointMode = CheckpointMode.SYNC
    in_memory: MemoryCopy = MemoryCopy.NONE
    persist_every: int = Field(
        10, ge=1, description="With in_memory: every n-th checkpoint is also written to storage"
    )
    bytes_per_param: float | None = Field(
        None, gt=0, description="Checkpoint bytes per parameter (default: weights + optimizer)"
    )
    size_gb: float | None = Field(None, gt=0, description="Checkpoint size, GB (overrides params)")
    storage_gbytes_s: float | None = Field(
        None, gt=0, description="This job's own cap on storage write bandwidth, GB/s"
    )
    snapshot_gbytes_s: float = Field(
        50.0, gt=0, description="Device-to-host copy per GPU, GB/s (async pause, local copies)"
    )
    peer_gbytes_s: float | None = Field(
        None, gt=0, description="Per-GPU bandwidth to a peer's memory, GB/s (default: the NIC)"
    )
