"""A finished run as it travels (``Outcome``) and as it is stored (its record, one JSON text).

Both the parent and, when they share its disk, the workers write records, so the text is made
in one place: a run's file and its line in ``runs.jsonl`` are byte-identical whoever wrote them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from colossim.metrics.export import replace_file
from colossim.sweep.expand import Run


@dataclass(frozen=True)
class Outcome:
    """One finished run: its result as JSON text, or the error that stopped it.

    The worker encodes the result, and on a shared disk saves the whole record too
    (``record_json``): the parent, which shares the CPUs with the workers, then only appends a
    log line and reads the record.
    """

    run_id: str
    result_json: str | None
    error: str | None = None
    traceback: str | None = None
    wall_s: float = 0.0
    record_json: str | None = None  # set once the run's file is saved (``save_record``)
    build: str | None = None  # the code that made it (``sweep/build.py``), checked on resume

    @property
    def ok(self) -> bool:
        return self.error is None


def run_record(run: Run, outcome: Outcome) -> dict[str, Any]:
    """What is stored for a run: where it sits in the study, how it went, and its result (last:
    ``record_text`` splices it in as the JSON text the worker made)."""
    return {
        "run_id": run.run_id,
        "index": run.index,
        "point": run.point,
        "replicate": run.replicate,
        "seed": run.seed,
        "parameters": dict(run.values),
        "status": "ok" if outcome.ok else "failed",
        "error": outcome.error,
        "traceback": outcome.traceback,
        "wall_s": outcome.wall_s,
        "build": outcome.build,
    }


def record_text(run: Run, outcome: Outcome) -> str:
    """The run's record as one compact JSON line, its result spliced in as the worker encoded it
    (re-encoding a result would cost more than the rest of the record). Compact, so
    ``json.dumps`` uses its C encoder."""
    head = json.dumps(run_record(run, outcome), separators=(",", ":"))
    return f'{head[:-1]},"result":{outcome.result_json or "null"}}}\n'


def record_path(runs_dir: Path, run_id: str) -> Path:
    return runs_dir / f"{run_id}.json"


def save_record(runs_dir: Path, run: Run, outcome: Outcome) -> str:
    """Write the run's file atomically (a kill leaves no file or the whole one); its text."""
    text = outcome.record_json or record_text(run, outcome)
    replace_file(record_path(runs_dir, run.run_id), text.encode("utf-8"))
    return text
