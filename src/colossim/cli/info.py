"""Commands that describe rather than simulate: validate, policies, scenarios, schema."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from colossim.cli.options import PolicyOpt, ScenarioFileArg, SetOpt, flag


def validate(scenario: ScenarioFileArg, set_: SetOpt = None, policy: PolicyOpt = None) -> None:
    """Check a scenario file and report every problem with its file and line."""
    from colossim.api import load_scenario
    from colossim.cli.render import console, scenario_overview
    from colossim.cli.run import policy_override

    overrides = [*(set_ or []), *([policy_override(policy)] if policy else [])]
    loaded = load_scenario(scenario, overrides)  # --policy as run takes it (QA)
    console().print(f"[green]ok[/green]: {scenario} is a valid scenario")
    scenario_overview(loaded)


PolicyNameArg = Annotated[str | None, typer.Argument(
    help="One policy (a registered name or module:Class): its parameters, with their defaults "
         "and what they do.", show_default=False)]


def policies(name: PolicyNameArg = None,
             json_: Annotated[bool, flag("--json", text="Machine-readable list.")] = False
             ) -> None:
    """List installed scheduling policies (built-in and from plugins)."""
    from colossim.cli.render import policy_params, policy_table
    from colossim.policy.registry import available, policy_class

    table = {name: policy_class(name)} if name is not None else available()
    if name is not None and not json_:  # defaults and descriptions took --json before (QA)
        policy_params(name, table[name])
        return
    if json_:
        rows = [
            {"name": n, "module": c.__module__, "params": c.Params.model_json_schema()}
            for n, c in table.items()
        ]
        typer.echo(json.dumps(rows, indent=2))
    else:
        policy_table(table)


def scenarios() -> None:
    """List built-in scenarios (usable by name wherever a scenario file is expected)."""
    from colossim.cli.render import scenario_table
    from colossim.config.loader import builtin_scenarios

    scenario_table(builtin_scenarios())


def schema() -> None:
    """Print the JSON Schema of a scenario file (for editor completion and checking)."""
    from colossim.config.editor_schema import scenario_json_schema

    typer.echo(json.dumps(scenario_json_schema(), indent=2))
