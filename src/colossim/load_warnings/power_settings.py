"""Load warnings for power settings the run accepts but that cannot be what was meant: a supply
in watts typed for megawatts, caps below the lowest clock's draw, events and batteries that
change nothing, draws no facility has. Each would otherwise pass for a finding."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from colossim.config.messages import figure
from colossim.config.schema import Scenario
from colossim.errors import ColossimWarning
from colossim.metrics.labels import span_text

if TYPE_CHECKING:
    from colossim.config.power import PowerConfig
    from colossim.model.power import PowerModel


WATTS_SLIP = 1e5  # a supply this many times the facility's full draw: watts, not megawatts?
KILOWATT_CAP_W = 10.0  # a per-GPU cap below this is no GPU's: kilowatts typed for watts?
KILOWATTS_SLIP = 300.0  # ... this many times, and past 10 GW, more than any site: kilowatts
LARGEST_SITE_MW = 10_000.0  # (1 GW typed 1,000,000: QA)? A small cluster given 700 MW is not


def warn_supply_in_watts(scenario: Scenario, power: PowerModel) -> None:
    """Warn of a supply so far above what the whole facility can draw at full power that it
    reads as watts typed for megawatts (700e6 for 700 MW ran as unlimited power, in silence:
    QA), as the horizon check catches tokens typed for billions of tokens."""
    _at_s, highest = scenario.cluster.power.highest_supply()
    full_mw = power.peak_mw({})
    if full_mw <= 0 or highest <= KILOWATTS_SLIP * full_mw or (
            highest <= WATTS_SLIP * full_mw and highest <= LARGEST_SITE_MW):
        return
    example = "700 MW is 700, not 700e6" if highest > WATTS_SLIP * full_mw else \
        "1 GW is 1000, not 1,000,000 (kW)"
    warnings.warn(ColossimWarning(
        f"the supply ({highest:.4g} MW) is {figure(highest / full_mw)} times what the whole "
        f"facility draws at full power ({full_mw:.4g} MW): supply_mw is in megawatts ({example}); "
        "power never binds at this supply"), stacklevel=3)


def warn_caps_below_the_floor(scenario: Scenario, model: PowerModel) -> None:
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
            # QA: 0.96 (960 W typed in kW) was said as "1 W", with no word of the unit
            slip = (f"; {where.rpartition('.')[2]} is in watts per GPU (960 W is 960, not "
                    f"0.96)" if cap < KILOWATT_CAP_W else "")
            warnings.warn(ColossimWarning(
                f"{where} ({figure(cap)} W) is below what the GPUs draw at their lowest clock "
                f"({shown}): they draw that and run at the lowest clock{slip}"), stacklevel=3)


def warn_idle_power_settings(scenario: Scenario) -> None:
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


PHASES = ("compute", "communication", "checkpoint", "restart")  # a busy GPU's draws, of TDP


def _implausible_draws(scenario: Scenario) -> list[str]:
    """Power settings the run accepts but no facility has: GPUs that draw less computing
    than idle, generation that starts above the supply (clamped to it) (QA)."""
    power, catalog = scenario.cluster.power, scenario.gpu_catalog()
    said = []
    draw = power.draw
    for phase in PHASES:  # QA: only compute was checked; communication at 0.05 went by
        share = getattr(draw, phase)
        for name in dict.fromkeys(g.gpu_type for g in scenario.cluster.rack_groups):
            spec = catalog[name]
            busy_w = share * spec.tdp_w
            if busy_w < spec.idle_w:
                said.append(f"cluster.power.draw.{phase} ({share:g} x TDP = "
                            f"{figure(busy_w)} W on {name}) is below the GPU's idle draw "
                            f"({figure(spec.idle_w)} W): a busy GPU would draw less than an "
                            f"idle one ({phase} is a fraction of TDP, not of the idle draw)")
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
    without = power.model_copy(update={"events": others})
    before = without.supply_at(event.start_s, firm=True)
    after = power.supply_at(event.start_s, firm=True)
    if after > before:
        if any(power.supply_at(t) != without.supply_at(t)
               for t in (event.start_s, *power.breakpoints()) if t >= event.start_s):
            return None
        # QA: a step_up inside a dip that a schedule step replaced before the dip ended
        return ("is never in force: dips or outages hold the supply below it until a later "
                "schedule step or step_up replaces it (they set the supply in time order): it "
                "changes nothing")
    if event.level_mw > before:
        return (f"is held to facility_cap_mw ({power.facility_cap_mw:g} MW), the supply "
                "already: it changes nothing")
    if event.level_mw == before:
        return f"is no higher than the supply then ({before:g} MW): it changes nothing"
    return (f"is below the supply then ({before:g} MW): it lowers the supply for good; a "
            "schedule step says so plainly")
