"""A job's traffic per tier and its speed under a given scale-out bandwidth, from the plan.

The performance model (``colossim.model.performance``) picks a job's parallel plan for its GPUs on
a non-blocking fabric; this module reads that plan and answers what the fabric needs:

* **bytes per step** one GPU sends, by collective and by the tier it crosses: TP all-reduces and
  MoE all-to-all stay in the NVLink domain; the DP reduce-scatter/all-gather is two-level
  (NVLink, then the NICs); pipeline sends go over NVLink when whole pipelines fit in a domain,
  else over the NICs. The formulas are the performance model's own (``core_terms``,
  ``dp_comm_s``), evaluated at 1 byte/s so that seconds read as bytes;
* **step time with the plan held fixed** at a contended per-GPU NIC bandwidth: a running job does
  not re-plan when a neighbour starts, it waits longer for its collectives.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import lru_cache

from colossim.config.schema import GpuSpec, JobConfig
from colossim.model.parallelism import (
    ParallelPlan,
    Span,
    StepBreakdown,
    TierBandwidth,
    core_terms,
    dp_comm_s,
    ranks_per_domain,
    step_breakdown,
)
from colossim.model.performance import DoesNotFit, estimate_mixed
from colossim.model.workload import Workload, workload

ONE_BYTE_PER_S = TierBandwidth(1e-9, 1e-9, 1e-9)  # GB/s: times come out in bytes
INF = float("inf")
MIN_BANDWIDTH = 1e-9  # GB/s: a job cut off by a fault crawls instead of dividing by zero
UNBOUNDED = 1e15  # GB/s: a fabric that costs no time


@dataclass(frozen=True)
class StepTraffic:
    """Bytes one GPU sends per optimizer step, by collective and by the tier it crosses."""

    tp_nvlink: float
    ep_nvlink: float
    dp_nvlink: float
    dp_nic: float
    pp_nvlink: float
    pp_nic: float  # mean over the job's GPUs: only some send their pipeline bytes over NICs
    pp_senders: float = 1.0  # the share of GPUs that do (``pipeline_nic_share``)

    @property
    def nic(self) -> float:
        """Bytes per GPU per step over the scale-out NIC (the mean over the job's GPUs)."""
        return self.dp_nic + self.pp_nic

    @property
    def nic_peak(self) -> float:
        """Bytes per step over the NIC of a GPU whose pipeline sends leave its domain: the most
        any of the job's GPUs sends, and what paces its step on the NICs."""
        if self.pp_senders >= 1.0 or self.pp_senders <= 0.0:
            return self.nic
        return self.dp_nic + self.pp_nic / self.pp_senders

    @property
    def nvlink(self) -> float:
        return self.tp_nvlink + self.ep_nvlink + self.dp_nvlink + self.pp_nvlink


def step_traffic(w: Workload, plan: ParallelPlan, gpu: GpuSpec, span: Span) -> StepTraffic:
    """Bytes per GPU per step on each tier (overlap hides time, never bytes)."""
    raw = dataclasses.replace(
        w,
        training=w.training.model_copy(
            update={"tp_overlap_fraction": 0.0, "ep_overlap_fraction": 0.0,
                    "pp_overlap_fraction": 0.0}
        ),
    )
    _compute, tp, ep, _bubble, p2p = core_terms(raw, gpu, ONE_BYTE_PER_S, plan)
    k = ranks_per_domain(plan, gpu.gpus_per_domain, span)
    leaving = pipeline_nic_share(plan, gpu.gpus_per_domain)
    return StepTraffic(
        tp_nvlink=tp,
        ep_nvlink=ep,
        dp_nvlink=dp_comm_s(w, plan, 1.0, INF, k),
        dp_nic=dp_comm_s(w, plan, INF, 1.0, k),
        pp_nvlink=p2p * (1.0 - leaving),
        pp_nic=p2p * leaving,
        pp_senders=leaving,
    )


def pipeline_nic_share(plan: ParallelPlan, gpus_per_domain: int) -> float:
    """Share of a pipeline's stage-to-stage sends that leave their NVLink domain.

    The rank order is the performance model's, innermost first [TP, EP, PP, DP] (docs/model.md,
    as Llama 3's): a pipeline's stages are consecutive blocks of tp x ep ranks, a domain holds
    B = domain // (tp x ep) of them, and the pipelines follow one another. A send leaves its
    domain only where a domain boundary falls between two stages of one pipeline: of the job's
    ``pp x dp`` stages, the boundaries after every B-th, less those where a pipeline begins.
    Whole pipelines packed per domain (``pipeline_in_domain``) send nothing over the NICs; with
    B = 1 every send does. The sends still pace the step at the NIC's speed (a pipeline goes at
    its slowest boundary); only the bytes the fabric carries follow this share."""
    if plan.pp <= 1 or plan.pipeline_in_domain:
        return 0.0
    per_domain = max(1, gpus_per_domain // (plan.tp * plan.ep))
    stages = plan.pp * plan.dp
    boundaries = (stages - 1) // per_domain  # domain boundaries between the job's stages
    starts = (stages - 1) // math.lcm(per_domain, plan.pp)  # of them, where a pipeline begins
    return (boundaries - starts) / (plan.dp * (plan.pp - 1))


def replica_domains(plan: ParallelPlan, gpus_per_domain: int) -> float:
    """NVLink domains one model replica spans (tp x ep x pp GPUs, in the rank order [TP, EP,
    PP, DP]), at least 1: the domains between two members of a DP group, where the fabric's
    hierarchical collectives find them (``model.fabric.hierarchical_shares``)."""
    if plan.pipeline_in_domain:
        return 1.0
    return max(1.0, plan.tp * plan.ep * plan.pp / gpus_per_domain)


@dataclass(frozen=True)
class JobComm:
    """One placed job's communication: the plan it runs and its step at any NIC bandwidth."""

    workload: Workload
    specs: tuple[GpuSpec, ...]
    plan: ParallelPlan
    span: Span
    gpus: int
    nvlink_gbytes_s: float
    nic_gbytes_s: float  # nominal (uncontended) per-GPU NIC bandwidth
    reference: StepBreakdown  # step at the nominal bandwidth
    unbounded_s: float  # step time on an infinitely fast scale-out fabric
    traffic: StepTraffic

    def breakdown(self, nic_gbytes_s: float) -> StepBreakdown:
        """Step time by cause at a per-GPU scale-out bandwidth (slowest GPU type sets the pace)."""
        x = max(nic_gbytes_s, MIN_BANDWIDTH)
        bw = TierBandwidth(self.nvlink_gbytes_s, x, x)
        steps = [step_breakdown(self.workload, s, self.plan, bw, self.span) for s in self.specs]
        return max(steps, key=lambda b: b.total_s)

    def speed(self, nic_gbytes_s: float) -> tuple[float, float, float]:
        """(speed factor, share of the step due to the scale-out fabric, step time in s).

        The factor is nominal step / contended step, in (0, 1]; pinned-efficiency jobs scale
        their pinned rate by the same ratio. The fabric's share is (step - step on an infinitely
        fast fabric) / step: the exposed time waiting on NICs and switches.
        """
        nominal = nic_gbytes_s >= self.nic_gbytes_s
        step = self.reference if nominal else self.breakdown(nic_gbytes_s)
        factor = min(1.0, self.reference.total_s / step.total_s)
        share = max(0.0, step.total_s - self.unbounded_s) / step.total_s
        return factor, share, step.total_s


@lru_cache(maxsize=4096)
def job_comm(
    job: JobConfig, parts: tuple[tuple[GpuSpec, int], ...], span: Span, nic_gbytes_s: float
) -> JobComm | None:
    """The communication model of ``job`` on ``parts`` (GPU type, count) over ``span``.

    None when the performance model cannot describe it: a trace job given as GPU-hours, or no
    plan fits these GPUs (the engine's speed model then stands alone).
    """
    try:
        w = workload(job)
    except ValueError:
        return None
    specs = tuple(dict.fromkeys(spec for spec, n in parts if n > 0))
    nvlink = min(s.nvlink_gbytes_s for s in specs)
    nominal = TierBandwidth(nvlink, nic_gbytes_s, nic_gbytes_s)
    try:
        plan = estimate_mixed(job, parts, span, nominal).plan
    except (DoesNotFit, ValueError):
        return None
    gpus = sum(n for _, n in parts)
    comm = JobComm(w, specs, plan, span, gpus, nvlink, nic_gbytes_s,
                   StepBreakdown(0, 0, 0, 0, 0, 0), 0.0, step_traffic(w, plan, specs[0], span))
    return dataclasses.replace(comm, reference=comm.breakdown(nic_gbytes_s),
                               unbounded_s=comm.breakdown(UNBOUNDED).total_s)
