"""Warnings a valid scenario deserves before it runs: it loads and validates, but as written it
would waste the run. Each is a ``ColossimWarning`` (one ``warning:`` line on the command line),
not an error: a short horizon or an outage can be the point of a scenario."""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from colossim.config.messages import figure
from colossim.config.reliability import CheckpointMode, MemoryCopy
from colossim.config.schema import JobConfig, Scenario
from colossim.config.wording import and_more
from colossim.errors import ColossimWarning
from colossim.metrics.labels import plural, span_text

if TYPE_CHECKING:
    from colossim.config.power import PowerConfig
    from colossim.model.power import PowerModel


def warn_about(scenario: Scenario) -> None:
    """Every load-time warning of ``scenario``."""
    from colossim.ignored_inputs import warn_ignored_inputs
    from colossim.model.cluster import build_layout
    from colossim.model.power import PowerModel

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        power = PowerModel(build_layout(scenario), scenario.cluster.power)  # one for both
        finishes = _fastest_finishes(scenario)
        _warn_past_the_horizon(scenario, finishes)
        _warn_deadlines_out_of_reach(finishes)
        _warn_dark_supply(scenario, power)
        _warn_never_powered(scenario, power)
        _warn_supply_in_watts(scenario, power)
        _warn_cut_off(scenario)
        _warn_caps_below_the_floor(scenario, power)
        _warn_checkpoints_past_failures(scenario, finishes)
        _warn_no_checkpoints_before_cuts(scenario)
        _warn_writes_past_intervals(scenario, finishes)
        _warn_standby_trays(scenario)
        _warn_racks_under_repair(scenario)
        _warn_idle_power_settings(scenario)
        _warn_precision_peaks(scenario)
        warn_ignored_inputs(scenario)
    _warn_at_the_caller(caught)


def _warn_at_the_caller(caught: list[warnings.WarningMessage]) -> None:
    """Say each warning at the first line outside colossim's modules that led here (the user's
    ``load_scenario`` or ``simulate`` call): a fixed ``stacklevel`` pointed into colossim's
    own api.py, whichever way the load came (QA). Python 3.12's ``skip_file_prefixes`` does
    this; colossim supports 3.11."""
    level, frame = 1, sys._getframe(0)
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] == \
            "colossim":  # by module, not file: a package imported through a symlink (review)
        frame, level = frame.f_back, level + 1
    for item in caught:
        warnings.warn(item.message, item.category, stacklevel=level)


def _fastest_finishes(scenario: Scenario) -> list[tuple[JobConfig, float]]:
    """Each job that can run and the soonest it could finish: its work at its fastest (its
    fastest grant of up to max_gpus the cluster can give) from its submission."""
    from colossim.config.crosscheck import usable_of
    from colossim.model.speed import SpeedModel

    speed = SpeedModel(scenario)
    usable = usable_of(scenario)
    finishes = []
    for job in scenario.jobs:
        best = speed.fastest_rate(job, usable)  # mixed grants too, as the makespan bound
        if best > 0:  # else it cannot run at all: the fit check reports that
            finishes.append((job, job.submit_s + speed.work_flops(job) / best))
    return finishes


def _warn_past_the_horizon(scenario: Scenario,
                           finishes: list[tuple[JobConfig, float]]) -> None:
    """Warn of a job that cannot finish before ``simulation.horizon_s`` even at its fastest:
    usually a unit slip (tokens given one by one in ``tokens_billion``) that would simulate ten
    years of failures for nothing. A warning, not an error: a short horizon on purpose looks
    at the start of a run."""
    horizon = scenario.simulation.horizon_s
    late = [(job.name, finish_s, "submit_s" if job.submit_s >= horizon else _work_fields(job))
            for job, finish_s in finishes if finish_s > horizon]  # blame a late submission
    if not late:
        return
    what = _late_jobs(late, f"cannot finish before the horizon ({span_text(horizon)})")
    warnings.warn(ColossimWarning(f"{what}: check {late[0][2]} or raise simulation.horizon_s"),
                  stacklevel=3)


def _warn_deadlines_out_of_reach(finishes: list[tuple[JobConfig, float]]) -> None:
    """Warn of a deadline no schedule can meet: the job cannot finish by it even at its
    fastest from its submission. Often a unit slip (deadline_s is in seconds from the start:
    30 for a job of weeks), and such a job counts as missed in every policy's figures (QA)."""
    from colossim.model.jobs import meets_deadline

    late = [(job.name, finish_s, job.deadline_s) for job, finish_s in finishes
            if job.deadline_s is not None and not meets_deadline(finish_s, job.deadline_s)]
    if not late:
        return
    what = _late_jobs(late, f"cannot meet its deadline_s ({span_text(late[0][2])})",
                      "cannot meet their deadlines")
    warnings.warn(ColossimWarning(f"{what}: deadline_s is in seconds from the start of the "
                                  "run (a trace's: submit + deadline_factor x its duration)"),
                  stacklevel=3)


def _late_jobs(late: list[tuple[str, float, Any]], one: str, many: str | None = None) -> str:
    """The jobs that cannot make it, with the soonest each could finish: ``job X {one} even at
    its fastest (...)`` for one, ``N jobs {many} even at their fastest: three of them and how
    many more`` for more (a trace can have thousands: one line). ``many`` defaults to ``one``."""
    name, finish_s, _ = late[0]
    if len(late) == 1:
        return f"job {name} {one} even at its fastest ({span_text(finish_s)})"
    shown = and_more([f"{n} ({span_text(f)})" for n, f, _ in late], 3)
    return f"{len(late):,} jobs {many or one} even at their fastest: {shown}"


def _work_fields(job: JobConfig) -> str:
    """The fields that set a job's work, where a unit slip is likeliest."""
    if job.work_gpu_hours is not None:
        return "work_gpu_hours (or a trace's durations and duration_scale)"
    if job.samples_million is not None:
        return "samples_million and params_billion (in millions and billions)"
    return "tokens_billion and params_billion (both in billions)"


def _warn_dark_supply(scenario: Scenario, idle: PowerModel) -> None:
    """Warn when the supply, at the start or after its last change before the horizon, is
    below what the idle facility draws: the facility is dark and nothing can run, and the run
    only stalls. A dip or an outage that ends before the horizon, from the start or later, is a
    scenario's point, and is not warned of (QA: "no job can run; raise the last step" for a
    10-minute outage at the start)."""
    power = scenario.cluster.power
    idle_mw = idle.facility_mw(idle.idle_it_w)
    horizon_s = scenario.simulation.horizon_s
    ends = [0.0, *[at for at in power.breakpoints() if at < horizon_s][-1:]]
    if len(ends) > 1 and power.supply_at(ends[-1]) >= idle_mw * (1 - 1e-9):
        ends = []  # dark at the start only, and lit again before the horizon
    for at_s in ends:
        supply = power.supply_at(at_s)
        if supply < idle_mw * (1 - 1e-9):
            when = "at the start" if at_s == 0 else f"from {span_text(at_s)} on"
            fix = power.raise_to_power(at_s)
            warnings.warn(ColossimWarning(
                f"the supply {when} ({supply:.4g} MW) is below the idle facility's draw "
                f"({idle_mw:.4g} MW): the facility is dark and no job can run; {fix} or "
                "lower the idle draw"), stacklevel=3)
            return


def unpowerable(scenario: Scenario) -> str | None:
    """Why no job of ``scenario`` can ever run for want of power, or None: the facility is dark
    for the whole run (its idle draw above the run's highest supply), or the supply can power
    none of its jobs (``never_powered``). What a stalled run says instead of blaming its policy
    (QA: a supply typed in GW, failures on, was stopped as the policy's fault)."""
    from colossim.model.cluster import build_layout
    from colossim.model.power import PowerModel

    power = scenario.cluster.power
    model = PowerModel(build_layout(scenario), power)
    at_s, highest = power.highest_supply()
    idle = model.facility_mw(model.idle_it_w)
    if idle > highest * (1 + 1e-9):
        return (f"the facility is dark for the whole run: its supply (at most {highest:.4g} "
                f"MW) is below what it draws idle ({idle:.4g} MW), so no job can run; "
                f"{power.raise_to_power(at_s)} or lower the idle draw")
    found = never_powered(scenario, model)
    if scenario.jobs and len(found.jobs) == len(scenario.jobs):
        return (f"the supply (at most {found.highest_mw:.4g} MW) can power none of the jobs, "
                f"each alone on its fewest GPUs at the lowest clocks; {found.fix} or lower "
                "min_gpus")
    return None


def some_unpowered(scenario: Scenario) -> str | None:
    """Why a run of ``scenario`` may stop for good: some of its jobs the supply can never power
    (``never_powered``), and a policy that keeps them in line (strict fifo) waits behind them
    for ever; None if the supply can power every job. What a stalled run says when only some
    jobs are out of reach (QA: one unpowerable job, failures on, was stopped as fifo's fault)."""
    found = never_powered(scenario)
    if not found.jobs:
        return None
    _, supply = found.shown()
    return (f"the supply (at most {supply}) can never power {found.listed()}, alone on the "
            "fewest GPUs at the lowest clocks, so a policy that waits for them waits for ever; "
            f"{found.fix} or lower min_gpus")


def _share(mttfs: float) -> str:
    """e^-mttfs, the share of spans that many MTTFs long without a fault, in words: "only
    0.0%" said nothing of 200 MTTFs (QA), "about 1 in 7.23e+86" does."""
    share = math.exp(-mttfs)
    return f"only {share:.1%}" if share >= 1e-3 else f"about 1 in {figure(1 / share)}" \
        if share > 0 else "none"


def lost_to_faults(scenario: Scenario) -> str | None:
    """Why a job of ``scenario`` may never finish however it is scheduled, or None: it
    checkpoints too seldom, or never, for its rate of faults (``checkpoints_past_failures``),
    so each fault takes back what it did. What a stalled run says instead of blaming its
    policy (QA: ``interval_s: null`` under failures was stopped as fifo's fault)."""
    late = checkpoints_past_failures(scenario, _fastest_finishes(scenario))
    if not late:
        return None
    name, interval, mttf, _gpus, _span = late[0]
    what = ("never checkpoints (checkpoint.interval_s: null)" if math.isinf(interval) else
            f"checkpoints only every {figure(interval)} s")
    return (f"job {name} {what} and meets a fault every {figure(mttf)} s on average: each "
            "fault takes it back to its last checkpoint, so its work cannot stay done; give it "
            "a shorter interval (interval_s: auto gives Daly's optimum)")


WATTS_SLIP = 1e5  # a supply this many times the facility's full draw: watts, not megawatts?


def _warn_supply_in_watts(scenario: Scenario, power: PowerModel) -> None:
    """Warn of a supply so far above what the whole facility can draw at full power that it
    reads as watts typed for megawatts (700e6 for 700 MW ran as unlimited power, in silence:
    QA), as the horizon check catches tokens typed for billions of tokens."""
    _at_s, highest = scenario.cluster.power.highest_supply()
    full_mw = power.peak_mw({})
    if full_mw > 0 and highest > WATTS_SLIP * full_mw:
        warnings.warn(ColossimWarning(
            f"the supply ({highest:.4g} MW) is {figure(highest / full_mw)} times what the whole "
            f"facility draws at full power ({full_mw:.4g} MW): supply_mw is in megawatts (700 "
            "MW is 700, not 700e6); power never binds at this supply"), stacklevel=3)


@dataclass(frozen=True)
class Unpowered:
    """Jobs the supply can never power (``never_powered``): each with what the facility would
    need to start it (MW), the run's highest supply, and what to raise for more."""

    jobs: list[tuple[str, float]]
    highest_mw: float
    fix: str

    def shown(self, limit: int = 3) -> tuple[list[tuple[str, str]], str]:
        """The first ``limit`` jobs as (name, need), and the supply, each figure with as many
        digits as it takes to read apart from the supply (``engine.power.mw_apart``)."""
        from colossim.engine.power import mw_apart

        jobs = [(name, mw_apart(need, self.highest_mw)[0]) for name, need in self.jobs[:limit]]
        return jobs, mw_apart(self.jobs[0][1], self.highest_mw)[1]

    def listed(self, limit: int = 3) -> str:
        """The jobs as the load warning and ``colossim run``'s stall note both name them:
        ``a0 (0.18 MW), a1 (0.18 MW), a2 (0.18 MW) and 2 more``."""
        jobs, _ = self.shown(limit)
        more = f" and {len(self.jobs) - limit:,} more" if len(self.jobs) > limit else ""
        return ", ".join(f"{name} ({need})" for name, need in jobs) + more


def never_powered(scenario: Scenario, model: PowerModel | None = None) -> Unpowered:
    """The jobs the supply can never power. Such a job, alone on its fewest GPUs of the type
    that draws least (or, where the cluster mixes types, the cheapest mix), at the lowest
    clocks, with every other GPU idle, needs more than the run's highest supply: the engine
    refuses each start of it (``engine.power.refuse_grant``, the same sum), so it never runs. A
    dark facility (idle draw above the supply) is not counted here: nothing runs then."""
    from colossim.config.crosscheck import usable_of
    from colossim.model.cluster import build_layout
    from colossim.model.power import PowerModel

    power = scenario.cluster.power
    at_s, highest = power.highest_supply()
    none = Unpowered([], highest, power.raise_to_power(at_s))
    model = model or PowerModel(build_layout(scenario), power)
    if model.always_fits() or model.facility_mw(model.idle_it_w) > highest:
        return none
    layout = model.layout
    domains = {name: spec.gpus_per_domain for name, spec in zip(layout.gpu_types, layout.specs,
                                                                 strict=True)}
    usable = usable_of(scenario)
    mixed = scenario.cluster.mixed_gpu_types and len(usable) > 1
    needs: dict[tuple, float] = {}  # a trace has thousands of like jobs
    never: list[tuple[str, float]] = []
    for job in scenario.jobs:
        grants = []
        for name, count in usable.items():
            unit = job.allocation_unit(domains[name])
            gpus = -(-job.min_gpus // unit) * unit
            if gpus <= count:
                grants.append({name: gpus})
        if mixed:
            grants.append(_cheapest_mix(job, usable, domains, model))
        least = math.inf
        for grant in filter(None, grants):
            key = (tuple(grant.items()), model.comm(job))  # all start_mw reads of the job
            if key not in needs:
                needs[key] = model.start_mw(model.idle_it_w, job, grant)
            least = min(least, needs[key])
        if least < math.inf and not model.within_supply(least, highest):
            never.append((job.name, least))
    return Unpowered(never, highest, none.fix)


def _cheapest_mix(job: JobConfig, usable: dict[str, int], domains: dict[str, int],
                  model: PowerModel) -> dict[str, int] | None:
    """``min_gpus`` or more, in whole units, from the types that draw least per GPU first:
    on a cluster that mixes types a start can take some of each."""
    def per_gpu(name: str) -> float:
        return model.start_it_w(0.0, job, {name: 1})

    left, grant = job.min_gpus, {}
    for name in sorted(usable, key=per_gpu):
        unit = job.allocation_unit(domains[name])
        take = min(usable[name] // unit, -(-left // unit)) * unit
        if take > 0:
            grant[name] = take
            left -= take
        if left <= 0:
            return grant
    return None


def _warn_never_powered(scenario: Scenario, model: PowerModel) -> None:
    """Warn of the jobs the supply can never power (``never_powered``): every start is refused
    and a queue served in order stalls behind them with no word why (QA: a trace replay under
    a capped supply)."""
    found = never_powered(scenario, model)
    if not found.jobs:
        return
    jobs, supply = found.shown()
    if len(found.jobs) == 1:
        what = (f"job {jobs[0][0]} can never start: alone on its fewest GPUs at the lowest "
                f"clocks, the facility would need {jobs[0][1]}, and the supply is at most "
                f"{supply}")
    else:
        what = (f"{len(found.jobs):,} jobs can never start: alone on their fewest GPUs at the "
                f"lowest clocks, each needs more than the supply of at most {supply}: "
                f"{found.listed()}")
    warnings.warn(ColossimWarning(
        f"{what}; every start is refused and a queue served in order waits behind it: "
        f"{found.fix} or lower min_gpus"), stacklevel=3)


def _warn_cut_off(scenario: Scenario) -> None:
    """Warn of fabric events the run will not apply (the contention model is off, or no job
    has a traffic model). A tier cut off for good needs no warning: the jobs crossing it are
    interrupted and placed elsewhere (``engine.fabric_cut``)."""
    fabric = scenario.cluster.fabric
    if fabric.events and not fabric.contention:
        warnings.warn(ColossimWarning(
            f"cluster.fabric.events ({len(fabric.events)}) are ignored: they change link "
            "capacities over time, which only the contention model follows; set "
            "cluster.fabric.contention: true to apply them"), stacklevel=3)
        return
    if fabric.events and all(job.params_billion is None for job in scenario.jobs):
        warnings.warn(ColossimWarning(
            f"cluster.fabric.events ({len(fabric.events)}) are ignored: no job has a traffic "
            "model (params_billion), so none uses the fabric"), stacklevel=3)
        return


def _warn_caps_below_the_floor(scenario: Scenario, model: PowerModel) -> None:
    """Warn of a scenario cap below the lowest one a GPU type can honour (its draw at the
    lowest clock): the GPUs draw that floor instead, and the job crawls at the lowest clock. A
    policy's ``SetPowerCap`` that low is refused as invalid; a scenario's was taken silently."""
    power = scenario.cluster.power
    caps = [("cluster.power.gpu_cap_w", power.gpu_cap_w)]
    caps += [(f"cluster.power.jobs.{name}.cap_w", own.cap_w) for name, own in power.jobs.items()]
    caps = [(where, cap) for where, cap in caps if cap is not None]
    if not caps:
        return
    floors = {name: model.curve(name).floor_w for name in model.layout.gpu_types}
    for where, cap in caps:
        low = {name: floor for name, floor in floors.items() if cap < floor}
        if low:
            shown = ", ".join(f"{name} {floor:,.0f} W" for name, floor in low.items())
            warnings.warn(ColossimWarning(
                f"{where} ({cap:,.0f} W) is below what the GPUs draw at their lowest clock "
                f"({shown}): they draw that and run at the lowest clock"), stacklevel=3)



def _warn_no_checkpoints_before_cuts(scenario: Scenario) -> None:
    """Warn when scheduled interruptions (a fabric cut, a power outage) will roll jobs back to
    their start: with the failure model on and every failure class off, an ``auto`` interval
    (Young/Daly on an infinite MTTF) takes no checkpoint (QA: a cut at 1 h cost a job its first
    hour, and the table said "Faults by component: none")."""
    from colossim.model.reliability import failure_rate_per_gpu_s

    rel = scenario.reliability
    if not rel.enabled or failure_rate_per_gpu_s(rel) > 0:
        return
    auto = [job.name for job in scenario.jobs if job.checkpoint.interval_s == "auto"]
    cuts = [f"cluster.fabric.events[{i}]" for i, e in enumerate(scenario.cluster.fabric.events)
            if e.capacity_fraction <= 0] if scenario.cluster.fabric.contention else []
    outages = [f"cluster.power.events[{i}]" for i, e in enumerate(scenario.cluster.power.events)
               if e.kind == "outage"]
    if not auto or not cuts + outages:
        return
    names = and_more(auto, 3)
    warnings.warn(ColossimWarning(
        f"{', '.join((cuts + outages)[:2])} may interrupt jobs, but no failure class is on, so "
        f"the auto checkpoint interval of {names} takes no checkpoint: an interrupted job goes "
        "back to its start; give checkpoint.interval_s in seconds, or turn a failure class on"),
        stacklevel=3)


def _racks_by_type(scenario: Scenario) -> dict[str, tuple[int, int]]:
    """(racks, GPUs per rack) of each GPU type the cluster has racks of, spares included: the
    rack sizes the reliability warnings reason about (a 0-rack group counts for nothing)."""
    catalog = scenario.gpu_catalog()
    found: dict[str, tuple[int, int]] = {}
    for group in scenario.cluster.rack_groups:
        if group.racks:
            had = found.get(group.gpu_type, (0, 0))[0]
            found[group.gpu_type] = (had + group.racks, catalog[group.gpu_type].gpus_per_rack)
    return found


def _mttf_on_max_gpus(scenario: Scenario) -> Callable[[JobConfig], tuple[int, float]]:
    """(GPUs, mean time to failure in s) of a job on its max_gpus, or on the GPUs the cluster
    has if fewer, at the scenario's failure rates."""
    from colossim.config.crosscheck import usable_of
    from colossim.model.reliability import job_mttf_s

    cluster_gpus = sum(usable_of(scenario).values())
    sizes = {size for _, size in _racks_by_type(scenario).values()}
    tray = scenario.reliability.gpus_per_tray

    def mttf_of(job: JobConfig) -> tuple[int, float]:
        gpus = min(job.max_gpus, cluster_gpus)
        # rack and tray faults strike the whole rack or tray: at least the GPUs of the fewest
        # racks (trays) that hold the job's, on the rack size that needs fewest
        # (``job_failure_rate_s``); for a job of whole racks, its own GPUs
        racks = min((-(-gpus // size) * size for size in sizes), default=gpus)
        return gpus, job_mttf_s(scenario.reliability, gpus, racks,
                                min(racks, -(-gpus // tray) * tray))

    return mttf_of


def checkpoints_past_failures(scenario: Scenario, finishes: list[tuple[JobConfig, float]]
                              ) -> list[tuple[str, float, float, int, float]]:
    """The jobs whose checkpoint interval is several times their mean time to failure (on
    their max_gpus, or the GPUs the cluster has if fewer, at the scenario's rates), worst
    first: (name, interval s (inf: it never checkpoints), MTTF s, GPUs, the span that must pass
    without a fault: the interval, or the whole run at its fastest (``finishes``) if shorter).
    Only e^(-span/MTTF) of the spans end in a checkpoint, so such a job barely progresses."""
    if not scenario.reliability.enabled:
        return []
    mttf_of = _mttf_on_max_gpus(scenario)
    runs_s = {job.name: end - job.submit_s for job, end in finishes}
    late = []
    for job in scenario.jobs:
        interval = job.checkpoint.interval_s
        if interval is None:  # it never checkpoints: its whole run must pass without a fault
            interval = math.inf
        if isinstance(interval, int | float) and not isinstance(interval, bool):
            gpus, mttf = mttf_of(job)
            # an interval past the job's whole run never comes: each try of the run is what
            # must pass without a fault (review: a 10-day interval on a 0.7-day job)
            span = min(float(interval), runs_s.get(job.name, 0.0))
            if span > MTTFS_PER_INTERVAL * mttf:
                late.append((job.name, float(interval), mttf, gpus, span))
    return sorted(late, key=lambda one: -one[4] / one[2])


def _warn_checkpoints_past_failures(scenario: Scenario,
                                    finishes: list[tuple[JobConfig, float]]) -> None:
    """Warn of a checkpoint interval several times the job's mean time to failure, or none
    at all (``interval_s: null``) on a job whose run is: it barely progresses and the run goes
    on towards the horizon (an hourly checkpoint of the 10T job, interrupted every 13 minutes,
    would simulate years of failures). Not for a job that runs, at its fastest, for less than
    its MTTF: it likely sees no fault at all (QA: small's llm-70b, 0.7 days against a 14-day
    MTTF, was warned it might run until the horizon). A null interval was not warned of,
    where a 1e9 s one was, and the run then stopped blaming its policy (QA)."""
    late = checkpoints_past_failures(scenario, finishes)
    if not late:
        return
    name, interval, mttf, gpus, span = late[0]
    named = and_more([f"{n}: {'never' if math.isinf(i) else f'{i / m:,.1f}x'}"
                      for n, i, m, _, _ in late[1:]], 3)  # QA: unnamed
    more = f" (and {named})" if len(late) > 1 else ""
    tries = f"{_share(span / mttf)} of its tries end without a fault"
    if math.isinf(interval):
        head = (f"jobs.{name}.checkpoint.interval_s is null: the job never checkpoints, and "
                f"its whole run at its fastest ({figure(span)} s) is {span / mttf:,.1f}x its "
                f"mean time to failure ({figure(mttf)} s on {gpus:,} GPUs){more}: every fault "
                f"sends it back to the start, and {tries}")
    else:
        whole = (f", and longer than its whole run at its fastest ({figure(span)} s, "
                 f"{span / mttf:,.1f} MTTFs): it never checkpoints, and {tries}"
                 if span < interval
                 else f": {_share(span / mttf)} of its intervals end in a checkpoint")
        head = (f"jobs.{name}.checkpoint.interval_s ({figure(interval)} s) is "
                f"{interval / mttf:,.1f}x the job's mean time to failure ({figure(mttf)} s on "
                f"{gpus:,} GPUs){more}{whole}")
    warnings.warn(ColossimWarning(
        f"{head}, so it barely progresses and the run may last until the horizon; interval_s: "
        "auto gives Daly's optimum"), stacklevel=3)


def _warn_standby_trays(scenario: Scenario) -> None:
    """Warn of more standby trays per rack than a rack holds compute trays (QA: 100 passed as
    ok): the model keeps standby trays outside the rack's GPUs (docs/reliability.md), so any
    count runs, but no rack has room for more standbys than trays."""
    reliability = scenario.reliability
    standby = reliability.spares.trays_per_rack
    if not reliability.enabled or not standby:
        return
    sizes = {size for _, size in _racks_by_type(scenario).values()}
    if not sizes:
        return
    tray = reliability.gpus_per_tray
    largest = max(sizes)
    trays = -(-largest // tray)  # as the engine counts them: a last, smaller tray is one
    if standby > trays:  # more than even the largest rack holds (review: the smallest's)
        warnings.warn(ColossimWarning(
            f"reliability.spares.trays_per_rack ({standby:,}) is more standby trays than a rack "
            f"holds compute trays ({trays:,} of up to {tray} GPUs in a {largest}-GPU rack, the "
            "largest): the model adds standbys beside the rack's GPUs, so it runs, but no rack "
            "has room for them"), stacklevel=3)


def _warn_racks_under_repair(scenario: Scenario) -> None:
    """Warn of a job of whole racks (each one NVLink domain, as an NVL72) that, on every type
    it fits, has the racks it needs healthy less than half the time. Each rack is down a share
    x / (1 + x) of the time, x its faults per second times the mean repair, over the classes
    that take a rack from such a job (a rack fault; a GPU or tray fault too, unless standby
    trays stand in); the racks down at once are binomial. Such a job can rarely start or
    restart and may wait until the horizon (QA: 10T on 3,072 of 3,136 racks at twice the
    default rates, about 90 down, simulated ten years in 9 minutes with no word). At the
    default rates about 45 are down and 64 may be: healthy enough 99.8% of the time, no word;
    ``examples/hot_spares.yaml`` with 8 spares (ETTR 0.23) is warned of, with 12 (0.51) not."""
    from colossim.config.crosscheck import usable_of

    rel = scenario.reliability
    if not rel.enabled:
        return
    catalog = scenario.gpu_catalog()
    racks = _racks_by_type(scenario)
    usable = usable_of(scenario)
    processes = rel.processes()
    classes = ["rack", *(() if rel.spares.trays_per_rack else ("gpu", "tray"))]

    def down(name: str) -> float:
        """The share of the time a rack of ``name`` is down for a whole-rack job."""
        size = racks[name][1]
        x = sum(size * rel.rate_per_gpu_s(c) * processes[c].repair.mean_s for c in classes
                if processes[c].repair is not None)
        return x / (1.0 + x)

    for job in scenario.jobs:
        short = []
        for name, (count, size) in racks.items():
            need = -(-job.min_gpus // size)
            if need * size > usable.get(name, 0):
                continue  # it never fits this type: the fit check says so
            if catalog[name].gpus_per_domain != size or job.allocation_unit(size) < size:
                short = []  # part of a rack will do (an H100 rack's 8-GPU domains, or a job
                break  # of GPUs): one fault need not stop it (review)
            healthy = _binomial_cdf(count - need, count, down(name))  # P(at most that many down)
            if healthy >= HEALTHY_ENOUGH:
                short = []
                break
            short.append((name, need, count, healthy))
        if short:
            name, need, count, healthy = short[0]
            warnings.warn(ColossimWarning(
                f"job {job.name} needs {plural(need, 'whole rack')}, but at the failure rates "
                f"and repair times about {count * down(name):,.1f} of the {count:,} {name} racks "
                f"(spares included) are down at any time, and "
                f"{'one is' if need == 1 else f'{need:,} are'} healthy only {healthy:.0%} of "
                "the time: it can rarely start or restart, and may wait until the horizon; hold "
                "more spares, lower min_gpus, or shorten repairs"), stacklevel=3)


HEALTHY_ENOUGH = 0.5  # below this share of the time a whole-rack job's racks are not all there


def _binomial_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X binomial(n, p), summed in logs (thousands of racks underflow a plain
    product); 1 far above the mean. scipy.stats would cost every load its import."""
    if k < 0:
        return 0.0
    mean, spread = n * p, math.sqrt(n * p * (1.0 - p))
    if k >= n or p <= 0.0 or k > mean + 12 * spread + 12:
        return 1.0
    if p >= 1.0:
        return 0.0
    log_p, log_q = math.log(p), math.log1p(-p)
    total = sum(math.exp(math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
                         + i * log_p + (n - i) * log_q) for i in range(k + 1))
    return min(1.0, total)


MTTFS_PER_INTERVAL = 3.0  # an interval this many MTTFs long completes e^-3 = 5% of the time


def _warn_writes_past_intervals(scenario: Scenario,
                                finishes: list[tuple[JobConfig, float]]) -> None:
    """Warn of a job whose checkpoint cannot be written to storage within its fixed interval
    even with the whole storage bandwidth to itself (size / ``storage.write_tbytes_s``, or
    the job's own ``storage_gbytes_s`` cap): it would spend most of its time writing (QA: a
    60 s interval for a 1 PB checkpoint left the job unfinished at a 10-day horizon, silently).
    Jobs that keep copies in memory write to storage only every ``persist_every``-th time.
    Also the intervals far from the optimum on either side: ``_warn_short_intervals``,
    ``_warn_long_intervals``."""
    from colossim.model.reliability import checkpoint_bytes

    if not scenario.reliability.enabled:
        return
    storage = scenario.reliability.storage.write_tbytes_s * 1e12
    mttf_of = _mttf_on_max_gpus(scenario)
    slips: list[_Slip] = []
    lags: list[_Lag] = []
    runs_s = {job.name: end - job.submit_s for job, end in finishes}
    for job in scenario.jobs:
        cp = job.checkpoint
        interval = cp.interval_s
        if not isinstance(interval, int | float) or isinstance(interval, bool):
            continue  # auto or never: Daly's interval grows with the write
        if cp.in_memory is not MemoryCopy.NONE:
            continue
        bandwidth = min(storage, cp.storage_gbytes_s * 1e9 if cp.storage_gbytes_s else storage)
        size = checkpoint_bytes(job, job.max_gpus)
        write_s = size / bandwidth
        if write_s > interval:
            # async pauses only for its snapshots: its cost is writes back to back (QA: told
            # it would spend most of its time writing, it paused 12.7% of the time)
            cost = ("it would spend most of its time writing" if cp.mode is CheckpointMode.SYNC
                    else f"with mode: async it pauses only for its snapshots, but its writes "
                    f"run back to back, so it checkpoints every {figure(write_s)} s at best "
                    "and holds storage bandwidth all the time")
            warnings.warn(ColossimWarning(
                f"jobs.{job.name}.checkpoint.interval_s ({figure(interval)} s) is shorter "
                f"than writing one of its checkpoints takes at the very least "
                f"({figure(write_s)} s: {figure(size / 1e12)} TB "
                f"at {figure(bandwidth / 1e12)} TB/s): {cost}; interval_s: auto gives Daly's "
                "optimum"), stacklevel=3)
        elif cp.mode is CheckpointMode.SYNC:
            gpus, mttf = mttf_of(job)
            if slip := _slip(job.name, float(interval), write_s, mttf):
                slips.append(slip)
            elif lag := _lag(scenario, job.name, float(interval), (size, write_s),
                             (gpus, mttf), runs_s.get(job.name, 0.0)):
                lags.append(lag)
    _warn_short_intervals(slips)
    _warn_long_intervals(lags)


LONG_MATERIAL = 0.05  # an interval past Daly's optimum costing this much ETTR is warned of


@dataclass(frozen=True)
class _Lag:
    """A synchronous job's fixed interval well past Daly's optimum (``_warn_long_intervals``)."""

    name: str
    interval: float
    best: float  # Daly's optimum
    write_s: float
    mttf: float
    gpus: int
    ettr: float  # expected at the interval (Daly's full model)
    top: float  # the same at the optimum


def _lag(scenario: Scenario, name: str, interval: float, checkpoint: tuple[float, float],
         on: tuple[int, float], run_s: float) -> _Lag | None:
    """The job's ``_Lag`` when its interval is past Daly's optimum at a cost of at least
    ``LONG_MATERIAL`` of expected ETTR, else None. Not for an interval past 3 MTTFs (said by
    ``_warn_checkpoints_past_failures``) nor on a run shorter than two intervals (few
    checkpoints: the steady state the formula assumes never sets in)."""
    from colossim.model.reliability import daly_interval, expected_ettr

    (size, write_s), (gpus, mttf) = checkpoint, on
    if not math.isfinite(mttf) or interval > MTTFS_PER_INTERVAL * mttf or run_s < 2 * interval:
        return None
    best = daly_interval(write_s, mttf)
    if interval <= best:
        return None
    rel = scenario.reliability  # a restart: detection, relaunch and the read of the checkpoint
    restart = rel.detection_s + rel.restart_s + size / (rel.storage.read_tbytes_s * 1e12)
    ettr, top = (expected_ettr(t, write_s, restart, mttf) for t in (interval, best))
    return _Lag(name, interval, best, write_s, mttf, gpus, ettr, top) \
        if top - ettr >= LONG_MATERIAL else None


def _warn_long_intervals(lags: list[_Lag]) -> None:
    """Warn of synchronous jobs whose fixed interval is well past Daly's optimum: each fault
    loses half an interval of work on average (QA: checkpointing colossus2's jobs every 20
    minutes took its makespan from 43 to 70 days, and the 10T job's ETTR from 0.44 to 0.27,
    with no word, where an interval too short by as little was warned of). One warning, the
    worst first, the others named."""
    if not lags:
        return
    lags.sort(key=lambda one: one.ettr - one.top)
    first = lags[0]
    named = and_more([f"{one.name}: {100 * (one.top - one.ettr):.0f} points" for one in lags[1:]],
                     4)
    others = f" (and {named})" if named else ""
    warnings.warn(ColossimWarning(
        f"jobs.{first.name}.checkpoint.interval_s ({figure(first.interval)} s) is "
        f"{first.interval / first.best:,.1f}x Daly's optimum for the job ({figure(first.best)} "
        f"s, from its {figure(first.write_s)} s write and {figure(first.mttf)} s MTTF on "
        f"{first.gpus:,} GPUs): each fault loses half an interval of work on average, and its "
        f"expected ETTR is {first.ettr:.2f} against {first.top:.2f} at the optimum, "
        f"{100 * (first.top - first.ettr):.0f} points of its time{others}; interval_s: auto "
        "gives Daly's optimum"), stacklevel=3)


YOUNG_FRACTION = 0.1  # an interval below this share of Young's optimum is warned of ...
MATERIAL = 0.02  # ... when it costs at least 2 points of the job's time more than the optimum
MINUTES_AT_MOST = 120  # an interval suggested as minutes: a count a user would give in minutes


def _percent(share: float) -> str:
    """A share as a percentage to two figures (0.045%, 4.7%, 41%)."""
    return f"{100.0 * share:.2g}%"


@dataclass(frozen=True)
class _Slip:
    """A synchronous job's fixed interval far below Young's optimum (``_warn_short_intervals``)."""

    name: str
    interval: float
    write_s: float
    mttf: float

    @property
    def young(self) -> float:  # Young's optimum
        return math.sqrt(2.0 * self.write_s * self.mttf)

    @property
    def share(self) -> float:  # of its time spent writing
        return self.write_s / (self.interval + self.write_s)

    @property
    def best(self) -> float:  # the same at the optimum
        return self.write_s / (self.young + self.write_s)


def _slip(name: str, interval: float, write_s: float, mttf: float) -> _Slip | None:
    if not math.isfinite(mttf) or write_s <= 0.0:
        return None
    slip = _Slip(name, interval, write_s, mttf)
    if interval >= YOUNG_FRACTION * slip.young or slip.share - slip.best < MATERIAL:
        return None
    return slip


def _warn_short_intervals(slips: list[_Slip]) -> None:
    """Warn of synchronous jobs whose fixed interval is under a tenth of Young's optimum,
    sqrt(2 x write x MTTF), at a material cost: each pays write / (interval + write) of its
    time for checkpoints, where the optimum pays many times less (the minutes-as-seconds slip:
    ``interval_s: 20`` meant as twenty minutes had colossus2's 1.5T jobs write a third of the
    time, with no word). Its unit is suggested when the interval, at most 120, read as minutes
    lies nearer the optimum. One warning, the worst first, the others named."""
    if not slips:
        return
    slips.sort(key=lambda one: one.best - one.share)
    first = slips[0]
    interval, young = first.interval, first.young
    minutes = (f"; if {figure(interval)} was meant in minutes, that is "
               f"{figure(60.0 * interval)} s" if interval <= MINUTES_AT_MOST
               and abs(math.log(60.0 * interval / young)) < abs(math.log(interval / young))
               else "")
    named = and_more([f"{one.name}: {_percent(one.share)}" for one in slips[1:]], 4)
    others = f" (and {named})" if named else ""
    warnings.warn(ColossimWarning(
        f"jobs.{first.name}.checkpoint.interval_s ({figure(interval)} s) is under a tenth of "
        f"Young's optimum for the job ({figure(young)} s: sqrt(2 x its {figure(first.write_s)} "
        f"s write x its {figure(first.mttf)} s MTTF)): it would spend {_percent(first.share)} "
        f"of its time writing checkpoints{others}, against {_percent(first.best)} at its "
        f"optimum{minutes}; "
        "interval_s: auto gives Daly's optimum"), stacklevel=3)


def _warn_precision_peaks(scenario: Scenario) -> None:
    """Warn of a catalog entry whose FP8 peak is below its BF16 peak, or FP4 below FP8: a GPU
    runs lower-precision work no slower (one without FP8 units runs it at the BF16 rate,
    docs/hardware.md), and MFU, taken against the peak at the job's precision, read 80% against
    an efficiency of 70% (QA)."""
    for name, spec in scenario.catalog.items():
        pairs = [("fp8_tflops", spec.fp8_tflops, "bf16_tflops", spec.bf16_tflops)]
        if spec.fp4_tflops is not None:
            pairs.append(("fp4_tflops", spec.fp4_tflops, "fp8_tflops", spec.fp8_tflops))
        for low, low_v, high, high_v in pairs:
            if low_v < high_v:
                warnings.warn(ColossimWarning(
                    f"catalog.{name}.{low} ({figure(low_v)}) is below its {high} "
                    f"({figure(high_v)}): lower precision never runs slower, and MFU is taken "
                    f"against that peak; a GPU without such units runs the work at the higher "
                    f"precision's rate: give {low}: {figure(high_v)}"), stacklevel=3)


def _warn_idle_power_settings(scenario: Scenario) -> None:
    """Warn of power settings that cannot change the run, or do what their name says they do
    not, so a typo or a slip of unit does not pass for a finding: supply events after the
    horizon, a dip no lower than the supply it dips, a step_up no higher than the supply it
    steps from, a schedule step and a step_up at the same instant (the step_up wins), a battery
    that can neither charge nor discharge."""
    power, horizon = scenario.cluster.power, scenario.simulation.horizon_s
    said: list[str] = []
    for i, event in enumerate(power.events):
        where = f"cluster.power.events[{i}]"
        if event.start_s >= horizon:
            said.append(f"{where} starts at {figure(event.start_s)} s, after the horizon "
                        f"({span_text(horizon)}): it never happens")
        elif event.kind != "step_up" and event.level_mw >= (
                then := power.supply_at(event.start_s, firm=True)):
            said.append(f"{where} ({event.kind} to {event.level_mw:g} MW) is no lower than the "
                        f"supply then ({then:g} MW): it changes nothing")
        elif event.kind == "step_up" and (news := _step_up_news(power, i)) is not None:
            said.append(f"{where} (step_up to {event.level_mw:g} MW) {news}")
    steps = {step.at_s for step in power.schedule}
    for i, event in enumerate(power.events):
        if event.kind == "step_up" and event.start_s in steps:
            said.append(f"cluster.power.events[{i}] (step_up) and a schedule step are both at "
                        f"{event.start_s:g} s: the step_up's {event.level_mw:g} MW holds")
    battery = power.battery
    if battery is not None and battery.max_charge_mw == 0 and battery.max_discharge_mw == 0:
        said.append("cluster.power.battery can neither charge nor discharge (max_charge_mw and "
                    "max_discharge_mw are 0): it changes nothing")
    elif battery is not None and battery.max_charge_mw == 0 and battery.initial_soc == 0:
        said.append("cluster.power.battery starts empty (initial_soc 0) and cannot charge "
                    "(max_charge_mw 0): it never holds energy, so it changes nothing")
    said += _implausible_draws(scenario)
    for text in said:
        warnings.warn(ColossimWarning(text), stacklevel=3)


def _implausible_draws(scenario: Scenario) -> list[str]:
    """Power settings the run accepts but no facility has: GPUs that draw less computing
    than idle, generation that starts above the supply (clamped to it) (QA)."""
    power, catalog = scenario.cluster.power, scenario.gpu_catalog()
    said = []
    for name in dict.fromkeys(g.gpu_type for g in scenario.cluster.rack_groups):
        spec = catalog[name]
        busy_w = power.draw.compute * spec.tdp_w
        if busy_w < spec.idle_w:
            said.append(f"cluster.power.draw.compute ({power.draw.compute:g} x TDP = "
                        f"{figure(busy_w)} W on {name}) is below the GPU's idle draw "
                        f"({figure(spec.idle_w)} W): a busy GPU would draw less than an idle "
                        "one (compute is a fraction of TDP, not of the idle draw)")
    start = power.supply_at(0.0)
    if power.ramp.initial_mw is not None and power.ramp.initial_mw > start:
        said.append(f"cluster.power.ramp.initial_mw ({figure(power.ramp.initial_mw)} MW) is "
                    f"above the supply at the start ({figure(start)} MW): generation starts at "
                    "the supply")
    return said


def _step_up_news(power: PowerConfig, index: int) -> str | None:
    """What is wrong with ``power.events[index]``, a step_up, if it raises nothing: the supply
    it steps from (the firm supply then without it) is as high, or higher (a step down, which
    a schedule step says plainly), or ``facility_cap_mw`` holds it there."""
    event = power.events[index]
    later = [j for j, other in enumerate(power.events) if j > index
             and other.kind == "step_up" and other.start_s == event.start_s]
    if later:  # the last one given for an instant is the one in force (QA: it read "lowers")
        return (f"is overridden by events[{later[-1]}], a step_up at the same time: it changes "
                "nothing")
    others = power.events[:index] + power.events[index + 1:]
    before = power.model_copy(update={"events": others}).supply_at(event.start_s, firm=True)
    after = power.supply_at(event.start_s, firm=True)
    if after > before:
        return None
    if event.level_mw > before:
        return (f"is held to facility_cap_mw ({power.facility_cap_mw:g} MW), the supply "
                "already: it changes nothing")
    if event.level_mw == before:
        return f"is no higher than the supply then ({before:g} MW): it changes nothing"
    return (f"is below the supply then ({before:g} MW): it lowers the supply for good; a "
            "schedule step says so plainly")
