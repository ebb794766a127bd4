"""Checks that need the whole scenario: names that must exist, jobs that must fit.

Each returns ``(field path, message)`` so the loader can point at the right line. They run at
load time, so a scenario that can never finish is refused before any simulation starts. The
checks take the scenario's parts (catalog, cluster, jobs) rather than a whole ``Scenario`` so the
loader can still run them on the parts that validated when another part of the file did not.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from colossim.config.wording import and_more
from colossim.config.yamlmarks import PathKey, shown_path

if TYPE_CHECKING:
    from colossim.config.schema import ClusterConfig, GpuSpec, JobConfig, Scenario

Issues = list[tuple[PathKey, str]]


def did_you_mean(name: str, options: Sequence[str]) -> str:
    """' (did you mean 'x'?)' for a near miss, else the list of what is known. Case is no
    miss: ``a100`` is ``A100`` (QA: it was offered ``H100``, nearer in case-sensitive text).
    A name refused on its own line (a catalog entry named "" or with a control character)
    is not offered. (``config.base`` loads pydantic: imported here, on the way to an error.)"""
    from colossim.config.base import has_control

    options = [option for option in options if option.strip() and not has_control(option)]
    folded = {option.casefold(): option for option in options}
    hint = [folded[name.casefold()]] if name.casefold() in folded else [
        folded[m] for m in difflib.get_close_matches(name.casefold(), list(folded), n=1)]
    return f" (did you mean {hint[0]!r}?)" if hint else f"; known: {', '.join(sorted(options))}"


def unknown_gpu_type(loc: PathKey, name: str, types: Sequence[str]) -> Issues:
    """The issue for a GPU type name the catalog lacks, or nothing."""
    if name in types:
        return []
    return [(loc, f"unknown GPU type {name!r}" + did_you_mean(name, types))]


def spares_per_pod(scenario: Scenario) -> int:
    """Racks the reliability model holds back in every pod (none when it is off)."""
    reliability = scenario.reliability
    return reliability.spares.racks_per_pod if reliability.enabled else 0


def usable_of(scenario: Scenario) -> dict[str, int]:
    """Allocatable GPUs per GPU type of a whole scenario, every kind of spare left out."""
    return usable_gpus_by_type(scenario.gpu_catalog(), scenario.cluster, spares_per_pod(scenario))


def cross_check(scenario: Scenario) -> Issues:
    """Every whole-scenario problem, in file order."""
    issues = check_parts(scenario.gpu_catalog(), scenario.cluster,
                         list(enumerate(scenario.jobs)), spares_per_pod=spares_per_pod(scenario))
    return issues + _maintenance_problems(scenario)


def _maintenance_problems(scenario: Scenario) -> Issues:
    """Maintenance windows name pods the cluster has (a pod past the last one was found only
    when the run scheduled the window, with no line)."""
    cluster = scenario.cluster
    pods = sum(-(-g.racks // cluster.pod_size_racks) for g in cluster.rack_groups)
    issues: Issues = []
    for w, window in enumerate(scenario.reliability.maintenance):
        for k, pod in enumerate(window.pods):
            if not 0 <= pod < pods:
                issues.append((("reliability", "maintenance", w, "pods", k),
                               f"pod {pod} does not exist (pods 0..{pods - 1})"))
    return issues


def duplicate_names(named: Iterable[tuple[int, str]],
                    among: Callable[[list[int]], bool] = lambda _jobs: True,
                    where: Callable[[int], PathKey] = lambda i: ("jobs", i, "name"),
                    what: str = "job") -> Issues:
    """Names given more than once (jobs', or rack groups' with ``where`` and ``what``), said
    at every item that gives one, naming the others: any may be the one to rename, and any may
    come from a ``--set`` (QA: a ``--set`` that renamed the first job, or set the first rack
    group's GPU type, was blamed on the second's untouched line of the file). ``among`` picks
    the groups to report (by their indexes); ``where`` is an item's field that gives its name."""
    items_by_name: dict[str, list[int]] = {}
    for i, name in named:
        items_by_name.setdefault(name, []).append(i)
    issues: Issues = []
    for name, indexes in items_by_name.items():
        if len(indexes) < 2 or not among(indexes):
            continue
        for i in indexes:
            others = [shown_path(where(j)[:-1]) for j in indexes if j != i]
            listed = and_more(others, 3)
            issues.append((where(i), f"duplicate {what} name {name!r} ({listed} "
                           f"{'has' if len(others) == 1 else 'have'} it too)"))
    return issues


def check_parts(
    catalog: Mapping[str, GpuSpec],
    cluster: ClusterConfig | None,
    jobs: Sequence[tuple[int, JobConfig]],
    known_types: Sequence[str] | None = None,
    spares_per_pod: int = 0,
) -> Issues:
    """Whole-scenario checks over whatever parts are valid.

    ``cluster`` is None when the cluster block itself is invalid; ``jobs`` holds only the jobs
    that validated, with their index in the file. ``known_types`` names every GPU type the
    scenario declares (valid or not) so a broken catalog entry is not also "unknown".
    ``spares_per_pod``: racks the reliability model holds back in every pod (when it is on).
    """
    types = list(known_types if known_types is not None else catalog)
    issues: Issues = []
    if cluster is not None:
        issues += _check_cluster(cluster, types)
    issues += duplicate_names((i, job.name) for i, job in jobs)
    for i, job in jobs:
        if job.reference_gpu is not None:
            issues += unknown_gpu_type(("jobs", i, "reference_gpu"), job.reference_gpu, types)
    if cluster is not None:
        from colossim.config.power import power_problems  # per-job power settings name jobs

        for loc, msg in power_problems(cluster.power, [job.name for _, job in jobs]):
            issues.append((("cluster", "power", *loc), msg))
    fit_ready = cluster is not None and not issues and all(
        g.gpu_type in catalog for g in cluster.rack_groups
    )
    if fit_ready:
        usable = usable_gpus_by_type(catalog, cluster, spares_per_pod)
        # the spares a fit problem may come from, so the message names the setting to change
        held = [f"cluster.spare_racks ({cluster.spare_racks})"] if cluster.spare_racks else []
        if spares_per_pod:
            held.append(f"reliability.spares.racks_per_pod ({spares_per_pod} in every pod)")
        for i, job in jobs:
            problem = fit_problem(job, catalog, usable, cluster.mixed_gpu_types)
            if problem is not None:
                note = f"; spares held back: {' and '.join(held)}" if held and (
                    "usable" in problem[1] or "largest" in problem[1]) else ""
                issues.append((("jobs", i, problem[0]), problem[1] + note))
    from colossim.config.job_checks import plan_issues  # pinned plans and rates (job_checks)

    for i, job in jobs:
        issues += [(("jobs", i, *loc), msg) for loc, msg in plan_issues(job, catalog, cluster)]
    return sorted(issues, key=lambda issue: _order(issue[0]))


def _order(loc: PathKey) -> tuple[tuple[int, str], ...]:
    return tuple((part, "") if isinstance(part, int) else (-1, part) for part in loc)


def _check_cluster(cluster: ClusterConfig, types: Sequence[str]) -> Issues:
    issues: Issues = []
    for i, group in enumerate(cluster.rack_groups):
        issues += unknown_gpu_type(("cluster", "rack_groups", i, "gpu_type"), group.gpu_type, types)
    groups = cluster.rack_groups
    # at the field that gives the name: the group as a whole took the blame of an override
    # that set another of its fields (QA: --set ...racks=3 was named)
    issues += duplicate_names(
        ((i, g.name or g.gpu_type) for i, g in enumerate(groups)),
        where=lambda i: ("cluster", "rack_groups", i, "name" if groups[i].name else "gpu_type"),
        what="rack group")
    total_racks = sum(g.racks for g in cluster.rack_groups)
    if total_racks == 0:  # blame the groups, not spare_racks (a file may not set it): each
        # at its racks, which a line or an override set to 0 (QA: two overrides did, and the
        # problem named only the first)
        issues += [(("cluster", "rack_groups", i, "racks"),
                    "the cluster has no racks: give a rack group at least one")
                   for i in range(len(groups))]
    elif cluster.spare_racks >= total_racks:
        msg = f"{cluster.spare_racks} spares leave none of the {total_racks} racks for jobs"
        issues.append((("cluster", "spare_racks"), msg))
    from colossim.config.fabric import fabric_problems  # the fabric's own checks (pods, NICs)

    pods = sum(-(-g.racks // cluster.pod_size_racks) for g in cluster.rack_groups)
    for loc, msg in fabric_problems(cluster.fabric, pods, list(types)):
        issues.append((("cluster", "fabric", *loc), msg))
    return issues


def usable_gpus_by_type(catalog: Mapping[str, GpuSpec], cluster: ClusterConfig,
                        spares_per_pod: int = 0) -> dict[str, int]:
    """Allocatable GPUs per GPU type: less ``cluster.spare_racks``, the last racks (as
    ``model.cluster`` lays them), and ``spares_per_pod``, the last racks of every pod (as
    ``engine.spares`` holds them back when reliability is on)."""
    racks: list[tuple[str, int]] = []  # (GPU type, pod) of every rack, in layout order
    pod = 0
    for group in cluster.rack_groups:
        racks += [(group.gpu_type, pod + r // cluster.pod_size_racks) for r in range(group.racks)]
        pod += -(-group.racks // cluster.pod_size_racks)
    held = [k >= len(racks) - cluster.spare_racks for k in range(len(racks))]
    if spares_per_pod:
        members: dict[int, list[int]] = {}
        for k, (_, in_pod) in enumerate(racks):
            members.setdefault(in_pod, []).append(k)
        for ks in members.values():
            for k in ks[-spares_per_pod:]:
                held[k] = True
    usable: dict[str, int] = {}
    for (gpu_type, _), spare in zip(racks, held, strict=True):
        usable[gpu_type] = usable.get(gpu_type, 0) + (0 if spare else
                                                      catalog[gpu_type].gpus_per_rack)
    return usable


def fit_problem(
    job: JobConfig, catalog: Mapping[str, GpuSpec], usable: Mapping[str, int], mixed: bool
) -> tuple[str, str] | None:
    """(field, message) when no grant can ever satisfy ``job``, else None.

    A grant holds a multiple of the job's allocation unit on each GPU type (whole NVLink domains
    for domain jobs), between min_gpus and max_gpus GPUs in all, within the usable GPUs, and on
    one GPU type unless the cluster allows mixing.
    """
    units = {t: job.allocation_unit(catalog[t].gpus_per_domain) for t in usable}
    smallest = {t: -(-job.min_gpus // u) * u for t, u in units.items()}
    if all(g > job.max_gpus for g in smallest.values()):
        t = min(smallest, key=smallest.__getitem__)
        need, unit = smallest[t], units[t]
        return "max_gpus", (
            f"no grant fits: min_gpus {job.min_gpus} rounds up to {need} GPUs "
            f"(whole {unit}-GPU NVLink domains of {t}), above max_gpus {job.max_gpus}; "
            f"raise max_gpus to {need} or set placement: gpu"
        )
    if any(g <= min(job.max_gpus, usable[t]) for t, g in smallest.items()):
        return None  # one GPU type alone can hold it: the common case, no search needed
    total = sum(usable.values())
    if job.min_gpus > total:
        return "min_gpus", (
            f"{job.min_gpus} GPUs can never fit: the cluster has {total:,} usable GPUs"
        )
    if not mixed:
        most = max(usable.values())
        return "min_gpus", (
            f"{job.min_gpus} GPUs can never fit on one GPU type (largest: {most:,} GPUs) and "
            "cluster.mixed_gpu_types is false"
        )
    if not _reachable(job.min_gpus, job.max_gpus, units, usable):
        return "min_gpus", (
            f"no mix of whole allocation units on the cluster's GPU types gives between "
            f"{job.min_gpus} and {job.max_gpus} GPUs"
        )
    return None


def _reachable(
    low: int, high: int, units: Mapping[str, int], usable: Mapping[str, int]
) -> bool:
    """Can sum over types of k_t x unit_t, with k_t x unit_t <= usable_t, land in [low, high]?

    A bounded subset-sum over GPU counts up to ``high`` (at most the cluster's size), with each
    type's count split into powers of two so it costs a few array shifts per type.
    """
    import numpy as np  # not at the top: ``colossim schema`` loads this module, never numpy

    top = min(high, sum(usable.values()))
    reach = np.zeros(top + 1, dtype=bool)
    reach[0] = True
    for t, unit in units.items():
        count = usable[t] // unit
        chunk = 1
        while count > 0:
            take = min(chunk, count)
            step = take * unit
            if step <= top:
                reach[step:] |= reach[: top + 1 - step].copy()
            count -= take
            chunk *= 2
    return bool(reach[low : top + 1].any())
