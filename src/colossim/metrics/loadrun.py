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

from colossim.engine.record import Decision, Event, Record, StepSeries
from colossim.errors import ColossimError, ConfigError, Problem
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


def read_record(folder: Path) -> Record:
    record = Record()
    events_path = folder / "events.jsonl"
    if events_path.exists():
        for line in events_path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            kind = row.pop("type")
            if kind == "event":
                record.events.append(Event(row["time_s"], row["kind"], row.get("job"),
                                           row.get("data")))
            elif kind == "decision":
                record.decisions.append(Decision(row["time_s"], row["action"], row["verdict"],
                                                 row.get("reason", "")))
    series_path = folder / "series.json"
    if series_path.exists():
        for name, s in json.loads(series_path.read_text(encoding="utf-8")).items():
            record.series[name] = StepSeries(list(s["times"]), list(s["values"]))
    return record


def read_run(folder: Path | str) -> RunResult:
    """The ``RunResult`` saved in ``folder`` (raises ``ColossimError`` if it is not a run)."""
    folder = Path(folder)
    result_path = folder / "result.json"
    if not result_path.is_file():  # input to fix (exit 2), like a missing scenario file
        raise ConfigError(Problem(str(folder), None, "", "holds no result.json: write one with "
                                                         "`colossim run --out`"))
    try:
        data = json.loads(result_path.read_text(encoding="utf-8"))
        record = read_record(folder)
        record.decide_calls = int(data.get("decisions", 0))  # the summary counts policy calls
        data["record"] = record
        return build(RunResult, data)
    except (ValueError, KeyError, TypeError) as exc:
        raise ColossimError(f"cannot read the run in {folder}: {exc}") from exc
