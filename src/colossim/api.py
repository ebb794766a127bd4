"""The library API: load a scenario, simulate it, get a ``RunResult``.

The CLI, sweeps and the pytest plugin are thin layers over these two functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from colossim.config.loader import (
    Document,
    build_scenario,
    load_document,
    problem_at,
    validation_problems,
)
from colossim.config.schema import Scenario
from colossim.errors import ConfigError, PolicyError
from colossim.metrics.result import RunResult


def _check_policy(doc: Document, scenario: Scenario) -> None:
    """Unknown policy names and bad policy params are config errors with a line."""
    from colossim.policy.registry import policy_class, validate_params

    policy = scenario.scheduler.policy
    try:
        cls = policy_class(policy.name)
    except PolicyError as exc:
        raise ConfigError(
            [problem_at(doc.marks, ("scheduler", "policy", "name"), str(exc))]
        ) from None
    try:
        validate_params(cls, policy.params)
    except ValidationError as exc:
        problems = validation_problems(exc, doc.marks, prefix=("scheduler", "policy", "params"))
        raise ConfigError(problems) from None


def load_scenario(
    source: str | Path | None = None,
    overrides: Iterable[str] = (),
    *,
    policy: str | None = None,
) -> Scenario:
    """Read, override, validate. ``source`` is a path or a built-in name (default colossus2)."""
    overrides = list(overrides)
    if policy is not None:
        overrides.append(f"scheduler.policy.name={policy}")
    return scenario_from_document(load_document(source, overrides))


def scenario_from_document(doc: Document) -> Scenario:
    """Validate an already read (and possibly edited) document, policy included.

    Sweeps read the base scenario once and build every parameter point from that one read.
    """
    scenario = build_scenario(doc)
    _check_policy(doc, scenario)
    return scenario


def simulate(
    scenario: Scenario | str | Path | None = None,
    *,
    seed: int | None = None,
    check_invariants: bool | None = None,
    progress=None,
) -> RunResult:
    """Run one scenario to completion (or its horizon) and summarise it."""
    from colossim.engine.simulation import Simulation
    from colossim.metrics.summary import summarize
    from colossim.policy.registry import make_policy

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if seed is not None:
        scenario = scenario.model_copy(
            update={"simulation": scenario.simulation.model_copy(update={"seed": seed})}
        )
    spec = scenario.scheduler.policy
    policy = make_policy(spec.name, spec.params)
    sim = Simulation(scenario, policy, check_invariants=check_invariants, progress=progress)
    return summarize(sim.run(), policy=spec.name)
