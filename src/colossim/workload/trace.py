"""Trace records → ``JobConfig`` jobs, with the scaling a ``trace:`` block asks for.

Jobs are taken in order of submission (file order breaks ties), the first ``limit`` kept, time
shifted so the first arrives at 0, submission times divided by ``arrival_scale`` and durations
multiplied by ``duration_scale``. Each becomes a rigid job of ``gpus`` GPUs whose work is
``duration x gpus`` GPU-hours on the reference GPU, placed GPU by GPU.
"""

from __future__ import annotations

from pathlib import Path

from colossim.config.schema import JobConfig, Placement
from colossim.config.trace import TraceConfig
from colossim.workload.formats import TraceRecord, read_records

SECONDS_PER_HOUR = 3600.0


def scaled(records: list[TraceRecord], trace: TraceConfig) -> list[TraceRecord]:
    """Sorted by submission, limited, shifted to start at 0, and scaled."""
    ordered = sorted(enumerate(records), key=lambda ir: (ir[1].submit_s, ir[0]))
    kept = [r for _, r in ordered][: trace.limit]
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
        placement=Placement.GPU,
    )


def trace_jobs(trace: TraceConfig, path: Path, reference_gpu: str) -> list[JobConfig]:
    """The jobs a trace describes; raises OSError/ValueError naming the file and line."""
    records = scaled(read_records(Path(path), trace.format.value), trace)
    if not records:
        raise ValueError(f"{path}: the trace has no jobs")
    return [to_job(r, trace, reference_gpu) for r in records]
