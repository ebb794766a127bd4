"""Summary statistics against hand-computed t-intervals and printed t tables; metric paths."""

from __future__ import annotations

import pytest

from colossim.metrics.intervals import interval, t975
from colossim.sweep.expand import expand
from colossim.sweep.metrics import metric_problem, metric_value
from colossim.sweep.spec import load_study
from colossim.sweep.summary import summarise
from tests.conftest import need
from tests.sweep.sweep_helpers import STUDY, write_study


@pytest.mark.parametrize(
    ("df", "printed"),
    # NIST/SEMATECH e-Handbook 1.3.6.7.2, upper 0.025 critical values, to 3 decimals
    [(1, 12.706), (2, 4.303), (4, 2.776), (9, 2.262), (30, 2.042), (40, 2.021), (60, 2.000),
     (100, 1.984)],
)
def test_t_quantiles_match_the_printed_table(df, printed):
    assert round(t975(df), 3) == printed


def test_t_quantile_tends_to_the_normal_one():
    assert t975(10**6) == pytest.approx(1.959964, abs=1e-5)
    assert t975(31) < t975(30)  # table and scipy join without a step up
    # the table to full precision: a 95% half-width printed to 17 digits in summary.csv is
    # right to all of them (6 decimals left it right to about 7)
    assert t975(2) == 4.302652729749462


def test_interval_of_five_replicates_by_hand():
    values = [10.0, 12.0, 9.0, 11.0, 13.0]
    # mean = 55 / 5 = 11; squared deviations 1 + 1 + 4 + 0 + 4 = 10; s = sqrt(10 / 4) = 1.58114
    # half-width = t(0.975, 4) * s / sqrt(5) = 2.776445 * 1.58114 / 2.23607 = 1.96324
    ci = interval(values)
    assert ci.n == 5 and ci.mean == 11.0
    assert ci.low == pytest.approx(11 - 1.96324, abs=1e-5)
    assert ci.high == pytest.approx(11 + 1.96324, abs=1e-5)


def test_interval_edge_cases():
    assert interval([]).mean is None
    one = interval([4.0])
    assert (one.n, one.mean, one.low, one.high) == (1, 4.0, None, None)
    same = interval([2.5, 2.5, 2.5])
    assert (same.low, same.mean, same.high) == (2.5, 2.5, 2.5)
    # identical replicates keep their exact value (fsum of five of them / 5 is one ulp off)
    x = 868055.5555555555
    assert interval([x] * 5).mean == x and interval([x] * 5).high == x


def test_summary_groups_replicates_per_point(tmp_path):
    plan = expand(load_study(write_study(tmp_path, STUDY.replace("seeds: 2", "seeds: 3"))))
    records = {}
    for run in plan.runs:  # makespan = 100 * (point + 1) + replicate: 3 replicates per point
        result = {"makespan_s": 100.0 * (run.point + 1) + run.replicate,
                  "cluster": {"gpu_utilization": 0.5}, "jobs": [{"name": "moe-200b",
                                                                "jct_s": None}]}
        records[run.run_id] = {"status": "ok", "result": result}
    failed = plan.runs[-1]
    records[failed.run_id] = {"status": "failed", "result": None}
    rows = summarise(plan, records)
    assert [r["point"] for r in rows] == [0, 1, 2, 3]
    # point 0: 100, 101, 102 -> mean 101, s = 1, half = 4.302653 * 1 / sqrt(3) = 2.48414
    first = rows[0]
    assert first["scheduler.policy.name"] == "fifo" and first["jobs.llm-70b.max_gpus"] == 72
    assert (first["runs"], first["failed"], first["makespan_s.n"]) == (3, 0, 3)
    assert first["makespan_s.mean"] == 101.0
    assert first["makespan_s.ci95_high"] - 101.0 == pytest.approx(2.48414, abs=1e-5)
    # the last point lost its third replicate: 400, 401 -> mean 400.5, s = sqrt(0.5),
    # half = 12.706205 * 0.707107 / sqrt(2) = 6.35310
    last = rows[-1]
    assert (last["runs"], last["failed"], last["makespan_s.mean"]) == (2, 1, 400.5)
    assert last["makespan_s.ci95_high"] - 400.5 == pytest.approx(6.35310, abs=1e-5)
    assert last["jobs.moe-200b.jct_s.n"] == 0 and last["jobs.moe-200b.jct_s.mean"] is None


def test_metric_paths_including_job_names_with_dots():
    result = {"makespan_s": 5.0, "cluster": {"energy_mwh": 2.0},
              "jobs": [{"name": "1.5t-a", "jct_s": 7.0}, {"name": "x", "jct_s": None}]}
    assert metric_value(result, "makespan_s") == 5.0
    assert metric_value(result, "cluster.energy_mwh") == 2.0
    assert metric_value(result, "jobs.1.5t-a.jct_s") == 7.0
    assert metric_value(result, "jobs.x.jct_s") is None
    assert metric_value(result, "jobs.missing.jct_s") is None
    assert metric_problem("jobs.1.5t-a.jct_s") is None
    assert metric_problem("cluster.energy_mwh") is None
    assert "did you mean cluster.energy_mwh" in metric_problem("cluster.energy")
    assert metric_problem("cluster").startswith("cluster is a group; pick a field: gpus, racks")
    assert metric_problem("scenario").startswith("scenario is not a number")
    assert metric_problem("jobs.x").startswith("per-job metrics are jobs.<job name>.<field>")
    assert metric_value({"makespan_s": float("nan")}, "makespan_s") is None


def test_a_failure_class_that_does_not_exist_is_not_a_metric():
    # QA: faults_by_component.gpux was accepted, and gave an empty column blamed on the scenario
    assert metric_problem("reliability.faults_by_component.gpu") is None
    assert metric_problem("reliability.faults_by_component.gpux") == (
        "unknown metric reliability.faults_by_component.gpux (did you mean "
        "reliability.faults_by_component.gpu?)")
    assert metric_problem("reliability.faults_by_component.cooling").endswith(
        "(known: gpu, network, pod, rack, software, tray)")


def test_counts_stay_whole_numbers_in_the_tables(tmp_path):
    need("pyarrow")
    import pyarrow.parquet as pq

    from colossim.sweep.outputs import write_csv, write_parquet

    result = {"jobs": [{"name": "10t", "interruptions": 3, "ettr": 0.5}]}
    count = metric_value(result, "jobs.10t.interruptions")
    assert count == 3 and type(count) is int  # 3.0 in results.csv before
    rows = [{"n": count, "ettr": metric_value(result, "jobs.10t.ettr")}, {"n": 5, "ettr": None}]
    write_csv(tmp_path / "r.csv", ["n", "ettr"], rows)
    assert (tmp_path / "r.csv").read_text() == "n,ettr\n3,0.5\n5,\n"
    write_parquet(tmp_path / "r.parquet", ["n", "ettr"], rows)
    table = pq.read_table(tmp_path / "r.parquet")
    assert str(table.schema.field("n").type) == "int64"
    assert table.column("n").to_pylist() == [3, 5]


def test_a_count_no_run_has_is_still_an_integer_column(tmp_path):
    # QA: with fabric contention off every run's fabric.faults is null, and the column was
    # typed double (int64 in a study with it on): two studies' tables did not stack
    need("pyarrow")
    import pyarrow.parquet as pq

    from colossim.sweep.outputs import write_parquet

    metrics = ["fabric.faults", "reliability.faults_by_component.gpu", "jobs.a.b.interruptions",
               "makespan_s", "jobs.a.jct_s"]
    write_parquet(tmp_path / "r.parquet", metrics, [dict.fromkeys(metrics)] * 2, metrics)
    schema = pq.read_table(tmp_path / "r.parquet").schema
    assert [str(schema.field(m).type) for m in metrics] == [
        "int64", "int64", "int64", "double", "double"]


def test_an_unknown_job_in_a_metric_lists_a_few_of_thousands():
    # a trace base has thousands of jobs: the message listed all 3,011 ids (114 KB: QA)
    from colossim.sweep.metrics import unknown_jobs

    names = [f"job-{i:04d}" for i in range(3011)]
    said = unknown_jobs(["jobs.nope.jct_s"], names)[0]
    assert said == ("no job named 'nope' in the base scenario (jobs: "
                    + ", ".join(names[:12]) + ", ... and 2,999 more)")
