"""Write a run to disk: ``result.json`` (the summary), ``events.jsonl`` (the full record) and
``series.json`` (the level series: GPUs in use, power, ...)."""

from __future__ import annotations

import errno
import itertools
import json
import math
import os
from dataclasses import asdict, fields, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from colossim.collector import collector_paused
from colossim.engine.record import Decision, Event
from colossim.metrics.result import RunResult

if TYPE_CHECKING:
    from colossim.config.schema import Scenario

_TEMPORARY = itertools.count()


def replace_file(path: Path, data: bytes) -> None:
    """Put ``data`` at ``path`` via a temporary file in the same folder and a rename, so readers
    never see half a file and a kill leaves the old file or the new one.

    ``os.open`` with mode 0666 gives the file the permissions ``open()`` would (0666 less the
    umask; results are meant to be shared), and a name from this process's id and a counter is
    unique without ``mkstemp``'s random names: a sweep's parent calls this for every run while
    its workers wait for CPU, so each saved system call counts.
    """
    tmp = path.parent / f".{path.name}.{os.getpid()}.{next(_TEMPORARY)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write text atomically (``replace_file``), creating the folder if need be."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # mkdir's "File exists" for /etc/passwd/t.json hides the reason
        raise NotADirectoryError(errno.ENOTDIR, "a part of the path is a file, not a folder",
                                 str(path.parent)) from None
    replace_file(path, text.encode("utf-8"))


def _finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by None (JSON has no such numbers)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def dumps(value: Any, **options: Any) -> str:
    """``json.dumps`` that writes standard JSON: Python writes NaN and Infinity, which other
    readers refuse (a policy's refused ``WakeAt(nan)`` is in the record). Such numbers become
    null; the common case, with none, costs one ``json.dumps``."""
    try:
        return json.dumps(value, allow_nan=False, **options)
    except ValueError:
        return json.dumps(_finite(value), allow_nan=False, **options)


def _nested(value: Any) -> Any:
    """What ``asdict`` made of a dataclass inside an event's data: its dict (for ``json``)."""
    if is_dataclass(value) and not isinstance(value, type):
        return _finite(asdict(value))
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def record_lines(result: RunResult) -> list[dict[str, Any]]:
    """Events and decisions merged in time order (events first within an instant).

    Each row holds the entry's own values, not copies: ``asdict`` per entry deep-copied every
    event's data (Colossus-2: 250,000 rows, 3.7 s) only for the copy to be encoded and dropped.
    Rows are for encoding, not editing; a dataclass inside the data is encoded as ``asdict``
    would have made it (``_nested``)."""
    event_names = tuple(f.name for f in fields(Event))
    decision_names = tuple(f.name for f in fields(Decision))
    rows: list[tuple[float, int, int, dict[str, Any]]] = []
    for i, event in enumerate(result.record.events):
        row = {"type": "event"}
        for name in event_names:
            row[name] = getattr(event, name)
        rows.append((event.time_s, 0, i, row))
    for i, decision in enumerate(result.record.decisions):
        row = {"type": "decision"}
        for name in decision_names:
            row[name] = getattr(decision, name)
        rows.append((decision.time_s, 1, i, row))
    rows.sort(key=lambda r: r[:3])
    return [row[3] for row in rows]


def jsonl(rows: list[dict[str, Any]]) -> str:
    """One compact JSON line per row, as ``dumps(row, separators=(",", ":"))`` writes it, with
    one encoder for all rows (``json.dumps`` with options builds one per call)."""
    encode = json.JSONEncoder(allow_nan=False, separators=(",", ":"), default=_nested).encode
    lines = []
    for row in rows:
        try:
            lines.append(encode(row))
        except ValueError:  # a NaN or infinity: null, as dumps writes it
            lines.append(encode(_finite(row)))
    return "\n".join(lines) + "\n"


def series_dict(result: RunResult) -> dict[str, dict[str, list[float]]]:
    """The record's level series (``times[i]``: when ``values[i]`` starts to hold)."""
    return {
        name: {"times": list(s.times), "values": list(s.values)}
        for name, s in sorted(result.record.series.items())
    }


SCENARIO_NAME = "scenario.json"  # the run's resolved scenario, beside its result


def scenario_text(scenario: Scenario) -> str:
    """The resolved scenario as JSON (which YAML 1.2 reads): what its file and overrides set,
    defaults left out, so ``colossim run DIR/scenario.json`` runs it again. A trace's jobs are
    in it already, so the ``trace:`` that read them is left out (it would add them twice, and
    its path was relative to a file elsewhere)."""
    dumped = scenario.model_dump(mode="json", exclude_unset=True)
    dumped.pop("trace", None)
    return dumps(dumped, indent=2) + "\n"


def write_run(result: RunResult, folder: Path, scenario: Scenario | None = None) -> None:
    """``result.json``, ``events.jsonl`` and ``series.json``: enough to rebuild the RunResult
    (``metrics.loadrun.read_run``), so reports and traces can be made later from disk; with
    ``scenario``, ``scenario.json`` too: saved what-ifs told apart only by their figures (QA)."""
    folder = Path(folder)
    with collector_paused():  # rows without cycles: a collection here could free nothing
        if scenario is not None:
            atomic_write_text(folder / SCENARIO_NAME, scenario_text(scenario))
        atomic_write_text(folder / "result.json", dumps(result.to_dict(), indent=2) + "\n")
        atomic_write_text(folder / "events.jsonl", jsonl(record_lines(result)))
        series = dumps(series_dict(result), separators=(",", ":"))
        atomic_write_text(folder / "series.json", series + "\n")
