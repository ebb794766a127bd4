"""Load warnings for work that faults take back: a checkpoint interval several times a job's
mean time to failure (or none at all), or scheduled interruptions with no checkpoint to return
to. ``lost_to_faults`` says the first as a sentence for a stalled run (the test runner's guard),
so a run that cannot keep its work is not blamed on its policy."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

from colossim.config.messages import figure
from colossim.config.schema import JobConfig, Scenario
from colossim.config.wording import and_more
from colossim.errors import ColossimWarning
from colossim.load_warnings.horizon import fastest_finishes
from colossim.load_warnings.racks import racks_by_type
from colossim.metrics.labels import multiple

MTTFS_PER_INTERVAL = 3.0  # an interval this many MTTFs long completes e^-3 = 5% of the time


def mttf_on_max_gpus(scenario: Scenario) -> Callable[[JobConfig], tuple[int, float]]:
    """(GPUs, mean time to failure in s) of a job on its max_gpus, or on the GPUs the cluster
    has if fewer, at the scenario's failure rates."""
    from colossim.config.crosscheck import usable_of
    from colossim.model.reliability import job_mttf_s

    cluster_gpus = sum(usable_of(scenario).values())
    sizes = {size for _, size in racks_by_type(scenario).values()}
    tray = scenario.reliability.gpus_per_tray

    def mttf_of(job: JobConfig) -> tuple[int, float]:
        gpus = min(job.max_gpus, cluster_gpus)
        # rack and tray faults strike the whole rack or tray: at least the GPUs of the fewest
        # racks (trays) that hold the job's, on the rack size that needs fewest
        # (``job_failure_rate_s``); for a job of whole racks, its own GPUs
        racks = min((-(-gpus // size) * size for size in sizes), default=gpus)
        # and pod faults the whole pod: at least the GPUs of the fewest pods that hold them
        pod_gpus = [size * scenario.cluster.pod_size_racks for size in sizes]
        pods = max(racks, min((-(-gpus // n) * n for n in pod_gpus), default=racks))
        return gpus, job_mttf_s(scenario.reliability, gpus, racks,
                                min(racks, -(-gpus // tray) * tray), pod_gpus=pods)

    return mttf_of


def checkpoints_past_failures(scenario: Scenario, finishes: list[tuple[JobConfig, float]]
                              ) -> list[tuple[str, float, float, int, float]]:
    """The jobs whose checkpoint interval is several times their mean time to failure (on
    their max_gpus, or the GPUs the cluster has if fewer, at the scenario's rates), worst
    first: (name, interval s (inf: it never checkpoints), MTTF s, GPUs, the span that must pass
    without a fault: the interval, or the whole run at its fastest (``finishes``) if shorter).
    Only e^(-span/MTTF) of the spans end in a checkpoint, so such a job barely progresses."""
    if not scenario.reliability.enabled:
        return []
    mttf_of = mttf_on_max_gpus(scenario)
    runs_s = {job.name: end - job.submit_s for job, end in finishes}
    late = []
    for job in scenario.jobs:
        interval = job.checkpoint.interval_s
        if interval is None:  # it never checkpoints: its whole run must pass without a fault
            interval = math.inf
        if isinstance(interval, int | float) and not isinstance(interval, bool):
            gpus, mttf = mttf_of(job)
            # an interval past the job's whole run never comes: each try of the run is what
            # must pass without a fault (review: a 10-day interval on a 0.7-day job)
            span = min(float(interval), runs_s.get(job.name, 0.0))
            if span > MTTFS_PER_INTERVAL * mttf:
                late.append((job.name, float(interval), mttf, gpus, span))
    return sorted(late, key=lambda one: -one[4] / one[2])


def warn_checkpoints_past_failures(scenario: Scenario,
                                   finishes: list[tuple[JobConfig, float]]) -> None:
    """Warn of a checkpoint interval several times the job's mean time to failure, or none
    at all (``interval_s: null``) on a job whose run is: it barely progresses and the run goes
    on towards the horizon (an hourly checkpoint of the 10T job, interrupted every 13 minutes,
    would simulate years of failures). Not for a job that runs, at its fastest, for less than
    its MTTF: it likely sees no fault at all (QA: small's llm-70b, 0.7 days against a 14-day
    MTTF, was warned it might run until the horizon). A null interval was not warned of,
    where a 1e9 s one was, and the run then stopped blaming its policy (QA)."""
    late = checkpoints_past_failures(scenario, finishes)
    if not late:
        return
    name, interval, mttf, gpus, span = late[0]
    named = and_more([f"{n}: {'never' if math.isinf(i) else f'{i / m:,.1f}x'}"
                      for n, i, m, _, _ in late[1:]], 3)  # QA: unnamed
    more = f" (and {named})" if len(late) > 1 else ""
    tries = f"{_share(span / mttf)} of its tries end without a fault"
    if math.isinf(interval):
        head = (f"jobs.{name}.checkpoint.interval_s is null: the job never checkpoints, and "
                f"its whole run at its fastest ({figure(span)} s) is {multiple(span / mttf)}x its "
                f"mean time to failure ({figure(mttf)} s on {gpus:,} GPUs){more}: every fault "
                f"sends it back to the start, and {tries}")
    else:
        whole = (f", and longer than its whole run at its fastest ({figure(span)} s, "
                 f"{multiple(span / mttf)} MTTFs): it never checkpoints, and {tries}"
                 if span < interval
                 else f": {_share(span / mttf)} of its intervals end in a checkpoint")
        head = (f"jobs.{name}.checkpoint.interval_s ({figure(interval)} s) is "
                f"{multiple(interval / mttf)}x the job's mean time to failure ({figure(mttf)} s on "
                f"{gpus:,} GPUs){more}{whole}")
    warnings.warn(ColossimWarning(
        f"{head}, so it barely progresses and the run may last until the horizon; interval_s: "
        "auto gives Daly's optimum"), stacklevel=3)


def _share(mttfs: float) -> str:
    """e^-mttfs, the share of spans that many MTTFs long without a fault, in words: "only
    0.0%" said nothing of 200 MTTFs (QA), "about 1 in 7.23e+86" does."""
    share = math.exp(-mttfs)
    return f"only {share:.1%}" if share >= 1e-3 else f"about 1 in {figure(1 / share)}" \
        if share > 0 else "none"


def lost_to_faults(scenario: Scenario) -> str | None:
    """Why a job of ``scenario`` may never finish however it is scheduled, or None: it
    checkpoints too seldom, or never, for its rate of faults (``checkpoints_past_failures``),
    so each fault takes back what it did. What a stalled run says instead of blaming its
    policy (QA: ``interval_s: null`` under failures was stopped as fifo's fault)."""
    late = checkpoints_past_failures(scenario, fastest_finishes(scenario))
    if not late:
        return None
    name, interval, mttf, _gpus, _span = late[0]
    what = ("never checkpoints (checkpoint.interval_s: null)" if math.isinf(interval) else
            f"checkpoints only every {figure(interval)} s")
    return (f"job {name} {what} and meets a fault every {figure(mttf)} s on average: each "
            "fault takes it back to its last checkpoint, so its work cannot stay done; give it "
            "a shorter interval (interval_s: auto gives Daly's optimum)")


def warn_no_checkpoints_before_cuts(scenario: Scenario) -> None:
    """Warn when scheduled interruptions (a fabric cut, a power outage) will roll jobs back to
    their start: with the failure model on and every failure class off, an ``auto`` interval
    (Young/Daly on an infinite MTTF) takes no checkpoint (QA: a cut at 1 h cost a job its first
    hour, and the table said "Faults by component: none")."""
    from colossim.model.reliability import failure_rate_per_gpu_s

    rel = scenario.reliability
    if not rel.enabled or failure_rate_per_gpu_s(rel) > 0:
        return
    auto = [job.name for job in scenario.jobs if job.checkpoint.interval_s == "auto"]
    cuts = [f"cluster.fabric.events[{i}]" for i, e in enumerate(scenario.cluster.fabric.events)
            if e.capacity_fraction <= 0] if scenario.cluster.fabric.contention else []
    outages = [f"cluster.power.events[{i}]" for i, e in enumerate(scenario.cluster.power.events)
               if e.kind == "outage"]
    if not auto or not cuts + outages:
        return
    names = and_more(auto, 3)
    warnings.warn(ColossimWarning(
        f"{', '.join((cuts + outages)[:2])} may interrupt jobs, but no failure class is on, so "
        f"the auto checkpoint interval of {names} takes no checkpoint: an interrupted job goes "
        "back to its start; give checkpoint.interval_s in seconds, or "
        + ("raise reliability.rate_scale above 0" if rel.rate_scale == 0
           else "turn a failure class on")),
        stacklevel=3)
