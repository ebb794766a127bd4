"""Read a run folder written by ``colossim run --out`` back into a ``RunResult``.

``result.json`` gives the summary, ``events.jsonl`` the events and decisions, ``series.json`` the
level series. Built generically from the dataclasses' own fields, so fields later models add to
the result come back too; keys this version does not know are ignored, and a folder without
``series.json`` (written before it existed) loads with no series.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from pathlib import Path
from typing import Any

from colossim.collector import collector_paused
from colossim.engine.record import Decision, Event, Record, StepSeries
from colossim.errors import ConfigError, Problem
from colossim.metrics.result import RunResult


def _dataclass_in(hint: Any) -> type | None:
    """The dataclass a field holds: ``X``, ``X | None`` or ``tuple[X, ...]``."""
    if dataclasses.is_dataclass(hint):
        return hint
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType, tuple):
        for arg in typing.get_args(hint):
            found = _dataclass_in(arg)
            if found is not None:
                return found
    return None


def build(cls: type, data: dict[str, Any]) -> Any:
    """``cls(**data)`` recursively for nested dataclasses (and tuples of them)."""
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        value, inner = data[f.name], _dataclass_in(hints[f.name])
        if inner is not None and isinstance(value, list):
            value = tuple(build(inner, v) for v in value)
        elif inner is not None and isinstance(value, dict):
            value = build(inner, value)
        kwargs[f.name] = value
    return cls(**kwargs)


def _bad(path: Path, line: int | None, field: str, message: str) -> ConfigError:
    """A damaged run file is input to fix (exit 2), named with its line where it has one."""
    return ConfigError(Problem(str(path), line, field, message))


def _json(path: Path, text: str, line: int | None = None) -> Any:
    """``text`` (the file, or its line ``line``) as JSON, or the problem at its line."""
    try:
        return json.loads(text)
    except ValueError as exc:
        at = line if line is not None else getattr(exc, "lineno", None)
        raise _bad(path, at, "", f"not valid JSON: {getattr(exc, 'msg', exc)} (a damaged or "
                   "truncated run: write it again with `colossim run --out`)") from None


def _events(path: Path, record: Record) -> None:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = _json(path, line, number)
        if not isinstance(row, dict):
            raise _bad(path, number, "", "expected a JSON object per line")
        try:
            kind = row.pop("type")
            if kind == "event":
                record.events.append(Event(row["time_s"], row["kind"], row.get("job"),
                                           row.get("data")))
            elif kind == "decision":
                record.decisions.append(Decision(row["time_s"], row["action"], row["verdict"],
                                                 row.get("reason", "")))
        except KeyError as exc:
            raise _bad(path, number, str(exc.args[0]), "required field missing") from None


def _series(path: Path, record: Record) -> None:
    data = _json(path, path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise _bad(path, None, "", "expected a JSON object of series by name")
    for name, s in data.items():
        ok = isinstance(s, dict) and isinstance(s.get("times"), list) \
            and isinstance(s.get("values"), list) and len(s["times"]) == len(s["values"])
        if not ok:
            raise _bad(path, None, name, "a series is {times: [...], values: [...]} of equal "
                       "lengths")
        record.series[name] = StepSeries(list(s["times"]), list(s["values"]))


def read_record(folder: Path) -> Record:
    """The events, decisions and level series saved beside a result (each file optional).
    Read with the cyclic collector paused: the rows hold no cycles, and as the record grows
    each full collection walks all of it (``colossim.collector``)."""
    record = Record()
    with collector_paused():
        events_path = folder / "events.jsonl"
        if events_path.exists():
            _events(events_path, record)
        series_path = folder / "series.json"
        if series_path.exists():
            _series(series_path, record)
    return record


def read_run(folder: Path | str) -> RunResult:
    """The ``RunResult`` saved in ``folder``; a folder that holds no run, or a damaged one, is
    input to fix (``ConfigError``, exit 2), named by file and line."""
    folder = Path(folder)
    result_path = folder / "result.json"
    if not result_path.is_file():  # input to fix (exit 2), like a missing scenario file
        what = ("holds no result.json" if folder.is_dir() else
                "is a file, not a run folder" if folder.exists() else "no such folder")
        raise ConfigError(Problem(str(folder), None, "", f"{what}: write a run folder with "
                                                         "`colossim run --out` (from Python: "
                                                         "colossim.metrics.export.write_run)"))
    data = _json(result_path, result_path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise _bad(result_path, 1, "", "not a run result (expected a JSON object)")
    record = read_record(folder)
    try:
        record.decide_calls = int(data.get("decisions", 0))  # the summary counts policy calls
        data["record"] = record
        return build(RunResult, data)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _bad(result_path, None, "", f"not a complete run result ({exc}): write it again "
                   "with `colossim run --out`") from None
