"""The performance model's figures as text: shared by ``colossim estimate`` and ``colossim run``.

A plan reads ``TP/PP/DP/EP`` (``vN`` when the pipeline is interleaved) and a step reads
``seconds: shares`` (``1.20: c50 t10 p13 d14 e12``) in both commands, from the same functions, so
the run's performance table and the estimate table can be compared cell by cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from colossim.cli.render import _count, console, shown_names
from colossim.cli.tables import fitting_tables

if TYPE_CHECKING:
    from colossim.metrics.result import JobResult

PLAN_LEGEND = "plan: TP/PP/DP/EP (vN: interleaved stages)."
STEP_LEGEND = ("step: seconds per step and the % in c compute, t tensor-parallel, p pipeline "
               "bubble and sends, d data-parallel, e expert all-to-all (exposed time).")
# MFU's peak follows each job's precision (PaLM's definition, docs/model.md): an FP8 job reads
# about half what the same speed would against BF16, so a table mixing both must say so
MFU_LEGEND = ("MFU: against the GPUs' dense peak at each job's precision (on Hopper and "
              "Blackwell FP8's is twice BF16's; on GPUs of two types, the lower peak on "
              "every GPU, as every step goes at the slower type's pace).")


def plan_text(plan: dict[str, Any] | None) -> str:
    """TP/PP/DP/EP, with the interleave as ``vN`` when the pipeline is interleaved."""
    if not plan:
        return "-"
    text = f"{plan['tp']}/{plan['pp']}/{plan['dp']}/{plan['ep']}"
    return text + (f" v{plan['interleave']}" if plan["interleave"] > 1 else "")


def gpu_types_text(by_type: dict[str, int] | None) -> str:
    """The GPU types of a job's allocation (GB300, or GB200+GB300 for a mixed one): which type a
    job ran on explains what a GB300 share moves, or not (QA: no output said)."""
    return "+".join(by_type) if by_type else "-"


def plan_gpus(plan: dict[str, Any]) -> int:
    """GPUs a plan uses: TP x PP x DP (EP ranks are among the DP ranks)."""
    return int(plan["tp"] * plan["pp"] * plan["dp"])


STEP_PARTS = (("c", "compute"), ("t", "tp"), ("p", "pp_bubble"), ("d", "dp"), ("e", "ep"))


def step_text(step: dict[str, Any] | None) -> str:
    """Seconds per step and each cause's whole-percent share (shares under 0.5% left out)."""
    if not step:
        return "-"
    total = step["total"]
    shares = " ".join(f"{k}{100 * step[key] / total:.0f}" for k, key in STEP_PARTS
                      if step[key] / total >= 0.005)
    return f"{total:.2f}: {shares}"


def mfu_text(mfu: float | None) -> str:
    """MFU in per cent with one decimal, as both tables print it."""
    return "-" if mfu is None else f"{100 * mfu:.1f}"


RUN_CAPTION = (f"{PLAN_LEGEND} GPUs: TP x PP x DP, those the plan uses; an allocation of "
               "whole racks may hold more, idle (JSON: gpus_by_type). "
               f"{STEP_LEGEND} Plan and step: each job's longest-held allocation; TFLOP/s "
               "(achieved per GPU of the allocation, idle ones included), tokens/s and MFU (over "
               f"every GPU of the allocation): time-weighted means. {MFU_LEGEND}")


def performance_table(jobs: Sequence[JobResult]) -> None:
    """After the run's job table: each performance-model job's plan, step time and where it
    goes, achieved TFLOP/s per GPU, tokens/s and MFU (the JSON's fields, ``results.md``).
    Nothing for a run whose jobs all use the linear speed model. Split into several tables
    sharing the job column when the terminal is narrow (``cli.tables``)."""
    shown = [j for j in jobs if j.plan]
    if not shown:
        return
    names = dict(zip([j.name for j in jobs], shown_names([j.name for j in jobs]), strict=True))
    keys = [("job", [names[j.name] for j in shown])]  # clipped as the other tables clip them
    values = [
        ("GPU", [gpu_types_text(j.gpus_by_type) for j in shown]),
        ("plan", [plan_text(j.plan) for j in shown]),
        ("GPUs", [f"{plan_gpus(j.plan or {}):,}" for j in shown]),
        ("step s: %", [step_text(j.step_s) for j in shown]),
        ("TFLOP/s", ["-" if j.achieved_tflops_per_gpu is None
                     else f"{j.achieved_tflops_per_gpu:,.0f}" for j in shown]),
        ("tokens/s", ["-" if j.tokens_per_s is None else _count(j.tokens_per_s)
                      for j in shown]),
        ("MFU%", [mfu_text(j.mfu) for j in shown]),
    ]
    out = console()
    for table in fitting_tables(out, "performance", keys, values, left=("plan", "step s: %")):
        out.print(table)
    out.print(RUN_CAPTION)
