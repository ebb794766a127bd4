"""colossim's performance model side by side with published training runs.

Usage: ``python examples/validation/compare.py`` prints a Markdown table (the one in
``docs/validation.md``). ``tests/model/test_validation.py`` checks every row's ratio stays inside
its stated band, so a model change that moves a comparison shows up in review.

Each case loads a scenario YAML next to this file and estimates its one job on all of its GPUs
(``max_gpus``) with the cluster's nominal fabric.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from colossim.api import load_scenario
from colossim.model.performance import Span, StepEstimate, TierBandwidth, estimate, total_flops

HERE = Path(__file__).resolve().parent
MEGATRON = "Narayanan et al. 2021, arXiv 2104.04473"
NEMO = "NeMo 25.11, Megatron-Bridge docs/performance-summary.md @00b7660"


@dataclass(frozen=True)
class Case:
    """One published figure and the band colossim/published must stay in."""

    name: str
    file: str
    metric: str  # days | hw_tflops_per_gpu | tokens_per_s_per_gpu
    published: float
    source: str
    band: tuple[float, float]
    overrides: tuple[str, ...] = ()


CASES = (
    Case("GPT-3 175B, 1,024 A100, pinned 140 TFLOP/s: days", "megatron-gpt3-175b.yaml",
         "days", 34.0, f"{MEGATRON} s5.1", (0.97, 1.05)),
    Case("GPT-3 175B, 1,024 A100, unpinned: TFLOP/s per GPU", "megatron-gpt3-175b.yaml",
         "hw_tflops_per_gpu", 140.0, f"{MEGATRON} s5.1 (the rate their estimate assumes)",
         (0.9, 1.5), ("jobs.gpt3-175b.training.achieved_tflops_per_gpu=null",)),
    Case("GPT 1T, 3,072 A100, TP8 PP64 DP6: TFLOP/s per GPU", "megatron-1t.yaml",
         "hw_tflops_per_gpu", 163.0, f"{MEGATRON} Table 1", (0.85, 1.25)),
    Case("GPT 1T, 3,072 A100, 450B tokens: days", "megatron-1t.yaml",
         "days", 84.0, f"{MEGATRON} s5.1", (0.8, 1.15)),
    Case("Llama 3.1 405B FP8, 256 GB200: tokens/s per GPU", "nemo-llama31-405b-gb200.yaml",
         "tokens_per_s_per_gpu", 813.0, NEMO, (0.8, 1.25)),
    Case("Llama 3.1 405B FP8, 256 GB300: tokens/s per GPU", "nemo-llama31-405b-gb300.yaml",
         "tokens_per_s_per_gpu", 999.0, NEMO, (0.8, 1.25)),
    Case("Llama 3.1 405B FP8, 1,024 H100: tokens/s per GPU", "nemo-llama31-405b-h100.yaml",
         "tokens_per_s_per_gpu", 292.0, NEMO, (0.8, 1.25)),
    Case("DeepSeek-V3 FP8, 256 GB200: tokens/s per GPU (known gap)",
         "nemo-deepseek-v3-gb200.yaml", "tokens_per_s_per_gpu", 4018.0, NEMO, (1.5, 2.5)),
)


def run(case: Case) -> tuple[float, StepEstimate]:
    """colossim's value for a case's metric, and the estimate behind it."""
    scenario = load_scenario(HERE / case.file, case.overrides)
    job = scenario.jobs[0]
    cluster = scenario.cluster
    gpu = scenario.gpu_catalog()[cluster.rack_groups[0].gpu_type]
    gpus = job.max_gpus
    racks = math.ceil(gpus / gpu.gpus_per_rack)
    span = Span(racks=racks, pods=math.ceil(racks / cluster.pod_size_racks))
    bw = TierBandwidth.from_gpu(gpu, cluster.fabric.oversubscription, cluster.fabric.nic_gbit_s)
    est = estimate(job, gpus, gpu, span, bw)
    value = {
        "days": total_flops(job) / est.flops_per_s / 86400,
        "hw_tflops_per_gpu": est.achieved_tflops_per_gpu,
        "tokens_per_s_per_gpu": est.tokens_per_s / gpus,
    }[case.metric]
    return value, est


def table() -> str:
    """The comparison as a Markdown table."""
    rows = [
        "| Case | Published | colossim | colossim / published | Band | Plan (tp, pp, dp, ep, v, "
        "recompute) | Largest overhead |",
        "|---|---|---|---|---|---|---|",
    ]
    for case in CASES:
        value, est = run(case)
        p = est.plan
        plan = f"{p.tp}, {p.pp}, {p.dp}, {p.ep}, {p.interleave}, {p.recompute.value}"
        rows.append(
            f"| {case.name} | {case.published:,.0f} | {value:,.1f} | {value / case.published:.2f} "
            f"| {case.band[0]}-{case.band[1]} | {plan} | {est.breakdown.limiter} |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
