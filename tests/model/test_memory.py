"""Bytes per GPU and the minimum GPUs to fit, against hand arithmetic (ZeRO; Korthikanti)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from colossim.config.catalog import BUILTIN_GPUS
from colossim.config.schema import JobConfig
from colossim.config.training import Recompute, TrainingConfig
from colossim.model.memory import activation_bytes, memory_bytes, min_dp, state_terms
from colossim.model.performance import estimate, min_gpus
from colossim.model.workload import workload
from tests.model.perf_helpers import ROUND_GPU, small_job


def test_state_bytes_zero1() -> None:
    """1B params over tp=1, pp=4: 2.5e8 params per GPU; weights+grads 4 B each stay, the 12 B of
    Adam state are split over dp."""
    w = workload(small_job())
    u, shard = state_terms(w, tp=1, pp=4, ep=1)
    assert u == pytest.approx(4 * 2.5e8)
    assert shard / 4 == pytest.approx(12 * 2.5e8 / 4)


@pytest.mark.parametrize(
    ("stage", "kept", "sharded"), [(0, 16, 0), (1, 4, 12), (2, 2, 14), (3, 0, 16)]
)
def test_zero_stages(stage: int, kept: float, sharded: float) -> None:
    w = workload(small_job({"zero_stage": stage}))
    u, shard = state_terms(w, tp=2, pp=1, ep=1)
    assert u == pytest.approx(kept * 0.5e9)
    assert shard == pytest.approx(sharded * 0.5e9)


def test_activation_bytes_1f1b() -> None:
    """Korthikanti eq. 2 with flash attention: 34·s·b·h per layer and micro-batch. pp=4 with m=2
    micro-batches: the first stage holds min(m, p) = 2 micro-batches of its 4 layers; the last
    holds 1 micro-batch plus FP32 logits 4·s·b·V."""
    w = workload(small_job())
    per_layer = 34 * 2048 * 1 * 2048  # 142,606,336
    first = 4 * per_layer * 2
    last = 4 * per_layer + 4 * 2048 * 32000
    got = activation_bytes(w, tp=1, pp=4, v=1, b=1, m=2.0, recompute=Recompute.NONE)
    assert got == pytest.approx(max(first, last))
    total = memory_bytes(w, tp=1, pp=4, ep=1, dp=4, v=1, b=1, recompute=Recompute.NONE)
    assert total == pytest.approx(4 * 2.5e8 + 12 * 2.5e8 / 4 + first)


def test_activation_bytes_full_recompute_and_tp() -> None:
    """Full recomputation keeps 2·s·b·h per layer (÷ tp with sequence parallelism) plus one
    layer's full activations as working space."""
    w = workload(small_job())
    got = activation_bytes(w, tp=2, pp=1, v=1, b=1, m=8.0, recompute=Recompute.FULL)
    stored = 16 * 2 * 2048 * 2048 / 2
    working = 34 * 2048 * 2048 / 2
    logits = 4 * 2048 * 32000 / 2
    assert got == pytest.approx(stored + working + logits)


def test_attention_scores_without_flash() -> None:
    """Without flash attention the 5·a·s²·b score bytes per layer are stored too."""
    w = workload(small_job({"flash_attention": False}))
    got = activation_bytes(w, tp=1, pp=1, v=1, b=1, m=1.0, recompute=Recompute.NONE)
    per_layer = 34 * 2048 * 2048 + 5 * 16 * 2048 * 2048
    assert got == pytest.approx(16 * per_layer + 4 * 2048 * 32000)


def _zero3_job() -> JobConfig:
    return JobConfig(
        name="z3", params_billion=8, tokens_billion=1, max_gpus=64,
        training=TrainingConfig(
            layers=32, hidden_size=4096, attention_heads=32, seq_len_tokens=2048,
            vocab_size=32000, global_batch_tokens=64 * 2048, zero_stage=3, recompute="full",
        ),
    )


def test_min_gpus_by_hand() -> None:
    """ZeRO-3 shards all 16 B/param: 8e9 x 16 B = 128 GB over the GPUs. Capacity is 80 GB less
    the 10% reserve = 72 GB. One GPU cannot hold 128 GB; on two, each holds 64 GB of state and the
    activations (full recompute, tp=1: 32 x 2·2048·4096 + one layer 34·2048·4096 + logits
    4·2048·32000, about 1.09 GB) fit in the 8 GB left."""
    job = _zero3_job()
    acts = 32 * 2 * 2048 * 4096 + 34 * 2048 * 4096 + 4 * 2048 * 32000
    assert 128e9 / 2 + acts <= 72e9 < 128e9
    assert min_gpus(job, ROUND_GPU) == 2
    est = estimate(job, 2, ROUND_GPU)  # and the plan search agrees that 2 GPUs fit
    assert est.plan.gpus_used == 2


def test_min_dp_is_the_smallest_fitting() -> None:
    w = workload(_zero3_job())
    cap = 72e9
    dp = min_dp(w, 1, 1, 1, 1, 1, Recompute.FULL, cap)
    assert dp == 2
    assert memory_bytes(w, 1, 1, 1, dp, 1, 1, Recompute.FULL) <= cap
    assert memory_bytes(w, 1, 1, 1, dp - 1, 1, 1, Recompute.FULL) > cap


@settings(max_examples=40, deadline=None)
@given(
    params=st.floats(1, 12000),
    active_frac=st.sampled_from([1.0, 0.5, 0.1]),
    zero=st.integers(0, 3),
    batch_exp=st.integers(22, 27),
)
def test_gb300_never_needs_more_gpus_than_gb200(
    params: float, active_frac: float, zero: int, batch_exp: int
) -> None:
    job = JobConfig(
        name="p", params_billion=params, active_params_billion=params * active_frac,
        tokens_billion=1, max_gpus=10**6,
        training=TrainingConfig(zero_stage=zero, global_batch_tokens=2**batch_exp, moe_experts=64,
                                moe_top_k=2),
    )
    on_gb200 = min_gpus(job, BUILTIN_GPUS["GB200"])
    on_gb300 = min_gpus(job, BUILTIN_GPUS["GB300"])
    if on_gb200 is not None:
        assert on_gb300 is not None and on_gb300 <= on_gb200


@settings(max_examples=40, deadline=None)
@given(
    tp=st.sampled_from([1, 2, 4, 8]), pp=st.sampled_from([1, 2, 3, 4, 8, 16]),
    zero=st.integers(0, 3), rc=st.sampled_from(list(Recompute)[1:]),
    v=st.sampled_from([1, 2]), cap_gb=st.floats(1, 200),
)
def test_min_dp_closed_form_against_scan(
    tp: int, pp: int, zero: int, rc: Recompute, v: int, cap_gb: float
) -> None:
    """The closed-form minimum equals the first dp of a plain scan that fits."""
    w = workload(_zero3_job().model_copy(
        update={"training": TrainingConfig(layers=32, hidden_size=4096, zero_stage=zero,
                                           global_batch_tokens=64 * 8192)}))
    cap = cap_gb * 1e9
    got = min_dp(w, tp, pp, 1, v, 1, rc, cap)
    fits = [dp for dp in range(1, 65) if memory_bytes(w, tp, pp, 1, dp, v, 1, rc) <= cap]
    scan = fits[0] if fits else None
    assert got == scan
