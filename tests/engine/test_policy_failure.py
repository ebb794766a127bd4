"""A policy that raises mid-run fails the run (exit code 1), with the policy named."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass
from types import MappingProxyType

import pytest
from pydantic import BaseModel, field_validator
from typer.testing import CliRunner

from colossim.cli.app import app
from colossim.engine.simulation import Simulation
from colossim.errors import PolicyFailure, raised_at
from colossim.policy.actions import Start, WakeAt
from colossim.policy.api import BasePolicy
from colossim.policy.placement import claim, pack
from colossim.policy.registry import build_policy
from colossim.policy.staged import StagedPolicy
from tests.conftest import make_scenario


class Broken(BasePolicy):
    name = "broken"

    def decide(self, view):
        raise ZeroDivisionError("oops")


def test_a_raising_policy_is_a_run_failure():
    job = {"name": "a", "params_billion": 1, "tokens_billion": 1, "max_gpus": 72}
    with pytest.raises(PolicyFailure, match="policy 'broken' failed at t=0.0: ZeroDivisionError"):
        Simulation(make_scenario([job], racks=1), Broken()).run()
    assert PolicyFailure.exit_code == 1


def test_cli_exit_code_is_1_without_traceback():
    result = CliRunner().invoke(
        app, ["run", "small", "--policy", "tests.engine.test_policy_failure:Broken"]
    )
    assert result.exit_code == 1, result.output
    assert "ZeroDivisionError" in result.output and "Traceback" not in result.output
    # named as the run's table and result.json name it: by its path (QA: by its class's name)
    assert "policy 'tests.engine.test_policy_failure:Broken' failed at t=0.0" in result.output


class ReturnsNone(BasePolicy):
    name = "returns-none"

    def decide(self, view):
        return None


class BrokenInit(BasePolicy):
    name = "broken-init"

    def __init__(self, params=None):
        raise RuntimeError("no config")


def test_the_message_points_at_the_line_in_the_policy_that_raised():
    job = {"name": "a", "params_billion": 1, "tokens_billion": 1, "max_gpus": 72}
    with pytest.raises(PolicyFailure) as raised:
        Simulation(make_scenario([job], racks=1), Broken()).run()
    line = Broken.decide.__code__.co_firstlineno + 1  # the raise, one line into decide
    assert str(raised.value).endswith(f"ZeroDivisionError: oops (at {__file__}:{line} in decide)")


def test_decide_returning_none_is_named_as_such():
    job = {"name": "a", "params_billion": 1, "tokens_billion": 1, "max_gpus": 72}
    with pytest.raises(PolicyFailure, match="decide returned None; return a list of actions"):
        Simulation(make_scenario([job], racks=1), ReturnsNone()).run()


class Returns(BasePolicy):
    """Returns whatever the test gave it; starts the one job if that is a list of actions."""

    name = "returns"

    def __init__(self, value):
        self.value = value

    def decide(self, view):
        value = self.value
        return value(view) if callable(value) else value



@pytest.mark.parametrize(("returned", "said"), [
    ("start", "decide returned a str, 'start', not a list of actions; return a list of actions "
              "(an empty one to do nothing)"),
    (b"start", "decide returned a bytes, b'start', not a list of actions; return a list of "
               "actions (an empty one to do nothing)"),
    ({"start": 1}, "decide returned a dict, {'start': 1}, not a list of actions; return a list "
                   "of actions (an empty one to do nothing)"),
    (MappingProxyType({}), "decide returned a mappingproxy, mappingproxy({}), not a list of "
                           "actions; return a list of actions (an empty one to do nothing)"),
    (7, "decide returned an int, 7, not a list of actions; return a list of actions (an empty "
        "one to do nothing)"),
    (Start("a", ((0, 72),)), "decide returned a single action, Start(job='a', grant=((0, 72),)); "
                             "wrap it in a list: [action]"),
    (WakeAt(5.0), "decide returned a single action, WakeAt(time_s=5.0); wrap it in a list: "
                  "[action]"),
    ({WakeAt(5.0)}, "decide returned a set, whose order changes from one process to the next "
                    "(Python's hash seed): which of its actions is applied first must not; "
                    "return a list of actions (an empty one to do nothing)"),  # QA: two starts
    # on one rack in a set, and the makespan changed with PYTHONHASHSEED
])
def test_decide_returning_something_other_than_a_list_names_the_policy_and_what(returned, said):
    job = {"name": "a", "params_billion": 1, "tokens_billion": 1, "max_gpus": 72}
    with pytest.raises(PolicyFailure) as raised:
        Simulation(make_scenario([job], racks=1), Returns(returned)).run()
    assert str(raised.value) == f"policy 'returns' failed at t=0.0: {said}"


@pytest.mark.parametrize("returned", [
    [Start("a", ((0, 72),))],
    (Start("a", ((0, 72),)),),
    lambda view: (Start(job.name, ((0, 72),)) for job in view.pending),  # a generator
    lambda view: iter([Start("a", ((0, 72),))]) if view.pending else [],
])
def test_any_iterable_of_actions_is_a_list_of_actions(returned):
    job = {"name": "a", "params_billion": 1, "tokens_billion": 1, "max_gpus": 72}
    result = Simulation(make_scenario([job], racks=1), Returns(returned)).run()
    assert [d.verdict for d in result.record.decisions] == ["applied"]


ONE_JOB = {"name": "a", "params_billion": 1, "tokens_billion": 1, "max_gpus": 144}


def _pairs(per_rack):
    """A generator grant: policy code the engine runs only as it reads the action."""
    return ((rack, 72 // per_rack) for rack in range(2))


def test_policy_code_raising_as_its_action_is_read_is_a_run_failure_at_its_line():
    """QA: a generator grant dividing by zero (or a name whose __eq__ raises) raised inside
    the engine's checks, outside the guard around decide: a 70-line traceback, exit 1."""
    policy = Returns(lambda view: [Start("a", _pairs(0))] if view.pending else [])
    with pytest.raises(PolicyFailure) as raised:
        Simulation(make_scenario([ONE_JOB], racks=2), policy).run()
    said = str(raised.value)
    assert said.startswith("policy 'returns' failed at t=0.0: reading its action Start(job='a', "
                           "grant=<generator object _pairs.<locals>.<g...: ")
    assert said.endswith(f"ZeroDivisionError: integer division or modulo by zero (at {__file__}"
                         ":"f"{_pairs.__code__.co_firstlineno + 2} in <genexpr>)")


def test_policy_code_without_a_file_raising_as_its_action_is_read_is_the_policys():
    """Review: a policy made with exec (its code in "<string>") raising in its generator grant
    was taken for colossim's own bug: a raw traceback, where decide's failures are one line."""
    namespace: dict = {}
    exec("def pairs():\n    return ((rack, 72 // 0) for rack in range(2))\n", namespace)
    policy = Returns(lambda view: [Start("a", namespace["pairs"]())] if view.pending else [])
    with pytest.raises(PolicyFailure, match="reading its action .*ZeroDivisionError"):
        Simulation(make_scenario([ONE_JOB], racks=2), policy).run()


def test_a_generator_grant_is_applied_and_recorded_as_the_pairs_it_gave():
    """QA: applied on 144 GPUs but recorded as 0 GPUs and "<generator ...>" (the checks had
    used the generator up)."""
    policy = Returns(lambda view: [Start("a", _pairs(1))] if view.pending else [])
    result = Simulation(make_scenario([ONE_JOB], racks=2), policy).run()
    [decision] = result.record.decisions
    assert decision.verdict == "applied"
    assert decision.action == {"action": "start", "job": "a", "gpus": 144, "racks": 2}


@dataclass(frozen=True, slots=True)
class NotedStart(Start):
    note: str = ""


@dataclass(frozen=True, slots=True)
class NotedWake(WakeAt):
    note: str = ""


class GrantOf(Start):
    """A start built from a count by a constructor of its own: its grant a generator."""

    __slots__ = ()

    def __init__(self, job: str, racks: int):
        super().__init__(job, ((rack, 72) for rack in range(racks)))


def test_a_subclass_with_a_constructor_of_its_own_and_a_generator_grant_is_applied():
    """Review: the generator was read by rebuilding the action through its class, whose own
    __init__ took other arguments: a TypeError raised inside the engine."""
    policy = Returns(lambda view: [GrantOf("a", 2)] if view.pending else [])
    [decision] = Simulation(make_scenario([ONE_JOB], racks=2), policy).run().record.decisions
    assert (decision.action, decision.verdict) == (
        {"action": "start", "job": "a", "gpus": 144, "racks": 2}, "applied")


def test_a_subclass_of_an_action_is_that_action_and_recorded_as_it():
    """QA: a subclass of Start was refused as "not an action: MyStart", while one of WakeAt was
    applied and recorded as {"action": "mywake"}, without its time."""
    def decide(view):
        return [NotedStart("a", ((0, 72), (1, 72)), "big"),
                NotedWake(view.now_s + 60, "look again")] if view.pending else []

    result = Simulation(make_scenario([ONE_JOB], racks=2), Returns(decide)).run()
    assert [(d.action, d.verdict) for d in result.record.decisions[:2]] == [
        ({"action": "start", "job": "a", "gpus": 144, "racks": 2}, "applied"),
        ({"action": "wakeat", "time_s": 60.0}, "applied")]


def test_a_policy_that_cannot_be_built_is_a_run_failure_without_traceback():
    result = CliRunner().invoke(
        app, ["run", "small", "--policy", "tests.engine.test_policy_failure:BrokenInit"]
    )
    assert result.exit_code == 1, result.output
    assert ("policy 'tests.engine.test_policy_failure:BrokenInit' could not be built: "
            "RuntimeError: no config") in " ".join(result.output.split())
    assert "Traceback" not in result.output


class Exiting(BasePolicy):
    name = "exiting"

    def decide(self, view):
        import sys

        sys.exit(3)


def test_a_policy_that_calls_sys_exit_is_a_run_failure_not_the_exit_code_it_chose():
    # sys.exit(3) ended colossim silently with 3, which a sweep reads as "some runs raised"
    job = {"name": "a", "params_billion": 1, "tokens_billion": 1, "max_gpus": 72}
    with pytest.raises(PolicyFailure, match="policy 'exiting' failed at t=0.0: SystemExit: 3"):
        Simulation(make_scenario([job], racks=1), Exiting()).run()


class Halt(BaseException):
    """A BaseException of the policy's own, as some frameworks define."""


@pytest.mark.parametrize("raised", [GeneratorExit("closed"), Halt("stop")])
def test_a_policy_raising_a_base_exception_is_a_run_failure_not_a_traceback(raised):
    """QA: GeneratorExit, or a BaseException subclass of the policy's own, escaped the guard
    around decide (it caught Exception and SystemExit only): a traceback, exit 1."""
    job = {"name": "a", "params_billion": 1, "tokens_billion": 1, "max_gpus": 72}

    def decide(view):
        raise raised

    with pytest.raises(PolicyFailure, match=rf"policy 'returns' failed at t=0.0: "
                                            rf"{type(raised).__name__}: {raised}"):
        Simulation(make_scenario([job], racks=1), Returns(decide)).run()


class AssignsToTheView(BasePolicy):
    name = "assigns-to-the-view"

    def decide(self, view):
        view.now_s = 5.0  # FrozenInstanceError, raised in dataclasses' generated "<string>" code


class AssignsToAJobConfig(BasePolicy):
    name = "assigns-to-a-job-config"

    def decide(self, view):
        view.jobs[0].config.max_gpus = 1  # pydantic's frozen-instance error, raised in pydantic


@pytest.mark.parametrize("policy", [AssignsToTheView, AssignsToAJobConfig])
def test_a_failed_assignment_is_placed_at_the_policy_line_not_inside_python_or_pydantic(policy):
    job = {"name": "a", "params_billion": 1, "tokens_billion": 1, "max_gpus": 72}
    with pytest.raises(PolicyFailure) as raised:
        Simulation(make_scenario([job], racks=1), policy()).run()
    line = policy.decide.__code__.co_firstlineno + 1
    assert str(raised.value).endswith(f" (at {__file__}:{line} in decide)")


@dataclass(frozen=True)
class Frozen:
    now_s: float = 0.0


def _raise_in(filename: str) -> BaseException:
    """An exception raised through a function compiled as if from ``filename``, which assigns
    to a frozen dataclass (the innermost frame is dataclasses' "<string>"); the traceback
    starts in that function, as if the test were not there."""
    code = "def decide(view):\n    view.now_s = 5.0\n"
    scope: dict = {}
    exec(compile(code, filename, "exec"), scope)
    try:
        scope["decide"](Frozen())
    except FrozenInstanceError as exc:
        return exc.with_traceback(exc.__traceback__.tb_next)
    raise AssertionError("no exception")


def test_a_plugin_policy_installed_in_site_packages_is_its_own_code(tmp_path):
    plugin = str(tmp_path / "site-packages" / "plugin.py")
    exc = _raise_in(plugin)
    assert raised_at(exc, home=plugin) == f" (at {plugin}:2 in decide)"
    # not the policy's file: no frame counts as the user's, so the innermost, as before
    assert raised_at(exc).startswith(" (at <string>:")


class RaisingCheckParams(BaseModel):
    k: int = 1

    @field_validator("k")
    @classmethod
    def small(cls, value: int) -> int:
        if value > 3:
            raise RuntimeError("k too big")  # not a ValueError: pydantic does not wrap it
        return value


class RaisingCheck(BasePolicy):
    name = "raising-check"
    Params = RaisingCheckParams

    def decide(self, view):
        return []


@pytest.mark.parametrize("command", ["run", "validate"])
def test_a_params_check_raising_outside_pydantic_is_named_at_load_without_traceback(command):
    # QA: the loader let the RuntimeError through as a 40-line traceback, where building the
    # policy from Python already said what raised and where
    result = CliRunner().invoke(app, [
        command, "small", "--policy", "tests.engine.test_policy_failure:RaisingCheck",
        "--set", "scheduler.policy.params.k=5"])
    assert result.exit_code == 1, result.output
    said = " ".join(result.output.split())
    assert "checking its params raised RuntimeError: k too big" in said
    assert "test_policy_failure.py" in said and "Traceback" not in result.output


class Plain:
    """The documented contract and nothing more: a name, a Params model, decide."""

    name = "plain"
    Params = RaisingCheckParams

    def decide(self, view):
        free = view.racks.free.copy()
        actions = []
        for job in view.pending:
            grant = pack(view.racks, free, job, job.config.max_gpus)
            if grant is not None:
                claim(free, grant)
                actions.append(Start(job.name, grant))
        return actions


class NeedsTwo(Plain):
    def __init__(self, params, extra):
        self.params = params


def test_a_plain_class_without_a_constructor_is_built_and_given_its_params():
    job = {"name": "a", "params_billion": 1, "tokens_billion": 1, "max_gpus": 72}
    policy = build_policy(Plain, {"k": 2})
    assert isinstance(policy, Plain) and policy.params == RaisingCheckParams(k=2)
    result = Simulation(make_scenario([job], racks=1), policy).run()
    assert [d.verdict for d in result.record.decisions] == ["applied"]


def test_a_constructor_wanting_more_than_the_params_is_refused_at_load():
    result = CliRunner().invoke(
        app, ["validate", "small", "--policy", "tests.engine.test_policy_failure:NeedsTwo"])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "cannot be built: colossim builds a policy as Class(params)" in said
    assert "(params, extra)" in said and "Traceback" not in result.output


class DeadlineFirst(StagedPolicy):
    name = "deadline-first"

    def sort_key(self, job):
        return job.config.deadline_s  # None for a job without one: None and 500.0 do not compare


def test_sort_keys_that_do_not_compare_are_named_as_the_policys():
    # QA: the TypeError named only colossim's own line, with no frame of the policy's
    jobs = [{"name": n, "params_billion": 1, "tokens_billion": 1, "max_gpus": 72,
             **({"deadline_s": 500.0} if n == "b" else {})} for n in ("a", "b", "c")]
    with pytest.raises(PolicyFailure) as raised:
        Simulation(make_scenario(jobs, racks=1), DeadlineFirst()).run()
    said = str(raised.value)
    assert "comparing the keys this policy's sort_key (or rank_key) gave" in said
    assert "None and 500.0" in said and "use math.inf for 'last'" in said


class AsksOfAType(BasePolicy):
    name = "asks-of-a-type"

    def __init__(self, gpu_type: str):
        super().__init__()
        self.gpu_type = gpu_type

    def decide(self, view):
        view.estimate_rate(view.pending[0], {self.gpu_type: 72})
        return []


@pytest.mark.parametrize(("gpu_type", "said"), [
    ("GB20", "estimate_rate: no GPU type 'GB20' (did you mean 'GB200'?)"),
    ("ZZ9", "estimate_rate: no GPU type 'ZZ9'; known: GB200"),
])
def test_a_rate_asked_of_a_gpu_type_that_does_not_exist_says_which_exist(gpu_type, said):
    # QA: a bare KeyError: 'GB20'
    job = {"name": "a", "params_billion": 1, "tokens_billion": 1, "max_gpus": 72}
    with pytest.raises(PolicyFailure) as raised:
        Simulation(make_scenario([job], racks=1), AsksOfAType(gpu_type)).run()
    assert said in str(raised.value)


class SetsItsPriority(BasePolicy):
    name = "sets-its-priority"

    def decide(self, view):
        view.pending[0].config.priority = 5
        return []


def test_an_assignment_to_a_frozen_config_is_said_on_one_line_without_pydantics_url():
    # QA: pydantic's four lines, "[type=frozen_instance, ...]" and a URL
    job = {"name": "a", "params_billion": 1, "tokens_billion": 1, "max_gpus": 72}
    with pytest.raises(PolicyFailure) as raised:
        Simulation(make_scenario([job], racks=1), SetsItsPriority()).run()
    said = str(raised.value)
    assert said.startswith("policy 'sets-its-priority' failed at t=0.0: ValidationError: "
                           "priority: read-only (a policy's view and the scenario's configs "
                           "are frozen) (at ")
    assert "\n" not in said and "pydantic.dev" not in said


def test_a_dicts_keys_are_a_list_of_actions_in_the_dicts_order():
    """Review: a dict's keys are a set to Python, but ordered: not refused as one."""
    wanted = {Start("a", ((0, 72), (1, 72))): "first"}
    policy = Returns(lambda view: wanted.keys() if view.pending else [])
    [decision] = Simulation(make_scenario([ONE_JOB], racks=2), policy).run().record.decisions
    assert decision.verdict == "applied"
