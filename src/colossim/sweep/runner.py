"""Run a plan on an executor, writing every outcome as it arrives.

Runs go out in batches (``batch`` runs per task) with a bounded number in flight, so progress is
live, memory stays flat for huge studies and Ctrl-C has little to cancel. Completion order varies
with workers and backend; nothing downstream depends on it (outputs are sorted by run id).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Future, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from colossim.errors import ColossimError
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


def auto_batch(runs: int, slots: int, limit: int = 8) -> int:
    """Runs per task: a few tasks per slot for load balance, at most ``limit`` for liveness."""
    return max(1, min(limit, runs // max(1, 4 * slots)))


def _batches(runs: Sequence[Run], size: int) -> list[list[Run]]:
    return [list(runs[i : i + size]) for i in range(0, len(runs), size)]


def _outcomes(future: Future, batch: list[Run]) -> list[Outcome]:
    """A batch's outcomes; a task that died as a whole (a crashed worker) fails each of its runs."""
    try:
        return future.result()
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
) -> SweepReport:
    """Run whatever the store does not have yet; Ctrl-C stops early and keeps what finished."""
    store = Store(out)
    ids = {run.run_id for run in plan.runs}
    in_flight: dict[Future, list[Run]] = {}
    written: dict[str, dict[str, Any]] = {}  # this call's records, kept rather than read back
    done: set[str] = set()
    ran = failed = 0
    interrupted = False
    try:
        store.prepare(resume)
        done = store.finished(ids) if resume else set()
        todo = [run for run in plan.runs if run.run_id not in done]
        queue = iter(_batches(todo, batch or auto_batch(len(todo), executor.slots)))
        if on_start:
            on_start(len(plan.runs), len(done))
        while True:
            while len(in_flight) < executor.slots and (runs := next(queue, None)) is not None:
                tasks = [Task(run.run_id, run.scenario) for run in runs]
                try:
                    in_flight[executor.submit(run_batch, tasks)] = runs
                except BrokenExecutor as exc:  # a worker died (killed, out of memory, ...)
                    raise ColossimError(
                        f"the {executor.name} executor broke ({exc}); finished runs are saved "
                        f"in {out}: rerun with --resume"
                    ) from exc
            if not in_flight:
                break
            finished, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            for future in finished:
                runs = in_flight.pop(future)
                for run, outcome in zip(runs, _outcomes(future, runs), strict=True):
                    record = written[run.run_id] = store.write(run, outcome)
                    ran += 1
                    failed += not outcome.ok
                    if on_record:
                        on_record(record)
    except KeyboardInterrupt:
        interrupted = True
        executor.shutdown(cancel=True)
    except BaseException:
        executor.shutdown(cancel=True)
        raise
    else:
        executor.shutdown()
    return SweepReport(
        planned=len(plan.runs), skipped=len(done), ran=ran, failed=failed,
        interrupted=interrupted, records={**store.read(ids - written.keys()), **written},
    )


def failed_runs(report: SweepReport) -> list[dict[str, Any]]:
    """Records of the plan's runs that ended in an error, in run-id order."""
    return [rec for _, rec in sorted(report.records.items()) if rec.get("status") != "ok"]

