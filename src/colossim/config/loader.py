"""YAML files → a validated, frozen ``Scenario``, with every problem reported at its file:line.

Steps: resolve the source (a path, or the name of a built-in scenario), read it with line marks,
merge its ``include:`` files underneath it, apply ``--set`` overrides, validate with the schema,
then run the whole-scenario cross-checks. Problems from every step are gathered per step and
raised together as one ``ConfigError``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from colossim.config.crosscheck import cross_check
from colossim.config.overrides import apply_overrides
from colossim.config.schema import Scenario
from colossim.config.yamlmarks import Marks, PathKey, read_yaml_file
from colossim.errors import ConfigError, Problem

INCLUDE_KEY = "include"
DEFAULT_SCENARIO = "colossus2"


def builtin_scenarios() -> dict[str, Path]:
    """Built-in scenarios shipped as package data, by name."""
    folder = resources.files("colossim.config") / "scenarios"
    return {
        Path(str(entry)).stem: Path(str(entry))
        for entry in folder.iterdir()
        if str(entry).endswith(".yaml")
    }


def resolve_source(source: str | Path, relative_to: Path | None = None) -> Path:
    """A file path if it exists (relative to an including file), else a built-in scenario."""
    path = Path(source)
    if relative_to is not None and not path.is_absolute():
        candidate = relative_to.parent / path
        if candidate.exists():
            return candidate
    if path.exists():
        return path
    builtins = builtin_scenarios()
    if str(source) in builtins:
        return builtins[str(source)]
    hint = difflib.get_close_matches(str(source), list(builtins), n=1)
    suffix = f"; did you mean the built-in scenario {hint[0]!r}?" if hint else ""
    where = str(relative_to) if relative_to else str(source)
    what = "include" if relative_to else ""
    raise ConfigError(Problem(where, None, what, f"no such file or scenario: {source}{suffix}"))


@dataclass(frozen=True)
class Document:
    """A scenario as merged plain data plus where each value came from."""

    data: dict[str, Any]
    marks: Marks
    source: Path


def _deep_merge(base: dict[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def read_document(path: Path, _seen: tuple[Path, ...] = ()) -> Document:
    """Read ``path`` and, recursively, the files it includes (includes lie underneath it)."""
    real = path.resolve()
    if real in _seen:
        chain = " -> ".join(str(p) for p in (*_seen, real))
        raise ConfigError(Problem(str(path), None, INCLUDE_KEY, f"include cycle: {chain}"))
    data, marks = read_yaml_file(path)
    if data is None:
        raise ConfigError(Problem(str(path), None, "", "the file is empty"))
    if not isinstance(data, dict):
        line = marks.locate(())[1]
        kind = type(data).__name__
        msg = f"expected a mapping at top level, got {kind}"
        raise ConfigError(Problem(str(path), line, "", msg))
    includes = data.pop(INCLUDE_KEY, [])
    if isinstance(includes, str):
        includes = [includes]
    merged: dict[str, Any] = {}
    merged_marks = Marks()
    for i, include in enumerate(includes):
        if not isinstance(include, str):
            file, line = marks.locate((INCLUDE_KEY, i))
            raise ConfigError(Problem(file, line, INCLUDE_KEY, "an include must be a path string"))
        try:
            target = resolve_source(include, relative_to=path)
        except ConfigError:
            file, line = marks.locate((INCLUDE_KEY, i))
            raise ConfigError(
                Problem(file, line, INCLUDE_KEY, f"included file not found: {include}")
            ) from None
        child = read_document(target, (*_seen, real))
        merged = _deep_merge(merged, child.data)
        merged_marks.update(child.marks)
    for key in data:  # a key the including file sets replaces what includes said below it
        if not isinstance(data[key], Mapping):
            merged_marks.drop_below((key,))
    merged_marks.update(marks)
    return Document(_deep_merge(merged, data), merged_marks, path)


def _field_name(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def problem_at(marks: Marks, loc: PathKey, message: str) -> Problem:
    """A Problem for a field path, located at the deepest line we know for it."""
    file, line = marks.locate(loc)
    return Problem(file, line, _field_name(loc), message)


def validation_problems(
    exc: ValidationError, marks: Marks, prefix: PathKey = ()
) -> list[Problem]:
    """pydantic errors → Problems at their lines; ``prefix`` places a nested model's errors."""
    problems = []
    for err in exc.errors():
        loc = prefix + tuple(
            p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))
        )
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown field" + _suggest(loc, err.get("ctx"))
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        problems.append(problem_at(marks, loc, message))
    return problems


def _suggest(loc: PathKey, _ctx: Any) -> str:
    """'did you mean' for an unknown key, from the fields of the model that owns it."""
    from colossim.config.fields import fields_at

    if not loc or not isinstance(loc[-1], str):
        return ""
    known = fields_at(loc[:-1])
    hint = difflib.get_close_matches(loc[-1], known, n=1)
    return f" (did you mean {hint[0]!r}?)" if hint else ""


def build_scenario(doc: Document) -> Scenario:
    """Validate merged data into a ``Scenario``; every schema and cross-check problem at once."""
    try:
        scenario = Scenario.model_validate(doc.data, context={"defer_cross_check": True})
    except ValidationError as exc:
        raise ConfigError(validation_problems(exc, doc.marks)) from None
    issues = cross_check(scenario)
    if issues:
        raise ConfigError([problem_at(doc.marks, loc, msg) for loc, msg in issues])
    return scenario


def load_document(source: str | Path | None = None, overrides: Iterable[str] = ()) -> Document:
    """Read a scenario (default: the built-in Colossus-2) and apply overrides, unvalidated."""
    path = resolve_source(source if source is not None else DEFAULT_SCENARIO)
    doc = read_document(path)
    data = apply_overrides(doc.data, doc.marks, overrides)
    return Document(data, doc.marks, doc.source)
