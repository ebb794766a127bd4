"""Load warnings about what a fixed checkpoint interval costs: shorter than one write takes, far
below Young's optimum (often minutes typed as seconds), or far past Daly's. A job spends its
time writing, or loses much work to each fault, with no other word."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

from colossim.config.messages import figure
from colossim.config.reliability import CheckpointMode, MemoryCopy
from colossim.config.schema import JobConfig, Scenario
from colossim.config.wording import and_more
from colossim.errors import ColossimWarning
from colossim.load_warnings.reliability import MTTFS_PER_INTERVAL, mttf_on_max_gpus


def warn_writes_past_intervals(scenario: Scenario,
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
    mttf_of = mttf_on_max_gpus(scenario)
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
    ``reliability.warn_checkpoints_past_failures``) nor on a run shorter than two intervals (few
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
