"""Write a run to disk: ``result.json`` (the summary), ``events.jsonl`` (the full record) and
``series.json`` (the level series: GPUs in use, power, ...)."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from colossim.metrics.result import RunResult


def current_umask() -> int:
    """The process umask (reading it means setting it; set it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_text(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so readers never see half a file.

    The file gets the permissions ``open()`` would give it (0666 less the umask), not
    ``mkstemp``'s private 0600: results are meant to be shared.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
    atomic_write_text(folder / "result.json", json.dumps(result.to_dict(), indent=2) + "\n")
    lines = (json.dumps(row, separators=(",", ":")) for row in record_lines(result))
    atomic_write_text(folder / "events.jsonl", "\n".join(lines) + "\n")
    series = json.dumps(series_dict(result), separators=(",", ":"))
    atomic_write_text(folder / "series.json", series + "\n")
