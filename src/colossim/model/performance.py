"""The job performance model: the fastest feasible plan and what it achieves. Pure and cached.

Public entry points (the engine and policies call these; all are cached on frozen inputs):

* ``estimate(job, gpus, gpu, span, bandwidth)`` -> ``StepEstimate`` (plan, step time, breakdown,
  MFU, TFLOP/s per GPU, tokens/s, the job's FLOP/s);
* ``estimate_mixed(job, parts, span, bandwidth)``: a job over several GPU types runs one plan at
  the pace of its slowest part; ``estimate_grant`` takes the counts by type name and a catalog;
* ``throughput(...)`` in tokens/s (0 when the job does not fit), ``min_gpus(job, gpu)``,
  ``time_to_train_s(...)`` and ``total_flops(job)`` (the work, in model FLOPs).

A pinned ``training.mfu`` or ``training.achieved_tflops_per_gpu`` overrides the modelled rate:
the time to train is then exactly work / (GPUs x pinned rate), whatever plan is chosen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from colossim.config.schema import GpuSpec, JobConfig
from colossim.errors import ColossimError
from colossim.model.parallelism import (
    ParallelPlan,
    Span,
    StepBreakdown,
    TierBandwidth,
    step_breakdown,
)
from colossim.model.search import fewest_gpus, search
from colossim.model.workload import Workload, total_flops, workload

__all__ = [
    "DoesNotFit",
    "Span",
    "StepEstimate",
    "TierBandwidth",
    "estimate",
    "estimate_grant",
    "estimate_mixed",
    "min_gpus",
    "throughput",
    "time_to_train_s",
    "total_flops",
]


ONE_RACK = Span(racks=1, pods=1)


class DoesNotFit(ColossimError, ValueError):
    """No parallel plan of the job fits the given GPUs (memory, batch or placement)."""


@dataclass(frozen=True)
class StepEstimate:
    """How fast a job trains on a given allocation. Rates are per allocated GPU."""

    plan: ParallelPlan
    gpus: int
    step_time_s: float
    breakdown: StepBreakdown
    tokens_per_s: float
    samples_per_s: float  # sequences (LLM) or images per second
    flops_per_s: float  # model FLOP/s: the rate at which the job's work (total_flops) is done
    achieved_tflops_per_gpu: float  # hardware FLOP/s per GPU, recomputation included
    model_tflops_per_gpu: float
    mfu: float  # model FLOP/s / (gpus x dense peak at the job's precision)
    pinned: bool  # efficiency given by the job, not modelled


def _breakdown(
    w: Workload, specs: tuple[GpuSpec, ...], bws: tuple[TierBandwidth, ...], span: Span,
    plan: ParallelPlan,
) -> StepBreakdown:
    """The reference (scalar) breakdown of a plan on its slowest GPU type."""
    worst = [step_breakdown(w, g, plan, bw, span) for g, bw in zip(specs, bws, strict=True)]
    return max(worst, key=lambda br: br.total_s)


def _finish(
    w: Workload, gpus: int, specs: tuple[GpuSpec, ...], plan: ParallelPlan, br: StepBreakdown
) -> StepEstimate:
    """Rates from a chosen plan, or from the pinned efficiency when the job gives one."""
    step = br.total_s
    t = w.training
    peak = min(s.peak_tflops(w.precision) for s in specs) * 1e12
    model_per_token = w.model_flops_per_token
    rc = plan.recompute
    hw_per_token = w.linear_flops_per_token(rc) + w.attention_flops_per_token(rc)
    if t.mfu is not None:
        model_rate = t.mfu * peak * gpus
    elif t.achieved_tflops_per_gpu is not None:
        model_rate = t.achieved_tflops_per_gpu * 1e12 * gpus * model_per_token / hw_per_token
    else:
        model_rate = w.batch_tokens * model_per_token / step
    tokens_per_s = model_rate / model_per_token
    step_time = w.batch_tokens / tokens_per_s
    if t.pinned:
        br = br.scaled(step_time / step)
    return StepEstimate(
        plan=plan,
        gpus=gpus,
        step_time_s=step_time,
        breakdown=br,
        tokens_per_s=tokens_per_s,
        samples_per_s=tokens_per_s / w.seq_len,
        flops_per_s=model_rate,
        achieved_tflops_per_gpu=tokens_per_s * hw_per_token / gpus / 1e12,
        model_tflops_per_gpu=model_rate / gpus / 1e12,
        mfu=model_rate / (gpus * peak),
        pinned=t.pinned,
    )


@lru_cache(maxsize=65536)
def estimate_mixed(
    job: JobConfig, parts: tuple[tuple[GpuSpec, int], ...], span: Span = ONE_RACK,
    bandwidth: TierBandwidth | None = None,
) -> StepEstimate:
    """A job over several GPU types: one plan, the pace of the slowest part, the smallest HBM.

    ``parts`` pairs each GPU type with its GPU count. Raises ``DoesNotFit`` if no plan fits.
    """
    w = workload(job)
    gpus = sum(n for _, n in parts)
    specs = tuple(dict.fromkeys(spec for spec, n in parts if n > 0))
    if gpus < 1 or not specs:
        raise DoesNotFit(f"job {job.name!r}: no GPUs given")
    bws = tuple(bandwidth or TierBandwidth.from_gpu(s) for s in specs)
    if bandwidth is None and len(specs) > 1:
        slowest = bws[0]
        for bw in bws[1:]:
            slowest = slowest.slowest(bw)
        bws = (slowest,) * len(specs)
    found = search(w, gpus, specs, span, bws)
    if found is None:
        raise DoesNotFit(
            f"job {job.name!r} has no parallel plan that fits {gpus} GPUs "
            f"(memory, batch of {w.batch_seqs:g} sequences, or a pinned plan)"
        )
    plan = found[1]
    return _finish(w, gpus, specs, plan, _breakdown(w, specs, bws, span, plan))


def estimate(
    job: JobConfig, gpus: int, gpu: GpuSpec, span: Span = ONE_RACK,
    bandwidth: TierBandwidth | None = None,
) -> StepEstimate:
    """The fastest feasible plan for ``job`` on ``gpus`` GPUs of one type, placed over ``span``.

    ``bandwidth`` defaults to the GPU's nominal tiers (non-blocking fabric); pass
    ``TierBandwidth.from_gpu(gpu, oversubscription)`` or contended figures instead.
    Raises ``DoesNotFit`` if no plan fits.
    """
    return estimate_mixed(job, ((gpu, gpus),), span, bandwidth)


def estimate_grant(
    job: JobConfig, gpus_by_type: Mapping[str, int], catalog: Mapping[str, GpuSpec],
    span: Span = ONE_RACK, bandwidth: TierBandwidth | None = None,
) -> StepEstimate:
    """``estimate_mixed`` for a grant as the ledger holds it: GPU counts by type name."""
    parts = tuple((catalog[name], n) for name, n in sorted(gpus_by_type.items()) if n > 0)
    return estimate_mixed(job, parts, span, bandwidth)


def throughput(
    job: JobConfig, gpus: int, gpu: GpuSpec, span: Span = ONE_RACK,
    bandwidth: TierBandwidth | None = None,
) -> float:
    """Tokens per second on ``gpus`` GPUs; 0.0 when the job does not fit them."""
    try:
        return estimate(job, gpus, gpu, span, bandwidth).tokens_per_s
    except DoesNotFit:
        return 0.0


def time_to_train_s(
    job: JobConfig, gpus: int, gpu: GpuSpec, span: Span = ONE_RACK,
    bandwidth: TierBandwidth | None = None,
) -> float:
    """Seconds to do the whole job at a constant allocation: work / rate."""
    return total_flops(job) / estimate(job, gpus, gpu, span, bandwidth).flops_per_s


@lru_cache(maxsize=4096)
def min_gpus(job: JobConfig, gpu: GpuSpec) -> int | None:
    """Fewest GPUs of one type on which some plan fits in memory, or None if none ever does."""
    return fewest_gpus(workload(job), gpu)
