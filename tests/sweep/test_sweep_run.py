"""Running studies: worker-count independence, resume after an interrupt, failed runs, the CLI."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from colossim.api import load_scenario, simulate
from colossim.cli import render
from colossim.cli.app import app
from colossim.errors import ConfigError
from colossim.sweep.executors import LocalExecutor, SerialExecutor
from colossim.sweep.expand import expand
from colossim.sweep.outputs import write_outputs
from colossim.sweep.runner import execute, failed_runs
from colossim.sweep.spec import load_study
from tests.conftest import need
from tests.sweep.sweep_helpers import FAILING, SMALL, STUDY, write_study


def sweep(plan, out, executor, **kwargs):
    report = execute(plan, out, executor, **kwargs)
    if report.complete:
        write_outputs(plan, report.records, out, plots=False)
    return report


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    return expand(load_study(write_study(tmp_path_factory.mktemp("study"))))


@pytest.fixture(scope="module")
def reference(plan, tmp_path_factory):
    """The study run once with one local worker: what every other way must reproduce."""
    out = tmp_path_factory.mktemp("one-worker")
    report = sweep(plan, out, LocalExecutor(1), batch=1)
    assert (report.ran, report.failed) == (8, 0)
    return out


def test_one_and_two_workers_write_byte_identical_tables(plan, reference, tmp_path):
    report = sweep(plan, tmp_path, LocalExecutor(2), batch=1)
    assert (report.ran, report.failed) == (8, 0)
    for name in ("results.csv", "summary.csv"):
        assert (tmp_path / name).read_bytes() == (reference / name).read_bytes()


def test_results_equal_direct_simulation_of_each_point(plan, reference):
    rows = list(csv.DictReader((reference / "results.csv").open()))
    assert [r["run_id"] for r in rows] == sorted(r.run_id for r in plan.runs)
    for row in rows:
        sets = [f"scheduler.policy.name={row['scheduler.policy.name']}",
                f"jobs.llm-70b.max_gpus={row['jobs.llm-70b.max_gpus']}"]
        direct = simulate(load_scenario(SMALL, sets), seed=int(row["seed"]))
        assert float(row["makespan_s"]) == direct.makespan_s
        assert float(row["jobs.moe-200b.jct_s"]) == direct.job("moe-200b").jct_s
        assert float(row["cluster.gpu_utilization"]) == direct.cluster.gpu_utilization
    record = json.loads(next((reference / "runs").glob("*.json")).read_text())
    assert record["status"] == "ok" and record["result"]["scenario"] == "small"


def test_automatic_batches_write_the_same_tables(plan, reference, tmp_path):
    report = sweep(plan, tmp_path, LocalExecutor(2))  # runs per task from their run time
    assert (report.ran, report.failed) == (8, 0)
    for name in ("results.csv", "summary.csv"):
        assert (tmp_path / name).read_bytes() == (reference / name).read_bytes()


def test_workers_holding_the_runs_get_ids_and_write_the_same_tables(plan, reference, tmp_path):
    executor = LocalExecutor(2, plan.runs)  # forked workers inherit the runs
    assert all(executor.holds(run.run_id) for run in plan.runs)
    assert not executor.holds("not-in-the-study")
    sent = []
    submit = executor.submit

    def spy(fn, tasks, *rest):
        sent.extend(tasks)
        return submit(fn, tasks, *rest)

    executor.submit = spy
    report = sweep(plan, tmp_path, executor, batch=1)
    assert (report.ran, report.failed) == (8, 0)
    assert sorted(sent) == sorted(run.run_id for run in plan.runs)  # ids, not pickled runs
    for name in ("results.csv", "summary.csv"):
        assert (tmp_path / name).read_bytes() == (reference / name).read_bytes()


class DriverWrites(SerialExecutor):
    """Serial, but as if its workers were on another machine: the parent writes every run."""

    shared_disk = False


def test_runs_saved_by_workers_equal_runs_written_by_the_parent(plan, reference, tmp_path):
    saved = {p.name: p.read_text() for p in (reference / "runs").glob("*.json")}
    sweep(plan, tmp_path, DriverWrites())
    written = {p.name: p.read_text() for p in (tmp_path / "runs").glob("*.json")}
    assert sorted(saved) == sorted(written) and len(saved) == 8

    def timeless(text):
        record = json.loads(text)  # wall-clock times are all that differs between two runs
        assert record.pop("wall_s") > 0 and record["result"].pop("wall_s") > 0
        return record

    assert all(timeless(saved[name]) == timeless(written[name]) for name in saved)
    for folder, files in ((reference, saved), (tmp_path, written)):
        log = (folder / "runs.jsonl").read_text().splitlines(keepends=True)
        assert sorted(log) == sorted(files.values())  # each log line is its run's file


def test_interrupted_sweep_resumes_only_the_missing_runs(plan, reference, tmp_path):
    seen = []

    def stop_after_three(record):
        seen.append(record["run_id"])
        if len(seen) == 3:
            raise KeyboardInterrupt  # what Ctrl-C does in the middle of a sweep

    first = execute(plan, tmp_path, LocalExecutor(2), batch=1, on_record=stop_after_three)
    assert first.interrupted and not first.complete
    on_disk = {p.stem for p in (tmp_path / "runs").glob("*.json")}
    # everything finished is kept, atomically: the three, and what was in flight (the workers
    # were not interrupted here, so their runs end within the grace and are written too); at
    # most 4 tasks are in flight, so the sweep cannot have got to the end
    assert set(seen) == on_disk and 3 <= len(on_disk) < 8
    rerun = []
    second = sweep(plan, tmp_path, LocalExecutor(2), resume=True,
                   on_record=lambda rec: rerun.append(rec["run_id"]))
    assert (second.skipped, second.ran) == (len(on_disk), 8 - len(on_disk))
    assert set(rerun) == {r.run_id for r in plan.runs} - on_disk
    assert (tmp_path / "results.csv").read_bytes() == (reference / "results.csv").read_bytes()
    log = [json.loads(line) for line in (tmp_path / "runs.jsonl").read_text().splitlines()]
    assert sorted(rec["run_id"] for rec in log) == sorted(r.run_id for r in plan.runs)


def test_a_resume_logs_the_runs_a_killed_sweep_saved_but_did_not_log(plan, tmp_path):
    # kill -9 of the parent: workers had saved runs/<id>.json, the parent had not logged them
    # (and its last line was torn); resume skipped them as done, so runs.jsonl lacked them
    sweep(plan, tmp_path, SerialExecutor())
    lines = (tmp_path / "runs.jsonl").read_text().splitlines()
    (tmp_path / "runs.jsonl").write_text("\n".join(lines[:3]) + "\n" + lines[3][:20])
    again = sweep(plan, tmp_path, SerialExecutor(), resume=True)
    assert (again.skipped, again.ran) == (8, 0)
    # every line a record (the torn one dropped), every run once
    logged = [json.loads(line)["run_id"]
              for line in (tmp_path / "runs.jsonl").read_text().splitlines()]
    assert sorted(logged) == sorted(r.run_id for r in plan.runs)


def test_a_fresh_sweep_refuses_a_folder_with_results(plan, reference):
    from colossim.errors import ConfigError

    with pytest.raises(ConfigError, match="--resume"):
        execute(plan, reference, SerialExecutor())


def test_a_resume_with_nothing_left_starts_no_executor(plan, reference, tmp_path, monkeypatch):
    """QA: ``--resume --backend ray`` of a finished study took 9 s, all Ray's start."""
    from colossim.sweep import executors

    def refuse(*args, **kwargs):
        raise AssertionError("an executor was started with nothing to run")

    monkeypatch.setattr(executors, "make_executor", refuse)
    folder = tmp_path / "out"
    shutil.copytree(reference, folder)
    result = CliRunner().invoke(app, ["sweep", str(plan.study.source), "--out", str(folder),
                                      "--resume", "--backend", "ray", "--no-plots"])
    assert result.exit_code == 0, result.output
    assert (folder / "results.csv").read_bytes() == (reference / "results.csv").read_bytes()


def test_a_resume_refuses_the_folder_of_another_study(plan, reference, tmp_path, monkeypatch):
    """QA: resumed into another study's folder, a sweep ran all its runs, replaced that
    study's tables and removed its plots without a word."""
    from colossim.sweep import executors

    def refuse(*args, **kwargs):  # review: Ray took its 9 s to start before the refusal
        raise AssertionError("an executor was started for a folder the sweep refuses")

    monkeypatch.setattr(executors, "make_executor", refuse)
    assert json.loads((reference / "study.json").read_text())["name"] == "tiny"
    other = expand(load_study(write_study(tmp_path, STUDY.replace("name: tiny", "name: other"))))
    before = (reference / "results.csv").read_bytes()
    with pytest.raises(ConfigError) as caught:
        execute(other, reference, SerialExecutor(), resume=True)
    [problem] = caught.value.problems
    assert problem.message == ("holds the results of the study 'tiny', not 'other': --resume "
                               "continues a sweep of the same study; choose another --out")
    assert (reference / "results.csv").read_bytes() == before
    for last in ("--dry-run", "--no-plots"):  # what a dry run says, a real one does
        said = CliRunner().invoke(app, ["sweep", str(other.study.source), "--out",
                                        str(reference), "--resume", "--backend", "ray", last])
        assert said.exit_code == 2 and "holds the results of the study 'tiny'" in said.stderr
    dry = CliRunner().invoke(app, ["sweep", str(other.study.source), "--out", str(reference),
                                   "--dry-run"])  # a fresh sweep would refuse it too: say so
    assert dry.exit_code == 0  # named: "pass --resume" was advice the resume then refused (QA)
    assert "already holds the results of the study 'tiny', not 'other': choose another --out" \
        in " ".join(dry.stdout.split())


def test_an_edited_study_resumes_in_its_folder_though_every_run_id_changed(plan, reference,
                                                                         tmp_path):
    """Review: other seeds (or a set: value, or another base) change every run id; the study
    is the same, and resumes in its own folder, as docs/studies.md says."""
    folder = tmp_path / "out"
    shutil.copytree(reference, folder)
    path = write_study(tmp_path, STUDY.replace("seeds: 2", "seeds: [5, 6]"))  # the file, edited
    made = json.loads((folder / "study.json").read_text())
    (folder / "study.json").write_text(json.dumps({**made, "file": str(path)}))  # ran from it
    edited = expand(load_study(path))
    assert {r.run_id for r in edited.runs}.isdisjoint(r.run_id for r in plan.runs)
    report = execute(edited, folder, SerialExecutor(), resume=True)
    assert (report.skipped, report.ran) == (0, 8)
    # a namesake in another file (two studies both called "tiny"), no run in common: refused
    namesake = tmp_path / "elsewhere"
    namesake.mkdir()
    with pytest.raises(ConfigError, match=r"none of them a run of this one, from .*study\.yaml"):
        execute(expand(load_study(write_study(namesake, STUDY.replace("seeds: 2", "seeds: [7]")))),
                folder, SerialExecutor(), resume=True)
    (folder / "study.json").unlink()  # a folder from before study.json: by its runs' ids
    with pytest.raises(ConfigError, match="none of them a run of this one"):
        execute(expand(load_study(write_study(tmp_path, STUDY.replace("seeds: 2", "seeds: [7]"),
                                              "other.yaml"))), folder, SerialExecutor(),
                resume=True)


def test_an_edited_study_resumes_by_any_spelling_of_its_path(plan, reference, tmp_path,
                                                              monkeypatch):
    """QA: study.json kept the study's path as typed, so after an edit that changed every run
    id, a resume by an absolute path, from the study's own folder or through a symbolic link
    was refused as "another study ... from st2/mini.yaml", the same file."""
    folder = tmp_path / "out"
    shutil.copytree(reference, folder)
    edited = write_study(tmp_path, STUDY.replace("seeds: 2", "seeds: [5, 6]"))
    made = json.loads((folder / "study.json").read_text())
    monkeypatch.chdir(tmp_path)  # the first sweep was given the path relative to here
    (folder / "study.json").write_text(json.dumps({**made, "file": edited.name}))
    (tmp_path / "link").symlink_to(tmp_path)
    for spelt in (edited, Path("link") / edited.name, Path(edited.name)):
        report = execute(expand(load_study(spelt)), folder, SerialExecutor(), resume=True)
        assert not report.interrupted and report.planned == 8
    assert json.loads((folder / "study.json").read_text())["file"] == str(edited.resolve())


def test_a_run_that_raises_is_recorded_and_the_study_finishes(tmp_path):
    plan = expand(load_study(write_study(tmp_path, FAILING)))
    report = sweep(plan, tmp_path / "out", LocalExecutor(2), batch=1)
    assert (report.ran, report.failed) == (4, 2) and report.complete
    failed = failed_runs(report)
    assert {f["parameters"]["scheduler.policy.params.explode"] for f in failed} == {True}
    assert all("RuntimeError: boom: a bug in the policy (at " in f["error"] for f in failed)
    assert all(f["error"].endswith(" in decide)") for f in failed)
    assert all("sweep_helpers.py" in f["traceback"] for f in failed)
    rows = list(csv.DictReader((tmp_path / "out" / "results.csv").open()))
    assert sorted((r["status"], r["makespan_s"] == "") for r in rows) == [
        ("failed", True), ("failed", True), ("ok", False), ("ok", False)
    ]
    summary = list(csv.DictReader((tmp_path / "out" / "summary.csv").open()))
    assert [(s["runs"], s["failed"]) for s in summary] == [("2", "0"), ("0", "2")]


@pytest.mark.parametrize(("workers", "batch"), [(1, 1), (2, None)])
def test_a_dead_worker_fails_only_its_own_run_and_the_study_finishes(tmp_path, workers, batch):
    # plan order: 3 healthy runs, then 3 whose worker process exits. The pool breaks with every
    # task in flight; those runs run again one at a time, so only the runs that kill their
    # worker fail, and the study ends with its tables (it stopped, and --resume met the same)
    text = FAILING.replace("explode", "die").replace("seeds: 2", "seeds: 3")
    plan = expand(load_study(write_study(tmp_path, text)))
    report = sweep(plan, tmp_path / "out", LocalExecutor(workers), batch=batch)
    assert report.complete and (report.ran, report.failed) == (6, 3)
    records = [json.loads(p.read_text()) for p in (tmp_path / "out" / "runs").glob("*.json")]
    assert sorted(r["index"] for r in records if r["status"] == "ok") == [0, 1, 2]
    failed = [r for r in records if r["status"] == "failed"]
    assert sorted(r["index"] for r in failed) == [3, 4, 5]
    assert all(r["error"].startswith("its worker died while running it") for r in failed)
    summary = list(csv.DictReader((tmp_path / "out" / "summary.csv").open()))
    assert [(s["runs"], s["failed"]) for s in summary] == [("3", "0"), ("0", "3")]


def test_cli_exit_code_3_when_runs_failed(tmp_path):
    path = write_study(tmp_path, FAILING)
    out = tmp_path / "out"
    args = ["sweep", str(path), "--backend", "serial", "--out", str(out), "--no-plots"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 3, result.output
    assert "2 runs failed" in result.output and "RuntimeError: boom" in result.output
    assert (out / "results.csv").exists() and (out / "summary.csv").exists()


def test_failed_runs_keep_exit_code_3_when_the_reader_stops_early(tmp_path):
    # review: under `| head` the closed pipe's 141 hid the failed runs, and their error line
    path = write_study(tmp_path, FAILING)
    root = Path(__file__).resolve().parents[2]  # tests.sweep.sweep_helpers:Boom, importable
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root)])}
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run([sys.executable, "-m", "colossim", "sweep", str(path), "--backend",
                               "serial", "--out", str(tmp_path / "out"), "--no-plots"],
                              stdout=write, stderr=subprocess.PIPE, env=env, cwd=root,
                              timeout=120)
    finally:
        os.close(write)
    assert done.returncode == 3, done.stderr
    assert b"2 of 4 runs failed" in done.stderr


def test_cli_end_to_end_with_tables(tmp_path, reference, monkeypatch):
    pyarrow = need("pyarrow.parquet")
    monkeypatch.setenv("COLUMNS", "80")  # rich reads it when its console is made
    render.console.cache_clear()
    path = write_study(tmp_path)
    out = tmp_path / "out"
    args = ["sweep", str(path), "--workers", "2", "--out", str(out), "--no-plots"]
    result = CliRunner().invoke(app, args)
    render.console.cache_clear()
    assert result.exit_code == 0, result.output
    # the summary fits 80 columns with every header and mean whole (metrics that do not fit
    # beside the parameters go to a second table)
    lines = result.output.splitlines()
    assert max(map(len, lines)) <= 80 and "…" not in result.output
    # durations of a day or more read in days, as run and compare show them ("makespan d")
    # and shares in per cent, as run and compare show utilisation (QA: 0.7467 beside 74.7%)
    for header in ("policy.name", "llm-70b.max_gpus", "makespan d", "gpu_utilization %",
                   "moe-200b.jct d"):
        assert any(header in line for line in lines), header
    for point in csv.DictReader((out / "summary.csv").open()):  # summary.csv keeps seconds
        assert f"{float(point['makespan_s.mean']) / 86400:.4g}" in result.output
        assert f"{float(point['cluster.gpu_utilization.mean']) * 100:.4g}" in result.output
    assert (out / "results.csv").read_bytes() == (reference / "results.csv").read_bytes()
    schema = pyarrow.read_schema(out / "results.parquet")
    # no run failed: the error column is still text, not Arrow's null type
    assert str(schema.field("error").type) == "string"
    table = pyarrow.read_table(out / "results.parquet").to_pylist()
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert [t["run_id"] for t in table] == [r["run_id"] for r in rows]
    assert [t["makespan_s"] for t in table] == [float(r["makespan_s"]) for r in rows]
    assert [t["jobs.llm-70b.max_gpus"] for t in table] == [int(r["jobs.llm-70b.max_gpus"])
                                                            for r in rows]
    again = CliRunner().invoke(app, ["sweep", str(path), "--out", str(out), "--resume"])
    assert again.exit_code == 0 and "0 runs ran, 8 already done" in again.output


def test_cli_dry_run_lists_runs_and_runs_nothing(tmp_path, plan):
    path = write_study(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["sweep", str(path), "--dry-run", "--out", str(out)])
    assert result.exit_code == 0
    assert "8 runs (4 points)" in result.output
    assert not out.exists()


def test_cli_interrupt_exits_130_and_keeps_finished_runs(tmp_path, monkeypatch):
    import colossim.sweep.store as store

    writes = []
    real_write = store.Store.write

    def write_then_interrupt(self, run, outcome):
        record = real_write(self, run, outcome)
        writes.append(record)
        if len(writes) == 2:
            raise KeyboardInterrupt
        return record

    monkeypatch.setattr(store.Store, "write", write_then_interrupt)
    path = write_study(tmp_path)
    out = tmp_path / "out"
    # one run per task: Ctrl-C while the second is logged, before the third starts
    result = CliRunner().invoke(app, ["sweep", str(path), "-b", "serial", "--batch", "1",
                                      "--out", str(out)])
    assert result.exit_code == 130
    assert "2 of 8 runs are on disk" in result.stderr  # not a success: with the errors
    assert len(list((out / "runs").glob("*.json"))) == 2
    assert not (out / "results.csv").exists()


def test_plots_one_line_per_other_knob_value(plan, reference, tmp_path):
    need("matplotlib")
    from colossim.sweep.plots import lines_for, plot_study
    from colossim.sweep.store import Store
    from colossim.sweep.summary import summarise

    rows = summarise(plan, Store(reference).read({r.run_id for r in plan.runs}))
    # x = llm-70b's size: one line per policy, each through both sizes
    lines = lines_for(plan, rows, "jobs.llm-70b.max_gpus")
    assert sorted(lines) == [(("scheduler.policy.name", "fifo"),),
                             (("scheduler.policy.name", "priority"),)]
    assert all(sorted(r["jobs.llm-70b.max_gpus"] for r in line) == [72, 144]
               for line in lines.values())
    written = plot_study(plan, rows, tmp_path / "plots")
    assert len(written) == 3 * 2  # 3 metrics x 2 varied knobs
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in written)


def test_a_plot_reads_as_the_tables_and_marks_a_mean_of_fewer_runs(plan, reference):
    need("matplotlib")
    from colossim.sweep.plots import _pyplot, figure
    from colossim.sweep.store import Store
    from colossim.sweep.summary import summarise

    rows = summarise(plan, Store(reference).read({r.run_id for r in plan.runs}))
    few = rows[0]  # as if one of its two runs had no makespan (cut at the horizon)
    rows[0] = {**few, "makespan_s.n": 1, "makespan_s.ci95_low": None,
               "makespan_s.ci95_high": None}
    plt = _pyplot()
    fig = figure(plt, plan, rows, "scheduler.policy.name", "makespan_s")
    try:
        ax = fig.axes[0]
        # days, as the summary table shows a makespan of more than a day
        assert ax.get_ylabel() == "makespan (days)"
        drawn = sorted(y for bars in ax.containers for y in bars.lines[0].get_ydata())
        assert drawn == pytest.approx(sorted(r["makespan_s.mean"] / 86400 for r in rows))
        assert [t.get_text() for t in ax.texts] == ["n=1 of 2"]
    finally:
        plt.close(fig)
    # QA: a point where no run gave the metric vanished from the axis: marked at its foot
    rows[0] = {**few, "makespan_s.n": 0, "makespan_s.mean": None,
               "makespan_s.ci95_low": None, "makespan_s.ci95_high": None}
    fig = figure(plt, plan, rows, "scheduler.policy.name", "makespan_s")
    try:
        ax = fig.axes[0]
        assert [t.get_text() for t in ax.texts] == ["n=0 of 2"]
        x0 = ax.texts[0].xy[0]
        assert [line.get_xdata()[0] for line in ax.lines if line.get_linestyle() == ":"] == [x0]
        assert ax.get_xlim()[0] < x0 < ax.get_xlim()[1]
        # the legend beside the axes: clear of the x label and of the plotting area
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        legend = ax.get_legend().get_window_extent(renderer)
        assert not legend.overlaps(ax.xaxis.label.get_window_extent(renderer))
        assert legend.x0 >= ax.get_window_extent(renderer).x1
    finally:
        plt.close(fig)


def test_a_ray_address_without_the_ray_backend_is_warned_of(tmp_path, monkeypatch):
    # it ran on the local backend without a word, the user believing it was on the cluster
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    path = write_study(tmp_path, f"base: {SMALL}\nseeds: 1\n")
    args = ["sweep", str(path), "--backend", "serial", "--address", "10.0.0.1:6379",
            "--out", str(tmp_path / "out"), "--no-plots", "--quiet"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert ("a Ray address is given (10.0.0.1:6379, from --address or RAY_ADDRESS) but the "
            "backend is serial: add --backend ray") in " ".join(result.output.split())


class _RefusingRay:
    """Ray as a cluster that answers but refuses this driver: ``ray.init`` raises."""

    def __init__(self, message: str):
        self.message = message

    def is_initialized(self) -> bool:
        return False

    def init(self, **_options) -> None:
        raise ConnectionError(self.message)


@pytest.mark.parametrize(("message", "hint"), [
    ("Failed to connect to Ray cluster: InvalidAuthToken: no token provided\nmore lines",
     "RAY_AUTH_TOKEN"),
    ("Version mismatch: the cluster runs Ray 2.40.0", "compatible Ray and Python"),
    # QA: Ray 2.60's words when the token is missing name no cause: both are offered
    ("Failed to connect to Ray cluster at 192.0.2.2:6399", "InvalidAuthToken above, the token: "
     "the cluster asks for a token")])
def test_a_ray_cluster_that_refuses_the_driver_is_one_line_exit_2(monkeypatch, message, hint):
    # ray 2.60 with token authentication on: ~20 s of warnings, then a traceback and exit 1
    from colossim.errors import ClusterUnavailable
    from colossim.sweep import executors

    monkeypatch.setattr(executors, "import_ray", lambda: _RefusingRay(message))
    with pytest.raises(ClusterUnavailable) as info:
        executors.RayExecutor(address="auto")
    text = str(info.value)
    assert text.startswith(f"cannot attach to the Ray cluster at auto: {message.splitlines()[0]};")
    assert hint in text and "\n" not in text and info.value.exit_code == 2


class _StartingRay:
    """Ray as it starts an instance of its own: ``init`` runs ``during`` (a SIGTERM that Ray's
    own handler turns into ``sys.exit(15)``, or nothing), then reports 4 CPUs."""

    def __init__(self, during=None):
        self.during, self.stopped, self.inits = during, False, []

    def is_initialized(self) -> bool:
        return False

    def init(self, **options) -> None:
        self.inits.append(options)
        if self.during is not None:
            self.during()

    def shutdown(self) -> None:
        self.stopped = True

    def cluster_resources(self) -> dict:
        return {"CPU": 4}


def test_a_sigterm_while_ray_starts_its_instance_is_a_ctrl_c(monkeypatch):
    """QA: a SIGTERM 2-8 s into a sweep that starts its own Ray instance met Ray's handler
    (``sys.exit(15)``) before colossim's was back: exit 15, nothing said. It is a Ctrl-C, as
    everywhere else (exit 130), and the half-started instance is stopped."""
    from colossim.sweep import executors

    def terminated():
        raise SystemExit(15)

    ray = _StartingRay(terminated)
    monkeypatch.setattr(executors, "import_ray", lambda: ray)
    with pytest.raises(KeyboardInterrupt):
        executors.RayExecutor()
    assert ray.stopped and ray.inits[0]["address"] == "local"


def test_workers_given_with_a_ray_address_are_said_to_be_ignored(monkeypatch):
    # QA: --workers 1 with --address ran on all the cluster's CPUs, without a word
    from colossim.errors import ColossimWarning
    from colossim.sweep import executors

    monkeypatch.setattr(executors, "import_ray", lambda: _StartingRay())
    monkeypatch.setattr(executors, "_attach", lambda ray, address, options: None)
    with pytest.warns(ColossimWarning, match="--workers 1 is ignored on an existing Ray "
                                             "cluster: the study runs on all its CPUs"):
        executor = executors.RayExecutor(address="127.0.0.1:6379", workers=1)
    assert executor.workers == 4


class _LosesTheCluster:
    """A ray-like executor whose cluster goes away after ``ok`` tasks."""

    name, slots, shared_disk = "ray", 2, False

    def __init__(self, ok: int):
        self.ok, self.sent = ok, 0

    def submit(self, fn, *args):
        from concurrent.futures import Future

        from colossim.sweep.executors import ClusterLost

        future: Future = Future()
        self.sent += 1
        if self.sent <= self.ok:
            future.set_result(fn(*args))
        else:
            future.set_exception(ClusterLost("NodeDiedError: the head is gone"))
        return future

    def shutdown(self, *, cancel: bool = False) -> None:
        return None

    def holds(self, run_id: str) -> bool:
        return False


def test_a_lost_ray_cluster_stops_the_study_and_fails_no_run(tmp_path):
    """QA: a head stopped mid-sweep recorded every run left as failed (12 of 16 had never
    started) and exit 3 said some runs raised. The study stops, keeps the 3 that finished,
    records nothing more, and says what happened and what to do (exit 1)."""
    from colossim.errors import ColossimError
    from colossim.sweep.runner import execute

    plan = expand(load_study(write_study(tmp_path)))
    out = tmp_path / "out"
    with pytest.raises(ColossimError) as info:
        execute(plan, out, _LosesTheCluster(3), batch=1)
    assert str(info.value) == (
        f"the Ray cluster was lost (NodeDiedError: the head is gone); 3 of {len(plan.runs)} "
        f"runs are saved in {out}: rerun with --resume once the cluster is back")
    assert info.value.exit_code == 1
    lines = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    assert [rec["status"] for rec in lines] == ["ok"] * 3


def test_ray_errors_that_say_the_cluster_is_gone_become_cluster_lost():
    import importlib.util
    from concurrent.futures import BrokenExecutor, Future

    from colossim.sweep.executors import ClusterLost, _relay
    from tests.conftest import missing

    if importlib.util.find_spec("ray") is None:
        missing("ray is not installed (pip install 'colossim[ray]')", "; CI installs it")
    import ray.exceptions as ray_errors

    for exc, lost in ((ray_errors.NodeDiedError("node 1 died"), True),
                      (ray_errors.LocalRayletDiedError(), True),
                      (ray_errors.WorkerCrashedError(), False), (ValueError("x"), False)):
        source, target = Future(), Future()
        source.set_exception(exc)
        _relay(source, target)
        assert isinstance(target.exception(), ClusterLost) == lost
        assert isinstance(target.exception(), BrokenExecutor) == lost
    source, target = Future(), Future()
    source.set_result([1])
    _relay(source, target)
    assert target.result() == [1]


def test_a_ray_address_nothing_answers_at_fails_fast():
    # Ray retried for minutes, printing time-outs; a port nobody listens on is refused at once
    import socket

    from colossim.errors import ColossimError
    from colossim.sweep.executors import _reachable

    with socket.socket() as probe:  # a free port, closed again: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ColossimError, match=f"cannot reach a Ray cluster at 127.0.0.1:{port}"
                       ) as info:
        _reachable(f"127.0.0.1:{port}")
    assert info.value.exit_code == 2  # a bad --address is bad input, as docs/cli.md lists
    _reachable("auto")  # not host:port: left to Ray


def test_default_workers_are_the_cpus_this_process_may_use():
    # os.cpu_count() is the machine's: `taskset -c 0 colossim sweep` forked a worker per CPU
    from tests.conftest import missing

    if shutil.which("taskset") is None or (os.cpu_count() or 1) < 2:  # CI has both: it fails
        missing("needs taskset (util-linux) and two CPUs to pin to one")
    code = ("from colossim.sweep.executors import LocalExecutor\n"
            "pool = LocalExecutor()\nprint(pool.workers)\npool.shutdown()\n")
    done = subprocess.run(["taskset", "-c", "0", sys.executable, "-c", code], check=True,
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["1"]


def test_a_ray_address_where_some_other_server_answers_fails_fast():
    # QA: a web server (or Redis) on the port passed the connect check, and ray.init then
    # waited for ever, deaf to Ctrl-C; a gRPC server answers HTTP/2's preface with SETTINGS
    import socket
    import threading

    from colossim.errors import ColossimError
    from colossim.sweep.executors import _reachable

    def serve(server: socket.socket, reply: bytes) -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(64)
            conn.sendall(reply)

    for reply, speaks in ((b"HTTP/1.0 400 Bad request\r\n\r\n", False),
                          (b"\x00\x00\x06\x04\x00\x00\x00\x00\x00", True)):  # SETTINGS frame
        with socket.socket() as server:
            server.bind(("127.0.0.1", 0))
            server.listen(1)
            port = server.getsockname()[1]
            thread = threading.Thread(target=serve, args=(server, reply), daemon=True)
            thread.start()
            if speaks:
                _reachable(f"127.0.0.1:{port}")
            else:
                with pytest.raises(ColossimError, match=f"something answers at 127.0.0.1:{port}, "
                                   "but not a Ray cluster") as info:
                    _reachable(f"127.0.0.1:{port}")
                assert info.value.exit_code == 2
            thread.join(5)


@pytest.mark.parametrize(("address", "said"), [
    ("http://10.0.0.1:6379", "http://10.0.0.1:6379 is not a Ray address: drop http://"),
    ("10.0.0.1", "10.0.0.1 has no port: give HOST:PORT"),
    ("garbage:notaport", "garbage:notaport: the port 'notaport' is not a number"),
])
def test_a_ray_address_of_the_wrong_form_is_said_as_such(address, said):
    # QA: a typo in the address came back with the whole token-authentication advice, and a
    # scheme as "Name or service not known"
    from colossim.errors import ColossimError
    from colossim.sweep.executors import _reachable

    with pytest.raises(ColossimError) as info:
        _reachable(address)
    assert str(info.value).startswith(said) and "token" not in str(info.value)
    assert info.value.exit_code == 2


def test_a_ray_submit_that_finds_the_cluster_gone_is_a_lost_cluster():
    """Review: a dead cluster can fail the task's submission itself, not only its future: that
    too stops the study as a lost cluster rather than an error out of the runner."""
    from colossim.sweep.executors import ClusterLost, RayExecutor

    class NodeDiedError(Exception):  # Ray's name is what is matched (``CLUSTER_GONE``)
        pass

    class Dead:
        def remote(self, *_args):
            raise NodeDiedError("node 1 died")

    executor = object.__new__(RayExecutor)
    executor._remote, executor._refs = {len: Dead()}, set()
    with pytest.raises(ClusterLost, match="NodeDiedError: node 1 died"):
        executor.submit(len, [])
    executor._remote = {len: type("Other", (), {"remote": lambda self, *a: 1 / 0})()}
    with pytest.raises(ZeroDivisionError):  # anything else is not taken for a lost cluster
        executor.submit(len, [])
