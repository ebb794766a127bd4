"""Ctrl-C in the middle of a batch: the runs a worker had finished reach the disk.

The local pool sends several short runs per task (``sweep.batching``). A local worker saves each
run's file the moment the run ends; the parent logs the runs when their task comes back. A Ctrl-C
reaches the whole process group, workers included; each worker hands back the runs its task had
finished, and the parent logs them before it stops. These tests interrupt a real
``colossim sweep`` process, and ``run_batch`` and ``execute`` directly.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from colossim.sweep import task as task_module
from colossim.sweep.executors import LocalExecutor, SerialExecutor
from colossim.sweep.expand import expand
from colossim.sweep.runner import execute
from colossim.sweep.spec import load_study
from colossim.sweep.task import Outcome, Task, run_batch
from tests.sweep.sweep_helpers import REPO, SMALL, write_study

SLOW_STUDY = """\
name: slow
base: {small}
set:
  scheduler.policy.name: "tests.sweep.sweep_helpers:Slow"
  scheduler.policy.params.delay_s: 0.6
  scheduler.policy.params.marker_dir: "{markers}"
parameters:
  jobs.llm-70b.max_gpus: [72, 144, 216]
seeds: 2
metrics: [makespan_s]
"""  # 3 points x 2 seeds = 6 runs, each holding its worker for 0.6 s


def _on_disk(out):
    return {path.stem for path in (out / "runs").glob("*.json")}


def _logged(out):
    log = out / "runs.jsonl"
    lines = log.read_text().splitlines() if log.exists() else []
    return [json.loads(line)["run_id"] for line in lines]


@pytest.mark.parametrize(("stop", "group"), [
    (signal.SIGINT, True), (signal.SIGTERM, True),  # Ctrl-C, or a scheduler's kill: SIGTERM
    # ended the sweep at once with no word (QA), now it is a Ctrl-C
    (signal.SIGTERM, False),  # `kill PID`: the sweep alone; its workers went on starting
    # queued runs after it stopped (QA), now it passes the signal on
])
def test_ctrl_c_mid_batch_keeps_the_runs_the_worker_had_finished(tmp_path, stop, group):
    markers = tmp_path / "markers"
    markers.mkdir()
    study = write_study(tmp_path, SLOW_STUDY.format(small=SMALL, markers=markers))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "colossim", "sweep", str(study), "--workers", "1",
               "--batch", "3", "--out", str(out), "--no-plots", "--quiet"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get(
        "PYTHONPATH", "")])}
    sweep = subprocess.Popen(command, cwd=REPO, env=env, start_new_session=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(list(markers.iterdir())) < 3:  # the third run of the first batch has begun
        assert sweep.poll() is None and time.monotonic() < deadline, sweep.communicate()
        time.sleep(0.005)
    # two runs are done and saved by the worker, but their batch has not come back to be logged
    assert len(_on_disk(out)) == 2 and _logged(out) == []
    if group:
        os.killpg(sweep.pid, stop)  # what Ctrl-C in a terminal does: the whole group
    else:
        os.kill(sweep.pid, stop)
    stdout, stderr = sweep.communicate(timeout=60)
    assert sweep.returncode == 130, stderr
    assert "2 of 6 runs are on disk" in stderr
    assert "Traceback" not in stderr  # idle and busy workers alike stop quietly
    assert _on_disk(out) == set(_logged(out)) and len(_on_disk(out)) == 2
    assert not list((out / "runs").glob(".*.tmp"))
    resumed = subprocess.run([*command, "--resume"], cwd=REPO, env=env, capture_output=True,
                             text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    logged = _logged(out)
    assert len(logged) == len(set(logged)) == 6  # the 4 missing runs ran, the 2 kept did not
    assert len(list(markers.iterdir())) == 3 + 4


def _tiny_plan(tmp_path):
    return expand(load_study(write_study(tmp_path)))


def test_run_batch_hands_back_the_runs_finished_before_an_interrupt(tmp_path, monkeypatch):
    plan = _tiny_plan(tmp_path)
    tasks = [Task(run) for run in plan.runs[:4]]
    calls = []

    def third_is_interrupted(task):
        calls.append(task.run_id)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return Outcome(task.run_id, '{"fake":true}')

    monkeypatch.setattr(task_module, "run_one", third_is_interrupted)
    outcomes = run_batch(tasks)
    assert [o.run_id for o in outcomes] == [t.run_id for t in tasks[:2]]


def test_a_run_its_worker_cannot_save_goes_back_to_the_parent_and_fails_no_other(tmp_path,
                                                                                  monkeypatch):
    """Review: a worker's failed save (a full disk, a folder gone) raised out of the batch,
    and every run of it, those already saved included, was recorded as failed. Now the run
    goes back unsaved, with its result, for the parent to save; the others stay saved."""
    plan = _tiny_plan(tmp_path)
    tasks = [Task(run) for run in plan.runs[:3]]
    real_save = task_module.save_record

    def second_cannot_be_saved(runs_dir, run, outcome):
        if run.run_id == tasks[1].run_id:
            raise OSError(28, "No space left on device")
        return real_save(runs_dir, run, outcome)

    monkeypatch.setattr(task_module, "run_one", lambda task: Outcome(task.run_id, '{"x":1}'))
    monkeypatch.setattr(task_module, "save_record", second_cannot_be_saved)
    runs = tmp_path / "runs"
    runs.mkdir()
    outcomes = run_batch(tasks, runs)
    assert [o.ok for o in outcomes] == [True, True, True]
    assert [o.record_json is not None for o in outcomes] == [True, False, True]
    assert outcomes[1].result_json == '{"x":1}'  # the parent's to save
    assert sorted(p.stem for p in runs.glob("*.json")) == sorted(
        t.run_id for t in (tasks[0], tasks[2]))


def test_an_interrupted_batch_stops_the_sweep_and_keeps_its_finished_runs(tmp_path, monkeypatch):
    plan = _tiny_plan(tmp_path)
    real = task_module.run_one
    calls = []

    def sixth_is_interrupted(task):
        calls.append(task.run_id)
        if len(calls) == 6:
            raise KeyboardInterrupt
        return real(task)

    monkeypatch.setattr(task_module, "run_one", sixth_is_interrupted)
    out = tmp_path / "out"
    report = execute(plan, out, SerialExecutor(), batch=4)
    assert report.interrupted and report.ran == 5
    assert _on_disk(out) == {run.run_id for run in plan.runs[:5]} == set(_logged(out))


def test_a_cancelled_pool_ends_its_thread_and_stops_a_worker_the_signal_missed():
    """After Ctrl-C nothing of the pool may be left winding down at exit: Python's exit hook
    would race the pool's thread closing its pipe (an ``OSError`` traceback, seen in CI)."""
    executor = LocalExecutor(workers=1)
    manager = executor._pool._executor_manager_thread
    (worker,) = executor._pool._processes.values()
    busy = executor.submit(time.sleep, 60)  # a worker still busy: the signal did not reach it
    while not busy.running():
        time.sleep(0.01)
    executor.shutdown(cancel=True, grace_s=0.2)
    assert not manager.is_alive()
    assert not worker.is_alive() and worker.exitcode == -signal.SIGKILL  # (SIGTERM: a Ctrl-C)
    assert busy.done() and busy.exception() is not None  # its runs run again on --resume


def _stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name (state, parent, ...)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _children(pid: int) -> set[int]:
    """Processes whose parent is ``pid`` (from /proc: Linux)."""
    found = set()
    for stat in os.listdir("/proc"):
        if stat.isdigit():
            try:
                fields = _stat(int(stat))
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(stat))
    return found


def _alive(pid: int) -> bool:
    try:
        state = _stat(pid)[0]
    except OSError:
        return False
    return state != "Z"


def test_kill_9_of_a_sweep_takes_its_workers_with_it(tmp_path):
    # they were re-parented and blocked on the pool's pipes for good (Linux: the kernel now
    # kills each worker when its sweep dies)
    markers = tmp_path / "markers"
    markers.mkdir()
    study = write_study(tmp_path, SLOW_STUDY.format(small=SMALL, markers=markers))
    command = [sys.executable, "-m", "colossim", "sweep", str(study), "--workers", "2",
               "--out", str(tmp_path / "out"), "--no-plots", "--quiet"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get(
        "PYTHONPATH", "")])}
    sweep = subprocess.Popen(command, cwd=REPO, env=env, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list(markers.iterdir()):  # a worker is in a run
        assert sweep.poll() is None and time.monotonic() < deadline
        time.sleep(0.005)
    workers = _children(sweep.pid)
    assert len(workers) >= 2
    sweep.kill()
    sweep.wait(timeout=30)
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(w) for w in workers)
