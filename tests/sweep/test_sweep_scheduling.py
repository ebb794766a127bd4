"""Scheduling metrics in a study (``scheduling.<name>``): the values ``colossim compare`` reports,
checked against hand-computed JCTs, waits and fairness, and against compare itself."""

from __future__ import annotations

import csv
import json

import pytest
import yaml
from typer.testing import CliRunner

from colossim.api import load_scenario
from colossim.cli import render
from colossim.cli.app import app
from colossim.cli.compare import compare_policies
from colossim.errors import ConfigError
from colossim.metrics.compare import METRICS
from colossim.sweep.executors import LocalExecutor, SerialExecutor
from colossim.sweep.expand import expand
from colossim.sweep.metrics import metric_problem, short_name
from colossim.sweep.outputs import write_outputs
from colossim.sweep.runner import execute
from colossim.sweep.scheduling import NAMES
from colossim.sweep.spec import load_study
from tests.policy.factories import pool_job, pool_scenario
from tests.sweep.sweep_helpers import write_study

H = 3600.0

# One A100, FIFO, three rigid 1-GPU jobs (pool_job: each runs exactly its hours):
#   a: submitted 0 h, runs 2 h    -> 0..2 h
#   b: submitted 1 h, runs B h    -> waits for a: 2..2+B h
#   c: submitted 2 h, runs 3 h    -> waits for b: 2+B..5+B h
# B = 1: JCTs a 2, b 2, c 4 h; waits 0, 1, 1 h.
#   mean JCT 8/3 h = 9,600 s; p95 (linear, position 0.95 x 2 = 1.9 in [2, 2, 4]) = 2 + 0.9 x 2
#   = 3.8 h = 13,680 s; mean wait 2/3 h = 2,400 s. Ideal times (max GPUs, from the start) are the
#   run times 2, 1, 3 h, so slowdowns are 1, 2, 4/3 and Jain = (13/3)^2 / (3 (1 + 4 + 16/9))
#   = 169/183. The GPU never idles from 0 h, so the makespan (6 h) is the work bound: ratio 1.
# B = 4: b 2..6 h, c 6..9 h. JCTs 2, 5, 7 h; waits 0, 1, 4 h.
#   mean JCT 14/3 h = 16,800 s; p95 = 5 + 0.9 x 2 = 6.8 h = 24,480 s; mean wait 5/3 h = 6,000 s;
#   slowdowns 1, 5/4, 7/3: Jain = (55/12)^2 / (3 x 1153/144) = 3025/3459; makespan 9 h, ratio 1.
HAND = {
    1: {"mean_jct_s": 8 / 3 * H, "p95_jct_s": 3.8 * H, "mean_queue_s": 2 / 3 * H,
        "jain_slowdown": 169 / 183, "makespan_ratio": 1.0, "jobs": 3, "completed": 3},
    4: {"mean_jct_s": 14 / 3 * H, "p95_jct_s": 6.8 * H, "mean_queue_s": 5 / 3 * H,
        "jain_slowdown": 3025 / 3459, "makespan_ratio": 1.0, "jobs": 3, "completed": 3},
}
SCHEDULING = [f"scheduling.{name}" for name in NAMES]


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pool")
    scenario = pool_scenario([pool_job("a", 0, 2), pool_job("b", 1, 1), pool_job("c", 2, 3)])
    path = folder / "pool.yaml"
    path.write_text(yaml.safe_dump(scenario.model_dump(mode="json", exclude_unset=True)))
    return path


def study_text(base, metrics=SCHEDULING) -> str:
    return (f"name: pool\nbase: {base}\nparameters:\n  jobs.b.work_gpu_hours: [1, 4]\nseeds: 2\n"
            f"metrics: {json.dumps(list(metrics))}\n")


def run_study(base, out, executor):
    plan = expand(load_study(write_study(out.parent, study_text(base), f"{out.name}.yaml")))
    report = execute(plan, out, executor)
    assert (report.ran, report.failed) == (4, 0)
    write_outputs(plan, report.records, out, plots=False)
    return plan


@pytest.fixture(scope="module")
def serial(base, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "out"
    run_study(base, out, SerialExecutor())
    return out


def test_sweep_reports_the_hand_computed_scheduling_metrics(serial):
    rows = list(csv.DictReader((serial / "results.csv").open()))
    assert len(rows) == 4
    for row in rows:
        hand = HAND[int(row["jobs.b.work_gpu_hours"])]
        for name, value in hand.items():
            assert float(row[f"scheduling.{name}"]) == pytest.approx(value, rel=1e-12), name
        assert row["scheduling.ettr"] == ""  # the failures model is off: no ETTR
    for point in csv.DictReader((serial / "summary.csv").open()):
        hand = HAND[int(point["jobs.b.work_gpu_hours"])]
        assert point["scheduling.mean_jct_s.n"] == "2"  # two seeds, no randomness: equal
        assert float(point["scheduling.mean_jct_s.mean"]) == pytest.approx(hand["mean_jct_s"])
        assert point["scheduling.ettr.n"] == "0"


def test_sweep_values_equal_what_compare_reports(base, serial):
    rows = list(csv.DictReader((serial / "results.csv").open()))
    for row in rows:
        scenario = load_scenario(base, [f"jobs.b.work_gpu_hours={row['jobs.b.work_gpu_hours']}"])
        runs, failed = compare_policies(scenario, ["fifo"], [int(row["seed"])], workers=1)
        assert not failed
        for name in NAMES:
            expected = getattr(runs[0], name)
            cell = row[f"scheduling.{name}"]
            assert (float(cell) if cell else None) == expected, name


def test_every_compare_metric_is_a_study_metric():
    # compare's three that a result already has keep their result paths
    same = {"makespan_s": "makespan_s", "gpu_utilization": "cluster.gpu_utilization",
            "energy_mwh": "cluster.energy_mwh",
            "throttled_gpu_hours": "power.throttled_gpu_hours"}
    for name in METRICS:
        path = same.get(name, f"scheduling.{name}")
        assert metric_problem(path) is None, path
    assert short_name("scheduling.mean_jct_s") == "mean_jct_s"


def test_two_workers_write_byte_identical_tables(base, serial, tmp_path):
    out = tmp_path / "out"
    run_study(base, out, LocalExecutor(2))
    for name in ("results.csv", "summary.csv"):
        assert (out / name).read_bytes() == (serial / name).read_bytes()
    record = json.loads(next((out / "runs").glob("*.json")).read_text())
    assert set(record["result"]["scheduling"]) == set(NAMES)


def test_a_bad_scheduling_name_points_at_its_line_with_a_hint(base, tmp_path):
    text = study_text(base, []).replace("metrics: []\n", "metrics:\n  - mean_jct_s\n"
                                        "  - scheduling.mean_wait_s\n  - scheduling.fair\n"
                                        "  - xyz\n")
    path = write_study(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_study(path)
    found = [str(p) for p in info.value.problems]
    names = ", ".join(NAMES)
    assert found[:3] == [
        f"{path}:7: metrics[0]: unknown metric mean_jct_s (did you mean "
        "scheduling.mean_jct_s?)",
        f"{path}:8: metrics[1]: unknown metric scheduling.mean_wait_s (did you mean "
        "scheduling.mean_queue_s?)",
        f"{path}:9: metrics[2]: unknown metric scheduling.fair (did you mean "
        "scheduling.jain_slowdown?)",
    ]
    # nothing close: the known names, the scheduling ones among them
    assert found[3].startswith(f"{path}:10: metrics[3]: unknown metric xyz (known: ")
    assert found[3].endswith("scheduling metrics: " + ", ".join(
        f"scheduling.{n}" for n in NAMES) + ")")
    assert metric_problem("scheduling") == f"scheduling is a group; pick a field: {names}"


def test_cli_shows_scheduling_columns(base, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    render.console.cache_clear()
    path = write_study(tmp_path, study_text(base, ["scheduling.mean_jct_s",
                                                   "scheduling.jain_slowdown"]))
    result = CliRunner().invoke(app, ["sweep", str(path), "--backend", "serial", "--out",
                                      str(tmp_path / "out"), "--no-plots"])
    render.console.cache_clear()
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for header in ("mean_jct h", "jain_slowdown"):  # JCTs of hours are shown in hours
        assert any(header in line for line in lines), header
    # the hand means, 9,600 s and 16,800 s, in hours (summary.csv keeps seconds)
    assert "2.667" in result.output and "4.667" in result.output
