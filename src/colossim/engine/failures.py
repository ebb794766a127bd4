"""Failures, repairs, hot spares and maintenance: the reliability subsystem's event side.

One stream per component class (``failures.gpu``, ``failures.tray``, ...) fires over the whole
population; the victim is drawn uniformly and a draw on hardware already out of service is
dropped (thinning). GPUs have no identity inside a rack: a rack's GPU slots are laid out as its
holders' GPUs (by job index), then its free GPUs, then its failed ones, and the victim's slot
says whose GPU failed. A fault in a job's allocation interrupts the whole (synchronous) job: it
rolls back to its newest surviving checkpoint (a logged loss), the failed rack leaves its grant
(onto a hot spare if one is ready, else the job goes back to the queue and the policy decides),
and it pays detection, the relaunch (with a spare's swap alongside it) and the checkpoint load as
a RESTART pause.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import accumulate
from typing import TYPE_CHECKING

import numpy as np

from colossim.config.reliability import FailureProcess, MaintenanceWindow, ReliabilityConfig
from colossim.engine.checkpoints import Checkpoints, Point
from colossim.engine.spares import Spares
from colossim.errors import ConfigError, Problem
from colossim.model.cluster import swap_rack
from colossim.model.jobs import Job, JobState, Phase
from colossim.model.reliability import FailureStream

if TYPE_CHECKING:
    from colossim.engine.simulation import Simulation
    from colossim.engine.state import RunState

AVAILABLE = "gpus_available"  # level series: GPUs in service


class _Loss:
    """GPUs of one fault out of service until their repair; ``covered`` once a standby tray
    stood in for them (their repair then returns a standby)."""

    __slots__ = ("covered", "n")

    def __init__(self, n: int):
        self.n, self.covered = n, False


class Reliability:
    """Failure streams, repairs, spares and maintenance of one run."""

    def __init__(self, sim: Simulation, config: ReliabilityConfig):
        self.sim, self.config = sim, config
        self.state = state = sim.state
        self.ledger, self.layout = state.ledger, state.layout
        self.checkpoints = Checkpoints(sim, config)
        capacity = self.layout.capacity.tolist()
        self.capacity = capacity
        self.pod = self.layout.rack_pod.tolist()
        self.rack_type = self.layout.rack_type.tolist()
        self.total = sum(capacity)
        self.gpu_start = [0, *accumulate(capacity)]
        # a rack whose GPUs the tray size does not divide ends with a smaller tray (every GPU
        # sits in some tray); a tray size above the rack's makes the rack one tray
        tpr = [max(1, -(-c // config.gpus_per_tray)) for c in capacity]
        self.trays_per_rack = tpr
        self.tray_start = [0, *accumulate(tpr)]
        self.down = [0] * len(capacity)  # outstanding rack-level faults and maintenance
        self.pod_racks: list[list[int]] = [[] for _ in range(self.layout.pods)]
        for rack, pod in enumerate(self.pod):
            self.pod_racks[pod].append(rack)
        self.tray_spares = [config.spares.trays_per_rack] * len(capacity)
        # per rack, GPU losses no standby tray stood in for, oldest first: a standby back from
        # repair (or a rack back up) stands in for them (``_cover``)
        self.uncovered: list[list[_Loss]] = [[] for _ in capacity]
        self.out = 0  # GPUs out of service
        self.spares = Spares(state, config.spares.racks_per_pod)
        self._set_available()
        for name, process in config.processes().items():
            if process.enabled and config.rate_per_gpu_s(name) > 0:  # rate_scale 0: none
                self._start_stream(name, process)
        for window in config.maintenance:
            self._schedule_window(window)
        # First among the modifiers: its look may pause jobs (a restarted job starts its
        # restore), and the fabric and power must see those pauses in the same settle.
        state.modifiers.insert(0, self)

    def factors(self, state: RunState) -> dict[int, float]:
        """A rate modifier that never slows anyone: the engine asks it after every change, which
        is when restarted jobs must start their restore and computing jobs get armed."""
        self.checkpoints.watch()
        if self.spares.owed:  # a rack waiting for its last job to leave before it is a spare
            self.spares.settle_owed()
        return {}

    # -- set-up --------------------------------------------------------------------------
    def _start_stream(self, name: str, process: FailureProcess) -> None:
        rng = self.sim.rng(f"failures.{name}")
        stream = FailureStream(process, self.total, rng, self.sim.rng(f"repairs.{name}"),
                               self.config.rate_scale)
        handler = getattr(self, f"_{name}")

        def fire(u: float, repair_s: float) -> None:
            handler(u, repair_s)
            self._next(stream, fire)

        self._next(stream, fire)

    def _next(self, stream: FailureStream, fire) -> None:
        gap, u, repair_s = stream.next()
        self.sim.call_at(self.sim.env.now + gap, lambda: fire(u, repair_s))

    def _schedule_window(self, window: MaintenanceWindow) -> None:
        bad = [p for p in window.pods if not 0 <= p < self.layout.pods]
        if bad:
            raise ConfigError(Problem("scenario", None, "reliability.maintenance.pods",
                                      f"no pod {bad[0]} (the cluster has {self.layout.pods})"))
        racks = np.flatnonzero(np.isin(self.layout.rack_pod, window.pods)).tolist()
        self.sim.call_at(window.start_s, lambda: self._maintenance(racks, +1))
        self.sim.call_at(window.start_s + window.duration_s, lambda: self._maintenance(racks, -1))

    # -- bookkeeping ---------------------------------------------------------------------
    def _out_of(self, rack: int) -> int:
        return self.capacity[rack] if self.down[rack] else int(self.ledger.failed[rack])

    def _set_available(self) -> None:
        self.state.record.level(AVAILABLE).set(self.sim.env.now, float(self.total - self.out))

    def _set_down(self, rack: int, delta: int) -> None:
        before = self._out_of(rack)
        self.down[rack] += delta
        self.ledger.healthy[rack] = self.down[rack] == 0
        self.out += self._out_of(rack) - before
        if delta < 0:
            self._cover(rack)

    def _owners(self, rack: int, first: int, last: int) -> tuple[list[Job], int]:
        """Jobs owning slots ``first..last-1`` of ``rack``, and how many of them are in service."""
        owners, at = [], 0
        for job, n in self.spares.holders(rack):
            if at < last and first < at + n:
                owners.append(job)
            at += n
        in_service = self.capacity[rack] - int(self.ledger.failed[rack])
        return owners, max(0, min(last, in_service) - first)

    def _victim_gpu(self, u: float) -> tuple[int, int]:
        g = int(u * self.total)
        rack = bisect_right(self.gpu_start, g) - 1
        return rack, g - self.gpu_start[rack]

    def _repair_later(self, seconds: float, action) -> None:
        def repaired() -> None:
            action()
            self.spares.refill()
            self._set_available()
            if any(j.state is JobState.PENDING for j in self.state.jobs):
                self.sim.trigger("repair")

        self.sim.call_at(self.sim.env.now + seconds, repaired)

    def _fault(self, component: str, rack: int, gpus: int, repair_s: float, jobs) -> None:
        self.state.log("fault", None, component=component, rack=rack, pod=self.pod[rack],
                       gpus=gpus, until_s=self.sim.env.now + repair_s,
                       jobs=[j.name for j in jobs])

    # -- component classes: a uniform draw picks the victim ------------------------------
    # A rack (or its network) is the rack of a GPU drawn uniformly: chosen in proportion to its
    # GPUs, so a class's rate stays per GPU where racks differ in size (32-GPU A100 racks beside
    # NVL72s); a uniform pick over racks struck small racks more often per GPU. On racks of one
    # size it picks the rack it always did (floor(u x GPUs / 72) = floor(u x racks)).
    def _gpu(self, u: float, repair_s: float) -> None:
        rack, slot = self._victim_gpu(u)
        self._gpus_fail("gpu", rack, slot, slot + 1, repair_s)

    def _tray(self, u: float, repair_s: float) -> None:
        t = int(u * self.tray_start[-1])
        rack = bisect_right(self.tray_start, t) - 1
        self._tray_fail(rack, t - self.tray_start[rack], repair_s)

    def _rack(self, u: float, repair_s: float) -> None:
        self._rack_fail(self._victim_gpu(u)[0], repair_s)

    def _network(self, u: float, repair_s: float) -> None:
        self._network_fail(self._victim_gpu(u)[0], repair_s)

    def _software(self, u: float, _repair_s: float) -> None:
        self._software_fail(*self._victim_gpu(u))

    def _pod(self, u: float, repair_s: float) -> None:
        self._pod_fail(self.pod[self._victim_gpu(u)[0]], repair_s)

    def strike(self, component: str, rack: int, slot: int = 0, repair_s: float = 3600.0) -> None:
        """A fault of ``component`` on ``rack`` (GPU or tray ``slot``) now: for hand-built
        cases and for callers that script faults (``sim.call_at(t, lambda: rel.strike(...))``)."""
        if component == "gpu":
            self._gpus_fail("gpu", rack, slot, slot + 1, repair_s)
        elif component == "tray":
            self._tray_fail(rack, slot, repair_s)
        elif component == "rack":
            self._rack_fail(rack, repair_s)
        elif component == "network":
            self._network_fail(rack, repair_s)
        elif component == "software":
            self._software_fail(rack, slot)
        elif component == "pod":
            self._pod_fail(self.pod[rack], repair_s)
        else:
            raise ValueError(f"unknown component {component!r}")

    # -- what each fault does --------------------------------------------------------------
    def _tray_fail(self, rack: int, tray: int, repair_s: float) -> None:
        first = tray * self.config.gpus_per_tray
        last = min(first + self.config.gpus_per_tray, self.capacity[rack])
        self._gpus_fail("tray", rack, first, last, repair_s)

    def _gpus_fail(self, component: str, rack: int, first: int, last: int, repair_s: float):
        if self.down[rack]:
            return
        owners, n = self._owners(rack, first, last)
        if n <= 0:
            return  # the slots are already out of service
        self._fault(component, rack, n, repair_s, owners)
        hosts = (rack, first, last) if component == "tray" else None  # a GPU leaves its host
        if hosts is not None:
            self.checkpoints.hosts_down(*hosts, {job.index for job in owners})
        if self.tray_spares[rack] > 0:  # a standby tray stands in; the rack stays whole
            self.tray_spares[rack] -= 1
            for job in owners:
                self._interrupt(job, component, rack, swap_s=self.config.spares.tray_swap_s,
                                hosts=hosts)
            self._repair_later(repair_s, lambda: self._tray_back(rack))
            return
        into = None  # one fault, one spare: the jobs it strikes on the rack move together
        for job in owners:
            into = self._interrupt(job, component, rack, leave=True, hosts=hosts, into=into)
        self.ledger.fail_gpus(rack, n)
        self.out += n
        self.spares.refill()
        self._set_available()
        loss = _Loss(n)
        if self.config.spares.trays_per_rack:
            self.uncovered[rack].append(loss)
        self._repair_later(repair_s, lambda: self._loss_back(rack, loss))

    def _loss_back(self, rack: int, loss: _Loss) -> None:
        """GPUs lost without a standby are repaired: back in service, or, if a standby tray
        stood in for them meanwhile, back as the rack's standby."""
        if loss.covered:
            self._tray_back(rack)
            return
        if loss in self.uncovered[rack]:
            self.uncovered[rack].remove(loss)
        self._gpus_back(rack, loss.n)

    def _tray_back(self, rack: int) -> None:
        self.tray_spares[rack] += 1
        self._cover(rack)

    def _cover(self, rack: int) -> None:
        """Free standby trays stand in for trays still failed on a rack that is up: a standby
        back from repair went back on the shelf while a later fault's tray waited for its own
        repair, and the rack (and its job) with it (QA: 16,000 s in a hand case)."""
        waiting = self.uncovered[rack]
        while waiting and self.tray_spares[rack] > 0 and not self.down[rack]:
            loss = waiting.pop(0)
            loss.covered = True
            self.tray_spares[rack] -= 1
            self._gpus_back(rack, loss.n)

    def _gpus_back(self, rack: int, n: int) -> None:
        before = self._out_of(rack)
        self.ledger.repair_gpus(rack, n)
        self.out += self._out_of(rack) - before

    def _rack_fail(self, rack: int, repair_s: float) -> None:
        if self.down[rack]:
            return
        holders = [job for job, _ in self.spares.holders(rack)]
        self._fault("rack", rack, self.capacity[rack] - int(self.ledger.failed[rack]),
                    repair_s, holders)
        self._set_down(rack, +1)
        self.checkpoints.hosts_down(rack, 0, self.capacity[rack], {job.index for job in holders})
        into = None  # one fault, one spare: the rack's jobs move to the same one
        for job in holders:
            into = self._interrupt(job, "rack", rack, leave=True,
                                   hosts=(rack, 0, self.capacity[rack]), into=into)
        self.spares.refill()
        self._set_available()
        self._repair_later(repair_s, lambda: self._set_down(rack, -1))

    def _pod_fail(self, pod: int, repair_s: float) -> None:
        """Every rack of the pod goes down, spares too, with one repair: the pod's host memory
        (in-memory copies) goes with it, and its jobs roll back and go back to the queue (no
        spare stands in for a whole pod). A draw on a pod with every rack down (a pod fault,
        maintenance, rack faults) is dropped (thinning), as every class drops a draw on hardware
        out of service (review: it was counted, with no GPU taken)."""
        racks = self.pod_racks[pod]
        if all(self.down[rack] for rack in racks):
            return
        struck: dict[int, tuple[Job, int]] = {}  # each job once, with its first rack here
        gpus = 0
        for rack in racks:
            gpus += self.capacity[rack] - self._out_of(rack)
            for job, _ in self.spares.holders(rack):
                struck.setdefault(job.index, (job, rack))
        self._fault("pod", racks[0], gpus, repair_s, [job for job, _ in struck.values()])
        for rack in racks:
            self._set_down(rack, +1)
        # as under a maintenance window, no spare trades places with the pod's racks: the
        # outage ends, and spares traded for a whole pod stayed bunched there (``refill``)
        self.spares.maintain(racks, +1)
        cks, holders = self.checkpoints, set(struck)
        for rack in racks:  # copies of jobs elsewhere (they moved after a fault), then the
            cks.hosts_down(rack, 0, self.capacity[rack], holders)  # struck jobs' own
        cks.copies_lost(holders, racks)
        for job, rack in struck.values():
            self._interrupt(job, "pod", rack, move=True)
        self.spares.refill()
        self._set_available()

        def back() -> None:
            for rack in racks:
                self._set_down(rack, -1)
            self.spares.maintain(racks, -1)

        self._repair_later(repair_s, back)

    def _network_fail(self, rack: int, repair_s: float) -> None:
        if self.down[rack]:
            return
        holders = [job for job, _ in self.spares.holders(rack)]
        self._fault("network", rack, 0, repair_s, holders)
        for job in holders:
            self._interrupt(job, "network", rack)

    def _software_fail(self, rack: int, slot: int) -> None:
        if self.down[rack]:
            return
        owners, _ = self._owners(rack, slot, slot + 1)
        if not owners:
            return  # a fault on an idle GPU is no fault: the rate counts busy GPUs
        self._fault("software", rack, 0, 0.0, owners)
        for job in owners:
            self._interrupt(job, "software", rack)

    def _maintenance(self, racks: list[int], delta: int) -> None:
        jobs: dict[int, Job] = {}
        for rack in racks:
            for job, _ in self.spares.holders(rack):
                jobs[job.index] = job
            self._set_down(rack, delta)
        self.spares.maintain(racks, delta)
        self.state.log("maintenance", None, racks=len(racks), start=delta > 0)
        for job in jobs.values():
            self._drain(job)
        self.spares.refill()
        self._set_available()
        self.sim.trigger("maintenance" if delta > 0 else "repair")

    # -- job impact ----------------------------------------------------------------------
    def evict(self, job: Job, component: str, rack: int, notify: bool = True) -> None:
        """Interrupt ``job`` as a fault on ``rack`` does and send it back to the queue, spare or
        not: it cannot run where it is (its racks' fabric is cut: ``engine.fabric_cut``).
        ``notify=False``: the policy is not told (it put the job there at this instant)."""
        self._interrupt(job, component, rack, move=True, notify=notify)

    def _interrupt(self, job: Job, component: str, rack: int, *, swap_s: float = 0.0,
                   leave: bool = False, hosts: tuple[int, int, int] | None = None,
                   move: bool = False, notify: bool = True, into: int | None = None
                   ) -> int | None:
        """Roll the job back to its newest surviving checkpoint and restart it. ``hosts``:
        the host memory the fault took (rack, first slot, last slot), for in-memory copies.
        ``move``: it must leave all its racks (no spare stands in). ``into``: the spare another
        job struck by the same fault moved to, which this one joins if it fits there. Returns
        the spare the job moved to, if any (else ``into``). ``swap_s``: a standby tray's swap.

        A spare's swap runs alongside the relaunch (``restart_s``), which a job restarted on
        other free racks pays too: a hot spare is powered and cabled, and moving a job onto it
        is part of that relaunch. Adding the two made a spare cost a fault ``rack_swap_s`` more
        than no spare on any cluster with free racks (the built-in scenario: 2.6 days, QA), so
        a swap costs only what it takes beyond the relaunch."""
        state, cks = self.state, self.checkpoints
        ck = cks.jobs[job.index]
        cks.cancel(ck)
        point = cks.restore_point(ck, hosts)
        lost = cks.roll_back(ck, point)
        load = cks.load_s(ck, point)
        spare = self._spare_for(job, rack, into) if leave and not move else None
        stopped = (leave or move) and spare is None
        state.log("failure", job, component=component, rack=rack, pod=self.pod[rack],
                  lost_flops=lost, snapshot_s=point.snapshot_s, restore=point.tier,
                  stopped=stopped, gpus=0 if stopped else job.gpus)
        if stopped:
            state.stop(job, JobState.PENDING)
            cks.stopped(ck, state.now_s, load)
            if notify:
                self.sim.trigger("failure", job.name)
            return into
        if spare is not None:
            self.spares.swap_in(job, rack, spare)
            swap_s = self.config.spares.rack_swap_s
        ck.fault_s = state.now_s  # a drain during this restart still owes the detection left
        cks.pause_to_restart(ck, self.config.detection_s + max(swap_s, self.config.restart_s),
                             load, point.tier == "memory")
        return into if spare is None else spare

    def _spare_for(self, job: Job, rack: int, into: int | None = None) -> int | None:
        """A ready spare to stand in for ``rack`` in the job's grant, unless the grant with it
        would cross a cut fabric tier: the fabric would take the job off at once, and one fault
        counted as two interruptions. Without one the job goes back to the queue, and the
        policy's placers keep it off the cut.

        ``into``: the spare that an earlier job struck by the same fault moved to. GPU-grain
        jobs sharing the failed rack join it while it has room: each took a spare of its own,
        and as only the failed rack became a spare, the pool lost one for good per extra job
        (QA: 2 spares became 1 after one rack fault under two 8-GPU jobs)."""
        from colossim.engine.fabric_cut import refuse_cut  # fabric_cut imports this module

        shared = into if into is not None and self._room(job, rack, into) else None
        for spare in (shared, self.spares.spare_for(rack)):  # the shared one, else a fresh one
            if spare is None:
                continue
            grant = swap_rack(job.grant, rack, spare)
            if grant is None or refuse_cut(self.state, job, grant) is None:
                return spare
        return None

    def _room(self, job: Job, rack: int, spare: int) -> bool:
        """Can ``spare`` take the job's GPUs on ``rack``?"""
        grant = job.grant
        held = grant[bisect_left(grant, (rack, 0))][1]
        return int(self.ledger.free[spare]) >= held

    def _drain(self, job: Job) -> None:
        """A planned stop: the job writes a checkpoint to storage on its way out and loses
        nothing. As for a policy's preemption (``engine.switch_costs``) the write is charged
        when it next starts, with the relaunch and the load, so its GPUs are free at once. A job
        with no work beyond its checkpoint in storage (drained while it restarts from it after
        a fault) writes nothing: it restarts from that checkpoint (QA: it paid a write that
        saved nothing, a drain making recovery slower than no maintenance)."""
        state, cks = self.state, self.checkpoints
        ck = cks.jobs[job.index]
        # drained while restarting after a fault: it still pays the detection not yet passed
        # when it starts again (a drain made recovery faster than no maintenance at all)
        fault_s = ck.fault_s if job.phase is Phase.RESTART else None
        cks.cancel(ck)
        job.advance(state.now_s)
        save_s = 0.0
        if job.work_done > ck.storage.work:
            save_s = cks.storage_write_s(ck)
            ck.storage = Point(job.work_done, state.now_s, "storage")
        ck.memory = None
        state.log("failure", job, component="maintenance", planned=True, lost_flops=0.0,
                  snapshot_s=ck.storage.snapshot_s, restore=ck.storage.tier, stopped=True,
                  gpus=0, save_s=save_s)
        state.stop(job, JobState.PENDING)
        cks.stopped(ck, fault_s, save_s + cks.load_s(ck, ck.storage))

def reliability_of(state: RunState) -> Reliability | None:
    """The run's reliability subsystem (one of the state's rate modifiers), if installed."""
    return next((m for m in state.modifiers if isinstance(m, Reliability)), None)


def install(sim: Simulation) -> Reliability | None:
    """Turn the scenario's reliability block on (nothing happens when it is disabled)."""
    config = sim.scenario.reliability
    if not config.enabled:
        return None
    return Reliability(sim, config)
