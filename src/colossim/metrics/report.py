"""One self-contained ``report.html`` for a run: plots as embedded PNGs plus the summary tables.

No external files, scripts or fonts: the page opens anywhere, offline, and can be mailed. Tables
are built from the result's dataclass fields, so fields later models add show up unasked.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from colossim.metrics.labels import label, shown
from colossim.metrics.phases import job_timelines
from colossim.metrics.result import RunResult

CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1150px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th { background: #f3f3f3; }
td:first-child, th:first-child { text-align: left; white-space: nowrap; }
img { max-width: 100%; display: block; margin: 0.5em 0; }
.note { color: #666; font-size: 0.85em; }
.warn { background: #fff6d6; border-left: 4px solid #e0b000; padding: 4px 8px; margin: 4px 0; }
.wide { overflow-x: auto; } .nested { display: inline-block; min-width: 22em; text-align: left; }
"""
DAY = 86400.0


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):  # as the command line prints them: whole and grouped from
        # 1,000 up ("796,600" MWh, "87,500" s, where ",.4g" wrote 7.966e+05 and 8.75e+04: QA),
        # 4 significant digits below, powers of ten only for the very large (bytes)
        if 1000 <= abs(value) < 1e15:
            return f"{value:,.0f}"
        return f"{value:.4g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, dict | list | tuple):  # a plan, a step-time split: on one line each
        return f'<span class="nested">{html.escape(shown(value))}</span>'
    return html.escape(str(value))


def table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>"
                   for row in rows)
    # in a box that scrolls sideways, so a table of many columns never widens the page
    return (f'<div class="wide"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>'
            "</table></div>")


def image(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def days(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / DAY


def summary_rows(result: RunResult) -> list[list[Any]]:
    lb = result.makespan_lower_bound_s
    rows: list[list[Any]] = [
        ["makespan (days)", days(result.makespan_s)],
        ["makespan lower bound (days)", days(lb)],
        ["makespan / lower bound", result.makespan_s / lb if result.makespan_s and lb else None],
        ["simulated end (days)", days(result.end_s)],
        ["events / policy calls", f"{result.events:,} / {result.decisions:,}"],
        ["simulation wall time (s)", result.wall_s],
    ]
    rows += [[label(f.name), getattr(result.cluster, f.name)]
             for f in fields(result.cluster)]
    return rows


GROUPS = (("power", "Power"), ("reliability", "Reliability"), ("fabric", "Fabric"))


def _figure(name: str) -> str:
    """A figure's label; a count with a threshold says it (``slowed jobs (by 0.1% or more)``)."""
    if name == "slowed_jobs":
        from colossim.metrics.fabric import SLOWED_BY

        return f"{label(name)} (by {SLOWED_BY:.1%} or more)"
    return label(name)


def group_rows(obj: Any, prefix: str = "") -> list[list[Any]]:
    """A result group's figures, one row each; a nested group's figures prefixed by its name
    (``pod: mean utilization``)."""
    rows: list[list[Any]] = []
    for f in fields(obj):
        value = getattr(obj, f.name)
        if hasattr(value, "__dataclass_fields__"):
            rows += group_rows(value, f"{prefix}{label(f.name)}: ")
        else:
            rows.append([prefix + _figure(f.name), value])
    return rows


def group_tables(result: RunResult) -> str:
    """The power, reliability and fabric figures of the run, each models' own section (the
    report had the cluster summary and the jobs, and none of these)."""
    parts = []
    for name, title in GROUPS:
        obj = getattr(result, name, None)
        if obj is not None:
            parts += [f"<h2>{title}</h2>", table(["figure", "value"], group_rows(obj))]
    return "".join(parts)


def jobs_table(result: RunResult) -> str:
    if not result.jobs:
        return '<p class="note">no jobs</p>'
    header = list(asdict(result.jobs[0]))
    return table(header, [[getattr(j, h) for h in header] for j in result.jobs])


def record_tables(result: RunResult) -> str:
    if not result.record.events and not result.record.decisions:  # read back without the file
        return ('<p class="note">this run has no events or decisions (events.jsonl missing: '
                "the Gantt chart and per-job progress are empty too).</p>")
    kinds = Counter(e.kind for e in result.record.events)
    verdicts = Counter((str(d.action.get("action", "?")), d.verdict)
                       for d in result.record.decisions)
    parts = [table(["event kind", "count"], [[k, n] for k, n in sorted(kinds.items())])]
    if verdicts:
        rows = [[a, v, n] for (a, v), n in sorted(verdicts.items())]
        parts.append(table(["policy action", "verdict", "count"], rows))
    return "".join(parts)


def plots_html(result: RunResult) -> str:
    from colossim.metrics import plots

    timelines, _ = job_timelines(result.record.events, result.end_s)
    parts = ["<h2>Jobs over time</h2>"]
    if len(timelines) > plots.MAX_GANTT_JOBS:
        parts.append(f'<p class="note">{len(timelines)} jobs: the {plots.MAX_GANTT_JOBS} '
                     "with the most GPU-hours are drawn.</p>")
    parts.append(image(plots.gantt(result, timelines), "Gantt chart of jobs"))
    parts.append("<h2>GPUs and power</h2>")
    if not result.record.series:
        parts.append('<p class="note">this run has no level series (series.json missing).</p>')
    parts.append(image(plots.levels(result), "GPUs in use and facility power over time"))
    parts += flat_notes(plots.family_lines(result)[1])
    parts.append("<h2>Per-job progress</h2>")
    parts.append(image(plots.progress(result, timelines), "per-job progress"))
    ettr = plots.ettr_values(result)
    if ettr:  # only with the reliability model on
        if len(ettr) > plots.MAX_ETTR_BARS:
            parts.append(f'<p class="note">ETTR: the {plots.MAX_ETTR_BARS} lowest of {len(ettr):,} '
                         "jobs are drawn; the Jobs table has every job's.</p>")
        parts.append(image(plots.ettr_chart(ettr), "ETTR per job"))
    return "".join(parts)


def flat_notes(flat: dict[str, int]) -> list[str]:
    """One line per family of level series left out of the plots for being zero all through
    the run (e.g. no job was ever throttled)."""
    return [f'<p class="note">{html.escape(label(family))}: zero throughout the run for all '
            f"{count:,} series (not drawn).</p>" for family, count in flat.items()]


def plots_or_note(result: RunResult) -> str:
    """The plots, or, without the ``plot`` extra, a note saying how to get them (and a warning):
    the tables alone still answer most questions, so a missing extra does not lose the report."""
    import warnings

    from colossim.errors import ColossimWarning, MissingExtra

    try:
        return plots_html(result)
    except MissingExtra as exc:
        warnings.warn(ColossimWarning(f"the report has its tables but no plots: {exc}"),
                      stacklevel=2)
        return f'<p class="note">No plots: {html.escape(str(exc))}.</p>'


def notes_html(notes: Sequence[str]) -> str:
    """What the run's terminal output warned of (load warnings, a stall, a horizon cut, refused
    actions), each in a box: a report without them read like a completed run's (QA)."""
    if not notes:
        return ""
    return "<h2>Notes</h2>" + "".join(f'<p class="warn">{html.escape(note)}</p>'
                                      for note in notes)


def render(result: RunResult, notes: Sequence[str] = ()) -> str:
    """The report's HTML text; ``notes``, plain text, go first (``notes_html``)."""
    from colossim import __version__

    title = f"{result.scenario} under {result.policy} (seed {result.seed})"
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>colossim: {html.escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="note">colossim {__version__}, report written {when}. Times in simulated '
        "days unless marked s.</p>",
        notes_html(notes),
        "<h2>Summary</h2>",
        table(["figure", "value"], summary_rows(result)),
        group_tables(result),
        plots_or_note(result),
        "<h2>Jobs</h2>",
        jobs_table(result),
        "<h2>Record</h2>",
        record_tables(result),
        "</body></html>",
    ])


def write_report(result: RunResult, path: Path, notes: Sequence[str] = ()) -> Path:
    """Write ``report.html`` (atomically) and return its path."""
    from colossim.metrics.export import atomic_write_text

    path = Path(path)
    atomic_write_text(path, render(result, notes))
    return path
