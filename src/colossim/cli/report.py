"""``colossim report RUN_DIR`` and the ``--trace``/``--report`` outputs of ``colossim run``."""

from __future__ import annotations

from collections.abc import Iterator
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
    result: RunResult, out: Path | None, *, trace: Path | None, report: bool
) -> list[Path]:
    """The trace file and ``report.html`` (into ``out``, else the current folder)."""
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
            written.append(write_report(result, path))
    return written


def report(run_dir: RunDirArg, out: ReportOutOpt = None) -> None:
    """Write report.html (plots and tables, one self-contained file) for a saved run."""
    from colossim.cli.render import console
    from colossim.metrics.loadrun import read_run
    from colossim.metrics.report import write_report

    result = read_run(run_dir)
    path = out if out is not None else run_dir / REPORT_NAME
    with _writing("report", path):
        write_report(result, path)
    console().print(f"wrote {path}")
