"""examples/custom_policy: a third-party package the registry picks up from its entry point."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from colossim.api import load_scenario, simulate
from colossim.policy import registry
from tests.policy.plugin_points import installed_plugins

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "custom_policy"


@pytest.fixture
def example_installed(monkeypatch):
    """The package importable and its declared entry point visible, as after pip install."""
    monkeypatch.syspath_prepend(str(EXAMPLE / "src"))
    meta = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())
    declared = meta["project"]["entry-points"][registry.ENTRY_POINT_GROUP]
    with installed_plugins(monkeypatch, declared):
        yield declared


def test_the_registry_finds_the_example_by_its_entry_point(example_installed):
    assert example_installed == {"smallest-aged": "colossim_example_policy:SmallestAged"}
    cls = registry.available()["smallest-aged"]
    assert cls.__module__ == "colossim_example_policy"
    result = simulate(load_scenario("small", policy="smallest-aged"), check_invariants=True)
    assert all(j.state == "completed" for j in result.jobs)


def test_smallest_first_until_ageing_catches_up(example_installed):
    from tests.policy.factories import cluster, job, racks, starts

    policy = registry.make_policy("smallest-aged", {"ageing_s": 100})
    # at t=0 the 1-GPU job goes first (then the 4-GPU one no longer fits in the 3 left);
    # at t=300 the 4-GPU job that has waited 300 s has key 4 / (1 + 3) = 1 and beats a fresh
    # 2-GPU job (key 2)
    fresh = [job("big", 0, 4), job("tiny", 1, 1)]
    assert list(starts(policy.decide(cluster(fresh, racks([4]))))) == ["tiny"]
    late = [job("big", 0, 4, submit_s=0.0), job("mid", 1, 2, submit_s=300.0)]
    assert list(starts(policy.decide(cluster(late, racks([4]), now_s=300.0)))) == ["big"]
