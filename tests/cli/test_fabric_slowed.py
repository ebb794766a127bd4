"""``fabric: jobs slowed``: a job counts when contention made its computing at least 0.1% longer
(``metrics.fabric.SLOWED_BY``, docs/results.md); it used to count any slowdown above 1, so a
0.003% brush with another job's traffic counted as much as a 25% slowdown."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from colossim.cli import render
from colossim.engine.record import Event, Record
from colossim.metrics.fabric import cluster_fabric, fabric_fields
from colossim.metrics.result import JobResult, with_fields


def _job(name: str) -> JobResult:
    return JobResult(name=name, state="completed", submit_s=0.0, start_s=0.0, end_s=1000.0,
                     jct_s=1000.0, gpu_hours=1.0, mean_gpus=1.0, work_flops=1.0,
                     work_done_flops=1.0)


def _computing(job: str, time_s: float, factor: float) -> Event:
    return Event(time_s, "fabric", job, {"computing": True, "factor": factor,
                                         "comm_fraction": 0.1, "cross_pod_bytes_per_s": 0.0})


# contention_slowdown = time computing / the same work at factor 1, over 0..1000 s:
EVENTS = [
    Event(0.0, "fabric_model", None, {"pods": 1}),
    _computing("tiny", 0.0, 1 / 1.00003),  # 1.00003: 0.003% (the reported case)
    _computing("under", 0.0, 1.0), _computing("under", 500.0, 0.9982),  # 1000/999.1 = 1.0009
    _computing("over", 0.0, 1.0), _computing("over", 500.0, 0.998),  # 1000/999 = 1.001001
    _computing("slow", 0.0, 1 / 1.25),  # 1.25
]
NAMES = ["tiny", "under", "over", "slow", "never"]  # "never" never left its rack: 1.0


def _slowed_jobs() -> tuple[tuple[JobResult, ...], int]:
    record = Record(events=list(EVENTS))
    named = tuple(_job(n) for n in NAMES)
    jobs = with_fields(named, fabric_fields(named, record, 1000.0, [True] * len(NAMES),
                                              [0.0] * len(NAMES)))
    fabric = cluster_fabric(record, jobs, 1000.0)
    assert fabric is not None
    return jobs, fabric.slowed_jobs


def test_a_job_counts_as_slowed_from_0_1_percent_on():
    jobs, slowed = _slowed_jobs()
    by_name = {j.name: j.contention_slowdown for j in jobs}
    assert by_name == pytest.approx({"tiny": 1.00003, "under": 1000 / 999.1,
                                     "over": 1000 / 999, "slow": 1.25, "never": 1.0}, rel=1e-12)
    assert slowed == 2  # over (0.1001%) and slow (25%); not tiny (0.003%) nor under (0.09%)


@pytest.fixture
def small_run():
    from colossim.api import simulate

    return simulate("small")


def _summary_row(result, capsys, monkeypatch) -> str:
    monkeypatch.setenv("COLUMNS", "100")
    render.console.cache_clear()
    try:
        render.result_tables(result)
    finally:
        render.console.cache_clear()
    out = capsys.readouterr().out
    (row,) = [line for line in out.splitlines() if "fabric: jobs slowed" in line]
    return re.sub(r"\s*│\s*", "|", row.strip("│ "))


@pytest.mark.parametrize(("slowdowns", "expected"), [
    ((1.00003, 1.0, 1.0, 1.0), "0 of 4, the worst 0.003% slower"),  # says why none counts
    ((1.0009, 1.002, 1.0, 1.0), "1 of 4, the worst 0.2% slower"),
    ((1.0, 1.0, 1.0, 1.0), "0 of 4"),
])
def test_the_run_table_counts_with_the_threshold_in_its_label(small_run, slowdowns, expected,
                                                            capsys, monkeypatch):
    jobs = tuple(replace(j, contention_slowdown=s)
                 for j, s in zip(small_run.jobs, slowdowns, strict=True))
    fabric = cluster_fabric(small_run.record, jobs, small_run.end_s)
    result = replace(small_run, jobs=jobs, fabric=fabric)
    assert _summary_row(result, capsys, monkeypatch) == f"fabric: jobs slowed ≥0.1%|{expected}"


def test_the_html_report_states_the_threshold_too(small_run):
    from colossim.metrics.report import group_tables

    assert "<td>slowed jobs (by 0.1% or more)</td>" in group_tables(small_run)
