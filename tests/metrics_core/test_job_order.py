"""Totals over jobs do not depend on the order the scenario lists them in, to the bit (QA: the
makespan bound and the checkpoint GPU-hours moved in their last digit when ``jobs:`` was
reversed, so a study's results.csv was not byte-identical)."""

from __future__ import annotations

from pathlib import Path

from colossim.api import load_scenario, simulate
from colossim.metrics.reliability import cluster_reliability

FAILURES = Path(__file__).parents[1] / "regression" / "scenarios" / "failures_small.yaml"


def test_the_makespan_bound_is_the_same_for_the_jobs_in_any_order():
    scenario = load_scenario("small")
    bounds = {simulate(scenario.model_copy(update={"jobs": jobs})).makespan_lower_bound_s
              for jobs in (scenario.jobs, scenario.jobs[::-1], scenario.jobs[1:] +
                           scenario.jobs[:1])}
    assert len(bounds) == 1


def test_reliability_totals_are_the_same_for_the_jobs_in_any_order():
    result = simulate(load_scenario(FAILURES))
    totals = set()
    for jobs in (result.jobs, result.jobs[::-1], result.jobs[3:] + result.jobs[:3]):
        rel = cluster_reliability(result.record, jobs, result.cluster.gpus, result.end_s)
        totals.add((rel.lost_gpu_hours, rel.checkpoint_gpu_hours, rel.restart_gpu_hours))
    assert len(totals) == 1
