"""Metrics a study summarises: dotted paths into a run's result (``RunResult.to_dict()``).

``makespan_s`` and ``cluster.energy_mwh`` walk the result; ``jobs.<name>.<field>`` picks a job by
name. Job names may contain dots (``jobs.1.5t-a.jct_s``): the field is always the last segment, so
the name is whatever lies between. Paths are checked against the result dataclasses themselves,
so fields added by later features are accepted without touching this module.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Iterable, Mapping
from typing import Any

from colossim.metrics.result import ClusterResult, JobResult, RunResult

DEFAULT_METRICS = ("makespan_s", "cluster.gpu_utilization", "cluster.energy_mwh")
JOBS = "jobs"


def _numeric_fields(cls: type) -> dict[str, bool]:
    """Field name → whether it holds a number (annotations are strings under PEP 563)."""
    return {
        f.name: any(t in str(f.type) for t in ("float", "int"))
        for f in dataclasses.fields(cls)
        if f.name != "record"
    }


def _check_field(name: str, cls: type, where: str) -> str | None:
    fields = _numeric_fields(cls)
    if fields.get(name):
        return None
    if name in fields:
        return f"{where}{name} is not a number; numeric fields: {_numbers(fields)}"
    hint = difflib.get_close_matches(name, [f for f, num in fields.items() if num], n=1)
    said = f"did you mean {where}{hint[0]}?" if hint else f"known: {_numbers(fields)}"
    return f"unknown metric {where}{name} ({said})"


def _numbers(fields: Mapping[str, bool]) -> str:
    return ", ".join(f for f, num in fields.items() if num)


def job_metric(path: str) -> tuple[str, str] | None:
    """``jobs.<name>.<field>`` → (name, field); None for any other path."""
    if not path.startswith(JOBS + "."):
        return None
    name, _, field = path[len(JOBS) + 1 :].rpartition(".")
    return (name, field) if name and field else None


def metric_problem(path: str) -> str | None:
    """What is wrong with a metric path, or None (job names are checked against the base)."""
    job = job_metric(path)
    if job is not None:
        return _check_field(job[1], JobResult, f"{JOBS}.{job[0]}.")
    head, _, rest = path.partition(".")
    if head == "cluster" and rest:
        return _check_field(rest, ClusterResult, "cluster.")
    if head == JOBS:
        return "per-job metrics are jobs.<job name>.<field>, e.g. jobs.llm-70b.jct_s"
    if rest:
        return f"unknown metric {path} (nested metrics are cluster.<field> or jobs.<name>.<field>)"
    return _check_field(head, RunResult, "")


def unknown_jobs(metrics: Iterable[str], job_names: Iterable[str]) -> dict[int, str]:
    """Index of each per-job metric naming a job the base scenario lacks → the message."""
    names = list(job_names)
    out = {}
    for i, path in enumerate(metrics):
        job = job_metric(path)
        if job is not None and job[0] not in names:
            hint = difflib.get_close_matches(job[0], names, n=1)
            said = f"did you mean {hint[0]!r}?" if hint else f"jobs: {', '.join(names)}"
            out[i] = f"no job named {job[0]!r} in the base scenario ({said})"
    return out


def metric_value(result: Mapping[str, Any], path: str) -> float | None:
    """The metric's value in a result dict; None when absent or undefined (e.g. no makespan)."""
    job = job_metric(path)
    if job is not None:
        found = [j for j in result.get(JOBS, ()) if j.get("name") == job[0]]
        value = found[0].get(job[1]) if found else None
    else:
        node: Any = result
        for part in path.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        value = node
    if value is None or isinstance(value, bool):
        return None
    value = float(value)
    return None if math.isnan(value) else value
