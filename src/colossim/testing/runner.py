"""Load scenarios and run policies for tests: the library API with test-friendly defaults.

Runs check the engine's invariants after every event by default (``check_invariants=True``): a
regression test is where a broken invariant must surface, and small scenarios make it cheap. A
run that stops making progress is stopped and fails as starved (``starvation``), rather than
simulating a policy's idle wake-ups until the horizon.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from colossim.api import (
    STANDIN_POLICY,
    listed_overrides,
    load_scenario,
    own_policy_unused,
    simulate,
)
from colossim.config.schema import PolicyConfig, Scenario
from colossim.metrics.result import RunResult
from colossim.policy.registry import build_policy, checked_class
from colossim.testing.starvation import failing_as, guard_for

PolicyRef = str | type


@lru_cache(maxsize=64)
def _load_builtin(name: str, overrides: tuple[str, ...], policy: str | None) -> Scenario:
    return load_scenario(name, overrides, policy=policy)


def load(
    source: str | Path | dict = "small", overrides: Iterable[str] = (), *,
    policy: str | None = None,
) -> Scenario:
    """A built-in scenario name, a YAML path or a dict of its fields (as ``load_scenario``
    takes), with ``--set``-style overrides.

    Built-in scenarios are loaded once and each call gets its own deep copy: a ``Scenario``
    is frozen, but the dicts it holds (the catalog, a policy's params) are not, and a test that
    changed one in place changed it for every later test (QA: a makespan moved, or a run
    crashed deep in the engine). A file or a dict is read at every call, so what runs is what
    the file (and the files it includes) holds now, whatever the working directory: a test may
    write a scenario, run it, and rewrite it.
    """
    overrides = _listed(overrides)
    if isinstance(source, dict) or Path(source).exists():  # a dict: review, a raw TypeError
        return load_scenario(source, overrides, policy=policy)
    return copy.deepcopy(_load_builtin(str(source), overrides, policy))


def _listed(overrides: Iterable[str]) -> tuple[str, ...]:
    """The overrides as a tuple (hashable, for the cache), checked as the API checks them."""
    return tuple(listed_overrides(overrides))


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
    scenario: Scenario | str | Path | dict = "small",
    *,
    seed: int | None = None,
    overrides: Iterable[str] = (),
    params: Mapping[str, Any] | None = None,
    check_invariants: bool = True,
    starvation_guard: bool = True,
) -> RunResult:
    """Simulate ``scenario`` under ``policy`` and return the ``RunResult``.

    With ``starvation_guard`` a run that makes no progress (``colossim.testing.starvation``)
    fails as starved instead of running its idle wake-ups to the horizon.
    """
    __tracebackhide__ = True
    if isinstance(scenario, Scenario) and _listed(overrides):  # applied to what it holds, as
        # to a file's (QA: refused, so a drawn scenario could not be given a tighter supply)
        if scenario.trace is not None:  # its jobs hold the trace's already: kept as a run's
            # scenario.json keeps them (review: re-read, a ConfigError on jobs_loaded, and a
            # relative path read from the current folder, not the scenario's)
            scenario = scenario.model_copy(update={"trace": None})
        scenario = scenario.model_dump(mode="json", exclude_defaults=True)
    if not isinstance(scenario, Scenario):  # the file's own policy is replaced, as
        # ``--policy`` does: it need not be installed here, nor its params fit (QA: a shared
        # file naming a policy this machine lacks failed to load, whatever policy the test ran)
        scenario = load(scenario, own_policy_unused(_listed(overrides)), policy=STANDIN_POLICY)
    scenario = with_policy(scenario, policy, params)
    # a class runs as given: one defined in a test, or made by a factory, has no import path
    # that leads back to it
    instance = None if isinstance(policy, str) else build_policy(checked_class(policy), params)
    guard = guard_for(scenario) if starvation_guard else None
    with failing_as(AssertionError, getattr(instance, "name", None) or policy_name(policy),
                    scenario, "pass starvation_guard=False to run_policy"):
        return simulate(scenario, seed=seed, check_invariants=check_invariants, progress=guard,
                        policy=instance)



