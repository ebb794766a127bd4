"""Elastic goodput: give GPUs where the performance model says they add the most (Pollux/Sia).

Qiao et al., "Pollux: Co-adaptive Cluster Scheduling for Goodput-Optimized Deep Learning",
OSDI'21; Jayaram Subramanya et al., "Sia: Heterogeneity-aware, goodput-optimized ML-cluster
scheduling", SOSP'23. Elastic jobs (``min_gpus`` < ``max_gpus``) are resized so that the power
mean of the jobs' speedups is as high as possible, where a job's speedup is its rate on an
allocation over its rate on its minimum (Sia normalises the same way). ``fairness_p`` is the
power-mean exponent: 1 maximises total speedup, 0 the geometric mean, negative values favour the
slowest jobs (Pollux's fitness function).

Each plan: running jobs keep their GPU type and at least their minimum; pending jobs are admitted
in submission order at their minimum on the type where a GPU does most for them; then GPUs are
handed out a step at a time (a whole allocation unit, or a 64th of the job's elastic range if
larger) to the job whose marginal gain in the objective is largest, from ``view.estimate_rate``.
That greedy is optimal when speedups are concave in GPUs. With the stand-in linear speed model
every GPU adds the same to a job, so growth goes to the jobs with the smallest minimums first;
the performance model makes the curve concave and the trade-off real.

Resizing costs a checkpoint-restart, which the engine charges (``engine.switch_costs``): a running
job is grown only if that saves more than ``restart_s`` of its remaining time (by default the
engine's 120 s relaunch; add the job's checkpoint write and read for large models).
Jobs shrink when the plan needs their GPUs for others. A job is grown only onto racks that,
with those it holds, cross no fabric cut (the placer's ``held``), so a job on a pod whose
uplinks are cut grows inside that pod or not at all.

A job whose minimum no single GPU type can hold is planned on any mix of types (type ``ANY``) at
as much of its maximum as the room left allows, in its turn in submission order; it is not grown
or shrunk afterwards (the goodput curve of a mixed allocation is the slowest type's), and keeps its
GPUs until it finishes.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence

import numpy as np
from pydantic import Field

from colossim.model.cluster import allocation_unit
from colossim.policy.actions import Action, Grant, Resize, Start
from colossim.policy.builtin._estimates import INF
from colossim.policy.placement import claim, free_gpus, release
from colossim.policy.staged import PlacementParams, StagedPolicy, Wakes
from colossim.policy.view import ClusterView, JobView

STEPS = 64  # at most this many growth steps per job and plan
ANY = -1  # the plan's "type" for a job that spans GPU types


class GoodputParams(PlacementParams):
    fairness_p: float = Field(-1.0, le=1.0, description="Power-mean exponent of the speedups")
    restart_s: float = Field(
        120.0, ge=0, description="What the policy assumes a resize costs, s (the engine's "
        "default relaunch time)")
    round_s: float | None = Field(
        None, gt=0, description="Also re-plan every round_s while jobs wait (None: on events)"
    )


class ElasticGoodput(StagedPolicy):
    name = "elastic-goodput"
    Params = GoodputParams

    def __init__(self, params=None):
        super().__init__(params)
        self.wakes = Wakes()
        self._rates: dict[tuple[str, int, int], float] = {}

    def rate(self, view: ClusterView, job: JobView, k: int, gpus: int) -> float:
        key = (job.name, k, gpus)
        if key not in self._rates:
            self._rates[key] = view.estimate_rate(job, {view.racks.gpu_types[k]: gpus})
        return self._rates[key]

    def utility(self, speedup: float) -> float:
        """Increasing in speedup; summing it maximises the power mean with exponent p."""
        p = self.params.fairness_p
        if speedup <= 0:
            return -INF
        return math.log(speedup) if p == 0 else speedup**p / p

    def unit(self, view: ClusterView, job: JobView, k: int) -> int:
        return allocation_unit(job.config, int(view.racks.gpus_per_domain[k]))

    def floor_gpus(self, view: ClusterView, job: JobView, k: int) -> int:
        unit = self.unit(view, job, k)
        return -(-job.min_gpus // unit) * unit

    def _type_of(self, view: ClusterView, job: JobView) -> int:
        types = {int(view.racks.rack_type[rack]) for rack, _n in job.grant}
        return types.pop() if len(types) == 1 else ANY

    def _spanning(self, view: ClusterView, job: JobView,
                  room: np.ndarray) -> tuple[int, int] | None:
        """(ANY, GPUs) for a job no single type can hold, if the room left across types can."""
        unit = max(self.unit(view, job, k) for k in range(len(room)))
        floor = -(-job.min_gpus // unit) * unit
        left = int(room.sum()) // unit * unit
        if floor > left:
            return None
        gpus = min(job.max_gpus // unit * unit, left)
        need = gpus
        names = view.racks.gpu_types  # book it where most room is; ties by type name
        for k in sorted(range(len(room)), key=lambda k: (-room[k], names[k])):
            take = min(int(room[k]), need)
            room[k] -= take
            need -= take
        return ANY, gpus

    # -- the plan --------------------------------------------------------------------------
    def plan(self, view: ClusterView) -> dict[str, tuple[int, int]]:
        """job -> (GPU type index, GPUs) for every job that should run."""
        racks = view.racks
        room = np.bincount(racks.rack_type, weights=np.where(racks.usable, racks.capacity, 0),
                           minlength=len(racks.gpu_types))
        plan: dict[str, tuple[int, int]] = {}
        for job in view.running:
            k = self._type_of(view, job)
            if k == ANY:
                plan[job.name] = (ANY, job.gpus)
                for rack, n in job.grant:
                    room[int(racks.rack_type[rack])] -= n
                continue
            plan[job.name] = (k, min(job.gpus, self.floor_gpus(view, job, k)))
            room[k] -= plan[job.name][1]
        total = room.copy()  # what each type holds, less what spanning jobs keep
        for job in sorted(view.pending, key=lambda j: (j.submit_s, j.index)):
            # ties go by type name, never by the order the scenario lists its rack groups
            options = [(-self.rate(view, job, k, self.floor_gpus(view, job, k)), -room[k],
                        racks.gpu_types[k], k)
                       for k in range(len(racks.gpu_types))
                       if self.floor_gpus(view, job, k) <= min(room[k], job.max_gpus)]
            if options:
                k = min(options)[3]
                plan[job.name] = (k, self.floor_gpus(view, job, k))
                room[k] -= plan[job.name][1]
            elif all(self.floor_gpus(view, job, k) > total[k] for k in range(len(total))):
                spanning = self._spanning(view, job, room)
                if spanning is not None:
                    plan[job.name] = spanning
        return self._grow(view, plan, room)

    def _grow(self, view: ClusterView, plan: dict[str, tuple[int, int]],
              room: np.ndarray) -> dict[str, tuple[int, int]]:
        jobs = {j.name: j for j in view.jobs}
        heap: list[tuple[float, int, str, int]] = []

        def push(name: str) -> None:
            job, (k, gpus) = jobs[name], plan[name]
            if k == ANY:
                return  # a spanning job runs at the size it was admitted with
            unit = self.unit(view, job, k)
            span = job.max_gpus - self.floor_gpus(view, job, k)
            step = max(unit, (span // STEPS) // unit * unit)
            more = min(step, (job.max_gpus - gpus) // unit * unit)
            if more <= 0:
                return
            base = self.rate(view, job, k, self.floor_gpus(view, job, k))
            now = self.utility(self.rate(view, job, k, gpus) / base)
            then = self.utility(self.rate(view, job, k, gpus + more) / base)
            # ties in submission order, not the list's (QA: the order of the jobs list moved a
            # job's end by 4 hours)
            heapq.heappush(heap, (-(then - now) / more, job.submit_s, job.index, name, more))

        for name in plan:
            push(name)
        while heap:
            _gain, _submit, _index, name, more = heapq.heappop(heap)
            k, gpus = plan[name]
            if room[k] >= more:
                plan[name] = (k, gpus + more)
                room[k] -= more
                push(name)
        return plan

    # -- actions ---------------------------------------------------------------------------
    def _shrunk(self, job: JobView, gpus: int, unit: int) -> Grant:
        """The job's grant minus GPUs, taken first from the racks where it holds least."""
        cut = job.gpus - gpus
        grant = dict(job.grant)
        for rack, n in sorted(job.grant, key=lambda rn: (rn[1], -rn[0])):
            take = min(n, cut) // unit * unit
            grant[rack] = n - take
            cut -= take
            if cut <= 0:
                break
        return tuple(sorted((r, n) for r, n in grant.items() if n > 0))

    def _worth_growing(self, view: ClusterView, job: JobView, k: int, gpus: int) -> bool:
        if job.rate <= 0:
            return False
        saved = job.remaining_work / job.rate - job.remaining_work / self.rate(view, job, k, gpus)
        return saved > self.params.restart_s

    def decide(self, view: ClusterView) -> Sequence[Action]:
        plan = self.plan(view)
        free = view.racks.free.copy()
        shrinks: list[Action] = []
        for job in view.running:
            k, gpus = plan[job.name]
            if gpus < job.gpus:
                grant = self._shrunk(job, gpus, self.unit(view, job, k))
                release(free, job.grant)
                claim(free, grant)
                shrinks.append(Resize(job.name, grant))
        starts: list[Action] = []
        power = self.start_power(view)
        for job in sorted(view.pending, key=lambda j: (j.submit_s, j.index)):
            if job.name not in plan or free_gpus(view.racks, free) < job.min_gpus:
                continue
            k, gpus = plan[job.name]
            if k == ANY:
                grant = self.place(job, free, view, gpus, min_gpus=job.min_gpus)
            else:
                grant = self.place(job, free, view, gpus, only_type=k)
            grant = self.powered(power, job, grant, free, view)
            if grant is not None:
                claim(free, grant)
                starts.append(Start(job.name, grant))
        grows: list[Action] = []
        for job in view.running:
            k, gpus = plan[job.name]
            if gpus <= job.gpus or not self._worth_growing(view, job, k, gpus):
                continue
            unit = self.unit(view, job, k)
            extra = self.place(job, free, view, gpus - job.gpus, min_gpus=unit, only_type=k,
                               held=job.grant)  # never across a cut with its racks
            if extra is None:
                continue
            claim(free, extra)
            merged: dict[int, int] = dict(job.grant)
            for rack, n in extra:
                merged[rack] = merged.get(rack, 0) + n
            grows.append(Resize(job.name, tuple(sorted(merged.items()))))
        actions = [*shrinks, *starts, *grows]
        if self.params.round_s and len(starts) < len(view.pending):
            actions += self.wakes.at(view.now_s, view.now_s + self.params.round_s)
        return actions


POLICY = ElasticGoodput
