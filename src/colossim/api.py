"""The library API: load a scenario, simulate it, get a ``RunResult``.

The CLI, sweeps and the pytest plugin are thin layers over these two functions.
"""

from __future__ import annotations

import inspect
import numbers
import os
import re
import weakref
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from colossim.config.loader import (
    Document,
    load_document,
    problem_at,
    sort_problems,
    validate_document,
    validation_problems,
)
from colossim.config.overrides import Override, text_override
from colossim.config.schema import PolicyConfig, Scenario
from colossim.errors import ConfigError, PolicyError, Problem
from colossim.metrics.result import RunResult

if TYPE_CHECKING:
    from colossim.config.yamlmarks import Marks
    from colossim.engine.simulation import RunOutput
    from colossim.policy.api import Policy

_POLICY = ("scheduler", "policy")


def _policy_problems(doc: Document) -> list[Problem]:
    """Unknown policy names and bad policy params, at their lines.

    Read from the raw document, so they are reported together with every other problem in the
    file; a policy block of the wrong shape is left to the schema.
    """
    from colossim.policy.registry import checked_params, policy_class

    block = doc.data.get("scheduler")
    block = block.get("policy") if isinstance(block, dict) else None
    block = block if isinstance(block, dict) else {}
    name = block.get("name", STANDIN_POLICY)
    params = block.get("params", {})
    if not isinstance(name, str):
        return []
    try:
        cls = policy_class(name)
    except PolicyError as exc:
        return [problem_at(doc.marks, (*_POLICY, "name"), str(exc))]
    if not isinstance(params, dict):
        return []
    try:
        checked_params(cls, params, name)
    except ValidationError as exc:
        problems = validation_problems(exc, doc.marks, prefix=(*_POLICY, "params"),
                                       model=cls.Params)
        if doc.marks.set_by_override((*_POLICY, "name")) and not doc.marks.overridden_below(
                (*_POLICY, "params")):  # --policy swapped the policy, not its params
            problems = [_swapped(p, name, params, doc.marks) for p in problems]
        return problems
    return []


_PARAMS = "scheduler.policy.params."
_DROP = (" (these params are for the scenario's own policy; with --policy {name} add --set "
         "scheduler.policy.params={{}} to drop them)")
# the same, to a Python caller of load_scenario(..., policy=NAME) (QA: told of --set)
_DROP_API = (" (these params are for the scenario's own policy; with policy={name!r} add the "
             "override 'scheduler.policy.params={{}}' to drop them)")


def _swapped(problem: Problem, name: str, params: dict, marks: Marks) -> Problem:
    """A params problem after ``--policy`` swapped the scenario's policy: one of the file's
    params the new policy refuses (drop them), or one it needs that nothing gives, at the
    ``--policy`` (advised to drop the file's params, which gave the same error again: QA). A
    check of the params together (``lo <= hi``) names no one param: the file's, if it has any,
    are the ones to drop."""
    at = problem_at(marks, (*_POLICY, "name"), "")
    api = at.file.startswith("policy=")  # load_scenario's policy=, not the command line's
    drop = (_DROP_API if api else _DROP).format(name=name)
    if not problem.field.startswith(_PARAMS):
        return replace(problem, message=problem.message + drop) if params else problem
    key = re.split(r"[.\[]", problem.field.removeprefix(_PARAMS))[0]
    if key in params:
        return replace(problem, message=problem.message + drop)
    add = f"the override '{_PARAMS}{key}=VALUE'" if api else f"--set {_PARAMS}{key}=VALUE"
    return replace(problem, file=at.file, line=at.line, message=problem.message + (
        f" (policy {name} needs it: add {add})"))


def _fit_problems(doc: Document, scenario: Scenario) -> list[Problem]:
    """Jobs the performance model cannot fit in memory on ``max_gpus`` of any GPU type, or on
    all the GPUs the cluster can give (QA: a job needing 288 H100s with max_gpus 512 on a
    64-GPU cluster passed; the run refused every start and stalled, blaming the policy)."""
    from colossim.config.crosscheck import usable_of
    from colossim.model.plan_check import plan_problems
    from colossim.model.speed import SpeedModel
    from colossim.model.workload import WorkloadError, workload

    speed = SpeedModel(scenario)
    types = list(dict.fromkeys(g.gpu_type for g in scenario.cluster.rack_groups))
    usable_by_type = usable_of(scenario)
    mixed = scenario.cluster.mixed_gpu_types
    problems = []
    for i, job in enumerate(scenario.jobs):
        if not speed.linear(job):
            try:
                workload(job)
            except WorkloadError as exc:  # the model's shape itself, at the field to blame
                loc = _blamed(doc, i, exc.field, SHAPE_FIELDS)
                problems.append(problem_at(doc.marks, loc, str(exc)))
                continue
        pins = [] if speed.linear(job) else plan_problems(job)
        if pins:  # a pin the model's rules exclude, not memory (model.plan_check)
            problems += [problem_at(doc.marks, ("jobs", i, "training", "plan", field), message)
                         for field, message in pins]
            continue
        needs = {t: speed.memory_min_gpus(job, t) for t in types}
        fewest = min((n for n in needs.values() if n is not None), default=None)
        usable = _room(needs, usable_by_type, mixed)
        if any(n is not None and n <= min(job.max_gpus, usable[t]) for t, n in needs.items()):
            continue
        usable = max(usable.values(), default=0)
        need = ", ".join(f"{t}: {'never' if n is None else f'{n:,}'}" for t, n in needs.items())
        if fewest is None:  # no number of GPUs helps (QA: "never", then "raise max_gpus")
            pinned = ", its pinned training.plan" if job.training.plan.model_fields_set else ""
            message = (f"{job.name} fits in memory on no GPU type in the cluster ({need}); "
                       f"change the model{pinned} or the GPU types")
        elif fewest > usable:  # raising max_gpus cannot help
            message = (f"{job.name} does not fit in memory on the {usable:,} GPUs the cluster "
                       f"can give it (fewest GPUs it fits in: {need}); add racks or change the "
                       "model")
        else:
            message = (f"{job.name} does not fit in memory on {job.max_gpus:,} GPUs of any type "
                       f"in the cluster (fewest GPUs it fits in: {need}); raise max_gpus or "
                       "change the model")
        # at the job's max_gpus, unless an override changed the job (params_billion=100000):
        # then at that override, the change that made it not fit
        problems.append(problem_at(doc.marks, _blamed(doc, i, ("max_gpus",)), message))
    return problems


def _room(needs: dict[str, int | None], usable: dict[str, int], mixed: bool) -> dict[str, int]:
    """The most GPUs a grant can give a job held to type ``t``'s memory: that type's usable
    GPUs, or, where types may mix, those of every type it needs no more GPUs of (a mix is held
    to the memory of its type that needs the most). Review: with types unmixed, a job that fit
    no type's count passed against all types' together, and stalled."""
    if not mixed:
        return {t: usable.get(t, 0) for t in needs}
    return {t: sum(usable.get(u, 0) for u, m in needs.items()
                   if n is not None and m is not None and m <= n) for t, n in needs.items()}


# the job fields its model's shape comes from: an override of another (submit_s, priority)
# cannot have made a shape fail, so it never takes the blame for one (review)
SHAPE_FIELDS = ("params_billion", "active_params_billion", "kind", "tokens_per_sample",
                "training")


def _blamed(doc: Document, job: int, field: tuple[str, ...],
            causes: tuple[str, ...] | None = None) -> tuple:
    """Where to report a problem of job ``job`` whose own field is ``field``: there, unless an
    override changed the job elsewhere (one of ``causes``, the job's fields that can make it
    fail; any, if None); then at that override, the change that made it fail."""
    loc = ("jobs", job, *field)
    if not doc.marks.set_by_override(loc):
        changed = [key for key in doc.marks.overridden_below(("jobs", job))
                   if causes is None or len(key) < 3 or key[2] in causes]
        loc = changed[0] if changed else loc
    return loc


STANDIN_POLICY = PolicyConfig.model_fields["name"].default  # what a file's own policy is read as


def own_policy_unused(overrides: Iterable) -> list:
    """``overrides`` plus one that clears the file's policy params, for a load with
    ``policy=STANDIN_POLICY``: a caller that never runs the file's own policy (tests give their
    own, ``estimate`` none) must not need it installed, nor its params to fit (QA)."""
    return [*overrides, "scheduler.policy.params={}"]


def listed_overrides(overrides: Iterable[str]) -> list[str]:
    """The overrides as a list of ``PATH=VALUE`` strings. One string is refused: iterated, it
    was one override per character and as many errors (QA); so is an item that is not one."""
    if isinstance(overrides, str | bytes):
        raise TypeError(f"overrides= takes a list of PATH=VALUE strings (as --set), not one "
                        f"string: write [{overrides!r}]")
    listed = list(overrides)
    for item in listed:
        if not isinstance(item, str):
            raise TypeError(f"overrides= items are PATH=VALUE strings (as --set), such as "
                            f"'cluster.power.supply_mw=700'; got {item!r}")
    return listed


def _source(source: object) -> str | Path | None:
    """A scenario's source as ``load_scenario`` takes it: a name, or a path of any kind
    (``os.PathLike``: a PurePath, pytest's ``tmpdir``); anything else said at the argument (an
    int or a dict failed in pathlib, naming no argument: QA)."""
    if source is None or isinstance(source, str | Path | dict):
        return source
    if isinstance(source, os.PathLike):
        return Path(os.fspath(source))
    hint = ": it is loaded already; give it to simulate()" if isinstance(source, Scenario) else ""
    raise TypeError("load_scenario takes a built-in scenario's name, a YAML file's path or a "
                    f"dict of its fields, not {type(source).__name__}{hint}")


def load_scenario(
    source: str | os.PathLike[str] | dict[str, Any] | None = None,
    overrides: Iterable[str] = (),
    *,
    policy: str | None = None,
) -> Scenario:
    """Read, override, validate. ``source`` is a path or a built-in name (default colossus2).
    ``overrides``: ``--set``-style ``PATH=VALUE`` strings, values read as YAML."""
    source = _source(source)
    overrides = listed_overrides(overrides)
    if policy is not None:
        if not isinstance(policy, str):
            raise TypeError(f"policy= takes a registered name or a 'module:Class' path, not "
                            f"{policy!r}")
        overrides.append(Override(text_override("scheduler.policy.name", policy),
                                  f"policy={policy!r}"))
    if isinstance(source, dict):
        return scenario_from_document(dict_document(source, overrides))
    return scenario_from_document(load_document(source, overrides))


DICT_SOURCE = "<dict>"  # where a problem of a scenario given as a dict is said to lie


def dict_document(data: dict, overrides: Iterable) -> Document:
    """A scenario given as a dict, read as a file's text would be (its own copy; no includes),
    so it gets every check a file does: ``Scenario.model_validate`` alone skipped the whole-
    scenario ones (QA: a job too big for memory loaded and sat pending for good; an unknown
    policy failed only at ``simulate``; no load warnings)."""
    from colossim.config.base import fill_empty_blocks
    from colossim.config.loader import EXTENSION_PREFIX
    from colossim.config.overrides import collect_overrides
    from colossim.config.yamlmarks import Marks

    data = {k: _own_copy(v) for k, v in data.items()
            if not (isinstance(k, str) and k.startswith(EXTENSION_PREFIX))}
    fill_empty_blocks(data, Scenario)
    marks = Marks({(): (DICT_SOURCE, None)})
    data, problems = collect_overrides(data, marks, overrides)
    return Document(data, marks, Path(DICT_SOURCE), tuple(problems))


def _own_copy(value: object) -> object:
    """``value`` with every mapping and list rebuilt, each place its own: a block the caller's
    dict shares between two jobs is two blocks, as a YAML anchor's are (``deepcopy`` kept them
    one, so an override of one job changed the other: review)."""
    if isinstance(value, dict):
        return {k: _own_copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_own_copy(v) for v in value]
    return value


def scenario_from_document(doc: Document) -> Scenario:
    """Validate an already read (and possibly edited) document, policy included.

    Sweeps read the base scenario once and build every parameter point from that one read.
    """
    scenario, problems = validate_document(doc)
    problems += _policy_problems(doc)
    if scenario is not None and not problems:
        problems += _fit_problems(doc, scenario)
    if problems or scenario is None:
        raise ConfigError(sort_problems(problems))
    from colossim.load_warnings import warn_about

    warn_about(scenario)
    return scenario


def run_scenario(
    scenario: Scenario | str | Path | None = None,
    *,
    seed: int | None = None,
    check_invariants: bool | None = None,
    progress=None,
    policy: Policy | None = None,
) -> RunOutput:
    """Run one scenario to completion (or its horizon): the engine's final state and record,
    for what needs more than the summary (a job's ideal time needs the state's speed model).
    ``policy``: an instance to run instead of building the scenario's."""
    from colossim.engine.simulation import Simulation
    from colossim.policy.registry import make_policy

    checked_run_options(check_invariants, progress)
    if not isinstance(scenario, Scenario | str | dict | os.PathLike) and scenario is not None:
        raise TypeError("simulate takes a Scenario, a built-in scenario's name, a YAML file's "
                        f"path or a dict of its fields, not {type(scenario).__name__}")
    if not isinstance(scenario, Scenario):  # an instance replaces the file's own policy, which
        # then need not be installed, nor its params fit (QA; as ``run_policy`` loads it)
        scenario = (load_scenario(scenario) if policy is None else
                    load_scenario(scenario, own_policy_unused([]), policy=STANDIN_POLICY))
    if seed is not None:
        seed = checked_seed(seed)
        scenario = scenario.model_copy(
            update={"simulation": scenario.simulation.model_copy(update={"seed": seed})}
        )
    label = None
    if policy is None:
        spec = scenario.scheduler.policy
        policy, label = make_policy(spec.name, spec.params), spec.name
    elif isinstance(policy, str | type):  # a name or a class where an instance belongs
        raise TypeError(f"policy= takes a policy instance, not {policy!r}: name a policy in "
                        "the scenario (load_scenario(..., policy=NAME)), or build the instance "
                        "(colossim.policy.registry.build_policy(Class, params))")
    elif not callable(getattr(policy, "decide", None)):  # all the engine asks of one
        raise TypeError(f"policy= takes a policy instance, an object with decide(view) (a "
                        f"colossim.BasePolicy, say), not {policy!r}")
    else:
        policy = first_run_of(policy)
    return Simulation(scenario, policy, check_invariants=check_invariants,
                      progress=progress, label=label).run()


_RAN: dict[int, weakref.ref] = {}  # policy instances callers gave that have run, by identity


def first_run_of(policy: Policy) -> Policy:
    """A policy instance the caller built, checked as a policy named in a scenario is, and
    refused if it has run already.

    A policy keeps state while it runs (rounds, wake-ups, what each job received), so the same
    instance run twice began its second run where the first ended (QA: las on busy, mean JCT
    20.1 h, then 27.2 h). It is not copied: a caller may read its state after the run (tests
    do). A colossim policy's class is checked as a looked-up one is, and its params must be
    its Params model (a dict passed to the constructor failed at t=0 with an AttributeError)."""
    from colossim.policy.registry import checked_class

    cls = type(policy)
    if hasattr(cls, "Params") and hasattr(cls, "name"):
        checked_class(cls, built=False)
        params = getattr(policy, "params", None)
        if params is not None and not isinstance(params, cls.Params):
            raise PolicyError(
                f"policy {cls.__qualname__!r} holds params of type {type(params).__name__}, "
                f"not its {cls.Params.__name__}: build it with "
                f"colossim.policy.registry.build_policy({cls.__qualname__}, params), which "
                "validates them")
    key = id(policy)  # identity, not equality: equal instances are distinct runs (review)
    known = _RAN.get(key)
    if known is not None and known() is policy:
        seen = True
    else:
        seen = False
        try:
            _RAN[key] = weakref.ref(policy, lambda _gone, key=key: _RAN.pop(key, None))
        except TypeError:  # not weakly referable: it cannot be followed, so it is not
            return policy
    if seen:
        raise PolicyError(
            f"this {cls.__qualname__} instance has run already: a policy keeps state while it "
            "runs, so a second run of it would not start where the first did; build a fresh "
            "one for each run (colossim.policy.registry.make_policy(name) or "
            f"build_policy({cls.__qualname__}, params))")
    return policy


def checked_run_options(check_invariants: object, progress: object) -> None:
    """``check_invariants=`` a bool or None, ``progress=`` a callable taking (time, fraction)
    or None, checked before the run: a text for ``progress`` failed at its first call, 2,048
    events in (after the whole run on a small scenario), with a bare "'str' object is not
    callable", and ``check_invariants="no"`` switched the checks on (QA)."""
    if check_invariants is not None and not isinstance(check_invariants, bool):
        raise TypeError(f"check_invariants= takes True, False or None, not {check_invariants!r}")
    if progress is None:
        return
    if not callable(progress):
        raise TypeError(f"progress= takes a callable progress(now_s, fraction_done), not "
                        f"{progress!r}")
    counts = bool(getattr(progress, "counts_events", False))
    try:
        inspect.signature(progress).bind(*(0.0, 0.0, 0)[: 3 if counts else 2])
    except TypeError:
        call, number = (("progress(now_s, fraction_done, events)", "three") if counts else
                        ("progress(now_s, fraction_done)", "two"))
        raise TypeError(f"progress= is called as {call}: {number} arguments, which "
                        f"{progress!r} does not take") from None
    except ValueError:  # no signature to read (a builtin): it is called as it is
        pass


def checked_seed(seed: object) -> int:
    """``seed=`` as the scenario's ``simulation.seed`` takes it: a whole number >= 0. Set on a
    validated scenario, it skipped validation: 1.5 ran as seed 1 and the result said 1.5 (QA)."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed= takes a whole number >= 0, not {seed!r}")
    if seed < 0:
        raise ValueError(f"seed= takes a whole number >= 0, not {seed}")
    return int(seed)


def simulate(
    scenario: Scenario | str | Path | None = None,
    *,
    seed: int | None = None,
    check_invariants: bool | None = None,
    progress=None,
    policy: Policy | None = None,
) -> RunResult:
    """Run one scenario to completion (or its horizon) and summarise it; a ``policy`` instance
    given here labels the result with its own name."""
    from colossim.metrics.summary import summarize

    out = run_scenario(scenario, seed=seed, check_invariants=check_invariants, progress=progress,
                       policy=policy)
    label = policy.name if policy is not None else out.state.scenario.scheduler.policy.name
    return summarize(out, policy=label)
