"""Work per token and the derived model shape, against hand arithmetic (Kaplan; Megatron)."""

from __future__ import annotations

import pytest

from colossim.config.schema import JobConfig
from colossim.config.training import Recompute, TrainingConfig
from colossim.model.workload import derive_shape, expert_split, total_flops, workload
from tests.model.perf_helpers import small_job


def test_flops_per_token_dense() -> None:
    w = workload(small_job())
    # 6N + 12·l·h·s = 6e9 + 12·16·2048·2048
    assert w.model_flops_per_token == pytest.approx(6e9 + 805_306_368)
    # full recomputation: 8N + 16·l·h·s
    full = w.linear_flops_per_token(Recompute.FULL) + w.attention_flops_per_token(Recompute.FULL)
    assert full == pytest.approx(8e9 + 1_073_741_824)
    # selective recomputes only the attention core: 6N + 16·l·h·s
    sel = w.linear_flops_per_token(Recompute.SELECTIVE)
    sel += w.attention_flops_per_token(Recompute.SELECTIVE)
    assert sel == pytest.approx(6e9 + 1_073_741_824)


def test_total_flops_is_tokens_times_model_flops() -> None:
    job = small_job()
    assert total_flops(job) == pytest.approx(1e9 * (6e9 + 805_306_368))


def test_gpt3_six_nd_matches_published_compute() -> None:
    """GPT-3: 175B params x 300B tokens ~ 3.14e23 FLOPs (6ND = 3.15e23); the attention term
    with s = 2048 adds 12·96·12288·2048 per token, about 2.8% (the published figure omits it)."""
    job = JobConfig(
        name="gpt3", params_billion=175, tokens_billion=300, max_gpus=1024,
        training=TrainingConfig(layers=96, hidden_size=12288, seq_len_tokens=2048),
    )
    six_nd = 6 * 175e9 * 300e9
    attention = 12 * 96 * 12288 * 2048 * 300e9
    assert total_flops(job) == pytest.approx(six_nd + attention)
    assert six_nd / 3.14e23 == pytest.approx(1.0, abs=0.01)
    assert attention / six_nd == pytest.approx(2.899e10 / 1.05e12, rel=1e-3)  # 2.8%


def test_moe_counts_active_for_flops_and_total_for_memory() -> None:
    job = JobConfig(
        name="moe", params_billion=671, active_params_billion=37, tokens_billion=1,
        max_gpus=1024, training=TrainingConfig(moe_experts=256, moe_top_k=8),
    )
    w = workload(job)
    assert w.linear_flops_per_token(Recompute.NONE) == pytest.approx(6 * 37e9)
    assert w.params == pytest.approx(671e9)
    # e = (671 - 37) / (256 - 8) billion per expert; routed = 256 e
    assert w.expert_params == pytest.approx(256 * (634e9 / 248))
    assert w.dense_params == pytest.approx(671e9 - 256 * (634e9 / 248))


def test_expert_split_rejects_too_few_active() -> None:
    with pytest.raises(ValueError, match="moe_top_k"):
        expert_split(1000e9, 10e9, experts=16, top_k=4)  # 4 experts of 66B > 10B active


def test_derived_shape_matches_published_models() -> None:
    # GPT-3 175B is 96 x 12288; Llama 3 405B is 126 x 16384 (embeddings make N slightly larger)
    layers, hidden = derive_shape(175e9, None, None)
    assert hidden == 12288
    assert layers == round(175e9 / (12 * 12288**2))  # 97
    layers, hidden = derive_shape(405e9, None, None)
    assert hidden == 16384
    assert abs(layers - 126) <= 1


def test_image_job_flops_per_sample() -> None:
    """A diffusion transformer: every latent patch passes every parameter, so FLOPs per sample =
    patches x (6N + 12·l·h·s) with s = patches per sample."""
    job = JobConfig(
        name="img", kind="image", params_billion=2, samples_million=1, tokens_per_sample=1024,
        max_gpus=64, training=TrainingConfig(layers=24, hidden_size=2560),
    )
    w = workload(job)
    per_token = 6 * 2e9 + 12 * 24 * 2560 * 1024
    assert w.seq_len == 1024
    assert total_flops(job) == pytest.approx(1e6 * 1024 * per_token)


def test_trace_jobs_have_no_model() -> None:
    job = JobConfig(name="t", work_gpu_hours=10, reference_gpu="H100", max_gpus=8)
    with pytest.raises(ValueError, match="params_billion"):
        workload(job)
