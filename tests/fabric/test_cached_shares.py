"""What the fabric keeps between solves equals a fresh computation, after every event of a run.

The fabric keeps, so that a checkpoint pause of one job does not redo the whole solve: each job's
cap and the load it carries at its cap (valid until the next fault or repair), the per-tier
divisors and totals of the utilisation levels (likewise), each placement's communication model
(looked up by the job's GPU counts rather than its whole configuration) and, per placement,
whether its traffic leaves its racks. A stale entry (a fault that did not clear it, a key that
misses a difference) would silently mis-rate jobs, so after every settle of a Colossus-2 run with
failures and network faults, each is compared with what the model gives from scratch.
"""

from __future__ import annotations

import numpy as np
import pytest

from colossim.api import load_scenario
from colossim.engine.fabric import Fabric
from colossim.engine.simulation import Simulation
from colossim.model.fabric import allocate, job_cap
from colossim.model.traffic import job_comm
from colossim.policy.registry import make_policy

DAY = 86400.0


def _fresh_comm(config, parts, span, nic, memo: dict):
    """``job_comm`` computed afresh (past its own cache), once per distinct full key."""
    key = (config, parts, span, nic)
    if key not in memo:
        memo[key] = job_comm.__wrapped__(config, parts, span, nic)
    return memo[key]


def _check_against_fresh(fabric: Fabric, counts: dict[str, int], memo: dict,
                         checked: list) -> None:
    t, scale = fabric.topology, fabric.scale
    capacity = t.capacity * scale
    cap_scale = np.ones(t.resources)  # the faults that lower jobs' ceilings: not one rack's links
    for key, (ids, fraction) in fabric.faults.items():
        cap_scale[ids] *= 1.0 if key in fabric._pooled else fraction
    assert np.array_equal(fabric.capacity, capacity)
    # levels: mean = a tier's load over its capacity, hottest = the largest load / capacity
    for k, (mean, hottest) in enumerate(fabric._meter.levels(fabric.load)):
        tier = slice(k * t.pods, min((k + 1) * t.pods, 2 * t.pods + 1))
        load, cap = fabric.load[tier], capacity[tier]
        assert np.isclose(mean, load.sum() / cap.sum(), rtol=1e-12, atol=0)
        assert hottest == max(np.where(cap > 0, load / np.where(cap > 0, cap, 1), 0))
    state = fabric.sim.state
    for index, (placed, cap, carried, limit) in fabric._at_cap.items():
        if fabric._placed.get(index) is not placed:
            continue  # a stale entry is never read: _cap_of checks the placement
        foot = placed.foot
        assert cap == job_cap(t, foot, cap_scale)
        assert np.array_equal(carried, foot.weights * cap)
        assert np.array_equal(limit, capacity[foot.resources] * (1 + 1e-12))
        counts["caps"] += 1
    for job in state.running_jobs():
        placed = fabric._placed.get(job.index)
        if placed is None or placed.grant is not job.grant or any(
                placed is seen for seen in checked):
            continue  # placements are immutable: each is checked once
        checked.append(placed)
        layout = state.layout
        racks = np.array([r for r, _ in job.grant])
        gpus = np.array([n for _, n in job.grant], dtype=float)
        by_type = np.bincount(layout.rack_type[racks], weights=gpus,
                              minlength=len(layout.gpu_types))
        parts = tuple((layout.specs[k], int(n)) for k, n in enumerate(by_type) if n)
        if placed.comm is not None:
            fresh = _fresh_comm(job.config, parts, placed.comm.span,
                                float(t.rack_nic[racks].min()), memo)
            assert placed.comm == fresh
            counts["comms"] += 1
        talks = (placed.comm is not None and len(job.grant) > 1
                 and placed.comm.traffic.nic > 0)
        assert placed.talks == talks
        assert placed.shares == (talks and placed.foot.resources.size > 0)
    # the policy's view: pod-tier load over healthy capacity, and the faults' scale, now
    view, pod = fabric.view(), slice(t.pods, 2 * t.pods)
    assert np.array_equal(view.pod_uplink_load, fabric.load[pod] / t.capacity[pod])
    assert np.array_equal(view.pod_uplink_health, scale[pod])
    # the load kept by adding and removing jobs at their caps equals a full solve's
    full = allocate(t, [fabric._placed[i].foot for i in fabric._rates], scale, cap_scale)
    assert np.allclose(fabric.load, full.load, rtol=1e-9, atol=1e-6)


# a short horizon on purpose: its warning of jobs past the horizon is expected
@pytest.mark.filterwarnings("ignore::colossim.errors.ColossimWarning")
def test_kept_caps_levels_and_comms_equal_fresh_ones_after_every_event():
    # Colossus-2 with its failures for 30 hours, plus a pod-tier switch fault that comes and
    # goes (clearing the kept caps and divisors twice).
    scenario = load_scenario("colossus2", [
        f"simulation.horizon_s={1.25 * DAY}",
        "cluster.fabric.events=[{time_s: 60000, tier: pod, pod: 3, capacity_fraction: 0.5,"
        " duration_s: 40000}]",
    ])
    assert scenario.reliability.enabled
    spec = scenario.scheduler.policy
    sim = Simulation(scenario, make_policy(spec.name, dict(spec.params or {})))
    fabric = next(m for m in sim.state.modifiers if isinstance(m, Fabric))
    counts = {"caps": 0, "comms": 0, "settles": 0}
    memo: dict = {}
    placements: list = []
    settle = sim._after_change

    def checked() -> None:
        settle()
        counts["settles"] += 1
        _check_against_fresh(fabric, counts, memo, placements)

    sim._after_change = checked
    sim.run()
    assert any(e.kind == "fabric_fault" for e in sim.state.record.events)
    assert any(e.kind == "fabric_repair" for e in sim.state.record.events)
    # the check saw many settles, kept caps and placed jobs' communication models
    assert counts["settles"] > 1000 and counts["caps"] > 1000 and counts["comms"] > 20


def test_unique_inverse_skips_the_sort_only_when_in_order():
    from colossim.model.fabric import unique_inverse

    units, index = unique_inverse(np.array([3, 3, 5, 9, 9, 9]))  # in order: no sort needed
    assert units.tolist() == [3, 5, 9] and index.tolist() == [0, 0, 1, 2, 2, 2]
    units, index = unique_inverse(np.array([5, 3, 5]))  # out of order: numpy's own answer
    assert units.tolist() == [3, 5] and index.tolist() == [1, 0, 1]
