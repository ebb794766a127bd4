"""Acceptance: jobs sharing an oversubscribed pod uplink get the hand-solved max-min share, a job
inside another pod is untouched, and a link fault slows the job whose pod loses capacity.

Layout: GB200 racks in pods of 2 racks (pod p holds racks 2p, 2p+1). Pod uplink capacity with
pod-tier oversubscription 4: 144 GPUs x 50 GB/s / 4 = 1,800 GB/s. Each test job puts one rack
(one NVLink domain) in each of two pods, so all of its DP bytes leave their pod (the hierarchical
collective's pod ring carries everything when a pod holds one domain): it loads each of its two
pods' uplinks with 72 GPUs x its per-GPU rate.
"""

from __future__ import annotations

import pytest

from colossim.config.catalog import BUILTIN_GPUS
from colossim.config.schema import JobConfig
from colossim.model.parallelism import Span, TierBandwidth
from colossim.model.performance import estimate
from tests.conftest import make_scenario
from tests.fabric.helpers import (
    DP_AT_LINE_RATE_S,
    NIC_GBYTES_S,
    fabric_scenario,
    job,
    linear_rate,
    run_fixed,
    work,
)

UPLINK = 144 * NIC_GBYTES_S / 4  # 1,800 GB/s per pod
GB200 = BUILTIN_GPUS["GB200"]


def step_s(x_gbytes_s: float) -> float:
    """Step time at per-GPU NIC bandwidth x: everything but DP from the performance model (at
    line rate), DP scaled by hand as 1/x (no overlap)."""
    cfg = JobConfig.model_validate(job("a"))
    ref = estimate(cfg, 144, GB200, Span(2, 2), TierBandwidth.from_gpu(GB200))
    assert ref.breakdown.dp_s == pytest.approx(DP_AT_LINE_RATE_S)  # the docstring's arithmetic
    rest = ref.breakdown.total_s - ref.breakdown.dp_s
    return rest + DP_AT_LINE_RATE_S * NIC_GBYTES_S / x_gbytes_s


def factor(x: float) -> float:
    return step_s(NIC_GBYTES_S) / step_s(x)


def fabric_events(result, name):
    return [e.data for e in result.record.events if e.kind == "fabric" and e.job == name]


def test_two_jobs_on_one_oversubscribed_uplink_get_the_max_min_share():
    # a: racks 0 (pod 0) and 2 (pod 1); b: racks 1 (pod 0) and 4 (pod 2). Pod 0 carries both:
    # 72 x + 72 x <= 1,800 -> x = 12.5 GB/s each; pods 1 and 2 would allow 25.
    scenario = fabric_scenario([job("a"), job("b")], racks=6, pod_size_racks=2,
                               tiers={"pod": {"oversubscription": 4}})
    result = run_fixed(scenario, {"a": [0, 2], "b": [1, 4]})
    share = UPLINK / (72 + 72)
    assert share == 12.5
    for name in ("a", "b"):
        first = fabric_events(result, name)[0]
        assert first["gbytes_s"] == pytest.approx(share)
        assert first["factor"] == pytest.approx(factor(share))
        # identical jobs side by side: the share holds until both finish together
        assert result.job(name).end_s == pytest.approx(
            work() / (linear_rate(2) * factor(share)), rel=1e-9)
        assert result.job(name).contention_slowdown == pytest.approx(step_s(share) / step_s(50))


def test_alone_the_same_job_gets_its_pods_whole_uplink():
    scenario = fabric_scenario([job("a")], racks=6, pod_size_racks=2,
                               tiers={"pod": {"oversubscription": 4}})
    result = run_fixed(scenario, {"a": [0, 2]})
    alone = UPLINK / 72  # 25 GB/s: half the NIC, the oversubscription's doing, nobody else's
    assert fabric_events(result, "a")[0]["gbytes_s"] == pytest.approx(alone)
    assert result.job("a").end_s == pytest.approx(work() / (linear_rate(2) * factor(alone)))


def test_a_job_inside_one_pod_is_unaffected_by_traffic_in_other_pods():
    # c sits on racks 6 and 7, both in pod 3: its traffic never reaches an uplink
    scenario = fabric_scenario([job("a"), job("b"), job("c")], racks=8, pod_size_racks=2,
                               tiers={"pod": {"oversubscription": 4}})
    busy = run_fixed(scenario, {"a": [0, 2], "b": [1, 4], "c": [6, 7]})
    quiet = run_fixed(fabric_scenario([job("c")], racks=8, pod_size_racks=2,
                                      tiers={"pod": {"oversubscription": 4}}), {"c": [6, 7]})
    undisturbed = work() / linear_rate(2)
    assert busy.job("c").end_s == pytest.approx(undisturbed, rel=1e-12)
    assert quiet.job("c").end_s == pytest.approx(undisturbed, rel=1e-12)
    assert busy.job("c").contention_slowdown == 1.0
    assert busy.job("a").contention_slowdown > 1.0  # while the others do slow each other


LONG = 2.0  # billion tokens: about 5,300 s at 25 GB/s, so faults at 2,000-5,000 s fall inside


def expected_end(t0: float, duration: float, slow_x: float, fast_x: float) -> float:
    """End of a job at rate r(fast) except r(slow) during [t0, t0 + duration]."""
    fast, slow = linear_rate(2) * factor(fast_x), linear_rate(2) * factor(slow_x)
    left = work(LONG) - fast * t0 - slow * duration
    assert left > 0
    return t0 + duration + left / fast


def test_a_link_fault_slows_the_job_that_crosses_the_degraded_pod():
    # pod 1's uplinks keep a quarter: 450 GB/s for a's 72 GPUs there -> 6.25 GB/s, then back
    t0, duration = 2_000.0, 3_000.0
    fault = {"time_s": t0, "duration_s": duration, "tier": "pod", "pod": 1,
             "capacity_fraction": 0.25}
    scenario = fabric_scenario([job("a", tokens_billion=LONG)], racks=6, pod_size_racks=2,
                               tiers={"pod": {"oversubscription": 4}}, events=[fault])
    result = run_fixed(scenario, {"a": [0, 2]})
    shares = [e["gbytes_s"] for e in fabric_events(result, "a") if e["computing"]]
    assert shares == pytest.approx([25.0, 6.25, 25.0])
    assert result.job("a").end_s == pytest.approx(expected_end(t0, duration, 6.25, 25.0))
    kinds = [e.kind for e in result.record.events if e.kind.startswith("fabric_f")]
    assert kinds == ["fabric_fault"]
    assert result.fabric.faults == 1
    # the record names the fault by its place in the scenario (it read "('scenario', 0)")
    [started] = [e for e in result.record.events if e.kind == "fabric_fault"]
    assert started.data["fault"] == "cluster.fabric.events[0]"


def test_a_fault_in_a_pod_the_job_does_not_touch_changes_nothing():
    fault = {"time_s": 100.0, "tier": "pod", "pod": 2, "capacity_fraction": 0.0}
    scenario = fabric_scenario([job("a")], racks=6, pod_size_racks=2,
                               tiers={"pod": {"oversubscription": 4}}, events=[fault])
    result = run_fixed(scenario, {"a": [0, 2]})
    assert result.job("a").end_s == pytest.approx(work() / (linear_rate(2) * factor(25.0)))


def test_a_network_fault_event_from_another_subsystem_is_consumed():
    """The reliability model logs ``fault`` events (component, rack or pod, until_s); a switch
    fault with an explicit capacity fraction degrades that pod's uplinks until repaired."""
    from colossim.engine.simulation import Simulation
    from colossim.metrics.summary import summarize
    from tests.fabric.helpers import Fixed

    t0, duration = 2_000.0, 3_000.0
    scenario = fabric_scenario([job("a", tokens_billion=LONG)], racks=6, pod_size_racks=2,
                               tiers={"pod": {"oversubscription": 4}})
    policy = type("F", (Fixed,), {"racks": {"a": [0, 2]}})()
    sim = Simulation(scenario, policy, check_invariants=True)
    sim.call_at(t0, lambda: sim.state.log("fault", None, component="switch", pod=1,
                                          capacity_fraction=0.25, until_s=t0 + duration))
    result = summarize(sim.run(), "fixed")
    assert result.job("a").end_s == pytest.approx(expected_end(t0, duration, 6.25, 25.0))


def _with_fault_at(scenario, racks, t0, **fault):
    """Run with a reliability-style ``fault`` event logged at ``t0`` (as engine.failures does)."""
    from colossim.engine.simulation import Simulation
    from colossim.metrics.summary import summarize
    from tests.fabric.helpers import Fixed

    policy = type("F", (Fixed,), {"racks": racks})()
    sim = Simulation(scenario, policy, check_invariants=True)
    sim.call_at(t0, lambda: sim.state.log("fault", None, **fault))
    return summarize(sim.run(), "fixed")


def test_a_fault_of_one_racks_links_slows_no_job_while_the_pods_pool_has_room():
    # QA: a `network` fault on rack 2 lowered the ceiling of a job on racks 0-1 from 50 to
    # 46.875 GB/s. One pod of 4 racks, non-blocking: the pooled rack tier holds 288 x 50 =
    # 14,400 GB/s; the fault takes a quarter of rack 2's 3,600 (0.9375 of the pool is left);
    # the job loads 144 x 50 = 7,200 and stays at its NIC rate (docs/fabric.md, Limits).
    scenario = fabric_scenario([job("a", tokens_billion=LONG)], racks=4, pod_size_racks=4)
    result = _with_fault_at(scenario, {"a": [0, 1]}, 2_000.0, component="network", rack=2,
                            until_s=5_000.0)
    [fault] = [e.data for e in result.record.events if e.kind == "fabric_fault"]
    assert (fault["tier"], fault["capacity_fraction"]) == ("rack", 0.9375)
    assert [e["gbytes_s"] for e in fabric_events(result, "a") if e["computing"]] == [50.0]
    assert result.job("a").end_s == pytest.approx(work(LONG) / linear_rate(2))


def test_a_fault_of_one_racks_links_slows_the_pods_jobs_when_the_pool_binds():
    # Rack tier 1:2: the pod's pool holds 288 x 50 / 2 = 7,200 GB/s, and a and b (each at its
    # ceiling 50 / 2 = 25 on all 144 GPUs) fill it. The fault leaves 0.9375 x 7,200 = 6,750,
    # shared by 288 GPUs: 23.4375 each, back to 25 at the repair.
    scenario = fabric_scenario([job("a", tokens_billion=LONG), job("b", tokens_billion=LONG)],
                               racks=4, pod_size_racks=4, tiers={"rack": {"oversubscription": 2}})
    result = _with_fault_at(scenario, {"a": [0, 1], "b": [2, 3]}, 2_000.0,
                            component="network", rack=2, until_s=5_000.0)
    for name in "ab":
        shares = [e["gbytes_s"] for e in fabric_events(result, name) if e["computing"]]
        assert shares == pytest.approx([25.0, 23.4375, 25.0])


def test_metrics_from_the_record_match_hand_arithmetic():
    scenario = fabric_scenario([job("a")], racks=6, pod_size_racks=2,
                               tiers={"pod": {"oversubscription": 4}})
    result = run_fixed(scenario, {"a": [0, 2]})
    a = result.job("a")
    dp_s = DP_AT_LINE_RATE_S * NIC_GBYTES_S / 25.0  # the only fabric-bound term at 25 GB/s
    assert a.comm_fraction == pytest.approx(dp_s / step_s(25.0))
    # per step each GPU sends 0.04 s x 50 GB/s = 2 GB over its NIC, all of it across pods
    bytes_per_step = 144 * DP_AT_LINE_RATE_S * NIC_GBYTES_S * 1e9
    assert a.cross_pod_bytes == pytest.approx(a.jct_s * bytes_per_step / step_s(25.0))
    assert result.fabric.cross_pod_bytes == pytest.approx(a.cross_pod_bytes)
    # a's two pods each carry 72 x 25 = 1,800 GB/s of the 1,800: saturated; 3 pods in the tier
    assert result.fabric.pod.hottest_peak_utilization == pytest.approx(1.0)
    assert result.fabric.pod.mean_utilization == pytest.approx(2 / 3)
    assert result.to_dict()["fabric"]["pod"]["peak_utilization"] == pytest.approx(2 / 3)


def test_with_contention_off_there_is_no_fabric_model():
    scenario = fabric_scenario([job("a")], racks=6, pod_size_racks=2, contention=False)
    result = run_fixed(scenario, {"a": [0, 2]})
    assert result.fabric is None and result.job("a").comm_fraction is None
    assert result.job("a").end_s == pytest.approx(work() / linear_rate(2))


@pytest.mark.parametrize("oversubscription, full_solves_at_most", [(1, 1), (4, 99)])
def test_shares_kept_between_solves_equal_a_full_solve(monkeypatch, oversubscription,
                                                       full_solves_at_most):
    """Jobs start at different times and pause for checkpoints: on a non-blocking fabric nobody
    is ever held back, so the shares are updated in place (one full solve at most); on a 1:4
    fabric they are re-solved. Either way check_invariants compares them with a full solve after
    every event (``Fabric.check``)."""
    from colossim.engine import fabric as engine_fabric
    from colossim.engine.simulation import Simulation
    from colossim.metrics.summary import summarize
    from colossim.model.jobs import Phase
    from tests.fabric.helpers import Fixed

    calls = []
    original = engine_fabric.Fabric._allocate
    monkeypatch.setattr(engine_fabric.Fabric, "_allocate",
                        lambda self, sharing: (calls.append(len(sharing)), original(self, sharing)))
    jobs = [job("a", tokens_billion=LONG), job("b", tokens_billion=LONG, submit_s=500.0),
            job("c", tokens_billion=LONG, submit_s=900.0)]
    scenario = fabric_scenario(jobs, racks=6, pod_size_racks=2,
                               tiers={"pod": {"oversubscription": oversubscription}})
    policy = type("F", (Fixed,), {"racks": {"a": [0, 2], "b": [1, 4], "c": [3, 5]}})()
    sim = Simulation(scenario, policy, check_invariants=True)
    for t, name in ((1_200.0, "a"), (1_300.0, "b"), (2_500.0, "c"), (2_600.0, "a")):
        sim.call_at(t, lambda n=name: sim.pause_job(sim.state.by_name[n], 100.0, Phase.CHECKPOINT))
    result = summarize(sim.run(), "fixed")
    assert all(j.state == "completed" for j in result.jobs)
    assert len(calls) <= full_solves_at_most
    if oversubscription == 1:
        assert all(j.contention_slowdown == 1.0 for j in result.jobs)
    else:
        assert len(calls) > 1 and result.fabric.slowed_jobs == 3


@pytest.mark.parametrize("oversubscription, expected", [(16, NIC_GBYTES_S), (64, 27.34375)])
def test_a_pipeline_loads_the_uplinks_only_with_the_sends_that_leave_its_domains(
        oversubscription, expected):
    # QA's pure pipeline (tp 8, pp 36, dp 1) on racks 0-3, pods of 2. Nine 8-GPU stages a rack,
    # so 3 of its 35 stage boundaries leave a rack and one of them its pod. Per pod, its 144
    # GPUs put 144 x 3/35 (share of sends on the NICs) x 1/3 (pod boundaries of the 3 rack
    # boundaries) x = 4.114 x on the uplinks, of 144 x 50 / o GB/s. At 1:16 that is 450 and
    # x stays at the NIC's 50; at 1:64, 112.5 / 4.114 = 27.34375 GB/s. Counting every GPU's
    # pipeline bytes as NIC traffic gave 112.5 / 48 = 2.34 (and 9.375 at 1:16).
    pipe = job("pipe", racks=4)
    pipe["training"]["plan"] = {"tp": 8, "pp": 36, "dp": 1, "interleave": 1}
    scenario = fabric_scenario([pipe], racks=4, pod_size_racks=2,
                               tiers={"pod": {"oversubscription": oversubscription}})
    result = run_fixed(scenario, {"pipe": [0, 1, 2, 3]})
    first = fabric_events(result, "pipe")[0]
    assert first["gbytes_s"] == pytest.approx(expected)
    assert (first["factor"] == 1.0) == (expected == NIC_GBYTES_S)


def test_a_job_a_power_cap_slows_sends_the_bytes_of_its_steps_not_of_its_time():
    """Bytes follow the steps: a cap that makes the job take longer sends no more bytes (QA:
    integrating the full-clock rate over the time run counted +36% under a 700 W cap)."""
    power = {"supply_mw": 10.0, "pue": 1.0}
    runs = {}
    for cap in (None, 700.0):
        scenario = make_scenario([job("a")], racks=6, pod_size_racks=2, cluster={
            "fabric": {"tiers": {"pod": {"oversubscription": 4}}},
            "power": {**power, "gpu_cap_w": cap}})
        runs[cap] = run_fixed(scenario, {"a": [0, 2]}).job("a")
    free, capped = runs[None], runs[700.0]
    assert capped.jct_s > 1.1 * free.jct_s  # the cap slows it
    bytes_per_step = 144 * DP_AT_LINE_RATE_S * NIC_GBYTES_S * 1e9
    assert free.cross_pod_bytes == pytest.approx(free.jct_s * bytes_per_step / step_s(25.0))
    assert capped.cross_pod_bytes == pytest.approx(free.cross_pod_bytes, rel=1e-9)
