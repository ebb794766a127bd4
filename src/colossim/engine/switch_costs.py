"""Switch costs: what the engine charges a job the policy preempts or resizes, or the power
fallback preempts (``remember_power_loss``: one mechanism for both preemptions).

A preemption or a resize is a checkpoint-restart (how elastic frameworks such as Pollux's and
torchelastic resize, and how preemptive schedulers such as Tiresias and Gavel suspend jobs): the
job writes a checkpoint, relaunches, and reads it back. The engine prices the switch when the
policy makes it (with the job's GPUs then) and charges it as a pause when the job next runs: at
its next start after a preemption (``Phase.RESTART``), at once after a resize (``Phase.RESIZE``).
The job keeps all its progress (it saved on the way out), and its GPUs are free at once: the
write's GPU time is charged to the job's restart rather than holding the old GPUs, so a policy's
next start can use them in the same decision.

Sizes come from ``model.reliability.checkpoint_bytes``; bandwidths and the relaunch time from the
scenario's ``reliability`` block (used whether failures are on or off). The write is priced at
the full storage bandwidth (or the job's own cap, or its own path to storage when that is
slower: ``grant_storage_paths``): it is not shared with other jobs' periodic checkpoints, an
optimistic simplification.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from colossim.config.reliability import StorageConfig
from colossim.config.schema import Scenario
from colossim.model.cluster import RackLayout
from colossim.model.jobs import Job
from colossim.model.reliability import checkpoint_bytes, storage_paths

SWITCH_KEY = "switch_cost"  # in Job.extra: the Switch priced when the policy made it
TB, GB = 1e12, 1e9


@dataclass(frozen=True)
class Switch:
    """The pause one preemption or resize costs, in its parts."""

    save_s: float
    restart_s: float
    load_s: float

    @property
    def total_s(self) -> float:
        return self.save_s + self.restart_s + self.load_s


def grant_storage_paths(layout: RackLayout, job: Job, snapshot_gbytes_s: float,
                        needed: float = math.inf) -> tuple[float, float]:
    """The job's own path to storage on the GPUs it holds, B/s: (from its GPUs, from host
    memory) (``model.reliability.storage_paths``); unbounded when it holds none, or when even
    the cluster's slowest GPUs would carry ``needed`` (the storage's bandwidth): then the grant
    need not be read, a third of a millisecond for thousands of racks, at every checkpoint
    after each of a failure-heavy run's thousands of swaps."""
    if job.gpus * storage_paths(layout.specs, 1, snapshot_gbytes_s)[0] >= needed:
        return math.inf, math.inf
    types = {int(layout.rack_type[rack]) for rack, _ in job.grant}
    return storage_paths([layout.specs[t] for t in sorted(types)], job.gpus, snapshot_gbytes_s)


def fastest_storage_bytes_s(storage: StorageConfig) -> float:
    """The faster of the storage's write and read, B/s: a job's own path at least this fast
    bounds neither (``grant_storage_paths``'s ``needed``)."""
    return max(storage.write_tbytes_s, storage.read_tbytes_s) * TB


def storage_path(scenario: Scenario, layout: RackLayout, job: Job) -> float:
    """The job's path between its GPUs and storage now, B/s: what a checkpoint written from
    them, or read back into them, can take at most (unbounded where it never binds)."""
    return grant_storage_paths(layout, job, job.config.checkpoint.snapshot_gbytes_s,
                               fastest_storage_bytes_s(scenario.reliability.storage))[0]


def price(scenario: Scenario, job: Job, gpus: int, written_bytes_s: float = math.inf,
          read_bytes_s: float = math.inf) -> Switch | None:
    """The switch cost of ``job`` on ``gpus`` GPUs, or None when the scenario makes it free.
    ``written_bytes_s``, ``read_bytes_s``: the job's own paths to storage from the GPUs it
    saves on and into those it restarts on, which bound the write and the read."""
    costs = scenario.scheduler.switch_costs
    if not costs.enabled:
        return None
    rel = scenario.reliability
    size = checkpoint_bytes(job.config, max(gpus, 1))
    write = min(rel.storage.write_tbytes_s * TB, written_bytes_s)
    cap = job.config.checkpoint.storage_gbytes_s
    if cap is not None:
        write = min(write, cap * GB)
    restart = rel.restart_s if costs.restart_s is None else costs.restart_s
    read = min(rel.storage.read_tbytes_s * TB, read_bytes_s)
    return Switch(size / write, restart, size / read)


def remember(scenario: Scenario, job: Job, gpus: int, layout: RackLayout,
             written_bytes_s: float | None = None) -> None:
    """Price a switch the policy just made and keep it on the job until it is charged.

    The write and the read are bounded by the job's own path to storage on its grant now
    (``layout``: the cluster's), the write by ``written_bytes_s`` instead when it left from
    other GPUs (a resize: saved on the old grant, read into the new). A preempted job is read
    back into GPUs not yet known: its grant's path stands for them (the same size, if not the
    same racks, is the common case)."""
    path = storage_path(scenario, layout, job)
    switch = price(scenario, job, gpus, path if written_bytes_s is None else written_bytes_s,
                   path)
    if switch is not None:
        job.extra[SWITCH_KEY] = switch


def remember_power_loss(scenario: Scenario, job: Job, gpus: int, layout: RackLayout) -> None:
    """Price a preemption by the power fallback as a policy's: the job pays the same
    checkpoint-restart when it next starts (it used to pay nothing, so shedding it for power
    was cheaper than a policy's preemption). With the reliability model on, the checkpoint
    model charges it instead (the job lost power with no time to save: it rolls back to its
    last checkpoint in storage and pays detection, relaunch and the load,
    ``engine.checkpoints``), so it is not priced twice."""
    if not scenario.reliability.enabled:
        remember(scenario, job, gpus, layout)


def take(job: Job) -> Switch | None:
    """The switch the job owes, once (None if it owes nothing)."""
    return job.extra.pop(SWITCH_KEY, None)
