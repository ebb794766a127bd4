"""Parallel plans and their step time: compute plus the communication that is not hidden.

Rank layout, innermost first: [TP, EP, PP, DP/EP] (Llama 3 s3.3.2 orders [TP, CP, PP, DP]; EP
is carved out of DP as in Megatron-Core). TP and EP groups stay inside one NVLink domain; a
pipeline either fits in one domain ("aligned", whole replicas per domain) or spans domains with
its stage boundaries on the scale-out NICs; DP spans everything else.

Step time (one optimizer step, ``m`` micro-batches per replica; ``docs/model.md`` has each term):

    compute  = B·(F_lin/peak + F_att/peak_bf16) / (gpus_used·kernel_eff) · stage_imbalance,
               routed experts at max(their FLOPs, m x their weight reads / HBM) (roofline)
    tp       = m·L_s·n_ar·2(t−1)/t·(2·b·s·h) / BW_nvlink                    (Megatron, 4 or 6 AR)
    ep       = m·L_s·n_a2a·(e−1)/e·(2·b·s·h·k/t) / BW_nvlink                (all-to-all)
    bubble   = (p−1)/v · t_micro,  t_micro = (compute + tp + ep)/m           ((p−1)/(m+p−1))
    p2p      = 2·v·m·(2·b·s·h/t) / BW_pp
    dp       = ring reduce-scatter/all-gather, two-level when a domain holds several DP ranks,
               exposed = dp − min(overlap·dp, t_micro)

Every term is linear in 1/dp or constant, except the DP terms which are convex in 1/dp; the search
in ``search.py`` relies on that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from colossim.config.schema import GpuSpec, Precision
from colossim.config.training import Recompute
from colossim.model.memory import layers_per_stage
from colossim.model.workload import Workload

GEMM_WEIGHT_BYTES = {Precision.BF16: 2.0, Precision.FP8: 1.0, Precision.FP4: 0.5}
ACT_BYTES = 2.0  # activations and their gradients travel in BF16, whatever the GEMM precision
MAX_TP = 64  # largest TP tried: beyond 64 the per-rank GEMMs are too thin (Megatron: TP <= 8)
INTERLEAVES = (1, 2, 4, 8)


@dataclass(frozen=True)
class Span:
    """Where a job's GPUs sit: how many racks and how many pods (leaf/spine blocks) it touches."""

    racks: int = 1
    pods: int = 1
    # GPUs in the job's least-filled rack when it spans several racks and that one holds less
    # than an NVLink domain (0: every rack holds a domain or more). Its DP ranks share NVLink
    # with fewer peers, so more of a ring's bytes cross the NICs, and a synchronous collective
    # goes at its slowest domain's pace.
    fewest: int = 0
    gpus: int = 0  # GPUs in the grant (0: not known), so a plan that leaves fewest out is seen

    def __post_init__(self) -> None:
        if self.racks < 1 or self.pods < 1 or self.pods > self.racks or self.fewest < 0:
            raise ValueError(f"bad span: {self.racks} racks over {self.pods} pods, "
                             f"fewest {self.fewest}")

    def short_rack_used(self, used: int) -> bool:
        """Does a plan on ``used`` GPUs need the least-filled rack? Not when the others hold
        it: 70 GPUs of a 72 + 4 grant fit the full rack, and the 4 stay idle."""
        return bool(self.fewest) and (not self.gpus or used > self.gpus - self.fewest)

    def domain(self, gpus_per_domain: int, used: int = 0) -> int:
        """The GPUs a DP group may find in one domain, as placed: a full domain, or fewer in
        the least-filled rack of a job spread over several, when its plan (on ``used`` GPUs;
        0: all of them) needs that rack."""
        if used and not self.short_rack_used(used):
            return gpus_per_domain
        return min(gpus_per_domain, self.fewest) if self.fewest else gpus_per_domain


@dataclass(frozen=True)
class TierBandwidth:
    """Bandwidth per GPU per direction (GB/s) on each network tier available to one job.

    The seam for the fabric model: pass contended figures here instead of the nominal ones.
    """

    intra_domain_gbytes_s: float  # NVLink, inside one scale-up domain
    intra_pod_gbytes_s: float  # scale-out NIC, inside one pod
    cross_pod_gbytes_s: float  # scale-out NIC through the oversubscribed pod uplinks

    def __post_init__(self) -> None:
        if min(self.intra_domain_gbytes_s, self.intra_pod_gbytes_s, self.cross_pod_gbytes_s) <= 0:
            raise ValueError("tier bandwidths must be positive")

    @classmethod
    def from_gpu(
        cls, gpu: GpuSpec, oversubscription: float = 1.0, nic_gbit_s: float | None = None
    ) -> TierBandwidth:
        """Nominal tiers: NVLink per direction, NIC Gb/s ÷ 8, and that ÷ the oversubscription."""
        nic = (nic_gbit_s or gpu.nic_gbit_s) / 8.0
        return cls(gpu.nvlink_gbytes_s, nic, nic / oversubscription)

    def slowest(self, other: TierBandwidth) -> TierBandwidth:
        """Tier by tier minimum, for a job over two GPU types."""
        return TierBandwidth(
            min(self.intra_domain_gbytes_s, other.intra_domain_gbytes_s),
            min(self.intra_pod_gbytes_s, other.intra_pod_gbytes_s),
            min(self.cross_pod_gbytes_s, other.cross_pod_gbytes_s),
        )


@dataclass(frozen=True)
class ParallelPlan:
    """A concrete plan. ``dp`` counts replicas of the dense layers (EP ranks are among them)."""

    tp: int
    pp: int
    dp: int
    ep: int
    micro_batch_size: int
    microbatches: float  # per replica per step; fractional when dp does not divide the batch
    interleave: int
    recompute: Recompute
    pipeline_in_domain: bool  # whole pipelines packed per NVLink domain

    @property
    def gpus_used(self) -> int:
        return self.tp * self.pp * self.dp


@dataclass(frozen=True)
class StepBreakdown:
    """Seconds per optimizer step, by cause. Communication terms are the exposed part only."""

    compute_s: float
    tp_s: float
    pp_bubble_s: float
    pp_p2p_s: float
    dp_s: float
    ep_s: float

    @property
    def total_s(self) -> float:
        return self.compute_s + self.tp_s + self.pp_bubble_s + self.pp_p2p_s + self.dp_s + self.ep_s

    @property
    def limiter(self) -> str:
        """The largest overhead beyond compute ('none' if there is none)."""
        overheads = {
            "tp": self.tp_s,
            "pp_bubble": self.pp_bubble_s + self.pp_p2p_s,
            "dp": self.dp_s,
            "ep": self.ep_s,
        }
        name = max(overheads, key=overheads.__getitem__)
        return name if overheads[name] > 0 else "none"

    def scaled(self, factor: float) -> StepBreakdown:
        return StepBreakdown(*(factor * x for x in self._values()))

    def _values(self) -> tuple[float, ...]:
        return (self.compute_s, self.tp_s, self.pp_bubble_s, self.pp_p2p_s, self.dp_s, self.ep_s)


# ---------------------------------------------------------------------------------------------
# placement arithmetic
# ---------------------------------------------------------------------------------------------


def blocks_available(gpus: Any, block: Any, domain: Any) -> Any:
    """Blocks of ``block`` GPUs that fit when no block may straddle an NVLink domain (ints,
    or numpy arrays of the plan search's shapes)."""
    return (gpus // domain) * (domain // block) + (gpus % domain) // block


def gpus_for_blocks(blocks: Any, block: Any, domain: Any) -> Any:
    """Fewest GPUs (compactly placed) that hold ``blocks`` domain-aligned blocks; numpy arrays
    of the plan search's shapes (an infinite count of blocks, a shape that never fits, needs
    infinitely many GPUs; floor division would make it NaN)."""
    per_domain = np.floor(domain / block)
    full = np.floor((blocks - 1) / per_domain)
    return full * domain + (blocks - full * per_domain) * block


def dp_per_domain(tp: int, ep: int, pp: int, aligned: bool, domain: int) -> tuple[int, int]:
    """DP ranks of one (dense, expert) DP group that share an NVLink domain."""
    replicas = domain // (tp * ep * pp) if aligned else 1
    return ep * max(1, replicas), max(1, replicas)


def ranks_per_domain(plan: ParallelPlan, gpus_per_domain: int, span: Span) -> tuple[int, int]:
    """DP ranks of one (dense, expert) DP group sharing an NVLink domain where ``span`` puts
    the job: all of them when it fits one domain, else as many as its least-filled one holds."""
    if span.racks == 1 and plan.gpus_used <= gpus_per_domain:
        return plan.dp, max(1, plan.dp // plan.ep)  # the whole job inside one domain
    return dp_per_domain(plan.tp, plan.ep, plan.pp, plan.pipeline_in_domain,
                         span.domain(gpus_per_domain, plan.gpus_used))


def tp_candidates(w: Workload, domain: int) -> list[int]:
    """Powers of two up to min(domain, 64) that divide the heads (and so the width) and the
    key/value heads: Megatron-Core gives each TP rank whole key/value groups, so a model with
    8 (Llama 3.1 405B) runs at TP 8 at most (QA: the search took TP 16-64 for it)."""
    out, tp = [], 1
    while tp <= min(domain, MAX_TP):
        if w.heads % tp == 0 and w.kv_heads % tp == 0:
            out.append(tp)
        tp *= 2
    return out


def ep_candidates(w: Workload, tp: int, domain: int) -> list[int]:
    """Powers of two dividing the expert count, with tp·ep inside one domain."""
    if not w.moe:
        return [1]
    out, ep = [], 1
    while ep <= w.training.moe_experts and tp * ep <= domain:
        if w.training.moe_experts % ep == 0:
            out.append(ep)
        ep *= 2
    return out


def pp_candidates(w: Workload) -> list[int]:
    """Divisors of the layer count and powers of two below it (an uneven split costs imbalance)."""
    n = w.layers
    out = {d for d in range(1, n + 1) if n % d == 0}
    p = 1
    while p <= n:
        out.add(p)
        p *= 2
    return sorted(out)


# ---------------------------------------------------------------------------------------------
# step time
# ---------------------------------------------------------------------------------------------


def reduce_scatter_s(nbytes: float, n: float, per_domain: int, intra: float, nic: float) -> float:
    """Two-level ring reduce-scatter (or all-gather) of ``nbytes`` per rank over ``n`` ranks.

    ``per_domain`` ranks share an NVLink domain: (k−1)/k of the bytes move over NVLink, then each
    of the k ranks carries 1/k of the rest over its own NIC among n/k domains (nccl-tests busbw:
    a ring costs (n−1)/n · S / B). Bandwidths in bytes/s; n is treated as continuous.
    """
    if n <= 1:
        return 0.0
    k = min(float(per_domain), n)
    outer = n / k
    return (k - 1) / k * nbytes / intra + (outer - 1) / outer * nbytes / k / nic


def dp_comm_s(
    w: Workload, plan: ParallelPlan, intra: float, nic: float, per_domain: tuple[int, int]
) -> float:
    """Raw DP time per step: ZeRO 0 all-reduces gradients; 1-2 reduce-scatter them and all-gather
    weights; 3 all-gathers weights twice (forward and backward)."""
    t = w.training
    frac = layers_per_stage(w, plan.pp) / w.layers
    dense = frac * w.dense_params / plan.tp
    expert = frac * w.expert_params / (plan.tp * plan.ep)
    passes_grad, passes_weight = ((2, 0), (1, 1), (1, 1), (1, 2))[t.zero_stage]
    nbytes = passes_grad * t.grad_bytes_per_param, passes_weight * t.weight_bytes_per_param
    total = 0.0
    groups = ((dense, plan.dp, per_domain[0]), (expert, plan.dp / plan.ep, per_domain[1]))
    for params, n, k in groups:
        if params > 0:
            for passes_bytes in nbytes:
                if passes_bytes:
                    total += reduce_scatter_s(passes_bytes * params, n, k, intra, nic)
    return total


def expert_weight_reads(w: Workload, rc: Recompute) -> float:
    """Bytes read per expert parameter per micro-batch: forward, data-gradient and
    weight-gradient GEMMs (and the recomputed forward), each with the GEMM-precision copy."""
    return (4 if rc is Recompute.FULL else 3) * GEMM_WEIGHT_BYTES[w.precision]


def core_terms(
    w: Workload, gpu: GpuSpec, bw: TierBandwidth, plan: ParallelPlan, cross_pod: bool = False
) -> tuple[float, float, float, float, float]:
    """(compute, tp, ep, bubble, p2p) seconds per step: every term but DP (module docstring).
    ``cross_pod``: the job spans pods, so a pipeline that leaves its domain sends through the
    pod uplinks at their (oversubscribed) rate, as DP does: the static model's worst case
    (QA: at 1:16 a pipeline across pods was not slowed, and the plan search chose 159-stage
    pipelines to dodge the oversubscription)."""
    t = w.training
    rc = plan.recompute
    s, h, b = w.seq_len, w.hidden, plan.micro_batch_size
    m = plan.microbatches
    tp, pp, ep, v = plan.tp, plan.pp, plan.ep, plan.interleave
    stage_layers = layers_per_stage(w, pp)
    imbalance = stage_layers * pp / w.layers
    peak = gpu.peak_tflops(w.precision) * 1e12
    peak16 = gpu.bf16_tflops * 1e12
    expert = w.expert_flops_per_token(rc)
    flops_time = (w.linear_flops_per_token(rc) - expert) / peak + (
        w.attention_flops_per_token(rc) / peak16
    )
    compute = w.batch_tokens * flops_time / (plan.gpus_used * t.kernel_efficiency) * imbalance
    if expert > 0:  # roofline: expert GEMMs see few tokens each and may wait on their weights
        expert_s = w.batch_tokens * expert / (peak * plan.gpus_used * t.kernel_efficiency)
        weights_s = m * expert_weight_reads(w, rc) * stage_layers / w.layers * w.expert_params / (
            tp * ep * gpu.hbm_tbytes_s * 1e12
        )
        compute += max(expert_s * imbalance, weights_s)

    nvlink = bw.intra_domain_gbytes_s * 1e9
    collectives = 6 if rc is Recompute.FULL else 4  # the recomputed forward repeats its own
    tp_s = 0.0
    if tp > 1:
        per_layer = collectives * 2 * (tp - 1) / tp * ACT_BYTES * b * s * h / nvlink
        tp_s = (1 - t.tp_overlap_fraction) * m * stage_layers * per_layer
    ep_s = 0.0
    if ep > 1:
        msg = ACT_BYTES * b * s * h * t.moe_top_k / tp
        per_layer = collectives * (ep - 1) / ep * msg / nvlink
        ep_s = (1 - t.ep_overlap_fraction) * m * stage_layers * per_layer

    bubble = (pp - 1) / v * (compute + tp_s + ep_s) / m
    p2p = 0.0
    if pp > 1:
        nic = bw.cross_pod_gbytes_s if cross_pod else bw.intra_pod_gbytes_s
        link = nvlink if plan.pipeline_in_domain else nic * 1e9
        p2p = (1 - t.pp_overlap_fraction) * 2 * v * m * ACT_BYTES * b * s * h / tp / link
    return compute, tp_s, ep_s, bubble, p2p


def step_breakdown(
    w: Workload, gpu: GpuSpec, plan: ParallelPlan, bw: TierBandwidth, span: Span
) -> StepBreakdown:
    """Seconds per step of ``plan`` on ``gpu`` with ``bw`` per tier (formulas: module docstring)."""
    compute, tp_s, ep_s, bubble, p2p = core_terms(w, gpu, bw, plan, cross_pod=span.pods > 1)
    micro = (compute + tp_s + ep_s) / plan.microbatches
    nic = (bw.cross_pod_gbytes_s if span.pods > 1 else bw.intra_pod_gbytes_s) * 1e9
    per_domain = ranks_per_domain(plan, gpu.gpus_per_domain, span)
    dp_raw = dp_comm_s(w, plan, bw.intra_domain_gbytes_s * 1e9, nic, per_domain)
    dp_s = dp_raw - min(w.training.dp_overlap_fraction * dp_raw, micro)
    return StepBreakdown(compute, tp_s, bubble, p2p, dp_s, ep_s)
