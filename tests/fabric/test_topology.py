"""Tier capacities and job footprints (which share of a job's bytes crosses which tier), by hand."""

from __future__ import annotations

import numpy as np
import pytest

from colossim.config.fabric import FabricConfig
from colossim.model.cluster import build_layout
from colossim.model.fabric import build_topology, footprint, job_cap
from tests.conftest import make_scenario

JOB = {"name": "x", "params_billion": 1, "tokens_billion": 1, "max_gpus": 72}


def topology(racks, pod_size, **fabric):
    scenario = make_scenario([JOB], racks=racks, pod_size_racks=pod_size,
                             cluster={"fabric": fabric})
    layout = build_layout(scenario)
    return build_topology(FabricConfig.model_validate(fabric), layout, pod_size)


def whole(*racks):
    return tuple((r, 72) for r in racks)


def test_capacities_follow_nics_and_cumulative_oversubscription():
    # pod 0, 1: GB200 (50 GB/s); pod 2: GB300 (100 GB/s); 2 racks per pod = 144 GPUs
    t = topology({"GB200": 4, "GB300": 2}, 2, link_efficiency=0.9,
                 tiers={"rack": {"oversubscription": 2}, "pod": {"oversubscription": 3},
                        "core": {"oversubscription": 2}})
    rack = [144 * 50 / 2 * 0.9, 144 * 50 / 2 * 0.9, 144 * 100 / 2 * 0.9]  # 3240, 3240, 6480
    pod = [c / 3 for c in rack]  # 1080, 1080, 2160
    assert t.capacity == pytest.approx([*rack, *pod, sum(pod) / 2])


def test_nic_overrides_by_type_win_over_the_catalog():
    t = topology({"GB200": 2, "GB300": 2}, 2, nic_gbit_s_by_type={"GB300": 400})
    assert t.rack_nic == pytest.approx([50, 50, 50, 50])
    t = topology({"GB200": 2, "GB300": 2}, 2, nic_gbit_s=200)
    assert t.rack_nic == pytest.approx([25, 25, 25, 25])


def test_rail_groups_partition_each_pod():
    t = topology(6, 4, rail_optimized=True, rail_group_racks=2)
    # pod 0: racks 0-3 in groups {0,1} {2,3}; pod 1: racks 4-5 in {4,5}
    assert list(t.rack_unit) == [0, 0, 1, 1, 2, 2]
    assert list(topology(6, 4, rail_optimized=True).rack_unit) == [0, 0, 0, 0, 1, 1]
    assert list(topology(6, 4).rack_unit) == [0, 1, 2, 3, 4, 5]


def weights(foot, t):
    return {t.tier_of(int(r)) + str(int(r) % t.pods if r < 2 * t.pods else ""): w
            for r, w in zip(foot.resources, foot.weights, strict=True)}


def test_hierarchical_dp_sends_one_domain_share_across_pods():
    """3 racks in pod 0 and 1 in pod 1 (one NVLink domain each). Per GPU in pod 0: the pod ring
    of 3 domains moves (3-1)/3 of the data, the cross-pod ring of P = 2 moves (2-1)/2 of a third:
    1/6, 5/6 in all, the most any GPU sends (it streams at the job's rate). Pod 1's lone domain
    sends only its cross-pod 1/2, over the same time: 3/5 of the rate. So each pod's uplinks
    carry the same bytes, 216 x 1/6 = 72 x 1/2 = 36 per 5/6 (they were charged 216/5 and 72,
    as if the lone rack streamed at the full rate: QA). The cross-pod share is that load per
    GPU: 2 x 216/5 / 288 = 0.3."""
    t = topology(8, 4)
    foot = footprint(t, whole(0, 1, 2, 4), dp_bytes=1.0)
    w = weights(foot, t)
    assert w["rack0"] == pytest.approx(216) and w["rack1"] == pytest.approx(72 * 3 / 5)
    assert w["pod0"] == pytest.approx(216 / 5) and w["pod1"] == pytest.approx(216 / 5)
    assert w["core"] == pytest.approx(2 * 216 / 5)
    assert foot.cross_pod_share == pytest.approx(0.3)
    assert foot.leave_rack == 1.0


def test_an_even_split_across_pods_charges_every_pod_all_it_sends():
    """2 racks in each of 2 pods: every GPU sends (2-1)/2 in its pod and (2-1)/2 of a half
    across, 3/4 in all, the same everywhere; a third of it (1/4 over 3/4) leaves the pod."""
    t = topology(8, 4)
    foot = footprint(t, whole(0, 1, 4, 5), dp_bytes=1.0)
    w = weights(foot, t)
    assert w["rack0"] == pytest.approx(144) and w["rack1"] == pytest.approx(144)
    assert w["pod0"] == pytest.approx(144 / 3) and w["pod1"] == pytest.approx(144 / 3)
    assert foot.cross_pod_share == pytest.approx(1 / 3)


def test_a_replica_spanning_a_pod_sends_every_dp_byte_across_pods():
    """QA: t8 p18 = 144 GPUs, two racks, per replica, dp 4, on 8 racks in pods of 2: replica d
    fills pod d, so each DP group has one member per pod and every DP byte on the NICs crosses
    the pod uplinks (a ring of 4 members in 4 pods). With one member per domain assumed, a
    pod's ring of 2 domains kept half inside the pod: 3/7 of the bytes left it."""
    t = topology(8, 2)
    racks = whole(*range(8))
    assert footprint(t, racks, dp_bytes=1.0, dp_spacing=2.0).cross_pod_share == pytest.approx(1.0)
    assert footprint(t, racks, dp_bytes=1.0).cross_pod_share == pytest.approx(3 / 7)


def test_members_one_every_few_domains_meet_in_fewer_rings():
    """2 pods of 112 racks (one unit each: rail groups span the pod), a replica over 16 racks:
    7 members of each DP group per pod, 14 in all. Per member, 1 - 1/14 of the data leaves its
    domain and 1/7 - 1/14 leaves its pod: a thirteenth of what leaves a domain (hand: the
    rings' (n-1)/n at each level), not the 1/223 of one member per domain."""
    from colossim.model.fabric import hierarchical_shares

    units, pods = np.array([112.0, 112.0]), np.array([0, 1])
    _, leave_pod = hierarchical_shares(units, pods, 2, spacing=16.0)
    assert leave_pod == pytest.approx([1 / 13, 1 / 13])
    _, leave_pod = hierarchical_shares(units, pods, 2)
    assert leave_pod == pytest.approx([1 / 223, 1 / 223])


def test_flat_traffic_spreads_nic_bytes_over_the_job_outside_each_domain():
    """NIC bytes go to the G - d GPUs outside a GPU's own domain. 4 whole racks (G = 288, d =
    72, one rack per unit): every NIC byte leaves its unit; pod 0's racks reach 216 peers of
    which the 72 in pod 1 are outside the pod (1/3), pod 1's rack has all 216 outside."""
    t = topology(8, 4)
    foot = footprint(t, whole(0, 1, 2, 4), dp_bytes=1.0, hierarchical=False)
    w = weights(foot, t)
    assert w["rack0"] == pytest.approx(216) and w["rack1"] == pytest.approx(72)
    assert w["pod0"] == pytest.approx(216 / 3) and w["pod1"] == pytest.approx(72)
    assert w["core"] == pytest.approx(216 / 3 + 72)
    # flat is the pessimistic case: never less out of a pod than topology-ordered collectives
    hier = weights(footprint(t, whole(0, 1, 2, 4), dp_bytes=1.0), t)
    assert all(w[k] >= hier[k] - 1e-9 for k in hier)


def test_flat_two_racks_send_everything_across_as_hierarchical_does():
    """Two whole racks, one pod: all of a GPU's NIC bytes go to the other rack (the case the
    old 1 - g/G rule halved, making flat less pessimistic than hierarchical)."""
    t = topology(2, 2)
    for hierarchical in (True, False):
        foot = footprint(t, whole(0, 1), dp_bytes=1.0, hierarchical=hierarchical)
        assert weights(foot, t) == {"rack0": pytest.approx(144)}
        assert foot.leave_rack == pytest.approx(1.0)


def test_flat_partial_racks_reach_only_other_domains():
    """Racks holding 36, 36 and 72 GPUs of one job (G = 144), one pod: the 36-GPU racks reach
    144 - 36 = 108 peers, all outside their unit; the 72-GPU rack reaches 72, all outside."""
    t = topology(4, 4)
    foot = footprint(t, ((0, 36), (1, 36), (2, 72)), dp_bytes=1.0, hierarchical=False)
    assert weights(foot, t) == {"rack0": pytest.approx(144)}


def test_rail_optimised_traffic_stays_on_the_rails_inside_a_rail_group():
    """Rail group = the pod: pod 0's three domains form one unit, whose ring keeps 2/3 of the
    data on the rails; only the cross-pod 1/6 leaves (1/5 of its bytes)."""
    t = topology(8, 4, rail_optimized=True)
    foot = footprint(t, whole(0, 1, 2, 4), dp_bytes=1.0)
    w = weights(foot, t)
    assert w["rack0"] == pytest.approx(216 / 5) and w["pod0"] == pytest.approx(216 / 5)
    # a job inside one rail group loads no shared tier at all
    assert footprint(t, whole(0, 1, 2), dp_bytes=1.0).resources.size == 0


def test_pipeline_sends_cross_the_boundaries_between_consecutive_racks():
    """4 racks: 3 boundaries, all between racks (leave the unit), one between pods."""
    t = topology(8, 4)
    foot = footprint(t, whole(0, 1, 2, 4), dp_bytes=0.0, pp_bytes=1.0)
    w = weights(foot, t)
    assert w["rack0"] == pytest.approx(216) and w["pod0"] == pytest.approx(216 / 3)
    assert w["pod1"] == pytest.approx(72 / 3)


def test_a_single_rack_job_loads_nothing_and_gets_its_nic():
    t = topology(4, 2, tiers={"rack": {"oversubscription": 4}})
    foot = footprint(t, whole(1), dp_bytes=1.0)
    assert foot.resources.size == 0 and foot.cross_pod_share == 0
    assert job_cap(t, foot, np.ones(t.resources)) == 50


def test_the_rack_uplinks_cap_a_job_that_leaves_its_rack():
    t = topology(4, 2, tiers={"rack": {"oversubscription": 4}})
    foot = footprint(t, whole(0, 1), dp_bytes=1.0)  # both racks' bytes leave their rack
    assert job_cap(t, foot, np.ones(t.resources)) == pytest.approx(50 / 4)
    half = np.ones(t.resources)
    half[0] = 0.5  # a fault takes half of pod 0's rack tier
    assert job_cap(t, foot, half) == pytest.approx(50 / 8)


def test_a_scenario_switch_fault_takes_one_spine_plane_unless_told():
    from colossim.config.fabric import FabricFault

    assert FabricFault(time_s=0, kind="switch").capacity_fraction == 7 / 8
    assert FabricFault(time_s=0, kind="link").capacity_fraction == 0.5
    assert FabricFault(time_s=0, kind="switch", capacity_fraction=0.0).capacity_fraction == 0.0


def test_a_fault_that_cuts_a_pod_off_for_good_loads_without_a_warning():
    """It was warned of when its jobs crawled to the horizon; now they are moved off it
    (engine.fabric_cut, tests/fabric/test_cut.py), so it is a scenario like any other."""
    import warnings

    from colossim.api import load_scenario
    from colossim.errors import ColossimWarning

    cut = "cluster.fabric.events=[{time_s: 60, tier: pod, pod: 0, capacity_fraction: 0.0}]"
    with warnings.catch_warnings():
        warnings.simplefilter("error", ColossimWarning)
        load_scenario("small", [cut])


def test_fabric_events_the_run_would_not_apply_are_warned_at_load():
    """Without the contention model the run keeps no link capacities over time, so a fault was
    dropped silently (while the cut-off warning said jobs would crawl)."""
    from colossim.api import load_scenario, simulate
    from colossim.errors import ColossimWarning

    cut = "cluster.fabric.events=[{time_s: 60, tier: pod, pod: 0, capacity_fraction: 0.0}]"
    with pytest.warns(ColossimWarning) as caught:
        scenario = load_scenario("small", [cut, "cluster.fabric.contention=false"])
    (warning,) = [str(w.message) for w in caught]
    assert warning.startswith("cluster.fabric.events (1) are ignored") and "contention" in warning
    result = simulate(scenario)
    assert not [e for e in result.record.events if e.kind.startswith("fabric")]


DEEP_PIPELINE = """\
name: deep-pipeline
cluster:
  pod_size_racks: 2
  rack_groups: [{gpu_type: GB200, racks: 8}]
  power: {supply_mw: 20}
  fabric: {tiers: {pod: {oversubscription: 4}}}
jobs:
  - name: j
    params_billion: 70
    tokens_billion: 5
    min_gpus: 576
    max_gpus: 576
    training:
      global_batch_tokens: 524288
      dp_overlap_fraction: 0
      plan: {tp: 8, pp: 18, dp: 4}
"""


def test_a_run_counts_every_dp_byte_of_a_replica_per_pod_as_crossing_pods(tmp_path):
    """The case above end to end (QA): the run's cross-pod bytes are every DP byte the job's
    GPUs send over their NICs, plus the pipeline bytes at 3 of the 7 rack boundaries that
    leave a pod (the footprint's uniform rule), over all its steps."""
    from colossim.api import load_scenario, simulate
    from colossim.model.parallelism import Span
    from colossim.model.traffic import job_comm

    path = tmp_path / "deep.yaml"
    path.write_text(DEEP_PIPELINE)
    scenario = load_scenario(str(path))
    spec = build_layout(scenario).specs[0]
    comm = job_comm(scenario.jobs[0], ((spec, 576),), Span(racks=8, pods=4, gpus=576), 50.0)
    steps = comm.workload.train_tokens / comm.workload.batch_tokens
    sent = steps * 576 * (comm.traffic.dp_nic + 3 / 7 * comm.traffic.pp_nic)
    assert simulate(scenario).fabric.cross_pod_bytes == pytest.approx(sent, rel=1e-9)
