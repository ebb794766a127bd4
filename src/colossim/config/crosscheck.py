"""Checks that need the whole scenario: names that must exist, jobs that must fit.

Each returns ``(field path, message)`` so the loader can point at the right line. They run at
load time, so a scenario that can never finish is refused before any simulation starts.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from colossim.config.yamlmarks import PathKey

if TYPE_CHECKING:
    from colossim.config.schema import Scenario


def _did_you_mean(name: str, options: list[str]) -> str:
    hint = difflib.get_close_matches(name, options, n=1)
    return f" (did you mean {hint[0]!r}?)" if hint else f"; known: {', '.join(sorted(options))}"


def cross_check(scenario: Scenario) -> list[tuple[PathKey, str]]:
    """Every whole-scenario problem, in file order."""
    issues: list[tuple[PathKey, str]] = []
    catalog = scenario.gpu_catalog()
    types = list(catalog)
    cluster = scenario.cluster

    for i, group in enumerate(cluster.rack_groups):
        if group.gpu_type not in catalog:
            msg = f"unknown GPU type {group.gpu_type!r}" + _did_you_mean(group.gpu_type, types)
            issues.append((("cluster", "rack_groups", i, "gpu_type"), msg))
    names = [g.name or g.gpu_type for g in cluster.rack_groups]
    for i, name in enumerate(names):
        if names.index(name) != i:
            msg = f"duplicate rack group name {name!r}; give each group a distinct name"
            issues.append((("cluster", "rack_groups", i), msg))

    total_racks = sum(g.racks for g in cluster.rack_groups)
    if cluster.spare_racks >= total_racks:
        msg = f"spare_racks ({cluster.spare_racks}) leaves no rack of {total_racks} to run jobs"
        issues.append((("cluster", "spare_racks"), msg))
    if issues:
        return issues  # the fit checks below need valid GPU types

    largest_pool = max(
        (g.racks * catalog[g.gpu_type].gpus_per_rack for g in cluster.rack_groups), default=0
    )
    total_gpus = sum(g.racks * catalog[g.gpu_type].gpus_per_rack for g in cluster.rack_groups)
    usable_gpus = total_gpus - cluster.spare_racks * max(
        catalog[g.gpu_type].gpus_per_rack for g in cluster.rack_groups
    )
    seen: set[str] = set()
    for i, job in enumerate(scenario.jobs):
        if job.name in seen:
            issues.append((("jobs", i, "name"), f"duplicate job name {job.name!r}"))
        seen.add(job.name)
        if job.reference_gpu is not None and job.reference_gpu not in catalog:
            msg = f"unknown GPU type {job.reference_gpu!r}"
            msg += _did_you_mean(job.reference_gpu, types)
            issues.append((("jobs", i, "reference_gpu"), msg))
        if job.min_gpus > usable_gpus:
            msg = (
                f"min_gpus ({job.min_gpus}) can never fit: the cluster has {usable_gpus} "
                f"allocatable GPUs ({total_gpus} minus spares)"
            )
            issues.append((("jobs", i, "min_gpus"), msg))
        elif job.min_gpus > largest_pool and len(cluster.rack_groups) == 1:
            issues.append((("jobs", i, "min_gpus"), f"min_gpus exceeds {largest_pool} GPUs"))
    return issues
