"""Power-aware: watts and GPUs go to the jobs that do the most useful work per joule.

The facility budget (``PowerView.carry_mw``: the supply now or, in a dip, what generation and
the battery can keep up, if more; less ``headroom_mw``) is turned into IT watts above an idle
facility. Every job gets a power level:
not started, or a clock between the lowest one a cap can force and full clock (``levels``
steps). Running jobs keep their GPUs and are owed at least
their lowest clock. The rest of the budget is handed out greedily, one increment at a time, to
the increment with the most FLOP/s per extra watt: starting a pending job at its lowest clock
(on GPUs the placer finds), or raising a job one clock step. Because speed grows more slowly
than power (DVFS: power ~ f^3 near the top), increments get less efficient as a job's clock
rises, so the greedy order is water-filling: the budget ends where every job's next watt would
buy about the same work. The last increment that does not fit is taken in part (a cap in
between). A start that does not fit at ``max_gpus`` (the budget, or the engine's admission test:
``policy.power_room``) is placed again on its GPU type for as many GPUs as fit, down to
``min_gpus``; one that does not fit even so waits. Caps go out as ``SetPowerCap``.

Without a power model in the view it starts jobs in submission order, like ``fifo``.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import Field

from colossim.model.power import PowerModel, paced_step, speed_factor
from colossim.policy.actions import Action, Grant, Preempt, SetPowerCap, Start
from colossim.policy.api import BasePolicy
from colossim.policy.placement import (
    PLACERS,
    claim,
    fitting_place,
    grant_types,
    type_speeds,
)
from colossim.policy.power_room import NO_ROOM, PowerRoom
from colossim.policy.staged import PlacementParams
from colossim.policy.view import ClusterView, JobView

CAP_RTOL = 1e-6  # caps closer than this to the current one are left alone


class PowerAwareParams(PlacementParams):
    levels: int = Field(8, ge=1, description="Clock steps between the lowest clock and full")
    headroom_mw: float = Field(0.0, ge=0, description="Facility MW kept out of the budget")
    battery: bool = Field(
        True, description="Count the battery in the budget for what it can keep up (it rides a "
        "dip until it runs dry, when the engine calls the policy again; while generation "
        "ramps, only what it can keep up until the ramp is done); false: supply only"
    )
    preempt: bool = Field(
        False, description="Preempt the least efficient running jobs when even their lowest "
        "clocks exceed the budget (otherwise the engine's fallback handles it)"
    )
    max_queue: int = Field(64, ge=1, description="Pending jobs considered per decision")


@dataclass
class Plan:
    """One job's power level while the budget is handed out."""

    job: JobView
    by_type: dict[str, int]
    # the job's levels, lowest first: clocks on one GPU type; on several, caps (W per GPU),
    # which is what a SetPowerCap sets: one cap gives each type its own clock (``_clocks``)
    levels: list[float]
    level: int = -1  # -1: not started
    grant: Grant | None = None
    partial: float | None = None  # a level's value between two levels (the last, partial step)
    rates: list[float] = field(default_factory=list)
    watts: list[float] = field(default_factory=list)
    share: float = 1.0  # of its GPUs, those its plan computes on (``JobView.plan_share``)
    paces: dict[str, float] | None = None  # on several GPU types, each one's (``PowerModel``);
    # None on one type
    comm: float = 0.0  # the share of its step the clock does not speed up (``_plan``)


def _spaced(low: float, top: float, n: int) -> list[float]:
    """``n + 1`` levels from ``low`` to ``top`` evenly (one if they meet)."""
    return [low + (top - low) * k / n for k in range(n + 1)] if top > low else [top]


class PowerAware(BasePolicy):
    name = "power-aware"
    Params = PowerAwareParams

    def decide(self, view: ClusterView) -> Sequence[Action]:
        model = view.power.model
        if model is None:
            return self._fifo(view)
        p = self.params
        carry = view.power.carry_mw if p.battery else view.power.supply_mw
        budget_mw = carry - p.headroom_mw - model.config.pue_fixed_mw
        left = budget_mw * 1e6 / model.config.pue - model.idle_it_w
        slack = 1e-9 * max(abs(budget_mw) * 1e6, 1.0)  # W: a job drawing exactly the budget fits
        free = view.racks.free.copy()
        running = [self._plan(j, grant_types(view.racks, j.grant), model, view)
                   for j in view.running]
        actions: list[Action] = []
        for plan in running:
            plan.level = 0
            left -= plan.watts[0]
        if left < 0 and p.preempt:
            for plan in sorted(running, key=lambda q: (q.rates[0] / max(q.watts[0], 1e-9),
                                                       q.job.priority, -q.job.submit_s,
                                                       -q.job.index)):
                if left >= 0:
                    break
                left += plan.watts[0]
                plan.level = -1
                actions.append(Preempt(plan.job.name))
            running = [q for q in running if q.level == 0]
        room = PowerRoom.of(view.power) or NO_ROOM  # the engine's own test of a start
        heap: list[tuple[float, int, float, int, int]] = []
        plans: dict[int, Plan] = {q.job.index: q for q in running}
        for q in running:
            self._push(heap, q)
        for job in view.pending[: p.max_queue]:
            grant = self._place(view, free, job)
            if grant is not None:
                plan = self._plan(job, grant_types(view.racks, grant), model, view)
                plans[job.index] = plan
                self._push(heap, plan)
        while heap and left > -slack:
            _eff, _prio, _submit, index, level = heapq.heappop(heap)
            plan = plans[index]
            if level != plan.level + 1:
                continue
            if plan.level < 0:  # a start: place it for real now
                grant = self._place(view, free, plan.job)
                if grant is None:
                    continue
                if grant_types(view.racks, grant) != plan.by_type:
                    plan = plans[index] = self._plan(plan.job, grant_types(view.racks, grant),
                                                     model, view)
                plan.grant = grant
                if plan.watts[0] > left + slack or not room.fits(plan.job.config, plan.by_type):
                    sized = self._smaller(view, free, plan, left + slack, room, model)
                    if sized is None:
                        continue
                    plan = plans[index] = sized
                step = plan.watts[0]
                claim(free, plan.grant)
                room.take(plan.job.config, plan.by_type)
                plan.level = 0
                left -= step
            else:
                step = plan.watts[level] - plan.watts[level - 1]
                if step > left + slack:
                    if left > slack:
                        plan.partial = self._partial(plan, model, plan.watts[level - 1] + left)
                    left = 0.0
                    break
                plan.level = level
                left -= step
            self._push(heap, plan)
        for plan in plans.values():
            if plan.level < 0:
                continue
            if plan.grant is not None:
                actions.append(Start(plan.job.name, plan.grant))
            actions += self._cap(plan, model, view)
        return actions

    # -- pieces ---------------------------------------------------------------------------
    def _fifo(self, view: ClusterView) -> list[Action]:
        free = view.racks.free.copy()
        out: list[Action] = []
        for job in view.pending:
            grant = self._place(view, free, job)
            if grant is None:
                break
            claim(free, grant)
            out.append(Start(job.name, grant))
        return out

    def _place(self, view: ClusterView, free, job: JobView) -> Grant | None:
        return fitting_place(PLACERS[self.params.placement], view, free, job, job.max_gpus,
                             rng=view.rng, prefer=type_speeds(view, job, job.max_gpus))

    def _smaller(self, view: ClusterView, free, plan: Plan, watts: float, room: PowerRoom,
                 model: PowerModel) -> Plan | None:
        """The plan of a smaller start on the same GPU type whose lowest clock fits ``watts``
        and the supply (``room``), down to ``min_gpus`` in whole allocation units (the placer
        rounds), or None. A start that did not fit at ``max_gpus`` was never tried, and the job
        waited for ever under a supply that could power it at its minimum (QA)."""
        if len(plan.by_type) != 1:
            return None
        job, (name,) = plan.job, plan.by_type
        per_gpu = self._watts(model, {name: 1}, plan.levels[0], plan.comm)
        gpus = room.most_gpus(job.config, name)
        if per_gpu > 0:
            gpus = min(gpus, int(watts / per_gpu))
        if gpus < job.min_gpus:
            return None
        grant = fitting_place(PLACERS[self.params.placement], view, free, job, gpus,
                              rng=view.rng, only_type=view.racks.gpu_types.index(name))
        if grant is None:
            return None
        smaller = self._plan(job, grant_types(view.racks, grant), model, view)
        if smaller.watts[0] > watts or not room.fits(job.config, smaller.by_type):
            return None
        smaller.grant = grant
        return smaller

    def _plan(self, job: JobView, by_type: dict[str, int], model: PowerModel,
              view: ClusterView) -> Plan:
        """A job's levels on these GPUs (``Plan.levels``), with its FLOP/s and extra IT watts
        at each."""
        cfg = job.config
        # a running job the fabric slows waits part of each step on the network, which its
        # clock neither speeds up nor draws computing power for (``PowerModel.comm_of``), as
        # the engine prices it; a start is priced at the fabric's full bandwidth
        comm = model.comm_of(job) if job.running else model.comm(cfg)
        n = self.params.levels
        base = view.estimate_rate(job, by_type) * (model.fabric_factor(job) if job.running
                                                   else 1.0)
        # a running job (planned on the GPUs it holds): only its plan's share computes, the rest
        # draw idle, as the engine prices them; a start is priced on every GPU (a pending job's
        # share is 1), as the engine's admission test prices it: its plan is known once it runs
        share = job.plan_share
        if len(by_type) == 1:
            top = model.curve(next(iter(by_type))).clock_for_cap(model.static_cap_w(cfg))
            low = min(model.config.dvfs.min_clock, top)
            plan = Plan(job, by_type, _spaced(low, top, n), share=share, comm=comm)
            plan.rates = [base * speed_factor(x, comm) for x in plan.levels]
        else:  # one cap for every type, from the one that puts all at their lowest clocks up
            curves = [model.curve(t) for t in by_type]  # to the one that caps none
            static = model.static_cap_w(cfg)
            top = max(c.compute_w for c in curves) if static is None else \
                min(static, max(c.compute_w for c in curves))
            low = min(min(c.floor_w for c in curves), top)
            paces = dict(zip(by_type, model.paces(cfg.precision, [model.type_index[t]
                                                                  for t in by_type]), strict=True))
            plan = Plan(job, by_type, _spaced(low, top, n), share=share, paces=paces, comm=comm)
            plan.rates = [base / paced_step(list(self._clocks(model, plan, w).values()), comm,
                                            list(paces.values())) for w in plan.levels]
        plan.watts = [self._at(model, plan, value) for value in plan.levels]
        return plan

    @staticmethod
    def _clocks(model: PowerModel, plan: Plan, value: float) -> float | dict[str, float]:
        """The clock(s) at a level's value: on one type the value is the clock; on several it
        is a cap, and each type runs at the highest clock whose draw fits it (the engine's
        ``clock_for_cap``): GPUs that draw more at a clock run slower under the same cap."""
        if plan.paces is None:
            return value
        return {t: model.curve(t).clock_for_cap(value) for t in plan.by_type}

    def _at(self, model: PowerModel, plan: Plan, value: float) -> float:
        """The job's IT watts above idle at a level's value (``_watts``)."""
        return self._watts(model, plan.by_type, self._clocks(model, plan, value), plan.comm,
                           plan.share, plan.paces)

    @staticmethod
    def _watts(model: PowerModel, by_type: dict[str, int], clock: float | Mapping[str, float],
               comm: float, share: float = 1.0, paces: dict[str, float] | None = None) -> float:
        """IT watts the job's GPUs draw at ``clock`` (one for all, or each type's) above their
        idle draw (on the ``share`` of them its plan computes on), with the rack overhead a
        GPU adds once a job holds it (``held_overhead_w``: the part above
        ``draw.idle_overhead``, 0 at its default of 1).
        Left out, a budget under an ``idle_overhead`` of 0.5 set no cap where caps were needed,
        and the engine's fallback clock limit ran under the policy for 8 days of Colossus 2 at
        800 MW (QA). On several GPU types (``paces``) the faster ones wait for the slowest
        part of each step, as the engine prices them (``GpuCurve.paced_w``)."""
        paces = paces or {}
        clocks = clock if isinstance(clock, Mapping) else dict.fromkeys(by_type, clock)
        step = paced_step([clocks[t] for t in paces], comm, list(paces.values())) \
            if paces else None
        total = 0.0
        for name, n in by_type.items():
            curve = model.curve(name)
            held = model.held_overhead_w(model.type_index[name])
            x = clocks[name]
            draw = curve.mean_w(x, comm) if step is None else \
                curve.paced_w(x, comm, paces[name], step)
            total += n * (share * (draw - curve.idle_w) + held)
        return total

    @staticmethod
    def _push(heap: list, plan: Plan) -> None:
        nxt = plan.level + 1
        if nxt >= len(plan.levels):
            return
        d_rate = plan.rates[nxt] - (plan.rates[nxt - 1] if nxt else 0.0)
        d_watts = plan.watts[nxt] - (plan.watts[nxt - 1] if nxt else 0.0)
        eff = d_rate / d_watts if d_watts > 0 else float("inf")
        # ties in submission order, not the list's (QA: reversing the jobs list of a scenario
        # whose jobs all arrive apart changed the run)
        heapq.heappush(heap, (-eff, -plan.job.priority, plan.job.submit_s, plan.job.index, nxt))

    def _partial(self, plan: Plan, model: PowerModel, watts: float) -> float:
        """The value (clock, or cap on several types) between two levels at which the job
        draws ``watts``."""
        lo, hi = plan.levels[plan.level], plan.levels[plan.level + 1]
        for _ in range(60):
            mid = (lo + hi) / 2
            if self._at(model, plan, mid) <= watts:
                lo = mid
            else:
                hi = mid
        return lo

    def _cap(self, plan: Plan, model: PowerModel, view: ClusterView) -> list[Action]:
        """SetPowerCap for the job's final level (None at the top), when it changes: on one
        GPU type the draw at its clock, on several the level's cap itself. Never below the
        highest floor of the job's types, the lowest cap the engine takes (a cap some GPU cannot
        honour is refused, and the job ran uncapped: review); below it, the engine's clock
        limit brings the draw down to the budget, as it does for a single cap."""
        value = plan.partial if plan.partial is not None else plan.levels[plan.level]
        top = plan.levels[-1]
        cap = None  # at its top level a job needs no cap of ours (the scenario's still apply)
        if value < top * (1 - 1e-12):
            floor = max(model.curve(t).floor_w for t in plan.by_type)
            cap = max(value if plan.paces is not None else
                      model.curve(next(iter(plan.by_type))).power_at(value), floor)
            if plan.paces is not None and cap >= top * (1 - 1e-12):
                cap = None  # the floor is the top: a cap would change nothing
        current = view.power.caps_w.get(plan.job.name)
        if cap is None and current is None:
            return []
        if cap is not None and current is not None and abs(cap - current) <= CAP_RTOL * cap:
            return []
        return [SetPowerCap(plan.job.name, cap)]


POLICY = PowerAware
