"""Enforcement: the facility never draws more than generation online plus battery discharge.

Called by ``PowerSystem.factors`` after every change. Order of remedies, documented in
``docs/power.md``:

0. ``ramp.cover: stagger`` while generation ramps: jobs whose draw stepped up meanwhile (the
   *ramping* set) get a common clock limit that fits generation alone, re-set every stage;
1. a deficit (demand under the policy's caps above what is available) is logged and the policy
   told (trigger ``power_deficit``); it may cap (``SetPowerCap``), preempt or hold back starts;
2. what the policy leaves is closed by a uniform clock limit on every running job (the same
   fraction of full clock for all, found by regula falsi; a computing job runs slower, a job
   paused to checkpoint, restart or resize draws at most a computing GPU's draw at that clock,
   as under a cap, its pause as long; it relaxes as soon as power allows, the battery
   counting, while generation ramps in a deficit, only for what it can keep up until the ramp
   is done: ``PowerSystem.sustained_mw``);
3. if even the lowest clocks do not fit, after the policy had its chance at this instant:
   jobs of the ramping set are held (GPUs kept, idle draw, no progress; one paused to restart
   or resize then finishes its pause) until generation has ramped far enough, and otherwise
   the lowest-priority running job is preempted (logged as a
   ``preempt`` with reason ``power``, priced as a policy's preemption without the
   reliability model: ``switch_costs.remember_power_loss``), one at a time until the lowest
   clocks fit;
4. if nothing runs and the idle facility still exceeds what is available (an outage), the
   facility goes dark (draw 0) until power returns, logged as ``power_dark``.

While step 3 waits for the policy (zero simulated time: the decision runs at the same instant)
the state may stand above the limit; ``awaiting`` says so and the invariant allows exactly that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from colossim.engine.switch_costs import remember_power_loss
from colossim.model.jobs import POWER_LOSS_KEY, Job, JobState, Phase
from colossim.model.power import CLOCK_KEY, HOLD_KEY
from colossim.model.power_book import DEMAND, FLOOR, FULL

if TYPE_CHECKING:
    from colossim.engine.power import PowerSystem

POWER_REFUSAL = "power: "  # how every refusal for power begins (a start, a resize): tests that
# allow them tell them apart by it (``testing.invariants``)
TOL = 1e-9
CLOCK_TOL = 1e-9  # bisection stops when the clock limit is known this closely
FIT_CACHE = 4096  # searches remembered (cleared when full)
HOLDABLE = (Phase.COMPUTE, Phase.RESTART, Phase.RESIZE)  # a checkpoint write times its own pause


def _solve_increasing(load, target: float, lo: float, f_lo: float) -> float:
    """The highest x in [lo, 1] with load(x) <= target, for an increasing load (Illinois
    regula falsi: a few evaluations instead of ~30 bisections; always returns a feasible x)."""
    hi, f_hi = 1.0, load(1.0) - target
    side = 0
    for _ in range(100):
        if hi - lo <= CLOCK_TOL or f_lo == 0:
            break
        x = hi - f_hi * (hi - lo) / (f_hi - f_lo) if f_hi != f_lo else (lo + hi) / 2
        if not lo < x < hi:
            x = (lo + hi) / 2
        f_x = load(x) - target
        if f_x <= 0:
            lo, f_lo = x, f_x
            if side == -1:
                f_hi /= 2
            side = -1
        else:
            hi, f_hi = x, f_x
            if side == 1:
                f_lo /= 2
            side = 1
        if -f_lo <= 1e-12 * max(target, 1e-9):
            break  # within a part in 10^12 of the target: close enough, and feasible
    return lo


class Enforcer:
    def __init__(self, system: PowerSystem):
        self.system = system
        self.model = system.model
        self.ramping: set[int] = set()
        self.last_demand: dict[int, float] = {}
        self.episode = False
        self.told_at: tuple[float, int] | None = None
        self.awaiting = False
        self.quiet = False  # the last enforce found nothing to do and left no limit or hold
        self.staging = False
        self.logged: dict[int, float | None] = {}  # the clock limit last logged per job
        self.keyed: set[int] = set()  # jobs that may carry a clock limit or a hold
        self.preempted_at: dict[int, float] = {}  # job index -> when the fallback preempted it
        self._fits: dict[tuple, float] = {}  # _fit's searches by their inputs

    # -- helpers ------------------------------------------------------------------------
    def _load(self, running: list[Job], limits: dict[int, float]) -> float:
        """Facility MW with these clock limits (jobs not listed: no engine limit)."""
        full = {j.index: limits.get(j.index, 1.0) for j in running}
        return self.model.facility_mw(self.model.it_w(running, full))

    def _fit(self, jobs: list[Job], running: list[Job], base: dict[int, float],
             target_mw: float, base_mw: float | None = None) -> dict[int, float]:
        """The highest common clock limit on ``jobs`` (over ``base`` limits) that fits.

        ``base_mw`` is the load under ``base`` when the caller already knows it."""
        if base_mw is None:
            base_mw = self._load(running, base)
        if not jobs or base_mw <= target_mw * (1 + TOL) + TOL:
            # within rounding of the target (a policy's caps fitted to it exactly): a limit
            # found now would be 1 less a crumb, and would count the job as throttled
            return base
        model = self.model
        lo = self.system.cfg.dvfs.min_clock
        rest_it = model.it_w(running, {j.index: base.get(j.index, 1.0) for j in running})
        rest_it -= sum(model.job_it_w(j, base.get(j.index, 1.0)) - model.idle_w_of(j)
                       for j in jobs)
        terms = [(model.limit_terms(j), base.get(j.index, 1.0)) for j in jobs]
        above_idle = model.limited_w_above_idle

        def trial(x: float) -> dict[int, float]:
            return {**base, **{j.index: min(base.get(j.index, 1.0), x) for j in jobs}}

        def load(x: float) -> float:
            it_w = rest_it + sum(above_idle(t, min(b, x)) for t, b in terms)
            return model.facility_mw(it_w)

        # The clock found is a pure function of these inputs, and the same mix of phases, caps
        # and grants recurs many times in a long run (checkpoints come and go): search once.
        key = (rest_it, target_mw, lo, tuple((tuple(t), b) for t, b in terms))
        clock = self._fits.get(key)
        if clock is None:
            f_lo = load(lo) - target_mw
            clock = lo if f_lo > 0 else _solve_increasing(load, target_mw, lo, f_lo)
            if len(self._fits) > FIT_CACHE:
                self._fits.clear()
            self._fits[key] = clock
        return trial(clock)

    def floor_mw_with(self, job: Job, gpus_by_type: dict[str, int]) -> float:
        """Facility MW with every running job at its lowest clock and ``job`` on new GPUs.

        The others are at the least the fallback's clock limit can bring them to (computing
        or paused: the limit caps a paused job's draw too), ``job`` at the higher of its
        lowest-clock compute draw and its restart draw at the lowest clock (a job started
        after a preemption, or resized, first pauses to restart): the fallback's own test, so
        a start it admits is not preempted at once."""
        state = self.system.state
        # every running job but this one at a clock limit of 0 (clamped to each GPU's floor)
        floor_it_w = state.power_book.floor_it_w(state.running_jobs(), job)
        return self.model.start_mw(floor_it_w, job.config, gpus_by_type)

    def limited(self) -> bool:
        return any(CLOCK_KEY in self.system.state.jobs[i].extra for i in self.keyed)

    # -- the procedure --------------------------------------------------------------------
    def enforce(self, now: float, running: list[Job]) -> list[Job]:
        """Set clock limits, holds and preemptions so the draw fits; return the running jobs.

        ``running`` is every running job in index order (``RunState.running_jobs``): the
        per-job work is only for jobs this enforcer marked (``keyed``), and the sums come from
        the draw book, so a quiet event costs little however many jobs run."""
        system, model, state = self.system, self.model, self.system.state
        book, setting = state.power_book, model.set_setting
        for index in sorted(self.keyed):  # only jobs this enforcer marked (not every job)
            job = state.jobs[index]
            if job.state is not JobState.RUNNING:
                setting(job, CLOCK_KEY, None)
                setting(job, HOLD_KEY, None)
            elif job.phase is Phase.COMPUTE:
                setting(job, HOLD_KEY, None)
            if CLOCK_KEY not in job.extra and HOLD_KEY not in job.extra:
                self.keyed.discard(index)
        system.demand = model.facility_mw(book.it_w(running, DEMAND))
        system.follow()
        lag = system.lagging()
        self._track_ramping(running, lag)
        available = system.available_mw()
        # While a deficit lasts and generation ramps, the battery counts only for what it can
        # keep up until generation catches up (``sustained_mw``), so a limit is lifted or
        # relaxed once, not lifted on a battery that runs dry seconds later (the rule one level
        # below ``_set_dark``'s). A new deficit still starts only when the battery runs dry.
        carry = system.sustained_mw() if self.episode and lag else available
        # only jobs in ``keyed`` can be held, and those not running were just cleared
        held = any(HOLD_KEY in state.jobs[i].extra for i in self.keyed)
        wanted = model.facility_mw(book.it_w(running, FULL)) if held else system.demand
        staged = (system.cfg.ramp.cover == "stagger" and lag
                  and wanted <= system.supply * (1 + TOL) + TOL)
        self._note_deficit(now, wanted, carry, staged, held)
        limits: dict[int, float] = {}
        self.awaiting = False
        stagger = system.cfg.ramp.cover == "stagger" and lag
        self.quiet = False
        if wanted <= carry and not stagger:  # the common case: nothing to enforce
            self._apply(running, limits)
            self._set_dark(running, available)
            self.quiet = not self.keyed  # no clock limit or hold is left anywhere
            return running
        limitable = self._limitable(running)
        if stagger:
            staged = [j for j in limitable if j.index in self.ramping]
            limits = self._fit(staged, running, limits, system.grid.capacity_mw, wanted)
        limits = self._fit(limitable, running, limits, carry, None if limits else wanted)
        if running and self._load(running, limits) > available * (1 + TOL) + TOL:  # not even
            # on the battery; with nothing running there is nothing to shed, and a dark facility
            # no longer wakes the policy at every later event (QA: stale checkpoint timers
            # brought two rounds of refused starts)
            if not self._policy_had_chance(now):
                self.awaiting = True
            else:
                running = self._relieve(now, running, available)
                limits = self._fit(self._limitable(running), running, {}, carry)
        self._apply(running, self._binding(limits))
        self._set_dark(running, available)
        return running

    def _limitable(self, running: list[Job]) -> list[Job]:
        """The running jobs a clock limit can lower: every computing job, and a job paused to
        checkpoint, restart or resize (not held) whose phase draw is above its draw at the
        lowest clock. The limit caps a paused job's draw as a cap does (``GpuCurve.phase_w``;
        the pause takes as long). Left out, such a job kept its draw under any limit: on a GPU
        whose restart or checkpoint draw is above its lowest-clock draw (H100 and A100
        checkpoints), the fallback preempted a job at each of them, and admission, which
        counts every job at its lowest clock, started it straight back."""
        order = self.system.state.power_book.sync(running)
        return [j for j, entry in zip(running, order, strict=True)
                if j.phase is Phase.COMPUTE or entry[FLOOR] < entry[FULL]]

    def _binding(self, limits: dict[int, float]) -> dict[int, float]:
        """``limits`` less those on paused jobs that do not lower their draw (a checkpoint
        below the limit's draw is not throttled by it, and no limit is logged for it), each
        job keeping the limit it has when the new one is at most ``CLOCK_TOL`` above it: a
        search over other jobs (one paused now) that lands on the same clock ends within its
        tolerance of it, and logged a change of a few parts in 10^16 at every checkpoint."""
        jobs, model = self.system.state.jobs, self.model
        out: dict[int, float] = {}
        for index, clock in limits.items():
            job = jobs[index]
            if job.phase is not Phase.COMPUTE \
                    and model.job_it_w(job, clock) >= model.job_it_w(job, 1.0):
                continue
            now = job.extra.get(CLOCK_KEY)
            out[index] = now if now is not None and clock - CLOCK_TOL <= now <= clock else clock
        return out

    def _track_ramping(self, running: list[Job], lag: bool) -> None:
        if self.system.ramp_mw_s == float("inf"):
            return  # generation follows at once: nothing ever ramps
        demand = {j.index: self.model.job_it_w(j, 1.0, demand=True) for j in running}
        if lag:
            for index, watts in demand.items():
                if watts > self.last_demand.get(index, 0.0) * (1 + TOL):
                    self.ramping.add(index)
            self.ramping &= set(demand)
        else:
            self.ramping.clear()
        self.last_demand = demand

    def _note_deficit(self, now: float, wanted: float, available: float, staged: bool,
                      held: bool = False) -> None:
        """Log a deficit (and tell the policy) when one begins; a staged ramp is not one. A
        job held for the deficit keeps it going: it draws little while held, and released
        into a supply still short, it is the same shortage, not a new one. A deficit that
        goes on as a staged ramp (the supply back, generation still ramping) stays one, so the
        battery keeps counting only for what it can sustain (``enforce``): reset here, a battery
        refilled a little between stages lifted the limit at every stage, ran dry two seconds
        later and began a new staged ramp (QA: 17 lifts after one dip, against 1)."""
        system = self.system
        if staged and wanted > available * (1 + TOL) + TOL:
            if not self.staging:
                self.staging = True
                system.state.log("power_stagger", None, demand_mw=wanted,
                                 generation_mw=system.grid.capacity_mw)
            return
        self.staging = False
        if wanted > available * (1 + TOL) + TOL:
            if not self.episode:
                self.episode = True
                system.state.log("power_deficit", None, demand_mw=wanted, available_mw=available,
                                 supply_mw=system.supply)
                self._tell(now)
        elif not held:
            self.episode = False

    def _tell(self, now: float) -> None:
        if self.told_at is None or self.told_at[0] != now:
            self.told_at = (now, self.system.state.record.decide_calls)
            self.system.sim.trigger("power_deficit")

    def _policy_had_chance(self, now: float) -> bool:
        """Has the policy decided since it was told of this instant's deficit?"""
        if self.told_at is None or self.told_at[0] != now:
            self._tell(now)
            return False
        return self.system.state.record.decide_calls > self.told_at[1]

    def _relieve(self, now: float, running: list[Job], available: float) -> list[Job]:
        """Hold ramping jobs, then preempt the lowest priority, until the lowest clocks fit."""
        system, state = self.system, self.system.state
        # every running job at the lowest clock (a paused job's draw capped by it; a held
        # job draws idle whatever the limit)
        floors = {j.index: 0.0 for j in running}
        while running and self._load(running, floors) > available * (1 + TOL) + TOL:
            held = [j for j in running if j.index in self.ramping and HOLD_KEY not in j.extra
                    and j.phase in HOLDABLE]
            if held and system.lagging():
                job = min(held, key=lambda j: (j.config.priority, -j.index))
                self._hold(now, job, self._load(running, floors) - available)
                continue
            job = min(running, key=lambda j: (j.config.priority, -j.index))
            # paid when it next starts
            remember_power_loss(state.scenario, job, job.gpus, state.layout)
            state.stop(job, JobState.PENDING)
            self.preempted_at[job.index] = now
            job.extra[POWER_LOSS_KEY] = now  # unplanned: no checkpoint on the way out
            state.log("preempt", job, reason="power")
            system.sim.trigger("power_preempt", job.name)
            self.ramping.discard(job.index)
            running = [j for j in running if j is not job]
            floors.pop(job.index, None)
        return running

    def _hold(self, now: float, job: Job, gap: float) -> None:
        """Hold ``job`` (GPUs kept, idle draw, no progress) until generation has ramped by
        ``gap``. A computing job pauses for the hold; a job paused to restart or resize pauses
        for the hold and then what was left of its pause, and draws its phase draw again once
        the hold is over (``_release``): preempted instead, it was started again at the next
        event, and after an outage nothing else ran to make generation ramp, so it waited for
        ever (generation follows the demand, and a held job counts in the demand)."""
        system = self.system
        hold_s = max(system.cfg.ramp.stage_s, gap / system.ramp_mw_s)
        left = 0.0
        if job.phase is not Phase.COMPUTE and job.pause_until_s is not None:
            left = max(0.0, job.pause_until_s - now)
        self.model.set_setting(job, HOLD_KEY, 1.0)
        self.keyed.add(job.index)
        system.sim.pause_job(job, hold_s + left,
                             Phase.RESTART if job.phase is Phase.COMPUTE else job.phase)
        system.state.log("power_hold", job, seconds=hold_s, gap_mw=gap)
        if left > 0:
            stamp = job.stamp
            system.sim.call_at(now + hold_s, lambda: self._release(job, stamp))

    def _release(self, job: Job, stamp: int) -> None:
        """The end of a hold on a paused job: it draws its phase draw again for the rest of its
        pause (unless something else changed it meanwhile)."""
        if job.stamp == stamp and job.state is JobState.RUNNING:
            self.model.set_setting(job, HOLD_KEY, None)

    def _apply(self, running: list[Job], limits: dict[int, float]) -> None:
        """Set the clock limits on the running jobs (``running``: every RUNNING job) and log
        each change. Only jobs with a limit now, one before (``keyed``) or one last logged can
        change or need a log line, so only those are visited, in index order."""
        if not (self.keyed or self.logged or limits):
            return  # no limit now, none before and none logged: nothing to set or log
        state, setting = self.system.state, self.model.set_setting
        visit = set(self.keyed)
        visit.update(i for i, clock in limits.items() if clock < 1.0)
        visit.update(i for i, clock in self.logged.items() if clock is not None)
        for index in sorted(visit):
            job = state.jobs[index]
            if job.state is not JobState.RUNNING:
                continue
            clock = limits.get(job.index, 1.0)
            if clock < 1.0:
                setting(job, CLOCK_KEY, clock)
                self.keyed.add(job.index)
            else:
                setting(job, CLOCK_KEY, None)
            after = job.extra.get(CLOCK_KEY)
            if after != self.logged.get(job.index) and not self.awaiting:
                if after is None:
                    reason = "lifted"
                elif self.system.cfg.ramp.cover == "stagger" and job.index in self.ramping:
                    reason = "stagger"
                else:
                    reason = "fallback"
                state.log("power_limit", job, clock=after, reason=reason)
                self.logged[job.index] = after
        jobs = state.jobs
        for index in [i for i in self.logged if jobs[i].state is not JobState.RUNNING]:
            del self.logged[index]  # a job that stopped starts afresh

    def _set_dark(self, running: list[Job], available: float) -> None:
        """Dark when nothing runs and the facility cannot carry its idle draw; back only when
        generation, with what the battery can keep up until generation has ramped to the idle
        draw (``sustained_mw``), can carry it, and the supply could: restored on a battery that
        generation then barely refilled, it went dark again seconds later, tens of thousands of
        times (a ramp-limited grid after an outage); restored only on generation alone, a site
        with a full battery stayed dark 49.5 minutes after a 15-minute outage where 17.6 would
        do (QA)."""
        model, state, system = self.model, self.system.state, self.system
        if running and not model.dark:
            return  # the common case, after every event: nothing to work out
        idle = model.facility_mw(model.idle_it_w)
        if not model.dark:
            carry = available
        elif system.supply >= idle * (1 + TOL) + TOL:
            carry = system.sustained_mw()
        else:
            carry = system.grid.capacity_mw
        dark = not running and idle > carry * (1 + TOL) + TOL
        if dark != model.dark:
            model.dark = dark
            state.log("power_dark" if dark else "power_restored", None, available_mw=available)
            if not dark:
                self.system.sim.trigger("power_restored")

    def refusal(self, job: Job, now: float) -> str | None:
        """Reasons a start must wait whatever the numbers: the facility is dark, or the
        fallback preempted this job at this very instant (no start-preempt loop)."""
        if self.model.dark:
            return f"{POWER_REFUSAL}the facility is dark until generation can carry it again"
        if self.preempted_at.get(job.index) == now:
            return f"{POWER_REFUSAL}preempted for power at this instant"
        return None
