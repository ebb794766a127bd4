"""How much work a job is, and how fast a grant does it: the engine's bridge to the models.

Two speed models, chosen by ``simulation.speed_model``:

- ``performance`` (default): work is the job's model FLOPs (``performance.total_flops``) and the
  rate is ``performance.estimate_grant(...)`` for the grant's GPU types, racks and pods, with the
  fabric's nominal tier bandwidths. A grant the job does not fit in memory has rate 0.
- ``linear``: work = 6 x active parameters x tokens, speed = GPUs x peak FLOP/s x
  ``simulation.efficiency``: the textbook stand-in, exact to hand-compute.

Jobs described by work (``work_gpu_hours`` on a ``reference_gpu``, as in traces) always use the
linear model, so a trace job runs exactly its recorded duration at its recorded GPU count. A job
spread over two GPU types runs at the slower part's pace.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from colossim.config.schema import GpuSpec, JobConfig, Precision, Scenario
from colossim.model.parallelism import Span, TierBandwidth
from colossim.model.performance import DoesNotFit, estimate_grant, min_gpus, total_flops

TFLOPS = 1e12
FLOPS_PER_PARAM_TOKEN = 6.0  # forward 2 + backward 4 (Kaplan et al. 2020)


def peak_flops(spec: GpuSpec, precision: Precision) -> float:
    """Peak FLOP/s of one GPU at a precision."""
    return spec.peak_tflops(precision) * TFLOPS


class SpeedModel:
    """Work, rates and fit of the jobs of one scenario."""

    def __init__(self, scenario: Scenario):
        self.catalog = scenario.gpu_catalog()
        self.efficiency = scenario.simulation.efficiency
        self.linear_only = scenario.simulation.speed_model == "linear"
        fabric = scenario.cluster.fabric
        self._bandwidth = {
            name: TierBandwidth.from_gpu(
                spec, fabric.static_oversubscription, fabric.nic_gbit(name, spec.nic_gbit_s)
            )
            for name, spec in self.catalog.items()
        }
        self.pod_size_racks = scenario.cluster.pod_size_racks
        self.mixed_gpu_types = scenario.cluster.mixed_gpu_types
        self.rate = lru_cache(maxsize=65536)(self._rate)

    def linear(self, job: JobConfig) -> bool:
        return self.linear_only or job.work_gpu_hours is not None

    def work_flops(self, job: JobConfig) -> float:
        """Total work of a job in FLOPs."""
        if job.work_gpu_hours is not None:
            spec = self.catalog[job.reference_gpu or ""]
            return job.work_gpu_hours * 3600.0 * peak_flops(spec, job.precision) * self.efficiency
        if self.linear_only:
            return FLOPS_PER_PARAM_TOKEN * job.active_params * job.train_tokens
        return total_flops(job)

    def _rate(self, job: JobConfig, by_type: tuple[tuple[str, int], ...], span: Span) -> float:
        gpus = sum(n for _, n in by_type)
        if gpus == 0:
            return 0.0
        if self.linear(job):
            slowest = min(peak_flops(self.catalog[t], job.precision) for t, _ in by_type)
            return gpus * slowest * self.efficiency
        by_name = dict(by_type)
        try:
            est = estimate_grant(job, by_name, self.catalog, span, self.bandwidth_for(by_name))
        except DoesNotFit:
            return 0.0
        return est.flops_per_s

    def bandwidth_for(self, gpus_by_type: Mapping[str, int]) -> TierBandwidth:
        """Nominal (uncontended) tier bandwidths: the slowest of the types present."""
        bandwidth: TierBandwidth | None = None
        for name in sorted(gpus_by_type):
            bw = self._bandwidth[name]
            bandwidth = bw if bandwidth is None else bandwidth.slowest(bw)
        assert bandwidth is not None, "an allocation has at least one GPU type"
        return bandwidth

    def rate_of(self, job: JobConfig, gpus_by_type: Mapping[str, int], span: Span) -> float:
        """FLOP/s of a job on GPUs of these types spread over ``span`` (0 if it cannot run)."""
        return self.rate(job, tuple(sorted((t, n) for t, n in gpus_by_type.items() if n)), span)

    def packed_span(self, gpus: int, gpu_type: str) -> Span:
        """The span of the tightest placement of ``gpus`` GPUs: full racks in full pods, the
        rest in one more rack."""
        spec = self.catalog[gpu_type]
        racks = max(1, -(-gpus // spec.gpus_per_rack))
        last = gpus - (racks - 1) * spec.gpus_per_rack
        return Span(racks=racks, pods=max(1, -(-racks // self.pod_size_racks)),
                    fewest=last if racks > 1 and last < spec.gpus_per_domain else 0, gpus=gpus)

    def estimate_rate(self, job: JobConfig, gpus_by_type: Mapping[str, int]) -> float:
        """Rate on a hypothetical allocation, assumed tightly packed (what policies ask)."""
        gpus = sum(gpus_by_type.values())
        if gpus == 0:
            return 0.0
        widest = max(gpus_by_type, key=lambda t: gpus_by_type[t])
        return self.rate_of(job, gpus_by_type, self.packed_span(gpus, widest))

    def fastest_grants(self, job: JobConfig, usable: Mapping[str, int]) -> list[dict[str, int]]:
        """The fastest grants of up to ``max_gpus`` a cluster with ``usable`` GPUs per type can
        give: each type alone, and, where types may mix, the fastest types filled first (a mix
        is paced by its slowest GPUs, so no other mix of as many GPUs is faster). A bound taken
        on 7,200 GB300 where the cluster has 5,760 would flatter every policy on a mixed
        cluster; one on each type alone said a deadline was out of reach that a mixed grant
        meets (review). Counts are whole allocation units of each type: a job of up to 100
        GPUs that takes whole 72-GPU domains holds 72 at most (QA: a bound taken on 100 was
        28% below the best schedule, and a deadline it could never meet went unwarned)."""
        speed = {t: self.per_gpu_ceiling(job, t) for t in usable}

        def whole(gpu_type: str, gpus: int) -> int:
            unit = job.allocation_unit(self.catalog[gpu_type].gpus_per_domain)
            return gpus // unit * unit

        grants = [{t: whole(t, min(job.max_gpus, n))} for t, n in usable.items()]
        if self.mixed_gpu_types and len(usable) > 1:
            grant: dict[str, int] = {}
            for t in sorted(usable, key=lambda t: -speed[t]):
                take = whole(t, min(usable[t], job.max_gpus - sum(grant.values())))
                if take <= 0:
                    continue  # a smaller unit of a slower type may still fit what is left
                grant[t] = take
                if len(grant) > 1:
                    grants.append(dict(grant))
        return [g for g in grants if sum(g.values()) >= job.min_gpus]

    def fastest_rate(self, job: JobConfig, usable: Mapping[str, int]) -> float:
        """The job's speed on its fastest grant (``fastest_grants``), 0 if none."""
        return max((self.estimate_rate(job, g) for g in self.fastest_grants(job, usable)),
                   default=0.0)

    def per_gpu_ceiling(self, job: JobConfig, gpu_type: str) -> float:
        """An upper bound on one GPU's FLOP/s for this job, whatever the allocation."""
        spec = self.catalog[gpu_type]
        if self.linear(job):
            return peak_flops(spec, job.precision) * self.efficiency
        t = job.training
        if t.mfu is not None:
            return t.mfu * peak_flops(spec, job.precision)
        if t.achieved_tflops_per_gpu is not None:
            return t.achieved_tflops_per_gpu * TFLOPS
        return peak_flops(spec, job.precision) * t.kernel_efficiency

    def memory_min_gpus(self, job: JobConfig, gpu_type: str) -> int | None:
        """Fewest GPUs of a type the job fits in (None: never); 1 for work-described jobs."""
        if self.linear(job):
            return 1
        return min_gpus(job, self.catalog[gpu_type])


def describe_estimate(
    speed: SpeedModel, job: JobConfig, gpus_by_type: Mapping[str, int], span: Span
) -> dict[str, object] | None:
    """What the performance model says of a job on an allocation, for the record.

    None for linear-model jobs (no plan) and for allocations the job does not fit.
    """
    if speed.linear(job):
        return None
    by_type = {t: n for t, n in gpus_by_type.items() if n}
    try:
        est = estimate_grant(job, by_type, speed.catalog, span, speed.bandwidth_for(by_type))
    except DoesNotFit:
        return None
    plan, br = est.plan, est.breakdown
    return {
        "gpus_by_type": dict(sorted(by_type.items())),  # which GPUs: a run's output says (QA)
        "mfu": est.mfu,
        "achieved_tflops_per_gpu": est.achieved_tflops_per_gpu,
        "tokens_per_s": est.tokens_per_s,
        "plan": {
            "tp": plan.tp,
            "pp": plan.pp,
            "dp": plan.dp,
            "ep": plan.ep,
            "micro_batch_size": plan.micro_batch_size,
            "microbatches": plan.microbatches,
            "interleave": plan.interleave,
            "recompute": str(plan.recompute.value),
        },
        "step_s": {
            "total": br.total_s,
            "compute": br.compute_s,
            "tp": br.tp_s,
            "pp_bubble": br.pp_bubble_s + br.pp_p2p_s,
            "dp": br.dp_s,
            "ep": br.ep_s,
            "limiter": br.limiter,
        },
    }


def plan_share(job: JobConfig, plan: Mapping[str, object], gpus: int) -> float:
    """The share of a grant's ``gpus`` the chosen ``plan`` (``describe_estimate``'s) computes
    on: TP x PP x DP over the GPUs (the 10T job's TP x EP = 64 uses 64 of a rack's 72). 1 for a
    job whose efficiency is pinned (``mfu``, ``achieved_tflops_per_gpu``: its rate counts every
    GPU of the grant)."""
    if job.training.pinned or gpus <= 0:
        return 1.0
    used = int(plan["tp"]) * int(plan["pp"]) * int(plan["dp"])  # type: ignore[call-overload]
    return min(1.0, used / gpus)
