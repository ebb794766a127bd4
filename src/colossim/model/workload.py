"""What a job has to compute: model shape, FLOPs per token, total work.

A ``Workload`` is the job reduced to the numbers the performance model needs, with every default
of ``TrainingConfig`` resolved. Two jobs with the same workload share cached plans.

FLOPs per token (Kaplan et al. 2020, arXiv 2001.08361; Narayanan et al. 2021, arXiv 2104.04473):

* linear layers: 2N forward + 4N backward = **6N** (N = active parameters); full recomputation
  reruns the forward: **8N**;
* attention scores and their use (QK^T and AV): 4·l·h·s forward, so **12·l·h·s** for forward and
  backward; selective or full recomputation reruns them: **16·l·h·s**.

*Model* FLOPs (6N + 12lhs) are the job's work: they do not depend on how it is run.
*Hardware* FLOPs add what recomputation repeats; they set the step time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from colossim.config.schema import JobConfig, JobKind, Precision
from colossim.config.training import Recompute, TrainingConfig

#: hidden / layers of large published dense models (GPT-3 175B: 12288/96 = 128; Llama 3 405B:
#: 16384/126 = 130); used only when the job gives no shape.
ASPECT_RATIO = 128
#: Width granularity of the derived shape (and head dimension = 128).
HIDDEN_ROUND = 1024
HEAD_DIM = 128


@dataclass(frozen=True)
class Workload:
    """A job's computational content, defaults resolved. Parameters are counts, not billions."""

    kind: JobKind
    precision: Precision
    params: float
    active_params: float
    expert_params: float  # routed-expert parameters over all experts (0 for a dense model)
    layers: int
    hidden: int
    heads: int
    kv_heads: int  # key/value heads (grouped-query attention); tensor parallelism splits them
    seq_len: int
    vocab: int  # 0 for image jobs: no logits layer
    batch_tokens: float
    train_tokens: float
    training: TrainingConfig

    @property
    def moe(self) -> bool:
        return self.expert_params > 0

    @property
    def dense_params(self) -> float:
        """Parameters replicated across expert-parallel ranks (all of them for a dense model)."""
        return self.params - self.expert_params

    @property
    def batch_seqs(self) -> float:
        """Sequences (image jobs: samples) per optimizer step."""
        return self.batch_tokens / self.seq_len

    def linear_flops_per_token(self, recompute: Recompute) -> float:
        """6N, or 8N when the whole forward pass is recomputed."""
        return (8.0 if recompute is Recompute.FULL else 6.0) * self.active_params

    @property
    def expert_active_params(self) -> float:
        """Routed-expert parameters one token passes through: top_k experts' worth."""
        return self.expert_params * self.training.moe_top_k / self.training.moe_experts

    def expert_flops_per_token(self, recompute: Recompute) -> float:
        """The routed-expert share of the linear FLOPs (their GEMMs can be memory-bound)."""
        return (8.0 if recompute is Recompute.FULL else 6.0) * self.expert_active_params

    def attention_flops_per_token(self, recompute: Recompute) -> float:
        """12·l·h·s; 16·l·h·s when the attention core is recomputed (selective or full)."""
        factor = 12.0 if recompute in (Recompute.NONE, Recompute.AUTO) else 16.0
        return factor * self.layers * self.hidden * self.seq_len

    @property
    def model_flops_per_token(self) -> float:
        """The work per token, independent of recomputation: 6N + 12·l·h·s."""
        return self.linear_flops_per_token(Recompute.NONE) + self.attention_flops_per_token(
            Recompute.NONE
        )

    @property
    def total_flops(self) -> float:
        """The job's whole work in model FLOPs: tokens x (6N + 12·l·h·s)."""
        return self.train_tokens * self.model_flops_per_token


def derive_shape(active_params: float, layers: int | None, hidden: int | None) -> tuple[int, int]:
    """(layers, hidden) from N ~ 12·l·h² (Kaplan's non-embedding count), filling what is missing.

    Embedding parameters are ignored, which slightly overstates the width of small models.
    """
    if hidden is None and layers is None:
        raw = (ASPECT_RATIO * active_params / 12.0) ** (1.0 / 3.0)
        hidden = max(HIDDEN_ROUND, round(raw / HIDDEN_ROUND) * HIDDEN_ROUND)
    elif hidden is None:
        assert layers is not None
        raw = math.sqrt(active_params / (12.0 * layers))
        hidden = max(HEAD_DIM, round(raw / HEAD_DIM) * HEAD_DIM)
    if layers is None:
        layers = max(1, round(active_params / (12.0 * hidden * hidden)))
    return layers, hidden


def _default_heads(hidden: int) -> int:
    for head_dim in (HEAD_DIM, 64, 32):
        if hidden % head_dim == 0:
            return hidden // head_dim
    return 1


class WorkloadError(ValueError):
    """A job whose model cannot be shaped, found only once its shape is derived (the width
    from the parameters, the expert split, the sequence against the batch). ``field``: the
    job's field to blame, as a path below the job (``("training", "attention_heads")``), so
    the loader reports it at its line (these were tracebacks: QA)."""

    def __init__(self, message: str, field: tuple[str, ...]):
        super().__init__(message)
        self.field = field


def expert_split(params: float, active: float, experts: int, top_k: int) -> float:
    """Routed-expert parameters from total and active counts.

    With E experts of e parameters each and k routed per token, total = shared + E·e and
    active = shared + k·e, so e = (total − active) / (E − k).
    """
    if active >= params:
        return 0.0
    per_expert = (params - active) / (experts - top_k)
    shared = active - top_k * per_expert
    if shared < 0:
        raise WorkloadError(
            f"active parameters ({active:.3g}) are fewer than top_k={top_k} experts of "
            f"{per_expert:.3g} each: raise training.moe_experts or lower training.moe_top_k",
            ("active_params_billion",),
        )
    return experts * per_expert


@lru_cache(maxsize=4096)
def workload(job: JobConfig) -> Workload:
    """Resolve a job into its workload; ``ValueError`` for trace-style jobs (no model)."""
    if job.params_billion is None:
        raise ValueError(
            f"job {job.name!r} gives work_gpu_hours, not a model: the performance model needs "
            "params_billion"
        )
    t = job.training
    params = job.params_billion * 1e9
    active = job.active_params
    layers, hidden = derive_shape(active, t.layers, t.hidden_size)
    heads = t.attention_heads or _default_heads(hidden)
    if hidden % heads:
        raise WorkloadError(
            f"hidden size {hidden} is not a multiple of {heads} attention heads",
            ("training", "attention_heads" if t.attention_heads else "hidden_size"))
    kv_heads = t.kv_heads or heads
    if heads % kv_heads:  # attention_heads derived from the width: checked only now
        raise WorkloadError(f"{kv_heads} key/value heads do not divide the {heads} attention "
                            "heads (set training.attention_heads)", ("training", "kv_heads"))
    image = job.kind is JobKind.IMAGE
    seq_len = (job.tokens_per_sample or 1) if image else t.seq_len_tokens
    if t.global_batch_tokens < seq_len:
        raise WorkloadError(
            f"global_batch_tokens ({t.global_batch_tokens}) is less than one "
            f"{'sample' if image else 'sequence'} ({seq_len} tokens)",
            ("tokens_per_sample",) if image else ("training", "global_batch_tokens"))
    return Workload(
        kind=job.kind,
        precision=job.precision,
        params=params,
        active_params=active,
        expert_params=expert_split(params, active, t.moe_experts, t.moe_top_k),
        layers=layers,
        hidden=hidden,
        heads=heads,
        kv_heads=kv_heads,
        seq_len=seq_len,
        vocab=0 if image else t.vocab_size,
        batch_tokens=float(t.global_batch_tokens),
        train_tokens=job.train_tokens,
        training=t,
    )


def total_flops(job: JobConfig) -> float:
    """The work the engine integrates, in model FLOPs (6N + 12·l·h·s per token)."""
    return workload(job).total_flops
