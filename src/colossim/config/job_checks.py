"""Load-time checks of a job's training recipe against the cluster it runs on.

A pinned plan or a pinned rate that no GPU of the cluster could honour used to load and then
fail obscurely: a rate above peak ran at an MFU of 4,000%, and an impossible plan was reported as
"does not fit in memory". These checks name the real cause at the field's line
(``docs/model.md``, "Pinned plans and rates"). They need only the configuration: the model-level
checks (heads, layers, batch) are ``colossim.model.plan_check``.

A plan that pins tp, pp and dp fixes the job's size at tp·pp·dp GPUs: ``pinned_sizes`` narrows
``min_gpus`` and ``max_gpus`` to it, so no policy offers the job fewer GPUs than its plan uses, nor
GPUs it would leave idle; ``plan_issues`` refuses a min/max that excludes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from colossim.config.yamlmarks import PathKey

if TYPE_CHECKING:
    from colossim.config.schema import ClusterConfig, GpuSpec, JobConfig

Issues = list[tuple[PathKey, str]]
PLAN: PathKey = ("training", "plan")


def job_gpu_types(catalog: Mapping[str, GpuSpec], cluster: ClusterConfig | None) -> list[str]:
    """The GPU types a job may run on: those of the cluster's racks (known to the catalog)."""
    if cluster is None:
        return []
    return list(dict.fromkeys(g.gpu_type for g in cluster.rack_groups
                              if g.racks > 0 and g.gpu_type in catalog))


def plan_size(job: JobConfig) -> int | None:
    """GPUs a plan pinning tp, pp and dp uses (EP ranks are among the DP ranks); else None."""
    plan = job.training.plan
    if plan.tp is None or plan.pp is None or plan.dp is None:
        return None
    return plan.tp * plan.pp * plan.dp


def plan_text(job: JobConfig) -> str:
    """'tp·pp·dp = 8·2·9 = 144' for messages."""
    plan = job.training.plan
    return f"tp·pp·dp = {plan.tp}·{plan.pp}·{plan.dp} = {plan_size(job):,}"


def smallest_grant(job: JobConfig, size: int, spec: GpuSpec) -> int:
    """The fewest GPUs of one type a grant holding ``size`` GPUs has (whole allocation units)."""
    unit = job.allocation_unit(spec.gpus_per_domain)
    return -(-size // unit) * unit


def _dense(job: JobConfig) -> bool:
    return job.active_params_billion is None or job.active_params_billion >= (
        job.params_billion or 0)


def domain_group(job: JobConfig) -> int:
    """GPUs one NVLink domain must hold for the job's pinned plan: its tensor-parallel group
    (tp), times its expert group (ep) on a mixture of experts, an unpinned tp counting as 1
    (the search picks it); 1 when neither is pinned. Placers skip GPU types whose domain
    is smaller: a grant there could never run (``policy.placement``)."""
    plan = job.training.plan
    return (plan.tp or 1) * (plan.ep if plan.ep and not _dense(job) else 1)


def _rate_issues(job: JobConfig, specs: Mapping[str, GpuSpec]) -> Issues:
    """A pinned hardware rate above the dense peak, at the job's precision, of a GPU type the
    job may run on: no GPU computes faster than its peak, so every result would be fiction."""
    rate = job.training.achieved_tflops_per_gpu
    if rate is None:
        return []
    above = {name: s.peak_tflops(job.precision) for name, s in specs.items()
             if rate > s.peak_tflops(job.precision)}
    if not above:
        return []
    peaks = ", ".join(f"{name} {peak:,.0f} TFLOP/s" for name, peak in above.items())
    which = "every GPU type" if len(above) == len(specs) else "a GPU type"
    return [(("training", "achieved_tflops_per_gpu"),
             f"{rate:,g} is above the peak of {which} the job may run on ({peaks} at "
             f"{job.precision.value}); pin mfu instead to give a fraction of each type's peak")]


def _shape_issues(job: JobConfig, specs: Mapping[str, GpuSpec]) -> Issues:
    """Pins no GPU type of the cluster can hold: EP on a dense model, TP (or TP·EP) beyond
    every NVLink domain."""
    plan = job.training.plan
    issues: Issues = []
    dense = _dense(job)
    if plan.ep is not None and plan.ep > 1 and dense:
        issues.append(((*PLAN, "ep"), f"{plan.ep} on a dense model: expert parallelism needs a "
                       "mixture of experts (active_params_billion below params_billion)"))
    if not specs:
        return issues
    domains = ", ".join(f"{name} {s.gpus_per_domain}" for name, s in specs.items())
    widest = max(s.gpus_per_domain for s in specs.values())
    if plan.tp is not None and plan.tp > widest:
        issues.append(((*PLAN, "tp"), f"{plan.tp} is larger than the NVLink domain of every "
                       f"GPU type the job may run on ({domains} GPUs): tensor parallelism "
                       "stays inside one domain"))
    elif domain_group(job) > widest:
        group = (f"tp·ep = {plan.tp}·{plan.ep} = {domain_group(job)}" if plan.tp
                 else f"ep {plan.ep} (with tp at least 1)")
        issues.append(((*PLAN, "ep"), f"{group} is larger than the NVLink domain of every GPU "
                       f"type the job may run on ({domains} GPUs): expert all-to-alls stay "
                       "inside one domain"))
    return issues


def _size_issues(job: JobConfig, specs: Mapping[str, GpuSpec]) -> Issues:
    """A pinned plan's size outside [min_gpus, max_gpus]."""
    plan = job.training.plan
    size = plan_size(job)
    if size is None:  # a partial pin still needs tp·pp·(dp or ep) GPUs at the least
        least = (plan.tp or 1) * (plan.pp or 1) * (plan.dp or plan.ep or 1)
        if least > job.max_gpus:
            pins = [f"{k} {getattr(plan, k)}" for k in ("tp", "pp", "dp", "ep") if getattr(plan, k)]
            verb = "needs" if len(pins) == 1 else "need"
            return [(PLAN, f"{' and '.join(pins)} {verb} at least {least:,} GPUs, above "
                           f"max_gpus ({job.max_gpus:,})")]
        return []
    if size > job.max_gpus:
        return [(PLAN, f"{plan_text(job)} GPUs, above max_gpus ({job.max_gpus:,}); a pinned "
                       "plan fixes the job's size")]
    grants = [smallest_grant(job, size, s) for s in specs.values()] or [size]
    if job.min_gpus > max(grants):
        return [(PLAN, f"{plan_text(job)} GPUs, below min_gpus ({job.min_gpus:,}); a pinned "
                       "plan fixes the job's size")]
    return []


def plan_issues(job: JobConfig, catalog: Mapping[str, GpuSpec],
                cluster: ClusterConfig | None) -> Issues:
    """Every problem of one job's pinned plan and pinned rate, paths relative to the job."""
    if job.params_billion is None:  # described by work: the performance model is not used
        return []
    specs = {name: catalog[name] for name in job_gpu_types(catalog, cluster)}
    return _rate_issues(job, specs) + _shape_issues(job, specs) + _size_issues(job, specs)


def pinned_sizes(jobs: Sequence[JobConfig], catalog: Mapping[str, GpuSpec],
                 cluster: ClusterConfig) -> tuple[JobConfig, ...]:
    """The jobs with ``min_gpus`` and ``max_gpus`` narrowed to what a fully pinned plan uses:
    at least tp·pp·dp GPUs, at most the largest of the smallest grants holding them (whole
    NVLink domains for domain jobs). Jobs whose bounds exclude the plan are left as they are
    (``plan_issues`` reports them)."""
    specs = [catalog[name] for name in job_gpu_types(catalog, cluster)]
    out = []
    for job in jobs:
        size = plan_size(job)
        if size is None or job.params_billion is None or not specs or job.max_gpus < size:
            out.append(job)
            continue
        low = max(job.min_gpus, size)
        high = min(job.max_gpus, max(smallest_grant(job, size, s) for s in specs))
        if low > high or (low, high) == (job.min_gpus, job.max_gpus):
            out.append(job)
        else:
            out.append(job.model_copy(update={"min_gpus": low, "max_gpus": high}))
    return tuple(out)
