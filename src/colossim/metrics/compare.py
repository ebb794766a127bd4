"""What ``colossim compare`` reports for each run, and its mean and 95% confidence interval.

Pure functions of a ``RunResult`` (plus each job's ideal time). Definitions:

- **makespan ratio**: makespan / ``makespan_lower_bound_s`` (>= 1; 1 is unbeatable).
- **JCT**: completion minus submission time, over completed jobs; mean and 95th percentile
  (linear interpolation between order statistics).
- **queueing delay**: first start minus submission, over jobs that started.
- **time queued**: all the time a job spent pending, to its end (or the run's end): its first
  wait, and every wait after a preemption or a failure took its GPUs; the mean over all jobs. A
  preemptive policy starts jobs at once (a short queueing delay) and may then keep them queued.
- **slowdown** of a completed job: JCT / ideal time, where the ideal time is its work at its
  fastest allowed speed (``max_gpus`` on its best GPU type, from the start). >= 1; 1 means it
  never waited and always ran at full size.
- **Jain's fairness index** over slowdowns x_i: (sum x)^2 / (n sum x^2) (Jain, Chiu and Hawe,
  DEC-TR-301, 1984): 1 when every job is slowed down equally, 1/n when one job takes it all.
- **throttled GPU-hours**: GPU time the facility's power limit slowed (caps and the engine's
  clock limits), from the run's power result: what a power-aware policy trades.
- **ETTR**: the mean over jobs of their effective training time ratio (productive time / wall
  time since first start), when the failures model is on (``docs/reliability.md``).
- **deadlines met**: the share of the jobs with a ``deadline_s`` that completed by it (a job
  rejected, or unfinished when it passed, missed it; one still going when the run ended before
  it is left out); none when no job has a deadline.

Over seeds: the mean and the half-width of a Student-t 95% interval, t(0.975, n-1) s / sqrt(n).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from colossim.config.crosscheck import usable_of
from colossim.engine.state import RunState
from colossim.metrics.bounds import fastest_rate
from colossim.metrics.intervals import interval
from colossim.metrics.pending import pending_spans
from colossim.metrics.result import RunResult

METRICS = (
    "makespan_s", "makespan_ratio", "mean_jct_s", "p95_jct_s", "mean_queue_s", "mean_queued_s",
    "gpu_utilization", "energy_mwh", "throttled_gpu_hours", "jain_slowdown", "ettr",
    "deadlines_met",
)


@dataclass(frozen=True)
class RunMetrics:
    """One policy on one seed."""

    policy: str
    seed: int
    jobs: int
    completed: int
    makespan_s: float | None
    makespan_ratio: float | None
    mean_jct_s: float | None
    p95_jct_s: float | None
    mean_queue_s: float | None
    mean_queued_s: float | None
    gpu_utilization: float
    energy_mwh: float
    throttled_gpu_hours: float | None  # GPU-hours slowed by power caps (None: no power model)
    jain_slowdown: float | None
    ettr: float | None
    deadlines_met: float | None  # share of the jobs with a deadline that met it
    wall_s: float
    # actions the engine refused: breaking the policy contract, and impossible then (GPUs not
    # free, power); a broken policy looked merely slow in the table (QA)
    invalid_decisions: int = 0
    infeasible_decisions: int = 0

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Stat:
    """Mean over seeds and the 95% half-width (None for one seed or a missing metric)."""

    mean: float | None
    ci95: float | None
    n: int


def ideal_times_s(state: RunState) -> dict[str, float]:
    """Each job's work at its fastest allowed speed on this cluster: up to max GPUs of the GPUs
    it has (``bounds.fastest_rate``, as the makespan bound takes it). At max GPUs alone, a job
    allowed more GPUs than the cluster holds had an ideal no policy could reach, and a job that
    never waited a slowdown above 1."""
    usable = usable_of(state.scenario)
    out = {}
    for job in state.jobs:
        best = fastest_rate(state, job.config, usable)
        out[job.name] = job.work_total / best if best > 0 else math.inf
    return out


def jain_index(values: Sequence[float]) -> float | None:
    """(sum x)^2 / (n sum x^2); None for no values."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return None
    squares = float((x * x).sum())
    return float(x.sum() ** 2 / (x.size * squares)) if squares > 0 else 1.0


def queued_s(result: RunResult) -> dict[str, float]:
    """Each job's time pending, from the record: from its submission, and from each preemption
    or failure that took its GPUs, to its next start, or to the run's end (a rejected job's
    ends when it is rejected). Only jobs that were submitted: a trace cut at the horizon has
    jobs that never arrived, and counting them as 0 pulled the mean below the mean wait."""
    total = {e.job: 0.0 for e in result.record.events if e.kind == "submit" and e.job}
    for wait in pending_spans(result.record.events, result.end_s):
        total[wait.job] += wait.until_s - wait.since_s
    return total


def _mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if len(values) else None


def run_metrics(result: RunResult, ideal_s: Mapping[str, float]) -> RunMetrics:
    done = [j for j in result.jobs if j.state == "completed" and j.jct_s is not None]
    jcts = [j.jct_s for j in done]
    waits = [j.start_s - j.submit_s for j in result.jobs if j.start_s is not None]
    slowdowns = [j.jct_s / ideal_s[j.name] for j in done if ideal_s.get(j.name, 0) > 0]
    lb = result.makespan_lower_bound_s
    ratio = result.makespan_s / lb if result.makespan_s is not None and lb > 0 else None
    ettrs = [j.ettr for j in result.jobs if getattr(j, "ettr", None) is not None]
    on = getattr(result, "reliability", None) is not None
    ettr = float(np.mean(ettrs)) if on and ettrs else None
    return RunMetrics(
        policy=result.policy,
        seed=result.seed,
        jobs=len(result.jobs),
        completed=len(done),
        makespan_s=result.makespan_s,
        makespan_ratio=ratio,
        mean_jct_s=_mean(jcts),
        p95_jct_s=float(np.percentile(jcts, 95)) if jcts else None,
        mean_queue_s=_mean(waits),
        mean_queued_s=_mean(list(queued_s(result).values())),
        gpu_utilization=result.cluster.gpu_utilization,
        energy_mwh=result.cluster.energy_mwh,
        throttled_gpu_hours=None if getattr(result, "power", None) is None
        else result.power.throttled_gpu_hours,
        jain_slowdown=jain_index(slowdowns),
        ettr=ettr,
        deadlines_met=deadlines_met(result),
        wall_s=result.wall_s,
        invalid_decisions=result.invalid_decisions,
        infeasible_decisions=result.infeasible_decisions,
    )


def deadlines_met(result: RunResult) -> float | None:
    """The share of the jobs with a deadline that completed by it; None if none has one."""
    met = [j.deadline_met for j in result.jobs if j.deadline_met is not None]
    return sum(met) / len(met) if met else None


def stat(values: Sequence[float | None]) -> Stat:
    """Mean and 95% half-width; a metric missing in any seed is missing."""
    if not values or any(v is None for v in values):
        return Stat(None, None, len(values))
    ci = interval([float(v) for v in values])
    half = None if ci.high is None else (ci.high - ci.low) / 2
    return Stat(ci.mean, half, ci.n)


def summarize_policy(runs: Sequence[RunMetrics]) -> dict[str, Stat]:
    """Every metric of one policy over its seeds."""
    return {m: stat([getattr(r, m) for r in runs]) for m in METRICS}
