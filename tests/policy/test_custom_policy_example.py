"""examples/custom_policy.py: a third-party policy, packaged by examples/custom_policy/, that the
registry picks up from its entry point."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from colossim.api import load_scenario, simulate
from colossim.policy import registry
from tests.policy.plugin_points import installed_plugins

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE = EXAMPLES / "custom_policy"  # the package: a pyproject.toml building ../custom_policy.py


@pytest.fixture
def example_installed(monkeypatch):
    """The package importable and its declared entry point visible, as after pip install."""
    monkeypatch.syspath_prepend(str(EXAMPLES))
    meta = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())
    declared = meta["project"]["entry-points"][registry.ENTRY_POINT_GROUP]
    with installed_plugins(monkeypatch, declared):
        yield declared


def test_the_registry_finds_the_example_by_its_entry_point(example_installed):
    assert example_installed == {"smallest-aged": "custom_policy:SmallestAged"}
    cls = registry.available()["smallest-aged"]
    assert cls.__module__ == "custom_policy"
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


def test_the_package_builds_the_module_the_entry_point_names():
    """The wheel holds ../custom_policy.py as the module ``custom_policy``, which the entry point
    imports: the file exists where the package takes it from."""
    meta = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())
    included = meta["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert included == {"../custom_policy.py": "custom_policy.py"}
    assert (EXAMPLE / "../custom_policy.py").resolve() == EXAMPLES / "custom_policy.py"
    target = meta["project"]["entry-points"][registry.ENTRY_POINT_GROUP]["smallest-aged"]
    assert target.split(":")[0] + ".py" == included["../custom_policy.py"]
