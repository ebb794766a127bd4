"""The scenario schema: pydantic v2 models, frozen, ``extra="forbid"``, units in field names.

The schema is the single source of truth for what a scenario may say. Structural checks live on
the models; checks that need the whole scenario (does every job fit the cluster? does every GPU
type exist?) live in ``Scenario``'s model validator so that one load reports them all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from colossim.config.base import FieldValueError, Frozen, Label, has_control, printable, raise_all
from colossim.config.fabric import FabricConfig
from colossim.config.power import PowerConfig
from colossim.config.reliability import CheckpointConfig, ReliabilityConfig
from colossim.config.trace import TraceConfig, expand_trace
from colossim.config.training import TrainingConfig

# Sanity bounds, far beyond any cluster or model in sight, so a typo fails at once instead of
# running for minutes (10 million racks took 20 s to validate; 1e200 parameters, 9 minutes)
MAX_RACKS = 1_000_000  # per rack group: 72 million GPUs, 130 x Colossus 2
MAX_PARAMS_BILLION = 1e6  # a quadrillion parameters, 100 x the 10T job
MAX_WORK_GPU_HOURS = 1e15  # a million times the 10T job's; 1e300 overflowed the work to inf
MAX_TOKENS_BILLION = 1e15  # 1e24 tokens: room for tokens given in units, not billions (a slip
MAX_SAMPLES_MILLION = 1e15  # warned of, ``load_warnings``), and the work still a finite number
MAX_GPUS_PER_RACK = 10_000  # 17 x an NVL576 rack (QA: 1e12 GPUs a rack ran a 16-trillion-GPU job)


class Precision(StrEnum):
    """Training number format; picks which peak FLOPS a job's compute runs at."""

    BF16 = "bf16"
    FP8 = "fp8"
    FP4 = "fp4"


# A GPU spec's field -> (a field declared before it, when the pair is wrong, what to say)
PAIRED_CHECKS: dict[str, tuple[str, Callable[[float, float], bool], str]] = {
    "hbm_usable_gb": ("hbm_gb", lambda usable, hbm: usable > hbm,
                      "{value} exceeds hbm_gb ({other})"),
    # more idle than busy inverted the DVFS curve
    "idle_w": ("tdp_w", lambda idle, tdp: idle > tdp, "{value:g} W exceeds tdp_w ({other:g} W)"),
    "gpus_per_rack": ("gpus_per_domain", lambda rack, domain: rack % domain != 0,
                      "{value} is not a multiple of gpus_per_domain ({other})"),
}


class GpuSpec(Frozen):
    """One GPU type as the simulator needs it. Sources: ``docs/hardware.md``."""

    bf16_tflops: float = Field(gt=0, description="Dense BF16 peak per GPU, TFLOP/s")
    fp8_tflops: float = Field(gt=0, description="Dense FP8 peak per GPU, TFLOP/s")
    fp4_tflops: float | None = Field(None, gt=0, description="Dense FP4 peak, TFLOP/s (None: n/a)")
    hbm_gb: float = Field(gt=0, description="Nominal HBM per GPU, GB")
    hbm_usable_gb: float = Field(gt=0, description="HBM visible to programs, GB")
    hbm_tbytes_s: float = Field(gt=0, description="HBM bandwidth, TB/s")
    nvlink_gbytes_s: float = Field(gt=0, description="NVLink bandwidth per GPU per direction, GB/s")
    nic_gbit_s: float = Field(gt=0, description="Scale-out NIC bandwidth per GPU, Gb/s")
    tdp_w: float = Field(gt=0, description="GPU thermal design power, W")
    idle_w: float = Field(ge=0, description="GPU power when allocated to nothing, W")
    gpus_per_domain: int = Field(gt=0, description="GPUs in one NVLink (scale-up) domain")
    gpus_per_rack: int = Field(gt=0, le=MAX_GPUS_PER_RACK, description="GPUs in one rack")
    rack_overhead_w: float = Field(
        ge=0, description="Rack power beyond its GPUs (CPUs, NICs, switches, fans), W"
    )
    source: str = Field("", description="Where the numbers come from")

    @field_validator(*PAIRED_CHECKS)
    @classmethod
    def _against_an_earlier_field(cls, value: float, info: ValidationInfo) -> float:
        """``PAIRED_CHECKS``: run as each field is validated, so said with the entry's other
        problems, where a whole-model check ran only once every field was valid (QA: a new
        type missing idle_w heard of its gpus_per_rack only after that was fixed)."""
        other_field, broken, message = PAIRED_CHECKS[str(info.field_name)]
        other = info.data.get(other_field)  # validated already: declared before
        if other is not None and broken(value, other):
            raise ValueError(message.format(value=value, other=other))
        return value

    def peak_tflops(self, precision: Precision) -> float:
        """Dense peak at a precision; FP4 falls back to FP8 where the GPU has no FP4 units."""
        if precision is Precision.BF16:
            return self.bf16_tflops
        if precision is Precision.FP4 and self.fp4_tflops is not None:
            return self.fp4_tflops
        return self.fp8_tflops


class RackGroup(Frozen):
    """A block of identical racks."""

    gpu_type: str = Field(description="A key of the catalog (built-in or the scenario's own)")
    racks: int = Field(ge=0, le=MAX_RACKS, description="Number of racks")
    name: Label | None = Field(None, description="Label for overrides; defaults to gpu_type")


class ClusterConfig(Frozen):
    """Racks, pods and the facility around them."""

    name: Label = "cluster"
    pod_size_racks: int = Field(gt=0, description="Racks per pod (one leaf/spine block)")
    rack_groups: tuple[RackGroup, ...] = Field(min_length=1)
    spare_racks: int = Field(0, ge=0, description="Racks held back as spares, never allocated")
    mixed_gpu_types: bool = Field(
        True, description="May one job span GPU types (it then runs at the slower type's pace)?"
    )
    power: PowerConfig
    fabric: FabricConfig = FabricConfig()


class JobKind(StrEnum):
    LLM = "llm"
    IMAGE = "image"


class Placement(StrEnum):
    """Allocation grain: whole NVLink domains, single GPUs, or chosen from the job's size."""

    AUTO = "auto"
    DOMAIN = "domain"
    GPU = "gpu"


class JobConfig(Frozen):
    """One training job, described by its model and data, or directly by its work."""

    name: str = Field(min_length=1)
    kind: JobKind = JobKind.LLM
    params_billion: float | None = Field(None, gt=0, le=MAX_PARAMS_BILLION,
                                         description="Total parameters, billions")
    active_params_billion: float | None = Field(
        None, gt=0, le=MAX_PARAMS_BILLION,
        description="Parameters active per token (MoE), billions; default all"
    )
    tokens_billion: float | None = Field(None, gt=0, le=MAX_TOKENS_BILLION,
                                         description="Training tokens, billions")
    samples_million: float | None = Field(
        None, gt=0, le=MAX_SAMPLES_MILLION, description="Training samples (image jobs), millions"
    )
    tokens_per_sample: int | None = Field(
        None, gt=0, description="Tokens (latent patches) per sample for image jobs"
    )
    work_gpu_hours: float | None = Field(
        None, gt=0, le=MAX_WORK_GPU_HOURS,
        description="Work as GPU-hours on reference_gpu (trace-style jobs)"
    )
    reference_gpu: str | None = Field(None, description="GPU type work_gpu_hours refers to")
    precision: Precision = Precision.BF16
    min_gpus: int = Field(1, gt=0)
    max_gpus: int = Field(gt=0)
    # 64 bits: the most a float (1e18) converts to, so 1e20 and 100000000000000000000 agree
    priority: int = Field(0, ge=-(2**63), le=2**63 - 1,
                          description="Higher runs first under priority policies")
    submit_s: float = Field(0.0, ge=0, description="Submission time, s from start")
    deadline_s: float | None = Field(
        None, gt=0, description="Finish by this time, s from start (deadline-aware policies)"
    )
    runtime_estimate_s: float | None = Field(
        None, gt=0, description="The user's estimate of the job's run time at its requested "
        "size, s (a batch system's requested wall time, SWF's field 9): backfill plans with it "
        "instead of the speed model's runtime",
    )
    placement: Placement = Placement.AUTO
    checkpoint: CheckpointConfig = CheckpointConfig()
    training: TrainingConfig = TrainingConfig()

    @model_validator(mode="after")
    def _work_is_defined_once(self) -> JobConfig:
        """The job's fields agree; every disagreement is said at once (``raise_all``)."""
        problems: list[ValueError] = []
        if has_control(self.name):  # a newline split the job table's row
            problems.append(FieldValueError("name", f"{self.name!r} holds a control character"))
        if self.deadline_s is not None and self.deadline_s <= self.submit_s:
            problems.append(FieldValueError(
                "deadline_s", f"{self.deadline_s:g} s is not after submit_s ({self.submit_s:g} s)"))
        if self.min_gpus > self.max_gpus:
            problems.append(FieldValueError(
                "min_gpus", f"{self.min_gpus} exceeds max_gpus ({self.max_gpus})",
                (("max_gpus", f"{self.max_gpus} is below min_gpus ({self.min_gpus})"),),
            ))
        by_work = self.work_gpu_hours is not None
        by_model = self.params_billion is not None
        if by_work and by_model:
            problems.append(FieldValueError(
                "work_gpu_hours", "give params_billion (a model) or work_gpu_hours, not both"))
        if not by_work and not by_model:
            problems.append(ValueError(
                "give params_billion (a model) or work_gpu_hours (a workload)"))
        if by_work and self.reference_gpu is None:
            problems.append(FieldValueError(
                "reference_gpu", "required with work_gpu_hours (the GPU type it was measured on)"))
        if by_model:
            needs = ["tokens_billion"] if self.kind is JobKind.LLM else [
                "samples_million", "tokens_per_sample"
            ]
            problems += [FieldValueError(name, f"required for an {self.kind.value} job")
                         for name in needs if getattr(self, name) is None]
            if (self.active_params_billion or 0) > (self.params_billion or 0):
                active, total = self.active_params_billion, self.params_billion
                problems.append(FieldValueError(
                    "active_params_billion", f"{active} exceeds params_billion ({total})",
                    (("params_billion", f"{total} is below active_params_billion ({active})"),),
                ))
        raise_all("JobConfig", problems)
        return self

    def allocation_unit(self, gpus_per_domain: int) -> int:
        """GPUs per allocation unit on a GPU type: a whole NVLink domain, or one GPU.

        ``auto`` takes whole domains once the job can fill one, so large jobs never share a
        rack's NVLink domain and small (trace) jobs pack GPU by GPU. Lives here, not in the
        model, so load-time checks and the ledger apply the same rule.
        """
        whole = self.placement is Placement.DOMAIN or (
            self.placement is Placement.AUTO and self.max_gpus >= gpus_per_domain
        )
        return gpus_per_domain if whole else 1

    @property
    def active_params(self) -> float:
        """Parameters that do work per token (all of them for dense models)."""
        return 1e9 * (self.active_params_billion or self.params_billion or 0.0)

    @property
    def train_tokens(self) -> float:
        """Tokens processed over the whole run (image jobs: samples x patches)."""
        if self.kind is JobKind.IMAGE:
            return 1e6 * (self.samples_million or 0.0) * (self.tokens_per_sample or 0)
        return 1e9 * (self.tokens_billion or 0.0)


class PolicyConfig(Frozen):
    """Which scheduling policy, and its parameters (validated by the policy's own Params)."""

    name: str = "fifo"
    params: dict[str, Any] = Field(default_factory=dict)


class SwitchCostsConfig(Frozen):
    """What a preemption or a resize costs the job (``docs/policies.md``, "Switch costs").

    Both are a checkpoint-restart: the job writes a checkpoint (its size over the storage write
    bandwidth), relaunches (``restart_s``) and reads it back (size over read bandwidth), paused
    on its new GPUs. Sizes and bandwidths come from the reliability model's settings.
    """

    enabled: bool = Field(
        True, description="Charge preemptions and resizes (false: free, as in most trace "
        "studies)")
    restart_s: float | None = Field(
        None, ge=0, description="Relaunch after a switch, s (default: reliability.restart_s)")


class SchedulerConfig(Frozen):
    policy: PolicyConfig = PolicyConfig()
    switch_costs: SwitchCostsConfig = SwitchCostsConfig()


class SimulationConfig(Frozen):
    seed: int = Field(0, ge=0)
    horizon_s: float = Field(3.15e8, gt=0, description="Stop simulating at this time, s")
    speed_model: Literal["performance", "linear"] = Field(
        "performance",
        description="performance: step-time model (docs/model.md); linear: GPUs x peak x "
        "efficiency, the hand-computable stand-in",
    )
    efficiency: float = Field(
        0.4,
        gt=0,
        le=1,
        description="Achieved / peak FLOPs for the linear speed model and for jobs given by "
        "work_gpu_hours (trace jobs)",
    )
    check_invariants: bool = Field(
        False, description="Check every invariant after every event (slow; for debugging)"
    )


def complete_catalog(entries: Mapping[Any, Any]) -> dict[Any, Any]:
    """Lay each ``catalog:`` entry named like a built-in GPU type over the built-in spec.

    So a scenario changes one number (``GB200: {idle_w: 150}``) without restating the rest; a
    new GPU type must give every field. The entry's ``source`` says which fields it changed.
    """
    from colossim.config.catalog import BUILTIN_GPUS

    out: dict[Any, Any] = {}
    for name, entry in entries.items():
        base = BUILTIN_GPUS.get(name)
        if base is not None and isinstance(entry, Mapping):
            merged = {**base.model_dump(), **entry}
            if "source" not in entry:
                changed = ", ".join(sorted(map(str, entry)))
                merged["source"] = f"{base.source}; changed by the scenario: {changed}"
            entry = merged
        out[name] = entry
    return out


class Scenario(Frozen):
    """A whole scenario: hardware, cluster, jobs, scheduler and run settings."""

    name: Label = Field("scenario", min_length=1)
    description: str = ""
    catalog: dict[str, GpuSpec] = Field(
        default_factory=dict, description="GPU types added to or replacing the built-in catalog"
    )
    cluster: ClusterConfig
    jobs: tuple[JobConfig, ...] = Field((), description="The jobs (a trace adds more)")
    trace: TraceConfig | None = Field(None, description="Read jobs from a trace file")
    scheduler: SchedulerConfig = SchedulerConfig()
    simulation: SimulationConfig = SimulationConfig()
    reliability: ReliabilityConfig = Field(
        ReliabilityConfig(enabled=False),
        description="Failures, repairs, spares and checkpoint storage (off when absent)",
    )

    @field_validator("catalog", mode="before")
    @classmethod
    def _type_names_are_printable(cls, catalog: Any) -> Any:
        """A GPU type's name is printed in every table: not empty (QA: an entry named "" was
        accepted, its fields named catalog..bf16_tflops), no control characters. Before the
        entries are read, so a bad name is said once, not with each field it lacks."""
        for name in catalog if isinstance(catalog, dict) else ():
            if not isinstance(name, str):
                continue  # pydantic names it
            if not name.strip():  # blank: a GPU column with no heading (QA)
                raise FieldValueError(name, f"a GPU type's name must not be empty or blank "
                                            f"({name!r})")
            try:
                printable(name)
            except ValueError as exc:  # at its own line, not at catalog:'s (QA)
                raise FieldValueError(name, str(exc)) from None
        return catalog

    @model_validator(mode="before")
    @classmethod
    def _complete_catalog_overrides(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or not isinstance(data.get("catalog"), Mapping):
            return data
        return {**data, "catalog": complete_catalog(data["catalog"])}

    def gpu_catalog(self) -> dict[str, GpuSpec]:
        """The built-in catalog with the scenario's own entries laid over it."""
        from colossim.config.catalog import BUILTIN_GPUS

        return {**BUILTIN_GPUS, **self.catalog}

    @model_validator(mode="before")
    @classmethod
    def _expand_trace(cls, data: Any, info: ValidationInfo) -> Any:
        """A ``trace:`` becomes ordinary jobs here, so everything after the schema sees jobs."""
        return expand_trace(data, info.context)

    @model_validator(mode="after")
    def _some_jobs(self) -> Scenario:
        if not self.jobs:  # said at the override that removed the trace, if one did (QA)
            raise FieldValueError("jobs", "give at least one job, or a trace",
                                  alternatives=(("trace", "give at least one job, or a trace"),))
        return self

    @model_validator(mode="after")
    def _pinned_plan_sizes(self) -> Scenario:
        """A plan pinning tp, pp and dp fixes a job's size: its min_gpus and max_gpus are
        narrowed to it here, so every policy, the engine and the checks see the same bounds
        (``config.job_checks``)."""
        from colossim.config.job_checks import pinned_sizes

        jobs = pinned_sizes(self.jobs, self.gpu_catalog(), self.cluster)
        if jobs != self.jobs:
            object.__setattr__(self, "jobs", jobs)  # still validating: nothing has seen it
        return self

    @model_validator(mode="after")
    def _cross_checks(self, info: ValidationInfo) -> Scenario:
        """Whole-scenario checks; the loader defers them to report each at its own line."""
        if info.context and info.context.get("defer_cross_check"):
            return self
        from colossim.config.crosscheck import cross_check

        issues = cross_check(self)
        if issues:
            raise ValueError("; ".join(f"{'.'.join(map(str, loc))}: {msg}" for loc, msg in issues))
        return self

