"""Fabric cuts: a job whose traffic needs a tier with no capacity left cannot take a step.

A fault with ``capacity_fraction: 0`` leaves a pod's rack tier or uplinks, or the core, with
nothing. A synchronous job whose scale-out traffic crosses it (its footprint loads it,
``model.fabric.footprint``) waits on a collective that never completes, so the engine takes it
off its racks at the fault, as a failed GPU does (``docs/fabric.md``, "Faults"):

- with the reliability model, through its interruption path (``Reliability.evict``): back to its
  newest checkpoint (a logged loss), detection, relaunch and load paid when it next starts;
- without it, off its GPUs keeping its progress, paying a preemption's checkpoint-restart when it
  next starts (``switch_costs.remember``, as the power fallback's preemptions do).

Either way a ``preempt`` event with ``reason: fabric_cut`` names the fault, tier and pod, and the
policy is told (trigger ``fabric_cut``, or reliability's ``failure``); its placers keep
multi-rack jobs off cut tiers (``policy/placement.py``). A job a policy starts across a cut
anyway is taken off the same way at once; if it does so again at the same instant the policy is
not told again (it would loop there), and hears of the job at its next call. A resize whose grant
would cross a cut is refused as invalid (``refuse_cut``): the job runs on where it is. A job on
one rack (NVLink only), or on one rack-tier unit of a cut pod, is untouched; degraded tiers (a
fraction above 0) only slow jobs down.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from colossim.engine.failures import reliability_of
from colossim.engine.switch_costs import remember
from colossim.errors import InvariantViolation
from colossim.model.jobs import Job, JobState

if TYPE_CHECKING:
    from colossim.engine.fabric import Fabric
    from colossim.engine.state import RunState
    from colossim.model.cluster import Grant

REASON = "fabric_cut"


def cut_resources(fabric: Fabric, job: Job, grant: Grant | None = None) -> np.ndarray:
    """The zero-capacity resources a running job's traffic loads, on its grant or on ``grant``
    (empty: it is not cut).

    A job the traffic model cannot describe (a trace job given as GPU-hours) still counts as
    talking across its racks; one whose plan sends nothing over the NICs does not."""
    if not fabric.cut or len(job.grant if grant is None else grant) < 2:
        return np.zeros(0, dtype=np.int64)
    placed = fabric.placement(job) if grant is None else fabric.placement_on(job, grant)
    comm, resources = placed.comm, placed.foot.resources
    if comm is not None and comm.traffic.nic <= 0:
        return np.zeros(0, dtype=np.int64)
    return resources[fabric.scale[resources] <= 0]


def refuse_cut(state: RunState, job: Job, grant: Grant) -> str | None:
    """Why a resize to ``grant`` is refused, if the job's traffic on it would cross a cut (it
    would be taken off at once, paying a restart, and the policy could grow it again): a
    growth whose new racks, with the ones it holds, span a cut pod's uplinks or rack tier."""
    from colossim.engine.fabric import Fabric

    fabric = next((m for m in state.modifiers if isinstance(m, Fabric)), None)
    if fabric is None or not fabric.cut:
        return None
    dead = cut_resources(fabric, job, grant)
    if not dead.size:
        return None
    resource = int(dead[0])
    tier, pod = _tier_pod(fabric, resource)
    where = "" if pod is None else f" of pod {pod}"
    return (f"the grant's traffic would cross the {tier} tier{where}, cut to zero capacity by "
            f"{fabric.cut_by(resource)} (docs/fabric.md, Cuts)")


def _tier_pod(fabric: Fabric, resource: int) -> tuple[str, int | None]:
    """A fabric resource's tier, and its pod (None for the core)."""
    t = fabric.topology
    tier = t.tier_of(resource)
    return tier, None if tier == "core" else resource - t.tier_slice(tier).start


def interrupt_cut(fabric: Fabric, jobs: Iterable[Job]) -> None:
    """Take every running job of ``jobs`` whose traffic crosses a cut off its racks."""
    if not fabric.cut:
        return
    for job in list(jobs):
        if job.state is JobState.RUNNING:
            dead = cut_resources(fabric, job)
            if dead.size:
                _interrupt(fabric, job, int(dead[0]))


def _interrupt(fabric: Fabric, job: Job, resource: int) -> None:
    sim, state, t = fabric.sim, fabric.sim.state, fabric.topology
    tier, pod = _tier_pod(fabric, resource)
    fabric.forget(job)
    notify = fabric.cut_at.get(job.index) != state.now_s
    fabric.cut_at[job.index] = state.now_s
    state.log("preempt", job, reason=REASON, fault=fabric.cut_by(resource), tier=tier, pod=pod)
    reliability = reliability_of(state)
    if reliability is not None:
        in_pod = [r for r, _ in job.grant if pod is None or t.rack_pod[r] == pod]
        reliability.evict(job, REASON, in_pod[0], notify)  # logs the failure, stops the job
        return
    remember(state.scenario, job, job.gpus, state.layout)  # paid when it next starts
    state.stop(job, JobState.PENDING)
    if notify:
        sim.trigger(REASON, job.name)


def check_cut(fabric: Fabric, state: RunState) -> None:
    """Invariant: no running job's traffic loads a cut (zero-capacity) resource."""
    if not fabric.cut:
        return
    for job in state.running_jobs():
        dead = cut_resources(fabric, job)
        if dead.size:
            raise InvariantViolation(
                f"job {job.name} runs across cut fabric resource {int(dead[0])} "
                f"({fabric.topology.tier_of(int(dead[0]))} tier, {fabric.cut_by(int(dead[0]))})")
