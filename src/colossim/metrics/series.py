"""Pure functions over piecewise-constant series: integrals, time-weighted means, peaks."""

from __future__ import annotations

from colossim.engine.record import StepSeries


def integral(series: StepSeries, start_s: float, end_s: float) -> float:
    """∫ level dt over [start_s, end_s] (level before the first point counts as 0)."""
    total = 0.0
    times, values = series.times, series.values
    for i, (t, v) in enumerate(zip(times, values, strict=True)):
        t_next = times[i + 1] if i + 1 < len(times) else end_s
        lo, hi = max(t, start_s), min(t_next, end_s)
        if hi > lo:
            total += v * (hi - lo)
    return total


def time_mean(series: StepSeries, start_s: float, end_s: float) -> float:
    if end_s <= start_s:
        return series.values[-1] if series.values else 0.0
    return integral(series, start_s, end_s) / (end_s - start_s)


def peak(series: StepSeries, start_s: float, end_s: float) -> float:
    """Highest level in force at any moment of [start_s, end_s]."""
    best = 0.0
    times, values = series.times, series.values
    for i, (t, v) in enumerate(zip(times, values, strict=True)):
        t_next = times[i + 1] if i + 1 < len(times) else float("inf")
        if t <= end_s and t_next > start_s:
            best = max(best, v)
    return best
