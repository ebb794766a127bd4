"""Stop a test run that has stopped making progress, instead of simulating to the horizon.

A policy that never starts a job but keeps asking to be woken (``WakeAt(now + 60)``) makes the
engine simulate every wake-up until the horizon (3.15e8 s, about ten years, by default: minutes
and gigabytes), and one that wakes at ``now + 1e-9`` never reaches it. ``StallGuard`` watches
the engine's progress callback (every ``PROGRESS_EVERY`` events and at least once per simulated
day: the time, the fraction of all work done and the events so far) and stops the run when,
after the last job has arrived, the fraction has not moved for

- ``STALL_EVENTS`` events spanning at least ``STALL_SPAN_S`` of simulated time (a poller),
- ``STALL_EVENTS`` events within ``BURST_SPAN_S`` (a wake-up that barely moves the clock),
- ``MAX_STALL_EVENTS`` events whatever time they span (any other rate of idle wake-ups), or
- ``QUIET_SPAN_S`` of simulated time however few events, counted from the last change the
  scenario schedules (an arrival, a supply step or event, a maintenance window, a fabric fault):
  a small cluster with failures on has a few faults a month, and a job the supply can never
  power stalled it for the ten years to the horizon, reported as a run (QA), or
- at its second look, when all the work is done but that of jobs the supply can never power
  (``load_warnings.unpowered.never_powered``: the engine refuses every start of them) and
  nothing the scenario schedules is left to come: on Colossus 2 at 510 MW (6t and 10t never
  powered) the guard's 100,000 events took over ten minutes of re-placing them (QA). The first
  look may be the engine's last, of a run with nothing left to happen, which ends by itself.

Work that moves does not help a run whose clock crawls: a policy that starts its jobs and asks to
be woken at ``now + 1e-6`` moves them a microsecond per event, ~1e11 events to finish (QA: it
never ended). So ``STALL_EVENTS`` events within ``BURST_SPAN_S`` after the last arrival (and
``MAX_STALL_EVENTS`` before it, where a trace's arrivals may bunch) stop the run too, work
moving or not.

A healthy run meets none: before the last arrival the guard does not count (jobs that arrive
late are waited for), and a legitimate wait (a repair, a power outage) ends long before it has
seen 100,000 events and 30 days without any job running, or a million events, or a year after
everything the scenario schedules. The callback only
reads, and a call at the horizon (the engine's last, of a run that finished) never stops a run,
so a run that finishes gives the same result with the guard as without it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from colossim.engine.simulation import PROGRESS_EVERY

if TYPE_CHECKING:
    from colossim.config.schema import Scenario

Progress = Callable[[float, float], None]  # the engine's callback: (time, fraction of work done)

STALL_EVENTS = 100_000
STALL_SPAN_S = 30 * 86_400.0
BURST_SPAN_S = 1.0
MAX_STALL_EVENTS = 1_000_000
QUIET_SPAN_S = 365 * 86_400.0
REACHED = 1e-12  # of the total work: the powerable share is done (sums differ in their order)


class Stalled(Exception):
    """Raised from inside the engine to stop the run; the runner turns it into a failure."""


@dataclass
class StallGuard:
    """The engine's ``progress`` callback; raises ``Stalled`` once the run is stuck."""

    last_arrival_s: float
    horizon_s: float
    scheduled_until_s: float = 0.0  # the scenario's last scheduled change (``guard_for``)
    reachable: float = 1.0  # the share of the work the supply can power (``guard_for``)
    counts_events = True  # the engine then passes its count of events (``_report_progress``)
    _fraction: float = field(default=0.0, init=False)  # no work is done at t=0
    _since_s: float = field(default=0.0, init=False)
    _seen: int = field(default=0, init=False)  # events up to the engine's last call
    _since_seen: int = field(default=0, init=False)  # ... up to ``_since_s``
    _checked_s: float = field(default=0.0, init=False)  # when the engine last called
    # between which two calls the work last moved (None: it never did)
    _moved: tuple[float, float] | None = field(default=None, init=False)
    # the clock's crawl: events counted since it last moved BURST_SPAN_S, work moving or not
    _crawl_since_s: float = field(default=0.0, init=False)
    _crawl_seen: int = field(default=0, init=False)
    _crawl_fraction: float = field(default=0.0, init=False)
    _crawl_arrived: bool = field(default=False, init=False)  # counting after the last arrival
    # when only the work of jobs the supply can never power was first seen left (None: not)
    _unpowerable_since: float | None = field(default=None, init=False)

    def __call__(self, now_s: float, fraction: float, events: int | None = None) -> None:
        """``events``: the run's events so far (without it, each call counts
        ``PROGRESS_EVERY``, as the engine's calls by count are spaced)."""
        seen = self._seen + PROGRESS_EVERY if events is None else events
        if fraction != self._fraction:
            self._moved = (self._checked_s, now_s)
        self._checked_s = now_s
        if now_s < self.last_arrival_s or fraction != self._fraction:
            self._fraction, self._since_s, self._since_seen = fraction, now_s, seen
        # decided on the events counted up to the last call: the engine's last call (at the
        # run's end) may follow fewer than PROGRESS_EVERY events and must not tip a finished
        # run over
        elif self._stuck(now_s) and now_s < self.horizon_s:
            raise Stalled(self._why(now_s))
        if not self._only_unpowerable_left(now_s, fraction):
            self._unpowerable_since = None
        elif self._unpowerable_since is None:  # the engine's last call may be this one, at the
            self._unpowerable_since = now_s  # end of a run with nothing left to happen: such a
            # run ends by itself, with its note (review), so only a later look stops it
        elif now_s > self._unpowerable_since:
            raise Stalled(f"by t={now_s:,.6g} s all the work the supply can power was done "
                          f"({fraction:.2%} of the total); the rest is jobs it can never power, "
                          "and nothing the scenario schedules is left to change that")
        self._crawl(now_s, fraction, seen)
        self._seen = seen

    @property
    def _events(self) -> int:
        """Events without progress, counted up to the engine's last call."""
        return self._seen - self._since_seen

    def _crawl(self, now_s: float, fraction: float, seen: int) -> None:
        """Stop a run whose clock has moved less than ``BURST_SPAN_S`` in ``STALL_EVENTS``
        events (``MAX_STALL_EVENTS`` before the last arrival), whatever the work did. Events
        before the last arrival count against the larger limit only (a window that spans it
        starts afresh there), and a run whose work is all done is never stopped (the engine's
        last call comes when it finished: review)."""
        arrived = now_s >= self.last_arrival_s
        if now_s - self._crawl_since_s >= BURST_SPAN_S or arrived != self._crawl_arrived:
            self._crawl_since_s, self._crawl_seen = now_s, seen
            self._crawl_fraction, self._crawl_arrived = fraction, arrived
            return
        limit = STALL_EVENTS if arrived else MAX_STALL_EVENTS
        crawled = self._seen - self._crawl_seen  # up to the last call, as ``_events``
        if crawled >= limit and now_s < self.horizon_s and fraction < 1.0:
            raise Stalled(
                f"the clock moved only {now_s - self._crawl_since_s:.3g} s in "
                f"{crawled:,} events from t={self._crawl_since_s:,.6g} s (the work "
                f"moved by {fraction - self._crawl_fraction:.3g} of the total, {fraction:.2%} "
                "done): events come faster than anything in the run can change, as when a "
                "policy asks to be woken at now plus a sliver (WakeAt(now + 1e-6)); ask for the "
                "next time something can change")

    def _only_unpowerable_left(self, now_s: float, fraction: float) -> bool:
        """Is all the work done but that of jobs the supply can never power, with every job
        arrived and nothing scheduled to come (a supply step up)? No schedule can move the run
        then. The shares are sums in another order than the engine's: equal within REACHED."""
        return (self.reachable < 1.0 and fraction < 1.0 and now_s < self.horizon_s
                and now_s >= max(self.last_arrival_s, self.scheduled_until_s)
                and fraction >= self.reachable - REACHED)

    def _stuck(self, now_s: float) -> bool:
        span = now_s - self._since_s
        long_or_burst = span >= STALL_SPAN_S or span < BURST_SPAN_S
        return self._events >= MAX_STALL_EVENTS or (
            self._events >= STALL_EVENTS and long_or_burst) or self._quiet(now_s)

    def _quiet(self, now_s: float) -> bool:
        """A year without progress after the last change the scenario schedules."""
        return now_s - max(self._since_s, self.scheduled_until_s) >= QUIET_SPAN_S

    def _why(self, now_s: float) -> str:
        """Why the run stopped. The engine calls every ``PROGRESS_EVERY`` events, so when the
        work last moved is known only between two calls: said as such (it read as a precise
        time, 56,000 s after the work stopped: QA)."""
        moved = ("no work had moved since the start" if self._moved is None else
                 f"the work last moved between t={self._moved[0]:,.6g} s and "
                 f"t={self._moved[1]:,.6g} s, looked at every {PROGRESS_EVERY:,} events")
        days = f", {(now_s - self._since_s) / 86_400:,.0f} days," if self._quiet(now_s) else ""
        return (f"no job progressed or completed in {self._events:,} events from "
                f"t={self._since_s:,.6g} s to t={now_s:,.6g} s{days} ({moved}; all jobs had "
                "arrived "
                f"by t={self.last_arrival_s:,.6g} s, {self._fraction:.2%} of the work done): "
                "they waited unstarted, held GPUs without computing (resized or preempted "
                "again before the checkpoint-restart each costs was over), or lost their work "
                "to faults as fast as they did it")


def guard_for(scenario: Scenario) -> StallGuard:
    """A guard that counts only once every job of ``scenario`` has arrived, and measures a
    quiet year only from the last change the scenario schedules."""
    last = max((job.submit_s for job in scenario.jobs), default=0.0)
    return StallGuard(last_arrival_s=last, horizon_s=scenario.simulation.horizon_s,
                      scheduled_until_s=last_scheduled_s(scenario),
                      reachable=powerable_share(scenario))


def powerable_share(scenario: Scenario) -> float:
    """The share of the scenario's work (FLOPs, as the engine counts its progress) in jobs the
    supply can power at some time; 1.0 when it can power them all."""
    from colossim.load_warnings.unpowered import never_powered
    from colossim.model.speed import SpeedModel

    never = {name for name, _ in never_powered(scenario).jobs}
    if not never:
        return 1.0
    speed = SpeedModel(scenario)
    work = {job.name: speed.work_flops(job) for job in scenario.jobs}
    total = sum(work.values())
    return sum(w for name, w in work.items() if name not in never) / total if total else 1.0


def last_scheduled_s(scenario: Scenario) -> float:
    """When the last change the scenario schedules happens: an arrival, a supply step or
    event (its end), a maintenance window's end, a fabric fault (its end). A legitimate wait
    for one of them (a long outage) is never taken for a stall."""
    times = [job.submit_s for job in scenario.jobs]
    times += scenario.cluster.power.breakpoints()
    times += [w.start_s + w.duration_s for w in scenario.reliability.maintenance]
    times += [f.time_s + (f.duration_s or 0.0) for f in scenario.cluster.fabric.events]
    return max(times, default=0.0)


def watched(progress: Progress | None, guard: StallGuard | None) -> Progress | None:
    """One progress callback that feeds both (a progress bar and the guard), or either."""
    if progress is None or guard is None:
        return progress or guard

    def both(now_s: float, fraction: float, events: int | None = None) -> None:
        progress(now_s, fraction)
        guard(now_s, fraction, events)

    both.counts_events = True  # type: ignore[attr-defined]
    return both


def _starved(policy: str, scenario: str, stalled: Stalled, way_out: str,
             cause: str | None = None) -> str:
    """What a stopped run says: the policy, the scenario, why, and how to let it run on.
    ``cause``: a reason no policy could help (the supply), said instead of the policy's part."""
    blame = (f"{cause[:1].upper()}{cause[1:]}" if cause else
             "A policy must eventually let the jobs it is given compute: start them, and not "
             "move them faster than a move's pause")
    return (f"starved: policy {policy!r} on scenario {scenario!r}: {stalled}, so the run was "
            f"stopped instead of simulated to its horizon. {blame}; {way_out} to let such a "
            "run go on (docs/testing.md)")


class failing_as:  # noqa: N801 (used as a function: ``with failing_as(...)``)
    """Turn a run the guard stopped into ``error`` with ``starved``'s message: a failed test
    for ``run_policy``, a policy failure for ``run`` and ``compare``. A class, not a generator:
    pytest showed ``contextlib``'s own lines (``raise RuntimeError("generator didn't stop")``)
    as the failing code (QA)."""

    def __init__(self, error: type[Exception], policy: str, scenario: Scenario, way_out: str):
        self.error, self.policy, self.scenario, self.way_out = error, policy, scenario, way_out

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 _traceback: Any) -> bool:
        __tracebackhide__ = True
        if isinstance(value, Stalled):
            from colossim.load_warnings.racks import rarely_whole
            from colossim.load_warnings.reliability import lost_to_faults
            from colossim.load_warnings.unpowered import some_unpowered, unpowerable

            cause = unpowerable(self.scenario) or lost_to_faults(self.scenario) \
                or rarely_whole(self.scenario) or some_unpowered(self.scenario)
            raise self.error(_starved(self.policy, self.scenario.name, value, self.way_out,
                                      cause)) from None
        return False
