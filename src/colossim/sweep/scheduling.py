"""Scheduling metrics in a study: what ``colossim compare`` reports, as ``scheduling.<name>``.

Mean and p95 JCT, mean wait, Jain's fairness over slowdowns and the rest are not fields of a
``RunResult``: ``colossim.metrics.compare`` computes them from the result and each job's ideal
time, which needs the run's final state (its speed model). So the worker computes them with
compare's own functions, right after the run, and adds them to the result it sends back as a
``scheduling`` group (``result.scheduling.mean_jct_s`` in a run's JSON); a study then names them
like any nested result field. Definitions are compare's (``metrics/compare.py``); the four
metrics compare shows that a result already has keep their result paths (``makespan_s``,
``cluster.gpu_utilization``, ``cluster.energy_mwh``, ``power.throttled_gpu_hours``) rather
than getting a second name.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from colossim.config.schema import Scenario

GROUP = "scheduling"


@dataclass(frozen=True)
class SchedulingResult:
    """The ``scheduling`` group of a sweep run's result; names and values as ``RunMetrics``."""

    jobs: int  # jobs in the run
    completed: int  # jobs that completed
    makespan_ratio: float | None  # makespan / its lower bound; None unless every job ended
    mean_jct_s: float | None  # over completed jobs
    p95_jct_s: float | None  # over completed jobs, linear interpolation
    mean_queue_s: float | None  # first start minus submission, over jobs that started
    mean_queued_s: float | None  # all the time pending (after preemptions too), over all jobs
    jain_slowdown: float | None  # Jain's index over completed jobs' slowdowns
    ettr: float | None  # mean over jobs, with the failures model on
    deadlines_met: float | None  # share of the jobs with a deadline that completed by it


NAMES = tuple(f.name for f in fields(SchedulingResult))

# words of compare's table headers ("mean wait h", "Jain (slowdown)") → the field they show, so
# a study asking for scheduling.mean_wait_s or fairness is pointed at the right name
SYNONYMS = {"wait": "mean_queue_s", "queue": "mean_queue_s", "jain": "jain_slowdown",
            "fair": "jain_slowdown", "deadline": "deadlines_met"}


def synonym(name: str) -> str | None:
    """The scheduling field a misnamed metric most likely means, by a word it contains."""
    return next((field for word, field in SYNONYMS.items() if word in name.lower()), None)


def simulate_with_scheduling(scenario: Scenario) -> dict[str, Any]:
    """Run a scenario; its ``RunResult.to_dict()`` plus the ``scheduling`` group."""
    from colossim.api import run_scenario
    from colossim.metrics.compare import ideal_times_s, run_metrics
    from colossim.metrics.summary import summarize

    out = run_scenario(scenario)
    result = summarize(out, policy=scenario.scheduler.policy.name)
    metrics = run_metrics(result, ideal_times_s(out.state))
    group = SchedulingResult(**{name: getattr(metrics, name) for name in NAMES})
    return {**result.to_dict(), GROUP: asdict(group)}
