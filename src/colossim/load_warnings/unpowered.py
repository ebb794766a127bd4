"""Jobs the supply can never power: load warnings for a dark facility and for jobs whose every
start the engine would refuse, and the same findings as sentences for a stalled run
(``unpowerable``, ``some_unpowered``: the test runner's guard; ``never_powered``: ``colossim
run``'s note), so a run that waits for power is not blamed on its policy."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from colossim.config.schema import JobConfig, Scenario
from colossim.errors import ColossimWarning
from colossim.metrics.labels import span_text

if TYPE_CHECKING:
    from colossim.model.power import PowerModel


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


def warn_dark_supply(scenario: Scenario, idle: PowerModel) -> None:
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


def warn_never_powered(scenario: Scenario, model: PowerModel) -> None:
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
