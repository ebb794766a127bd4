"""Power figures from the record: pure functions of the level series and events.

Series the power subsystem (``engine.power``) records: ``power_mw`` (facility draw, exact step
function), ``it_power_mw``, ``supply_mw``, ``gpus_throttled``, per job ``job_power_mw.<job>``
(its GPUs and their rack overhead share, times PUE) and ``job_throttled_gpus.<job>``; with a
battery ``battery_mwh``/``battery_soc`` (values at every breakpoint: exact there, monotone in
between, so the minimum is exact) and ``battery_mw``/``generation_mw`` (at breakpoints; they
ramp linearly in between).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from typing import Any

from colossim.config.power import TariffConfig
from colossim.engine.record import Record, StepSeries
from colossim.metrics.result import JobResult, PowerResult
from colossim.metrics.series import integral, linear_integral

HOUR = 3600.0


def time_positive(series: StepSeries, start_s: float, end_s: float) -> float:
    """Seconds of [start_s, end_s] during which the level is above zero."""
    total = 0.0
    times, values = series.times, series.values
    for i, (t, v) in enumerate(zip(times, values, strict=True)):
        t_next = times[i + 1] if i + 1 < len(times) else end_s
        lo, hi = max(t, start_s), min(t_next, end_s)
        if v > 0 and hi > lo:
            total += hi - lo
    return total


def max_step(series: StepSeries, end_s: float, before: float | None = None) -> float:
    """Largest change of the level at one instant (its net change, up or down); ``before``,
    the level before the first instant (an idle facility: the jobs that start at t = 0 make
    the series' first value, and that step counts too)."""
    values = [v for t, v in zip(series.times, series.values, strict=True) if t <= end_s]
    if before is not None:
        values.insert(0, before)
    return max((abs(b - a) for a, b in zip(values, values[1:], strict=False)), default=0.0)


def _dark_from_start(record: Record) -> bool:
    """Was the facility dark at t = 0 (the supply below its idle draw)? Then it drew nothing
    before it either, and there was no step from the idle draw down to 0."""
    for event in record.events:  # in time order: only the first instant's are read
        if event.time_s > 0.0:
            return False
        if event.kind == "power_dark":
            return True
    return False


CRUMB = 1e-9  # a level this close to 0 is 0: the float sums of a battery run dry leave 1e-12


def minimum(series: StepSeries | None, end_s: float) -> float | None:
    if series is None or not series.values:
        return None
    low = min(v for t, v in zip(series.times, series.values, strict=True) if t <= end_s)
    return 0.0 if abs(low) < CRUMB else low


def energy_cost_usd(power: StepSeries, end_s: float, tariff: TariffConfig | None,
                    battery: StepSeries | None = None) -> float | None:
    """∫ MW bought from the grid × price dt: the facility's draw, plus what charges the battery,
    less what it gives back (``battery``: ``battery_mw``, + discharge, − charge; QA: the draw
    alone billed a battery's charge as free and its discharge as bought). The price changes on
    the hour with a time-of-day tariff: each hour is priced on its own, except a stretch of
    ``CALM_HOURS`` or more with no point of either series in it, which is priced at once
    (``_calm_cost``): hour by hour, a run that ended after centuries of simulated time took
    minutes here (code review: 107 s for one of 1,900 years), when its cost should grow with
    its events, as the run's does."""
    if tariff is None:
        return None

    def bought_mwh(lo: float, hi: float) -> float:
        stored = 0.0 if battery is None else linear_integral(battery, lo, hi)
        return (integral(power, lo, hi) - stored) / HOUR

    prices = tariff.hourly_usd_per_mwh
    if prices is None:
        return bought_mwh(0.0, end_s) * tariff.price_at(0.0)
    points = [power.times] + ([] if battery is None else [battery.times])
    cost, hour = 0.0, 0
    while hour * HOUR < end_s:
        lo = hour * HOUR
        calm = int(min(end_s, _next_point(points, lo)) // HOUR) - hour  # whole hours
        if calm >= CALM_HOURS:
            first, second = bought_mwh(lo, lo + HOUR), bought_mwh(lo + HOUR, lo + 2 * HOUR)
            cost += _calm_cost(prices, hour, calm, first, second - first)
            hour += calm
            continue
        hi = min((hour + 1) * HOUR, end_s)
        cost += bought_mwh(lo, hi) * prices[hour % 24]
        hour += 1
    return cost


CALM_HOURS = 48  # a stretch with no point in it this long or longer is priced at once


def _next_point(points: list[list[float]], after_s: float) -> float:
    """The first time after ``after_s`` at which a series has a point (inf if none)."""
    found = math.inf
    for times in points:
        k = bisect_right(times, after_s)
        if k < len(times) and times[k] < found:
            found = times[k]
    return found


def _calm_cost(prices: tuple[float, ...], hour: int, hours: int, first: float,
               step: float) -> float:
    """The cost of ``hours`` whole hours from hour ``hour`` over which the MW bought move
    linearly (no point of either series inside: the draw holds, the battery ramps): ``first``
    MWh in the first hour, ``step`` MWh more in each next one. Hour j (from 0) buys
    ``first + step·j`` MWh at the price of its hour of the day; the hours of one hour of the
    day, j = r, r + 24, ..., are summed in closed form, so the cost takes 24 terms however
    long the stretch."""
    cost = 0.0
    for r in range(min(24, hours)):
        count = (hours - 1 - r) // 24 + 1  # j = r + 24m for m < count
        mwh = count * (first + step * r) + step * 24 * count * (count - 1) / 2
        cost += prices[(hour + r) % 24] * mwh
    return cost


def cluster_power(record: Record, end_s: float, tariff: TariffConfig | None = None,
                  idle_mw: float | None = None) -> PowerResult:
    """``idle_mw``: the facility's draw with nothing running, its level before t = 0."""
    series = record.series
    empty = StepSeries()
    throttled = series.get("gpus_throttled", empty)
    return PowerResult(
        supply_min_mw=minimum(series.get("supply_mw"), end_s),
        battery_min_soc=minimum(series.get("battery_soc"), end_s),
        battery_min_mwh=minimum(series.get("battery_mwh"), end_s),
        throttled_gpu_hours=integral(throttled, 0.0, end_s) / HOUR,
        time_at_cap_s=time_positive(throttled, 0.0, end_s),
        deficit_events=sum(1 for e in record.events if e.kind == "power_deficit"),
        power_preemptions=sum(1 for e in record.events
                              if e.kind == "preempt" and (e.data or {}).get("reason") == "power"),
        power_holds=sum(1 for e in record.events if e.kind == "power_hold"),
        max_step_mw=max_step(series.get("power_mw", empty), end_s,
                             0.0 if _dark_from_start(record) else idle_mw),
        it_energy_mwh=integral(series.get("it_power_mw", empty), 0.0, end_s) / HOUR,
        energy_cost_usd=energy_cost_usd(series.get("power_mw", empty), end_s, tariff,
                                        series.get("battery_mw")),
    )


def power_fields(jobs: tuple[JobResult, ...], record: Record, end_s: float
                 ) -> list[dict[str, Any]]:
    """Each job's energy (MWh) and time at cap, from its own series."""
    empty = StepSeries()
    out: list[dict[str, Any]] = []
    for job in jobs:
        draw = record.series.get(f"job_power_mw.{job.name}", empty)
        capped = record.series.get(f"job_throttled_gpus.{job.name}", empty)
        out.append({"energy_mwh": integral(draw, 0.0, end_s) / HOUR,
                    "time_at_cap_s": time_positive(capped, 0.0, end_s)})
    return out
