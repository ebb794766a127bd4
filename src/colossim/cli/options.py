"""CLI options declared once and shared by every command that takes them."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from colossim.cli.entry import INTERRUPTED  # noqa: F401  (130: the commands use it from here)
from colossim.metrics.labels import first_few


def flag(*names: str, text: str) -> Any:
    """A boolean flag (``--json``; ``--plots/--no-plots``): it takes no value, and ``--help``
    shows none (``cli.command``)."""
    return typer.Option(*names, help=text)


ScenarioArg = Annotated[
    str | None,
    typer.Argument(
        help="Scenario YAML file or built-in scenario name (default: colossus2).",
        show_default=False,
    ),
]
ScenarioFileArg = Annotated[str, typer.Argument(help="Scenario YAML file or built-in name.")]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        "-s",
        help="Override a field: PATH=VALUE, e.g. cluster.power.supply_mw=700 or "
        "jobs.10t.max_gpus=147456. Repeatable.",
        metavar="PATH=VALUE",
    ),
]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Random seed (overrides the file).")]
PolicyOpt = Annotated[
    str | None,
    typer.Option("--policy", "-p",
                 help="Scheduling policy: a registered name (see `policies`) or module:Class."),
]
JsonOpt = Annotated[bool, flag("--json", text="Print one JSON object instead of tables.")]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out", "-o", help="Write result.json, events.jsonl, series.json and scenario.json "
        "(the scenario as run) to this folder."
    ),
]
QuietOpt = Annotated[bool, flag("--quiet", "-q", text="No progress bar.")]
SweepQuietOpt = Annotated[bool, flag("--quiet", "-q", text=(
    "No progress bar, nor the progress lines written when the output is not a terminal."))]
NoStallGuardOpt = Annotated[bool, flag(
    "--no-stall-guard",
    text="Simulate a run whose waiting jobs make no progress to its horizon. By default such a "
         "run is stopped and fails (100,000 events over 30 simulated days or within 1 s, or a "
         "million events: a policy that never starts its jobs but keeps asking to be woken).")]
ExplainOpt = Annotated[
    str | None,
    typer.Option("--explain", metavar="JOB",
                 help="Print the job's timeline of events and decisions, and why it waited."),
]
TraceOpt = Annotated[
    Path | None,
    typer.Option("--trace", metavar="FILE",
                 help="Write a timeline (Chrome trace JSON; open in ui.perfetto.dev) to FILE."),
]
ReportOpt = Annotated[
    bool,
    flag("--report", text="Write report.html (plots: needs colossim\\[plot]) into --out or "
         "the current folder."),
]

# colossim sweep
StudyArg = Annotated[Path, typer.Argument(help="Study YAML file (see docs/studies.md).")]
WorkersOpt = Annotated[
    int | None,
    typer.Option("--workers", "-w", min=1,
                 help="Parallel workers (default: the CPUs this process may use)."),
]


class Backend(StrEnum):
    LOCAL = "local"
    RAY = "ray"
    SERIAL = "serial"


BackendOpt = Annotated[
    Backend,
    typer.Option(
        "--backend", "-b", help="Where runs execute: local (process pool), ray, or serial."
    ),
]
AddressOpt = Annotated[
    str | None,
    typer.Option(
        "--address", envvar="RAY_ADDRESS",
        help="Ray cluster to attach to (ray backend; default: start a local Ray).",
    ),
]
SweepOutOpt = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Output folder (default: out/<study name>)."),
]
ResumeOpt = Annotated[
    bool, flag("--resume", text="Skip runs already finished in the output folder.")
]
DryRunOpt = Annotated[bool, flag("--dry-run", text="List the runs; run nothing.")]
BatchOpt = Annotated[
    int | None,
    typer.Option("--batch", min=1, help="Runs per task sent to a worker (default: about 50 ms "
                 "of runs, from their observed time)."),
]
PlotsOpt = Annotated[bool, flag("--plots/--no-plots", text="Write PNG plots.")]


def _either(names: Sequence[str], shown: int = 3) -> str:
    """The first few names offered, quoted, and how many more there are."""
    from colossim.metrics.labels import either

    more = f" ({len(names) - shown:,} more start so)" if len(names) > shown else ""
    return either([repr(n) for n in names[:shown]]) + more


def check_names(option: str, kind: str, given: Iterable[str], known: Sequence[str],
                plural: str | None = None) -> None:
    """Names an option gives must exist: each unknown one is a problem naming the option, with
    a suggestion and what there is (exit code 2 before anything runs)."""
    from colossim.errors import ConfigError, Problem

    problems = []
    for name in given:
        if name not in known:
            hint = [k for k in known if k.startswith(name)] if name else []  # a short id
            hint = hint or difflib.get_close_matches(name, list(known), n=1)
            suggestion = f" (did you mean {_either(hint)}?)" if hint else ""
            listed = f"{plural or kind + 's'}: {first_few(known)}"
            problems.append(Problem(option, None, "",
                                    f"no {kind} named {name!r}{suggestion}; {listed}"))
    if problems:
        raise ConfigError(problems)


def check_destinations(out: Path | None, trace: Path | None) -> None:
    """``--out`` must be a folder (or not yet exist, under folders) and ``--trace`` a file name
    (not a folder, under folders): bad input, exit 2, before the run (``run`` and ``sweep``)."""
    from colossim.errors import ConfigError, Problem

    problems = []
    if out is not None:
        if out.exists() and not out.is_dir():
            problems.append(Problem("--out", None, "", f"{out} is a file, not a folder"))
        elif (blocked := _file_above(out)) is not None:
            problems.append(Problem("--out", None, "", f"{blocked} is a file, not a folder"))
    if trace is not None:
        if trace.is_dir():
            problems.append(Problem("--trace", None, "", f"{trace} is a folder: give a file "
                                    f"name, e.g. {trace / 'trace.json'}"))
        elif (blocked := _file_above(trace)) is not None:
            problems.append(Problem("--trace", None, "", f"{blocked} is a file, not a folder"))
    if problems:
        raise ConfigError(problems)


def _file_above(path: Path) -> Path | None:
    """The first folder on ``path``'s way that is in fact a file, if any."""
    for parent in reversed(path.parents):
        if parent.exists() and not parent.is_dir():
            return parent
    return None
