"""Facility power in a run: supply schedule, generation and battery, caps, and enforcement.

Installed as a subsystem (``install``). The ``PowerSystem`` is a rate modifier, so the engine
asks it after every change (``refresh_rates``), which is exactly when power must be re-balanced:

1. move generation and the battery on from the last event at the load then in force
   (``model.grid.advance``: exact energy at event boundaries);
2. compute the demand (caps from the scenario and the policy only) and what is available now:
   generation online plus the battery's discharge limit while it holds energy;
3. enforce (``engine.power_enforce``): never draw more than is available. A deficit is logged
   (``power_deficit``) and the policy told (trigger ``power_deficit``); after it had its chance
   the engine's documented fallback applies: a uniform clock limit on every running job, then
   holding jobs that stepped up while generation lags (until it catches up), then preempting the
   lowest-priority job;
4. record the levels (facility, IT, supply, battery, per job) and schedule the next moment that
   needs a look: when the battery would run dry, and every ``ramp.stage_s`` while generation
   ramps under limits.

Invariant (``engine.invariants``): the facility's draw never exceeds generation online plus
battery discharge, and no energy goes unserved.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from types import MappingProxyType
from typing import TYPE_CHECKING, cast

from colossim.engine.power_enforce import POWER_REFUSAL, Enforcer
from colossim.engine.record import StepSeries
from colossim.errors import InvariantViolation
from colossim.model.grid import (
    EPS_MW,
    NO_BATTERY,
    Battery,
    Grid,
    advance,
    available_mw,
    can_discharge,
    ramp_done_s,
    target_mw,
    time_to_empty,
)
from colossim.model.jobs import JobState
from colossim.model.power import CAP_KEY, CLOCK_KEY, PowerModel, ReadOnlyPowerModel
from colossim.model.power_book import DRAW, DRAW_W, FLOOR
from colossim.policy.view import PowerView

if TYPE_CHECKING:
    from colossim.engine.simulation import Simulation
    from colossim.engine.state import RunState
    from colossim.model.jobs import Job

UNSERVED_TOL_MWH = 1e-6
NONE: MappingProxyType = MappingProxyType({})  # no caps, no clock limits (read-only, shared)


def _computing(job: Job) -> int:
    """GPUs of a job its plan computes on: a cap or clock limit slows those only (the GPUs
    its plan leaves out draw idle whatever the limit; review: they were counted throttled, and
    the 10T's throttled GPU-hours came out 12.5% high)."""
    return job.gpus if job.plan_share == 1.0 else round(job.gpus * job.plan_share)


class PowerSystem:
    """Supply, generation, battery and enforcement for one run."""

    def __init__(self, sim: Simulation):
        self.sim = sim
        state = sim.state
        self.state = state
        self.cfg = cfg = state.scenario.cluster.power
        self.model: PowerModel = state.power_model
        # what policies see: the same model, read-only (a cast: it answers as the model)
        self.model_view = cast(PowerModel, ReadOnlyPowerModel(self.model))
        b = cfg.battery
        self.bat = NO_BATTERY if b is None else Battery(
            b.capacity_mwh, b.max_charge_mw, b.max_discharge_mw, b.round_trip_efficiency
        )
        limit = cfg.ramp.limit_mw_per_min
        self.ramp_mw_s = math.inf if limit is None else limit / 60.0
        self._breakpoints = cfg.breakpoints()
        self._interval = -1
        self._supply_pair = (0.0, 0.0)
        self.supply, self.firm = self._supplies(0.0)
        idle = self.model.facility_mw(self.model.idle_it_w)
        k0 = cfg.ramp.initial_mw if cfg.ramp.initial_mw is not None else idle
        stored = 0.0 if b is None else b.capacity_mwh * b.initial_soc
        self.grid = Grid(min(k0, self.supply), stored)
        self.t = 0.0
        self.load = self.demand = idle
        self.unserved_mwh = 0.0
        self.wake_at = math.inf
        self.enforcer = Enforcer(self)
        self._quiet: tuple | None = None  # (time, running list, book entries, slowdowns)
        self._recorded: dict[int, str] = {}  # jobs whose levels were last recorded running
        self._touched = state.watch()  # jobs touched since (one that stopped is among them)
        self._series: dict[str, tuple[StepSeries, StepSeries]] = {}
        self._record_levels(state, [], self.model.idle_it_w, {})

    # -- the modifier ------------------------------------------------------------------
    def factors(self, state: RunState) -> dict[int, float]:
        """Re-balance power (see the module docstring) and return the caps' slowdowns.

        Asked again at the same instant with no running job changed (a decision that started
        nothing), after a look that enforced nothing, every step would repeat itself with the
        same inputs (the grid moves only with time; the enforcer's common case is idempotent),
        so the last answer stands; so it does at a later instant when time moves nothing
        (``_timeless``)."""
        now, book, listed = state.now_s, state.power_book, state.running_jobs()
        quiet = self._quiet
        if quiet is not None and quiet[1] is listed and book.sync(listed) is quiet[2] \
                and (quiet[0] == now or self._timeless(now)):
            return dict(quiet[3])
        self._advance(now)
        running = self.enforcer.enforce(now, listed)
        it_w = book.it_w(running, DRAW)
        self.load = 0.0 if self.model.dark else self.model.facility_mw(it_w)
        slow = book.slow(running)
        self._record_levels(state, running, it_w, slow)
        self._schedule(now)
        self._quiet = (now, listed, book.sync(listed), slow) if self.enforcer.quiet else None
        return dict(slow)

    def _timeless(self, now: float) -> bool:
        """Would a look now repeat the last one (``_quiet``) whatever time has passed? Yes
        without a battery or a ramp limit, in the same supply interval, while generation
        carries the load: then the grid moves only with the load (``_advance``'s first branch
        builds nothing), and re-balancing after an event that changed no job's draw (a fault on
        idle racks, an asynchronous write ending: most events of a failure-heavy run) would
        give the same answer and record the same levels, which the series drop."""
        return self.bat is NO_BATTERY and self.ramp_mw_s == math.inf \
            and self.grid.stored_mwh == 0.0 and self._interval == bisect_right(
                self._breakpoints, now) and min(self.supply, self.demand) >= self.load - EPS_MW

    # -- generation and battery ---------------------------------------------------------
    @property
    def battery_mw_available(self) -> float:
        return self.available_mw() - self.grid.capacity_mw

    def _firm_at(self, time_s: float) -> float:
        """The level up to which the battery may fill in (inf with peak shaving)."""
        b = self.cfg.battery
        if b is not None and b.peak_shaving:
            return math.inf
        return self.cfg.supply_at(time_s, firm=True)

    def _supplies(self, now: float) -> tuple[float, float]:
        """(supply, firm supply) at ``now``. Both are constant between the configuration's
        breakpoints, so they are looked up once per interval instead of after every event."""
        interval = bisect_right(self._breakpoints, now)
        if interval != self._interval:
            self._interval = interval
            self._supply_pair = (self.cfg.supply_at(now), self._firm_at(now))
        return self._supply_pair

    def available_mw(self) -> float:
        """Most the facility may draw now: generation online plus battery discharge (the battery
        filling in up to the firm supply only, unless peak shaving is on)."""
        return available_mw(self.grid, self.bat, self.firm)

    def _grid_now(self) -> Grid:
        """Generation and the battery as they stand now, without moving the run's own state:
        a policy called for a wake-up or an arrival alone (no re-balance at that instant) read
        the battery as the last event left it, not drained since (QA: 0.05 MWh where the run
        had 0.025). Moving the state itself would split the record's exact pieces."""
        now = self.state.now_s
        if now <= self.t or (self.bat is NO_BATTERY and self.ramp_mw_s == math.inf):
            return self.grid
        return advance(self.grid, now - self.t, self.load, self.demand, self.supply,
                       self.ramp_mw_s, self.bat, start_s=self.t)[0]

    def sustained_mw(self) -> float:
        """Generation online plus the power the battery can keep up, steadily, until generation
        has ramped to the demand: its stored energy over the ramp's remaining time (at most what
        ``available_mw`` counts). With the gap closing as generation ramps, the battery then
        never runs dry before the ramp ends.

        A limit is lifted or relaxed against this while generation ramps in a deficit, not
        against ``available_mw``: a battery that surplus generation refilled a little between
        stages counted at its full discharge rating, lifted the limit, ran dry within seconds,
        and the limit came back, at every stage (QA: 46 deficits for one outage)."""
        grid, battery = self.grid, self.battery_mw_available
        ramp_s = ramp_done_s(grid, self.demand, self.supply, self.ramp_mw_s)
        if battery <= 0.0 or ramp_s <= 0.0:
            return grid.capacity_mw + battery
        return grid.capacity_mw + min(battery, grid.stored_mwh * 3600.0 / ramp_s)

    def lagging(self) -> bool:
        """Is generation still ramping towards a demand the supply could carry?"""
        return ramp_done_s(self.grid, self.demand, self.supply, self.ramp_mw_s) > 0

    def follow(self) -> None:
        """Without a ramp limit generation meets the demand at the instant it changes."""
        if self.ramp_mw_s == math.inf:
            target = target_mw(self.grid, self.demand, self.supply, self.bat)
            self.grid = Grid(target, self.grid.stored_mwh)

    def _advance(self, now: float) -> None:
        if now > self.t and self.bat is NO_BATTERY and self.ramp_mw_s == math.inf \
                and self.grid.stored_mwh == 0.0 \
                and min(self.supply, self.demand) >= self.load - EPS_MW:
            # No battery, no ramp, and generation carries the load: ``advance`` would give one
            # piece with nothing unserved and nothing to record, and generation at its target
            # (``target_mw`` without a battery), so skip building it (asked after every event).
            self.grid = Grid(min(self.supply, self.demand), 0.0)
            self.t = now
        elif now > self.t:
            grid, pieces = advance(self.grid, now - self.t, self.load, self.demand, self.supply,
                                   self.ramp_mw_s, self.bat, start_s=self.t)
            record = self.state.record
            pieces[-1] = pieces[-1].ending_at(now)  # exactly now, whatever the float sums
            for piece in pieces:  # each level at both ends: linear in between, jumps between
                self.unserved_mwh += piece.unserved_mwh
                if self.bat is not NO_BATTERY:
                    battery = record.level("battery_mw")
                    battery.sample(piece.start_s, piece.battery0_mw)
                    battery.sample(piece.end_s, piece.battery1_mw)
                    self._set_soc(piece.start_s, piece.soc0_mwh)
                    self._set_soc(piece.end_s, piece.soc1_mwh)
                if self.ramp_mw_s != math.inf or self.bat is not NO_BATTERY:
                    generation = record.level("generation_mw")
                    generation.sample(piece.start_s, self.load - piece.battery0_mw)
                    generation.sample(piece.end_s, self.load - piece.battery1_mw)
            self.grid = grid
            self.t = now
        supply, self.firm = self._supplies(now)
        if supply != self.supply:
            self.state.log("supply", None, supply_mw=supply, before_mw=self.supply)
            self.supply = supply
            self.sim.trigger("supply_change")
        if self.grid.capacity_mw > supply:  # generation lost with the supply goes at once
            self.grid = Grid(supply, self.grid.stored_mwh)

    def _set_soc(self, time_s: float, stored: float) -> None:
        record = self.state.record
        record.level("battery_mwh").sample(time_s, stored)
        record.level("battery_soc").sample(time_s, stored / self.bat.capacity_mwh)

    # -- record and wake-ups ----------------------------------------------------------------
    def _job_series(self, name: str) -> tuple[StepSeries, StepSeries]:
        series = self._series.get(name)
        if series is None:
            record = self.state.record
            series = self._series[name] = (record.level(f"job_power_mw.{name}"),
                                           record.level(f"job_throttled_gpus.{name}"))
        return series

    def _record_levels(self, state: RunState, running: list[Job], it_w: float,
                       slow: dict[int, float]) -> None:
        """Facility levels, and each job's draw and throttled GPUs. A job's levels change only
        when the draw book re-priced it, so only those jobs (and jobs that stopped) are set:
        setting the others would repeat their last value, which the series drop anyway."""
        now, record, model = state.now_s, state.record, self.model
        record.level("supply_mw").set(now, self.supply)
        record.level("it_power_mw").set(now, 0.0 if model.dark else it_w / 1e6)
        if self.bat is not NO_BATTERY:
            self._set_soc(now, self.grid.stored_mwh)
        recorded, jobs = self._recorded, state.jobs
        for index in self._touched:  # a job that stopped running was touched: zero its levels
            if index in recorded and jobs[index].state is not JobState.RUNNING:
                for series in self._job_series(recorded.pop(index)):
                    series.set(now, 0.0)
        self._touched.clear()
        if running:
            book = state.power_book
            fresh = book.take_fresh(running)
            order = book.sync(running)
            pue = self.cfg.pue
            for k in fresh:
                job = running[k]
                name = recorded[job.index] = job.name
                power, capped = self._job_series(name)
                power.set(now, order[k][DRAW_W] * pue / 1e6)
                capped.set(now, float(_computing(job) if job.index in slow else 0))
        throttled = sum(_computing(jobs[index]) for index in slow)
        record.level("gpus_throttled").set(now, float(throttled))

    def _schedule(self, now: float) -> None:
        """Ask for a look when the battery would run dry, and at stages while ramping capped."""
        when = math.inf
        if can_discharge(self.grid, self.bat) and self.load > self.grid.capacity_mw:
            when = now + time_to_empty(self.grid, self.load, self.demand, self.supply,
                                       self.ramp_mw_s, self.bat)
        if self.enforcer.limited() and self.lagging():
            ramp = ramp_done_s(self.grid, self.demand, self.supply, self.ramp_mw_s)
            when = min(when, now + min(self.cfg.ramp.stage_s, ramp))
        if self.model.dark and self.lagging():  # back when generation can carry the idle draw,
            # or first when generation and the battery's discharge could (``_set_dark`` then
            # judges whether the battery's energy lasts until generation alone can)
            gap = self.demand - self.grid.capacity_mw
            short = gap - max(self.battery_mw_available, 0.0)
            ahead = short if short > EPS_MW else gap
            when = min(when, now + max(ahead / self.ramp_mw_s, 1e-6))
        if when == math.inf or when <= now:
            return
        if self.wake_at > now and self.wake_at <= when:
            return  # an earlier look is already on its way
        self.wake_at = when
        self.sim.call_at(when, self._wake)

    def _wake(self) -> None:
        if self.state.now_s >= self.wake_at:
            self.wake_at = math.inf

    # -- for the policy view and the invariants -------------------------------------------
    def check(self, state: RunState) -> None:
        """The power invariant: draw <= generation online + battery discharge, nothing unserved.

        Skipped only while a deficit waits for the policy's call at this same instant.
        """
        if self.unserved_mwh > UNSERVED_TOL_MWH:
            raise InvariantViolation(f"power: {self.unserved_mwh:g} MWh of load went unserved")
        if self.enforcer.awaiting:
            return
        draw, available = state.power_mw(), self.available_mw()
        if draw > available * (1 + 1e-9) + 1e-9:
            shown_draw, shown_available = mw_apart(draw, available)
            raise InvariantViolation(
                f"power: facility draws {shown_draw} at t={state.now_s:g} s, only "
                f"{shown_available} available (generation {self.grid.capacity_mw:,.6g} MW)"
            )

    def view(self) -> PowerView:
        state = self.state
        grid, self.grid = self.grid, self._grid_now()  # the figures below read it as of now
        try:
            return self._view(state)
        finally:
            self.grid = grid

    def _view(self, state: RunState) -> PowerView:
        jobs = state.jobs
        # capped and keyed hold every job with a cap or a clock limit, so the view is built
        # from them, not from every active job; index order as before
        caps = limits = NONE
        if self.model.capped:
            caps = MappingProxyType({
                jobs[i].name: jobs[i].extra[CAP_KEY] for i in sorted(self.model.capped)
                if jobs[i].state in (JobState.PENDING, JobState.RUNNING)})
        if self.enforcer.keyed:
            limits = MappingProxyType({
                jobs[i].name: jobs[i].extra[CLOCK_KEY] for i in sorted(self.enforcer.keyed)
                if jobs[i].state is JobState.RUNNING and CLOCK_KEY in jobs[i].extra})
        return PowerView(
            supply_mw=self.supply, draw_mw=state.power_mw(), available_mw=self.available_mw(),
            demand_mw=self.demand, generation_mw=self.grid.capacity_mw,
            battery_mwh=self.grid.stored_mwh, battery_capacity_mwh=self.bat.capacity_mwh,
            battery_max_discharge_mw=self.battery_mw_available,
            sustained_mw=self.sustained_mw(),
            caps_w=caps, engine_clocks=limits,
            model=self.model_view, floor_it_w=state.power_book.it_w(state.running_jobs(), FLOOR),
            dark=self.model.dark,
        )


def power_system(state: RunState) -> PowerSystem | None:
    """The run's power system (installed as one of the state's rate modifiers), if any."""
    for modifier in state.modifiers:  # a plain loop: asked at every decision and start
        if isinstance(modifier, PowerSystem):
            return modifier
    return None


def install(sim: Simulation) -> PowerSystem:
    """Add the power system to a run: the modifier, and an event at every supply change."""
    system = PowerSystem(sim)
    sim.state.modifiers.append(system)
    sim.call_at(0.0, lambda: None)  # settle at t=0 too: even the idle facility may not fit
    for time_s in system.cfg.breakpoints():
        sim.call_at(time_s, lambda: None)  # the settle after the event re-balances power
    return system


def power_view(state: RunState) -> PowerView:
    system = power_system(state)
    if system is None:
        return PowerView(supply_mw=state.scenario.cluster.power.supply_mw,
                         draw_mw=state.power_mw())
    return system.view()


def refuse_grant(state: RunState, job: Job, gpus_by_type: dict[str, int]) -> str | None:
    """Why starting (or resizing) ``job`` on these GPUs cannot be powered, or None.

    Refused when the facility, with every running job at its lowest clock and this job on its
    new GPUs at its lowest clock too (or its restart draw there, if higher:
    ``Enforcer.floor_mw_with``), would need more than the supply (the battery is for
    transients, not for admitting work). Same test as the fallback's preemption, so a job the
    fallback preempted cannot be started straight back.
    """
    system = power_system(state)
    if system is None:
        return None
    reason = system.enforcer.refusal(job, state.now_s)
    if reason is not None:
        return reason
    if system.model.peak_fits(gpus_by_type, system.supply):
        return None  # the supply carries even every GPU at full draw: nothing to add up
    need = system.enforcer.floor_mw_with(job, gpus_by_type)
    if not system.model.within_supply(need, system.supply):
        shown_need, shown_supply = mw_apart(need, system.supply)
        return (f"{POWER_REFUSAL}needs {shown_need} at the lowest clocks, supply is "
                f"{shown_supply}")
    return None


def mw_apart(a_mw: float, b_mw: float) -> tuple[str, str]:
    """Two MW figures as people read them (3 significant figures, whole MW from 100), with
    as many more digits as it takes for them to read apart: a refusal or an invariant that
    compares them must not say "needs 0.3 MW, supply is 0.3 MW" (0.3068 against 0.3000)."""
    for extra in range(13):
        pair = (_mw(a_mw, extra), _mw(b_mw, extra))
        if pair[0] != pair[1]:
            break
    return pair


def _mw(value: float, extra: int) -> str:
    if abs(value) >= 100:
        return f"{value:,.{extra}f} MW"
    return f"{value:.{3 + extra}g} MW"


def cap_floor_w(state: RunState, job: Job) -> float:
    """The lowest cap ``job``'s GPUs can honour (the highest floor of the types it may use)."""
    model: PowerModel = state.power_model
    types = [t for t, n in enumerate(model.job_types(job)) if n] or range(len(model.curves))
    return max(model.curves[t].floor_w for t in types)
