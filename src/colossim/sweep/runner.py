"""Run a plan on an executor, writing every outcome as it arrives.

Runs go out in tasks of one or a few runs (``batching``) with a bounded number in flight, so
progress is live, memory stays flat for huge studies and Ctrl-C has little to cancel. Completion
order varies with workers and backend; nothing downstream depends on it (outputs are sorted by
run id).

On Ctrl-C the workers stop too (they share the terminal's signal); each hands back the runs its
task had finished, and those are stored (and logged) before the sweep stops, so every finished
run is on disk for ``--resume``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Future, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from colossim.errors import ColossimError, ColossimWarning
from colossim.sweep.batching import Batcher
from colossim.sweep.build import build_of, builds
from colossim.sweep.executors import Executor
from colossim.sweep.expand import Plan, Run
from colossim.sweep.store import Store
from colossim.sweep.task import Outcome, Task, run_batch

OnStart = Callable[[int, int], None]  # (runs in the plan, runs already done)
OnRecord = Callable[[dict[str, Any]], None]


class RunsFailed(ColossimError):
    """The study finished, but some runs raised (their errors are in their records)."""

    exit_code = 3


@dataclass(frozen=True)
class SweepReport:
    planned: int
    skipped: int
    ran: int
    failed: int
    interrupted: bool
    records: dict[str, dict[str, Any]]

    @property
    def complete(self) -> bool:
        return not self.interrupted and len(self.records) == self.planned


GRACE_S = 2.0  # after Ctrl-C, how long to wait for interrupted tasks to hand back finished runs
DIED = ("its worker died while running it (killed by a signal, out of memory, or a crash in "
        "native code); the other runs in flight then were run again, one at a time")


def _broken(future: Future) -> bool:
    """Did the task fail because its process pool broke (a worker died)?"""
    return (future.done() and not future.cancelled()
            and isinstance(future.exception(), BrokenExecutor))


def _outcomes(future: Future, batch: list[Run]) -> list[Outcome]:
    """A task's outcomes; a task that died as a whole (a crashed worker) fails each of its runs.
    An interrupted task returns fewer outcomes than runs: those it finished."""
    try:
        return future.result()
    except KeyboardInterrupt:  # raised in a worker and carried back: nothing finished to keep
        return []
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc} (the worker running this batch failed)"
        return [Outcome(run.run_id, None, error) for run in batch]


def execute(
    plan: Plan,
    out: Path,
    executor: Executor,
    *,
    resume: bool = False,
    batch: int | None = None,
    on_start: OnStart | None = None,
    on_record: OnRecord | None = None,
    finished: set[str] | None = None,
) -> SweepReport:
    """Run whatever the store does not have yet; Ctrl-C stops early and keeps what finished.
    ``finished``: the runs a resuming caller already found done (``Store.finished``), so the
    stored records are read once, not twice."""
    store = Store(out)
    ids = {run.run_id for run in plan.runs}
    in_flight: dict[Future, list[Run]] = {}
    written: dict[str, dict[str, Any]] = {}  # this call's records, kept rather than read back
    done: set[str] = set()
    counts = {"ran": 0, "failed": 0, "other_code": 0}
    batcher: Batcher | None = None
    interrupted = False

    def keep(future: Future) -> bool:
        """Write a finished task's runs; False if it was interrupted before its last run."""
        runs = in_flight.pop(future)
        return store_outcomes(runs, _outcomes(future, runs))

    def store_outcomes(runs: list[Run], outcomes: list[Outcome]) -> bool:
        if batcher is not None:
            batcher.observe(outcomes)
        for run, outcome in zip(runs[: len(outcomes)], outcomes, strict=True):  # its finished
            if not counts["other_code"]:
                counts["other_code"] = _warn_other_code(run, outcome, executor.name)
            record = written[run.run_id] = store.write(run, outcome)
            counts["ran"] += 1
            counts["failed"] += not outcome.ok
            if on_record:
                on_record(record)
        return len(outcomes) == len(runs)

    def submit(runs: list[Run]) -> bool:
        """Send a task; False if the pool is broken (a worker died since the last look)."""
        tasks = [run.run_id if executor.holds(run.run_id) else Task(run) for run in runs]
        try:
            in_flight[executor.submit(run_batch, tasks, saves_to)] = runs
        except BrokenExecutor:
            suspects.extend(runs)  # never started: they run again, alone
            return False
        return True

    def recover(alone: Run | None) -> None:
        """A worker died and took the local pool with it: every task in flight failed. The run
        that was alone in the pool killed it and is recorded as failed; the runs of the other
        tasks are suspects, each run again alone; then the pool starts afresh."""
        if not hasattr(executor, "restart"):
            give_up()
        wait(list(in_flight))  # the pool fails them all at once
        for future in list(in_flight):
            runs = in_flight[future]
            if not _broken(future):
                if not keep(future):
                    raise KeyboardInterrupt
            elif alone is not None and len(runs) == 1 and runs[0] is alone:
                in_flight.pop(future)
                store_outcomes(runs, [Outcome(alone.run_id, None, DIED)])
            else:
                suspects.extend(in_flight.pop(future))
        executor.restart()

    def give_up() -> NoReturn:
        """An executor that cannot start afresh broke (on Ray: the cluster went away). The
        tasks that finished are kept; those in flight are not failed runs, but runs to do again
        on ``--resume``: nothing waits for them, as a dead cluster may not answer for a minute."""
        for future in [f for f in in_flight if f.done() and not _broken(f)]:
            keep(future)
        cause = next((f" ({f.exception()})" for f in in_flight if _broken(f)), "")
        what = ("the Ray cluster was lost" if executor.name == "ray"
                else f"the {executor.name} executor broke")
        when = " once the cluster is back" if executor.name == "ray" else ""
        raise ColossimError(f"{what}{cause}; {len(done) + counts['ran']:,} of "
                            f"{len(plan.runs):,} runs are saved in {out}: rerun with "
                            f"--resume{when}")

    saves_to = store.runs if executor.shared_disk else None  # workers save their runs' files
    suspects: list[Run] = []  # runs of tasks a dying worker took down, to run again alone
    try:
        store.prepare(resume, plan)
        if resume:
            done = store.finished(builds(plan.runs)) if finished is None else finished
        if resume:
            store.log_unlogged(ids)
        batcher = Batcher([run for run in plan.runs if run.run_id not in done], executor.slots,
                          batch)
        if on_start:
            on_start(len(plan.runs), len(done))
        alone: Run | None = None  # a suspect running by itself: if the pool breaks, it did
        while True:
            sent = True
            if suspects or alone is not None:
                if not in_flight:
                    alone = suspects.pop(0) if suspects else None
                    sent = alone is None or submit([alone])
            else:
                while sent and len(in_flight) < executor.slots and \
                        (runs := batcher.take()) is not None:
                    sent = submit(runs)
            if not sent:
                recover(None)
                continue
            if not in_flight:
                break
            finished, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            if any(_broken(future) for future in finished):
                recover(alone)
                alone = None
                continue
            for future in finished:
                if not keep(future):
                    raise KeyboardInterrupt  # a task was interrupted: so is the study
            if alone is not None and not in_flight:
                alone = None
    except KeyboardInterrupt:
        interrupted = True
        if hasattr(executor, "interrupt"):  # a signal that reached this process alone
            executor.interrupt()
        _keep_finished(in_flight, keep)
        executor.shutdown(cancel=True)
    except BaseException:
        executor.shutdown(cancel=True)
        raise
    else:
        executor.shutdown()
    finally:
        store.close()
    return SweepReport(
        planned=len(plan.runs), skipped=len(done), ran=counts["ran"], failed=counts["failed"],
        interrupted=interrupted, records={**store.read(ids - written.keys()), **written},
    )


def _warn_other_code(run: Run, outcome: Outcome, backend: str) -> int:
    """Warn, once, when a worker made a run with other code than this driver's (another
    colossim, or another version of the run's policy, on the workers): ``--resume`` from here
    would count none of its runs as done, and the sweep said so only then, blaming an upgrade
    (QA: on Ray, every resume ran every run again). 1 when it warned, else 0."""
    if outcome.build is None or outcome.build == build_of(run.scenario):
        return 0
    where = ("install this driver's colossim and policy plug-ins on every node of the Ray "
             "cluster (docs/studies.md, 'Running on a Ray cluster', step 1)" if backend == "ray"
             else "the workers import another copy of colossim or of the policy than this process")
    warnings.warn(ColossimWarning(
        f"the workers run other code than this driver (run {run.run_id} came back made by "
        f"build {outcome.build}, this driver's is {build_of(run.scenario)}): {where}; until "
        "they match, --resume from here runs every such run again"), stacklevel=2)
    return 1


def _keep_finished(in_flight: dict[Future, list[Run]], keep: Callable[[Future], bool]) -> None:
    """After Ctrl-C: write what tasks in flight finished. Interrupted workers hand their finished
    runs back at once; a task still running after ``GRACE_S`` (a worker the signal did not reach)
    is given up, and its runs run again on ``--resume``. A second Ctrl-C stops the wait."""
    try:
        finished, _ = wait(list(in_flight), timeout=GRACE_S) if in_flight else ((), ())
        for future in finished:
            keep(future)
    except KeyboardInterrupt:
        pass


def failed_runs(report: SweepReport) -> list[dict[str, Any]]:
    """Records of the plan's runs that ended in an error, in run-id order."""
    return [rec for _, rec in sorted(report.records.items()) if rec.get("status") != "ok"]

