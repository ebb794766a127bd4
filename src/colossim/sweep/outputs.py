"""The study's tables: ``results.csv`` / ``results.parquet`` (one row per run) and ``summary.csv``.

Rows are sorted by run id and cells are formatted without anything that varies between runs of
the same study (wall-clock times stay in the per-run JSON), so 1 worker and N workers, local or
Ray, write byte-identical CSV files. Parquet needs the ``parquet`` extra and plots the ``plot``
extra; without them the sweep still finishes and says what was not written.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from colossim.config.wording import and_more
from colossim.errors import ColossimError, require
from colossim.metrics.export import atomic_write_text
from colossim.metrics.labels import plural
from colossim.sweep.expand import Plan
from colossim.sweep.metrics import metric_type, metric_value
from colossim.sweep.summary import metric_columns, summarise

RUN_COLUMNS = ("run_id", "point", "replicate", "seed")
STATUS_COLUMNS = ("status", "error")


def result_table(
    plan: Plan, records: Mapping[str, Mapping[str, Any]]
) -> tuple[list[str], list[dict[str, Any]]]:
    """Columns and one row per recorded run of the plan, sorted by run id."""
    columns = [*RUN_COLUMNS, *plan.parameters, *STATUS_COLUMNS, *plan.metrics]
    rows = []
    for run in sorted(plan.runs, key=lambda r: r.run_id):
        record = records.get(run.run_id)
        if record is None:
            continue
        result = record.get("result") or {}
        row: dict[str, Any] = {
            "run_id": run.run_id, "point": run.point, "replicate": run.replicate,
            "seed": run.seed, **dict(run.values),
            "status": record.get("status"), "error": record.get("error"),
        }
        row.update({m: metric_value(result, m) for m in plan.metrics})
        rows.append(row)
    return columns, rows


def summary_table(
    plan: Plan, records: Mapping[str, Mapping[str, Any]]
) -> tuple[list[str], list[dict[str, Any]]]:
    columns = ["point", *plan.parameters, "runs", "failed", *metric_columns(plan.metrics)]
    return columns, summarise(plan, records)


def _why_no_plot(empty: list[str], records: Mapping[str, Mapping[str, Any]]) -> str:
    """Why no run gave these metrics a value: jobs still running at the horizon (a makespan,
    their JCTs and ends have none), else a model the scenario leaves off. QA: a study whose
    6T and 10T jobs ran past a 10-day horizon was told its makespan needs failures, which it
    had on."""
    unfinished = sorted({job["name"] for record in records.values()
                         for job in (record.get("result") or {}).get("jobs", ())
                         if job.get("state") != "completed"})
    late = [m for m in empty if unfinished and (
        m == "makespan_s" or any(m.startswith(f"jobs.{name}.") for name in unfinished))]
    said = []
    if late:
        said.append(f"no plot of {', '.join(late)}: no run has a value, as jobs were unfinished "
                    f"at the horizon ({and_more(unfinished, 3)}; raise simulation.horizon_s to "
                    "let them finish)")
    rest = [m for m in empty if m not in late]
    if rest:
        said.append(f"no plot of {', '.join(rest)}: no run has a value (a model the scenario "
                    "leaves off: failures, a battery, a tariff, deadlines)")
    return "; ".join(said)


def cell(value: Any) -> str:
    """Stable text for a CSV cell: shortest round-trip floats, JSON for anything structured."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return json.dumps(value, sort_keys=True)
    return repr(value)


def write_csv(path: Path, columns: Sequence[str], rows: Sequence[Mapping[str, Any]],
              literal: Sequence[str] = ()) -> str:
    """Write the table; its text. ``literal``: the parameter columns, where a value given as
    null is written ``null``, as JSON writes it (an empty cell is a metric with no value:
    QA: a study varying the battery between null and a mapping wrote the null points empty)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    nulls = set(literal)
    for row in rows:
        writer.writerow(["null" if c in nulls and row.get(c) is None else cell(row.get(c))
                         for c in columns])
    atomic_write_text(path, text := buffer.getvalue())
    return text


def write_parquet(path: Path, columns: Sequence[str], rows: Sequence[Mapping[str, Any]],
                  metrics: Sequence[str] = ()) -> None:
    """One typed column per field; a parameter mixing types (1, "a") is stored as text. A column
    with no value at all (no run failed; a metric no run has) keeps its kind: text for the
    status columns, whole numbers for a count among ``metrics`` (``metric_type``), floats for
    other metrics (Arrow would type it null)."""
    pa = require("pyarrow", "parquet", "results.parquet needs pyarrow")
    pq = require("pyarrow.parquet", "parquet", "results.parquet needs pyarrow")
    arrays = {}
    for column in columns:
        values = [row.get(column) for row in rows]
        if all(v is None for v in values):
            kind = (pa.string() if column in STATUS_COLUMNS else pa.int64()
                    if column in metrics and metric_type(column) is int else pa.float64())
            arrays[column] = pa.array(values, type=kind)
            continue
        try:
            arrays[column] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
            arrays[column] = pa.array([None if v is None else cell(v) for v in values])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(pa.table(arrays), tmp)
    tmp.replace(path)


def _text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def write_outputs(
    plan: Plan, records: Mapping[str, Mapping[str, Any]], out: Path, *, plots: bool = True
) -> tuple[list[dict[str, Any]], list[str]]:
    """Every table (and plot) of a finished study; returns the summary rows and notes to show."""
    out = Path(out)
    notes = []
    columns, rows = result_table(plan, records)
    write_csv(out / "results.csv", columns, rows, plan.parameters)
    try:
        write_parquet(out / "results.parquet", columns, rows, plan.metrics)
    except ColossimError as exc:
        old = out / "results.parquet"
        gone = " (the results.parquet of an earlier state is removed)" if old.exists() else ""
        old.unlink(missing_ok=True)  # it would disagree with results.csv (QA: 4 rows for 8)
        notes.append(f"not written: {exc}{gone}")
    summary_columns, summary = summary_table(plan, records)
    before = _text(out / "summary.csv")
    unchanged = before == write_csv(out / "summary.csv", summary_columns, summary,
                                       plan.parameters)
    written: list[Path] = []
    if plots:
        from colossim.sweep.plots import plot_study

        try:
            written = plot_study(plan, summary, out / "plots")
            notes.append(f"wrote {plural(len(written), 'plot')} to {out / 'plots'}" if written
                         else "no plots: no parameter takes more than one value")
            empty = [m for m in plan.metrics if all(r[f"{m}.mean"] is None for r in summary)]
            if empty and plan.varied():
                notes.append(_why_no_plot(empty, records))
        except ColossimError as exc:
            notes.append(f"not written: {exc}")
    stale = set((out / "plots").glob("*__vs__*.png")) - set(written)  # (plot_study drops those
    if not plots and unchanged:  # it did not redraw) an earlier state's: kept when the summary
        return summary, notes  # they were drawn from is the same (a resume that added nothing)
    for old in stale:  # left by --no-plots or a plot that failed: they would disagree with the
        old.unlink()  # tables (QA)
    if stale and not plots:
        notes.append(f"removed {plural(len(stale), 'plot')} of an earlier state from "
                     f"{out / 'plots'} (--no-plots: run without it to draw them again)")
    return summary, notes
