"""Does a parallel plan fit in HBM? Bytes per GPU for model state and activations.

Model state (Rajbhandari et al. 2020, ZeRO, arXiv 1910.02054): each parameter carries weight,
gradient and optimizer bytes (2 + 2 + 12 = 16 B for mixed-precision Adam). Tensor and pipeline
parallelism divide all of it; expert parallelism divides the routed-expert part; data parallelism
divides what the ZeRO stage shards (1: optimizer, 2: + gradients, 3: + weights).

Activations (Korthikanti et al. 2022, arXiv 2205.05198, with sequence parallelism whenever
tp > 1): per layer and micro-batch of b sequences, s·b·h·34/t bytes, plus 5·a·s²·b/t for stored
attention scores when attention is neither flash nor recomputed. Full recomputation stores only
each layer's input, 2·s·b·h/t, plus one layer's activations as working space. The first pipeline
stage holds min(m, p) micro-batches in flight under 1F1B (x (1 + (p−1)/(p·v)) interleaved); the
last stage also holds FP32 logits, 4·s·b·V/t.

The bytes are all a function of ``dp`` of the form ``U + V/dp + act(m)``, which decreases with dp,
so the smallest data-parallel degree that fits has a closed form (``min_dp``).
"""

from __future__ import annotations

import math

from colossim.config.schema import GpuSpec
from colossim.config.training import Recompute, TrainingConfig
from colossim.model.workload import Workload

ACT_SBH_BYTES = 34.0  # Korthikanti et al. eq. (2), per s·b·h, BF16, with sequence parallelism
SCORE_BYTES = 5.0  # per a·s²·b: softmax input/output and dropout mask
RECOMPUTE_SBH_BYTES = 2.0  # full recomputation keeps each layer's BF16 input
LOGIT_BYTES = 4.0  # FP32 logits for the loss


def capacity_bytes(gpu: GpuSpec, training: TrainingConfig) -> float:
    """HBM a plan may fill: usable HBM less the reserve for workspaces and fragmentation."""
    return gpu.hbm_usable_gb * 1e9 * (1.0 - training.hbm_reserve_fraction)


def layers_per_stage(w: Workload, pp: int) -> int:
    """Layers on the busiest stage (an uneven split leaves the first stages one layer more)."""
    return -(-w.layers // pp)


def state_terms(w: Workload, tp: int, pp: int, ep: int) -> tuple[float, float]:
    """(U, V) such that model-state bytes per GPU = U + V / dp."""
    t = w.training
    frac = layers_per_stage(w, pp) / w.layers
    per_gpu = frac * (w.dense_params / tp + w.expert_params / (tp * ep))
    shardable = frac * w.params / tp  # dense over dp, experts over dp/ep: both give P/(tp·dp)
    wb, gb, ob = t.weight_bytes_per_param, t.grad_bytes_per_param, t.optimizer_bytes_per_param
    sharded = (0.0, ob, gb + ob, wb + gb + ob)[t.zero_stage]
    return (wb + gb + ob - sharded) * per_gpu, sharded * shardable


def _per_layer(w: Workload, tp: int, b: int, recompute: Recompute) -> tuple[float, float]:
    """(stored bytes per layer per micro-batch, working bytes of one recomputed layer)."""
    s, h = w.seq_len, w.hidden
    full = ACT_SBH_BYTES * s * b * h / tp
    if recompute is Recompute.NONE and not w.training.flash_attention:
        full += SCORE_BYTES * w.heads * s * s * b / tp
    if recompute is Recompute.FULL:
        return RECOMPUTE_SBH_BYTES * s * b * h / tp, full
    return full, 0.0


def activation_bytes(
    w: Workload, tp: int, pp: int, v: int, b: int, m: float, recompute: Recompute
) -> float:
    """Activation bytes on the fuller of the first and last pipeline stages."""
    stored, working = _per_layer(w, tp, b, recompute)
    per_micro = layers_per_stage(w, pp) * stored
    logits = LOGIT_BYTES * w.seq_len * b * w.vocab / tp
    last = per_micro + logits + working
    if pp == 1:
        return last
    interleave = 1.0 + (pp - 1) / (pp * v) if v > 1 else 1.0
    first = per_micro * min(m, pp) * interleave + working
    return max(first, last)


def memory_bytes(
    w: Workload, tp: int, pp: int, ep: int, dp: int, v: int, b: int, recompute: Recompute
) -> float:
    """Peak bytes per GPU of a plan."""
    u, shard = state_terms(w, tp, pp, ep)
    m = w.batch_seqs / (dp * b)
    return u + shard / dp + activation_bytes(w, tp, pp, v, b, m, recompute)


def min_dp(
    w: Workload, tp: int, pp: int, ep: int, v: int, b: int, recompute: Recompute, cap: float
) -> int | None:
    """Smallest dp (a multiple of ep, at most batch/b) that fits ``cap`` bytes, or None.

    Bytes = U + V/dp + act, with act constant while m = B/(dp·b) >= p and proportional to m
    (so to 1/dp) on the first stage beyond that. Each regime gives dp in closed form.
    """
    dp_max = int(w.batch_seqs // b) // ep * ep
    if dp_max < ep:
        return None
    u, shard = state_terms(w, tp, pp, ep)
    stored, working = _per_layer(w, tp, b, recompute)
    per_micro = layers_per_stage(w, pp) * stored
    logits = LOGIT_BYTES * w.seq_len * b * w.vocab / tp
    last = per_micro + logits + working
    interleave = 1.0 + (pp - 1) / (pp * v) if v > 1 else 1.0
    first_full = per_micro * pp * interleave + working if pp > 1 else last

    def need(room: float, numerator: float) -> float:
        if numerator <= 0:
            return 1.0 if room >= 0 else math.inf
        return numerator / room if room > 0 else math.inf

    steady = need(cap - u - max(first_full, last), shard)
    boundary = w.batch_seqs / (b * pp)  # m >= p for dp <= boundary
    if pp == 1 or steady <= boundary:
        dp = steady
    else:  # fewer than p micro-batches in flight: first stage holds m of them
        first_slope = per_micro * interleave * w.batch_seqs / b
        dp = max(
            boundary, need(cap - u - working, shard + first_slope), need(cap - u - last, shard)
        )
    if math.isinf(dp):
        return None
    dp_int = max(ep, math.ceil(dp / ep - 1e-9) * ep)
    while dp_int <= dp_max and memory_bytes(w, tp, pp, ep, dp_int, v, b, recompute) > cap:
        dp_int += ep  # guards the rounding at a regime boundary; runs at most a step or two
    return dp_int if dp_int <= dp_max else None
