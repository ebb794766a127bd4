"""Rich output for ``colossim compare`` and ``colossim run --explain``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from colossim.cli.render import console, mega
from colossim.cli.tables import fitting_tables, natural_width, table_of
from colossim.metrics.labels import grouped, time_unit

if TYPE_CHECKING:
    from colossim.metrics.compare import RunMetrics, Stat
    from colossim.metrics.explain import JobTimeline

HOUR = 3600.0


def _hours(value: float) -> str:
    return grouped(value / HOUR)


def share(value: float) -> str:
    """A share in per cent to one decimal, never rounded to 100% or 0% when it is not (review:
    1 deadline missed of 300 read 100%, as a policy that met them all)."""
    text = f"{value:.1%}"
    if value < 1 and text == "100.0%":
        return ">99.9%"
    if value > 0 and text == "0.0%":
        return "<0.1%"
    return text


COLUMNS = (  # metric, header, format (None: a duration, in the unit its values need)
    ("makespan_s", "makespan", None),
    ("makespan_ratio", "makespan / bound", lambda v: f"{v:.3f}"),
    ("mean_jct_s", "mean JCT", None),
    ("p95_jct_s", "p95 JCT", None),
    ("mean_queue_s", "mean wait", None),
    ("mean_queued_s", "mean queued", None),
    ("gpu_utilization", "GPU util", lambda v: f"{v:.1%}"),
    ("energy_mwh", "energy MWh", mega),
    ("throttled_gpu_hours", "throttled GPU-h", lambda v: grouped(v, 0)),
    ("jain_slowdown", "Jain (slowdown)", lambda v: f"{v:.3f}"),
    ("ettr", "ETTR", lambda v: f"{v:.3f}"),
    ("deadlines_met", "deadlines met", lambda v: share(v)),
)
# durations read side by side in one unit (a mean JCT in hours beside a p95 in days misleads)
SAME_UNIT = {"mean_jct_s": ("mean_jct_s", "p95_jct_s"), "p95_jct_s": ("mean_jct_s", "p95_jct_s"),
             "mean_queue_s": ("mean_queue_s", "mean_queued_s"),
             "mean_queued_s": ("mean_queue_s", "mean_queued_s")}
SHOWN_IF_ANY = ("ettr", "deadlines_met")  # only where some run has them (a model, deadlines)


def _cell(stat: Stat, fmt) -> str:
    if stat.mean is None:
        return "-"
    text = fmt(stat.mean)
    if stat.ci95 is not None:
        text += f" ± {fmt(stat.ci95).strip()}"
    return text


def _done(runs: Sequence[RunMetrics]) -> str:
    """Jobs completed out of all (the fewest over seeds)."""
    return f"{min(r.completed for r in runs)}/{runs[0].jobs}"


def _by_metric(title: str, rows: dict[str, list[str]], policies: list[str]) -> Table:
    """A row per metric, a column per policy: a few policies fit 80 columns with every "mean ±
    interval" whole (a column per metric would need twice that)."""
    return table_of(title, [("metric", list(rows))],
                    [(policy, [cells[k] for cells in rows.values()])
                     for k, policy in enumerate(policies)])


def compare_tables(title: str, rows: dict[str, list[str]], policies: list[str],
                   out: Console) -> list[Table]:
    """Policies as columns when they fit the terminal; else a row per policy, its metrics split
    over as many tables as it takes to show every value whole."""
    table = _by_metric(title, rows, policies)
    if natural_width(out, table) <= out.width:
        return [table]
    return fitting_tables(out, title, [("policy", policies)], list(rows.items()))


def _duration(metric: str, header: str, means: Sequence[float | None]
              ) -> tuple[str, Callable[[float], str]]:
    """A duration column's header and format: days when its values are all a day or more,
    hours when an hour or more, else seconds (zeros aside), as ``run`` and a study's summary
    show them (QA: compare kept JCTs of 9 days in hours, the study's table the same in days)."""
    divisor, suffix = time_unit(metric, means)
    if divisor == 1.0:
        return f"{header} s", lambda v: grouped(v, 0)
    return f"{header} {suffix}", lambda v: grouped(v / divisor)


FEW_SEEDS = 5  # below this, the t quantile makes a 95% interval wide (12.7 at 2 seeds)


def compare_table(scenario: str, stats: Mapping[str, Mapping[str, Stat]], seeds: Sequence[int],
                  runs: Mapping[str, Sequence[RunMetrics]], failures: bool = False) -> None:
    """The policies side by side; ``failures``: the scenario draws failures, so one seed is
    one draw of them."""
    n = len(seeds)
    note = f"seed {seeds[0]}" if n == 1 else f"{n} seeds, mean ± 95% CI"
    columns = [c for c in COLUMNS if c[0] not in SHOWN_IF_ANY
               or any(stats[p][c[0]].mean is not None for p in stats)]
    rows = {}
    for metric, header, fmt in columns:
        if fmt is None:
            header, fmt = _duration(metric, header, [stats[p][m].mean for p in stats
                                                     for m in SAME_UNIT.get(metric, (metric,))])
        rows[header] = [_cell(stats[p][metric], fmt) for p in stats]
    rows["jobs done"] = [_done(runs[policy]) for policy in stats]
    out = console()
    for table in compare_tables(f"{scenario}: policies compared ({note})", rows, list(stats),
                                out):
        out.print(table)
    out.print(
        "JCT: completion - submission; wait: first start - submission; slowdown: JCT / the job's "
        "time at max GPUs on its best GPU type; Jain's index 1 = equal slowdowns; bound: the "
        "makespan with no failures and no power limit"
        + ("; ETTR: the mean over jobs, unweighted (the largest job's may be far lower)"
           if any(c[0] == "ettr" for c in columns) else "")
        + ("; jobs done: the fewest over the seeds." if n > 1 else ".")
    )
    refused = refused_note(runs)
    if refused:
        out.print(refused)
    spread = any(stats[p][metric].ci95 for p in stats for metric, _, _ in columns)
    note = few_seeds_note(n, f"--seeds {FEW_SEEDS}", spread)
    if n == 1 and failures:
        note = (f"One seed is one draw of the failures: every figure moves from seed to seed "
                f"(colossus2's makespan by a day or more), enough to reorder close policies; "
                f"--seeds {FEW_SEEDS} gives each figure a 95% interval.")
    if note:
        out.print(note)


def refused_note(runs: Mapping[str, Sequence[RunMetrics]]) -> str | None:
    """The policies whose actions the engine refused, over all their seeds: invalid ones (the
    policy broke its contract: a bug) and infeasible ones (GPUs not free, power the facility
    did not have). Without it a broken policy looked merely slow (QA)."""
    said = []
    for policy, its in runs.items():
        invalid = sum(r.invalid_decisions for r in its)
        infeasible = sum(r.infeasible_decisions for r in its)
        parts = [f"{n:,} {what}" for n, what in ((invalid, "invalid"),
                                                  (infeasible, "infeasible")) if n]
        if parts:
            said.append(f"{policy} {' and '.join(parts)}")
    if not said:
        return None
    return ("Actions the engine refused (over all seeds): " + "; ".join(said) + ". Invalid "
            "ones broke the policy contract and were ignored; infeasible ones asked for GPUs "
            "that were not free or power the facility did not have. colossim run --policy "
            "NAME --out DIR records each with its reason.")


def few_seeds_note(n: int, more: str, spread: bool = True) -> str | None:
    """Why a 95% interval over ``n`` seeds may pass a metric's bounds, when ``n`` is few (1 seed
    has no interval); ``more``: how to ask for more seeds (an option or a study field).
    ``spread``: some interval is wider than zero (runs that draw nothing at random give ±0,
    under which the caution only puzzled: QA)."""
    if not 1 < n < FEW_SEEDS or not spread:
        return None
    from colossim.metrics.intervals import t975

    return (f"With {n} seeds a 95% interval is {t975(n - 1):.1f} standard errors wide each way, "
            f"so it can pass a metric's bounds (a utilisation over 100%); {more} or more "
            "narrows it.")


MAX_TOKEN = 40  # the widest detail word kept whole in --explain's table
MIN_DETAIL = 20  # the narrowest the detail column gets to keep the verdict in view


def explain_timeline(timeline: JobTimeline) -> None:
    """Why it waited first (the question), then its timeline, routine events folded (``--json``
    lists each); long details wrap rather than being cut."""
    from colossim.metrics.explain import Folded, folded

    out = console()
    out.print(f"[bold]job {escape(timeline.job)}[/bold] ({timeline.state})")
    for w in timeline.waits:
        end = f"{_hours(w.until_s)} h" + ("" if w.started else " (rejected)" if w.rejected
                                          else " (run end)")
        out.print(f"waited {_hours(w.until_s - w.since_s)} h, {_hours(w.since_s)} h → {end}: "
                  f"{w.why}", markup=False)
    if not timeline.waits:
        out.print("it never waited.")
    if timeline.faults:
        count = sum(n for _, n in timeline.faults)
        by = ", ".join(f"{name} {n:,}" for name, n in timeline.faults)
        restored = ", ".join(f"{name} {n:,}" for name, n in timeline.restores)
        out.print(f"faults that interrupted it: {count:,} ({by})"
                  + (f"; restored from: {restored}" if restored else ""), markup=False)
    entries = folded(timeline.entries)
    table = Table(title="events and decisions", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("time h", justify="right", no_wrap=True)
    table.add_column("", no_wrap=True)
    table.add_column("what", no_wrap=True)
    # wide enough for its longest key=value, so a figure never breaks across lines
    # ("cross_pod_bytes_per_s=2.308e+1" then "3" read as 23 B/s: QA); longer text still wraps
    longest = max((len(word) for e in entries if not isinstance(e, Folded)
                   for word in e.detail.split()), default=0)
    # but never so wide that the verdict is cropped: the other columns take what their widest
    # cell needs (a long event name, "fabric_fault", pushed "applied" off an 80-column screen)
    others = max((len(e.what) for e in entries if not isinstance(e, Folded)), default=0) \
        + max((len(f"{_hours(e.first_s)}-{_hours(e.last_s)}") if isinstance(e, Folded)
               else len(_hours(e.time_s)) for e in entries), default=0) \
        + len("decision") + len("applied") + 3 * 4 + 2  # the gaps between columns, the edges
    room = max(MIN_DETAIL, out.width - others)
    table.add_column("detail", overflow="fold", min_width=min(longest, MAX_TOKEN, room))
    table.add_column("verdict", overflow="fold", min_width=len("applied"))
    for e in entries:
        if isinstance(e, Folded):
            counts = ", ".join(f"{kind} {n:,}" for kind, n in e.counts)
            table.add_row(f"{_hours(e.first_s)}-{_hours(e.last_s)}", "events", "routine",
                          f"{counts} (--json lists each)", "")
        else:
            table.add_row(_hours(e.time_s), e.kind, e.what, e.detail, e.verdict or "")
    out.print(table)
