"""The mutable model of one run, without SimPy: jobs, the ledger, rates, and the record.

``simulation.py`` drives time; this module owns what changes at an instant, so the same code
serves the event loop and hand-written tests.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Callable, Mapping
from itertools import compress
from operator import attrgetter, lt
from typing import Protocol

from colossim.config.schema import JobConfig, Scenario
from colossim.engine.fluid import FluidClock
from colossim.engine.record import Event, Record
from colossim.model.cluster import (
    Grant,
    Ledger,
    allocation_unit,
    build_layout,
    gpus_by_type,
    gpus_of,
    grant_gpus,
    rack_of,
)
from colossim.model.jobs import Job, JobState, Phase
from colossim.model.parallelism import Span
from colossim.model.power import PowerModel
from colossim.model.power_book import DRAW, DrawBook, find
from colossim.model.speed import SpeedModel, describe_estimate, plan_share

RateFn = Callable[[JobConfig, dict[str, int]], float]
_INDEX = attrgetter("index")


class RateModifier(Protocol):
    """A shared resource that slows running jobs (fabric contention, power caps).

    ``factors`` returns, for running jobs it slows, a factor in (0, 1]; jobs it leaves out run
    at full speed as far as it is concerned. Factors of all modifiers multiply. It is asked
    again after every change, so a factor only changes at events (the fluid model).
    """

    def factors(self, state: RunState) -> Mapping[int, float]: ...


# How often a settle asks the modifiers at most: again only when a later one touched a job
# after an earlier one answered (``RunState._ask_modifiers``); a third ask would follow only a
# second touch at the same instant, which the last ask's answers then stand for.
ASKS = 3


class RunState:
    """Jobs, racks and the record of a run at the current instant."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.catalog = scenario.gpu_catalog()
        self.layout = build_layout(scenario)
        self.ledger = Ledger(self.layout)
        self.record = Record()
        self.speed = SpeedModel(scenario)
        self.jobs = [
            Job(index=i, config=cfg, work_total=self.speed.work_flops(cfg))
            for i, cfg in enumerate(scenario.jobs)
        ]
        self.by_name = {job.name: job for job in self.jobs}
        self._watchers: list[set[int]] = []  # one list shared by every job (Job.touch)
        for job in self.jobs:
            job.watchers = self._watchers
        self._running: set[int] = set()  # indices of RUNNING jobs (run_on adds, stop removes)
        self._running_list: list[Job] = []  # the same, as jobs in index order (a new list
        # at every change: callers may hold the one they got, and caches key on its identity)
        self.clock = FluidClock(self.jobs)
        self.rate_fn: RateFn = self.speed.estimate_rate
        self._last_rate: tuple[Job | None, Grant, float] = (None, (), 0.0)  # rate_for's memo
        self.now_s = 0.0
        self.call_decisions = 0  # decisions recorded before the policy call being applied
        self.modifiers: list[RateModifier] = []
        self._slowed: set[int] = set()  # jobs the last refresh left with a factor below 1
        self._asked_touched: set[int] | None = None  # jobs a modifier touched (refresh_rates)
        self.usable_gpus = int(self.layout.capacity[~self.layout.spare].sum())
        self.power_model = PowerModel(self.layout, scenario.cluster.power)
        self.power_book = self.power_model.book = DrawBook(self.power_model, self.jobs,
                                                           self.watch())
        # Plain lists for per-rack lookups in loops over grants (numpy scalar indexing is slow,
        # and a failure-heavy run re-places grants of thousands of racks many times).
        self._rack_type_name = [self.layout.gpu_types[t] for t in self.layout.rack_type.tolist()]
        self._rack_pod = self.layout.rack_pod.tolist()
        self.rack_domain = [self.layout.specs[t].gpus_per_domain
                            for t in self.layout.rack_type.tolist()]
        self.rack_capacity: list[int] = self.layout.capacity.tolist()

    def watch(self) -> set[int]:
        """A set that collects the index of every job touched from now on (its stamp moved):
        the owner empties it as it catches up, so per-event work follows what changed."""
        touched: set[int] = set()
        self._watchers.append(touched)
        return touched

    # -- queries -------------------------------------------------------------------------
    def gpus_by_type(self, grant: Grant) -> dict[str, int]:
        return gpus_by_type(grant, self._rack_type_name)  # type: ignore[return-value]

    def span_of(self, grant: Grant) -> Span:
        """How many racks and pods a grant touches, and the GPUs of its least-filled rack when
        under a domain (the performance model's placement input)."""
        racks, gpus = list(map(rack_of, grant)), list(map(gpus_of, grant))
        pods = set(map(self._rack_pod.__getitem__, racks))
        short = map(lt, gpus, map(self.rack_domain.__getitem__, racks))  # under a domain
        fewest = min(compress(gpus, short), default=0)
        return Span(racks=max(1, len(grant)), pods=max(1, len(pods)),
                    fewest=fewest if len(grant) > 1 else 0, gpus=sum(gpus))

    def rate_for(self, job: Job, grant: Grant) -> float:
        """Full-speed FLOP/s of ``job`` on ``grant`` (0 if it does not fit in memory there).

        The last answer is kept: a start asks twice for the same grant (checked, then run on),
        and the speed model's own cache hashes the job's whole configuration each time."""
        last = self._last_rate
        if last[0] is job and last[1] == grant:
            return last[2]
        rate = self.speed.rate_of(job.config, self.gpus_by_type(grant), self.span_of(grant))
        self._last_rate = (job, grant, rate)
        return rate

    def unit_on_rack(self, job: Job, rack: int) -> int:
        return allocation_unit(job.config, self.rack_domain[rack])

    def busy_gpus(self) -> int:
        return self.ledger.busy_gpus()

    def power_mw(self) -> float:
        """Facility power now (``model.power``): it depends on each running job's phase, caps
        and clock limits, so the model caches each job's draw on those (this runs after every
        event)."""
        model = self.power_model
        return 0.0 if model.dark else model.facility_mw(self.power_book.it_w(self.running_jobs(),
                                                                             DRAW))

    def running_jobs(self) -> list[Job]:
        """The running jobs in index order, kept as jobs start and stop: the per-event work
        (re-rating, power) must not walk a 15,000-job trace to find the few hundred running."""
        return self._running_list

    # -- changes -------------------------------------------------------------------------
    def log(self, kind: str, job: Job | None = None, **data) -> None:
        self.record.events.append(
            Event(self.now_s, kind, job.name if job else None, data or None)
        )

    def set_rate(self, job: Job, changed: bool = False) -> None:
        """Fold progress so far, then apply the job's current effective rate.

        ``changed`` says the caller altered the job (phase, grant), so its stamp must move and
        its finish time be re-noted even if the rate happens to be the same.
        """
        rate = job.effective_rate()
        if rate == job.rate and not changed:
            return
        job.advance(self.now_s)
        job.rate = rate
        job.touch()
        self.clock.update(job)

    def run_on(self, job: Job, grant: Grant) -> None:
        """Set a job running on an allocated grant at the rate the model gives it."""
        job.advance(self.now_s)
        job.grant = grant
        job.gpus = grant_gpus(grant)
        job.base_rate = self.rate_for(job, grant)
        job.plan_share = 1.0
        if not self.speed.linear(job.config):  # a linear-model job has no plan to describe
            details = describe_estimate(self.speed, job.config, self.gpus_by_type(grant),
                                        self.span_of(grant))
            if details is not None:
                self.log("perf", job, **details)
                job.plan_share = plan_share(job.config, details["plan"], job.gpus)
        job.state = JobState.RUNNING
        if job.index not in self._running:
            self._running.add(job.index)
            running = self._running_list.copy()
            insort(running, job, key=_INDEX)
            self._running_list = running
        self.set_rate(job, changed=True)

    def pause(self, job: Job, seconds: float, phase: Phase) -> float:
        """Hold a running job's GPUs without progress (checkpoint, restart, resize) until a time.

        Returns the time it resumes; the event loop calls ``resume`` then.
        """
        job.phase = phase
        job.pause_until_s = self.now_s + seconds
        self.set_rate(job, changed=True)
        self.log("pause", job, phase=phase.value, seconds=seconds)
        return job.pause_until_s

    def resume(self, job: Job) -> None:
        job.phase = Phase.COMPUTE
        job.pause_until_s = None
        self.set_rate(job, changed=True)
        self.log("resume", job)

    def refresh_rates(self) -> None:
        """Re-ask every shared-resource modifier and re-rate the running jobs it affects.

        Only a job some modifier slows now, or one the last refresh left slowed, can have a new
        combined factor; every other running job keeps a factor of 1, and whoever changed it
        otherwise (start, pause, resume) re-rated it then. So only those few are visited, not
        every running job at every event."""
        if not self.modifiers:
            return
        for _ in range(ASKS):
            before = self._running_list  # a modifier may stop jobs (power preempts); the
            # list is replaced, never changed, so this is who ran before they were asked
            combined, stale = self._ask_modifiers(before)
            if not stale:
                break
        slowed = set()
        for index in sorted(self._slowed.union(combined)):
            if find(before, index) is None:
                continue
            job = self.jobs[index]
            job.factor = factor = combined.get(index, 1.0)
            self.set_rate(job)
            if factor != 1.0:
                slowed.add(index)
        self._slowed = slowed

    def _ask_modifiers(self, before: list[Job]) -> tuple[dict[int, float], bool]:
        """Each modifier's factors, multiplied per running job; and whether a modifier touched
        a job (stopped, paused or held it: the power fallback does) after an earlier one had
        answered, which then answered for a state that is gone: asked again, the fabric frees
        a preempted job's links and the power model prices its neighbours' waits anew (review:
        after a power preemption the fallback capped a job at its old, contended draw)."""
        touched = self._asked_touched
        if touched is None:
            touched = self._asked_touched = self.watch()
        combined: dict[int, float] = {}
        stale = False
        for k, modifier in enumerate(self.modifiers):
            touched.clear()
            for index, factor in modifier.factors(self).items():
                if find(before, index) is not None:  # it may speak of jobs that do not run
                    combined[index] = combined.get(index, 1.0) * factor
            stale = stale or (k > 0 and bool(touched))
        touched.clear()
        return combined, stale

    def stop(self, job: Job, state: JobState) -> None:
        """Take a job off its GPUs, keeping its progress."""
        job.advance(self.now_s)
        self.ledger.release(job.index)
        job.grant, job.gpus, job.rate, job.base_rate = (), 0, 0.0, 0.0
        job.phase, job.pause_until_s, job.factor, job.plan_share = Phase.COMPUTE, None, 1.0, 1.0
        job.state = state
        if job.index in self._running:
            self._running.discard(job.index)
            running = self._running_list.copy()
            del running[find(running, job.index)]
            self._running_list = running
        job.touch()

    def complete(self, job: Job) -> None:
        job.advance(self.now_s)
        job.work_done = job.work_total  # rounding crumbs only: pop_due checked the time
        self.stop(job, JobState.COMPLETED)
        job.end_s = self.now_s
        self.log("complete", job)

    def sample_levels(self) -> None:
        """Append the current GPU and power levels to their series."""
        self.record.level("gpus_busy").set(self.now_s, float(self.busy_gpus()))
        self.record.level("power_mw").set(self.now_s, self.power_mw())

    def check_invariants(self) -> None:
        from colossim.engine.invariants import check_state

        check_state(self)
