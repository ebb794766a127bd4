"""Small jobs and GPU types with round numbers, so the tests can do the arithmetic by hand."""

from __future__ import annotations

from typing import Any

from colossim.config.schema import GpuSpec, JobConfig
from colossim.config.training import TrainingConfig

# A made-up GPU: 1,000 dense BF16 TFLOP/s, 80 GB, NVLink 450 GB/s, NIC 400 Gb/s, 8 per domain.
ROUND_GPU = GpuSpec(
    bf16_tflops=1000.0,
    fp8_tflops=2000.0,
    hbm_gb=80.0,
    hbm_usable_gb=80.0,
    hbm_tbytes_s=3.0,
    nvlink_gbytes_s=450.0,
    nic_gbit_s=400.0,
    tdp_w=700.0,
    idle_w=100.0,
    gpus_per_domain=8,
    gpus_per_rack=8,
    rack_overhead_w=1000.0,
)


def small_job(training: dict[str, Any] | None = None, **job: Any) -> JobConfig:
    """A 1B dense model (16 layers x 2048 wide, 16 heads), 2,048-token sequences, 8 per batch."""
    base: dict[str, Any] = {
        "layers": 16,
        "hidden_size": 2048,
        "attention_heads": 16,
        "seq_len_tokens": 2048,
        "vocab_size": 32000,
        "global_batch_tokens": 8 * 2048,
        "recompute": "none",
    }
    base.update(training or {})
    fields: dict[str, Any] = {
        "name": "small",
        "params_billion": 1.0,
        "tokens_billion": 1.0,
        "max_gpus": 1024,
        "training": TrainingConfig(**base),
    }
    fields.update(job)
    return JobConfig(**fields)
