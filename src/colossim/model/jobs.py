"""Training jobs as fluids: work done advances at a rate that changes only at events.

A job's state between events is fully described by ``(work_done, rate, since_s)``; progress at any
later instant is ``work_done + rate * (t - since_s)``. Nothing happens per training step.
Invariant: ``0 <= work_done <= work_total`` and work never decreases except through an explicit,
recorded loss (failures, in the reliability model).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from colossim.config.schema import JobConfig
from colossim.model.cluster import Grant

DEADLINE_SLACK = 1e-9  # of the deadline: an end a rounding error past it still meets it


def meets_deadline(end_s: float, deadline_s: float) -> bool:
    """Does an end at ``end_s`` meet ``deadline_s``? Within a rounding error of it, yes: a
    trace job given deadline = submit + 1 x its duration, started the instant it arrived, ended
    one ulp past it, counted as missed and was rejected by edf on an empty cluster (QA)."""
    return end_s <= deadline_s + DEADLINE_SLACK * max(1.0, abs(deadline_s))


class Phase(StrEnum):
    """What a RUNNING job is doing with its GPUs. Only COMPUTE makes progress."""

    COMPUTE = "compute"
    CHECKPOINT = "checkpoint"  # writing a checkpoint synchronously
    RESTART = "restart"  # detection, rescheduling and loading a checkpoint
    RESIZE = "resize"  # reconfiguring to a new allocation


class JobState(StrEnum):
    """Lifecycle: WAITING (not yet submitted) → PENDING ⇄ RUNNING → COMPLETED, or REJECTED."""

    WAITING = "waiting"
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    REJECTED = "rejected"


# In Job.extra: when the power fallback stopped the job (the facility could not power it). With
# the reliability model on, such a stop is unplanned: the job loses the work since its last
# checkpoint (engine.checkpoints), as a policy's graceful preemption does not.
POWER_LOSS_KEY = "power_loss_s"


@dataclass
class Job:
    """Mutable job state owned by the engine. Policies see ``JobView`` snapshots instead."""

    index: int
    config: JobConfig
    work_total: float  # FLOPs
    state: JobState = JobState.WAITING
    work_done: float = 0.0
    rate: float = 0.0  # FLOP/s actually achieved now (0 while paused)
    base_rate: float = 0.0  # FLOP/s the allocation gives at full speed (performance model)
    factor: float = 1.0  # product of slowdowns from shared resources (fabric, power caps)
    phase: Phase = Phase.COMPUTE
    pause_until_s: float | None = None
    since_s: float = 0.0
    gpus: int = 0
    grant: Grant = ()
    # the share of the grant's GPUs the performance model's plan computes on (TP x PP x DP
    # over the GPUs held): the rest hold no shard and draw idle power (model.power)
    plan_share: float = 1.0
    first_start_s: float | None = None
    end_s: float | None = None
    gpu_seconds: float = 0.0
    # bytes its traffic carries across pod uplinks per FLOP done, on its current grant (set by
    # the fabric model, engine.fabric): bytes follow the steps a job takes, whatever its speed
    cross_pod_bytes_per_flop: float = 0.0
    cross_pod_bytes: float = 0.0
    starts: int = 0
    stamp: int = 0  # bumped at every change; lets caches and the fluid clock spot stale entries
    reason: str = ""
    extra: dict[str, float] = field(default_factory=dict)
    # Sets that collect the indices of touched jobs (``RunState.watch``): caches of per-job
    # values learn what changed without scanning every job after every event.
    watchers: list[set[int]] = field(default_factory=list, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.config.name

    def work_at(self, now_s: float) -> float:
        """Work done by ``now_s`` at the current rate (no mutation)."""
        return min(self.work_total, self.work_done + self.rate * (now_s - self.since_s))

    def advance(self, now_s: float) -> None:
        """Fold progress since the last event into ``work_done``."""
        dt = now_s - self.since_s
        if dt < 0:
            raise ValueError(f"time went backwards for job {self.name}: {dt} s")
        done = min(self.work_total, self.work_done + self.rate * dt)
        if self.cross_pod_bytes_per_flop:
            self.cross_pod_bytes += (done - self.work_done) * self.cross_pod_bytes_per_flop
        self.work_done = done
        self.gpu_seconds += self.gpus * dt
        self.since_s = now_s

    def finish_time(self) -> float:
        """When the job completes at the current rate (inf when it is not progressing)."""
        if self.rate <= 0:
            return float("inf")
        return self.since_s + max(0.0, self.work_total - self.work_done) / self.rate

    def touch(self) -> None:
        self.stamp += 1
        self.announce()

    def announce(self) -> None:
        """Tell the watchers (views, the power book) the job changed, its stamp kept: its work
        rolled back while it is paused, where what waits on the stamp (its resume, the end of a
        power hold) must still hold. Untold, a policy's view showed the work it had lost."""
        for changed in self.watchers:
            changed.add(self.index)

    def effective_rate(self) -> float:
        """Rate from the model, shared-resource factor and phase: what progress happens now."""
        if self.state is not JobState.RUNNING or self.phase is not Phase.COMPUTE:
            return 0.0
        return self.base_rate * self.factor
