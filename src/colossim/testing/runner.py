"""Load scenarios and run policies for tests: the library API with test-friendly defaults.

Runs check the engine's invariants after every event by default (``check_invariants=True``): a
regression test is where a broken invariant must surface, and small scenarios make it cheap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from colossim.api import load_scenario, simulate
from colossim.config.schema import PolicyConfig, Scenario
from colossim.metrics.result import RunResult
from colossim.policy.registry import build_policy, checked_class

PolicyRef = str | type


@lru_cache(maxsize=64)
def _load(source: str, overrides: tuple[str, ...], policy: str | None) -> Scenario:
    return load_scenario(source, overrides, policy=policy)


def load(
    source: str | Path = "small", overrides: Iterable[str] = (), *, policy: str | None = None
) -> Scenario:
    """A built-in scenario name or a YAML path, with ``--set``-style overrides (cached: frozen)."""
    return _load(str(source), tuple(overrides), policy)


def policy_name(policy: PolicyRef) -> str:
    """A registry name or ``module:Class`` path; a class becomes its import path."""
    if isinstance(policy, str):
        return policy
    if isinstance(policy, type):
        return f"{policy.__module__}:{policy.__qualname__}"
    raise TypeError(f"policy must be a name, a 'module:Class' path or a class, not {policy!r}")


def with_policy(
    scenario: Scenario, policy: PolicyRef, params: Mapping[str, Any] | None
) -> Scenario:
    """The scenario with its scheduler set to ``policy`` (params validated when it is built)."""
    spec = PolicyConfig(name=policy_name(policy), params=dict(params or {}))
    scheduler = scenario.scheduler.model_copy(update={"policy": spec})
    return scenario.model_copy(update={"scheduler": scheduler})


def run_policy(
    policy: PolicyRef,
    scenario: Scenario | str | Path = "small",
    *,
    seed: int | None = None,
    overrides: Iterable[str] = (),
    params: Mapping[str, Any] | None = None,
    check_invariants: bool = True,
) -> RunResult:
    """Simulate ``scenario`` under ``policy`` and return the ``RunResult``."""
    overrides = tuple(overrides)
    if isinstance(scenario, Scenario):
        if overrides:
            raise TypeError("overrides apply to a scenario name or path, not a Scenario object")
    else:
        scenario = load(scenario, overrides)
    scenario = with_policy(scenario, policy, params)
    # a class runs as given: one defined in a test, or made by a factory, has no import path
    # that leads back to it
    instance = None if isinstance(policy, str) else build_policy(checked_class(policy), params)
    return simulate(scenario, seed=seed, check_invariants=check_invariants, policy=instance)
