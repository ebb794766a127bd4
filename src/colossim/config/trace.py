"""``trace:``: a scenario's jobs read from a job trace, expanded into ordinary jobs at load time.

The rest of colossim never sees the trace, only the jobs it became: rigid jobs (``min_gpus =
max_gpus =`` the trace's GPU count) whose work is ``duration x GPUs`` GPU-hours on
``reference_gpu``, so on that GPU type a job runs exactly its traced duration at its traced size,
placed GPU by GPU (``placement: gpu``). The reading itself lives in ``colossim.workload``.

A relative ``path`` is relative to the scenario file that names it (the loader passes its folder
as ``base_dir`` in the validation context), else to the working directory.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, model_validator

from colossim.config.base import FieldValueError, Frozen
from colossim.config.wording import and_more


class TraceFormat(StrEnum):
    """``itp``: Microsoft ITP / ElasticFlow CSV (job_id, submission_time, duration, num_gpu);
    ``philly``: Philly-style CSV as the Tiresias simulator reads it (job_id, num_gpu,
    submit_time, duration; other columns ignored); ``swf``: the Standard Workload Format of the
    Parallel Workloads Archive (processors read as GPUs)."""

    ITP = "itp"
    PHILLY = "philly"
    SWF = "swf"


class TraceConfig(Frozen):
    """Where the jobs come from and how to scale them."""

    path: str = Field(min_length=1, description="Trace file (relative to the scenario file)")
    format: TraceFormat = TraceFormat.ITP
    reference_gpu: str | None = Field(
        None, description="GPU type the traced durations were measured on (default: the "
        "cluster's first rack group's type)",
    )
    arrival_scale: float = Field(
        1.0, gt=0, description="Multiply the arrival rate: submission times are divided by this"
    )
    duration_scale: float = Field(1.0, gt=0, description="Multiply every job's duration")
    start_s: float = Field(
        0.0, ge=0, description="Keep the jobs submitted this long or more after the trace's "
        "first submission (a time window: with end_s, week 3 is 1209600 to 1814400)",
    )
    end_s: float | None = Field(
        None, gt=0, description="Keep the jobs submitted less than this long after the "
        "trace's first submission",
    )
    limit: int | None = Field(
        None, gt=0, description="Keep only the first N jobs to arrive (in the window)")
    deadline_factor: float | None = Field(
        None, gt=0, description="Give each job deadline_s = submit + factor x duration"
    )
    jobs_loaded: int | None = Field(
        None, ge=0, description="Filled in at load: jobs the trace added (do not set)"
    )

    @model_validator(mode="after")
    def _window_is_not_empty(self) -> TraceConfig:
        if self.end_s is not None and self.end_s <= self.start_s:
            raise FieldValueError("end_s", f"{self.end_s:,.10g} s is not after start_s "
                                  f"({self.start_s:,.10g} s): the window holds no time")
        return self


def resolve_path(path: str, context: Mapping[str, Any] | None) -> Path:
    """``path`` against the including scenario's folder when it is relative."""
    candidate = Path(path).expanduser()
    base = (context or {}).get("base_dir")
    if not candidate.is_absolute() and base is not None:
        return Path(base) / candidate
    return candidate


def _default_reference_gpu(data: Mapping[str, Any]) -> str | None:
    cluster = data.get("cluster")
    groups = cluster.get("rack_groups") if isinstance(cluster, Mapping) else None
    if isinstance(groups, list | tuple) and groups:
        first = groups[0]
        name = first.get("gpu_type") if isinstance(first, Mapping) else getattr(
            first, "gpu_type", None)
        return name if isinstance(name, str) else None
    return None


SKIP_TRACE = "skip_trace"  # a context key: validate the rest of a file whose trace is unreadable


def expand_trace(data: Any, context: Mapping[str, Any] | None) -> Any:
    """Scenario data with the trace's jobs appended to ``jobs`` (once: ``jobs_loaded`` marks it).

    Invalid ``trace:`` blocks are left for the schema to report field by field; a trace that
    cannot be read raises ``FieldValueError`` on ``trace``.
    """
    if not isinstance(data, Mapping) or data.get("trace") is None:
        return data
    if context is not None and context.get(SKIP_TRACE):
        return data
    raw = data["trace"]
    if context is not None and isinstance(raw, Mapping) and "jobs_loaded" in raw:
        # a file's own trace block (the loader validates with a context): the field is ours
        raise FieldValueError("trace.jobs_loaded", "filled in when the trace is read; remove "
                              "it (set, it made colossim skip the trace)")
    try:
        trace = raw if isinstance(raw, TraceConfig) else TraceConfig.model_validate(raw)
    except ValidationError:
        return data
    if trace.jobs_loaded is not None:
        return data
    reference = trace.reference_gpu or _default_reference_gpu(data)
    if reference is None:
        return data  # the cluster is broken; the schema says how
    from colossim.workload.trace import EmptyWindow, ScaleOverflow, trace_jobs

    try:
        jobs = trace_jobs(trace, resolve_path(trace.path, context), reference)
    except (OSError, ValueError) as exc:  # blamed on an override of what caused it, if one did
        if isinstance(exc, OSError):  # "[Errno 2] No such file or directory: '...'" as words
            why = (exc.strerror or str(exc)).lower()
            shown = os.path.normpath(exc.filename) if exc.filename else trace.path
            message = f"cannot read {shown}: {why}"
            # only the path decides whether the file can be read: an override of the window
            # or the limit was blamed for a missing file (QA)
            blamed: tuple[str, ...] = ("trace.path",)
        else:  # an empty window is the window's doing; a bad row, the file's or its format's
            # (QA: a bad row was blamed on an override of the limit, and never on the format)
            message = str(exc)
            blamed = ("trace.path", "trace.start_s", "trace.end_s") \
                if isinstance(exc, EmptyWindow) else \
                ("trace.duration_scale", "trace.arrival_scale", "trace.deadline_factor") \
                if isinstance(exc, ScaleOverflow) else ("trace.path", "trace.format")
        # a file that cannot be read is said at its path's line (QA: at the trace: line above)
        raise FieldValueError("trace.path" if isinstance(exc, OSError) else "trace", message,
                              # an override of one of ``blamed`` caused it:
                              # blamed there (QA)
                              alternatives=tuple((field, message) for field in blamed)) from None
    given = data.get("jobs") or []
    marked = trace.model_copy(update={"jobs_loaded": len(jobs)})
    return {**data, "jobs": [*given, *jobs], "trace": marked}


TRACE_NAMED = 3  # trace jobs a folded problem names


FROM_TRACE = {("reference_gpu",): ("trace", "reference_gpu")}  # job fields the trace block sets


def trace_issues(scenario: Any, issues: list[tuple[tuple, str]],
                 blame: Callable[[tuple], tuple] = lambda loc: loc
                 ) -> list[tuple[tuple, str, tuple]]:
    """Problems of the jobs a trace added, at the ``trace:`` block and naming the jobs: they have
    no line of their own (each pointed at the file's line 1), and a trace of thousands of jobs
    could give as many lines. Alike problems (the same field and message) fold into one.

    Each comes back as (field path, message, where to report it): ``blame`` says where for a
    job's own problem (an override that shrank the cluster, for a job that can never fit); a
    folded one is reported there too when ``blame`` moves it off the job (it pointed at the
    ``trace:`` line whatever --set made the cluster too small: QA)."""
    trace = getattr(scenario, "trace", None)
    if trace is None or not trace.jobs_loaded:
        return [(loc, msg, blame(loc)) for loc, msg in issues]
    own = len(scenario.jobs) - trace.jobs_loaded
    kept: list[tuple[tuple, str, tuple]] = []
    folded: dict[tuple[tuple, str], list[int]] = {}
    for loc, msg in issues:
        if len(loc) >= 2 and loc[0] == "jobs" and isinstance(loc[1], int) and loc[1] >= own:
            folded.setdefault((tuple(loc[2:]), msg), []).append(loc[1])
        else:
            kept.append((loc, msg, blame(loc)))
    for (field, msg), indices in folded.items():
        if field in FROM_TRACE:  # the trace's own setting, given to every job: one problem,
            # at its line (an unknown reference_gpu was "200 of its jobs (...)": QA)
            kept.append((FROM_TRACE[field], msg, FROM_TRACE[field]))
            continue
        names = [scenario.jobs[i].name for i in indices]
        shown = and_more([repr(n) for n in names], TRACE_NAMED)
        what = f"{len(names):,} of its jobs ({shown})" if len(names) > 1 else \
            f"its job {shown}"
        where = ".".join(str(p) for p in field)
        first = ("jobs", indices[0], *field)
        at = blame(first)
        kept.append((("trace",), f"{what}: {where + ': ' if where else ''}{msg}",
                     ("trace",) if at == first else at))
    return kept
