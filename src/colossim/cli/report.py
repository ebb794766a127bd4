"""``colossim report RUN_DIR`` and the ``--trace``/``--report`` outputs of ``colossim run``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from colossim.metrics.result import RunResult

RunDirArg = Annotated[
    Path, typer.Argument(help="A folder written by `colossim run --out` (result.json, ...).")
]
ReportOutOpt = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Report file (default: RUN_DIR/report.html)."),
]
REPORT_NAME = "report.html"


@contextmanager
def _writing(what: str, path: Path) -> Iterator[None]:
    """Turn a failed write into a run failure with a message (the run itself worked)."""
    from colossim.errors import ColossimError

    try:
        yield
    except OSError as exc:
        message = f"cannot write the {what} to {path}: {exc.strerror or exc}"
        raise ColossimError(message) from exc


def write_extras(
    result: RunResult, out: Path | None, *, trace: Path | None, report: bool,
    notes: Sequence[str] = (),
) -> list[Path]:
    """The trace file and ``report.html`` (into ``out``, else the current folder); ``notes``:
    what the terminal warned of, as plain text, for the report."""
    written = []
    if trace is not None:
        from colossim.metrics.trace import write_trace

        with _writing("trace", trace):
            write_trace(result, trace)
        written.append(trace)
    if report:
        from colossim.metrics.report import write_report

        path = (out if out is not None else Path.cwd()) / REPORT_NAME
        with _writing("report", path):
            written.append(write_report(result, path, notes))
    return written


def report(run_dir: RunDirArg, out: ReportOutOpt = None) -> None:
    """Write report.html (plots and tables, one self-contained file) for a saved run."""
    from colossim.cli.render import console
    from colossim.metrics.loadrun import read_run
    from colossim.metrics.report import write_report

    result = read_run(run_dir)
    path = out if out is not None else run_dir / REPORT_NAME
    with _writing("report", path):
        write_report(result, path, saved_notes(result, run_dir))
    console().print(f"wrote {path}")


def plain(markup: str) -> str:
    """A note of the terminal's (rich markup) as plain text."""
    from rich.text import Text

    return Text.from_markup(markup).plain


@contextmanager
def kept_warnings(into: list[str]) -> Iterator[None]:
    """Show colossim's warnings as usual, and keep their texts in ``into`` (for the report).
    Shown whatever the block does: the warnings of a load that then fails are said too."""
    import warnings

    from colossim.errors import ColossimWarning

    shown: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            try:
                yield
            finally:
                shown = list(caught)
    finally:  # with the usual display back in place
        for warning in shown:
            if issubclass(warning.category, ColossimWarning):
                into.append(str(warning.message))
            warnings.showwarning(warning.message, warning.category, warning.filename,
                                 warning.lineno)


def saved_notes(result: RunResult, run_dir: Path) -> list[str]:
    """The notes ``colossim run`` printed for a saved run: its scenario's load warnings and
    the run's notes, from the folder's scenario.json (none without it: a folder from before
    it, or one written by Python without a scenario)."""
    import warnings

    from colossim.api import load_scenario
    from colossim.cli.run import run_notes
    from colossim.errors import ColossimError, ColossimWarning
    from colossim.metrics.export import SCENARIO_NAME

    source = run_dir / SCENARIO_NAME
    if not source.is_file():
        return []
    with warnings.catch_warnings(record=True) as caught:  # kept for the page, not printed
        try:
            scenario = load_scenario(source)
        except ColossimError:  # edited since: the report still has its tables
            return []
    notes = [str(w.message) for w in caught if issubclass(w.category, ColossimWarning)]
    power = scenario.cluster.power
    return notes + [plain(line) for line in run_notes(
        result, scenario.simulation.horizon_s, power.facility_cap_mw, scenario)]
