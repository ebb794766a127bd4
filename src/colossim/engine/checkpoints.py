"""Checkpoints: periodic writes per job over shared storage, restore points, restores.

Each job checkpoints every ``interval_s`` of compute (fixed, or Young's/Daly's optimum for its
current failure rate and write cost). A checkpoint snapshots the job's work; it becomes the
job's restore point only once written. Storage writes of all jobs share the cluster's write
bandwidth max-min fairly, so a synchronous job's pause lasts until its share has written it
(re-timed whenever another job starts or finishes a write). In-memory checkpoints go to host
memory (``local``) or a peer rack's (``peer``) at per-GPU bandwidth, and every
``persist_every``-th is also written to storage in the background.

``Checkpoints.watch`` runs after every change (the reliability subsystem sits in the
rate-modifier list, which the engine asks after every change, and never slows anyone): a job
the policy has just restarted after a failure pays its restore time first (a preemption's
restart is a switch cost, ``engine.switch_costs``), and a job that is computing gets its next
checkpoint armed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from colossim.config.reliability import (
    CheckpointConfig,
    CheckpointMode,
    MemoryCopy,
    ReliabilityConfig,
)
from colossim.engine.fluid import TIME_RTOL
from colossim.engine.switch_costs import (
    SWITCH_KEY,
    fastest_storage_bytes_s,
    grant_storage_paths,
)
from colossim.model.cluster import grant_array
from colossim.model.jobs import POWER_LOSS_KEY, Job, JobState, Phase
from colossim.model.reliability import (
    auto_interval,
    checkpoint_bytes,
    exposure_of,
    failure_rate_per_gpu_s,
    job_mttf_s,
    max_min_rates,
)

if TYPE_CHECKING:
    from colossim.engine.simulation import Simulation
    from colossim.engine.state import RunState
    from colossim.model.cluster import Grant

TB, GB = 1e12, 1e9
WRITE_SERIES = "storage_write_tbytes_s"  # the shared storage's write rate, all writes in flight
WRITES_SERIES = "storage_writes"  # how many writes share it
EPS = 1e-9
WRITE_PHASES = (Phase.COMPUTE, Phase.CHECKPOINT)  # a sync write may set or re-time the pause


@dataclass(frozen=True)
class Point:
    """A restore point: the work a checkpoint saved and when its snapshot was taken."""

    work: float
    snapshot_s: float | None  # None: the start of training (nothing saved yet)
    tier: str  # "start", "storage" or "memory"
    racks: tuple[int, ...] = ()  # a copy in memory: the job's racks when it was taken, in order


@dataclass
class Write:
    """A checkpoint on its way to storage."""

    ck: JobCk
    point: Point
    left: float  # bytes still to write
    cap: float  # this job's own bandwidth cap, B/s
    sync: bool  # the job waits for it
    started_s: float
    rate: float = 0.0
    finish_s: float = math.inf


@dataclass
class JobCk:
    """A job's checkpoint state."""

    job: Job
    cfg: CheckpointConfig
    storage: Point
    memory: Point | None = None
    hosts_lost: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # since ``memory``
    token: int = 0  # moves on whenever pending checkpoint timers become stale
    copy_token: int = 0  # likewise for an in-memory copy in flight
    armed: bool = False
    due: bool = False  # a checkpoint fell due while the previous write was in flight
    count: int = 0  # checkpoints completed
    interval: float = math.inf  # the interval the last arming used (``auto``: Young/Daly's)
    needs_restore: bool = False
    loading_memory: bool = False  # its restart pause ends loading its in-memory copy
    fault_s: float | None = None  # when the fault that stopped it struck (None: graceful stop)
    load_s: float = 0.0  # time to load the point it restarts from
    held: bool = False  # it was running at the last look
    size_for: int = 0  # GPUs the cached checkpoint size is for
    gpus_held: int = 0  # GPUs it held at the last look while it ran (``watch``)
    seen: int = -1  # the job's stamp at the watcher's last look (-1: look again)
    size_bytes: float = 0.0
    paths_for: Grant | None = None  # the grant the cached paths to storage are for
    paths: tuple[float, float] = (math.inf, math.inf)  # (from device, from host memory), B/s
    resized_to: Grant = ()  # the grant of the last resize seen (``_resized``): a resize
    # always hands the job a new grant, a power hold re-timing its pause does not


def _gpus(ck: JobCk) -> int:
    """The GPUs its checkpoint is sized and sharded for: those it holds, or, once stopped,
    those it held (QA: a drained job given as GPU-hours, 1 GB per GPU, read its checkpoint
    back as one GPU's)."""
    return ck.job.gpus or ck.gpus_held or 1


def _restores_memory(ck: JobCk) -> bool:
    """Does the job restart from its in-memory copy? Rolled back to it (its work is the
    copy's), and no checkpoint in storage is as far (``restore_point`` prefers the copy then)."""
    memory = ck.memory
    return memory is not None and ck.job.work_done == memory.work >= ck.storage.work


class StorageShare:
    """Writes in flight, sharing the cluster's write bandwidth max-min fairly."""

    def __init__(self, owner: Checkpoints, bandwidth: float):
        self.owner = owner
        self.sim = owner.sim
        self.bandwidth = bandwidth
        self.writes: dict[int, Write] = {}  # job index -> its one write in flight
        self.last_s = 0.0
        self._gen = 0
        self._armed_at = math.inf  # when the live timer fires (a later write needs no new one)
        record = owner.sim.state.record  # what the storage carries, for its sizing (results.md)
        self._rate_series = record.level(WRITE_SERIES)
        self._writes_series = record.level(WRITES_SERIES)

    def _advance(self, now: float) -> None:
        dt = now - self.last_s
        if dt > 0:
            for w in self.writes.values():
                w.left = max(0.0, w.left - w.rate * dt)
        self.last_s = now

    def add(self, write: Write) -> None:
        self._advance(self.sim.env.now)
        self.writes[write.ck.job.index] = write
        self._rebalance()

    def cancel(self, job: Job) -> None:
        if job.index in self.writes:
            self._advance(self.sim.env.now)
            del self.writes[job.index]
            self._rebalance()

    def _rebalance(self) -> None:
        now = self.sim.env.now
        writes = list(self.writes.values())
        rates = max_min_rates([w.cap for w in writes], self.bandwidth)
        for w, rate in zip(writes, rates, strict=True):
            w.rate = rate
            finish = now + w.left / rate
            job = w.ck.job  # a sync write pauses its job as it starts (the job computes until
            # then) and re-times that pause; never a pause of another kind (a resize's)
            if w.sync and job.state is JobState.RUNNING and job.phase in WRITE_PHASES \
                    and abs(finish - w.finish_s) > EPS * max(1.0, finish):
                # (a job that just lost its GPUs keeps its write until the watcher cancels it:
                # it paused a pending job, whose stale resume woke the policy; QA)
                # the write's own completion resumes the job: no separate resume event
                self.sim.state.pause(job, finish - now, Phase.CHECKPOINT)
            w.finish_s = finish
        self._rate_series.set(now, math.fsum(rates) / TB)
        self._writes_series.set(now, float(len(writes)))
        first = min((w.finish_s for w in writes), default=math.inf)
        if first < self._armed_at:  # an earlier live timer just finds nothing done and re-arms
            self._gen += 1
            self._armed_at = first
            gen = self._gen
            self.sim.call_at(first, lambda: self._on_timer(gen))

    def _on_timer(self, gen: int) -> None:
        if gen != self._gen:
            return
        self._armed_at = math.inf
        now = self.sim.env.now
        self._advance(now)
        done = [w for w in self.writes.values() if w.finish_s <= now + EPS * max(1.0, now)]
        for w in done:
            del self.writes[w.ck.job.index]
            job = w.ck.job
            if w.sync and job.state is JobState.RUNNING and job.phase is Phase.CHECKPOINT:
                self.sim.state.resume(job)
        self._rebalance()
        for w in done:
            self.owner.saved(w.ck, w.point, now - w.started_s)


class Checkpoints:
    """Every job's checkpoints and restores; also the after-change watcher (see module doc)."""

    def __init__(self, sim: Simulation, config: ReliabilityConfig):
        self.sim = sim
        self.state: RunState = sim.state
        self.config = config
        self.jobs = [JobCk(j, j.config.checkpoint, Point(0.0, None, "start"))
                     for j in self.state.jobs]
        self.share = StorageShare(self, config.storage.write_tbytes_s * TB)
        # a path at least this fast never binds a write or a read (``_paths``)
        self._bandwidth = fastest_storage_bytes_s(config.storage)
        layout = self.state.layout
        self.rack_capacity = layout.capacity  # GPUs per rack, by rack
        # the pods' GPUs a job touches, for pod faults' exposure: only when they can strike (a
        # walk of the 10T job's 3,072 racks at each new grant otherwise)
        self.pods: tuple[np.ndarray, np.ndarray] | tuple[None, None] = (None, None)
        if config.rate_per_gpu_s("pod") > 0:
            self.pods = (layout.rack_pod,
                         np.bincount(layout.rack_pod, weights=layout.capacity).astype(int))
        self.rate_per_gpu_s = failure_rate_per_gpu_s(config)  # every class interrupts a job
        self._exposures: dict[int, tuple[Grant, tuple[int, int, int]]] = {}  # by job, grant
        self._in_memory = [ck for ck in self.jobs if ck.cfg.in_memory is not MemoryCopy.NONE]

    # -- sizes and times ----------------------------------------------------------------
    def size(self, ck: JobCk) -> float:
        gpus = _gpus(ck)
        if ck.size_for != gpus:  # the size depends on the GPUs only for jobs without params
            ck.size_for, ck.size_bytes = gpus, checkpoint_bytes(ck.job.config, gpus)
        return ck.size_bytes

    def _per_gpu(self, ck: JobCk) -> float:
        return self.size(ck) / _gpus(ck)

    def _peer_bps(self, ck: JobCk) -> float:
        if ck.cfg.peer_gbytes_s is not None:
            return ck.cfg.peer_gbytes_s * GB
        layout = self.state.layout
        racks = [r for r, _ in ck.job.grant[:1]]
        spec = layout.specs[layout.rack_type[racks[0]]] if racks else layout.specs[0]
        return spec.nic_gbit_s / 8 * GB

    def memory_pause_s(self, ck: JobCk) -> float:
        """Pause of a synchronous in-memory checkpoint (device to host, then to a peer)."""
        t = self._per_gpu(ck) / (ck.cfg.snapshot_gbytes_s * GB)
        if ck.cfg.in_memory is MemoryCopy.PEER:
            t += self._per_gpu(ck) / self._peer_bps(ck)
        return t

    def snapshot_s(self, ck: JobCk) -> float:
        """Pause of an asynchronous checkpoint: the copy of each GPU's shard to host memory."""
        return self._per_gpu(ck) / (ck.cfg.snapshot_gbytes_s * GB)

    def _paths(self, ck: JobCk) -> tuple[float, float]:
        """The job's own path to storage, B/s: (from its GPUs, from host memory), as
        ``model.reliability.storage_paths`` gives it. Without it an 8-GPU job wrote 2 TB in
        1 s at the cluster's whole storage bandwidth, 8 NICs carrying 2 TB/s, and its async
        pause (5 s) was longer than its sync write (QA). Kept per grant: a job holds thousands
        of racks, and checkpoints every few minutes. A job that lost its GPUs (power, a copy
        lost while it waits) restores at the rate of the grant it had, as one stopped by a
        fault does (priced before it let them go)."""
        job = ck.job
        if ck.paths_for is not job.grant and job.grant:  # a stopped job: the grant it had
            ck.paths_for = job.grant
            ck.paths = grant_storage_paths(self.state.layout, job, ck.cfg.snapshot_gbytes_s,
                                           self._bandwidth)
        return ck.paths

    def _cap(self, ck: JobCk, from_host: bool = False) -> float:
        """The most the job's write to storage can take: its own cap, if given, and its path
        (``_paths``; ``from_host``: a write from host memory, an async or a persist)."""
        cap = ck.cfg.storage_gbytes_s
        path = self._paths(ck)[from_host]
        if path >= self.share.bandwidth:  # it never binds: no share of the writes can exceed
            path = math.inf  # the whole (and a finite cap changed the shares' last bits)
        return min(cap * GB if cap is not None else math.inf, path)

    def storage_write_s(self, ck: JobCk) -> float:
        """Time to write the job's checkpoint to storage alone (its cap, its path or the full
        bandwidth): a synchronous write, from its GPUs."""
        return self.size(ck) / min(self._cap(ck), self.share.bandwidth)

    def write_cost_s(self, ck: JobCk) -> float:
        """What one checkpoint costs the job in pause time, written alone (auto intervals)."""
        if ck.cfg.mode is CheckpointMode.ASYNC:
            return self.snapshot_s(ck)
        if ck.cfg.in_memory is not MemoryCopy.NONE:
            return self.memory_pause_s(ck)
        return self.storage_write_s(ck)

    def load_s(self, ck: JobCk, point: Point) -> float:
        """Time to load ``point`` when the job restarts."""
        if point.tier == "start":
            return 0.0
        if point.tier == "memory":
            per_gpu = self._per_gpu(ck)
            if ck.cfg.in_memory is MemoryCopy.PEER:
                return per_gpu / self._peer_bps(ck)
            return per_gpu / (ck.cfg.snapshot_gbytes_s * GB)
        return self.size(ck) / min(self.config.storage.read_tbytes_s * TB, self._paths(ck)[0])

    def interval_s(self, ck: JobCk) -> float:
        interval = ck.cfg.interval_s
        if interval is None:
            return math.inf
        if interval != "auto":
            return float(interval)
        racks, trays, pods = self._exposure(ck.job)
        mttf = job_mttf_s(self.config, ck.job.gpus, racks, trays, self.rate_per_gpu_s, pods)
        return auto_interval(ck.cfg.method, self.write_cost_s(ck), mttf, ck.cfg.min_interval_s)

    def _exposure(self, job: Job) -> tuple[int, int, int]:
        """(rack GPUs, tray GPUs, pod GPUs) the job touches (``exposure_of``), kept per grant:
        the auto interval is asked at every checkpoint, and a walk over the 10T job's 3,072
        racks each time made the Colossus-2 run 2.4x slower."""
        cached = self._exposures.get(job.index)
        if cached is not None and cached[0] is job.grant:
            return cached[1]
        held = self.state.ledger.arrays(job.index, job.grant)
        if held is None:  # not the ledger's grant (a test's job): convert it here
            pairs = grant_array(job.grant)
            held = pairs[:, 0], pairs[:, 1]
        racks, gpus = held
        exposure = exposure_of(racks, gpus, self.rack_capacity, self.config.gpus_per_tray,
                               *self.pods)
        self._exposures[job.index] = (job.grant, exposure)
        return exposure

    # -- the watcher -----------------------------------------------------------------------
    def watch(self) -> None:
        """After every change: restarted jobs pay their restore; computing jobs get armed."""
        for ck in self.jobs:
            job = ck.job
            if job.stamp == ck.seen:
                continue  # nothing happened to it since the last look
            if job.state is JobState.RUNNING:
                ck.gpus_held = job.gpus
                if job.phase is Phase.COMPUTE:  # its restart, if any, is over: a copy lost
                    ck.loading_memory = False  # now is not the one it loaded (review)
                if ck.needs_restore:
                    self._restore(ck)
                elif job.phase is Phase.RESIZE and job.grant is not ck.resized_to:
                    self._resized(ck)
                elif not ck.armed and job.phase is Phase.COMPUTE:
                    self._arm(ck)
                ck.held = True
            elif ck.held:
                ck.held = False
                self._left_gpus(ck)
            ck.seen = job.stamp

    def _left_gpus(self, ck: JobCk) -> None:
        """The job let go of its GPUs without a fault: completed, preempted by the policy, or
        stopped by the power fallback (which is a power loss to it)."""
        self.cancel(ck)
        lost_power_s = ck.job.extra.pop(POWER_LOSS_KEY, None)
        if ck.job.state is JobState.PENDING and lost_power_s is not None:
            self._lose_power(ck, lost_power_s)
        elif ck.job.state is JobState.PENDING and not ck.needs_restore:
            # A preemption checkpoints on the way out and keeps the job's progress; the write,
            # relaunch and load are charged when it next starts (engine.switch_costs).
            switch = ck.job.extra.get(SWITCH_KEY)
            self.state.log("checkpoint_saved", ck.job, snapshot_s=self.state.now_s,
                           flops=ck.job.work_done, tier="preempt",
                           seconds=0.0 if switch is None else switch.save_s)
            ck.storage = Point(ck.job.work_done, self.state.now_s, "storage")
            ck.memory = None

    def _resized(self, ck: JobCk) -> None:
        """The policy resized the job: a resize is a checkpoint-restart (``switch_costs``), so
        the checkpoint it writes as its pause begins is the job's restore point (a fault after
        the resize rolled back past it, to the last periodic one). A write in flight is dropped
        (this one supersedes it; its re-timing cut the resize pause short) and the next periodic
        checkpoint is armed afresh once the job computes again."""
        job, now = ck.job, self.state.now_s
        ck.resized_to = job.grant
        self.cancel(ck)
        ck.storage = Point(job.work_at(now), now, "storage")
        self.state.log("checkpoint_saved", job, snapshot_s=now, flops=ck.storage.work,
                       tier="resize", seconds=self.storage_write_s(ck))

    def _lose_power(self, ck: JobCk, at_s: float) -> None:
        """The facility could not power the job: its GPUs and hosts went down with no time to
        save. It falls back to its last checkpoint in storage (copies in host memory, its own or
        a peer's in its allocation, went down with it) and pays detection, relaunch and the load
        when it next starts, as after a fault."""
        ck.memory = None
        point = ck.storage
        lost = self.roll_back(ck, point)
        self.state.log("failure", ck.job, component="power", lost_flops=lost,
                       snapshot_s=point.snapshot_s, restore=point.tier, stopped=True, gpus=0)
        self.stopped(ck, at_s, self.load_s(ck, point))

    def _restore(self, ck: JobCk) -> None:
        waited = 0.0 if ck.fault_s is None else self.state.now_s - ck.fault_s
        detect = 0.0 if ck.fault_s is None else max(0.0, self.config.detection_s - waited)
        ck.needs_restore = False
        self.pause_to_restart(ck, detect + self.config.restart_s, ck.load_s,
                              _restores_memory(ck))

    def pause_to_restart(self, ck: JobCk, before_load_s: float, load_s: float,
                         from_memory: bool) -> None:
        """Pause the job for its restart: detection and relaunch (``before_load_s``), then the
        load of its restore point, last. A load from an in-memory copy is noted: hosts that go
        down with the copy before the load is done send it to storage (``hosts_down``)."""
        ck.load_s = load_s
        ck.loading_memory = from_memory
        self.sim.pause_job(ck.job, before_load_s + load_s, Phase.RESTART)

    def _arm(self, ck: JobCk) -> None:
        ck.armed = True
        ck.token += 1
        interval = ck.interval = self.interval_s(ck)
        if math.isfinite(interval):
            token = ck.token
            self.sim.call_at(self.state.now_s + interval, lambda: self._due(ck, token))

    def _due(self, ck: JobCk, token: int) -> None:
        job = ck.job
        if token != ck.token or job.state is not JobState.RUNNING:
            return
        now = self.state.now_s
        if job.phase is not Phase.COMPUTE:
            ck.armed = False  # paused by something else: re-armed when it computes again
            ck.seen = -1
        elif job.finish_time() <= now + TIME_RTOL * max(1.0, now):
            return  # it completes at this instant (its timer, as the clock rounds): no save
        elif job.index in self.share.writes and ck.cfg.in_memory is MemoryCopy.NONE:
            ck.due = True  # the previous write is still going: start when it is done
            # (an in-memory checkpoint does not wait for the background persist to storage)
        else:
            self._begin(ck)

    # -- writing ---------------------------------------------------------------------------
    def _begin(self, ck: JobCk) -> None:
        job, now = ck.job, self.state.now_s
        ck.armed = False
        ck.due = False
        ck.seen = -1
        ck.token += 1
        work = job.work_at(now)
        if ck.cfg.in_memory is not MemoryCopy.NONE:
            point = Point(work, now, "memory", tuple(dict.fromkeys(r for r, _ in job.grant)))
            is_async = ck.cfg.mode is CheckpointMode.ASYNC
            pause = self.snapshot_s(ck) if is_async else self.memory_pause_s(ck)
            done = now + self.memory_pause_s(ck)
            if pause > 0:
                self.sim.pause_job(job, pause, Phase.CHECKPOINT, notify=False)
            ck.copy_token += 1
            token = ck.copy_token
            self.sim.call_at(done, lambda: self._memory_done(ck, token, point, done - now))
            return
        point = Point(work, now, "storage")
        sync = ck.cfg.mode is CheckpointMode.SYNC
        if not sync:
            self.sim.pause_job(job, self.snapshot_s(ck), Phase.CHECKPOINT, notify=False)
        self.share.add(Write(ck, point, self.size(ck), self._cap(ck, not sync), sync, now))

    def _memory_done(self, ck: JobCk, token: int, point: Point, seconds: float) -> None:
        if token != ck.copy_token:
            return
        self.saved(ck, point, seconds)
        if ck.count % ck.cfg.persist_every == 0 and ck.job.index not in self.share.writes:
            persisted = Point(point.work, point.snapshot_s, "storage")
            size = self.size(ck)
            self.share.add(Write(ck, persisted, size, self._cap(ck, True), False,
                                 self.state.now_s))

    def saved(self, ck: JobCk, point: Point, seconds: float) -> None:
        """A checkpoint is written: it becomes a restore point."""
        if point.tier == "memory":
            ck.memory = point
            ck.hosts_lost = {}
            ck.count += 1
        else:
            ck.storage = point
            if ck.cfg.in_memory is MemoryCopy.NONE:
                ck.count += 1
        persist = {"persist": True} if point.tier == "storage" and ck.cfg.in_memory \
            is not MemoryCopy.NONE else {}  # a copy of an in-memory checkpoint: not a new one
        every = {"interval_s": ck.interval} if math.isfinite(ck.interval) else {}
        self.state.log("checkpoint_saved", ck.job, snapshot_s=point.snapshot_s,
                       flops=point.work, tier=point.tier, seconds=seconds, **persist, **every)
        job = ck.job
        if ck.due and job.state is JobState.RUNNING:
            if job.phase is Phase.COMPUTE:
                self._begin(ck)
            else:  # paused meanwhile (a resize, a power hold): re-armed when it computes
                # again, as a checkpoint falling due in a pause is (``_due``); left due and
                # armed, nothing ever armed it again
                ck.armed = ck.due = False
                ck.seen = -1

    def cancel(self, ck: JobCk) -> None:
        """Drop the job's checkpoints in flight and its pending timers (it failed or left)."""
        ck.token += 1
        ck.copy_token += 1
        ck.armed = ck.due = False
        ck.seen = -1
        self.share.cancel(ck.job)

    # -- faults ----------------------------------------------------------------------------
    def restore_point(self, ck: JobCk, hosts: tuple[int, int, int] | None) -> Point:
        """The newest checkpoint that survived. ``hosts``: the host memory the fault took, as
        (rack, first slot, last slot), or None (a GPU, link or software fault leaves it)."""
        if ck.memory is not None and hosts is not None and self._lose_hosts(ck, *hosts):
            ck.memory = None
        best = ck.storage
        if ck.memory is not None and ck.memory.work >= best.work:
            best = ck.memory
        return best

    def hosts_down(self, rack: int, first: int, last: int, holders: set[int]) -> None:
        """Host memory on ``rack`` (slots ``first`` to ``last``) went down under jobs that no
        longer hold it (``holders`` are handled as interrupted): an in-memory copy a job left
        there when it moved after an earlier fault (its own, ``local``, or a ``peer`` copy) is
        gone with it."""
        for ck in self._in_memory:  # not every job: a trace has thousands, none in memory
            memory = ck.memory
            if memory is not None and ck.job.index not in holders and rack in memory.racks \
                    and self._lose_hosts(ck, rack, first, last):
                restoring = _restores_memory(ck)
                ck.memory = None
                if restoring and ck.needs_restore:
                    self._restore_lost(ck)
                elif restoring and self._loading_memory(ck):
                    self._reload(ck)

    def copies_lost(self, struck: set[int], racks: list[int]) -> None:
        """Hosts of all ``racks`` went down at once under the ``struck`` jobs (a pod fault):
        each one's in-memory copy is gone if it was on them, as ``hosts_down`` finds for jobs
        elsewhere (for a peer copy: some shard lost on a rack and on the next one). A peer copy
        of a job on one rack, whose peer is outside its racks, is taken to be in its pod, and
        goes with it (an assumption, docs/reliability.md; review: it survived the pod)."""
        down = set(racks)
        for ck in self._in_memory:
            memory = ck.memory
            if ck.job.index not in struck or memory is None:
                continue
            lone = len(memory.racks) < 2 and set(memory.racks) <= down
            if lone or any(self._lose_hosts(ck, rack, 0, int(self.rack_capacity[rack]))
                           for rack in racks if rack in memory.racks):
                ck.memory = None

    def _restore_lost(self, ck: JobCk) -> None:
        """A job waiting in the queue after a fault was to restart from its in-memory copy,
        and that copy is gone now: it falls back to its newest checkpoint in storage, losing the
        work between them (a ``restore_lost`` event; the interruption was already counted)."""
        point = ck.storage
        lost = self.roll_back(ck, point)
        ck.load_s = self.load_s(ck, point)
        self.state.log("restore_lost", ck.job, lost_flops=lost, snapshot_s=point.snapshot_s,
                       restore=point.tier)

    def _loading_memory(self, ck: JobCk) -> bool:
        """Is the job in a restart pause that ends loading its in-memory copy?"""
        job = ck.job
        return (ck.loading_memory and job.state is JobState.RUNNING
                and job.phase is Phase.RESTART and job.pause_until_s is not None)

    def _reload(self, ck: JobCk) -> None:
        """The job is restarting from its in-memory copy, and the copy went down before the
        load was done (QA: it resumed from the lost copy): it falls back to storage as a queued
        job does, and loads from there once its relaunch is over, or at once if the load had
        begun. Its resume moves; a power hold it is under still ends when it would have."""
        job, now = ck.job, self.state.now_s
        assert job.pause_until_s is not None
        load_from = max(now, job.pause_until_s - ck.load_s)
        self._restore_lost(ck)
        ck.loading_memory = False
        self.sim.extend_pause(job, load_from + ck.load_s)

    def _lose_hosts(self, ck: JobCk, rack: int, first: int, last: int) -> bool:
        """Note that these hosts' memory is gone; did that lose the job's in-memory checkpoint?
        Only hosts of the job's racks at the snapshot held a copy. A ``local`` copy is gone
        with any of them. A ``peer`` copy of each shard is also on
        the next rack of the job's racks at the snapshot, in a ring (an assumption:
        docs/reliability.md), so it is gone once some shard lost both: the same slots on a rack
        and on the next one, to faults since the snapshot. A one-rack job's peer is outside its
        racks: never lost here."""
        assert ck.memory is not None
        racks = ck.memory.racks
        if rack not in racks:
            return False  # the host held no copy of this snapshot (a spare that came later:
            # QA, a tray fault on it lost a local copy that sat on the rack the job had left)
        if ck.cfg.in_memory is MemoryCopy.LOCAL:
            return True
        if len(racks) < 2:
            return False
        ck.hosts_lost.setdefault(rack, []).append((first, last))
        k = racks.index(rack)
        for a, b in ((racks[k - 1], rack), (rack, racks[(k + 1) % len(racks)])):
            for lo, hi in ck.hosts_lost.get(a, ()):
                if any(lo < hi2 and lo2 < hi for lo2, hi2 in ck.hosts_lost.get(b, ())):
                    return True
        return False

    def roll_back(self, ck: JobCk, point: Point) -> float:
        """Set the job's work back to ``point``'s; the work lost (FLOPs)."""
        job = ck.job
        job.advance(self.state.now_s)
        lost = max(0.0, job.work_done - point.work)
        job.work_done = point.work
        job.announce()  # a restart pause's rollback keeps its stamp (``_reload``)
        return lost

    def stopped(self, ck: JobCk, fault_s: float | None, load_s: float) -> None:
        """The job lost its GPUs; when the policy starts it again it first pays its restore."""
        ck.needs_restore = True
        ck.loading_memory = False
        ck.fault_s = fault_s
        ck.load_s = load_s
        ck.held = False
        ck.seen = -1
