"""All terminal output: the only module that uses rich."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from colossim.cli.entry import closed_pipe, to_null_device
from colossim.cli.tables import fitting_tables
from colossim.metrics.labels import HUGE, grouped, middle_elided, plural

if TYPE_CHECKING:
    from colossim.config.schema import Scenario
    from colossim.errors import ColossimError
    from colossim.metrics.result import JobResult, RunResult


def _on_broken_pipe(self: Console) -> None:
    """A reader that went away. Stdout's (``| head``): the command ends with 141, as one
    killed by SIGPIPE, not rich's 1 ("the run failed"). Stderr's (a log reader gone): its
    messages are dropped and the run goes on, its results on stdout intact (rich pointed stdout
    at the null device and exited 1: review)."""
    if self.stderr:  # the null device takes whatever else it says
        to_null_device(sys.stderr)
        return
    self.quiet = True
    closed_pipe()


Console.on_broken_pipe = _on_broken_pipe  # every console of the process: typer's help too


# emoji=False: rich turns ":x:" into an emoji, and a policy path such as "my_mod:X: ..." in a
# message or a job named ":fire:" must print as written
@cache
def console() -> Console:
    return Console(emoji=False)


@cache
def err_console() -> Console:
    return Console(stderr=True, highlight=False, emoji=False)


def print_warning(message: str) -> None:
    err_console().print(f"[yellow]warning:[/yellow] {escape(message)}", soft_wrap=True)


def print_error(exc: ColossimError) -> None:
    from colossim.errors import ConfigError

    out = err_console()  # soft_wrap: one problem per line, whole, for editors and grep
    if isinstance(exc, ConfigError):
        count = len(exc.problems)
        out.print(f"[red]error:[/red] {plural(count, 'problem')} in the input:")
        for problem in exc.problems:
            out.print(f"  {problem}", markup=False, soft_wrap=True)
    else:
        out.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)


def _count(value: float) -> str:
    """A count that stays short: 3,500 but 102.8M, and 1e+200 (the JSON keeps every digit)."""
    if value >= HUGE * 1e6:
        return f"{value:.3g}"
    return f"{value / 1e6:,.1f}M" if value >= 1e6 else f"{value:,.0f}"


def _days(seconds: float | None) -> str:
    """Days to two decimals (past a billion, three significant digits: ``grouped``)."""
    return "-" if seconds is None else grouped(seconds / 86400)


JOBS_CAPTION = ("times in days from the start; GPUs = mean GPUs held from start to end; MFU from "
                "the performance model, against the dense peak at each job's precision")
JOB_COLUMNS = ("job", "state", "submit", "start", "end", "JCT", "GPUs", "GPU-h", "MFU")
NAME_WIDTH = 20  # a job's name in the tables: a trace's 36-character ids would push them past 80
JOB_ROWS = 50  # jobs listed in the tables; a trace replay has hundreds or thousands


def clipped_name(name: str, width: int = NAME_WIDTH) -> str:
    """``name`` within ``width`` characters, its middle elided ("3a099c80-e…22d635b7"):
    ids differ at the start and end, and the JSON keeps every name whole."""
    return middle_elided(name, width)


def shown_names(names: Sequence[str]) -> list[str]:
    """The jobs' names as the tables show them: clipped to ``NAME_WIDTH``, or wider where that
    left two alike ("training-r…ffix-name" for three names differing only in the middle)."""
    width = NAME_WIDTH
    longest = max((len(name) for name in names), default=0)
    while width < longest and len({clipped_name(n, width) for n in names}) < len(set(names)):
        width += 1
    return [clipped_name(name, width) for name in names]


def listed_jobs(result: RunResult) -> tuple[tuple[JobResult, ...], str | None]:
    """The jobs the tables list (the first ``JOB_ROWS``), and a line on the others if any."""
    jobs = result.jobs
    if len(jobs) <= JOB_ROWS:
        return jobs, None
    return jobs[:JOB_ROWS], (f"... and {len(jobs) - JOB_ROWS:,} more jobs: every job is in "
                             "--json, and in result.json with --out DIR")


def result_tables(result: RunResult, overrides: Sequence[str] = ()) -> None:
    """The job table (fits 80 columns with every cell whole, even for Colossus-2's seven jobs;
    split into tables sharing the job column on a narrower terminal, as ``cli.tables`` does,
    where rich had folded digits onto a second line and dropped the MFU column) and the cluster
    summary. ``overrides`` (as typed: ``--set a.b=1``) go under the title: a what-if's tables
    read like the base scenario's (QA)."""
    jobs, more = listed_jobs(result)
    cells = [(job.state, _days(job.submit_s), _days(job.start_s), _days(job.end_s),
              _days(job.jct_s), "-" if job.mean_gpus is None else f"{job.mean_gpus:,.0f}",
              _count(job.gpu_hours),
              "-" if job.mfu is None else f"{job.mfu:.0%}") for job in jobs]
    keys = [(JOB_COLUMNS[0], shown_names([job.name for job in jobs]))]
    values = [(header, [row[k] for row in cells]) for k, header in enumerate(JOB_COLUMNS[1:])]
    out = console()
    title = f"{result.scenario} under {result.policy} (seed {result.seed})"
    if overrides:
        title += "\nwith " + " ".join(overrides)
    # as typed: `--set "description=a[/b]"` was read as rich markup and crashed the run after
    # its files were written (review)
    tables = fitting_tables(out, escape(title), keys, values, left=("state",))
    if len(tables) == 1:  # under the table; below split ones at full width, not in the last
        tables[0].caption = JOBS_CAPTION
    for table in tables:
        out.print(table)
    if len(tables) > 1:
        out.print(JOBS_CAPTION)
    if more:
        out.print(more)
    from colossim.cli.render_performance import performance_table

    performance_table(jobs)
    if result.reliability is not None:
        from colossim.cli.render_reliability import reliability_table

        reliability_table(result)
    c = result.cluster
    summary = Table(show_header=False, title="cluster")
    summary.add_column(justify="left")
    summary.add_column(justify="right")
    lb = result.makespan_lower_bound_s
    ratio = f" ({result.makespan_s / lb:.3f}x the lower bound)" if result.makespan_s and lb else ""
    rows = [
        ("GPUs / racks / pods", f"{c.gpus:,} / {c.racks:,} / {c.pods:,}"),
        ("makespan", f"{_days(result.makespan_s)} days{ratio}" if result.makespan_s is not None
         else "- (no job completed)" if all(j.state == "rejected" for j in result.jobs)
         else "- (not every job finished)"),
        ("makespan lower bound", f"{_days(lb)} days (no failures, no power limit)"),
        *_deadline_rows(result),
        ("GPU utilisation", f"{c.gpu_utilization:.1%}"),
        ("energy", f"{mega(c.energy_mwh)} MWh"),
        ("peak power", f"{mega(c.peak_power_mw)} MW ({_supply(result)})"),
        *_power_rows(result),
        *_fabric_rows(result),
        ("events / decisions", f"{result.events:,} / {result.decisions:,}"
                               + _refusals(result)),
        ("wall time", f"{result.wall_s:.3f} s" + _policy_time(result)),
    ]
    for key, value in rows:
        summary.add_row(key, value)
    out.print(summary)


def _policy_time(result: RunResult) -> str:
    """The share of the wall time the policy's decide calls took, and the longest call (QA: a
    policy sleeping 0.3 s a decision showed only in the total): a scheduling researcher's
    overhead figure. Not in the JSON result, whose figures repeat from run to run."""
    record = result.record
    if record is None or record.policy_wall_s <= 0:
        return ""
    return (f" (policy {record.policy_wall_s:.3f} s, longest call "
            f"{record.slowest_decide_s * 1e3:.3g} ms)")


def _deadline_rows(result: RunResult) -> list[tuple[str, str]]:
    """How many jobs with a deadline met it, and the ones that missed (QA: deadlines were in
    the JSON only, though edf's objective is to meet them)."""
    due = [j for j in result.jobs if j.deadline_s is not None]
    if not due:
        return []
    jobs = [j for j in due if j.deadline_met is not None]  # the others were still going
    missed = [j.name for j in jobs if not j.deadline_met]
    text = f"{len(jobs) - len(missed):,} of {len(jobs):,}"
    if missed:
        text += f" (missed: {', '.join(shown_names(missed[:3]))}" + (
            f" and {len(missed) - 3:,} more)" if len(missed) > 3 else ")")
    if len(due) > len(jobs):  # the run ended before their deadlines: not misses (review)
        text += f"; {len(due) - len(jobs):,} not yet due when the run ended"
    return [("deadlines met", text)]


def _refusals(result: RunResult) -> str:
    """The decisions row's note of refused actions: " (2 invalid, 5 infeasible actions)"."""
    counts = [(result.invalid_decisions, "invalid"), (result.infeasible_decisions, "infeasible")]
    shown = [f"{n:,} {what}" for n, what in counts if n]
    if not shown:
        return ""
    return f" ({', '.join(shown)} action{'' if sum(n for n, _ in counts) == 1 else 's'})"


def _supply(result: RunResult) -> str:
    """The supply beside the peak: its highest level over the run when a schedule or a dip
    moves it ("supply 1,000 MW" beside a 1,070 MW peak read as a violation after a step-up)."""
    series = result.record.series.get("supply_mw")
    levels = [v for t, v in zip(series.times, series.values, strict=True)
              if t <= result.end_s] if series is not None else []
    if len(set(levels)) > 1:
        return f"supply up to {mega(max(levels))} MW"
    return f"supply {mega(levels[0] if levels else result.cluster.supply_mw)} MW"


def mega(value: float) -> str:
    """Megawatts (or megawatt-hours) for people: whole from 100 (Colossus' 1,000 MW), else 3
    significant digits (a test rack's 0.264 MW read "0 MW" beside a 0.1 MW step, and its
    0.29 MWh "energy 0 MWh")."""
    return grouped(value, 0) if abs(value) >= 100 else f"{value:.3g}"


def _power_rows(result: RunResult) -> list[tuple[str, str]]:
    """The power figures worth a line: supply low point, steps, battery, throttling, cost."""
    p = result.power
    if p is None:
        return []
    rows = [("supply min / largest draw step",
             f"{mega(p.supply_min_mw or 0)} MW / {mega(p.max_step_mw)} MW")]
    if p.battery_min_soc is not None:
        low = f"{p.battery_min_soc:.1%} ({mega(p.battery_min_mwh)} MWh)"
        rows.append(("battery low point", low))
    if p.throttled_gpu_hours or p.deficit_events or p.power_preemptions or p.power_holds:
        rows.append(("power throttling", f"{_count(p.throttled_gpu_hours)} GPU-h, "
                     f"{grouped(p.time_at_cap_s / 3600, 1)} h at cap"))
        rows.append(("deficits / preempted / held",
                     f"{p.deficit_events:,} / {p.power_preemptions:,} / {p.power_holds:,}"))
    if p.energy_cost_usd is not None:
        rows.append(("energy cost", f"${grouped(p.energy_cost_usd, 0)}"))
    return rows


def _fabric_rows(result: RunResult) -> list[tuple[str, str]]:
    """The fabric's effect in a line (how many jobs it slowed, the worst slowdown) and its
    faults and cross-pod traffic in another: without them a dead spine switch left no trace."""
    from colossim.metrics.fabric import SLOWED_BY

    f = result.fabric
    if f is None:
        return []
    slowdowns = [j.contention_slowdown for j in result.jobs if j.contention_slowdown]
    # a percentage: 1.00003 read "worst 1.000x", as if nothing had slowed; shown below the
    # threshold too ("0 of 4, the worst 0.003% slower"), which says why none counts
    most = max(slowdowns, default=1.0) - 1
    worst = f", the worst {most * 100:.3g}% slower" if most > 1e-9 else ""
    return [
        (f"fabric: jobs slowed ≥{SLOWED_BY:.1%}",
         f"{f.slowed_jobs:,} of {len(result.jobs):,}{worst}"),
        ("fabric: faults / cross-pod", f"{f.faults:,} / {_bytes(f.cross_pod_bytes)}"),
    ]


def _bytes(count: float) -> str:
    """Bytes in the largest decimal unit under the count, 3 significant digits (204 EB, not
    2.04e+05 PB)."""
    for unit, size in (("YB", 1e24), ("ZB", 1e21), ("EB", 1e18), ("PB", 1e15), ("TB", 1e12),
                       ("GB", 1e9)):
        if count >= size:
            return f"{count / size:.3g} {unit}"
    return f"{count:.3g} B"


def _summary(cls: type) -> str:
    """A policy's one-line description: the class's own docstring (a plugin module's describes
    the module, and every policy in it showed that as its summary: QA); a built-in's module
    holds that one policy, and its docstring is the policy's description."""
    own = cls.__dict__.get("__doc__")
    if not own and cls.__module__.startswith("colossim.policy.builtin."):
        own = getattr(sys.modules.get(cls.__module__), "__doc__", None)
    return (own if isinstance(own, str) else "").strip().split("\n")[0].replace("``", "")


def policy_table(policies: Mapping[str, type]) -> None:
    table = Table(title="installed policies", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("name", no_wrap=True)
    table.add_column("from", overflow="fold")
    table.add_column("parameters")
    table.add_column("summary")
    for name, cls in policies.items():
        params = ", ".join(cls.Params.model_fields)
        builtin = cls.__module__.startswith("colossim.policy.builtin.")
        table.add_row(name, "built-in" if builtin else cls.__module__, params or "-",
                      _summary(cls))
    console().print(table)


def _kind(annotation: Any) -> str:
    """A parameter's type as a user writes its values: ``work | time`` for a Literal, ``float
    | None`` for an optional, ``tuple[float, ...]`` for a tuple (a generic's ``__name__``
    dropped its arguments, and an Optional Literal read "Optional": review)."""
    import types
    import typing

    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:  # a constrained type (Field(gt=0)) reads as its type
        return _kind(args[0])
    if origin is typing.Literal:
        return " | ".join(map(str, args))
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_kind(arg) for arg in args)
    if annotation is type(None):
        return "None"
    if origin is not None and args:
        inner = ", ".join("..." if arg is Ellipsis else _kind(arg) for arg in args)
        return f"{getattr(origin, '__name__', origin)}[{inner}]"
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")


def policy_params(name: str, cls: type) -> None:
    """``colossim policies NAME``: the policy's summary, then each parameter with its type,
    default and description, as a scenario's ``scheduler.policy.params`` takes them."""
    out = console()
    out.print(f"[bold]{escape(name)}[/bold]: {escape(_summary(cls))}")
    fields = cls.Params.model_fields
    if not fields:
        out.print("no parameters")
        return
    table = Table(title=f"scheduler.policy.params of {escape(name)}", box=box.SIMPLE_HEAD,
                  pad_edge=False)
    for col in ("parameter", "type", "default", "what it does"):
        table.add_column(col, no_wrap=col == "parameter")
    for field_name, field in fields.items():
        default = "(required)" if field.is_required() else json.dumps(
            field.get_default(call_default_factory=True), default=str)
        table.add_row(field_name, escape(_kind(field.annotation)), escape(default),
                      escape(field.description or ""))
    out.print(table)


def scenario_table(scenarios: Mapping[str, Path]) -> None:
    from colossim.api import load_scenario

    table = Table(title="built-in scenarios", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("name", "GPUs", "jobs", "description"):
        table.add_column(col, justify="right" if col in ("GPUs", "jobs") else "left",
                         no_wrap=col != "description")
    for name in sorted(scenarios):
        sc = load_scenario(name)
        gpus = sum(
            g.racks * sc.gpu_catalog()[g.gpu_type].gpus_per_rack for g in sc.cluster.rack_groups
        )
        table.add_row(name, f"{gpus:,}", str(len(sc.jobs)), sc.description)
    console().print(table)


def scenario_overview(scenario: Scenario) -> None:
    catalog = scenario.gpu_catalog()
    gpus = sum(g.racks * catalog[g.gpu_type].gpus_per_rack for g in scenario.cluster.rack_groups)
    console().print(
        f"{scenario.name}: {gpus:,} GPUs in "
        f"{plural(sum(g.racks for g in scenario.cluster.rack_groups), 'rack')}, "
        f"{plural(len(scenario.jobs), 'job')}, policy {scenario.scheduler.policy.name}"
    )


@contextmanager
def progress_bar(enabled: bool) -> Iterator[object | None]:
    """A progress bar over the fraction of all work done; yields the engine's callback."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("simulating"), BarColumn(), TextColumn("{task.percentage:>5.1f}% of work"),
        TextColumn("day {task.fields[day]:,.1f}"), TimeElapsedColumn(),
        console=console(), transient=True,
    ) as progress:
        task = progress.add_task("run", total=1.0, day=0.0)

        def update(now_s: float, fraction: float) -> None:
            progress.update(task, completed=fraction, day=now_s / 86400)

        yield update
