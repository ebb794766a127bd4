"""``colossim sweep``: run a what-if study from a YAML file.

Exit codes: 0 all runs finished, 2 bad study file (``FILE:LINE: field: message``), 3 some runs
raised (each recorded with its error), 130 interrupted (finished runs stay on disk; ``--resume``).
"""

from __future__ import annotations

from pathlib import Path

import typer

from colossim.cli.entry import CLOSED_PIPE
from colossim.cli.options import (
    INTERRUPTED,
    AddressOpt,
    Backend,
    BackendOpt,
    BatchOpt,
    DryRunOpt,
    PlotsOpt,
    ResumeOpt,
    StudyArg,
    SweepOutOpt,
    SweepQuietOpt,
    WorkersOpt,
    check_destinations,
)


def sweep(
    study: StudyArg,
    workers: WorkersOpt = None,
    backend: BackendOpt = Backend.LOCAL,
    address: AddressOpt = None,
    out: SweepOutOpt = None,
    resume: ResumeOpt = False,
    dry_run: DryRunOpt = False,
    batch: BatchOpt = None,
    plots: PlotsOpt = True,
    quiet: SweepQuietOpt = False,
) -> None:
    """Run a study: a base scenario, the knobs to vary, seeds; tables, a summary and plots."""
    from colossim.cli import render_sweep as show
    from colossim.cli.render import console
    from colossim.errors import ConfigError, Problem
    from colossim.sweep.build import builds
    from colossim.sweep.executors import SerialExecutor, make_executor
    from colossim.sweep.expand import load_plan
    from colossim.sweep.folder_lock import held
    from colossim.sweep.outputs import write_outputs
    from colossim.sweep.runner import RunsFailed, execute, failed_runs
    from colossim.sweep.store import Store

    plan = load_plan(study)
    folder = out if out is not None else Path("out") / plan.study.name
    check_destinations(folder, None)  # a file for a folder: bad input, as for run (exit 2)
    store = Store(folder)
    if dry_run:
        conflict = store.conflict(resume, plan)
        if resume and conflict:  # what the sweep would say: nothing of this study is there
            raise ConfigError(Problem(str(folder), None, "--out", conflict))
        done = store.finished(builds(plan.runs)) if resume else set()
        show.plan_table(plan, done)
        if conflict:
            console().print(f"note: {folder} {conflict}: the sweep would refuse it")
        return
    if address is not None and backend is not Backend.RAY:
        import warnings

        from colossim.errors import ColossimWarning

        warnings.warn(ColossimWarning(
            f"a Ray address is given ({address}, from --address or RAY_ADDRESS) but the "
            f"backend is {backend.value}: add --backend ray to run on that cluster"), stacklevel=2)
    with held(folder):  # from the first run to the last table and plot
        if (conflict := store.conflict(resume, plan)) is not None:  # before a pool or Ray
            raise ConfigError(Problem(str(folder), None, "--out", conflict))  # starts
        done = store.finished(builds(plan.runs)) if resume else None  # read once: ``execute``
        left = done is None or any(run.run_id not in done for run in plan.runs)  # takes them
        executor = (make_executor(backend.value, workers, address, plan.runs) if left
                    else SerialExecutor())  # all done: no pool or Ray instance to start (Ray
        # took 9 s to start for nothing: QA)
        with show.sweep_progress(enabled=not quiet, live=console().is_terminal) as (
                on_start, on_rec):
            report = execute(
                plan, folder, executor, resume=resume, batch=batch,
                on_start=on_start, on_record=on_rec, finished=done,
            )
        if report.interrupted:
            show.interrupted(report, folder)
            raise typer.Exit(INTERRUPTED)
        summary, notes = write_outputs(plan, report.records, folder, plots=plots)
    failed = failed_runs(report)
    try:
        show.summary_table(plan, summary)
        show.sweep_report(report, folder, notes)
        if failed:
            show.failures(failed)
    except SystemExit as stop:  # the reader stopped early (| head): failed runs still say so
        if stop.code != CLOSED_PIPE or not failed:  # on stderr, with exit code 3 (review)
            raise
    if failed:
        raise RunsFailed(f"{len(failed)} of {report.planned} runs failed; see {folder}/runs/")

