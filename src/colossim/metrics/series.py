"""Pure functions over piecewise-constant series (integrals, time-weighted means, peaks), and the
integral of a sampled, piecewise-linear one (``StepSeries.sample``)."""

from __future__ import annotations

from colossim.engine.record import StepSeries


def integral(series: StepSeries, start_s: float, end_s: float) -> float:
    """∫ level dt over [start_s, end_s] (level before the first point counts as 0).

    One pass over (time, next time, level) triples, with ``max``/``min`` written as
    comparisons that pick the same operand: a failure-heavy run's series hold hundreds of
    thousands of points, and the sum keeps its order (so its rounding)."""
    times, values = series.times, series.values
    if not times:
        return 0.0
    nexts = times[1:]
    nexts.append(end_s)
    total = 0.0
    for t, t_next, v in zip(times, nexts, values, strict=True):
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
    points = list(zip(times, values, strict=True))
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
