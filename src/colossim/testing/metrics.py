"""Named summary metrics of a run: what golden baselines store and compare.

Flat ``name -> number`` so a baseline file stays readable and a diff table has one row per
figure. Metrics a later model adds (ETTR, goodput) appear only when the result carries them, so
old baselines keep passing until someone decides to record the new figures.
"""

from __future__ import annotations

from typing import Any

Metrics = dict[str, float | int | None]

# How to read a change: -1 means lower is better, +1 higher is better; names not listed are
# judged by their suffix in ``sense`` below.
SENSE: dict[str, int] = {
    "gpu_utilization": +1,
    "jobs_completed": +1,
    "ettr": +1,
    "mean_ettr": +1,
    "goodput": +1,
    "deadlines_met": +1,
}
LOWER_IS_BETTER_SUFFIXES = ("_s", "_mwh", "_mw", "_h", "gpu_hours", "jobs_unfinished")

# Optional per-run figures other models add to RunResult / ClusterResult; taken when present.
OPTIONAL_RUN_FIELDS = ("ettr", "mean_ettr", "goodput", "lost_work_flops", "lost_gpu_hours")


def sense(metric: str) -> int:
    """+1 if a larger value is better, -1 if smaller is better, 0 if neither is known."""
    base = metric.split(".")[0]
    if base in SENSE:
        return SENSE[base]
    if base.endswith(LOWER_IS_BETTER_SUFFIXES):
        return -1
    return 0


def _number(value: Any) -> float | int | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def summary_metrics(result: Any) -> Metrics:
    """The figures a policy author watches: makespan, JCT, utilisation, energy, per-job JCT.

    JCT statistics cover completed jobs only; ``jobs_unfinished`` says how many did not finish,
    so a policy that starves a job cannot hide behind a good mean.
    """
    jobs = list(result.jobs)
    done = [j for j in jobs if j.state == "completed" and j.jct_s is not None]
    jcts = sorted(j.jct_s for j in done)
    cluster = result.cluster
    out: Metrics = {
        "makespan_s": result.makespan_s,
        "mean_jct_s": sum(jcts) / len(jcts) if jcts else None,
        "max_jct_s": jcts[-1] if jcts else None,
        "jobs_completed": len(done),
        "jobs_unfinished": sum(1 for j in jobs if j.state not in ("completed", "rejected")),
        "gpu_utilization": cluster.gpu_utilization,
        "energy_mwh": cluster.energy_mwh,
        "peak_power_mw": cluster.peak_power_mw,
    }
    for name in OPTIONAL_RUN_FIELDS:
        for holder in (result, cluster, getattr(result, "reliability", None)):
            value = _number(getattr(holder, name, None))
            if value is not None:
                out[name] = value
    met = [j.deadline_met for j in jobs if getattr(j, "deadline_met", None) is not None]
    if met:  # the share of the due deadlines met, as compare reports it (QA: not pinnable)
        out["deadlines_met"] = sum(met) / len(met)
    for job in jobs:
        out[f"jct_s.{job.name}"] = job.jct_s
        ettr = _number(getattr(job, "ettr", None))
        if ettr is not None:
            out[f"ettr.{job.name}"] = ettr
    return out
