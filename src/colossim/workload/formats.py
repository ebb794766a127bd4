"""Trace file formats → ``TraceRecord`` rows (job id, submit time, duration, GPUs).

- ``itp``: the Microsoft ITP traces published with ElasticFlow (ASPLOS'23): a CSV with header
  ``job_id,submission_time,duration,num_gpu`` (seconds, seconds, GPUs).
- ``philly``: Philly-style CSV as the Tiresias simulator (NSDI'19) reads it: header names such as
  ``job_id``/``jobid``, ``submit_time``/``submission_time``, ``duration``/``run_time``,
  ``num_gpu``/``gpus``; other columns are ignored.
- ``swf``: the Standard Workload Format (Chapin et al., JSSPP 1999; Parallel Workloads Archive):
  whitespace-separated fields, ``;`` comments; field 1 job number, 2 submit time, 4 run time,
  5 allocated processors (8, requested processors, when 5 is -1), 9 requested time. Jobs with no
  run time or no processors (cancelled before start) are skipped. Processors are read as GPUs.

Every problem names the file and line.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from colossim.config.base import has_control


@dataclass(frozen=True, slots=True)
class TraceRecord:
    job_id: str
    submit_s: float
    duration_s: float
    gpus: int
    estimate_s: float | None = None  # the user's runtime estimate, where the format has one


ITP_COLUMNS = {"id": ("job_id",), "submit": ("submission_time",), "duration": ("duration",),
               "gpus": ("num_gpu",)}
PHILLY_COLUMNS = {
    "id": ("job_id", "jobid", "id", "job_idx"),
    "submit": ("submit_time", "submission_time", "submitted_time", "submit"),
    "duration": ("duration", "run_time", "runtime", "duration_s"),
    "gpus": ("num_gpu", "num_gpus", "gpus", "gpu_num"),
}


def _number(text: str, what: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{where}: {what} {text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{where}: {what} {text!r} is not finite")
    return value


def _whole(value: float, what: str, where: str) -> int:
    if value != int(value):
        raise ValueError(f"{where}: {what} {value:g} is not a whole number")
    return int(value)


def _check(record: TraceRecord, where: str) -> TraceRecord:
    if not record.job_id:
        raise ValueError(f"{where}: the job id is empty")
    if has_control(record.job_id):  # it names a job, and jobs refuse control characters
        raise ValueError(f"{where}: the job id {record.job_id!r} holds a control character")
    if record.submit_s < 0:
        raise ValueError(f"{where}: negative submission time {record.submit_s}")
    if record.duration_s <= 0:
        raise ValueError(f"{where}: duration {record.duration_s} must be positive")
    if record.gpus <= 0:
        raise ValueError(f"{where}: GPU count {record.gpus} must be positive")
    return record


def _columns(header: list[str], names: dict[str, tuple[str, ...]], path: Path) -> dict[str, str]:
    found = {}
    lower = {h.strip().lower(): h for h in header}
    for key, options in names.items():
        match = next((lower[o] for o in options if o in lower), None)
        if match is None:
            if not any(h.strip() for h in header):
                raise ValueError(f"{path}:1: the file is empty: a trace starts with a header "
                                 "line naming its columns")
            raise ValueError(
                f"{path}:1: no column {' or '.join(options)} in header {','.join(header)}"
            )
        found[key] = match
    return found


MAX_LINE = 2**20  # characters in one line of a trace: no record comes near a megabyte


def bounded_lines(handle: IO[str], path: Path) -> Iterator[str]:
    """The file's lines, each refused past ``MAX_LINE``: a line is read whole before anything
    looks at it, and ``/dev/zero`` (or a binary file without newlines) is one endless line,
    which filled the memory (QA)."""
    for number in itertools.count(1):
        line = handle.readline(MAX_LINE + 1)
        if not line:
            return
        if len(line) > MAX_LINE:
            raise ValueError(f"{path}:{number}: a line longer than {MAX_LINE:,} characters, "
                             "which no trace record is (a device such as /dev/zero, or not a "
                             "text file?)")
        yield line


def read_csv(path: Path, names: dict[str, tuple[str, ...]]) -> Iterator[tuple[str, TraceRecord]]:
    # utf-8-sig: a byte-order mark (Excel writes one) is not part of the first column's name
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(bounded_lines(handle, path))
        try:
            yield from _csv_rows(reader, path, names)
        except csv.Error as exc:  # a field over the csv module's limit, a stray NUL, ...
            # line_num counts the lines read whole: the failing one is the next
            raise ValueError(f"{path}:{reader.line_num + 1}: not a CSV row the reader can "
                             f"take: {exc}") from None


def _csv_rows(reader: csv.DictReader, path: Path,
              names: dict[str, tuple[str, ...]]) -> Iterator[tuple[str, TraceRecord]]:
    cols = _columns(list(reader.fieldnames or []), names, path)
    width = len(reader.fieldnames or [])
    for row in reader:
        where = f"{path}:{reader.line_num}"
        extra = row.get(None)  # DictReader's restkey: the fields past the header's
        if extra is not None or None in row.values():  # and restval: the ones missing
            found = width + len(extra) if extra is not None else sum(
                v is not None for v in row.values())
            raise ValueError(f"{where}: the row has {found} fields, the header {width} (a "
                             "shifted or broken row?)")
        gpus = _whole(_number(row[cols["gpus"]] or "", "GPU count", where), "GPU count", where)
        yield where, _check(TraceRecord(
            job_id=str(row[cols["id"]]).strip(),
            submit_s=_number(row[cols["submit"]] or "", "submission time", where),
            duration_s=_number(row[cols["duration"]] or "", "duration", where),
            gpus=gpus,
        ), where)


def read_swf(path: Path) -> Iterator[tuple[str, TraceRecord]]:
    """The jobs of an SWF file; the ones that never ran are skipped, and counted in a warning
    (an archive log can hold thousands of cancelled jobs, which the replay leaves out)."""
    skipped = 0
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(bounded_lines(handle, path), start=1):
            text = line.split(";", 1)[0].strip()
            if not text:
                continue
            fields = text.split()
            where = f"{path}:{number}"
            if len(fields) < 9:
                raise ValueError(f"{where}: an SWF line has 18 fields (the first 9 are read), "
                                 f"this one {len(fields)}")
            run = _number(fields[3], "run time", where)
            procs = _whole(_number(fields[4], "allocated processors", where),
                           "allocated processors", where)
            if procs <= 0:
                procs = _whole(_number(fields[7], "requested processors", where),
                               "requested processors", where)
            if run <= 0 or procs <= 0:
                skipped += 1  # never ran (cancelled or failed before start)
                continue
            estimate = _number(fields[8], "requested time", where)
            yield where, _check(TraceRecord(
                job_id=fields[0], submit_s=_number(fields[1], "submit time", where),
                duration_s=run, gpus=procs, estimate_s=estimate if estimate > 0 else None,
            ), where)
    if skipped:
        import warnings

        from colossim.errors import ColossimWarning

        warnings.warn(ColossimWarning(
            f"{path}: {skipped:,} line{'s' if skipped > 1 else ''} skipped: jobs that never ran "
            "(run time or processors 0 or -1)"), stacklevel=2)


def read_records(path: Path, fmt: str) -> list[TraceRecord]:
    """Every job of a trace file, in file order; a job id given twice is named at both lines."""
    rows = read_swf(path) if fmt == "swf" else read_csv(
        path, ITP_COLUMNS if fmt == "itp" else PHILLY_COLUMNS)
    records: list[TraceRecord] = []
    first: dict[str, str] = {}
    try:
        for where, record in rows:
            if record.job_id in first:
                line = first[record.job_id].rsplit(":", 1)[1]
                raise ValueError(f"{where}: job id {record.job_id!r} appears twice (first at "
                                 f"line {line})")
            first[record.job_id] = where
            records.append(record)
    except UnicodeDecodeError:  # its own message names a codec and a byte, not the file
        raise ValueError(f"{path}: not a UTF-8 text file") from None
    return records
