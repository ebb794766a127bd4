"""A run that can never progress, shared by the stall, result and report tests (QA): one GB200
rack under a 0.07 MW supply. j1 (72 GPUs) needs 0.0803 MW at the lowest clocks, so every start
of it is refused, and strict fifo keeps j2 (1 GPU, from 100 s) behind it: with failures off
nothing is left to happen at 100 s; with them on, faults keep coming, a few a month."""

from __future__ import annotations


def unpowered(deadlines: bool = False) -> list[str]:
    """``--set`` overrides of ``small`` that make the run; ``deadlines``: j1 due at 60,000 s and
    j2 at 50,000 s, both after the stall."""
    due = (", deadline_s: 60000", ", deadline_s: 50000") if deadlines else ("", "")
    return [
        "cluster.rack_groups=[{gpu_type: GB200, racks: 1}]", "cluster.pod_size_racks=1",
        "cluster.power.supply_mw=0.07", "cluster.power.pue=1.1",
        "jobs=[{name: j1, work_gpu_hours: 720, reference_gpu: GB200, min_gpus: 72, max_gpus: 72"
        f"{due[0]}}}, {{name: j2, work_gpu_hours: 1, reference_gpu: GB200, min_gpus: 1, "
        f"max_gpus: 1, submit_s: 100{due[1]}}}]",
    ]


def run_args(overrides: list[str], *options: str) -> list[str]:
    """``colossim run small --quiet`` with the overrides as ``--set``s, then ``options``."""
    return ["run", "small", "--quiet", *(a for o in overrides for a in ("--set", o)), *options]
