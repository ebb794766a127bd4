"""The study's output folder as a durable store: nothing finished is ever lost.

Each finished run is written as ``runs/<run id>.json`` (atomically: a temporary file renamed
into place, so a kill leaves the old state or the new, never half a file), and appended as one
line to ``runs.jsonl`` when it is back (a log in completion order; the last line of an id wins).
``--resume`` trusts only the per-run files, so a torn last log line costs nothing. Workers on
this machine's disk save the per-run files themselves the moment a run ends
(``task.run_batch``); the store then only logs them. Otherwise it writes both.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from colossim.errors import ColossimError, ColossimWarning, ConfigError, Problem
from colossim.metrics.export import atomic_write_text
from colossim.metrics.labels import plural
from colossim.sweep.expand import Plan, Run
from colossim.sweep.folder_lock import acquire, release
from colossim.sweep.records import Outcome, record_path, save_record

RUNS_DIR = "runs"
LOG = "runs.jsonl"
STUDY = "study.json"  # whose runs these are: the study's name, and its file


def _absolute(path: str | Path) -> str:
    """The study file as ``study.json`` keeps it: absolute, symbolic links resolved, so a resume
    from another folder or by another spelling of the path finds the same file (QA: kept as
    typed, ``st/mini.yaml`` and ``/tmp/st/mini.yaml`` were two studies)."""
    return str(Path(path).resolve())


def _same_file(stored: str | None, source: Path) -> bool:
    """Is the file ``study.json`` names the study's own? (An older folder's relative path is
    read from the working folder, as it was written.)"""
    return stored is not None and _absolute(stored) == _absolute(source)


class Store:
    """Per-run JSON files plus the append-only log, under one output folder."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self.runs = self.out / RUNS_DIR
        self._log: IO[str] | None = None
        self._lock_key: Path | None = None  # the folder's lock, held from prepare to close

    def conflict(self, resume: bool, plan: Plan) -> str | None:
        """Why this folder cannot take the plan's runs, or None. A fresh sweep never mixes into
        another one's results, and ``--resume`` continues only a sweep of the same study: by
        its name, which ``study.json`` keeps (resumed into another study's folder, a sweep
        replaced its tables and removed its plots without a word: QA). An edited study keeps
        its name and its file, and resumes whatever its edit did to the run ids (review). A
        folder from before ``study.json``, or one a namesake in another file made, is another
        study's when none of its runs is one of the plan's."""
        stored = {path.stem for path in self.runs.glob("*.json")} if self.runs.is_dir() else set()
        if not stored:
            return None
        made_by = self.made_by()
        name, file = made_by.get("name"), made_by.get("file")
        if not resume and name is not None and name != plan.study.name:  # QA: told to resume
            return (f"already holds the results of the study {name!r}, not "  # what it refused
                    f"{plan.study.name!r}: choose another --out")
        if not resume:
            return ("already holds sweep results: pass --resume to continue that sweep, or "
                    "choose another --out")
        if name is not None and name != plan.study.name:
            return (f"holds the results of the study {name!r}, not {plan.study.name!r}: "
                    "--resume continues a sweep of the same study; choose another --out")
        if (name is None or not _same_file(file, plan.study.source)) and stored.isdisjoint(
                run.run_id for run in plan.runs):  # no study.json, or a namesake's file (two
            # studies both called sweep.yaml: review): none of its runs in common, another study
            return (f"holds the results of another study ({plural(len(stored), 'run')}, none "
                    f"of them a run of this one{f', from {file}' if file else ''}): --resume "
                    "continues a sweep of the same study; choose another --out")
        return None

    def made_by(self) -> dict[str, Any]:
        """The ``study.json`` of the folder (the study's name and file), or {} if it has none."""
        try:
            found = json.loads((self.out / STUDY).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {k: v for k, v in found.items() if isinstance(v, str)} \
            if isinstance(found, dict) else {}

    def prepare(self, resume: bool, plan: Plan) -> None:
        """Create the folder and hold its lock (``folder_lock``); refuse to mix the study into
        another one's results (``conflict``); say whose results the folder holds."""
        self._lock_key = acquire(self.out)
        if (msg := self.conflict(resume, plan)) is not None:
            self.close()
            raise ConfigError(Problem(str(self.out), None, "--out", msg))
        try:
            self.runs.mkdir(exist_ok=True)
            atomic_write_text(self.out / STUDY, json.dumps(
                {"name": plan.study.name, "file": _absolute(plan.study.source)}, indent=2)
                + "\n")
        except OSError as exc:
            self.close()
            raise ColossimError(f"cannot write results to {self.out}: "
                                f"{exc.strerror or exc}") from exc

    def write(self, run: Run, outcome: Outcome) -> dict[str, Any]:
        """Store a finished run (its file, unless the worker saved it, then its log line: the
        same compact JSON text) and return its record as read back from disk.

        This runs in the parent for every run while the workers simulate, so it is kept lean:
        the log stays open (one ``write`` per line, flushed so a kill leaves whole lines).
        """
        text = outcome.record_json or save_record(self.runs, run, outcome)
        if self._log is None:
            self._log = (self.out / LOG).open("a", encoding="utf-8")
        self._log.write(text)
        self._log.flush()
        return json.loads(text)  # exactly what a resumed sweep reads back (lists, str keys)

    def close(self) -> None:
        """Close the log and let the folder's lock go."""
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._lock_key is not None:
            release(self._lock_key)
            self._lock_key = None

    def read(self, run_ids: set[str]) -> dict[str, dict[str, Any]]:
        """Stored records of the given runs (others in the folder are ignored)."""
        found = {}
        for run_id in run_ids:
            path = record_path(self.runs, run_id)
            if path.is_file():
                try:
                    found[run_id] = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, json.JSONDecodeError):
                    continue  # unreadable: treated as not done, so it runs again
        return found

    def finished(self, builds: Mapping[str, str]) -> set[str]:
        """Runs already done successfully by the code that would make them now (``builds``:
        each run's build, ``sweep/build.py``). Failed runs are retried on resume, and so are
        runs another version of colossim or of the policy made, with a warning that says so."""
        done, other = set(), 0
        for rid, rec in self.read(set(builds)).items():
            if rec.get("status") != "ok":
                continue
            if rec.get("build") == builds[rid]:
                done.add(rid)
            else:
                other += 1
        if other:
            warnings.warn(ColossimWarning(
                f"{plural(other, 'run')} in {self.out} {'was' if other == 1 else 'were'} made by "
                "other code (colossim or the run's policy has changed since): "
                f"{'it runs' if other == 1 else 'they run'} again, so the tables hold the "
                "current code's results only"), stacklevel=2)
        return done

    def log_unlogged(self, run_ids: set[str]) -> None:
        """Append to the log the runs whose files exist but whose line does not: a worker
        saved them, then the sweep was killed before the parent logged them (resume skips
        them as done, and the log would lack them for good). A torn last line is removed, so
        every line of the log is a record."""
        logged = set()
        log = self.out / LOG
        text = log.read_text(encoding="utf-8") if log.is_file() else ""
        if text and not text.endswith("\n"):  # a torn last line: drop it (its run's file
            text = text[: text.rfind("\n") + 1]  # is logged again below if it has one)
            log.write_text(text, encoding="utf-8")
        if text:
            for line in text.splitlines():
                try:
                    logged.add(json.loads(line).get("run_id"))
                except (json.JSONDecodeError, AttributeError):
                    continue  # a torn last line
        for run_id in sorted(run_ids - logged):
            path = record_path(self.runs, run_id)
            if path.is_file():
                record = path.read_text(encoding="utf-8")
                if self._log is None:
                    self._log = log.open("a", encoding="utf-8")
                self._log.write(record if record.endswith("\n") else record + "\n")
        if self._log is not None:
            self._log.flush()
