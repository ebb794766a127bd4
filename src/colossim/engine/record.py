"""The append-only record of a run: events, decisions with verdicts, and level series.

Everything reported afterwards is derived from this record by pure functions (``metrics``), so a
result can always be explained by the events behind it.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Event:
    time_s: float
    kind: str  # submit, start, resize, preempt, reject, complete, wake
    job: str | None = None
    data: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """One action a policy returned and what the engine made of it."""

    time_s: float
    action: dict[str, Any]
    verdict: str
    reason: str = ""


@dataclass(slots=True)
class StepSeries:
    """A piecewise-constant level: ``values[i]`` holds from ``times[i]`` to ``times[i+1]``."""

    times: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)

    def at(self, time_s: float, before: float | None = 0.0) -> float | None:
        """The level at ``time_s`` (the last set at or before it); ``before`` its first."""
        i = bisect_right(self.times, time_s) - 1
        return self.values[i] if i >= 0 else before

    def set(self, time_s: float, value: float) -> None:
        """Record the level from ``time_s`` on; same-instant updates keep only the last.

        Written for its most frequent case (over a million calls in a failure-heavy run): a
        later instant at the same value, which changes nothing."""
        values = self.values
        if not values:
            self.times.append(time_s)
            values.append(value)
            return
        times = self.times
        if times[-1] == time_s:
            values[-1] = value
            if len(values) > 1 and values[-2] == value:
                times.pop()
                values.pop()
        elif values[-1] != value:
            times.append(time_s)
            values.append(value)

    def sample(self, time_s: float, value: float) -> None:
        """Record a sample of a level that varies linearly between samples (a battery's
        charge, generation while it ramps): unlike ``set`` a repeated value is kept, since it
        marks where a flat stretch ends and a slope begins; a third equal value in a row moves
        the flat stretch's end instead of adding a point, so a level that does not change stays
        two points however often it is sampled. A jump is two samples at one instant (the
        value before, then after); a later one at that instant replaces the second."""
        times, values = self.times, self.values
        value += 0.0  # -0.0 (a battery idle after charging) is 0.0
        if times and time_s < times[-1]:  # a piece's end one float step past the next start
            time_s = times[-1]
        if times and times[-1] == time_s:
            if len(times) > 1 and times[-2] == time_s:
                values[-1] = value
            elif values[-1] != value:
                times.append(time_s)
                values.append(value)
        elif len(values) > 1 and values[-1] == value == values[-2]:
            times[-1] = time_s
        else:
            times.append(time_s)
            values.append(value)


@dataclass
class Record:
    events: list[Event] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    series: dict[str, StepSeries] = field(default_factory=dict)
    decide_calls: int = 0
    # the machine's time in the policy's decide calls (not the run's: never in a result's
    # figures, which must repeat): their sum and the longest, for the run table
    policy_wall_s: float = field(default=0.0, compare=False)
    slowest_decide_s: float = field(default=0.0, compare=False)

    def level(self, name: str) -> StepSeries:
        """The named level series, created empty on first use (not via ``setdefault``, which
        would build a throw-away series on each of the ~500,000 calls of a long run)."""
        series = self.series.get(name)
        if series is None:
            series = self.series[name] = StepSeries()
        return series
