"""Why a pinned plan cannot run, in the model's terms: heads, layers, batch.

``config.job_checks`` refuses the pins that contradict the cluster (TP beyond the NVLink domain,
EP on a dense model, a size outside min/max). What is left needs the job's resolved shape
(``workload``): these are the same rules the plan search applies (``search.shapes`` and its dp
bounds), stated one at a time so the loader reports the pin at fault instead of "does not fit in
memory".
"""

from __future__ import annotations

from colossim.config.schema import JobConfig
from colossim.model.memory import layers_per_stage
from colossim.model.workload import workload


def plan_problems(job: JobConfig) -> list[tuple[str, str]]:
    """(plan field, message) for each pin the job's shape or batch rules out."""
    if job.params_billion is None:
        return []
    try:
        w = workload(job)
    except ValueError:  # a shape problem of its own, reported by the fit check
        return []
    pin = w.training.plan
    b = pin.micro_batch_size
    problems: list[tuple[str, str]] = []
    if pin.tp and w.heads % pin.tp:
        problems.append(("tp", f"{pin.tp} does not divide the model's {w.heads} attention heads "
                               "(set training.attention_heads, or pick a divisor)"))
    elif pin.tp and w.kv_heads % pin.tp:
        problems.append(("tp", f"{pin.tp} does not divide the model's {w.kv_heads} key/value "
                               "heads (training.kv_heads): each TP rank holds whole groups"))
    if pin.ep and w.moe and w.training.moe_experts % pin.ep:
        problems.append(("ep", f"{pin.ep} does not divide the {w.training.moe_experts} experts"))
    if pin.pp and pin.pp > w.layers:
        problems.append(("pp", f"{pin.pp} stages for a model of {w.layers} layers"))
    if pin.interleave and pin.interleave > 1:
        if pin.pp == 1:
            problems.append(("interleave", "needs pipeline stages (pp above 1)"))
        elif pin.pp and pin.pp <= w.layers and layers_per_stage(w, pin.pp) % pin.interleave:
            stage = layers_per_stage(w, pin.pp)
            problems.append(("interleave", f"{pin.interleave} does not divide the {stage} layers "
                                           f"of each of the {pin.pp} stages"))
    replicas = int(w.batch_seqs // b)  # one micro-batch per DP replica at the least
    if pin.dp and pin.dp > replicas:
        problems.append(("dp", f"{pin.dp} replicas for a batch of {w.batch_seqs:,g} sequences "
                               f"of micro_batch_size {b}: at most {replicas:,}"))
    elif pin.dp and pin.pp and (pin.interleave or 1) > 1 and pin.dp * pin.pp * b > w.batch_seqs:
        problems.append(("dp", f"{pin.dp} replicas leave fewer than the {pin.pp} micro-batches "
                               "per replica an interleaved pipeline needs (batch of "
                               f"{w.batch_seqs:,g} sequences)"))
    if b > w.batch_seqs:
        problems.append(("micro_batch_size", f"{b} sequences, above the batch of "
                                             f"{w.batch_seqs:,g} sequences per step"))
    return problems
