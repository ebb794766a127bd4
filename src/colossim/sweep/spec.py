"""The study file: one base scenario, the knobs to vary, how many seeds, what to summarise.

Read with the scenario loader's line marks, so every problem is reported as ``FILE:LINE: field:
message`` (exit code 2), all problems of a file at once. The top level is a pydantic model with
``extra="forbid"``; each entry of ``parameters:`` is dispatched on its shape (a list, a
``{range: ...}`` or a ``{min, max, distribution}`` mapping, or the ``zip:`` group) and validated
by the model for that shape, so a bad entry gets one message about what it is, not three about
what it might have been.
"""

from __future__ import annotations

import difflib
import math
import warnings
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from colossim.config.base import FieldValueError, Frozen
from colossim.config.loader import builtin_scenarios, problem_at, validation_problems
from colossim.config.yamlmarks import Marks, PathKey, read_yaml_file
from colossim.errors import ColossimWarning, ConfigError, Problem
from colossim.sweep.metrics import DEFAULT_METRICS, metric_problem

ZIP_KEY = "zip"


class _Strict(Frozen):
    """As strict as a scenario: unknown keys, quoted numbers and .inf/.nan refused."""


class Method(StrEnum):
    """``grid``: every combination of the listed values. ``random``: ``samples`` draws."""

    GRID = "grid"
    RANDOM = "random"


class Distribution(StrEnum):
    UNIFORM = "uniform"
    LOGUNIFORM = "loguniform"
    INT = "int"


class Sampled(_Strict):
    """A knob drawn at random (``method: random`` only); ``int`` draws integers, both ends in."""

    min: float
    max: float
    distribution: Distribution = Distribution.UNIFORM

    @model_validator(mode="after")
    def _bounds(self) -> Sampled:
        if not self.min < self.max:
            raise ValueError(f"min ({self.min:g}) must be below max ({self.max:g})")
        if self.distribution is Distribution.LOGUNIFORM and self.min <= 0:
            raise ValueError("a loguniform distribution needs min > 0")
        if self.distribution is Distribution.INT and not (
            float(self.min).is_integer() and float(self.max).is_integer()
        ):
            raise ValueError("an int distribution needs whole-number min and max")
        if self.distribution is Distribution.INT and not (
                self.min >= INT64_MIN and self.max <= INT64_MAX):  # numpy's draw raised
            raise ValueError(f"an int distribution draws 64-bit integers: min and max within "
                             f"{INT64_MIN:,} to {INT64_MAX:,}")
        return self


class Ranged(_Strict):
    """``{range: [start, stop, step]}``: start, start+step, ... up to and including stop."""

    range: tuple[float, float, float]

    @field_validator("range", mode="before")
    @classmethod
    def _three(cls, raw: Any) -> Any:
        """Said in the study's terms: pydantic's "Tuple should have at most 3 items after
        validation, not 4" named neither the form nor what was given."""
        if not isinstance(raw, list) or len(raw) != 3:
            got = f"{len(raw)} values" if isinstance(raw, list) else repr(raw)
            raise ValueError(f"expected [start, stop, step], got {got}")
        return raw

    @model_validator(mode="after")
    def _steps(self) -> Ranged:
        start, stop, step = self.range
        if step == 0 or (stop - start) / step < 0:
            raise ValueError(f"step {step:g} never gets from {start:g} to {stop:g}")
        if (stop - start) / step > 100_000:
            raise ValueError("more than 100,000 values; use a larger step")
        return self

    def values(self) -> tuple[float | int, ...]:
        """Counted, not accumulated, so 0.1 steps do not drift; whole numbers stay ints.

        ``start + i * step`` is off by an ulp or two of the range's largest figure (1.1 + 1 x
        0.1 = 1.2000000000000002; -0.3 + 3 x 0.1 = 5.55e-17), so each value is rounded to 14
        decimal digits below that figure: 0.1 steps give 1.2 and 0.0, and 1e-13 steps keep
        their 1e-13. (Rounding to 12 decimal places made a range of 1e-13 steps zeros, QA; to
        15 significant digits, kept 5.55e-17 for zero, review.)"""
        start, stop, step = self.range
        count = math.floor((stop - start) / step + 1e-9) + 1
        whole = all(float(v).is_integer() for v in self.range)
        scale = max(abs(start), abs(stop), abs(step))
        places = 14 - math.floor(math.log10(scale))
        out = (start + i * step for i in range(count))
        return tuple(int(round(v)) if whole else round(v, places) + 0.0 for v in out)


class StudyFile(_Strict):
    """The top level of a study file, as written."""

    name: str | None = Field(None, description="Default: the file name without .yaml")
    description: str = ""
    base: str = Field(description="A scenario file (relative to the study) or built-in name")
    set: dict[str, Any] = Field(default_factory=dict, description="Overrides of the base")
    parameters: dict[str, Any] = Field(default_factory=dict)
    method: Method = Method.GRID
    samples: int | None = Field(None, gt=0, description="Points drawn with method: random")
    seeds: int | list[int] = Field(1, description="Replicates per point: a count or the seeds")
    seed: int = Field(0, ge=0, description="The study seed: per-run seeds and random draws")
    metrics: list[str] = Field(default_factory=lambda: list(DEFAULT_METRICS), min_length=1)

    @field_validator("name")
    @classmethod
    def _a_name_not_a_path(cls, name: str | None) -> str | None:
        """The name is the default output folder (out/NAME): "my study/v2" made nested ones."""
        if name is None:
            return name
        if not name.strip():  # each said as it is (QA: "" and ".." read "no '/' or '\\'")
            raise ValueError("must not be empty (it names the output folder out/NAME)")
        if name in (".", ".."):
            raise ValueError(f"{name!r} is a folder, not a name (it names the output folder "
                             "out/NAME)")
        if "/" in name or "\\" in name:
            raise ValueError("a name, not a path (it names the output folder out/NAME): no "
                             "'/' or '\\'")
        return name

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> StudyFile:
        if (info.context or {}).get(WHOLE_CHECKS) is False:  # said by ``_validated``
            return self
        for field, message, _keys in self.whole_file_problems():  # the first, at its field's
            raise FieldValueError(field, message)  # line (FieldValueError)
        return self

    def whole_file_problems(self) -> list[tuple[str, str, frozenset[str]]]:
        """Every check of fields taken together that fails: (the field blamed, the message,
        the keys the check reads)."""
        found = []
        seeds = frozenset({"seeds"})
        if isinstance(self.seeds, int) and self.seeds < 1:
            found.append(("seeds", "the count must be at least 1", seeds))
        if isinstance(self.seeds, list):  # which rule, and which entry (QA: one message
            # for all three said neither)
            repeated = [s for s, n in Counter(self.seeds).items() if n > 1]
            if not self.seeds:
                found.append(("seeds", "the list is empty: give at least one seed", seeds))
            if self.seeds and min(self.seeds) < 0:
                found.append(("seeds", f"a seed is at least 0, not {min(self.seeds)}", seeds))
            if repeated:
                found.append(("seeds", f"{repeated[0]} is listed more than once: each seed once "
                                       "(a repeat would run the same runs again)", seeds))
        if isinstance(self.seeds, list) and self.seeds and max(self.seeds) > MAX_SEED:
            found.append(("seeds", f"a seed is at most {MAX_SEED:,} (results.parquet stores it "
                                   "as a 64-bit integer)", seeds))
        both = frozenset({"method", "samples"})
        if self.method is Method.RANDOM and self.samples is None:
            found.append(("method", "random needs samples: N", both))
        if self.method is Method.GRID and self.samples is not None:  # else silently ignored
            found.append(("samples", "needs method: random (a grid runs every combination)",
                          both))
        return found


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1  # a whole number results.parquet can store
MAX_SEED = INT64_MAX  # a list seed is a run's seed, a column of results.parquet


@dataclass(frozen=True)
class Axis:
    """One independent direction of a study: a knob, or a zip group of knobs that move together.

    ``rows`` holds the discrete choices (one value per path); ``sampled`` a random draw;
    ``locs`` where each path is written in the study file.
    """

    paths: tuple[str, ...]
    locs: tuple[PathKey, ...]
    rows: tuple[tuple[Any, ...], ...] = ()
    sampled: Sampled | None = None


@dataclass(frozen=True)
class Study:
    """A validated study, plus where each of its values came from."""

    file: StudyFile
    name: str
    source: Path
    marks: Marks
    axes: tuple[Axis, ...]

    @property
    def parameter_paths(self) -> tuple[str, ...]:
        return tuple(p for axis in self.axes for p in axis.paths)

    def line_of(self, loc: PathKey) -> tuple[str, int | None]:
        """The line of ``loc``, but never above the line of a key holding it: an alias
        (``knob: *v``) shares its anchor's marks, which lie above it in the file, and a bad
        value of the aliased knob was blamed on the anchor's line."""
        file, line = self.marks.locate(loc)
        above = [self.marks.where[loc[:d]][1] for d in range(1, len(loc))
                 if loc[:d] in self.marks.where]
        return file, max((n for n in (line, *above) if n is not None), default=None)


def _problems(
    exc: ValidationError, marks: Marks, model: type[BaseModel], prefix: PathKey = ()
) -> list[Problem]:
    """The loader's problems, with "did you mean" taken from the study model's own fields."""
    head = ".".join(str(p) for p in prefix)
    out = []
    for problem in validation_problems(exc, marks, prefix):
        key = problem.field[len(head) + 1 :] if head else problem.field
        if problem.message.startswith("unknown field") and key and "." not in key:
            hint = difflib.get_close_matches(key, list(model.model_fields), n=1)
            known = ", ".join(model.model_fields)
            said = f"did you mean {hint[0]!r}?" if hint else f"known: {known}"
            problem = Problem(problem.file, problem.line, problem.field, f"unknown field ({said})")
        out.append(problem)
    return out


_SHAPES = "a list of values, {min, max, distribution} or {range: [start, stop, step]}"


def _beyond_int64(value: Any) -> bool:
    """A whole number results.parquet cannot store (its parameter columns are int64)."""
    return isinstance(value, int) and not isinstance(value, bool) \
        and not INT64_MIN <= value <= INT64_MAX


def _wide(value: int) -> str:
    """The problem said of such a number, wherever the study wrote it."""
    return (f"{value:,} is beyond a 64-bit integer ({INT64_MIN:,} to {INT64_MAX:,}), the "
            "type of a whole-number parameter's column in results.parquet")


def _discrete(raw: Any, loc: PathKey, marks: Marks, problems: list[Problem]) -> tuple | None:
    """A list, or a range expanded to its values; anything else is a problem at ``loc``."""
    if isinstance(raw, list):
        if not raw:
            problems.append(problem_at(marks, loc, "the list of values is empty"))
            return None
        wide = [i for i, v in enumerate(raw) if _beyond_int64(v)]
        for i in wide:  # QA: 2**64 - 1 ran every run, then writing results.parquet raised
            problems.append(problem_at(marks, (*loc, i), _wide(raw[i])))
        return None if wide else tuple(raw)
    if isinstance(raw, dict) and "range" in raw:
        try:
            ranged = Ranged.model_validate(raw)
        except ValidationError as exc:
            problems.extend(_problems(exc, marks, Ranged, loc))
            return None
        values = ranged.values()
        wide = next((v for v in values if _beyond_int64(v)), None)
        if wide is not None:  # review: a range of whole numbers from 1e19 crashed so too
            problems.append(problem_at(marks, loc, _wide(wide)))
            return None
        start, stop, step = ranged.range
        if not math.isclose(values[-1], stop, rel_tol=1e-9, abs_tol=abs(step) * 1e-9):
            file, line = marks.locate(loc)  # QA: [0.5, 1.0, 0.3] gave 0.5 and 0.8, silently
            warnings.warn(ColossimWarning(
                f"{file}:{line}: {loc[-1]}: the range ends at {values[-1]:g}, not "
                f"at its stop {stop:g} ({stop:g} is not {start:g} plus a whole number of steps "
                f"of {step:g})"), stacklevel=2)
        return values
    problems.append(problem_at(marks, loc, "expected a list of values or {range: [...]}"))
    return None


def _axis(path: str, raw: Any, marks: Marks, problems: list[Problem]) -> Axis | None:
    loc: PathKey = ("parameters", path)
    if isinstance(raw, dict) and raw and not any(k in Sampled.model_fields or k == "range"
                                                 for k in raw):
        # {rnage: [...]}: neither form; the {min, max} form's "min: required" misled
        forms = ["range", *Sampled.model_fields]
        for key in raw:
            hint = difflib.get_close_matches(str(key), forms, n=1)
            said = f"did you mean {hint[0]!r}?" if hint else f"expected {_SHAPES}"
            problems.append(problem_at(marks, (*loc, str(key)), f"unknown field ({said})"))
        return None
    if isinstance(raw, dict) and "range" not in raw:
        try:
            return Axis((path,), (loc,), sampled=Sampled.model_validate(raw))
        except ValidationError as exc:
            problems.extend(_problems(exc, marks, Sampled, loc))
            return None
    if not isinstance(raw, list | dict):
        problems.append(problem_at(marks, loc, f"expected {_SHAPES}"))
        return None
    values = _discrete(raw, loc, marks, problems)
    return None if values is None else Axis((path,), (loc,), rows=tuple((v,) for v in values))


def _zip_axes(raw: Any, marks: Marks, problems: list[Problem]) -> list[Axis]:
    """``zip:`` is one mapping of knobs to equally long lists, or a list of such mappings."""
    groups = raw if isinstance(raw, list) else [raw]
    axes = []
    for g, group in enumerate(groups):
        loc: PathKey = ("parameters", ZIP_KEY) + ((g,) if isinstance(raw, list) else ())
        if not isinstance(group, dict) or not group:
            problems.append(problem_at(marks, loc, "expected a mapping of knob: [values]"))
            continue
        columns = {p: _discrete(v, loc + (p,), marks, problems) for p, v in group.items()}
        if any(c is None for c in columns.values()):
            continue
        lengths = {p: len(c) for p, c in columns.items()}
        if len(set(lengths.values())) != 1:
            said = ", ".join(f"{p}: {n}" for p, n in lengths.items())
            problems.append(problem_at(marks, loc, f"zipped lists differ in length ({said})"))
            continue
        rows = tuple(zip(*columns.values(), strict=True))
        axes.append(Axis(tuple(columns), tuple(loc + (p,) for p in columns), rows=rows))
    return axes


def parse_axes(file: StudyFile, marks: Marks, method_known: bool = True) -> tuple[Axis, ...]:
    """Every parameter entry → its Axis; raises one ConfigError with every problem.
    ``method_known``: False when the file's method is a stand-in (``_validated``)."""
    problems: list[Problem] = []
    axes: list[Axis] = []
    for path, raw in file.parameters.items():
        if path == ZIP_KEY:
            axes.extend(_zip_axes(raw, marks, problems))
            continue
        if isinstance(raw, dict) and raw and all("." in str(k) for k in raw):
            # knobs under a key that is not zip: (a second group named zip2:) read as one
            # knob's distribution: "parameters.zip2.min: required field missing"
            msg = (f"{path!r} holds knobs ({', '.join(map(str, raw))}), as a zip group does: "
                   "put zip groups under zip:, a list of groups when there are several")
            problems.append(problem_at(marks, ("parameters", path), msg))
            continue
        axis = _axis(path, raw, marks, problems)
        if axis is None:
            continue
        if axis.sampled is not None and file.method is Method.GRID and method_known:
            msg = "a distribution needs method: random (give a list or a range for a grid)"
            problems.append(problem_at(marks, ("parameters", path), msg))
        axes.append(axis)
    seen: dict[str, PathKey] = {}
    for axis in axes:
        for path in axis.paths:
            if path in seen:
                problems.append(problem_at(marks, ("parameters",), f"{path} is varied twice"))
            seen[path] = ("parameters", path)
    if problems:
        raise ConfigError(problems)
    return tuple(axes)


def _listed_before(metric: str, earlier: list[str]) -> str | None:
    """A metric named twice wrote two CSV columns of one header and one plot over the other."""
    return f"{metric} is listed twice" if metric in earlier else None


def load_study(path: str | Path) -> Study:
    """Read and validate a study file (parameter paths are checked against the base later)."""
    study, problems = read_study(path)
    if problems or study is None:
        raise ConfigError(problems)
    return study


WHOLE_CHECKS = "whole-file checks"  # validation context: False skips ``StudyFile._consistent``
PLACEHOLDERS = {"base": ""}  # a required key with a problem of its own, stood in for so the rest
# of the file is still checked
HARMLESS = {"name", "description", "seeds", "seed", "metrics"}  # keys whose default, standing in
# for a value with a problem, cannot make the runs' own checks say something untrue


@dataclass(frozen=True)
class Checked:
    """A study file as far as it could be read: ``file`` (None if not at all), its problems,
    the keys that had problems of their own (their defaults or placeholders stand in), and
    whether its runs can be built and checked against the base (``expand.load_plan``)."""

    file: StudyFile | None
    problems: list[Problem]
    replaced: frozenset[str]

    @property
    def expandable(self) -> bool:
        """An unknown key set aside is as if never written; a known one stands in harmlessly
        only if it is one of ``HARMLESS``."""
        return self.file is not None and self.replaced & set(StudyFile.model_fields) <= HARMLESS


def _validated(data: dict[str, Any], marks: Marks) -> Checked:
    """The study file validated, with every problem said in one pass. Keys with problems of
    their own stand aside (their defaults, or a placeholder for ``base``, in their place) and
    the rest is validated again: an unknown key hid a bad ``seeds:``, since pydantic runs
    whole-file checks only on valid fields. Then every whole-file check is said that reads none
    of those keys (a dropped ``method: randon`` read as a grid made "samples needs method:
    random" a second, untrue problem: review). Each pass sets aside at least one key, so it
    ends."""
    problems: list[Problem] = []
    kept, replaced = dict(data), set()
    while True:
        try:
            file = StudyFile.model_validate(kept, context={WHOLE_CHECKS: False})
            break
        except ValidationError as exc:
            problems += [p for p in _problems(exc, marks, StudyFile) if p not in problems]
            keys = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
        if not keys - replaced:  # nothing more to set aside
            return Checked(None, problems, frozenset(replaced))
        replaced |= keys
        kept = {key: value for key, value in kept.items() if key not in keys}
        kept.update({key: PLACEHOLDERS[key] for key in keys if key in PLACEHOLDERS})
    whole = [(field, message) for field, message, reads in file.whole_file_problems()
             if not reads & replaced]
    problems += [problem_at(marks, (field,), message) for field, message in whole]
    if any(field == "seeds" for field, _ in whole):  # its runs built with the default count
        replaced.add("seeds")
        file = file.model_copy(update={"seeds": StudyFile.model_fields["seeds"].default})
    return Checked(file, problems, frozenset(replaced))


def read_study(path: str | Path) -> tuple[Study | None, list[Problem]]:
    """The study and every problem found in it: five mistakes took four runs to see, one stage
    at a time (QA). A file with problems in some top-level keys is checked further without
    them (``_validated``); the study comes back whenever its parameters could be read, so its
    runs can be checked against the base as well (``expand.load_plan``)."""
    path = Path(path)
    if not path.exists() and str(path) in builtin_scenarios():  # review: "file not found"
        raise ConfigError(Problem(str(path), None, "", "this is a built-in scenario, not a "
                                  f"study: run it with colossim run {path}, or write a study "
                                  f"whose base: is {path}"))
    data, marks = read_yaml_file(path)
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise ConfigError(Problem(str(path), 1, "", f"expected a mapping at top level, got {kind}"))
    if "base" not in data and data.keys() & {"cluster", "jobs"}:  # not four schema errors (QA)
        raise ConfigError(Problem(str(path), None, "", "this is a scenario (cluster: and jobs:), "
                                  f"not a study: run it with colossim run {path}, or write a "
                                  f"study whose base: is {path.name}"))
    checked = _validated(data, marks)
    file, problems = checked.file, checked.problems
    if file is None:
        return None, problems
    problems += [
        problem_at(marks, ("metrics", i), msg)
        for i, metric in enumerate(file.metrics)
        if (msg := metric_problem(metric) or _listed_before(metric, file.metrics[:i]))
    ]
    try:  # a method or samples with a problem of its own says nothing of the axes' kinds
        axes = parse_axes(file, marks, method_known=not checked.replaced & {"method", "samples"})
    except ConfigError as exc:
        return None, problems + exc.problems
    knobs = {path for axis in axes for path in axis.paths}  # a knob's own value, as a metric,
    # made a second column of its name (QA)
    problems += [problem_at(marks, ("metrics", i), "is also a parameter: its column in "
                            "results.csv already holds its value; leave it out of metrics")
                 for i, metric in enumerate(file.metrics) if metric in knobs]
    study = Study(file, file.name or path.stem, path, marks, axes)
    return (study if checked.expandable else None), problems
