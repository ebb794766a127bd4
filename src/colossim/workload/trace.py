"""Trace records → ``JobConfig`` jobs, with the scaling a ``trace:`` block asks for.

Jobs are taken in order of submission (file order breaks ties), those submitted in the window
``start_s`` to ``end_s`` after the trace's first submission, the first ``limit`` of them kept,
time shifted so the first kept arrives at 0, submission times divided by ``arrival_scale`` and
durations (and users' runtime estimates) multiplied by ``duration_scale``. Each becomes a rigid
job of ``gpus`` GPUs whose work is ``duration x gpus`` GPU-hours on the reference GPU, placed GPU
by GPU, carrying its user's estimate where the format has one (SWF's requested time).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from colossim.config.schema import JobConfig, Placement
from colossim.config.trace import TraceConfig
from colossim.workload.formats import TraceRecord, read_records

SECONDS_PER_HOUR = 3600.0


def in_window(records: list[TraceRecord], trace: TraceConfig) -> list[TraceRecord]:
    """Sorted by submission (file order breaks ties), those submitted in the window
    [``start_s``, ``end_s``) of the trace's own clock, counted from its first submission."""
    ordered = [r for _, r in sorted(enumerate(records), key=lambda ir: (ir[1].submit_s, ir[0]))]
    if not ordered:
        return []
    origin, end = ordered[0].submit_s, trace.end_s
    return [r for r in ordered
            if r.submit_s - origin >= trace.start_s and (end is None or r.submit_s - origin < end)]


def scaled(records: list[TraceRecord], trace: TraceConfig) -> list[TraceRecord]:
    """Sorted by submission, windowed, limited, shifted to start at 0, and scaled."""
    kept = in_window(records, trace)[: trace.limit]
    if not kept:
        return []
    start = kept[0].submit_s
    return [
        TraceRecord(
            job_id=r.job_id,
            submit_s=(r.submit_s - start) / trace.arrival_scale,
            duration_s=r.duration_s * trace.duration_scale,
            gpus=r.gpus,
            estimate_s=None if r.estimate_s is None else r.estimate_s * trace.duration_scale,
        )
        for r in kept
    ]


def _seconds(value: float) -> str:
    """Seconds as a window is given, with days beside them: '1,209,600 s (14 days)'."""
    return f"{value:,.10g} s ({value / 86400:,.3g} days)"


def _span_s(records: list[TraceRecord]) -> float:
    """Seconds from a trace's first submission to its last."""
    times = [r.submit_s for r in records]
    return max(times) - min(times)


def to_job(record: TraceRecord, trace: TraceConfig, reference_gpu: str) -> JobConfig:
    deadline = None
    if trace.deadline_factor is not None:
        deadline = record.submit_s + trace.deadline_factor * record.duration_s
    return JobConfig(
        name=record.job_id,
        work_gpu_hours=record.duration_s * record.gpus / SECONDS_PER_HOUR,
        reference_gpu=reference_gpu,
        min_gpus=record.gpus,
        max_gpus=record.gpus,
        submit_s=record.submit_s,
        deadline_s=deadline,
        runtime_estimate_s=record.estimate_s,
        placement=Placement.GPU,
    )


class EmptyWindow(ValueError):
    """The trace's window (``start_s``, ``end_s``) holds none of its jobs: the window's doing,
    where other errors are the file's or its format's."""


class ScaleOverflow(ValueError):
    """The trace's scales push a job's times past what a float holds: the scales' doing."""


def trace_jobs(trace: TraceConfig, path: Path, reference_gpu: str) -> list[JobConfig]:
    """The jobs a trace describes; raises OSError/ValueError naming the file and line."""
    read = read_records(Path(path), trace.format.value)
    records = scaled(read, trace)
    if not records and read:
        end = "its end" if trace.end_s is None else _seconds(trace.end_s)
        raise EmptyWindow(f"{path}: none of the trace's {len(read):,} jobs was submitted in the "
                         f"window from {_seconds(trace.start_s)} to {end} after its first "
                         f"submission (the last came {_seconds(_span_s(read))} after it)")
    if not records:
        raise ValueError(f"{path}: the trace has no jobs")
    return [_scaled_job(r, trace, reference_gpu, path) for r in records]


def _scaled_job(record: TraceRecord, trace: TraceConfig, reference_gpu: str,
                path: Path) -> JobConfig:
    """``to_job``, with scales that push a job's times past what a float holds, or its work
    past a job's limit, said as such (review: ``duration_scale: 1e308`` gave pydantic's raw
    text at the trace: line)."""
    try:
        return to_job(record, trace, reference_gpu)
    except ValidationError as exc:
        errors = exc.errors()
        if not all(e["type"] in SCALE_ERRORS and e.get("loc") for e in errors):
            raise
        what = "; ".join(
            f"{e['loc'][0]} no finite number holds" if e["type"] == "finite_number"
            else f"{e['loc'][0]} {e['input']:.3g}, past its limit of {e['ctx']['le']:g}"
            for e in errors)
        raise ScaleOverflow(
            f"{path}: scaled by the trace's settings (arrival_scale {trace.arrival_scale:g}, "
            f"duration_scale {trace.duration_scale:g}, deadline_factor "
            f"{trace.deadline_factor if trace.deadline_factor is not None else 'none'}), "
            f"job {record.job_id!r} gets {what}: scale less"
        ) from None


SCALE_ERRORS = ("finite_number", "less_than_equal")  # what a scale alone can cause

