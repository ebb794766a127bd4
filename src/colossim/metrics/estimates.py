"""What the performance model says of each job, without simulating: ``colossim estimate``.

For each job and GPU type: the fewest GPUs it fits in, and on the given (or its max) GPUs, tightly
packed, the chosen plan, step-time breakdown, MFU and days to train.
"""

from __future__ import annotations

from typing import Any

from colossim.config.crosscheck import usable_of
from colossim.config.schema import Scenario
from colossim.errors import ConfigError
from colossim.model.speed import SpeedModel, describe_estimate

SECONDS_PER_DAY = 86400.0


def job_estimates(
    scenario: Scenario,
    jobs: list[str] | None = None,
    gpus: int | None = None,
    gpu_types: list[str] | None = None,
) -> list[dict[str, Any]]:
    """One row per (job, GPU type)."""
    speed = SpeedModel(scenario)
    usable = usable_of(scenario)
    # by default the types a run can allocate: a group of 0 racks (or of spares only) has none
    # (QA: GB300 at 0 racks still had a row, 3 days faster than anything the cluster can run);
    # a type asked for by name is a what-if, as one the cluster lacks
    groups = list(dict.fromkeys(g.gpu_type for g in scenario.cluster.rack_groups))
    in_cluster = [t for t in groups if usable.get(t)] or groups
    types = list(dict.fromkeys(gpu_types or in_cluster))  # a type given twice: one row
    unknown = [t for t in types if t not in speed.catalog]
    if unknown:
        raise ConfigError(
            f"unknown GPU type(s): {', '.join(unknown)}; known: {', '.join(sorted(speed.catalog))}"
        )
    names = [j.name for j in scenario.jobs]
    missing = [n for n in jobs or [] if n not in names]
    if missing:
        raise ConfigError(f"no job named {', '.join(missing)}; jobs: {', '.join(names)}")
    rows = []
    for job in scenario.jobs:
        if jobs and job.name not in jobs:
            continue
        for gpu_type in types:
            n, capped = gpus or job.max_gpus, None
            if gpus is None and n > (usable.get(gpu_type) or n):  # the most a run can give
                n = capped = usable[gpu_type]
            row: dict[str, Any] = {
                "job": job.name,
                "gpu_type": gpu_type,
                "gpus": n,
                "min_gpus_to_fit": speed.memory_min_gpus(job, gpu_type),
                "work_flops": speed.work_flops(job),
            }
            rate = speed.estimate_rate(job, {gpu_type: n})
            row["days_to_train"] = row["work_flops"] / rate / SECONDS_PER_DAY if rate > 0 else None
            span = speed.packed_span(n, gpu_type)
            row.update(describe_estimate(speed, job, {gpu_type: n}, span) or {})
            least = row["min_gpus_to_fit"]
            if "plan" not in row and not speed.linear(job):  # say why the row is empty
                row["note"] = (
                    f"no parallel plan on {n:,} {gpu_type} GPUs suits its shape and batch"
                    if least is not None and least <= n else
                    f"does not fit in memory on {n:,} {gpu_type} GPUs"
                    + (f" (needs {least:,})" if least is not None else " (nor on any number)"))
            if capped is not None:  # QA: 30,000 on a 20,016-GPU cluster read 9.8 days, run 16.9
                said = f"; {row['note']}" if "note" in row else ""
                row["note"] = (f"max_gpus {job.max_gpus:,} is more than the {capped:,} "
                               f"{gpu_type} GPUs the cluster can allocate: estimated on "
                               f"{capped:,}{said}")
            rows.append(row)
    return rows
