"""The plan search, vectorised: every plan shape at once with numpy.

It evaluates the same formulas as the scalar reference ``parallelism.step_breakdown`` and
``memory.min_dp`` (a test holds them equal), over all shapes (tp, ep, pp, interleave, packing)
for one GPU count. Within a shape and a recompute regime the step time is convex in 1/dp, so only
these dp values need evaluating: the regime's ends (the memory minimum and the largest dp the
GPUs and batch allow), the two-level DP breakpoints, and the kink where overlap·DP traffic equals
the micro-batch window. The result is the exact optimum over the plan space, which makes the
model monotone: more GPUs (a superset of plans) are never slower per step.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from colossim.config.schema import GpuSpec
from colossim.config.training import Recompute
from colossim.model.memory import (
    ACT_SBH_BYTES,
    LOGIT_BYTES,
    RECOMPUTE_SBH_BYTES,
    SCORE_BYTES,
    capacity_bytes,
)
from colossim.model.parallelism import (
    ACT_BYTES,
    INTERLEAVES,
    ParallelPlan,
    Span,
    TierBandwidth,
    blocks_available,
    ep_candidates,
    expert_weight_reads,
    gpus_for_blocks,
    pp_candidates,
    tp_candidates,
)
from colossim.model.workload import Workload

Array = np.ndarray


def recompute_options(w: Workload) -> list[Recompute]:
    """Cheapest first; AUTO takes, per plan, the first that fits."""
    chosen = w.training.recompute
    if chosen is not Recompute.AUTO:
        return [chosen]
    if w.training.flash_attention:  # selective saves nothing over flash attention
        return [Recompute.NONE, Recompute.FULL]
    return [Recompute.NONE, Recompute.SELECTIVE, Recompute.FULL]


@lru_cache(maxsize=1024)
def shapes(w: Workload, domain: int) -> tuple[Array, Array, Array, Array, Array]:
    """(tp, ep, pp, interleave, aligned) of every admissible shape, pins applied."""
    pin = w.training.plan
    rows = []
    for tp in [pin.tp] if pin.tp else tp_candidates(w, domain):
        if tp > domain or w.heads % tp or w.kv_heads % tp:
            continue
        for ep in [pin.ep] if pin.ep else ep_candidates(w, tp, domain):
            if tp * ep > domain or (ep > 1 and not w.moe):
                continue
            for pp in [pin.pp] if pin.pp else pp_candidates(w):
                stage_layers = -(-w.layers // pp)
                if pp > w.layers:
                    continue
                for v in [pin.interleave] if pin.interleave else INTERLEAVES:
                    if v > 1 and (pp == 1 or stage_layers % v):
                        continue
                    for aligned in (1, 0) if tp * ep * pp <= domain else (0,):
                        rows.append((tp, ep, pp, v, aligned))
    arr = np.array(rows, dtype=float).reshape(-1, 5).T
    return arr[0], arr[1], arr[2], arr[3], arr[4]


def _need(room: Array, numerator: Array) -> Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(room > 0, numerator / np.where(room > 0, room, 1.0), np.inf)
    return np.where(numerator <= 0, np.where(room >= 0, 1.0, np.inf), ratio)


class _Memory:
    """``memory.min_dp`` and ``memory.memory_bytes`` over arrays of shapes, for one recompute."""

    def __init__(self, w: Workload, tp: Array, pp: Array, ep: Array, v: Array, b: int,
                 rc: Recompute):
        t = w.training
        s, h = w.seq_len, w.hidden
        self.w, self.ep, self.pp, self.b = w, ep, pp, b
        stage = np.ceil(w.layers / pp)
        frac = stage / w.layers
        per_gpu = frac * (w.dense_params / tp + w.expert_params / (tp * ep))
        wb, gb, ob = t.weight_bytes_per_param, t.grad_bytes_per_param, t.optimizer_bytes_per_param
        sharded = (0.0, ob, gb + ob, wb + gb + ob)[t.zero_stage]
        self.u = (wb + gb + ob - sharded) * per_gpu
        self.shard = sharded * frac * w.params / tp
        full = ACT_SBH_BYTES * s * b * h / tp
        if rc is Recompute.NONE and not t.flash_attention:
            full = full + SCORE_BYTES * w.heads * s * s * b / tp
        if rc is Recompute.FULL:
            stored, self.working = RECOMPUTE_SBH_BYTES * s * b * h / tp, full
        else:
            stored, self.working = full, 0.0 * tp
        self.per_micro = stage * stored
        self.last = self.per_micro + LOGIT_BYTES * s * b * w.vocab / tp + self.working
        self.il = np.where(v > 1, 1.0 + (pp - 1) / (pp * v), 1.0)

    def bytes_at(self, dp: Array) -> Array:
        m = self.w.batch_seqs / (dp * self.b)
        first = self.per_micro * np.minimum(m, self.pp) * self.il + self.working
        act = np.where(self.pp == 1, self.last, np.maximum(first, self.last))
        return self.u + self.shard / dp + act

    def min_dp(self, cap: float) -> Array:
        """Smallest fitting dp per shape (a multiple of ep), inf where none fits the batch."""
        w, ep, pp, b = self.w, self.ep, self.pp, self.b
        first_full = np.where(pp > 1, self.per_micro * pp * self.il + self.working, self.last)
        steady = _need(cap - self.u - np.maximum(first_full, self.last), self.shard)
        boundary = w.batch_seqs / (b * pp)
        slope = self.per_micro * self.il * w.batch_seqs / b
        region_b = np.maximum(
            boundary,
            np.maximum(_need(cap - self.u - self.working, self.shard + slope),
                       _need(cap - self.u - self.last, self.shard)),
        )
        dp = np.where((pp == 1) | (steady <= boundary), steady, region_b)
        with np.errstate(invalid="ignore"):
            dp = np.maximum(ep, np.ceil(dp / ep - 1e-9) * ep)
        finite = np.isfinite(dp)
        safe = np.where(finite, dp, ep)
        for _ in range(3):  # the scalar version's rounding guard
            safe = np.where(self.bytes_at(safe) > cap, safe + ep, safe)
        dp_max = np.floor(np.floor(w.batch_seqs / b) / ep) * ep
        return np.where(finite & (safe <= dp_max) & (self.bytes_at(safe) <= cap), safe, np.inf)


class _Step:
    """``parallelism.step_breakdown`` over arrays of shapes, for one GPU type and recompute."""

    def __init__(self, w: Workload, gpu: GpuSpec, bw: TierBandwidth, span: Span, tp: Array,
                 ep: Array, pp: Array, v: Array, aligned: Array, b: int, rc: Recompute):
        t = w.training
        s, h = w.seq_len, w.hidden
        self.w, self.tp, self.ep, self.pp, self.b = w, tp, ep, pp, b
        self.stage = np.ceil(w.layers / pp)
        peak = gpu.peak_tflops(w.precision) * 1e12
        expert = w.expert_flops_per_token(rc)
        flops_time = ((w.linear_flops_per_token(rc) - expert) / peak
                      + w.attention_flops_per_token(rc) / (gpu.bf16_tflops * 1e12))
        imbalance = self.stage * pp / w.layers
        # compute = c_compute / dp; tp and ep = c_x * m; p2p = c_p2p * m
        self.c_compute = (w.batch_tokens * flops_time / (tp * pp * t.kernel_efficiency)
                          * imbalance)
        if expert > 0:  # expert GEMMs: max(FLOPs, weight reads), both proportional to 1/dp
            flops_part = w.batch_tokens * expert / (peak * tp * pp * t.kernel_efficiency)
            reads_part = (w.batch_seqs / b * expert_weight_reads(w, rc) * self.stage / w.layers
                          * w.expert_params / (tp * ep * gpu.hbm_tbytes_s * 1e12))
            self.c_compute = self.c_compute + np.maximum(flops_part * imbalance, reads_part)
        self.nvl = bw.intra_domain_gbytes_s * 1e9
        self.nic = (bw.cross_pod_gbytes_s if span.pods > 1 else bw.intra_pod_gbytes_s) * 1e9
        coll = 6 if rc is Recompute.FULL else 4
        msg = ACT_BYTES * b * s * h
        self.c_tp = np.where(tp > 1, (1 - t.tp_overlap_fraction) * self.stage * coll * 2
                             * (tp - 1) / tp * msg / self.nvl, 0.0)
        self.c_ep = np.where(ep > 1, (1 - t.ep_overlap_fraction) * self.stage * coll
                             * (ep - 1) / ep * msg * t.moe_top_k / tp / self.nvl, 0.0)
        link = np.where(aligned > 0, self.nvl, self.nic)  # across pods: the uplinks' rate
        self.c_p2p = np.where(pp > 1, (1 - t.pp_overlap_fraction) * 2 * v * msg / tp / link, 0.0)
        self.bubble_factor = (pp - 1) / v
        replicas = np.where(aligned > 0, np.maximum(1, gpu.gpus_per_domain // (tp * ep * pp)), 1)
        self.k_dense, self.k_exp = ep * replicas, replicas
        # where the plan needs the grant's least-filled rack (Span.fewest), fewer ranks share it
        short = np.where(aligned > 0, np.maximum(1, span.domain(gpu.gpus_per_domain) //
                                                 (tp * ep * pp)), 1)
        self.k_dense_short, self.k_exp_short = ep * short, short
        self.span = span
        self.one_domain = span.racks == 1
        self.domain = gpu.gpus_per_domain
        frac = self.stage / w.layers
        passes = ((2, 0), (1, 1), (1, 1), (1, 2))[t.zero_stage]
        per_param = passes[0] * t.grad_bytes_per_param + passes[1] * t.weight_bytes_per_param
        self.dense_bytes = per_param * frac * w.dense_params / tp  # ring cost is linear in bytes
        self.expert_bytes = per_param * frac * w.expert_params / (tp * ep)

    def micro(self, dp: Array) -> Array:
        """Seconds of one micro-batch on a stage (constant in dp)."""
        m = self.w.batch_seqs / (dp * self.b)
        return (self.c_compute / dp) / m + self.c_tp + self.c_ep

    def _rs(self, nbytes: Array, n: Array, k: Array) -> Array:
        k = np.minimum(k, n)
        outer = n / k
        t = (k - 1) / k * nbytes / self.nvl + (outer - 1) / outer * nbytes / k / self.nic
        return np.where(n > 1, t, 0.0)

    def dp_raw(self, dp: Array) -> Array:
        k_dense, k_exp = self.k_dense, self.k_exp
        if self.span.fewest:
            span = self.span
            short = (span.gpus == 0) | (self.tp * self.pp * dp > span.gpus - span.fewest)
            k_dense = np.where(short, self.k_dense_short, k_dense)
            k_exp = np.where(short, self.k_exp_short, k_exp)
        if self.one_domain:
            inside = self.tp * self.pp * dp <= self.domain
            k_dense = np.where(inside, dp, k_dense)
            k_exp = np.where(inside, np.maximum(1, np.floor(dp / self.ep)), k_exp)
        total = self._rs(self.dense_bytes, dp, k_dense)
        if self.w.expert_params > 0:
            total = total + self._rs(self.expert_bytes, dp / self.ep, k_exp)
        return total

    def total(self, dp: Array) -> Array:
        m = self.w.batch_seqs / (dp * self.b)
        compute = self.c_compute / dp
        micro = self.micro(dp)
        raw = self.dp_raw(dp)
        exposed = raw - np.minimum(self.w.training.dp_overlap_fraction * raw, micro)
        return (compute + (self.c_tp + self.c_ep + self.c_p2p) * m
                + self.bubble_factor * micro + exposed)


def _kink(step: _Step, lo: Array, hi: Array, ep: Array, thr: Array, f: float) -> list[Array]:
    """dp either side of where f·(DP traffic) = the micro-batch window; DP traffic is piecewise
    linear in 1/dp between the breakpoints, so each piece is solved exactly."""
    target = step.micro(hi) / f
    pts = np.sort(np.stack([lo, step.k_dense, step.k_exp * ep, thr, thr + ep, hi]), axis=0)
    pts = np.clip(pts, lo, hi)
    raws = [step.dp_raw(p) for p in pts]
    found = np.full(lo.shape, np.nan)
    for a, b, ra, rb in zip(pts[:-1], pts[1:], raws[:-1], raws[1:], strict=True):
        hit = np.isnan(found) & (ra < target) & (rb >= target) & (b > a)
        with np.errstate(divide="ignore", invalid="ignore"):
            ya, yb = 1.0 / a, 1.0 / b
            y = ya + (target - ra) * (yb - ya) / (rb - ra)
            found = np.where(hit, 1.0 / y, found)
    base = np.where(np.isnan(found), lo, found)
    return [np.floor(base / ep) * ep, np.ceil(base / ep) * ep]


def search(
    w: Workload, gpus: int, specs: tuple[GpuSpec, ...], span: Span,
    bws: tuple[TierBandwidth, ...],
) -> tuple[float, ParallelPlan] | None:
    """The fastest feasible plan on ``gpus`` GPUs (the slowest GPU type sets the pace)."""
    with np.errstate(divide="ignore", invalid="ignore"):  # masked-out shapes may divide by 0
        return _search(w, gpus, specs, span, bws)


def _search(
    w: Workload, gpus: int, specs: tuple[GpuSpec, ...], span: Span,
    bws: tuple[TierBandwidth, ...],
) -> tuple[float, ParallelPlan] | None:
    t = w.training
    pin, b = t.plan, t.plan.micro_batch_size
    domain = min(s.gpus_per_domain for s in specs)
    cap = min(capacity_bytes(s, t) for s in specs)
    tp, ep, pp, v, al = shapes(w, domain)
    block = np.where(al > 0, tp * ep * pp, tp * ep)
    replicas = blocks_available(gpus, block, domain)
    replicas = np.where(al > 0, replicas, np.floor(replicas / pp))
    hi = np.minimum(replicas, np.floor(np.floor(w.batch_seqs / b) / ep)) * ep
    hi = np.where(v > 1, np.minimum(hi, np.floor(np.floor(w.batch_seqs / (b * pp)) / ep) * ep), hi)
    if pin.dp:
        hi = np.where(hi >= pin.dp, float(pin.dp), 0.0)
    keep = (hi >= ep) & (tp * ep <= gpus)
    if not keep.any():
        return None
    tp, ep, pp, v, al, hi = tp[keep], ep[keep], pp[keep], v[keep], al[keep], hi[keep]
    thr = np.floor(domain / (tp * pp) / ep) * ep
    best: tuple[float, ParallelPlan] | None = None
    upper = hi
    for rc in recompute_options(w):
        lo = _Memory(w, tp, pp, ep, v, b, rc).min_dp(cap)
        steps = [_Step(w, g, bw, span, tp, ep, pp, v, al, b, rc)
                 for g, bw in zip(specs, bws, strict=True)]
        ok = lo <= upper
        if ok.any():
            lo_s = np.where(ok, lo, upper)
            if pin.dp:
                cols = [hi]
            else:
                cols = [lo_s, upper, steps[0].k_dense, steps[0].k_exp * ep, thr]
                if span.fewest:  # the most DP ranks that leave the least-filled rack out
                    held = span.gpus or gpus
                    cols.append(np.floor((held - span.fewest) / (tp * pp) / ep) * ep)
                if t.dp_overlap_fraction > 0:
                    cols += _kink(steps[0], lo_s, upper, ep, thr, t.dp_overlap_fraction)
            for col in cols:
                valid = ok & (col >= lo) & (col <= upper) & (np.mod(col, ep) == 0) & (col > 0)
                if not valid.any():
                    continue
                dp = np.where(valid, col, upper)
                total = steps[0].total(dp)
                for step in steps[1:]:
                    total = np.maximum(total, step.total(dp))
                total = np.where(valid, total, np.inf)
                i = int(np.argmin(total))
                if best is None or total[i] < best[0]:
                    d = int(dp[i])
                    plan = ParallelPlan(int(tp[i]), int(pp[i]), d, int(ep[i]), b,
                                        w.batch_seqs / (d * b), int(v[i]), rc, bool(al[i]))
                    best = (float(total[i]), plan)
        upper = np.where(np.isfinite(lo), np.minimum(upper, lo - ep), upper)
    return best


def fewest_gpus(w: Workload, gpu: GpuSpec) -> int | None:
    """Fewest GPUs of one type on which some shape fits, at its most frugal recomputation.

    The same shapes and memory minimum as ``search``; GPUs are counted compactly placed with
    blocks of tp·ep GPUs never straddling an NVLink domain.
    """
    t = w.training
    b, domain = t.plan.micro_batch_size, gpu.gpus_per_domain
    tp, ep, pp, v, _ = shapes(w, domain)
    with np.errstate(divide="ignore", invalid="ignore"):
        dp = _Memory(w, tp, pp, ep, v, b, recompute_options(w)[-1]).min_dp(capacity_bytes(gpu, t))
        if t.plan.dp:
            dp = np.where(dp <= t.plan.dp, float(t.plan.dp), np.inf)
        interleave_max = np.floor(np.floor(w.batch_seqs / (b * pp)) / ep) * ep
        dp = np.where((v > 1) & (dp > interleave_max), np.inf, dp)
        need = gpus_for_blocks(dp / ep * pp, tp * ep, domain)
    need = need[np.isfinite(need)]
    return int(need.min()) if need.size else None
