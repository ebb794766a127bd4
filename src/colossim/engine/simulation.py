"""The event loop: the only module that uses SimPy.

Processes: job arrivals, the fluid "next completion" timer, and policy wake-ups. Whatever happens
at an instant becomes a trigger; all triggers of one instant are coalesced into a single policy
call, scheduled with a lower priority than ordinary events so it runs after everything else that
happens at that instant. SimPy timeouts cannot be cancelled, so the completion timer carries a
generation stamp and stale firings are ignored.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby

import simpy

from colossim.collector import collect_if_owed, collector_relaxed, owe
from colossim.config.schema import Scenario
from colossim.engine.apply import apply_action, is_wake
from colossim.engine.record import Decision, Record
from colossim.engine.refusals import returned_refusal, wake_refusal
from colossim.engine.state import RunState
from colossim.engine.subsystems import subsystems
from colossim.engine.switch_costs import take
from colossim.engine.views import ViewBuilder
from colossim.errors import ColossimError, PolicyFailure, raised_at, raised_in, what_raised
from colossim.model.jobs import Job, JobState, Phase
from colossim.model.rng import RngStreams
from colossim.policy.actions import Action, Verdict, describe, shown
from colossim.policy.api import Policy
from colossim.policy.view import Trigger

DECISION_PRIORITY = 2  # after simpy's URGENT (0) and NORMAL (1): every same-instant event first
ProgressFn = Callable[[float, float], None]  # (now_s, fraction of all work done)
PROGRESS_EVERY = 2048
# ...and at least once per simulated day: a small cluster with failures on has a few events a
# month, and its stall (a job the supply can never power, faults coming and going) went unseen
# for the ten years to the horizon (QA)
PROGRESS_SPAN_S = 86_400.0
# Triggers after which a decision settles the state even when the policy does nothing: an
# arrival and a wake-up come from events that do not settle it themselves, and a deficit waits
# for the policy's call before the power enforcer sheds load (``power_enforce``). Every other
# trigger comes from an event that settled the state, which a policy doing nothing leaves as is.
NEEDS_SETTLE = frozenset({"arrival", "wake", "power_deficit"})


@dataclass(frozen=True)
class RunOutput:
    """What the engine hands to metrics: the final state and the record."""

    state: RunState
    record: Record
    events: int
    wall_s: float
    end_s: float


HARDWARE = frozenset({"repair", "maintenance", "fabric_fault", "fabric_repair"})  # triggers
# that change only the hardware a policy could start jobs on


class Simulation:
    """One run of one scenario under one policy."""

    def __init__(
        self,
        scenario: Scenario,
        policy: Policy,
        *,
        seed: int | None = None,
        check_invariants: bool | None = None,
        progress: ProgressFn | None = None,
        label: str | None = None,
    ):
        self.scenario = scenario
        self.policy = policy
        # what the user called the policy (a ``module:Class`` path, as tables and results say
        # it), for its failures: they gave the class's name (QA)
        self.label = label or getattr(policy, "name", None) or type(policy).__name__
        self.seed = scenario.simulation.seed if seed is None else seed
        self.check = (
            scenario.simulation.check_invariants if check_invariants is None else check_invariants
        )
        self.progress = progress
        self.env = simpy.Environment(initial_time=0.0)
        self.state = RunState(scenario)
        self.rng = RngStreams(self.seed)
        self.views = ViewBuilder(self.state, self.rng)
        self._triggers: list[Trigger] = []
        self._decision_scheduled = False
        self._timer_gen = 0
        self._timer_at = float("inf")
        self._open = len(self.state.jobs)  # jobs neither completed nor rejected
        for install in subsystems():
            install(self)

    # -- triggers and decisions ----------------------------------------------------------
    def _trigger(self, kind: str, job: str | None = None) -> None:
        self._triggers.append(Trigger(self.env.now, kind, job))
        if not self._decision_scheduled:
            self._decision_scheduled = True
            event = self.env.event()
            event._ok, event._value = True, None  # a pre-succeeded event at our own priority
            event.callbacks.append(self._decide)
            self.env.schedule(event, priority=DECISION_PRIORITY)

    def _decide(self, _event: simpy.Event) -> None:
        self._decision_scheduled = False
        state = self.state
        state.now_s = self.env.now
        triggers, self._triggers = tuple(self._triggers), []
        state.record.decide_calls += 1
        try:
            view = self.views.build(triggers)
            started = time.perf_counter()
            decided = self.policy.decide(view)
            refusal = returned_refusal(decided)
            if refusal is not None:
                raise PolicyFailure(f"policy {self.label!r} failed at t={self.env.now}: "
                                    f"{refusal}")
            actions = list(decided)  # a generator's body runs here (review: it went untimed)
            took = time.perf_counter() - started
            state.record.policy_wall_s += took
            if took > state.record.slowest_decide_s:
                state.record.slowest_decide_s = took
        except (ColossimError, KeyboardInterrupt):  # Ctrl-C is the user's, whoever raised it
            raise
        except BaseException as exc:  # sys.exit(3) in a policy ended colossim with code 3,
            # which a sweep reads as "some runs raised"; GeneratorExit or a BaseException of
            # the policy's own was a traceback (QA)
            raise PolicyFailure(f"policy {self.label!r} failed at t={self.env.now}: "
                                f"{what_raised(exc)}"
                                f"{raised_at(exc, self._policy_file())}") from exc
        if not actions and all(t.kind not in NEEDS_SETTLE for t in triggers):
            # nothing changed since the events that raised the triggers settled the state: a
            # settle now would repeat theirs (Colossus-2 with failures: 7,307 of 96,883
            # settles, ~5% of its profiled time; 99% of the policy's calls return nothing)
            return
        state.call_decisions = len(state.record.decisions)  # this call's come after these
        for action in actions:
            try:
                self._apply(action)
            except (ColossimError, KeyboardInterrupt):
                raise
            except BaseException as exc:  # the policy's own code, run as its action
                # is read (a generator grant, a name's __eq__), raised: said as decide's are
                home = self._policy_file()
                if not raised_in(exc, home):
                    raise  # the engine's own: a bug, with its traceback
                raise PolicyFailure(f"policy {self.label!r} failed at t={self.env.now}: reading "
                                    f"its action {shown(action)}: {what_raised(exc)}"
                                    f"{raised_at(exc, home)}") from exc
        self._after_change()

    def _policy_file(self) -> str | None:
        """The file the policy's class is defined in, for ``raised_at`` (a plugin's is in an
        installed package, which would not otherwise count as the policy's own code)."""
        module = sys.modules.get(type(self.policy).__module__)
        return getattr(module, "__file__", None)

    def _apply(self, action: Action) -> None:
        state = self.state
        if is_wake(action):
            reason = wake_refusal(action.time_s, self.env.now)
            if reason is None:
                timeout = self.env.timeout(action.time_s - self.env.now)
                timeout.callbacks.append(lambda _e: self._trigger("wake"))
                verdict, reason = Verdict.APPLIED, ""
            else:
                verdict = Verdict.INVALID
            state.record.decisions.append(
                Decision(self.env.now, describe(action), verdict.value, reason)
            )
            return
        decision = apply_action(state, action)
        if decision.verdict != Verdict.APPLIED.value:
            return
        kind = decision.action["action"]
        if kind == "reject":
            self._open -= 1
        elif kind in ("start", "resize"):
            self._charge_switch(state.by_name[action.job], kind)

    def _charge_switch(self, job: Job, kind: str) -> None:
        """A job started after a preemption, or resized, pauses for its checkpoint-restart."""
        switch = take(job)
        if switch is not None and switch.total_s > 0:
            phase = Phase.RESIZE if kind == "resize" else Phase.RESTART
            self.pause_job(job, switch.total_s, phase, notify=False)

    def _after_change(self) -> None:
        """After any batch of changes: re-rate shared resources, record levels, re-arm time."""
        self.state.refresh_rates()
        self.state.sample_levels()
        if self.check:
            self.state.check_invariants()
        self._arm_timer()

    # -- services for subsystems (failures, power, fabric) ------------------------------
    def call_at(self, time_s: float, action: Callable[[], None]) -> None:
        """Run ``action`` at ``time_s`` as an event of its own, then settle the state."""

        def fire(_event: simpy.Event) -> None:
            self.state.now_s = self.env.now
            action()
            self._after_change()

        self.env.timeout(max(0.0, time_s - self.env.now)).callbacks.append(fire)

    def trigger(self, kind: str, job: str | None = None) -> None:
        """Tell the policy something happened (coalesced into one call per instant). Hardware
        coming and going while the facility is dark is not told: no job runs and none can
        start until the power is back (``power_restored`` calls the policy then, with the
        hardware as it is), and each such call placed and was refused every waiting job (QA:
        a supply typed in GW, with failures on, ran over 17 minutes without an end)."""
        if kind in HARDWARE and self.state.power_model.dark:
            return
        self._trigger(kind, job)

    def pause_job(self, job: Job, seconds: float, phase: Phase, *, notify: bool = True) -> None:
        """Pause a running job for ``seconds`` (it keeps its GPUs) and resume it after.

        If anything else changes the job meanwhile (it is preempted, fails again, finishes), its
        stamp moves on and the scheduled resume is ignored. ``notify=False`` resumes without a
        "resume" trigger: routine pauses (checkpoint writes) need no policy call, which would
        otherwise be every other event of a failure-heavy run.
        """
        self._resume_at(job, self.state.pause(job, seconds, phase), notify)

    def extend_pause(self, job: Job, until_s: float) -> None:
        """Move a paused job's resume to ``until_s``: a restart whose load must now come from
        further away (its in-memory copy went down while it restarted). The job is not touched:
        its rate stays 0, and what waits on its stamp (the end of a power hold) still holds."""
        job.pause_until_s = until_s
        self._resume_at(job, until_s, notify=True)

    def _resume_at(self, job: Job, until: float, notify: bool) -> None:
        """Resume the job at ``until`` unless it changed meanwhile or its pause was moved."""
        stamp = job.stamp

        def resume() -> None:
            if job.stamp == stamp and job.state is JobState.RUNNING and \
                    job.pause_until_s == until:
                self.state.resume(job)
                if notify:
                    self._trigger("resume", job.name)

        self.call_at(until, resume)

    # -- time ----------------------------------------------------------------------------
    def _arm_timer(self) -> None:
        """Make sure a timer fires at the next completion (an earlier stale one is harmless)."""
        t = self.state.clock.next_time()
        if t == float("inf") or t >= self._timer_at:
            return
        self._timer_gen += 1
        self._timer_at = t
        gen = self._timer_gen
        timeout = self.env.timeout(max(0.0, t - self.env.now))
        timeout.callbacks.append(lambda _e: self._on_timer(gen))

    def _on_timer(self, gen: int) -> None:
        if gen != self._timer_gen:
            return  # superseded by an earlier timer
        self._timer_at = float("inf")
        state = self.state
        state.now_s = self.env.now
        for job in state.clock.pop_due(self.env.now):
            state.complete(job)
            self._open -= 1
            self._trigger("completion", job.name)
        self._after_change()

    def _arrivals(self):
        jobs = sorted(self.state.jobs, key=lambda j: (j.config.submit_s, j.index))
        for submit_s, batch in groupby(jobs, key=lambda j: j.config.submit_s):
            if submit_s > self.env.now:
                yield self.env.timeout(submit_s - self.env.now)
            self.state.now_s = self.env.now
            for job in batch:
                job.state = JobState.PENDING
                job.since_s = self.env.now
                job.touch()
                self.views.active[job.index] = job
                self.state.log("submit", job)
                self._trigger("arrival", job.name)

    # -- run -----------------------------------------------------------------------------
    def run(self) -> RunOutput:
        env = self.env
        horizon = self.scenario.simulation.horizon_s
        self.state.sample_levels()
        env.process(self._arrivals())
        collect_if_owed()  # earlier runs' engines, garbage by now (``collector``)
        started = time.perf_counter()
        events = 0
        progress, look_at = self.progress, PROGRESS_SPAN_S
        with collector_relaxed():  # ~5% of a long run's CPU went to collections freeing nothing
            while self._open > 0 and env.peek() <= horizon:
                env.step()
                events += 1
                if progress is not None and (events % PROGRESS_EVERY == 0 or env.now >= look_at):
                    look_at = env.now + PROGRESS_SPAN_S
                    self._report_progress(env.now, events)
        # Cut at the horizon if anything was still to happen; a run that stalled ends when it did.
        end_s = horizon if self._open and env.peek() < float("inf") else env.now
        if self._open and end_s < horizon:
            end_s = self._stalled_at(end_s)
        self.state.now_s = end_s
        for job in self.state.jobs:
            if job.state is JobState.RUNNING or job.state is JobState.PENDING:
                job.advance(end_s)
        if self.check:
            self.state.check_invariants()
        if progress is not None:
            self._report_progress(end_s, events)
        owe(events)  # this engine is garbage once its output is dropped
        return RunOutput(self.state, self.state.record, events,
                         time.perf_counter() - started, end_s)

    def _report_progress(self, now_s: float, events: int) -> None:
        """Call ``progress`` with the time and the fraction of the work done, and the events
        so far when it counts them (``counts_events``: the stall guard's limits are in events,
        and calls come by time as well as every ``PROGRESS_EVERY`` events)."""
        if getattr(self.progress, "counts_events", False):
            self.progress(now_s, self._work_fraction(), events)
        else:
            self.progress(now_s, self._work_fraction())

    def _stalled_at(self, now_s: float) -> float:
        """When a stalled run (jobs left, nothing left to happen) last changed: its last event.
        Timers that outlived what they were for (a preempted job's completion, a policy's
        wake-up) still fire after that and change nothing, so ``now_s`` is too late: a run
        whose jobs were all preempted at 5,000 s read as ending at 61,240 s, when the first
        job would have finished. A job still running (at no progress) keeps ``now_s``."""
        events = self.state.record.events
        if not events or any(job.state is JobState.RUNNING for job in self.state.jobs):
            return now_s
        return min(now_s, events[-1].time_s)

    def _work_fraction(self) -> float:
        jobs = self.state.jobs
        total = sum(j.work_total for j in jobs)
        return sum(j.work_at(self.env.now) for j in jobs) / total if total else 1.0
