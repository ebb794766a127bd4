"""Pure functions over piecewise-constant series (integrals, time-weighted means, peaks), and the
integral of a sampled, piecewise-linear one (``StepSeries.sample``)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from colossim.engine.record import StepSeries


def _within(times: list[float], start_s: float, end_s: float) -> tuple[int, int]:
    """The points whose stretch can meet [start_s, end_s]: from the last at or before
    ``start_s`` (its level holds at the start) to the first at or after ``end_s`` (excluded).
    The others add nothing; found by bisection, so an hourly tariff's ~1,000 integrals over a
    Colossus-2 series of ~100,000 points no longer walk all of it each hour (~30 s)."""
    first = max(bisect_right(times, start_s) - 1, 0)
    return first, bisect_left(times, end_s, lo=first)


def integral(series: StepSeries, start_s: float, end_s: float) -> float:
    """∫ level dt over [start_s, end_s] (level before the first point counts as 0).

    One pass over (time, next time, level) triples of the points that meet the span
    (``_within``), with ``max``/``min`` written as comparisons that pick the same operand: a
    failure-heavy run's series hold hundreds of thousands of points, and the sum keeps its
    order (so its rounding)."""
    times, values = series.times, series.values
    if not times:
        return 0.0
    first, last = _within(times, start_s, end_s)
    nexts = times[first + 1 : last + 1]
    if last == len(times):
        nexts.append(end_s)
    total = 0.0
    for t, t_next, v in zip(times[first:last], nexts, values[first:last], strict=True):
        lo = start_s if start_s > t else t  # max(t, start_s)
        hi = end_s if end_s < t_next else t_next  # min(t_next, end_s)
        if hi > lo:
            total += v * (hi - lo)
    return total


def linear_integral(series: StepSeries, start_s: float, end_s: float) -> float:
    """∫ level dt over [start_s, end_s] of a level recorded by ``StepSeries.sample``: linear
    between samples (a jump is two samples at one instant, a stretch of no width), 0 before
    the first, the last value after the last."""
    times, values = series.times, series.values
    if not times:
        return 0.0
    first, last = _within(times, start_s, end_s)
    points = list(zip(times[first : last + 1], values[first : last + 1], strict=True))
    if last >= len(times) - 1:  # the last value holds on past the last sample
        points.append((max(end_s, times[-1]), values[-1]))
    total = 0.0
    for (t0, v0), (t1, v1) in zip(points, points[1:], strict=False):
        lo, hi = max(t0, start_s), min(t1, end_s)
        if hi > lo:
            slope = (v1 - v0) / (t1 - t0)
            total += (v0 + slope * ((lo + hi) / 2 - t0)) * (hi - lo)  # the mid-point's value
    return total


def time_mean(series: StepSeries, start_s: float, end_s: float) -> float:
    if end_s <= start_s:
        return series.values[-1] if series.values else 0.0
    return integral(series, start_s, end_s) / (end_s - start_s)


def peak(series: StepSeries, start_s: float, end_s: float) -> float:
    """Highest level in force at any moment of [start_s, end_s]."""
    times, values = series.times, series.values
    if not times:
        return 0.0
    nexts = times[1:]
    nexts.append(float("inf"))
    best = 0.0
    for t, t_next, v in zip(times, nexts, values, strict=True):
        if t <= end_s and t_next > start_s and v > best:
            best = v
    return best
