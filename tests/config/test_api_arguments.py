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


@pytest.mark.parametrize(("source", "said"), [(123, "not int$"), ([{"name": "x"}], "not list$")])
def test_a_scenario_of_the_wrong_type_is_said_at_the_argument(source, said):
    with pytest.raises(TypeError, match=rf"load_scenario takes a built-in scenario's name, a "
                                        rf"YAML file's path or a dict of its fields, {said}"):
        load_scenario(source)
    # QA: simulate(42) said "load_scenario takes ...", a call the user never made
    with pytest.raises(TypeError, match=rf"^simulate takes a Scenario, a built-in scenario's "
                                        rf"name, a YAML file's path or a dict of its fields, "
                                        rf"{said}"):
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


def test_a_policy_instance_runs_once_and_a_fresh_one_gives_the_same_run():
    """QA: las, max-min-fair and finish-time-fair keep state while they run; the same instance
    passed twice began its second run where the first ended (busy under las: mean JCT 20.1 h,
    then 27.2 h). A second run of one instance is refused; a fresh instance repeats the run."""
    from colossim.errors import PolicyError
    from colossim.policy.registry import make_policy

    busy = load_scenario("busy")
    las = make_policy("las")
    first = simulate(busy, policy=las)
    with pytest.raises(PolicyError, match="instance has run already"):
        simulate(busy, policy=las)
    assert simulate(busy, policy=make_policy("las")) == first
    assert simulate(busy) != first  # busy's own policy is not las: the instance ran


def test_a_policy_instance_with_a_path_needs_not_the_file_s_own_policy(tmp_path):
    """QA: a shared file naming a policy this machine lacks failed to load even though the
    instance given replaces it, as run_policy already allowed."""
    from colossim.policy.registry import make_policy

    path = tmp_path / "s.yaml"
    path.write_text(load_scenario_text().replace(
        "scheduler:\n  policy:\n    name: fifo",
        "scheduler:\n  policy:\n    name: teampolicy:Ours\n    params: {knob: 3}"))
    result = simulate(path, policy=make_policy("fifo"))
    assert result.policy == "fifo" and all(job.state == "completed" for job in result.jobs)
    with pytest.raises(ConfigError, match="teampolicy"):
        simulate(path)  # run as the file says, it is needed


def load_scenario_text() -> str:
    from pathlib import Path

    import colossim

    return (Path(colossim.__file__).parent / "config" / "scenarios" / "small.yaml").read_text()


def test_a_hand_built_policy_is_checked_as_a_named_one():
    """QA: params given as a dict to the constructor, or a Params model lacking what the staged
    base reads, failed at t=0 with an AttributeError from deep inside the run."""
    from pydantic import BaseModel

    from colossim.errors import PolicyError
    from colossim.policy.staged import StagedPolicy

    class Largest(StagedPolicy):
        name = "largest"

        def rank_key(self, job, view):
            return (-job.max_gpus, job.index)

    with pytest.raises(PolicyError, match="holds params of type dict, not its StagedParams"):
        simulate("small", policy=Largest({"strict": True}))

    class Bare(Largest):
        class Params(BaseModel):
            pass

    with pytest.raises(PolicyError, match="Params lacks 'placement', 'strict'"):
        simulate("small", policy=Bare(Bare.Params()))


def test_a_dict_of_fields_gets_every_check_a_file_does():
    """QA: ``Scenario.model_validate(data)``, the documented way to load a dict, ran the schema
    alone: a job too big for memory loaded and sat pending for good, an unknown policy failed
    only at simulate, and a min above max named the job, not the field."""
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(load_scenario_text())
    assert load_scenario(data) == load_scenario("small")  # the same scenario, read from a dict
    assert load_scenario(data, ["jobs.llm-70b.max_gpus=216"]).jobs[0].max_gpus == 216
    too_big = {**data, "jobs": [{**data["jobs"][0], "params_billion": 10000}]}
    with pytest.raises(ConfigError) as info:
        load_scenario(too_big)
    [problem] = info.value.problems
    assert str(problem).startswith("<dict>: jobs[0].max_gpus: llm-70b does not fit in memory")
    with pytest.raises(ConfigError, match="<dict>: scheduler.policy.name: unknown policy 'fifoo'"):
        load_scenario({**data, "scheduler": {"policy": {"name": "fifoo"}}})
    crossed = {**data, "jobs": [{**data["jobs"][0], "min_gpus": 200}]}
    with pytest.raises(ConfigError, match=r"jobs\[0\]\.min_gpus: 200 exceeds max_gpus"):
        load_scenario(crossed)
    assert data["jobs"][0].get("min_gpus") != 200  # the caller's dict is left as it was


def test_a_block_a_dict_shares_between_jobs_is_each_job_s_own():
    """Review: a checkpoint block two jobs of the caller's dict share stayed one block in the
    copy, so an override of one job's interval changed the other's too (a YAML anchor's copies
    are separate)."""
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(load_scenario_text())
    shared = {"interval_s": 3600}
    data["jobs"][0]["checkpoint"] = data["jobs"][1]["checkpoint"] = shared
    loaded = load_scenario(data, ["jobs.llm-70b.checkpoint.interval_s=7200",
                                  "reliability.enabled=true"])
    assert [job.checkpoint.interval_s for job in loaded.jobs[:2]] == [7200, 3600]
    assert shared == {"interval_s": 3600}


def test_yaml_text_given_as_a_source_is_a_config_error_not_an_os_error():
    """QA: a string too long to be a file name raised OSError (File name too long)."""
    with pytest.raises(ConfigError, match="built-in scenarios"):
        load_scenario("name: x\n" * 100)


@pytest.mark.filterwarnings("ignore:4 jobs cannot finish:colossim.errors.ColossimWarning")
def test_equal_but_distinct_policy_instances_each_run_once():
    """Review: instances were told apart by equality, so a fresh instance of a value-equal
    (frozen dataclass) policy was refused as one that had run."""
    from dataclasses import dataclass

    from colossim.errors import PolicyError

    @dataclass(frozen=True)
    class Idle:  # starts nothing: the jobs wait to the (short) horizon
        name: str = "idle"

        def decide(self, view):
            return []

    small = load_scenario("small", ["simulation.horizon_s=3600"])
    a, b = Idle(), Idle()
    assert a is not b and a == b and hash(a) == hash(b)
    assert simulate(small, policy=a) == simulate(small, policy=b)
    with pytest.raises(PolicyError, match="instance has run already"):
        simulate(small, policy=a)


def test_run_policy_takes_a_dict_as_load_scenario_does():
    """Review: the pytest plugin's run_policy raised a raw TypeError (from pathlib) for a dict,
    which load_scenario takes."""
    from ruamel.yaml import YAML

    from colossim.testing.runner import run_policy

    data = YAML(typ="safe").load(load_scenario_text())
    assert run_policy("fifo", data) == run_policy("fifo", "small")


@pytest.mark.parametrize(("options", "said"), [
    ({"progress": "yes"}, "progress= takes a callable progress(now_s, fraction_done), not 'yes'"),
    ({"progress": lambda now_s: None}, "progress= is called as progress(now_s, fraction_done)"),
    ({"check_invariants": "no"}, "check_invariants= takes True, False or None, not 'no'"),
])
def test_run_options_are_checked_before_the_run(options, said):
    # QA: a text for progress failed only at its first call, after the whole run on a small
    # scenario, with "'str' object is not callable"; check_invariants="no" turned checks on
    from colossim.api import simulate

    with pytest.raises(TypeError) as raised:
        simulate("small", **options)
    assert said in str(raised.value)
    seen = []
    simulate("small", progress=lambda now_s, done: seen.append(done), check_invariants=False)
    assert seen and seen[-1] == pytest.approx(1.0)

