"""The study's output folder as a durable store: nothing finished is ever lost.

Each finished run is written the moment it is back, as ``runs/<run id>.json`` (atomically: a
temporary file renamed into place, so a kill leaves the old state or the new, never half a file),
and appended as one line to ``runs.jsonl`` (a log in completion order; the last line of an id
wins). ``--resume`` trusts only the per-run files, so a torn last log line costs nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from colossim.errors import ConfigError, Problem
from colossim.metrics.export import replace_file
from colossim.sweep.expand import Run
from colossim.sweep.task import Outcome

RUNS_DIR = "runs"
LOG = "runs.jsonl"


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
    }


def record_text(run: Run, outcome: Outcome) -> str:
    """The run's record as one compact JSON line, its result spliced in as the worker encoded it
    (re-encoding a result here would cost the parent more than the rest of its work per run).
    Compact, so ``json.dumps`` uses its C encoder."""
    head = json.dumps(run_record(run, outcome), separators=(",", ":"))
    return f'{head[:-1]},"result":{outcome.result_json or "null"}}}\n'


class Store:
    """Per-run JSON files plus the append-only log, under one output folder."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self.runs = self.out / RUNS_DIR

    def prepare(self, resume: bool) -> None:
        """Create the folder; refuse to mix a fresh sweep into another one's results."""
        if not resume and self.runs.is_dir() and any(self.runs.glob("*.json")):
            msg = (
                "already holds sweep results: pass --resume to continue that sweep, "
                "or choose another --out"
            )
            raise ConfigError(Problem(str(self.out), None, "--out", msg))
        self.runs.mkdir(parents=True, exist_ok=True)

    def write(self, run: Run, outcome: Outcome) -> dict[str, Any]:
        """Store a finished run (its file, then its log line: the same compact JSON text) and
        return its record as read back from disk.

        This runs in the parent for every run while the workers simulate, so it is kept lean
        (``record_text``; a temporary name without ``mkstemp``'s randomness).
        """
        text = record_text(run, outcome)
        replace_file(self.runs / f"{run.run_id}.json", text.encode("utf-8"))  # folder: prepare
        with (self.out / LOG).open("a", encoding="utf-8") as log:
            log.write(text)
        return json.loads(text)  # exactly what a resumed sweep reads back (lists, str keys)

    def read(self, run_ids: set[str]) -> dict[str, dict[str, Any]]:
        """Stored records of the given runs (others in the folder are ignored)."""
        found = {}
        for run_id in run_ids:
            path = self.runs / f"{run_id}.json"
            if path.is_file():
                try:
                    found[run_id] = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, json.JSONDecodeError):
                    continue  # unreadable: treated as not done, so it runs again
        return found

    def finished(self, run_ids: set[str]) -> set[str]:
        """Runs already done successfully; failed runs are retried on resume."""
        return {rid for rid, rec in self.read(run_ids).items() if rec.get("status") == "ok"}
