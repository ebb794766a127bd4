"""CLI options declared once and shared by every command that takes them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
    str | None, typer.Option("--policy", "-p", help="Scheduling policy name (see `policies`).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")]
OutOpt = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Write result.json and events.jsonl to this folder."),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
