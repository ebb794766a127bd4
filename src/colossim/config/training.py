"""How a job trains: model shape, batch, memory recipe, parallelism and efficiency knobs.

Every field has a default so a job needs only its size and tokens; ``docs/model.md`` gives the
source or the reasoning behind each default. The performance model (``colossim.model``) reads these
fields; nothing here computes anything beyond validation.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from colossim.config.base import FieldValueError, Frozen

#: Llama 3 405B's final global batch: 16M tokens (arXiv 2407.21783 s3.4.1).
DEFAULT_GLOBAL_BATCH_TOKENS = 16 * 2**20
#: Llama 3 pre-training sequence length (arXiv 2407.21783 s3.4.1).
DEFAULT_SEQ_LEN_TOKENS = 8192
#: Llama 3 vocabulary: 128K tokens (arXiv 2407.21783 s3.2); 128,256 exactly in the released
#: models' config.json.
DEFAULT_VOCAB = 128_256


class Recompute(StrEnum):
    """Activation recomputation (Korthikanti et al. 2022, arXiv 2205.05198).

    ``none`` stores every activation; ``selective`` recomputes the attention core only; ``full``
    stores each layer's input and reruns the forward pass in backward (8N instead of 6N FLOPs per
    token); ``auto`` picks, per parallel plan, the cheapest of these that fits in memory.
    """

    AUTO = "auto"
    NONE = "none"
    SELECTIVE = "selective"
    FULL = "full"


class PlanConfig(Frozen):
    """A pinned parallel plan; any field left out is chosen by the plan search."""

    tp: int | None = Field(None, gt=0, description="Tensor-parallel ranks (in one NVLink domain)")
    pp: int | None = Field(None, gt=0, description="Pipeline stages")
    dp: int | None = Field(None, gt=0, description="Data-parallel replicas (EP is carved from DP)")
    ep: int | None = Field(None, gt=0, description="Expert-parallel ranks (MoE only)")
    micro_batch_size: int = Field(
        1, gt=0, description="Sequences per micro-batch; micro-batches = batch / (dp x this)"
    )
    interleave: int | None = Field(
        None, gt=0, description="Virtual pipeline chunks per stage (Megatron interleaved 1F1B)"
    )

    @model_validator(mode="after")
    def _ep_divides_dp(self) -> PlanConfig:
        if self.ep is not None and self.dp is not None and self.dp % self.ep:
            raise FieldValueError("ep", f"{self.ep} must divide dp ({self.dp})")
        return self


class TrainingConfig(Frozen):
    """The training recipe of one job. Shape fields left out are derived from the parameters."""

    # --- model shape -------------------------------------------------------------------------
    layers: int | None = Field(
        None, gt=0, description="Transformer layers (default: from params, hidden/layers ~ 128)"
    )
    hidden_size: int | None = Field(
        None, gt=0, description="Model width (default: from params, N ~ 12 x layers x hidden^2)"
    )
    attention_heads: int | None = Field(
        None, gt=0, description="Attention heads (default: hidden / 128)"
    )
    kv_heads: int | None = Field(
        None, gt=0,
        description="Key/value heads, grouped-query attention (default: attention_heads); "
                    "tensor parallelism splits them, so its size must divide them",
    )
    seq_len_tokens: int = Field(
        DEFAULT_SEQ_LEN_TOKENS, gt=0, description="Sequence length (image jobs: tokens_per_sample)"
    )
    vocab_size: int = Field(DEFAULT_VOCAB, gt=0, description="Vocabulary (sizes the logits)")
    moe_experts: int = Field(256, gt=1, description="Routed experts per MoE layer")
    moe_top_k: int = Field(8, gt=0, description="Experts each token is routed to")

    # --- batch and memory recipe -------------------------------------------------------------
    global_batch_tokens: int = Field(
        DEFAULT_GLOBAL_BATCH_TOKENS, gt=0, description="Tokens per optimizer step"
    )
    recompute: Recompute = Recompute.AUTO
    flash_attention: bool = Field(
        True, description="Attention scores are never stored (FlashAttention), saving s^2 memory"
    )
    weight_bytes_per_param: float = Field(2.0, gt=0, description="BF16 weights, B/param")
    grad_bytes_per_param: float = Field(2.0, gt=0, description="BF16 gradients, B/param")
    optimizer_bytes_per_param: float = Field(
        12.0, ge=0, description="Adam: FP32 master + momentum + variance, B/param"
    )
    zero_stage: int = Field(
        1, ge=0, le=3, description="0 none; 1 optimizer; 2 +gradients; 3 +weights sharded by DP"
    )
    hbm_reserve_fraction: float = Field(
        0.1, ge=0, lt=1, description="HBM kept for workspaces, NCCL buffers, fragmentation"
    )

    # --- parallelism and efficiency ----------------------------------------------------------
    plan: PlanConfig = PlanConfig()
    kernel_efficiency: float = Field(
        0.7, gt=0, le=1, description="Fraction of dense peak the compute kernels reach"
    )
    tp_overlap_fraction: float = Field(0.0, ge=0, le=1, description="TP comm hidden by compute")
    dp_overlap_fraction: float = Field(
        0.9, ge=0, le=1, description="Largest fraction of DP comm that can hide behind compute"
    )
    ep_overlap_fraction: float = Field(0.0, ge=0, le=1, description="MoE all-to-all hidden")
    pp_overlap_fraction: float = Field(0.0, ge=0, le=1, description="Pipeline p2p sends hidden")

    # --- pinned efficiency (reproducing a published run) -------------------------------------
    mfu: float | None = Field(
        None, gt=0, le=1, description="Pinned model-FLOPs utilisation (model FLOP/s / peak)"
    )
    achieved_tflops_per_gpu: float | None = Field(
        None, gt=0, description="Pinned hardware TFLOP/s per GPU (counting recompute FLOPs)"
    )

    @model_validator(mode="after")
    def _consistent(self) -> TrainingConfig:
        if self.mfu is not None and self.achieved_tflops_per_gpu is not None:
            raise ValueError("pin either mfu or achieved_tflops_per_gpu, not both")
        if self.moe_top_k >= self.moe_experts:
            raise FieldValueError(
                "moe_top_k", f"{self.moe_top_k} must be below moe_experts ({self.moe_experts})"
            )
        heads = self.attention_heads
        if self.kv_heads is not None and heads is not None and heads % self.kv_heads:
            raise FieldValueError(
                "kv_heads", f"{self.kv_heads} must divide attention_heads ({heads})"
            )
        if self.hidden_size is not None and heads is not None and self.hidden_size % heads:
            raise FieldValueError(
                "hidden_size", f"{self.hidden_size} must be a multiple of attention_heads ({heads})"
            )
        return self

    @property
    def pinned(self) -> bool:
        """True when the job's efficiency is given rather than modelled."""
        return self.mfu is not None or self.achieved_tflops_per_gpu is not None
