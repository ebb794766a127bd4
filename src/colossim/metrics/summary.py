"""Record → ``RunResult``: every figure is a pure function of the engine's output."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from colossim.collector import collector_paused
from colossim.engine.record import Record
from colossim.engine.simulation import RunOutput
from colossim.metrics.bounds import makespan_lower_bound_s
from colossim.metrics.fabric import cluster_fabric, fabric_fields
from colossim.metrics.performance import job_performance
from colossim.metrics.power import cluster_power, power_fields
from colossim.metrics.reliability import cluster_reliability, reliability_fields
from colossim.metrics.result import ClusterResult, JobResult, RunResult, with_fields
from colossim.metrics.series import integral, peak, time_mean
from colossim.model.jobs import Job, JobState, meets_deadline

if TYPE_CHECKING:
    from colossim.config.power import PowerConfig
    from colossim.engine.record import StepSeries

SECONDS_PER_HOUR = 3600.0
HAIR = 1e-9  # relative: facility power is a sum of many floats, and held at the supply it came
# out a hair above it (1000.0000000000001 MW against 1,000 MW on the default run: QA), where
# docs/results.md promises at or below the supply


def peak_mw(power: StepSeries, span: float, limits: Iterable[float]) -> float:
    """The facility's peak, MW; a peak within ``HAIR`` of one of ``limits`` (the supply's
    levels, the facility cap), above or below, is that limit: held at it, the sum over jobs
    lands a hair off either way (QA: 0.11999999999995109 against a 0.12 MW cap). Rounding it
    instead (to 9 decimals) could put it above a supply written with more (review)."""
    raw = float(peak(power, 0.0, span))
    return next((limit for limit in sorted(limits)
                 if limit * (1 - HAIR) <= raw <= limit * (1 + HAIR)), raw)


def power_limits(power: PowerConfig) -> list[float]:
    """The levels facility power may be held at: each supply level, and the facility cap."""
    levels = [supply for _t, supply in power.supply_levels()]
    return levels + ([power.facility_cap_mw] if power.facility_cap_mw is not None else [])


def job_result(job: Job, perf: dict[str, Any] | None = None,
               run_end_s: float | None = None) -> JobResult:
    """A job's figures; ``run_end_s``, when the run ended if it was cut short (a job still
    going then, before its deadline, has not missed it yet); None for a run that ended for good
    (every job done, or stalled: what is left never finishes)."""
    start, end = job.first_start_s, job.end_s
    held_s = (end if end is not None else job.since_s) - start if start is not None else 0.0
    return JobResult(
        name=job.name,
        state=job.state.value,
        submit_s=job.config.submit_s,
        start_s=start,
        end_s=end,
        jct_s=None if end is None else end - job.config.submit_s,
        gpu_hours=job.gpu_seconds / SECONDS_PER_HOUR,
        # none for a job that never started (QA: 0.0 entered a sweep's mean as a measured zero)
        mean_gpus=None if start is None else job.gpu_seconds / held_s if held_s > 0 else 0.0,
        work_flops=job.work_total,
        work_done_flops=job.work_done,
        **(perf or {}),
        **_deadline(job, run_end_s),
    )


def _deadline(job: Job, run_end_s: float | None) -> dict[str, Any]:
    """The job's deadline and whether it completed by it: rejected, or unfinished when it
    passed, is no; unfinished at the end of a run cut short before it is undecided (None), not
    a miss (review: a run cut at 1 day counted a job due at 2 days, that would end at 1.6, as
    missed); unfinished in a run that stalled is a miss (QA: "not yet due" of jobs that could
    never finish)."""
    deadline_s, end_s = job.config.deadline_s, job.end_s
    if deadline_s is None:
        return {}
    going = job.state in (JobState.WAITING, JobState.PENDING, JobState.RUNNING)
    if going and run_end_s is not None and run_end_s < deadline_s:
        return {"deadline_s": deadline_s, "deadline_met": None}
    return {"deadline_s": deadline_s,
            "deadline_met": end_s is not None and meets_deadline(end_s, deadline_s)}


def with_models(jobs: tuple[JobResult, ...], record: Record, end_s: float,
                engine_jobs: list[Job]) -> tuple[JobResult, ...]:
    """The jobs with their reliability, power and fabric fields, each job replaced once (a
    ``replace`` per model rebuilt every job's result of some 30 fields three times: ~30% of a
    small run's summary). ``engine_jobs``: the engine's jobs, in the same order."""
    modelled = [j.config.params_billion is not None for j in engine_jobs]
    sent = [j.cross_pod_bytes for j in engine_jobs]
    return with_fields(jobs, [{**r, **p, **f} for r, p, f in zip(
        reliability_fields(jobs, record, end_s), power_fields(jobs, record, end_s),
        fabric_fields(jobs, record, end_s, modelled, sent), strict=True)])


def summarize(out: RunOutput, policy: str) -> RunResult:
    """The run's ``RunResult``, built with the cyclic collector paused: it makes no cycles, and
    after a long run each full collection walks the engine's whole heap (Colossus-2: one, with
    its younger ones ~0.3 of 1.0 s; ``colossim.collector``)."""
    with collector_paused():
        return _summarize(out, policy)


def _summarize(out: RunOutput, policy: str) -> RunResult:
    state, record = out.state, out.record
    layout = state.layout
    completed = [j for j in state.jobs if j.state is JobState.COMPLETED]
    all_done = all(j.state in (JobState.COMPLETED, JobState.REJECTED) for j in state.jobs)
    # none when a job is left, or none completed (all rejected: 0.0 "beat" every bound; QA)
    makespan = max((j.end_s or 0.0 for j in completed), default=None) if all_done else None
    span = out.end_s
    perf = job_performance(record, span)
    cut = span >= state.scenario.simulation.horizon_s  # else it ended: done, or stalled
    jobs = tuple(job_result(j, perf.get(j.name), span if cut else None) for j in state.jobs)
    jobs = with_models(jobs, record, span, state.jobs)
    busy = record.level("gpus_busy")
    power = record.level("power_mw")
    cluster = ClusterResult(
        gpus=layout.total_gpus,
        racks=layout.racks,
        pods=layout.pods,
        gpu_utilization=time_mean(busy, 0.0, span) / state.usable_gpus if state.usable_gpus else 0,
        energy_mwh=float(integral(power, 0.0, span) / SECONDS_PER_HOUR),
        peak_power_mw=peak_mw(power, span, power_limits(state.scenario.cluster.power)),
        supply_mw=state.scenario.cluster.power.supply_at(0.0),
        usable_gpus=state.usable_gpus,
    )
    return RunResult(
        scenario=state.scenario.name,
        policy=policy,
        seed=state.scenario.simulation.seed,
        makespan_s=makespan,
        makespan_lower_bound_s=makespan_lower_bound_s(state),
        end_s=span,
        events=out.events,
        decisions=record.decide_calls,
        wall_s=out.wall_s,
        cluster=cluster,
        jobs=jobs,
        record=record,
        fabric=cluster_fabric(record, jobs, span),
        reliability=cluster_reliability(
            record, jobs, layout.total_gpus, span,
            state.scenario.reliability.storage.write_tbytes_s),
        power=cluster_power(record, span, state.scenario.cluster.power.tariff,
                            state.power_model.facility_mw(state.power_model.idle_it_w)),
        invalid_decisions=sum(d.verdict == "invalid" for d in record.decisions),
        infeasible_decisions=sum(d.verdict == "infeasible" for d in record.decisions),
    )
