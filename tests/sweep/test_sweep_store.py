"""The output folder as a store: runs made by other code run again on ``--resume``, and one
sweep at a time writes into a folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from colossim.errors import ColossimError, ColossimWarning
from colossim.sweep import build
from colossim.sweep.build import build_of
from colossim.sweep.executors import SerialExecutor
from colossim.sweep.expand import expand
from colossim.sweep.folder_lock import LOCK
from colossim.sweep.runner import execute
from colossim.sweep.spec import load_study
from colossim.sweep.store import Store
from tests.sweep.sweep_helpers import SMALL, write_study


@pytest.fixture(scope="module")
def done(tmp_path_factory):
    """A finished 8-run study, and its plan."""
    plan = expand(load_study(write_study(tmp_path_factory.mktemp("study"))))
    out = tmp_path_factory.mktemp("done")
    report = execute(plan, out, SerialExecutor())
    assert (report.ran, report.failed) == (8, 0)
    return plan, out


def _restamp(out, run_ids, build):
    """Pretend other code made these runs (``None``: a record from before builds were kept)."""
    for run_id in run_ids:
        path = out / "runs" / f"{run_id}.json"
        record = json.loads(path.read_text())
        if build is None:
            del record["build"]
        else:
            record["build"] = build
        path.write_text(json.dumps(record))


def test_every_record_names_the_code_that_made_it(done):
    plan, out = done
    for run in plan.runs:
        record = json.loads((out / "runs" / f"{run.run_id}.json").read_text())
        assert record["build"] == build_of(run.scenario)
        assert len(record["build"]) == 16 and int(record["build"], 16) >= 0


@pytest.mark.parametrize("stamp", ["0123456789abcdef", None])
def test_a_resume_runs_again_what_other_code_made(done, tmp_path, stamp):
    plan, out = done
    folder = tmp_path / "out"
    shutil.copytree(out, folder)
    stale = sorted(run.run_id for run in plan.runs)[:3]
    _restamp(folder, stale, stamp)
    rerun = []
    with pytest.warns(ColossimWarning, match=r"3 runs in .* were made by other code"):
        report = execute(plan, folder, SerialExecutor(), resume=True,
                         on_record=lambda rec: rerun.append(rec["run_id"]))
    assert (report.skipped, report.ran) == (5, 3)
    assert sorted(rerun) == stale
    for run_id in stale:  # the runs were made again by this code
        record = json.loads((folder / "runs" / f"{run_id}.json").read_text())
        assert record["build"] == build_of(plan.runs[0].scenario)


def test_a_resume_with_the_same_code_reruns_nothing_and_warns_of_nothing(done, tmp_path):
    import warnings

    plan, out = done
    folder = tmp_path / "out"
    shutil.copytree(out, folder)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = execute(plan, folder, SerialExecutor(), resume=True)
    assert (report.skipped, report.ran) == (8, 0)


def fifo_against(tmp_path, monkeypatch, policy: str):
    """A one-seed study of small under fifo and ``policy``, found on ``tmp_path``."""
    monkeypatch.syspath_prepend(str(tmp_path))
    return expand(load_study(write_study(tmp_path, f"""\
base: {SMALL}
parameters:
  scheduler.policy.name: [fifo, "{policy}"]
seeds: 1
""")))


def test_a_policy_file_outside_colossim_is_part_of_the_build(tmp_path, monkeypatch):
    module = tmp_path / "qa_build_policy.py"
    module.write_text("from colossim.policy.builtin.fifo import Fifo\n\n"
                      "class Mine(Fifo):\n    name = 'qa-build-mine'\n")
    plan = fifo_against(tmp_path, monkeypatch, "qa_build_policy:Mine")
    builtin, plugin = (run.scenario for run in plan.runs)
    first = build_of(plugin)
    assert first != build_of(builtin)
    module.write_text(module.read_text() + "# a fix\n")
    # this process runs the code it imported: the edit is not its build (a sweep's runs made
    # by the old code were stamped with the fixed file's digest: review)
    assert build_of(plugin) == first
    build._file_digest.cache_clear()  # a fresh process: it imports the fixed file
    assert build_of(plugin) not in (first, build_of(builtin))
    # a built-in policy's code is colossim's: the same build for every built-in policy
    assert build_of(builtin) == build_of(plan.runs[0].scenario.model_copy(
        update={"scheduler": builtin.scheduler.model_copy(update={
            "policy": builtin.scheduler.policy.model_copy(update={"name": "priority"})})}))


def test_the_package_digest_covers_the_built_in_scenarios(monkeypatch, tmp_path):
    package = tmp_path / "colossim"
    (package / "config" / "scenarios").mkdir(parents=True)
    (package / "engine.py").write_text("x = 1\n")
    scenario = package / "config" / "scenarios" / "small.yaml"
    scenario.write_text("name: small\n")
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "engine.cpython-311.pyc").write_bytes(b"\0")

    def digest():
        build.package_digest.cache_clear()
        return build.package_digest()

    monkeypatch.setattr(build, "PACKAGE", package)
    try:
        first = digest()
        (package / "__pycache__" / "engine.cpython-311.pyc").write_bytes(b"\1")
        assert digest() == first  # compiled files are not the code
        scenario.write_text("name: small  # edited\n")
        assert digest() != first
    finally:
        monkeypatch.undo()  # the real package again, and its digest cached afresh
        build.package_digest.cache_clear()


HOLDER = """
import sys, time
from pathlib import Path
from colossim.sweep.folder_lock import acquire
acquire(Path(sys.argv[1]))
print("held", flush=True)
time.sleep(60)
"""


def _held_elsewhere(folder):
    """Another process holding the folder's lock (as a running sweep does), until killed."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "held\n"
    return holder


def test_a_second_sweep_into_a_folder_in_use_is_refused(done, tmp_path):
    plan, out = done
    folder = tmp_path / "out"
    shutil.copytree(out, folder)
    holder = _held_elsewhere(folder)
    try:
        with pytest.raises(ColossimError, match=rf"another sweep is writing into this folder "
                                                rf"\(process {holder.pid}\)"):
            execute(plan, folder, SerialExecutor(), resume=True)
    finally:
        holder.kill()
        holder.wait()
    report = execute(plan, folder, SerialExecutor(), resume=True)  # free again
    assert (report.skipped, report.ran) == (8, 0)


def test_the_command_holds_the_folder_until_its_tables_are_written(done, tmp_path, monkeypatch):
    """The lock went with the runs, before the tables and plots: a second sweep could write
    its own beside them (review)."""
    from colossim.sweep import outputs

    plan, out = done
    folder = tmp_path / "out"
    shutil.copytree(out, folder)
    seen = []
    real = outputs.write_outputs

    def while_writing(*args, **kwargs):
        probe = subprocess.run([sys.executable, "-c", HOLDER.replace("time.sleep(60)", ""),
                                str(folder)], capture_output=True, text=True)
        seen.append((probe.returncode,
                     "another sweep is writing into this folder" in probe.stderr))
        return real(*args, **kwargs)

    monkeypatch.setattr(outputs, "write_outputs", while_writing)
    from typer.testing import CliRunner

    from colossim.cli.app import app

    result = CliRunner().invoke(app, ["sweep", str(plan.study.source), "--out", str(folder),
                                      "--resume", "--backend", "serial", "--no-plots"])
    assert result.exit_code == 0, result.output
    assert seen == [(1, True)]  # the probe could not take the lock: the sweep held it


def test_a_forked_worker_does_not_keep_the_folder_locked(tmp_path):
    from colossim.sweep.folder_lock import acquire, release

    key = acquire(tmp_path)
    child = os.fork()
    if child == 0:  # a pool worker that lives on after the sweep let go
        time.sleep(5)
        os._exit(0)
    try:
        release(key)
        probe = subprocess.run([sys.executable, "-c", HOLDER.replace("time.sleep(60)", ""),
                                str(tmp_path)], capture_output=True, text=True)
        assert probe.returncode == 0, probe.stderr  # free, though the child still lives
    finally:
        os.kill(child, 9)
        os.waitpid(child, 0)


def test_a_lock_is_released_whatever_the_working_folder_became(tmp_path, monkeypatch):
    # review: a relative path resolved again at release meant another folder after a chdir,
    # and the lock stayed held for the life of the process
    from colossim.sweep.folder_lock import _HELD

    plan = expand(load_study(write_study(tmp_path)))
    monkeypatch.chdir(tmp_path)
    store = Store(Path("out"))
    store.prepare(resume=False, plan=plan)
    monkeypatch.chdir("/")
    store.close()
    assert not _HELD


def test_a_lock_file_left_by_a_dead_sweep_does_not_lock_the_folder(done, tmp_path):
    plan, out = done
    folder = tmp_path / "out"
    shutil.copytree(out, folder)
    (folder / LOCK).write_text("999999\n")  # the file stays; its lock died with its process
    report = execute(plan, folder, SerialExecutor(), resume=True)
    assert (report.skipped, report.ran) == (8, 0)


def test_a_sweep_that_cannot_start_leaves_no_empty_folder(done, tmp_path, monkeypatch):
    # QA: an executor that failed to start (a Ray cluster out of reach) left an output folder
    # holding only the lock file; a folder that was there before is left as it was
    from typer.testing import CliRunner

    from colossim.cli.app import app
    from colossim.sweep import executors

    def unreachable(*_args, **_kwargs):
        raise ColossimError("cannot reach the Ray cluster")

    monkeypatch.setattr(executors, "make_executor", unreachable)
    plan, _out = done
    args = ["sweep", str(plan.study.source), "--backend", "serial", "--no-plots", "--out"]
    fresh = tmp_path / "fresh" / "out"
    result = CliRunner().invoke(app, [*args, str(fresh)])
    assert result.exit_code == 1 and "cannot reach the Ray cluster" in result.output
    assert not (tmp_path / "fresh").exists()  # the folders the lock made, and no more
    kept = tmp_path / "kept"
    kept.mkdir()
    result = CliRunner().invoke(app, [*args, str(kept)])
    assert result.exit_code == 1 and kept.is_dir()


def test_a_helper_module_of_the_policys_own_package_is_part_of_the_build(tmp_path, monkeypatch):
    # QA: a plugin that moved its ranking into keys.py of its package was resumed over runs of
    # the old keys.py ("0 runs ran, 5 already done", the table keeping the old figures)
    package = tmp_path / "qa_build_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "keys.py").write_text("def key(job):\n    return job.index\n")
    (package / "policy.py").write_text(
        "from colossim.policy.staged import StagedPolicy\nfrom qa_build_pkg.keys import key\n\n"
        "class Keyed(StagedPolicy):\n    name = 'qa-build-keyed'\n\n"
        "    def sort_key(self, job):\n        return key(job)\n")
    plugin = fifo_against(tmp_path, monkeypatch, "qa_build_pkg.policy:Keyed").runs[1].scenario
    first = build_of(plugin)
    (package / "keys.py").write_text("def key(job):\n    return -job.index\n")
    build._file_digest.cache_clear()  # a fresh process, which imports the new keys.py
    assert build_of(plugin) != first


def test_runs_made_by_other_code_than_the_drivers_are_warned_of_once_at_once(tmp_path,
                                                                             monkeypatch):
    # QA: Ray workers importing another colossim made every run with another build; nothing
    # was said until each --resume ran every run again, blaming an upgrade
    from colossim.sweep import task

    plan = expand(load_study(write_study(tmp_path)))
    assert len(plan.runs) > 1
    monkeypatch.setattr(task, "build_of", lambda scenario: "0123456789abcdef")
    with pytest.warns(ColossimWarning) as caught:
        execute(plan, tmp_path / "out", SerialExecutor())
    said = [str(w.message) for w in caught if "other code" in str(w.message)]
    assert len(said) == 1
    assert "came back made by build 0123456789abcdef, this driver's is " \
           f"{build_of(plan.runs[0].scenario)}" in said[0]
    monkeypatch.undo()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the driver's own code: nothing to say
        execute(plan, tmp_path / "again", SerialExecutor())
