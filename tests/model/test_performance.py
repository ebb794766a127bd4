"""Step times of small plans, worked by hand from the formulas in docs/model.md.

The job (tests/model/perf_helpers.py): N = 1e9, l = 16, h = 2048, s = 2048, batch 8 sequences
(16,384 tokens), no recomputation, BF16. The GPU: 1,000 TFLOP/s, NVLink 450 GB/s, NIC 50 GB/s,
8 GPUs per NVLink domain. Default kernel efficiency 0.7, DP overlap 0.9, ZeRO-1.
"""

from __future__ import annotations

import pytest

from colossim.config.training import TrainingConfig
from colossim.model.performance import (
    DoesNotFit,
    Span,
    TierBandwidth,
    estimate,
    estimate_grant,
    estimate_mixed,
    throughput,
    time_to_train_s,
)
from tests.model.perf_helpers import ROUND_GPU, small_job

TOKENS = 8 * 2048
PER_TOKEN = 6e9 + 12 * 16 * 2048 * 2048  # 6N + 12·l·h·s = 6.805306368e9
ONE_GPU_COMPUTE = TOKENS * PER_TOKEN / (1000e12 * 0.7)  # 0.159281... s
MSG = 2 * 1 * 2048 * 2048  # one micro-batch's activations in BF16: 2·b·s·h bytes


def test_one_gpu_is_pure_compute() -> None:
    est = estimate(small_job(), 1, ROUND_GPU)
    assert est.step_time_s == pytest.approx(ONE_GPU_COMPUTE, rel=1e-9)
    assert est.breakdown.compute_s == pytest.approx(ONE_GPU_COMPUTE, rel=1e-9)
    # MFU = model FLOP/s over peak = kernel efficiency when nothing else costs time
    assert est.mfu == pytest.approx(0.7)
    assert est.tokens_per_s == pytest.approx(TOKENS / ONE_GPU_COMPUTE)


def test_tensor_parallel_eight() -> None:
    """tp=8 in one domain: 8 micro-batches x 16 layers x 4 all-reduces of 2·b·s·h bytes, each
    costing 2(t−1)/t · bytes / 450 GB/s."""
    job = small_job({"plan": {"tp": 8, "pp": 1, "dp": 1}})
    est = estimate(job, 8, ROUND_GPU)
    tp = 8 * 16 * 4 * (2 * 7 / 8) * MSG / 450e9  # 0.0167026 s
    compute = ONE_GPU_COMPUTE / 8
    assert est.breakdown.tp_s == pytest.approx(tp, rel=1e-9)
    assert est.step_time_s == pytest.approx(compute + tp, rel=1e-9)
    assert est.breakdown.limiter == "tp"


def test_pipeline_and_data_parallel_over_two_domains() -> None:
    """tp=1, pp=4, dp=4 on 16 GPUs in two racks: each domain holds two whole pipelines.

    m = 8 / 4 = 2 micro-batches; bubble = (p−1) x one micro-batch; p2p = 2 sends of 2·b·s·h per
    micro-batch over NVLink. DP (ZeRO-1): reduce-scatter 2 B grads + all-gather 2 B weights of
    2.5e8 params = 1 GB; 2 DP ranks per domain, so half of it crosses NVLink and the other half
    goes out over each rank's own 50 GB/s NIC split two ways; 90% of it may hide, but no more
    than one micro-batch of compute.
    """
    job = small_job({"plan": {"tp": 1, "pp": 4, "dp": 4, "interleave": 1}})
    est = estimate(job, 16, ROUND_GPU, Span(racks=2, pods=1))
    compute = ONE_GPU_COMPUTE / 16
    micro = compute / 2
    bubble = 3 * micro
    p2p = 2 * 1 * 2 * MSG / 450e9
    dp_raw = 0.5 * 1e9 / 450e9 + 0.5 * (1e9 / 2) / 50e9
    dp = dp_raw - min(0.9 * dp_raw, micro)
    assert est.plan.pipeline_in_domain
    b = est.breakdown
    assert b.compute_s == pytest.approx(compute, rel=1e-9)
    assert b.pp_bubble_s == pytest.approx(bubble, rel=1e-9)
    assert b.pp_p2p_s == pytest.approx(p2p, rel=1e-9)
    assert b.dp_s == pytest.approx(dp, rel=1e-9)
    assert est.step_time_s == pytest.approx(compute + bubble + p2p + dp, rel=1e-9)


def test_interleaving_divides_the_bubble() -> None:
    """Interleaved 1F1B with v = 2 chunks (needs m >= p: pp=4, dp=2 gives m = 4): bubble
    (p−1)/v micro-batches, p2p sends twice as often."""
    job = small_job({"plan": {"tp": 1, "pp": 4, "dp": 2, "interleave": 2}})
    est = estimate(job, 8, ROUND_GPU)
    micro = ONE_GPU_COMPUTE / 8 / 4
    assert est.breakdown.pp_bubble_s == pytest.approx(3 / 2 * micro, rel=1e-9)
    assert est.breakdown.pp_p2p_s == pytest.approx(2 * 2 * 4 * MSG / 450e9, rel=1e-9)
    pinned_m_too_small = small_job({"plan": {"tp": 1, "pp": 4, "dp": 4, "interleave": 2}})
    with pytest.raises(DoesNotFit):
        estimate(pinned_m_too_small, 16, ROUND_GPU, Span(racks=2))


def test_cross_pod_uses_the_oversubscribed_tier() -> None:
    """The same plan spread over two pods at 1:4: the NIC leg of DP runs at 12.5 GB/s."""
    job = small_job({"plan": {"tp": 1, "pp": 4, "dp": 4, "interleave": 1}})
    bw = TierBandwidth.from_gpu(ROUND_GPU, oversubscription=4.0)
    assert bw.cross_pod_gbytes_s == pytest.approx(12.5)
    est = estimate(job, 16, ROUND_GPU, Span(racks=2, pods=2), bw)
    micro = ONE_GPU_COMPUTE / 16 / 2
    dp_raw = 0.5 * 1e9 / 450e9 + 0.5 * (1e9 / 2) / 12.5e9
    assert est.breakdown.dp_s == pytest.approx(dp_raw - min(0.9 * dp_raw, micro), rel=1e-9)
    in_pod = estimate(job, 16, ROUND_GPU, Span(racks=2, pods=1), bw)
    assert est.step_time_s > in_pod.step_time_s


def test_full_recompute_costs_8n_and_six_all_reduces() -> None:
    job = small_job({"recompute": "full", "plan": {"tp": 8, "pp": 1, "dp": 1}})
    est = estimate(job, 8, ROUND_GPU)
    hw_per_token = 8e9 + 16 * 16 * 2048 * 2048
    compute = TOKENS * hw_per_token / (8 * 1000e12 * 0.7)
    tp = 8 * 16 * 6 * (2 * 7 / 8) * MSG / 450e9
    assert est.step_time_s == pytest.approx(compute + tp, rel=1e-9)
    # the job's rate is in model FLOPs; hardware TFLOP/s count the recomputed forward too
    assert est.flops_per_s == pytest.approx(TOKENS * PER_TOKEN / (compute + tp), rel=1e-9)
    assert est.achieved_tflops_per_gpu == pytest.approx(
        TOKENS * hw_per_token / (compute + tp) / 8 / 1e12, rel=1e-9
    )


def test_fp8_linear_layers_bf16_attention() -> None:
    """FP8 runs the linear layers at the FP8 peak; attention stays at the BF16 peak."""
    est = estimate(small_job(precision="fp8"), 1, ROUND_GPU)
    compute = TOKENS * (6e9 / 2000e12 + 12 * 16 * 2048 * 2048 / 1000e12) / 0.7
    assert est.step_time_s == pytest.approx(compute, rel=1e-9)
    assert est.mfu == pytest.approx(TOKENS * PER_TOKEN / compute / 2000e12, rel=1e-9)


def test_pinned_achieved_tflops_is_exact() -> None:
    """With a pinned 140 TFLOP/s per GPU (hardware FLOPs, full recompute), time to train is
    tokens x (8N + 16·l·h·s) / (GPUs x 140e12), whatever plan the search picks."""
    job = small_job({"recompute": "full", "achieved_tflops_per_gpu": 140.0}, tokens_billion=30)
    expected = 30e9 * (8e9 + 16 * 16 * 2048 * 2048) / (64 * 140e12)
    got = time_to_train_s(job, 64, ROUND_GPU, Span(racks=8, pods=1))
    assert got == pytest.approx(expected, rel=1e-3)
    assert estimate(job, 64, ROUND_GPU, Span(racks=8)).achieved_tflops_per_gpu == pytest.approx(140)


def test_pinned_mfu_is_exact() -> None:
    job = small_job({"mfu": 0.4}, tokens_billion=30)
    expected = 30e9 * PER_TOKEN / (64 * 0.4 * 1000e12)
    assert time_to_train_s(job, 64, ROUND_GPU, Span(racks=8)) == pytest.approx(expected, rel=1e-3)
    est = estimate(job, 64, ROUND_GPU, Span(racks=8))
    assert est.mfu == pytest.approx(0.4)
    assert est.breakdown.total_s == pytest.approx(est.step_time_s)


def test_mixed_gpu_types_run_at_the_slower_pace() -> None:
    slow = ROUND_GPU.model_copy(update={"bf16_tflops": 500.0})
    job = small_job({"plan": {"tp": 1, "pp": 1, "dp": 2}})
    mixed = estimate_mixed(job, ((ROUND_GPU, 1), (slow, 1)), Span(racks=2))
    all_slow = estimate(job, 2, slow, Span(racks=2))
    assert mixed.step_time_s == pytest.approx(all_slow.step_time_s, rel=1e-9)
    assert mixed.step_time_s > estimate(job, 2, ROUND_GPU, Span(racks=2)).step_time_s
    by_name = estimate_grant(job, {"slow": 1, "fast": 1}, {"fast": ROUND_GPU, "slow": slow},
                             Span(racks=2))
    assert by_name == mixed


def test_does_not_fit_and_zero_throughput() -> None:
    job = small_job({"plan": {"tp": 1, "pp": 1, "dp": 16}})  # 8 sequences cannot feed 16 replicas
    with pytest.raises(DoesNotFit):
        estimate(job, 16, ROUND_GPU)
    assert throughput(job, 16, ROUND_GPU) == 0.0


def test_extra_gpus_beyond_the_batch_stay_idle() -> None:
    """8 sequences, tp <= 8: at most 64 GPUs do work; 128 GPUs give the same step."""
    job = small_job()
    a = estimate(job, 64, ROUND_GPU, Span(racks=8))
    b = estimate(job, 128, ROUND_GPU, Span(racks=16))
    assert b.plan.gpus_used <= 64
    assert b.step_time_s <= a.step_time_s
    assert b.mfu < a.mfu  # idle GPUs count against utilisation


def test_training_config_rejects_two_pins() -> None:
    with pytest.raises(ValueError, match="either mfu"):
        TrainingConfig(mfu=0.4, achieved_tflops_per_gpu=100)


def test_moe_expert_gemms_are_memory_bound_when_tokens_per_expert_are_few() -> None:
    """4B total, 1B active, 64 experts, top-2: e = 3e9/62 per expert, routed 64e, active 2e.
    256-token sequences, 8 per batch, one GPU: each expert GEMM sees 256·2/64 = 8 tokens, so
    reading the expert weights (fwd, dgrad, wgrad: 3 x 2 B per parameter, per micro-batch) at
    3 TB/s takes longer than their FLOPs: compute = dense FLOPs + max(expert FLOPs, reads)."""
    job = small_job(
        {"seq_len_tokens": 256, "global_batch_tokens": 8 * 256, "moe_experts": 64, "moe_top_k": 2},
        params_billion=4.0, active_params_billion=1.0,
    )
    est = estimate(job, 1, ROUND_GPU)
    e = 3e9 / 62
    dense = 2048 * (6 * (1e9 - 2 * e) + 12 * 16 * 2048 * 256) / (1000e12 * 0.7)
    expert_flops = 2048 * 6 * 2 * e / (1000e12 * 0.7)
    reads = 8 * 3 * 2 * 64 * e / 3e12
    assert reads > expert_flops
    assert est.step_time_s == pytest.approx(dense + reads, rel=1e-9)


def test_expert_parallel_all_to_all() -> None:
    """ep=8 inside one domain, m = 1: per layer 4 all-to-alls (dispatch and combine, forward and
    backward) of each token's 2·h bytes to k = 2 experts, costing (e−1)/e · bytes / 450 GB/s."""
    job = small_job(
        {"moe_experts": 16, "moe_top_k": 2, "plan": {"tp": 1, "pp": 1, "dp": 8, "ep": 8}},
        params_billion=4.0, active_params_billion=1.0,
    )
    est = estimate(job, 8, ROUND_GPU)
    a2a = 1 * 16 * 4 * (7 / 8) * (2 * 1 * 2048 * 2048 * 2) / 450e9
    assert est.breakdown.ep_s == pytest.approx(a2a, rel=1e-9)
