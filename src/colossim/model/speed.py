"""How much work a job is, and how fast an allocation does it.

Stand-in until the performance model is wired in: work = 6 x active parameters x tokens FLOPs,
and speed = GPUs x peak FLOP/s at the job's precision x ``simulation.efficiency``. A job spread
over two GPU types runs at the slower part's pace (synchronous training waits for the slowest).
"""

from __future__ import annotations

from colossim.config.schema import GpuSpec, JobConfig, Precision

TFLOPS = 1e12
FLOPS_PER_PARAM_TOKEN = 6.0  # forward 2 + backward 4 (Kaplan et al. 2020)


def job_work_flops(job: JobConfig, catalog: dict[str, GpuSpec], efficiency: float) -> float:
    """Total training FLOPs. Trace-style jobs convert GPU-hours on their reference GPU."""
    if job.work_gpu_hours is not None:
        spec = catalog[job.reference_gpu or ""]
        return job.work_gpu_hours * 3600.0 * spec.peak_tflops(job.precision) * TFLOPS * efficiency
    return FLOPS_PER_PARAM_TOKEN * job.active_params * job.train_tokens


def job_rate_flops(
    job: JobConfig, gpus_by_type: dict[str, int], catalog: dict[str, GpuSpec], efficiency: float
) -> float:
    """FLOP/s of an allocation: all GPUs at the pace of the slowest type present."""
    gpus = sum(gpus_by_type.values())
    if gpus == 0:
        return 0.0
    slowest = min(peak_flops(catalog[t], job.precision) for t, n in gpus_by_type.items() if n)
    return gpus * slowest * efficiency


def peak_flops(spec: GpuSpec, precision: Precision) -> float:
    """Peak FLOP/s of one GPU at a precision."""
    return spec.peak_tflops(precision) * TFLOPS
