"""Terminal output of ``colossim sweep``: the run list, progress (a live bar, or plain lines
in a log) and the summary table.

Kept apart from ``render.py`` (the rest of the CLI's rich output) so that one stays small; like
it, this is a module that may use rich.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from colossim.cli.render import console, err_console
from colossim.cli.tables import fitting_tables
from colossim.metrics.labels import plural, shown_unit
from colossim.sweep.metrics import short_names
from colossim.sweep.value_labels import distinct_labels, written_apart

if TYPE_CHECKING:
    from colossim.sweep.expand import Plan
    from colossim.sweep.runner import OnRecord, OnStart, SweepReport

MAX_LISTED = 200
VALUE_WIDTH = 32  # a parameter value in a table (a list of power events is hundreds wide)


def _column(values: Sequence[Any]) -> list[str]:
    """A parameter's values as the study file and results.csv write them (``true``, ``{...}``
    as JSON), within ``VALUE_WIDTH`` but keeping where they differ (``sweep.value_labels``:
    results.csv has them whole), and escaped, so rich shows ``[]`` instead of reading it as
    markup."""
    return [escape(text) for text in distinct_labels(written_apart(values), VALUE_WIDTH)]


def plan_table(plan: Plan, done: set[str] | None = None) -> None:
    """``--dry-run``: every run with its id, position, seed and parameter values. A terminal
    gets the first ``MAX_LISTED`` (a study of thousands would scroll for minutes); a pipe or a
    file gets them all, so ``--dry-run | less`` or ``> runs.txt`` is the way to see the rest."""
    done = done or set()
    out = console()
    runs = plan.runs[:MAX_LISTED] if out.is_terminal else plan.runs
    keys = [("#", [str(run.index) for run in runs]), ("run id", [run.run_id for run in runs])]
    values = [("point", [str(run.point) for run in runs]),
              ("rep", [str(run.replicate) for run in runs]),
              ("seed", [str(run.seed) for run in runs])]
    names = short_names(plan.parameters, plan.dotted_jobs())
    values += [(names[path], _column([run.values[k][1] for run in runs]))
               for k, path in enumerate(plan.parameters)]
    if done:
        values.append(("done", ["yes" if run.run_id in done else "" for run in runs]))
    title = f"{plan.study.name}: {plural(len(plan.runs), 'run')} ({plural(plan.points, 'point')})"
    for table in fitting_tables(out, title, keys, values, index=keys[0]):
        out.print(table)
    if len(runs) < len(plan.runs):
        out.print(f"... and {plural(len(plan.runs) - len(runs), 'more run')} (pipe the output "
                  "to a file or to less to list them all)")
    out.print(f"base: {plan.base}; metrics: {', '.join(plan.metrics)}")


INTERVAL_S = 30.0  # the least wall time between two progress lines (the final one aside)


def duration(seconds: float) -> str:
    """Wall time as a log line reads it: ``45s``, ``3m 05s``, ``2h 07m 10s`` (whole seconds,
    rounded down, as the bar shows them)."""
    hours, rest = divmod(max(0, int(seconds)), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


class ProgressLines:
    """The runner's ``on_start`` and ``on_record`` callbacks off a terminal (nohup, CI, a Ray
    job's log, ``| tee``), where the bar is off and a sweep said nothing until its summary,
    hours later: a plain line as it starts, then one at most every ``INTERVAL_S`` seconds as
    runs finish, and always one when the last run does. ``write``: where a line goes.

    ``clock``: seconds from any origin (injectable, so tests need not wait); ``interval_s``:
    ``INTERVAL_S`` unless given."""

    def __init__(self, write: Callable[[str], None],
                 clock: Callable[[], float] = time.monotonic,
                 interval_s: float | None = None) -> None:
        self._write = write
        self._clock = clock
        self._every = INTERVAL_S if interval_s is None else interval_s
        self._total = self._done = self._ran = self._failed = 0
        self._started = self._last = 0.0

    def on_start(self, total: int, done: int) -> None:
        """Say how many runs are to run, and how many a resumed sweep already has."""
        self._total, self._done = total, done
        self._started = self._last = self._clock()
        left = total - done
        if not done:
            self._write(f"sweep: {plural(total, 'run')} to run")
        elif not left:
            self._write(f"sweep: nothing to run, all {plural(total, 'run')} already done")
        else:
            self._write(f"sweep: {left:,} of {plural(total, 'run')} to run ({done:,} already "
                        "done)")

    def on_record(self, record: Mapping[str, Any]) -> None:
        """Count a finished run; write a line if ``interval_s`` has passed since the last one,
        or if it was the last run."""
        self._done += 1
        self._ran += 1
        self._failed += record.get("status") != "ok"
        now = self._clock()
        last = self._done >= self._total
        if last or now - self._last >= self._every:
            self._last = now
            self._write(self._line(now - self._started, last))

    def _line(self, elapsed: float, last: bool) -> str:
        """``sweep: 120 of 400 runs done (2 failed), 3m 05s elapsed, ETA 7m 12s``; the ETA
        from this sweep's own pace (runs a resumed sweep found done took it no time)."""
        text = (f"sweep: {self._done:,} of {plural(self._total, 'run')} done "
                f"({self._failed:,} failed), {duration(elapsed)} elapsed")
        if last:
            return text
        eta = elapsed / self._ran * (self._total - self._done)
        return f"{text}, ETA {duration(eta)}"


def _plain_line(text: str) -> None:
    """A progress line as written: on stderr, so the tables on stdout stay clean (``> summary.txt``
    or ``| head`` take them alone); no markup or highlighting, and never wrapped (a console that
    is not a terminal is 80 columns wide)."""
    err_console().print(text, markup=False, highlight=False, soft_wrap=True)


@contextmanager
def sweep_progress(enabled: bool, live: bool = True
                   ) -> Iterator[tuple[OnStart | None, OnRecord | None]]:
    """A live bar of runs done (and failed) with the ETA; yields the runner's two callbacks.
    ``live=False`` (the output is not a terminal: a log, a pipe): plain lines now and then
    instead (``ProgressLines``), so a sweep under nohup or in CI is seen to be alive."""
    if not enabled:
        yield None, None
        return
    if not live:
        lines = ProgressLines(_plain_line)
        yield lines.on_start, lines.on_record
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("runs"), BarColumn(), MofNCompleteColumn(),
        TextColumn("[red]{task.fields[failed]} failed"), TextColumn("ETA"),
        TimeRemainingColumn(), TimeElapsedColumn(), console=console(), transient=True,
    ) as progress:
        task = progress.add_task("sweep", total=None, failed=0)
        failed = [0]

        def on_start(total: int, done: int) -> None:
            progress.update(task, total=total, completed=done)

        def on_record(record: Mapping[str, Any]) -> None:
            failed[0] += record.get("status") != "ok"
            progress.update(task, advance=1, failed=failed[0])

        yield on_start, on_record


GROUPED_BELOW = 1e12  # from here on a whole number is mostly digits no one reads: 2.044e+20 bytes


def _number(x: float, decimals: int | None = None) -> str:
    """Whole and grouped from 1,000 on, else 4 significant digits; what rounds to 1,000 is
    grouped too (999.99999 printed "1000" beside "1,002" in one column). From
    ``GROUPED_BELOW`` on, 4 significant digits with an exponent (a byte count had 21 digits).

    A value that rounds to a whole number gets trailing zeros as its column's others have
    decimals (``decimals``, ``_decimals`` of the column): 18.9996 days read "19" beside
    "18.99" (QA), so "19.00"; but 699.9999999 MW read "700.0" beside "800" and "1,000", and 2
    read "2.000" beside "25.3" (QA), so "700" and "2.0". Without a column, trailing zeros where
    the value is not whole itself."""
    rounded = abs(float(f"{x:.4g}"))
    if rounded >= GROUPED_BELOW:
        return f"{x:.4g}"
    if rounded >= 1000:
        return f"{x:,.0f}"
    if not rounded.is_integer():  # in a column, trailing zeros kept: "25.30" beside "25.56",
        # not "25.3" (QA), but never past 4 significant digits ("24.95" beside "8.236")
        if decimals is None or rounded < 1:
            return f"{x:.4g}" if decimals is None else f"{x:#.4g}"
        return f"{x:.{min(decimals, 4 - len(str(int(rounded))))}f}"
    if decimals is None:  # 18.9996: "19.00", not "19"
        return f"{x:.4g}" if float(x).is_integer() else f"{x:#.4g}"
    return f"{x:.{min(decimals, max(0, 4 - len(str(int(rounded)))))}f}"


def _decimals(values: Sequence[float | None]) -> int:
    """The most decimals a column's values show at 4 significant digits (those below 1,000)."""
    shown = [f"{v:.4g}" for v in values if v is not None and abs(float(f"{v:.4g}")) < 1000]
    return max((len(text.partition(".")[2]) for text in shown if "e" not in text), default=0)


def _spread(x: float) -> str:
    """A half-width: 2 significant digits, written as the means are ("±66,000" and "±780", not
    "±6.6e+04" and "±7.8e+02"; with an exponent as the means from ``GROUPED_BELOW`` on)."""
    rounded = float(f"{x:.2g}")
    return f"{rounded:,.0f}" if 10 <= abs(rounded) < GROUPED_BELOW else f"{x:.2g}"


def _mean_ci(row: Mapping[str, Any], metric: str, unit: float = 1.0,
             decimals: int | None = None) -> str:
    """Mean ± the 95% half-width, both written the same way (not "155,322 ±6.6e+04"), in
    ``unit``s of the metric's own (86,400 for seconds shown as days); ``decimals``: the
    column's (``_number``)."""
    mean, high = row[f"{metric}.mean"], row[f"{metric}.ci95_high"]
    n, runs = row.get(f"{metric}.n"), row.get("runs")
    few = f" (n={n})" if n is not None and runs and n < runs else ""  # runs without the value
    if mean is None:  # no run gave it: "(n=0)" when runs there were (QA: a bare "-" beside
        return "-" + few  # "3/3" read as "not applicable", where no seed finished)
    if high is None:
        return _number(mean / unit, decimals) + few
    return f"{_number(mean / unit, decimals)} ±{_spread(_half(row, metric) / unit)}{few}"


def _half(row: Mapping[str, Any], metric: str) -> float:
    """The 95% half-width shown, 0 for none: seeds a few ulps apart ("0.4 ±2.2e-16") are
    floating-point noise shown as a spread (QA); summary.csv keeps the interval as computed."""
    mean, high = row[f"{metric}.mean"], row[f"{metric}.ci95_high"]
    if mean is None or high is None or abs(high - mean) <= NOISE * abs(mean):
        return 0.0
    return high - mean


NOISE = 1e-12  # a half-width this small next to its mean is floating-point rounding


def _shown_unit(metric: str, rows: Sequence[Mapping[str, Any]]) -> tuple[float, str]:
    """(divisor, suffix) for the metric's column: seconds read as days or hours, shares in per
    cent (``shown_unit``); summary.csv keeps seconds and shares of 1."""
    return shown_unit(metric, [row[f"{metric}.mean"] for row in rows])


def summary_table(plan: Plan, rows: Sequence[Mapping[str, Any]], limit: int = 60) -> None:
    """Mean ± 95% half-width of each metric per point (the full table is summary.csv), every
    value and header whole: metrics that do not fit beside the parameters go to a next table."""
    shown = [p for p in plan.parameters if p in plan.varied()] or list(plan.parameters)
    shown_rows = rows[:limit]
    names = short_names([*shown, *plan.metrics], plan.dotted_jobs())
    keys = [(names[p], _column([row[p] for row in shown_rows])) for p in shown]
    # a value, not a key: when the parameters fill the terminal, it goes with the metrics
    values = [("runs", [f"{row['runs']}/{row['runs'] + row['failed']}" for row in shown_rows])]
    for m in plan.metrics:
        unit, suffix = _shown_unit(m, shown_rows)
        header = names[m].removesuffix("_s") + f" {suffix}" if suffix else names[m]
        means = [row[f"{m}.mean"] for row in shown_rows]
        decimals = _decimals([None if v is None else v / unit for v in means])
        values.append((header, [_mean_ci(row, m, unit, decimals) for row in shown_rows]))
    index = ("point", [str(row["point"]) for row in shown_rows])
    out = console()
    for table in fitting_tables(out, f"{plan.study.name}: mean ± 95% CI over seeds", keys,
                                values, caption="full table: summary.csv", index=index):
        out.print(table)
    if len(rows) > limit:
        out.print(f"... {len(rows) - limit} more points in summary.csv")
    from colossim.cli.render_compare import FEW_SEEDS, few_seeds_note

    spread = any(_half(row, m) for row in rows for m in plan.metrics)
    # the fewest values behind any interval: a point whose runs all failed has none and no
    # interval (QA: its 0 hid the note from the others), and a mean of 2 of 3 seeds (one run
    # without the metric) is as wide as 2 seeds make it, not 3 (QA)
    counted = [row[f"{m}.n"] for row in rows for m in plan.metrics if row[f"{m}.n"] > 1]
    note = few_seeds_note(min(counted, default=0), f"seeds: {FEW_SEEDS}", spread)
    if note:
        out.print(note)


def sweep_report(report: SweepReport, out: Any, notes: Sequence[str]) -> None:
    c = console()
    c.print(
        f"{plural(report.ran, 'run')} ran, {report.skipped:,} already done, {report.failed:,} "
        f"failed; results in {out}"
    )
    for note in notes:
        c.print(note, markup=False)


def failures(records: Sequence[Mapping[str, Any]], limit: int = 10) -> None:
    """The first ``limit`` failed runs with their errors; the rest are counted, not dropped."""
    c = console()
    c.print(f"[red]{plural(len(records), 'run')} failed[/red] (tracebacks in "
            "runs/<run id>.json):")
    for rec in records[:limit]:
        c.print(f"  {rec['run_id']} (point {rec['point']}, seed {rec['seed']}): {rec['error']}",
                markup=False)
    if len(records) > limit:
        c.print(f"  ... and {len(records) - limit:,} more (results.csv lists every run with "
                "its status and error)")


def interrupted(report: SweepReport, out: Any) -> None:
    """On stderr, as errors are: the study did not finish (exit code 130)."""
    err_console().print(
        f"[yellow]interrupted[/yellow]: {len(report.records)} of {report.planned} runs are on "
        f"disk in {out}; run again with --resume to finish"
    )
