"""Fabric cuts (engine.fabric_cut): a job whose traffic crosses a tier at zero capacity is taken
off its racks at the fault and placed elsewhere; placers keep multi-rack jobs off cut tiers.

Hand arithmetic uses tests/fabric/helpers.py's job (72B dense, linear speed model: a rack does
72 x 2.5e15 x 0.5 = 9e16 FLOP/s; 0.1B tokens are 6 x 72e9 x 1e8 = 4.32e19 FLOPs) and the
checkpoint defaults (14 B per parameter: 1.008e12 B for 72B; written at 2 TB/s in 0.504 s and
read back at 7 TB/s in 0.144 s; detection 150 s, relaunch 120 s).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np
import pytest

from colossim.api import load_scenario
from colossim.engine.simulation import Simulation
from colossim.metrics.summary import summarize
from colossim.policy.actions import Start
from colossim.policy.api import BasePolicy
from colossim.policy.placement import PLACERS
from colossim.policy.registry import make_policy
from tests.conftest import make_scenario
from tests.fabric.helpers import RACK, fabric_scenario, job, linear_rate, run_fixed, work
from tests.fabric.test_placement import job_view, racks_view
from tests.reliability.helpers import quiet

CK_BYTES = 72e9 * 14
SAVE, LOAD = CK_BYTES / 2e12, CK_BYTES / 7e12  # 0.504 s, 0.144 s
DETECT, RESTART = 150.0, 120.0
REPRO = ["cluster.pod_size_racks=1",
         "cluster.fabric.events=[{time_s: 3600, tier: pod, pod: 0, capacity_fraction: 0, "
         "kind: link}]"]


def events(result, kind: str, job: str | None = None):
    return [e for e in result.record.events if e.kind == kind and (job is None or e.job == job)]


class FirstThenPack(BasePolicy):
    """Starts each job on the racks the test names the first time, then wherever ``pack``
    puts it (a policy that re-placed it on the same racks would be refused by the cut)."""

    name: ClassVar[str] = "first-then-pack"
    racks: ClassVar[dict[str, list[int]]] = {}

    def __init__(self) -> None:
        self.started: set[str] = set()

    def decide(self, view):
        free = view.racks.free.copy()
        out = []
        for j in view.pending:
            if j.name not in self.started and j.name in self.racks:
                grant = tuple((r, RACK) for r in self.racks[j.name])
            else:
                grant = PLACERS["pack"](view.racks, free, j, j.max_gpus)
            if grant is None:
                continue
            for r, n in grant:
                free[r] -= n
            self.started.add(j.name)
            out.append(Start(j.name, grant))
        return out


def run_first(scenario, racks: dict[str, list[int]]):
    policy = type("Here", (FirstThenPack,), {"racks": racks})()
    return summarize(Simulation(scenario, policy, check_invariants=True).run(), "here")


def test_the_repro_moves_llm_70b_off_the_cut_pod_and_it_completes(grants):
    """small with one rack per pod; pod 0's uplinks cut at 1 h for good. llm-70b (2 racks, so
    2 pods) started at 0 on racks 0 and 1 (pack: fewest pods, lowest first) crawled for 3,646
    days; now it is taken off at 3,600 s, restarted on racks that avoid pod 0, and finishes."""
    scenario = load_scenario("small", REPRO)
    sim = Simulation(scenario, make_policy("fifo"), check_invariants=True)
    result = summarize(sim.run(), "fifo")
    llm = [(t, racks) for t, name, racks in grants if name == "llm-70b"]
    assert llm[0] == (0.0, (0, 1))
    (cut,) = events(result, "preempt", "llm-70b")
    assert cut.time_s == 3600.0
    assert cut.data == {"reason": "fabric_cut", "fault": "cluster.fabric.events[0]",
                        "tier": "pod", "pod": 0}
    # free then: racks 0, 1, 3 (image-2b holds 64 of rack 2's 72 since 1,800 s); pack's first
    # choice, pods 0 and 1, crosses the cut; without pod 0 it takes racks 1 and 3
    assert llm[1:] == [(3600.0, (1, 3))]
    # moe-200b (3 racks) starts when llm-70b ends, also off pod 0
    assert [racks for _, name, racks in grants if name == "moe-200b"] == [(1, 2, 3)]
    # no reliability model: it keeps its progress and pays a preemption's checkpoint-restart
    # (save + relaunch + load of 70B x 14 B) when it starts again
    pauses = [e for e in events(result, "pause", "llm-70b") if e.time_s == 3600.0]
    assert [p.data["seconds"] for p in pauses] == [
        pytest.approx(70e9 * 14 / 2e12 + RESTART + 70e9 * 14 / 7e12)]
    assert not events(result, "failure")
    assert result.job("llm-70b").state == "completed"
    assert result.end_s < 2 * 86400  # it used to run to the 3,646-day horizon
    # the 1-rack job that starts at that instant may use rack 0 (NVLink only)
    assert all(len(racks) == 1 for t, name, racks in grants if name == "llm-8b")


def test_with_reliability_it_loses_the_work_since_its_last_checkpoint(grants):
    """2 racks across pods 0 and 1 (8.64e20 FLOPs: 4,800 s of compute), storage checkpoints
    every 1,000 s of compute (sync: paused 0.504 s each). Checkpoints start at 1,000 and
    2,000.504 s; the second is written at 2,001.008 s. Pod 0's uplinks are cut at 2,500 s:
    498.992 s of compute at 1.8e17 FLOP/s are lost; the job restarts at once on racks 1 and 2
    (pack: the fewest pods, lowest first, without pod 0) and pays detection, relaunch and load.
    """
    cut = {"time_s": 2500.0, "tier": "pod", "pod": 0, "capacity_fraction": 0.0}
    scenario = make_scenario([job("a", tokens_billion=2.0, checkpoint={"interval_s": 1000.0})],
                             racks=4, pod_size_racks=1, cluster={"fabric": {"events": [cut]}},
                             reliability=quiet())  # every failure class off
    result = run_first(scenario, {"a": [0, 1]})
    (cut,) = events(result, "preempt", "a")
    assert cut.time_s == 2500.0 and cut.data["reason"] == "fabric_cut"
    (failure,) = events(result, "failure", "a")
    assert failure.data["component"] == "fabric_cut" and failure.data["stopped"]
    assert failure.data["snapshot_s"] == pytest.approx(1000.0 + 1000.0 + SAVE)
    lost_s = 2500.0 - (2000.0 + 2 * SAVE)
    assert failure.data["lost_flops"] == pytest.approx(linear_rate(2) * lost_s, rel=1e-9)
    (restart,) = [e for e in events(result, "pause", "a") if e.data["phase"] == "restart"]
    assert restart.time_s == 2500.0
    assert restart.data["seconds"] == pytest.approx(DETECT + RESTART + LOAD)
    assert [(t, racks) for t, _, racks in grants] == [(0.0, (0, 1)), (2500.0, (1, 2))]
    a = result.job("a")
    assert a.state == "completed" and a.interruptions == 1
    # 4,800 s of compute plus what was lost, the restart, and 4 checkpoints: 2 before the cut,
    # 2 in the 2,800 s of compute left after it (the last 800 s end before a third falls due)
    done_s = 4800.0 + lost_s + DETECT + RESTART + LOAD + 4 * SAVE
    assert a.end_s == pytest.approx(done_s, rel=1e-9)
    assert a.lost_gpu_hours == pytest.approx(2 * RACK * lost_s / 3600, rel=1e-9)


def cut_pod_0_scenario(fraction: float):
    """3 pods of 2 racks; at 100 s pod 0's rack tier and uplinks keep ``fraction``. Jobs:
    ``solo`` on rack 0 (pod 0, one rack), ``inside`` on racks 2-3 (pod 1), ``across`` on racks
    1 and 4 (pods 0 and 2)."""
    tier = {"time_s": 100.0, "pod": 0, "capacity_fraction": fraction}
    return fabric_scenario([job("solo", racks=1), job("inside"), job("across")], racks=6,
                           pod_size_racks=2,
                           events=[{**tier, "tier": "rack"}, {**tier, "tier": "pod"}])


RACKS = {"solo": [0], "inside": [2, 3], "across": [1, 4]}


def test_only_the_job_crossing_the_cut_moves(grants):
    """Alone on the fabric each job runs at line rate (factor 1): solo 4.32e19 / 9e16 = 480 s,
    inside 4.32e19 / 1.8e17 = 240 s, both untouched by the cut (one rack; one healthy pod).
    across is taken off at 100 s keeping its progress (100 s of its 240); racks 1, 4 and 5 are
    free, and pack takes pod 2 (racks 4 and 5, one pod): it pays the switch (0.504 + 120 +
    0.144 s) and finishes its last 140 s."""
    result = run_first(cut_pod_0_scenario(0.0), RACKS)
    assert result.job("solo").end_s == pytest.approx(work() / linear_rate(1), rel=1e-12)
    assert result.job("inside").end_s == pytest.approx(work() / linear_rate(2), rel=1e-12)
    assert [e.job for e in events(result, "preempt")] == ["across"]
    switch = SAVE + RESTART + LOAD
    assert result.job("across").end_s == pytest.approx(100.0 + switch + 140.0, rel=1e-9)
    assert [racks for t, name, racks in grants if name == "across"] == [(1, 4), (4, 5)]


def test_a_policy_that_keeps_starting_a_job_across_a_cut_cannot_loop():
    """helpers' Fixed policy always starts across on racks 1 and 4. At each event it is taken
    off twice: the policy is told the first time, not the second, so the run goes on (solo and
    inside finish at 480 and 240 s) and ends stalled with across pending, instead of hanging."""
    result = run_fixed(cut_pod_0_scenario(0.0), RACKS)
    times = [e.time_s for e in events(result, "preempt", "across")]
    assert times == [100.0, 100.0, 240.0, 240.0, 480.0, 480.0]
    assert result.job("across").state == "pending" and result.end_s == 480.0


def test_a_degraded_tier_interrupts_nothing():
    """At half capacity nobody moves: the cut rule is for tiers with nothing left."""
    result = run_first(cut_pod_0_scenario(0.5), RACKS)
    assert not events(result, "preempt") and not events(result, "failure")
    assert result.job("solo").end_s == pytest.approx(work() / linear_rate(1), rel=1e-12)
    assert len(events(result, "start", "across")) == 1


def test_the_invariant_catches_a_job_running_across_a_cut(monkeypatch):
    """With the cut rule switched off (a stand-in for a bug), the invariant check finds the
    job still running across pod 0's dead tiers at the fault."""
    import colossim.engine.fabric as engine_fabric
    from colossim.errors import InvariantViolation

    monkeypatch.setattr(engine_fabric, "interrupt_cut", lambda fabric, jobs: None)
    policy = type("Here", (FirstThenPack,), {"racks": RACKS})()
    sim = Simulation(cut_pod_0_scenario(0.0), policy, check_invariants=True)
    with pytest.raises(InvariantViolation, match="job across runs across cut fabric"):
        sim.run()
    assert sim.env.now == 100.0


# -- placers ---------------------------------------------------------------------------------
def cut_view(free_racks: list[int], rack_health=None, health=None, core: float = 1.0,
             rail: bool = False):
    """racks_view's 4 pods of 4 racks, with rack-tier and core health."""
    view = racks_view(free_racks, health=health, rail=rail)
    fabric = dataclasses.replace(
        view.fabric, core_health=core,
        pod_rack_health=np.array(rack_health if rack_health is not None else [1.0] * 4))
    return dataclasses.replace(view, fabric=fabric)


def place(view, racks: int, placer: str):
    return PLACERS[placer](view, view.free.copy(), job_view(racks), 72 * racks)


@pytest.mark.parametrize("placer", sorted(PLACERS))
def test_no_placer_spans_pods_through_cut_uplinks(placer):
    """4 pods of 4 racks, all free; pod 0's uplinks cut. A 6-rack job must span pods: none of
    its racks in pod 0 (racks 0-3)."""
    view = cut_view(list(range(16)), health=[0.0, 1.0, 1.0, 1.0])
    grant = place(view, 6, placer)
    assert grant is not None and sum(n for _, n in grant) == 6 * 72
    assert not {r for r, _ in grant} & {0, 1, 2, 3}


@pytest.mark.parametrize("placer", sorted(PLACERS))
def test_no_placer_spans_racks_of_a_pod_whose_rack_tier_is_cut(placer):
    """Only pod 0 (racks 0-3) and rack 4 of pod 1 are free; pod 0's rack tier is cut. A 2-rack
    job may not use two racks of pod 0 nor pod 0 with pod 1: nothing fits, so no grant."""
    view = cut_view([0, 1, 2, 3, 4], rack_health=[0.0, 1.0, 1.0, 1.0])
    assert place(view, 2, placer) is None
    # a 1-rack job may still use pod 0 (NVLink only)
    assert place(view, 1, placer) is not None


def test_a_rail_group_of_a_cut_pod_still_holds_a_job():
    """Rail-optimised (a pod is one rail group): racks of one rail group never use the rack
    tier, so a 2-rack job may sit in pod 0 with its rack tier cut, but not span pods."""
    view = cut_view([0, 1, 4], rack_health=[0.0, 1.0, 1.0, 1.0], rail=True)
    assert {r for r, _ in place(view, 2, "pack")} == {0, 1}
    assert place(view, 3, "pack") is None


def test_with_the_core_cut_a_job_stays_in_one_pod():
    """Pods 0 and 1 have 3 free racks each, pod 2 two: with the core cut no job spans pods, so
    a 4-rack job (min_gpus = 4 racks) gets nothing and a 3-rack job one pod, even from
    ``random``."""
    view = cut_view([0, 1, 2, 4, 5, 6, 8, 9], core=0.0)
    assert place(view, 4, "pack") is None
    assert len({r // 4 for r, _ in place(view, 3, "random")}) == 1

