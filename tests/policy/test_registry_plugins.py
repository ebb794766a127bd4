"""One broken plugin never breaks the others or the built-ins, and asking for it says why.

Each case installs fake entry points (as ``pip install`` of a plugin would) beside the real
ones: a module that does not exist, a plugin naming its policy like a built-in, two plugins
giving one name, and an entry point whose key differs from its class's ``name``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from pydantic import AliasChoices, BaseModel, Field, ValidationError, model_validator

from colossim.api import load_scenario, simulate
from colossim.errors import ConfigError, PolicyError
from colossim.policy import registry
from colossim.policy.builtin.fifo import POLICY as BuiltinFifo
from colossim.policy.builtin.fifo import Fifo
from colossim.policy.staged import StagedPolicy
from tests.policy.plugin_points import installed_plugins

HERE = "tests.policy.test_registry_plugins"


class LargestFirst(StagedPolicy):
    """Biggest jobs first."""

    name = "largest-first"

    def sort_key(self, job):
        return -job.max_gpus


class FakeFifo(StagedPolicy):
    name = "fifo"


class TwinA(StagedPolicy):
    name = "twin"


class TwinB(StagedPolicy):
    name = "twin"


class PlainStaged(BaseModel):
    """What a staged policy reads, in a plain pydantic model (not colossim's StagedParams), as
    the docs allow a Params model to be."""

    placement: str = "pack"
    strict: bool = True


class PlainParams(Fifo):
    """Params as a plain pydantic model, as the docs allow: unknown keys still refused."""

    name = "plain-params"

    class Params(PlainStaged):
        alpha: float = 1.0


class NeedsAlpha(Fifo):
    name = "needs-alpha"

    class Params(PlainStaged):
        alpha: float = Field(...)


class Aliased(Fifo):
    """A param with alias choices: each is a key pydantic takes."""

    name = "aliased"

    class Params(PlainStaged):
        k: int = Field(1, validation_alias=AliasChoices("k", "kk"))


class Ordered(Fifo):
    """A check of its params together, which names no one param."""

    name = "ordered"

    class Params(PlainStaged):
        lo: float = 0.0
        hi: float = 1.0

        @model_validator(mode="after")
        def _in_order(self):
            if self.lo > self.hi:
                raise ValueError("lo must be <= hi")
            return self


class NoPlacement(StagedPolicy):
    name = "no-placement"

    class Params(BaseModel):
        alpha: float = 1.0


class OwnDecide(StagedPolicy):
    """Its own decide: only the placer's field is read from its Params."""

    name = "own-decide"

    class Params(BaseModel):
        placement: str = "pack"

    def decide(self, view):
        return []


PLUGINS = {
    "broken": "tests.policy.nope:Broken",
    "fifo-again": f"{HERE}:FakeFifo",
    "twin-a": f"{HERE}:TwinA",
    "twin-b": f"{HERE}:TwinB",
    "lf": f"{HERE}:LargestFirst",
}


@pytest.fixture
def plugins(monkeypatch):
    with installed_plugins(monkeypatch, PLUGINS):
        yield


def test_the_usable_ones_are_available_and_the_others_warned_about(plugins):
    with pytest.warns(registry.PolicyWarning) as caught:
        policies = registry.available()
    assert policies["fifo"] is BuiltinFifo  # a plugin cannot take a built-in's name
    assert policies["largest-first"] is LargestFirst
    assert "twin" not in policies and "broken" not in policies
    messages = sorted(str(w.message) for w in caught)
    assert len(messages) == 3
    assert messages[0].startswith("policy entry point 'broken' skipped: "
                                  "tests.policy.nope:Broken cannot be loaded: No module named")
    assert messages[1] == (f"policy entry point 'fifo-again' skipped: {HERE}:FakeFifo names its "
                           "policy 'fifo', the name of a built-in policy")
    assert messages[2] == (f"two policies are named 'twin' ({HERE}:TwinA and {HERE}:TwinB); "
                           "neither can be used by that name")


@pytest.mark.filterwarnings("ignore::colossim.policy.registry.PolicyWarning")
def test_built_ins_still_run(plugins):
    result = simulate(load_scenario("small", policy="fifo"))
    assert all(job.state == "completed" for job in result.jobs)


@pytest.mark.filterwarnings("ignore::colossim.policy.registry.PolicyWarning")
@pytest.mark.parametrize("name, why", [
    ("broken", "policy entry point 'broken' was skipped: tests.policy.nope:Broken cannot be "
               "loaded: No module named"),
    ("twin", f"two policies are named 'twin' ({HERE}:TwinA and {HERE}:TwinB); uninstall one"),
    ("lf", "the entry point 'lf' registers its policy as 'largest-first' (the class's name); "
           "use that name"),
    # QA: "use that name" where that name is two policies' led straight to another refusal
    ("twin-a", "the entry point 'twin-a' registers its policy as 'twin' (the class's name), but "
               f"two policies are named 'twin' ({HERE}:TwinA and {HERE}:TwinB); uninstall one: "
               "then this entry point's policy is 'twin'"),
])
def test_asking_for_a_missing_one_says_why(plugins, name, why):
    with pytest.raises(PolicyError) as raised:
        registry.policy_class(name)
    assert str(raised.value).startswith(why)
    # compare says it too (it said "no policy named 'broken'", or suggested another plugin)
    from typer.testing import CliRunner

    from colossim.cli.app import app

    result = CliRunner().invoke(app, ["compare", "small", "--policies", f"fifo,{name}"])
    assert result.exit_code == 2
    assert f"--policies: {why}" in " ".join(result.stderr.split())


def test_a_module_in_the_current_folder_is_found_by_the_console_script(tmp_path):
    """``colossim run --policy my_policies:X`` from the folder holding my_policies.py: the
    console script does not put that folder on the path (``python -m`` would)."""
    (tmp_path / "my_policies.py").write_text(textwrap.dedent("""\
        from colossim.policy.staged import StagedPolicy


        class LargestFirst(StagedPolicy):
            name = "largest-first"

            def sort_key(self, job):
                return -job.max_gpus
        """))
    script = ("import sys; from colossim.policy.registry import policy_class; "
              "sys.path[:] = [p for p in sys.path if p not in ('', '.')]; "
              "print(policy_class('my_policies:LargestFirst').name)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    src = os.path.join(os.path.dirname(registry.__file__), "..", "..")
    env["PYTHONPATH"] = os.path.abspath(src)
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "largest-first"


def test_the_cli_lists_the_usable_ones_and_warns_in_one_line_each(plugins):
    from typer.testing import CliRunner

    from colossim.cli.app import app

    result = CliRunner().invoke(app, ["policies"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "largest-first" in result.stdout and "fifo" in result.stdout
    # each policy's own docstring, not its module's (which every policy of the module shares)
    row = next(line for line in result.stdout.splitlines() if "largest-first" in line)
    assert row.rstrip().endswith("Biggest jobs first.")
    warned = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warned) == 3 and "Traceback" not in result.stderr
    assert warned[0].startswith("warning: policy entry point 'broken' skipped: ")
    assert "registry.py" not in result.stderr  # not Python's pointer into colossim's source


def test_bad_params_from_python_are_worded_as_in_a_scenario_file():
    with pytest.raises(PolicyError) as raised:
        registry.make_policy("sjf", {"strictt": True})
    assert str(raised.value) == ("bad params for policy 'sjf': strictt: unknown field (did you "
                                 "mean 'strict'?)")


@pytest.mark.parametrize(("source", "says"), [
    ("def (:\n", "cannot import policy module 'broken_mod': invalid syntax at "),
    ("raise RuntimeError('boom')\n", "it raised RuntimeError: boom (at "),
    ("import sys\nsys.exit(7)\n", "it raised SystemExit: 7 (at "),
])
def test_a_policy_module_that_cannot_be_imported_is_a_problem_not_a_traceback(
        tmp_path, monkeypatch, source, says):
    # only ImportError was caught: a syntax error in a new policy file printed a traceback
    (tmp_path / "broken_mod.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "broken_mod", raising=False)
    with pytest.raises(PolicyError) as caught:
        registry.policy_class("broken_mod:Policy")
    assert says in str(caught.value)


@pytest.mark.parametrize(("source", "value", "says"), [
    # QA: a plugin's NameError at import was said without its type or line, which a
    # ``module:Class`` path gives
    ("x = 1\ny = undefined_name + 1\n", "X", "it raised NameError: name 'undefined_name' is not "
     "defined (at {file}:2 in <module>)"),
    # QA: the message ended "(at .../lib/python3.11/importlib/metadata/__init__.py:204 in
    # load)", the standard library's getattr, which tells a plug-in's author nothing
    ("class Policy:\n    pass\n", "Nope",
     "it raised AttributeError: module 'plugin_mod' has no attribute 'Nope'"),
], ids=["raises-in-its-module", "no-such-class"])
def test_an_entry_point_that_cannot_load_says_what_and_where_in_the_plugin(
        tmp_path, monkeypatch, source, value, says):
    (tmp_path / "plugin_mod.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "plugin_mod", raising=False)
    with installed_plugins(monkeypatch, {"broken": f"plugin_mod:{value}"}), \
            pytest.warns(registry.PolicyWarning) as caught:
        registry.available()
    [message] = [str(w.message) for w in caught if "'broken'" in str(w.message)]
    assert message == (f"policy entry point 'broken' skipped: plugin_mod:{value} cannot be "
                       f"loaded: {says.format(file=tmp_path / 'plugin_mod.py')}")


@pytest.mark.parametrize(("name", "says"), [
    ("my_policies.LargestFirst", "unknown policy 'my_policies.LargestFirst' (did you mean "
                                 "'my_policies:LargestFirst'? a policy in a module is "
                                 "module:Class); installed: "),
    ("my_policies.py:LargestFirst", "policy 'my_policies.py:LargestFirst': give the module's "
                                    "name, not its file: 'my_policies:LargestFirst' (from the "
                                    "folder that holds my_policies.py, or with that folder on "
                                    "PYTHONPATH)"),
    ("./lib/my_policies.py:LargestFirst", "give the module's name, not its file: "
                                          "'my_policies:LargestFirst'"),
    # review: "did you mean 'my_policies:py'?", and a Windows path split at its drive
    ("my_policies.py", "give the module's name, not its file: 'my_policies:ClassName'"),
    ("pols/my_policies.py", "give the module's name, not its file: 'my_policies:ClassName'"),
    ("C:\\pols\\my_policies.py:LargestFirst", "give the module's name, not its file: "
                                              "'my_policies:LargestFirst'"),
])
def test_a_policy_file_given_for_its_module_gets_the_form_to_use(name, says):
    """QA: a file name said "'my_policies' is not a package", and ./file.py a TypeError from
    importlib about relative imports."""
    with pytest.raises(PolicyError) as caught:
        registry.policy_class(name)
    assert says in str(caught.value)


@pytest.mark.parametrize("name", [":Good", "mod:", " :X"])
def test_a_policy_path_needs_a_module_and_a_class(name):
    with pytest.raises(PolicyError, match="a path names a module and a class"):
        registry.policy_class(name)


@pytest.mark.parametrize(("name", "params", "says"), [
    ("max-min-fair", {"round_s": float("inf")}, "round_s: expected a finite number, got inf"),
    ("las", {"min_run_s": "60"}, "min_run_s: expected a number, got the text '60'"),
])
def test_built_in_policy_params_are_as_strict_as_scenario_fields(name, params, says):
    # a round_s of .inf validated, and max-min-fair then never ran another round
    with pytest.raises(PolicyError, match=says):
        registry.make_policy(name, params)


def test_a_plain_pydantic_params_model_refuses_a_misspelt_key():
    """QA: pydantic's default drops unknown keys, so --set ...params.alpah=2 vanished."""
    with pytest.raises(ConfigError) as caught:
        load_scenario("small", [f"scheduler.policy.name={HERE}:PlainParams",
                                "scheduler.policy.params.alpah=2"])
    [problem] = caught.value.problems
    assert problem.message == "unknown field (did you mean 'alpha'?)"
    with pytest.raises(PolicyError, match=r"alpah: unknown field \(did you mean 'alpha'\?\)"):
        registry.make_policy(f"{HERE}:PlainParams", {"alpah": 2})
    assert registry.make_policy(f"{HERE}:PlainParams", {"alpha": 2}).params.alpha == 2


def test_a_param_the_swapped_in_policy_needs_is_asked_for_at_the_policy_option():
    """QA: advised to drop the file's params (there were none), which gave the same error."""
    with pytest.raises(ConfigError) as caught:
        load_scenario("small", policy=f"{HERE}:NeedsAlpha")
    [problem] = caught.value.problems
    assert problem.file == f"policy='{HERE}:NeedsAlpha'"  # at the swap, not in small.yaml
    assert problem.message == (f"required field missing (policy {HERE}:NeedsAlpha needs it: "
                               "add the override 'scheduler.policy.params.alpha=VALUE')")


def test_a_staged_policy_whose_params_lack_what_it_reads_is_refused_when_loaded():
    """QA: it failed at its first decision, an AttributeError blamed on pydantic's file."""
    with pytest.raises(PolicyError) as caught:
        registry.policy_class(f"{HERE}:NoPlacement")
    assert str(caught.value) == (
        f"{HERE}:NoPlacement.Params lacks 'placement', 'strict', which StagedPolicy reads: "
        "derive it from StagedParams (colossim.policy.staged), as class "
        "Params(StagedParams): ...")
    assert registry.policy_class(f"{HERE}:OwnDecide") is OwnDecide  # its own decide: no strict


def test_an_alias_choice_is_a_key_the_params_take():
    """Review: ``AliasChoices("k", "kk")`` is not a string, and ``kk`` was called unknown."""
    assert registry.make_policy(f"{HERE}:Aliased", {"kk": 3}).params.k == 3
    with pytest.raises(PolicyError, match="kkk: unknown field"):
        registry.make_policy(f"{HERE}:Aliased", {"kkk": 3})


def test_a_field_an_alias_renames_is_not_taken_by_its_own_name():
    """Review: pydantic drops ``k`` when the field reads ``kk`` only, and ``k: 5`` ran as 1."""
    from colossim.policy.registry import validate_params

    class Renamed(Fifo):
        name = "renamed"

        class Params(PlainStaged):
            k: int = Field(1, validation_alias="kk")

    assert validate_params(Renamed, {"kk": 5}).k == 5
    with pytest.raises(ValidationError):
        validate_params(Renamed, {"k": 5})


def test_a_check_of_the_params_together_after_a_policy_swap_keeps_its_line(tmp_path):
    """Review: it was put at --policy, advising --set scheduler.policy.params.scheduler=VALUE."""
    path = tmp_path / "ordered.yaml"
    path.write_text(f"include: small\nscheduler:\n  policy:\n    name: {HERE}:Ordered\n"
                    "    params: {lo: 5, hi: 1}\n")
    with pytest.raises(ConfigError) as caught:
        load_scenario(path, policy=f"{HERE}:Ordered")
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.field) == (str(path), 5,
                                                           "scheduler.policy.params")
    assert "needs it" not in problem.message and "params.scheduler" not in problem.message
    assert problem.message.startswith("lo must be <= hi")
