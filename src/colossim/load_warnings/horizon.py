"""Load warnings about time: a job that cannot finish before the horizon or meet its deadline
even at its fastest, most often a slip of unit in its work or its deadline. ``fastest_finishes``
is also what the reliability checks take a job's shortest run from."""

from __future__ import annotations

import warnings
from typing import Any

from colossim.config.schema import JobConfig, Scenario
from colossim.config.wording import and_more
from colossim.errors import ColossimWarning
from colossim.metrics.labels import spans_apart


def fastest_finishes(scenario: Scenario) -> list[tuple[JobConfig, float]]:
    """Each job that can run and the soonest it could finish: its work at its fastest (its
    fastest grant of up to max_gpus the cluster can give) from its submission."""
    from colossim.config.crosscheck import usable_of
    from colossim.model.speed import SpeedModel

    speed = SpeedModel(scenario)
    usable = usable_of(scenario)
    finishes = []
    for job in scenario.jobs:
        best = speed.fastest_rate(job, usable)  # mixed grants too, as the makespan bound
        if best > 0:  # else it cannot run at all: the fit check reports that
            finishes.append((job, job.submit_s + speed.work_flops(job) / best))
    return finishes


def warn_past_the_horizon(scenario: Scenario,
                          finishes: list[tuple[JobConfig, float]]) -> None:
    """Warn of a job that cannot finish before ``simulation.horizon_s`` even at its fastest:
    usually a unit slip (tokens given one by one in ``tokens_billion``) that would simulate ten
    years of failures for nothing. A warning, not an error: a short horizon on purpose looks
    at the start of a run."""
    horizon = scenario.simulation.horizon_s
    late = [(job.name, finish_s, "submit_s" if job.submit_s >= horizon else work_fields(job))
            for job, finish_s in finishes if finish_s > horizon]  # blame a late submission
    if not late:
        return
    what = _late_jobs(late, "cannot finish before the horizon ({})", horizon)
    warnings.warn(ColossimWarning(f"{what}: check {late[0][2]} or raise simulation.horizon_s"),
                  stacklevel=3)


def warn_deadlines_out_of_reach(finishes: list[tuple[JobConfig, float]]) -> None:
    """Warn of a deadline no schedule can meet: the job cannot finish by it even at its
    fastest from its submission. Often a unit slip (deadline_s is in seconds from the start:
    30 for a job of weeks), and such a job counts as missed in every policy's figures (QA)."""
    from colossim.model.jobs import meets_deadline

    late = [(job.name, finish_s, job.deadline_s) for job, finish_s in finishes
            if job.deadline_s is not None and not meets_deadline(finish_s, job.deadline_s)]
    if not late:
        return
    what = _late_jobs(late, "cannot meet its deadline_s ({})", late[0][2],
                      "cannot meet their deadlines", [deadline for _, _, deadline in late])
    warnings.warn(ColossimWarning(f"{what}: deadline_s is in seconds from the start of the "
                                  "run (a trace's: submit + deadline_factor x its duration)"),
                  stacklevel=3)


def _late_jobs(late: list[tuple[str, float, Any]], one: str, limit_s: float,
               many: str | None = None, limits: list[float] | None = None) -> str:
    """The jobs that cannot make it, with the soonest each could finish: ``job X {one} even at
    its fastest (...)`` for one (``one`` has a ``{}`` for ``limit_s``, the limit it misses),
    ``N jobs {many} even at their fastest: three of them and how many more`` for more (a trace
    can have thousands: one line). ``many`` defaults to ``one``; ``limits``: each job's own
    limit (deadlines), said beside its finish. A limit and a finish that would read the same
    are told apart (``spans_apart``; review: the many-job line said "a (1.0 hours)" for a
    deadline of 3,600 s)."""
    name, finish_s, _ = late[0]
    limit, finish = spans_apart(limit_s, finish_s)
    if len(late) == 1:
        return f"job {name} {one.format(limit)} even at its fastest ({finish})"
    items = []
    for k, (n, f, _) in enumerate(late):
        own, soonest = spans_apart(limit_s if limits is None else limits[k], f)
        items.append(f"{n} ({soonest}" + ("" if limits is None else f", due {own}") + ")")
    shown = and_more(items, 3)
    return f"{len(late):,} jobs {(many or one).format(limit)} even at their fastest: {shown}"


def work_fields(job: JobConfig) -> str:
    """The fields that set a job's work, where a unit slip is likeliest."""
    if job.work_gpu_hours is not None:
        return "work_gpu_hours (or a trace's durations and duration_scale)"
    if job.samples_million is not None:
        return "samples_million and params_billion (in millions and billions)"
    return "tokens_billion and params_billion (both in billions)"
