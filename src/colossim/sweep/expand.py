"""A study → its runs: parameter points (grid or random draws) × seeds, each a validated scenario.

The base scenario is read once; each point is that document with the study's ``set:`` and the
point's values written in at their dotted paths (the same path rules as ``--set``), then
validated like any scenario. Marks of the written values point at the study file, so a bad value
or an unknown path is reported at the study line that asked for it.

Determinism: a run's seed comes from the study seed, the point's own ``simulation.seed`` and the
run's position (point, replicate) through ``numpy.random.SeedSequence``; its id is a hash of the
resolved scenario and that seed. Neither depends on workers, backend or completion order.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from colossim.api import scenario_from_document
from colossim.config.loader import (
    STUDY_KEYS,
    Document,
    load_document,
    problem_at,
    resolve_source,
    sort_problems,
)
from colossim.config.messages import WHOLE_NUMBER
from colossim.config.overrides import mark_override, resolve_paths, seed_defaults, set_path
from colossim.config.schema import Scenario
from colossim.config.wording import and_more
from colossim.config.yamlmarks import Marks, PathKey
from colossim.errors import ColossimWarning, ConfigError, Problem
from colossim.metrics.labels import middle_elided, plural
from colossim.model.rng import RngStreams
from colossim.sweep.metrics import unknown_jobs
from colossim.sweep.spec import Axis, Distribution, Method, Study, read_study
from colossim.sweep.value_labels import written

ID_LENGTH = 16


@dataclass(frozen=True)
class Run:
    """One simulation of a study: a point's scenario with its seed set."""

    run_id: str
    index: int
    point: int
    replicate: int
    seed: int
    values: tuple[tuple[str, Any], ...]
    scenario: Scenario


@dataclass(frozen=True)
class Plan:
    """Every run of a study, in plan order (point-major, then replicate)."""

    study: Study
    base: Path
    runs: tuple[Run, ...]

    @property
    def parameters(self) -> tuple[str, ...]:
        return self.study.parameter_paths

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(self.study.file.metrics)

    @property
    def points(self) -> int:
        return len({run.point for run in self.runs})

    def dotted_jobs(self) -> tuple[str, ...]:
        """Job names with a dot in them (``1.5t-a``), which headers keep whole: the runs'
        jobs (a trace's thousands only once: their names never change between runs)."""
        return tuple(sorted({job.name for run in self.runs[:1] for job in run.scenario.jobs
                             if "." in job.name}))

    def varied(self) -> tuple[str, ...]:
        """Parameters that take more than one value (the x axes worth plotting)."""
        return self._varied

    @cached_property
    def _varied(self) -> tuple[str, ...]:
        return tuple(
            p for p in self.parameters
            if len({json.dumps(dict(r.values)[p], sort_keys=True) for r in self.runs}) > 1
        )

    def partners(self, path: str) -> tuple[str, ...]:
        """The knobs that move together with ``path`` (its zip group, itself included)."""
        return next((a.paths for a in self.study.axes if path in a.paths), (path,))


def run_id(scenario: Scenario) -> str:
    """Hash of the resolved scenario (its seed included) and the seed."""
    return _hashed(identity(scenario), scenario.simulation.seed)


def identity(scenario: Scenario) -> dict[str, Any]:
    """What a run's id hashes: the scenario's JSON dump, less what only spells it differently.

    Two spellings of one simulation got two ids (QA), so ``--resume`` ran it again and a study
    could hold it twice: the policy's params as written (``1`` against ``1.0``, a default
    written out or left out) are hashed as the policy validates them, its defaults left out;
    and a trace's ``path`` (relative or absolute, from any folder) is left out, as the jobs
    read from the file are part of the dump."""
    dumped = scenario.model_dump(mode="json")
    if dumped.get("trace") is not None:
        dumped["trace"] = {k: v for k, v in dumped["trace"].items() if k != "path"}
    policy = dumped["scheduler"]["policy"]
    if policy.get("params"):
        policy["params"] = _validated_params(policy["name"], policy["params"])
    return dumped


def _validated_params(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """A policy's params as its Params model reads them, without the defaults; as written when
    the policy has no model or they do not validate (the run then fails and says why)."""
    from colossim.policy.registry import policy_class, validate_params

    try:
        cls = policy_class(name)
        if getattr(cls, "Params", None) is None:
            return params
        return validate_params(cls, params).model_dump(mode="json", exclude_defaults=True)
    except Exception:  # an unknown or broken policy, or bad params: reported by the run
        return params


def _hashed(dumped: dict[str, Any], seed: int) -> str:
    """``run_id`` of the scenario whose ``identity`` is ``dumped``."""
    blob = json.dumps({"scenario": dumped, "seed": seed}, sort_keys=True, separators=(",", ":"))
    return _digest(blob)


def _digest(blob: str) -> str:
    """A run id from its JSON text."""
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:ID_LENGTH]


def _seeded(dumped: dict[str, Any], seed: Any) -> dict[str, Any]:
    """A scenario's dump with ``simulation.seed`` set: the dump of its copy with that seed (no
    other field depends on the seed), without dumping the whole scenario once per replicate."""
    return {**dumped, "simulation": {**dumped["simulation"], "seed": seed}}


SEED_MARK = "\x00seed\x00"  # a value no scenario holds (JSON writes it "\u0000seed\u0000")


def replicate_ids(dumped: dict[str, Any]) -> Callable[[int], str]:
    """``run_id`` of a point's replicate from its seed: the point's JSON text made once with a
    mark where the two seeds go, then the seed spliced in (encoding the whole scenario again for
    each replicate was a fifth of expanding a study). The same text as ``_hashed`` makes: the
    mark is a value, not a key, so the sorted key order is the same, and ``json.dumps`` writes
    an int as ``str`` does. A scenario that holds the mark's text itself is hashed as a whole."""
    text = json.dumps({"scenario": _seeded(dumped, SEED_MARK), "seed": SEED_MARK},
                      sort_keys=True, separators=(",", ":"))
    parts = text.split(json.dumps(SEED_MARK))
    if len(parts) != 3:
        return lambda seed: _hashed(_seeded(dumped, seed), seed)

    return lambda seed: _digest(str(int(seed)).join(parts))


def run_seed(study_seed: int, scenario_seed: int, point: int, replicate: int) -> int:
    """Independent, reproducible seeds: SeedSequence(study, scenario seed) at (point, replicate)."""
    seq = np.random.SeedSequence(entropy=[study_seed, scenario_seed], spawn_key=(point, replicate))
    return int(seq.generate_state(1)[0])


def _draws(axis: Axis, samples: int, streams: RngStreams) -> list[tuple[Any, ...]]:
    """``samples`` values of one axis, from a stream named after it (others never shift it)."""
    rng = streams("sweep.sample." + "|".join(axis.paths))
    dist = axis.sampled
    if dist is None:
        return [axis.rows[int(i)] for i in rng.integers(0, len(axis.rows), size=samples)]
    if dist.distribution is Distribution.INT:
        drawn = rng.integers(int(dist.min), int(dist.max), endpoint=True, size=samples)
        return [(int(v),) for v in drawn]
    if dist.distribution is Distribution.LOGUNIFORM:
        drawn = np.exp(rng.uniform(math.log(dist.min), math.log(dist.max), size=samples))
        return [(float(v),) for v in drawn]
    return [(float(v),) for v in rng.uniform(dist.min, dist.max, size=samples)]


def points(study: Study) -> Iterator[dict[str, Any]]:
    """Parameter points: the grid's product in file order, or the random method's draws."""
    axes = study.axes
    if study.file.method is Method.RANDOM:
        samples = study.file.samples or 0
        streams = RngStreams(study.file.seed)
        columns = [_draws(axis, samples, streams) for axis in axes]
        combos: Iterator[tuple[tuple[Any, ...], ...]] = iter(zip(*columns, strict=True))
        if not axes:
            combos = iter([()] * samples)
    else:
        combos = itertools.product(*(axis.rows for axis in axes))
    for combo in combos:
        yield {
            path: value
            for axis, row in zip(axes, combo, strict=True)
            for path, value in zip(axis.paths, row, strict=True)
        }


def _write(data: Any, marks: Marks, path: str, value: Any, study: Study,
           knob: PathKey, item: PathKey | None = None) -> None:
    """Set one dotted path, marking it with the study line of the value, ``item`` (problems with
    the value are located there); problems with the path are located at the ``knob``."""
    item = knob if item is None else item
    try:
        keys = resolve_paths(data, path)
    except ConfigError as exc:  # named by the scenario path, as the scenario's own problems
        # are (QA: parameters.jobs.10T.max_gpus beside cluster.power.suply_mw in one list)
        raise ConfigError(
            [replace(problem_at(study.marks, knob, p.message), field=path) for p in exc.problems]
        ) from None
    for key in keys:
        seed_defaults(data, key)
        set_path(data, key, copy.deepcopy(value))
        mark_override(marks, key, study.line_of(item))


def _locs(study: Study, path: str, value: Any) -> tuple[PathKey, PathKey]:
    """Where the knob ``path`` is written in the study, and where its ``value`` is: the value's
    own list item when it has one (a bad value was blamed on the knob's line), else the knob."""
    for axis in study.axes:
        if path in axis.paths:
            k = axis.paths.index(path)
            knob = axis.locs[k]
            item = next(((*knob, i) for i, row in enumerate(axis.rows)
                         if row[k] == value and (*knob, i) in study.marks.where), knob)
            return knob, item
    raise KeyError(path)


def _scenario(base: Document, study: Study, values: dict[str, Any]) -> Scenario:
    data, marks = copy.deepcopy(base.data), base.marks.copy()
    problems: list[Problem] = []
    for path, value in values.items():
        try:
            _write(data, marks, path, value, study, *_locs(study, path, value))
        except ConfigError as exc:
            problems.extend(exc.problems)
    try:  # validated even when a path failed, so every problem is reported in one pass
        scenario = scenario_from_document(Document(data, marks, base.source))
    except ConfigError as exc:
        problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    return scenario


def _base_document(study: Study) -> tuple[Document, Scenario | None]:
    """The base scenario with the study's ``set:`` written in, and that scenario if it is valid
    on its own: it need not be, as no run is the base alone (a ``set:`` min_gpus above the
    base's max_gpus, with max_gpus varied above it, is a valid study: QA). Its problems come
    with the points that keep them."""
    try:
        path = resolve_source(study.file.base, relative_to=study.source)
    except ConfigError as exc:
        problems = [problem_at(study.marks, ("base",), p.message) for p in exc.problems]
        raise ConfigError(problems) from None
    if path.is_dir():  # the loader would name the folder but not the study's line
        raise ConfigError([problem_at(study.marks, ("base",), f"{study.file.base} is a folder, "
                                                               "not a scenario file")])
    doc = load_document(path)
    if isinstance(doc.data, dict) and doc.data.keys() >= STUDY_KEYS:  # QA: a study that named
        # itself (or another study) as its base was told to run with colossim sweep
        raise ConfigError([problem_at(study.marks, ("base",), (
            f"{study.file.base} is a study file (base: and parameters:), not a scenario: give "
            "a scenario file or a built-in scenario's name"))])
    problems: list[Problem] = []
    for dotted, value in study.file.set.items():
        try:
            _write(doc.data, doc.marks, dotted, value, study, ("set", dotted))
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    try:
        base: Scenario | None = scenario_from_document(doc)
    except ConfigError:
        base = None
    _same_field_twice(doc, study)
    return doc, base


def _same_field_twice(doc: Document, study: Study) -> None:
    """Two parameter paths that name one field (``jobs.0.priority`` and ``jobs.llm.priority``):
    the later one wins every run, and the first is a column of no effect. The spelling check
    (``varied twice``) sees only equal text."""
    named: dict[PathKey, str] = {}
    for path in study.parameter_paths:
        try:
            keys = resolve_paths(doc.data, path)
        except ConfigError:
            continue  # reported with its line when the runs are built
        for key in keys:
            # the same field, or one inside the other (cluster.power and its supply_mw)
            first = next((p for k, p in named.items() if p != path and (
                k[:len(key)] == key or key[:len(k)] == k)), None)
            if first is not None:
                raise ConfigError([problem_at(study.marks, ("parameters", path), (
                    f"names the same field as {first}, or one inside it: vary it once"))])
            named[key] = path


MAX_RUNS = 100_000  # a study's runs, counted before any is built (each is a validated copy)


def run_count(study: Study) -> int:
    """How many runs the study makes: its points times its replicates."""
    f = study.file
    if f.method is Method.RANDOM:
        n_points = f.samples or 0
    else:
        n_points = math.prod(len(axis.rows) for axis in study.axes)
    return n_points * (f.seeds if isinstance(f.seeds, int) else len(f.seeds))


def load_plan(path: str | Path) -> Plan:
    """Read a study file and build its runs, every problem of both stages raised at once: the
    study's own (``spec.read_study``) and, when its parameters could be read, its runs' against
    the base scenario (a misspelt knob, an unknown policy), which came one run of the command
    after the others (QA)."""
    study, problems = read_study(path)
    if study is not None:
        try:
            plan = expand(study)
        except ConfigError as exc:
            problems = [*problems, *(p for p in exc.problems if p not in problems)]
    if problems or study is None:
        raise ConfigError(sort_problems(problems))
    return plan


def expand(study: Study) -> Plan:
    """Every run of the study, each validated; all problems of all points raised at once.

    A study beyond ``MAX_RUNS`` is refused before any run is built: a grid of two long ranges
    (1.8e9 points) or a billion seeds would otherwise fill the memory on its dry run."""
    runs_wanted = run_count(study)
    if runs_wanted > MAX_RUNS:
        seeds = study.file.seeds if isinstance(study.file.seeds, int) else len(study.file.seeds)
        # at the seeds when the points alone fit (QA: 2 points x 100,001 seeds was blamed on
        # parameters:), at the parameters when they alone do not
        where = ("parameters",) if study.axes and runs_wanted // seeds > MAX_RUNS else ("seeds",)
        raise ConfigError([problem_at(study.marks, where, (
            f"the study makes {runs_wanted:,} runs (points x seeds); the limit is "
            f"{MAX_RUNS:,}: vary fewer values or use fewer seeds, or split the study"))])
    with warnings.catch_warnings(record=True) as base_warnings:
        warnings.simplefilter("always", ColossimWarning)
        base, base_scenario = _base_document(study)
    # The base's load warnings are not said: a run is the base with a point's values, so one
    # that still holds comes back with the points that give it (``_rewarn``), and one a point
    # changes does not hold for any run. Said as well, it came twice, or for no run at all.
    _collect(base_warnings, -1, {})
    problems: dict[Problem, int] = {}  # each problem, and the first point that gave it
    runs: list[Run] = []
    seeds = study.file.seeds
    warned: dict[str, list[int]] = {}  # a load warning, and the points that gave it
    first_of: dict[str, int] = {}  # a grid point's scenario (its hash), and its first point
    given: dict[Problem, set[int]] = {}  # the points that gave each problem
    point_values: list[dict[str, Any]] = []
    for point, values in enumerate(points(study)):
        point_values.append(values)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ColossimWarning)
                scenario = _scenario(base, study, values)
        except ConfigError as exc:
            for problem in exc.problems:
                problems.setdefault(problem, point)
                given.setdefault(problem, set()).add(point)
            continue
        finally:
            _collect(caught, point, warned)
        for message in _varied_while_off(values, scenario):
            warned.setdefault(message, []).append(point)
        base_scenario = base_scenario or scenario  # whose jobs the metrics may name
        own_seed = scenario.simulation.seed
        dumped = identity(scenario)  # once a point: its replicates differ in seed
        replicate_id = replicate_ids(dumped)  # the point's own scenario is the one of its seed
        if study.file.method is Method.GRID:
            same = _same_point(first_of, replicate_id(own_seed), point, study, point_values)
            if same is not None:
                problems.setdefault(same, point)
        for replicate in range(seeds if isinstance(seeds, int) else len(seeds)):
            seed = (
                run_seed(study.file.seed, own_seed, point, replicate)
                if isinstance(seeds, int)
                else seeds[replicate]
            )
            resolved = scenario.model_copy(
                update={"simulation": scenario.simulation.model_copy(update={"seed": seed})}
            )
            runs.append(
                Run(replicate_id(seed), len(runs), point, replicate, seed,
                    tuple(values.items()), resolved)
            )
    if base_scenario is not None:  # said with the runs' (QA)
        for i, message in unknown_jobs(study.file.metrics,
                                       (job.name for job in base_scenario.jobs)).items():
            problems.setdefault(problem_at(study.marks, ("metrics", i), message), -1)
    if problems:
        problems = _with_point(problems, given, point_values, study)
        said = _once_per_draw(problems, study)
        raise ConfigError(sort_problems(said))
    _check_unique(runs, study)
    _rewarn(warned, len({run.point for run in runs}))
    return Plan(study, base.source, tuple(runs))


# reliability settings a run reads with the failure model off: checkpoint storage and the
# restart time price a preemption's switch; windows are warned of at load (``ignored_inputs``)
READ_WHEN_OFF = ("reliability.enabled", "reliability.storage", "reliability.restart_s",
                 "reliability.maintenance")


def _varied_while_off(values: dict[str, Any], scenario: Scenario) -> list[str]:
    """A varied reliability knob at a point whose failure model is off: no failures, spares or
    detection then, so its values differ in name only, and the table read as "spares do not
    matter" (QA: reliability.spares.racks_per_pod 0, 2, 4 under reliability.enabled: false
    gave three identical rows, with no word)."""
    if scenario.reliability.enabled:
        return []
    return [f"{path} is varied but ignored where reliability.enabled is false: no failures, "
            "spares or detection then, so its values give the same runs; set "
            "reliability.enabled: true to study it"
            for path in values if path.startswith("reliability.")
            and not path.startswith(READ_WHEN_OFF)]


def _same_point(first_of: dict[str, int], key: str, point: int, study: Study,
                values: list[dict[str, Any]]) -> Problem | None:
    """A grid point whose scenario an earlier point already gives (a value listed twice): with
    ``seeds: N`` it ran again under other seeds, a second summary row of the same label. Said
    at the knob's second listing of the value, naming it (QA: said at ``parameters:``, the
    user hunted for the knob)."""
    if key not in first_of:
        first_of[key] = point
        return None
    for axis in study.axes:  # the knob listing the point's value twice
        for k, path in enumerate(axis.paths):
            shown = written(values[point].get(path))
            hits = [i for i, row in enumerate(axis.rows) if written(row[k]) == shown]
            if len(hits) > 1:  # one problem for the knob, however many points repeat
                alike = "; 700 and 700.0 are one value" if isinstance(
                    values[point].get(path), int | float) else ""
                return problem_at(study.marks, (*axis.locs[k], hits[1]), (
                    f"{path} lists {shown} twice (items {hits[0]} and {hits[1]}{alike}): the "
                    "points it makes give the same scenarios"))
    return problem_at(study.marks, ("parameters",), (
        f"points {first_of[key]} and {point} give the same scenario (a value listed twice, or "
        "two values that mean the same?)"))



def _with_point(problems: dict[Problem, int], given: dict[Problem, set[int]],
                values: list[dict[str, Any]], study: Study) -> dict[Problem, int]:
    """A problem that only some points give names the first of them, with its values, where
    its line alone does not tell which: the line is a knob's but the points that give it are
    not those of one of that knob's values (``min_gpus`` 216 fails beside a ``max_gpus`` of 144
    only; a policy's parameter is unknown to the other policy varied beside it, whatever its
    value: QA), or the line is not a knob's (``set:`` or the base, the point's values making it
    so: QA). A problem every point gives (a misspelt knob) needs no point, and a random knob's
    are counted per draw (``_once_per_draw``)."""
    at_line: dict[tuple[str, int | None], list[str]] = {}  # knobs by the lines of their values
    for axis in study.axes:
        if axis.sampled is not None:  # its problems are counted per draw
            at_line.setdefault(study.line_of(axis.locs[0]), []).append("")
            continue
        for path, loc in zip(axis.paths, axis.locs, strict=True):
            for line in {study.line_of(loc), *(study.line_of((*loc, i))
                                               for i in range(len(axis.rows)))}:
                at_line.setdefault(line, []).append(path)
    taking: dict[str, dict[str, set[int]]] = {}  # the points of each knob's each value
    for knob in {knob for knobs in at_line.values() for knob in knobs if knob}:
        for k, v in enumerate(values):
            taking.setdefault(knob, {}).setdefault(written(v.get(knob)), set()).add(k)
    named: dict[Problem, int] = {}
    pointed: dict[tuple[str, int | None, str], list[tuple[int, Problem]]] = {}
    for problem, point in problems.items():
        gave = given.get(problem, set())
        count = len(gave)
        knobs = at_line.get((problem.file, problem.line), [])
        point_values = values[point] if 0 <= point < len(values) else {}
        alone = "" in knobs or any(  # the knob's value there explains it alone
            gave == taking[knob][written(point_values.get(knob))] for knob in knobs)
        if not count or count >= len(values) or alone:
            named[problem] = point
        else:
            pointed.setdefault((problem.file, problem.line, problem.field), []).append(
                (point, problem))
    for group in pointed.values():  # one field's problem at one line, said once: a set: value
        # against a range of 18 values gave 18 lines, each naming its own figure (review)
        point, problem = min(group, key=lambda item: item[0])
        shown = ", ".join(f"{path}={middle_elided(written(value), 40)}"
                          for path, value in values[point].items())
        others = sum(len(given[p]) for _, p in group) - 1
        more = f", and {plural(others, 'other point')}" if others else ""
        named[replace(problem, message=f"{problem.message} (at point {point}: {shown}{more})"
                      + _one_policys(problem, values[point]))] = point
    return named


def _one_policys(problem: Problem, values: dict[str, Any]) -> str:
    """A hint for a policy parameter varied beside the policy's name, which some of the named
    policies do not take (QA: the message named the point, but not how to write such a study)."""
    if not (problem.field.startswith("scheduler.policy.params.")
            and "scheduler.policy.name" in values):
        return ""
    return ("; to vary a parameter only some of the policies take, vary scheduler.policy as "
            "whole mappings: [{name: fifo}, {name: power-aware, params: {headroom_mw: 20}}] "
            "(docs/studies.md)")


def _once_per_draw(problems: dict[Problem, int], study: Study) -> list[Problem]:
    """Problems at a random knob's line said once per field, not once per draw (four lines of
    "expected a whole number, got 118.245..."), with how many draws gave them and, for
    fractions drawn for a whole-number field, the fix."""
    sampled = {study.line_of(axis.locs[0]): axis.sampled
               for axis in study.axes if axis.sampled is not None}
    groups: dict[Problem | tuple[str, int | None, str], list[Problem]] = {}
    for problem in problems:
        dist = sampled.get((problem.file, problem.line))
        key = (problem.file, problem.line, problem.field) if dist is not None else problem
        groups.setdefault(key, []).append(problem)
    out = []
    for group in groups.values():
        first = group[0]
        dist = sampled.get((first.file, first.line))
        if dist is None:
            out.append(first)
            continue
        said = f"{len({problems[p] for p in group})} of {study.file.samples} draws"
        if dist.distribution is not Distribution.INT and first.message.startswith(WHOLE_NUMBER):
            said += (f"; a {dist.distribution.value} draw is a fraction: for a whole-number "
                     "field use distribution: int")
        out.append(Problem(first.file, first.line, first.field, f"{first.message} ({said})"))
    return out


def _collect(caught: list[warnings.WarningMessage], point: int,
             warned: dict[str, list[int]]) -> None:
    """Note which point gave each load warning; other warnings pass on as they came."""
    for item in caught:
        if issubclass(item.category, ColossimWarning):
            warned.setdefault(str(item.message), []).append(point)
        else:
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)


def _rewarn(warned: dict[str, list[int]], points: int) -> None:
    """Each load warning once, saying which points gave it (the same for each of 40 points
    was 40 lines, and one that only some gave did not say which). Warnings that differ only in
    their figures are one warning too: each point names its own value ("the supply at the
    start (0.3216 MW) is below ..."), and 3,000 random draws gave 62 lines (QA). Only variants
    that never come at the same point are one: two at one point (two maintenance windows,
    each naming its pod) are two warnings."""
    shapes: dict[str, list[str]] = {}  # messages by their shape (numbers left out)
    for message in warned:
        shapes.setdefault(NUMBER.sub("#", message), []).append(message)
    groups = []
    for messages in shapes.values():
        said_at = [len(warned[message]) for message in messages]
        if sum(said_at) != len({point for message in messages for point in warned[message]}):
            groups += [[message] for message in messages]  # two at one point: two warnings
        else:  # one warning whose figures vary from point to point
            groups.append(messages)
    for messages in groups:
        where = sorted({point for message in messages for point in warned[message]})
        if len(where) == points and points > 1:
            said = "every point"
        else:
            shown = and_more([str(point) for point in where], POINTS_NAMED)
            said = f"point{'s' if len(where) > 1 else ''} {shown}"
        first = messages[0]
        if len(messages) > 1:
            first += f" (so at point {warned[first][0]}; the other points' figures differ)"
        warnings.warn(ColossimWarning(f"{said} (--dry-run lists them): {first}"), stacklevel=3)


POINTS_NAMED = 5
NUMBER = re.compile(r"(?<![\w.-])\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?")  # 1,500 / 0.3216 / 1e-13,
# not the digits of a name (llm-8b, pod3) or a path (jobs.0.max_gpus)


def _check_unique(runs: list[Run], study: Study) -> None:
    first: dict[str, Run] = {}
    for run in runs:
        if run.run_id in first:
            other = first[run.run_id]
            if study.file.method is Method.RANDOM:  # draws over few choices repeat by chance
                why = ("random draws repeat over a list or a whole-number range, and with "
                       "seeds given as a list each repeat is the same run: draw fewer samples, "
                       "or give seeds as a count")
            else:  # a grid's points differ (``_same_point``): only in their simulation.seed
                why = "a varied simulation.seed that the seeds list overrides?"
            msg = f"points {other.point} and {run.point} give the same scenario and seed ({why})"
            raise ConfigError(problem_at(study.marks, ("parameters",), msg))
        first[run.run_id] = run
