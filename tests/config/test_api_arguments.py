"""The library API checks its own arguments and says which one is wrong, as the command line
does for its options: a seed set on an already validated scenario skipped validation (QA: 1.5
ran as seed 1 and the result said 1.5), a bare string of overrides was read one character at a
time, and a wrong type failed deep in pathlib or the engine."""

from __future__ import annotations

import numpy as np
import pytest

from colossim import load_scenario, simulate
from colossim.errors import ConfigError


@pytest.fixture(scope="module")
def small():
    return load_scenario("small")


@pytest.mark.parametrize("seed", [1.5, 1.9, "1", True, "abc"])
def test_a_seed_that_is_not_a_whole_number_is_refused(small, seed):
    with pytest.raises(TypeError, match=r"seed= takes a whole number >= 0"):
        simulate(small, seed=seed)


def test_a_negative_seed_is_refused_and_whole_numbers_of_any_kind_run_as_themselves(small):
    with pytest.raises(ValueError, match=r"seed= takes a whole number >= 0, not -1"):
        simulate(small, seed=-1)
    as_int = simulate(small, seed=7)
    as_numpy = simulate(small, seed=np.int64(7))
    assert as_int.seed == as_numpy.seed == 7 and type(as_numpy.seed) is int
    assert as_numpy.to_dict() | {"wall_s": 0} == as_int.to_dict() | {"wall_s": 0}


def test_overrides_are_a_list_of_path_value_strings():
    with pytest.raises(TypeError, match=r"not one string: write \['cluster.power.supply_mw=2'\]"):
        load_scenario("small", "cluster.power.supply_mw=2")
    with pytest.raises(TypeError, match=r"items are PATH=VALUE strings .*; got 700"):
        load_scenario("small", [700])


@pytest.mark.parametrize(("source", "said"), [
    (123, "not int$"),
    ({"name": "x"}, "not dict: for a dict of fields use colossim.Scenario.model_validate"),
])
def test_a_scenario_of_the_wrong_type_is_said_at_the_argument(source, said):
    with pytest.raises(TypeError, match=rf"load_scenario takes a built-in scenario's name or a "
                                        rf"YAML file's path, {said}"):
        simulate(source)
    with pytest.raises(TypeError, match="not Scenario: it is loaded already; give it to "
                                        r"simulate\(\)"):
        load_scenario(load_scenario("small"))


def test_any_path_like_names_a_scenario_file(tmp_path):
    """Review: only str and Path were let through; a PurePath or pytest's tmpdir had loaded."""
    import os
    from pathlib import PurePath

    class Where(os.PathLike):
        def __fspath__(self):
            return str(tmp_path / "s.yaml")

    (tmp_path / "s.yaml").write_text("include: small\nname: mine\n")
    for source in (PurePath(tmp_path / "s.yaml"), Where()):
        assert load_scenario(source).name == "mine"


def test_a_policy_that_is_not_a_policy_is_said_at_the_argument(small):
    with pytest.raises(TypeError, match=r"policy= takes a policy instance, an object with "
                                        r"decide\(view\)"):
        simulate(small, policy=object())
    with pytest.raises(TypeError, match=r"policy= takes a registered name"):
        load_scenario("small", policy=3)


def test_an_unknown_policy_name_is_said_as_the_keyword_the_caller_wrote():
    with pytest.raises(ConfigError) as caught:
        load_scenario("small", policy="nope")
    assert "policy='nope'" in str(caught.value) and "--set" not in str(caught.value)


def test_a_load_warning_points_at_the_callers_line():
    """Not at colossim's own api.py (QA), so a notebook shows the cell's line."""
    from colossim.errors import ColossimWarning

    with pytest.warns(ColossimWarning, match="cannot finish before the horizon") as said:
        load_scenario("small", ["simulation.horizon_s=3600"])
    assert {item.filename for item in said} == {__file__}
