"""Write a run to disk: ``result.json`` (the summary), ``events.jsonl`` (the full record) and
``series.json`` (the level series: GPUs in use, power, ...)."""

from __future__ import annotations

import errno
import itertools
import json
import math
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from colossim.metrics.result import RunResult

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


def record_lines(result: RunResult) -> list[dict[str, Any]]:
    """Events and decisions merged in time order (events first within an instant)."""
    rows: list[tuple[float, int, int, dict[str, Any]]] = []
    for i, event in enumerate(result.record.events):
        rows.append((event.time_s, 0, i, {"type": "event", **asdict(event)}))
    for i, decision in enumerate(result.record.decisions):
        rows.append((decision.time_s, 1, i, {"type": "decision", **asdict(decision)}))
    rows.sort(key=lambda r: r[:3])
    return [row[3] for row in rows]


def series_dict(result: RunResult) -> dict[str, dict[str, list[float]]]:
    """The record's level series (``times[i]``: when ``values[i]`` starts to hold)."""
    return {
        name: {"times": list(s.times), "values": list(s.values)}
        for name, s in sorted(result.record.series.items())
    }


def write_run(result: RunResult, folder: Path) -> None:
    """``result.json``, ``events.jsonl`` and ``series.json``: enough to rebuild the RunResult
    (``metrics.loadrun.read_run``), so reports and traces can be made later from disk."""
    folder = Path(folder)
    atomic_write_text(folder / "result.json", dumps(result.to_dict(), indent=2) + "\n")
    lines = (dumps(row, separators=(",", ":")) for row in record_lines(result))
    atomic_write_text(folder / "events.jsonl", "\n".join(lines) + "\n")
    series = dumps(series_dict(result), separators=(",", ":"))
    atomic_write_text(folder / "series.json", series + "\n")
