"""Facility power as a scenario describes it: supply over time, ramps, batteries, draw and caps.

The simple case stays simple: ``power: {supply_mw: 1000, pue: 1.1}`` is a constant supply, no
battery, generation that follows load at once, GPUs at TDP when busy (the first model's
arithmetic). Everything else is optional. ``docs/power.md`` gives the source of every default or
marks it as an assumption; the model that uses these numbers is ``colossim.model.power`` and the
engine subsystem is ``colossim.engine.power``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from pydantic import Field, field_validator, model_validator

from colossim.config.base import FieldValueError, Frozen

Issues = list[tuple[tuple[str | int, ...], str]]


class SupplyStep(Frozen):
    """From ``at_s`` on, the supply is ``supply_mw`` (until the next step)."""

    at_s: float = Field(ge=0, description="When the step happens, s from the start")
    supply_mw: float = Field(ge=0, description="Supply from then on, MW")


class SupplyEvent(Frozen):
    """A named change: a dip or outage for a while, or a permanent step up (or down).

    A ``dip`` or ``outage`` lowers the supply to ``supply_mw`` (an outage defaults to 0) from
    ``start_s`` for ``duration_s``; while it lasts the supply is the lower of the scheduled
    supply and the dip. A ``step_up`` sets the scheduled supply from ``start_s`` on.
    """

    kind: Literal["dip", "outage", "step_up"]
    start_s: float = Field(ge=0, description="When it starts, s from the start")
    duration_s: float | None = Field(None, gt=0, description="How long (dip, outage), s")
    supply_mw: float | None = Field(None, ge=0, description="Supply during (dip) or after, MW")
    name: str = Field("", description="Label for the record")

    @model_validator(mode="after")
    def _complete(self) -> SupplyEvent:
        if self.kind == "step_up":
            if self.duration_s is not None:
                raise FieldValueError("duration_s", "a step_up lasts for good; leave it out")
            if self.supply_mw is None:
                raise FieldValueError("supply_mw", "a step_up needs the new supply")
        elif self.duration_s is None:
            raise FieldValueError("duration_s", f"a {self.kind} needs a duration")
        elif self.kind == "dip" and self.supply_mw is None:
            raise FieldValueError("supply_mw", "a dip needs the supply during the dip")
        return self

    @property
    def level_mw(self) -> float:
        return self.supply_mw if self.supply_mw is not None else 0.0


class RampConfig(Frozen):
    """How fast generation follows load, and what covers a step it cannot follow.

    ``cover: battery``: the battery covers the gap while generation ramps; caps only when it
    cannot. ``cover: stagger``: jobs whose draw stepped up are held at rising caps (re-set every
    ``stage_s``) as generation ramps, and the battery is kept for what caps cannot cover.
    """

    limit_mw_per_min: float | None = Field(
        None, gt=0, description="Generation ramp-up limit, MW/min (None: follows load at once)"
    )
    cover: Literal["battery", "stagger"] = Field(
        "battery", description="What covers a step faster than the ramp: battery or stagger"
    )
    stage_s: float = Field(60.0, gt=0, description="Time between re-set caps while ramping, s")
    initial_mw: float | None = Field(
        None, ge=0, description="Generation online at t=0, MW (None: the idle facility's draw)"
    )


class BatteryConfig(Frozen):
    """Site energy storage. Round-trip losses are taken on charging (documented choice).

    It covers what generation cannot give *up to the firm supply* (the schedule without dips and
    outages): dips, outages and ramps. With ``peak_shaving`` it may also carry demand above the
    firm supply, until it runs dry.
    """

    capacity_mwh: float = Field(gt=0, description="Usable energy, MWh")
    max_charge_mw: float = Field(ge=0, description="Most power it can absorb, MW")
    max_discharge_mw: float = Field(ge=0, description="Most power it can deliver, MW")
    round_trip_efficiency: float = Field(
        0.9, gt=0, le=1, description="Energy out / energy in over a full cycle"
    )
    initial_soc: float = Field(1.0, ge=0, le=1, description="State of charge at t=0, fraction")
    peak_shaving: bool = Field(
        False, description="May it carry demand above the firm supply (not only dips and ramps)?"
    )


class DrawConfig(Frozen):
    """Per-GPU draw by job phase, as fractions of the GPU's TDP (idle GPUs: catalog idle_w).

    ``compute`` is the draw at full clocks while computing; 1.0 is nameplate (the first model).
    """

    compute: float = Field(1.0, gt=0, le=1.0, description="Computing at full clocks, of TDP")
    communication: float = Field(
        0.3, gt=0, le=1.0, description="Communication-bound part of a step, of TDP (assumption)"
    )
    checkpoint: float = Field(
        0.3, gt=0, le=1.0, description="Writing a checkpoint, of TDP (assumption)"
    )
    restart: float = Field(
        0.2, gt=0, le=1.0, description="Restarting or resizing (loading), of TDP (assumption)"
    )
    idle_overhead: float = Field(
        1.0, ge=0, le=1.0,
        description="Rack overhead (CPUs, NICs, switches, fans) drawn for GPUs no job holds, "
        "fraction of their share (1: overhead is constant; assumption)",
    )


class DvfsConfig(Frozen):
    """The power-cap curve: throughput ∝ clock f, dynamic power ∝ f·V² with V ∝ f above a knee."""

    min_clock: float = Field(
        0.5, gt=0, le=1, description="Lowest clock a cap may force, fraction of max (assumption)"
    )
    voltage_knee: float = Field(
        0.6, gt=0, le=1, description="Below this clock fraction the voltage stays at its floor"
    )


class JobPower(Frozen):
    """Per-job power settings."""

    cap_w: float | None = Field(None, gt=0, description="Power cap per GPU, W")
    comm_fraction: float | None = Field(
        None, ge=0, lt=1, description="Share of a step that is communication-bound"
    )


class TariffConfig(Frozen):
    """Energy price: one fixed price, or 24 hourly prices (hour 0 starts at t=0)."""

    usd_per_mwh: float | None = Field(None, ge=0, description="Fixed price, $/MWh")
    hourly_usd_per_mwh: tuple[float, ...] | None = Field(
        None, min_length=24, max_length=24, description="Time-of-day prices, $/MWh, 24 values"
    )

    @field_validator("hourly_usd_per_mwh", mode="before")
    @classmethod
    def _one_per_hour(cls, value: object) -> object:
        """One message for too few and too many (pydantic's bounds give two different ones)."""
        if isinstance(value, list | tuple) and len(value) != 24:
            raise ValueError(f"needs exactly 24 prices, one per hour of the day; got {len(value)}")
        return value

    @model_validator(mode="after")
    def _one_price(self) -> TariffConfig:
        if (self.usd_per_mwh is None) == (self.hourly_usd_per_mwh is None):
            raise ValueError("give usd_per_mwh or hourly_usd_per_mwh (one of them)")
        return self

    def price_at(self, time_s: float) -> float:
        if self.hourly_usd_per_mwh is None:
            return float(self.usd_per_mwh or 0.0)
        return self.hourly_usd_per_mwh[int(time_s // 3600) % 24]


class PowerConfig(Frozen):
    """Facility power: supply over time, PUE, generation ramps, batteries, draw model and caps."""

    supply_mw: float = Field(gt=0, description="Power available to the facility at t=0, MW")
    pue: float = Field(1.1, ge=1.0, le=3.0, description="Facility power / IT power (load part)")
    pue_fixed_mw: float = Field(
        0.0, ge=0, description="Facility overhead independent of load, MW (PUE = pue + fixed/IT)"
    )
    schedule: tuple[SupplyStep, ...] = Field((), description="Supply steps over time")
    events: tuple[SupplyEvent, ...] = Field((), description="Named dips, outages, step-ups")
    facility_cap_mw: float | None = Field(
        None, gt=0, description="Most the facility may take from the supply, whatever the "
        "supply (a contract or feeder limit); a peak-shaving battery may add to it, MW"
    )
    gpu_cap_w: float | None = Field(None, gt=0, description="Power cap on every GPU, W")
    ramp: RampConfig = RampConfig()
    battery: BatteryConfig | None = None
    draw: DrawConfig = DrawConfig()
    comm_fraction: float = Field(
        0.0, ge=0, lt=1, description="Share of a step that is communication-bound (every job)"
    )
    dvfs: DvfsConfig = DvfsConfig()
    jobs: dict[str, JobPower] = Field(default_factory=dict, description="Per-job settings")
    tariff: TariffConfig | None = None

    @model_validator(mode="after")
    def _ordered_schedule(self) -> PowerConfig:
        times = [s.at_s for s in self.schedule]
        late = next((i for i in range(1, len(times)) if times[i] <= times[i - 1]), None)
        if late is not None:  # blamed on the first step out of order, at its line
            raise FieldValueError(f"schedule.{late}.at_s", (
                f"{times[late]:g} s is not after the step before ({times[late - 1]:g} s): steps "
                "must be in strictly increasing at_s order"))
        return self

    def breakpoints(self) -> list[float]:
        """Times at which the supply may change (after t=0), sorted."""
        times = {s.at_s for s in self.schedule}
        for ev in self.events:
            times.add(ev.start_s)
            if ev.duration_s is not None:
                times.add(ev.start_s + ev.duration_s)
        return sorted(t for t in times if t > 0)

    def supply_levels(self) -> list[tuple[float, float]]:
        """(time, supply from then on) at t=0 and at each breakpoint: every level the supply
        takes in the run."""
        return [(t, self.supply_at(t)) for t in (0.0, *self.breakpoints())]

    def highest_supply(self) -> tuple[float, float]:
        """The run's highest supply level, MW, and when it first comes."""
        return max(self.supply_levels(), key=lambda level: level[1])

    def raise_to_power(self, time_s: float) -> str:
        """What to raise for more supply at ``time_s``: the cap when it binds, else
        ``supply_mw`` when no schedule step or event changed it by then, else those."""
        supply = self.supply_at(time_s)
        if self.facility_cap_mw is not None and supply >= self.facility_cap_mw:
            return "raise cluster.power.facility_cap_mw"
        if supply == min(self.supply_mw, self.facility_cap_mw or math.inf) \
                and not any(step.at_s <= time_s for step in self.schedule):
            return "raise cluster.power.supply_mw"
        return "raise the last step of cluster.power.schedule or events"

    def supply_at(self, time_s: float, firm: bool = False) -> float:
        """Supply in force at ``time_s``: scheduled steps and step-ups, lowered by active dips
        and outages (unless ``firm``), and never above ``facility_cap_mw``."""
        steps = [(s.at_s, s.supply_mw) for s in self.schedule]
        steps += [(e.start_s, e.level_mw) for e in self.events if e.kind == "step_up"]
        base = self.supply_mw
        for at_s, level in sorted(steps, key=lambda s: s[0]):
            if at_s <= time_s:
                base = level
        for ev in () if firm else self.events:
            if ev.kind != "step_up" and ev.start_s <= time_s < ev.start_s + (ev.duration_s or 0):
                base = min(base, ev.level_mw)
        if self.facility_cap_mw is not None:
            base = min(base, self.facility_cap_mw)
        return base


def power_problems(power: PowerConfig, job_names: Sequence[str]) -> Issues:
    """Checks that need the jobs: per-job settings name jobs that exist.

    Paths are relative to ``cluster.power``; ``crosscheck`` prefixes them.
    """
    from colossim.config.crosscheck import did_you_mean

    issues: Issues = []
    for name in power.jobs:
        if name not in job_names:
            msg = f"no job named {name!r}" + did_you_mean(name, job_names)
            issues.append((("jobs", name), msg))
    return issues
