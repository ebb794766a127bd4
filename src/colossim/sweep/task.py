"""What a worker does: simulate a batch of runs and hand back plain, picklable outcomes.

A run that raises becomes a failed ``Outcome`` carrying its error and traceback, so one bad point
never takes down a worker, a batch or the study. Results travel as ``RunResult.to_dict()`` (the
record of events stays in the worker: it can be large and sweeps do not need it), plus the
``scheduling`` group the worker computes while it still has the run's state
(``sweep/scheduling.py``). A worker on the parent's disk also saves each run's file itself
(``run_batch(tasks, runs_dir)``), the moment the run ends: the parent's share of the work per
run, which competes with the workers for the CPUs, shrinks to a log line.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType
from typing import Any

from colossim.config.schema import Scenario
from colossim.sweep.build import build_of, package_digest
from colossim.sweep.expand import Run
from colossim.sweep.records import Outcome, save_record

__all__ = ["Outcome", "Task", "run_batch", "run_one", "warm_up", "worker_init"]


@dataclass(frozen=True)
class Task:
    """A run sent to a worker: its scenario, and where it sits in the study (for its record)."""

    run: Run

    @property
    def run_id(self) -> str:
        return self.run.run_id


def run_one(task: Task) -> Outcome:
    from colossim.sweep.scheduling import simulate_with_scheduling

    start = time.perf_counter()
    build = build_of(task.run.scenario)  # the code that makes this run (``--resume`` checks)
    try:  # the result plus compare's scheduling metrics (``sweep/scheduling.py``)
        result = json.dumps(simulate_with_scheduling(task.run.scenario), separators=(",", ":"))
    except Exception as exc:  # recorded, not raised: the study goes on (exit code 3 at the end)
        return Outcome(
            task.run_id, None, f"{type(exc).__name__}: {exc}", traceback.format_exc(),
            time.perf_counter() - start, build=build,
        )
    return Outcome(task.run_id, result, wall_s=time.perf_counter() - start, build=build)


# The smallest run that goes through every subsystem: one rack, one GPU-hour, failures on.
WARM_UP_SCENARIO: dict[str, Any] = {
    "name": "warm-up",
    "cluster": {"pod_size_racks": 1, "rack_groups": [{"gpu_type": "GB200", "racks": 1}],
                "power": {"supply_mw": 1.0}},
    "jobs": [{"name": "warm-up", "work_gpu_hours": 1, "reference_gpu": "GB200", "min_gpus": 1,
              "max_gpus": 1, "placement": "gpu"}],
    "reliability": {"enabled": True},
}


@functools.cache
def warm_up() -> None:
    """Import and initialise everything a run needs, once, in the process that the pool's
    workers are forked from. A run imports most of the engine, policies, simpy and parts of numpy
    lazily, and compiles them when no bytecode is cached: ~0.1 s of CPU and up to a second of
    wall time on a loaded machine, which every forked worker would otherwise pay again on its
    first run (more than a whole 40-run sweep of the small scenario takes). Once per process
    (cached): a second pool, as in a benchmark or a notebook, finds everything warm."""
    import numpy.ma  # noqa: F401  np.unique imports it on first use (~20 ms), in the fabric

    from colossim.sweep.scheduling import simulate_with_scheduling

    simulate_with_scheduling(Scenario.model_validate(WARM_UP_SCENARIO))
    package_digest()  # each run's record names the code that made it (``sweep/build.py``)


class _WorkerState:
    """What a pool worker knows: whether Ctrl-C came, whether a batch is running, and the runs
    it was handed when it started (``worker_init``), which tasks may then name by id."""

    interrupted = False
    busy = False
    held: Mapping[str, Run] = {}


_WORKER = _WorkerState()


def _on_interrupt(_signum: int, _frame: FrameType | None) -> None:
    if _WORKER.interrupted:  # the sweep passes on an interrupt that reached it alone
        return  # (``LocalExecutor.interrupt``); one that reached both is taken once
    _WORKER.interrupted = True
    if _WORKER.busy:
        raise KeyboardInterrupt


def worker_init(held: Mapping[str, Run] | None = None, parent: int | None = None) -> None:
    """A pool worker's initializer. Ctrl-C reaches the whole process group, workers included:
    a busy worker stops its batch (``run_batch`` hands back what it finished), and an idle one
    only notes it, so it neither dies with a traceback (breaking the pool) nor starts a run
    that was queued before the interrupt, which the parent would have to wait for.

    ``held``: the study's runs by id. A forked worker inherits them with the parent's memory,
    so tasks can then be run ids instead of pickled scenarios (``LocalExecutor``). ``parent``:
    the sweep's process id. SIGTERM does what SIGINT does, as in the command line
    (``cli.entry``): a scheduler's kill of the whole group stops a sweep as Ctrl-C does."""
    signal.signal(signal.SIGINT, _on_interrupt)
    signal.signal(signal.SIGTERM, _on_interrupt)
    _WORKER.held = held or {}
    if parent is not None:
        _die_with_parent(parent)


def _die_with_parent(parent: int) -> None:
    """On Linux, ask the kernel to kill this worker when the sweep that started it dies: a
    ``kill -9`` of the sweep left its workers blocked on the pool's pipes for good (they hold
    both ends, so they never see the end of them). The runs they finished are on disk."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no prctl here: live as before
        return
    if os.getppid() != parent:  # the sweep died before the request took: go now
        os._exit(1)


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def finish(task: Task, runs_dir: Path | None) -> Outcome:
    """Run a task; with ``runs_dir``, save its record there too (the outcome then carries it)."""
    outcome = run_one(task)
    if runs_dir is None:
        return outcome
    try:
        saved = save_record(runs_dir, task.run, outcome)
    except OSError:  # the parent saves it, or says why it cannot (review: one failed save
        return outcome  # failed the whole batch, runs already saved included)
    return replace(outcome, result_json=None, record_json=saved)


def run_batch(tasks: Sequence[Task | str], runs_dir: Path | None = None) -> list[Outcome]:
    """The unit of work sent to an executor: several runs amortise its per-task overhead. A
    task is a ``Task``, or the id of a run the worker holds (``worker_init``).

    An interrupted batch returns the runs it finished (fewer outcomes than tasks say
    "interrupted"), so it never takes finished results with it; a pool worker that has seen
    Ctrl-C runs nothing more. A run interrupted while its file is written leaves no file, so
    it runs again on ``--resume``, or the whole file, which ``--resume`` and the study's tables
    find on disk (the write is atomic).
    """
    outcomes: list[Outcome] = []
    if _WORKER.interrupted:
        return outcomes
    _WORKER.busy = True
    try:
        for task in tasks:
            outcomes.append(finish(Task(_WORKER.held[task]) if isinstance(task, str) else task,
                                   runs_dir))
    except KeyboardInterrupt:
        pass
    finally:
        _WORKER.busy = False
    return outcomes
