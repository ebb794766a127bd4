"""Heterogeneity-aware max-min fairness (Gavel, OSDI'20), solved as an LP, run in rounds.

Narayanan et al., "Heterogeneity-Aware Cluster Scheduling Policies for Deep Learning Workloads",
OSDI'20. The LP (``_maxmin_lp``, scipy's HiGHS) gives each job the fraction of time ``X[j, k]`` it
should spend on each GPU type so that the worst normalised throughput is as high as possible; a
job that speeds up more on a faster type gets more of it. The LP is re-solved when the set of jobs
changes.

Turning fractions into integral allocations follows Gavel's round-based mechanism: at every round,
(job, type) pairs are served in order of priority ``X[j, k]`` / (fraction of its time so far the
job spent on type k) — jobs that received less than their share come first — each job on one type
with its ``scale`` GPUs (its maximum by default, or as much of it as the type holds), placed on
whole racks or domains by the placer, until the type is full. Running jobs that keep their type
keep their GPUs; the others are preempted. Allocations change only at rounds, arrivals and
completions. Rounds go on while anyone waits or any share splits a job's time; they last
``round_s``, by default 1/20 of the median job's time at its maximum GPUs, from Gavel's 6 minutes
up to a day (frontier jobs of weeks are not swapped every 6 minutes). The policy remembers time
received per job and type, so one instance serves one run.

A job too big for any one GPU type has no place in Gavel's LP; such jobs run, in submission
order, on whatever GPUs are left after the LP's jobs are placed (any mix of types), and keep
them until they finish: a job spanning types is never swapped out by a round. Every swap costs
the job a checkpoint-restart in the engine (``engine.switch_costs``, docs/policies.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import Field

from colossim.policy.actions import Action, Preempt, Start, WakeAt
from colossim.policy.builtin._estimates import INF, Rates
from colossim.policy.builtin._maxmin_lp import max_min_allocation
from colossim.policy.placement import claim, free_gpus, release
from colossim.policy.staged import PlacementParams, StagedPolicy
from colossim.policy.view import ClusterView, JobView

EPS = 1e-9
MIN_ROUND_S = 360.0  # Gavel's 6-minute rounds
MAX_ROUND_S = 86400.0


class MaxMinParams(PlacementParams):
    round_s: float | None = Field(
        None, gt=0, description="Round length, s (default: 1/20 of the median job's time at "
        "its max GPUs, from 6 minutes, Gavel's round, to a day)",
    )
    scale: Literal["max", "min"] = Field("max", description="GPUs a job runs on: its max or min")
    weights: Literal["equal", "priority"] = Field(
        "equal", description="equal, or weight 1 + priority (a higher weight needs more)"
    )


class MaxMinFair(StagedPolicy):
    name = "max-min-fair"
    Params = MaxMinParams

    def __init__(self, params=None):
        super().__init__(params)
        self._key: tuple[str, ...] = ()
        self.allocation: dict[str, np.ndarray] = {}  # job -> X row (by GPU type index)
        self._received: dict[str, np.ndarray] = {}  # job -> seconds on each GPU type
        self._last_s: float | None = None
        self._round_at = -INF  # when the next round is due
        self._scale: dict[str, np.ndarray] = {}  # job -> GPUs it runs on, by GPU type
        self.rates = Rates()

    # -- the LP ----------------------------------------------------------------------------
    def scale_of(self, job: JobView, capacity: float) -> int:
        """GPUs the job runs on on a type of ``capacity`` GPUs; above ``capacity`` if none fit."""
        want = job.max_gpus if self.params.scale == "max" else job.min_gpus
        fitting = min(want, int(capacity))
        return fitting if fitting >= job.min_gpus else want

    def scales(self, view: ClusterView, capacity: np.ndarray) -> np.ndarray:
        return np.array([[self.scale_of(j, c) for c in capacity] for j in view.jobs], dtype=float)

    def capacity(self, view: ClusterView) -> np.ndarray:
        racks = view.racks
        usable = np.where(racks.usable, racks.capacity, 0)
        return np.bincount(racks.rack_type, weights=usable, minlength=len(racks.gpu_types))

    def solve(self, view: ClusterView) -> None:
        jobs = view.jobs
        types = view.racks.gpu_types
        capacity = self.capacity(view)
        scale = self.scales(view, capacity)
        thr = np.array([[view.estimate_rate(j, {t: int(scale[i, k])})
                         for k, t in enumerate(types)] for i, j in enumerate(jobs)])
        thr = thr / max(float(thr.max()), EPS)  # FLOP/s are ~1e18: keep the LP well scaled
        weights = np.array([1.0 + max(j.priority, 0) if self.params.weights == "priority"
                            else 1.0 for j in jobs])
        weights /= weights.max()  # the same shares for any scale; a priority of 1e15 had put
        # coefficients in the LP that HiGHS refuses ("Model error")
        # the LP in type-name order: an LP with several optimal answers returns one by column
        # order, which must not be the order the scenario lists its rack groups
        order = np.array(sorted(range(len(types)), key=lambda k: types[k]), dtype=int)
        by_name, _t = max_min_allocation(thr[:, order], scale[:, order], capacity[order],
                                         weights)
        x = np.empty_like(by_name)
        x[:, order] = by_name
        fits_a_type = (scale <= capacity[None, :]).any(axis=1)  # else it spans types: no LP
        self.allocation = {j.name: x[i] for i, j in enumerate(jobs) if fits_a_type[i]}
        self._scale = {j.name: scale[i] for i, j in enumerate(jobs)}

    # -- rounds ----------------------------------------------------------------------------
    def _account(self, view: ClusterView) -> None:
        """Add the time since the last call to the type each running job ran on."""
        n_types = len(view.racks.gpu_types)
        dt = 0.0 if self._last_s is None else view.now_s - self._last_s
        self._last_s = view.now_s
        alive = {j.name for j in view.jobs}
        self._received = {n: r for n, r in self._received.items() if n in alive}
        for job in view.running:
            got = self._received.setdefault(job.name, np.zeros(n_types))
            got[self._type_of(view, job)] += dt

    def _type_of(self, view: ClusterView, job: JobView) -> int:
        return int(view.racks.rack_type[job.grant[0][0]]) if job.grant else -1

    def priorities(self, view: ClusterView) -> list[tuple[float, float, int, int, JobView]]:
        """(priority, X, job index, type, job), highest priority first."""
        pairs = []
        for job in view.jobs:
            x = self.allocation.get(job.name)
            if x is None:
                continue
            age = max(view.now_s - job.submit_s, EPS)
            got = self._received.get(job.name)
            for k, share in enumerate(x):
                if share <= EPS:
                    continue
                fraction = 0.0 if got is None else got[k] / age
                # a fraction so small the ratio overflows is INF, as none would be
                prio = float(share) / fraction if fraction > share / 1e300 else INF
                pairs.append((prio, share, job.index, k, job))
        names = view.racks.gpu_types
        pairs.sort(key=lambda p: (-p[0], -p[1], p[2], names[p[3]]))
        return pairs

    def _time_shared(self) -> bool:
        """Does any job's share split its time (between types, or with others)?"""
        return any(((x > EPS) & (x < 1 - EPS)).any() for x in self.allocation.values())

    def round_length(self, view: ClusterView) -> float:
        if self.params.round_s is not None:
            return self.params.round_s
        times = [self.rates.remaining_s(view, j, j.max_gpus) for j in view.jobs]
        return min(max(float(np.median(times)) / 20.0, MIN_ROUND_S), MAX_ROUND_S)

    def decide(self, view: ClusterView) -> Sequence[Action]:
        self._account(view)
        if not view.jobs:
            return []
        key = tuple(j.name for j in view.jobs)
        changed = key != self._key
        due = view.now_s >= self._round_at
        if not (changed or due):
            return []  # allocations change at rounds, arrivals and completions only
        if changed:
            self.solve(view)
            self._key = key
        room = self.capacity(view)
        spanning = [j for j in view.jobs if j.name not in self.allocation]
        for job in spanning:
            if job.running:  # keeps its GPUs: take them out of each type's room
                for rack, n in job.grant:
                    room[int(view.racks.rack_type[rack])] -= n
        ranked = self.priorities(view)
        chosen: dict[str, int] = {}
        for _prio, _share, _index, k, job in ranked:
            same = job.running and self._type_of(view, job) == k
            gpus = job.gpus if same else int(self._scale[job.name][k])
            if job.name not in chosen and room[k] >= gpus:
                chosen[job.name] = k
                room[k] -= gpus
        free = view.racks.free.copy()
        actions: list[Action] = []
        stopped: set[str] = set()
        for job in view.running:
            if job.name in self.allocation and chosen.get(job.name) != self._type_of(view, job):
                release(free, job.grant)
                stopped.add(job.name)
                actions.append(Preempt(job.name))
        started: set[str] = set()
        power = self.start_power(view)
        for _prio, _share, _index, k, job in ranked:
            if job.name in started or chosen.get(job.name) != k:
                continue
            if job.running and job.name not in stopped:
                continue  # keeps its GPUs
            grant = None
            if free_gpus(view.racks, free) >= job.min_gpus:
                grant = self.place(job, free, view, int(self._scale[job.name][k]), only_type=k)
                grant = self.powered(power, job, grant, free, view)
            if grant is not None:
                claim(free, grant)
                started.add(job.name)
                actions.append(Start(job.name, grant))
        for job in sorted(spanning, key=lambda j: (j.submit_s, j.index)):
            if job.pending and free_gpus(view.racks, free) >= job.min_gpus:
                grant = self.powered(power, job, self.place(
                    job, free, view, job.max_gpus, min_gpus=job.min_gpus), free, view)
                if grant is not None:
                    claim(free, grant)
                    started.add(job.name)
                    actions.append(Start(job.name, grant))
        waiting = stopped - started or any(j.name not in started for j in view.pending)
        # a round re-shares the GPUs between jobs that run: with none running it changes
        # nothing (a job no placement could hold woke it every round to the horizon)
        runs = started or any(j.name not in stopped for j in view.running)
        if (waiting or self._time_shared()) and runs and self._round_at <= view.now_s:
            self._round_at = view.now_s + self.round_length(view)
            actions.append(WakeAt(self._round_at))
        return actions

POLICY = MaxMinFair
