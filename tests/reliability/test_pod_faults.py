"""Pod faults: a power feed or cooling loop takes every rack of a pod at once (a correlated
outage). Cases small enough to check by hand: pods of 2 NVL72 racks (``pod_size_racks: 2``)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from colossim.config.reliability import ReliabilityConfig
from colossim.model.reliability import exposure_of, job_mttf_s
from tests.reliability.helpers import RATE, events, job, quiet, reliability_of, run, simulation

POD_ON = {"enabled": True, "repair": {"distribution": "fixed", "mean_s": 3_000.0}}


def test_a_pod_fault_takes_every_rack_of_the_pod_and_sends_its_job_to_another_pod():
    """Job a (72 GPUs) runs on rack 0 of pod 0 (racks 0 and 1), checkpointing every 600 s of
    compute. A pod fault at 1,000 s takes both racks for 3,000 s: 144 GPUs out. a rolls back to
    its 600 s checkpoint, is stopped (no spare stands in for a pod) and fifo starts it again at
    once on pod 1 (racks 2 and 3); racks 0 and 1 are never given out before 4,000 s (the
    invariant checks are on)."""
    sim = simulation([job(checkpoint={"interval_s": 600.0})], quiet(), racks=4,
                     pod_size_racks=2)
    rel = reliability_of(sim)
    sim.call_at(1_000.0, lambda: rel.strike("pod", 0, repair_s=3_000.0))
    result = run(sim)
    (fault,) = events(result, "fault")
    assert (fault.time_s, fault.data["component"], fault.data["pod"]) == (1_000.0, "pod", 0)
    assert (fault.data["gpus"], fault.data["jobs"], fault.data["until_s"]) == (144, ["a"], 4_000.0)
    (failure,) = events(result, "failure", "a")
    assert failure.data["stopped"] and failure.data["restore"] == "storage"
    (write,) = [e.data["seconds"] for e in events(result, "pause", "a") if e.time_s == 600.0]
    assert failure.data["lost_flops"] == pytest.approx(RATE * (1_000 - 600 - write), rel=1e-9)
    starts = events(result, "start", "a")
    assert [e.time_s for e in starts] == [0.0, 1_000.0]
    grant = sim.state.by_name["a"].grant
    assert {rack for rack, _ in grant} <= {2, 3}
    available = result.record.series["gpus_available"]
    assert available.at(999.0) == 288 and available.at(1_000.0) == 144
    assert available.at(3_999.0) == 144 and available.at(4_000.0) == 288
    assert result.job("a").interruptions == 1


def test_a_pod_fault_loses_a_peer_copy_held_within_the_pod():
    """A 2-rack job copies each shard to a peer rack, its other rack: a rack fault leaves the
    copy (the next test's control), a pod fault takes both racks and the copy with them, so
    the job goes back to the checkpoint persisted in storage (every 2nd copy)."""
    assert peer_restores(racks=2, pod_size_racks=2) == {"rack": "memory", "pod": "storage"}


def peer_restores(racks: int, pod_size_racks: int) -> dict[str, str]:
    """Where a job with peer copies every 8,000 s (every 2nd persisted) on ``racks`` of 72
    GPUs restores from after a fault on rack 0 at 25,000 s, by the fault's class (rack, pod)."""
    ck = {"interval_s": 8000, "in_memory": "peer", "persist_every": 2}
    restored = {}
    for component in ("rack", "pod"):
        sim = simulation([job(min_gpus=72 * racks, max_gpus=72 * racks, checkpoint=ck)],
                         quiet(), racks=4, pod_size_racks=pod_size_racks)
        rel = reliability_of(sim)
        sim.call_at(25_000.0, lambda rel=rel, c=component: rel.strike(c, 0, repair_s=1e6))
        (failure,) = events(run(sim), "failure", "a")
        restored[component] = failure.data["restore"]
    return restored


def test_pod_faults_over_a_long_run_agree_with_rate_times_exposure():
    """Pod faults alone, one per 2,000 GPU-hours, a 1-second repair (so thinning drops almost
    no draw) on 8 racks (576 GPUs) in pods of 2, for 2,000 hours: 576 faults expected. The count
    lies within 4 standard deviations of a Poisson count, and each pod is struck about a
    quarter of the time (its share of the GPUs)."""
    pod = {"enabled": True, "mtbf_gpu_hours": 2_000.0,
           "repair": {"distribution": "fixed", "mean_s": 1.0}}
    horizon_s = 2_000 * 3600.0
    sim = simulation([job(tokens_billion=1e6, checkpoint={"interval_s": None})], quiet(pod=pod),
                     racks=8, pod_size_racks=2, seed=3,
                     sim={"horizon_s": horizon_s})  # the job outlasts the horizon
    result = run(sim)
    pods = [e.data["pod"] for e in events(result, "fault") if e.data["component"] == "pod"]
    expected = 576 * horizon_s / (2_000 * 3600.0)
    assert abs(len(pods) - expected) <= 4 * math.sqrt(expected)
    counts = np.bincount(pods, minlength=4)
    assert all(abs(n - expected / 4) <= 4 * math.sqrt(expected / 4) for n in counts)
    assert result.reliability.faults_by_component["pod"] == len(pods)


def test_a_jobs_exposure_to_pod_faults_is_its_pods_gpus():
    """A job on rack 0 (72 GPUs) of a 2-rack pod, and on racks 0 and 2 of two pods: pod faults
    strike it at the rate of every GPU of its pods (144, then 288), the other classes at its
    racks' GPUs (72, then 144: whole racks). MTTF = 1 / (sum of rates x exposures)."""
    capacity, rack_pod = np.array([72, 72, 72, 72]), np.array([0, 0, 1, 1])
    pod_capacity = np.array([144, 144])
    one = exposure_of(np.array([0]), np.array([72]), capacity, 4, rack_pod, pod_capacity)
    two = exposure_of(np.array([0, 2]), np.array([72, 72]), capacity, 4, rack_pod, pod_capacity)
    assert one == (72, 72, 144) and two == (144, 144, 288)
    assert exposure_of(np.array([0]), np.array([72]), capacity, 4)[2] == 72  # no pods given
    config = ReliabilityConfig(pod={"enabled": True, "mtbf_gpu_hours": 1_000.0})
    others = sum(config.rate_per_gpu_s(c) for c in ("gpu", "tray", "rack", "network", "software"))
    pod_rate = 1 / (1_000.0 * 3600)
    assert config.rate_per_gpu_s("pod") == pytest.approx(pod_rate, rel=1e-15)
    assert job_mttf_s(config, 72, 72, 72, pod_gpus=144) == pytest.approx(
        1 / (72 * others + 144 * pod_rate), rel=1e-12)
    off = ReliabilityConfig()  # off by default: the MTTF the other classes give
    assert not off.pod.enabled
    assert job_mttf_s(off, 72, 72, 72, pod_gpus=144) == pytest.approx(1 / (72 * others),
                                                                      rel=1e-12)


def test_the_engines_auto_interval_counts_the_pods_it_touches():
    """Young's interval sqrt(2 x write x MTTF) on a job's pods' exposure: a 72-GPU job in a pod
    of 2 racks sees pod faults at 144 GPUs' rate (review: the exposure fed to ``auto``)."""
    pod = {"enabled": True, "mtbf_gpu_hours": 500.0}
    # 140 GB at the job's own 0.1 GB/s: a 1,400 s write, so the optimum is well above the
    # 60 s floor: sqrt(2 x 1,400 x 12,500) = 5,916 s
    ck = {"interval_s": "auto", "method": "young", "storage_gbytes_s": 0.1}
    sim = simulation([job(checkpoint=ck)], quiet(pod=pod), racks=2, pod_size_racks=2)
    first = events(run(sim), "checkpoint_saved", "a")[0]
    mttf = 500.0 * 3600 / 144
    assert first.data["seconds"] == pytest.approx(1_400.0, rel=1e-12)
    assert first.data["interval_s"] == pytest.approx(math.sqrt(2 * 1_400.0 * mttf), rel=1e-9)


def test_spares_in_other_pods_stay_spares_through_a_pod_fault():
    """Three pods of 2 racks, the last rack of each a hot spare (racks 1, 3, 5). A pod fault on
    pod 0 sends a's job to the queue; fifo restarts it on rack 2 or 4. No spare trades places
    with the dead pod's racks (as under a maintenance window): after the repair the spares are
    still racks 1, 3 and 5, none bunched in pod 0."""
    sim = simulation([job(checkpoint={"interval_s": 600.0})], quiet(spares={"racks_per_pod": 1}),
                     racks=6, pod_size_racks=2)
    rel = reliability_of(sim)
    spare_at: dict[float, list[int]] = {}

    def look() -> None:
        spare_at[sim.env.now] = [int(r) for r in np.flatnonzero(sim.state.ledger.spare)]

    sim.call_at(999.0, look)
    sim.call_at(1_000.0, lambda: rel.strike("pod", 0, repair_s=3_000.0))
    sim.call_at(1_001.0, look)
    sim.call_at(4_001.0, look)
    result = run(sim)
    assert spare_at == {999.0: [1, 3, 5], 1_001.0: [1, 3, 5], 4_001.0: [1, 3, 5]}
    (restart,) = [e for e in events(result, "start", "a") if e.time_s == 1_000.0]
    assert {rack for rack, _ in sim.state.by_name["a"].grant} <= {2, 4}
    assert restart.data["racks"] == 1


def test_a_pod_fault_takes_a_one_rack_jobs_peer_copy_too():
    """A one-rack job's peer copy sits outside its racks, taken to be in its pod: a pod fault
    takes it with every host of the pod (review: it survived, as after a rack fault), where a
    rack fault of the job's rack leaves it."""
    assert peer_restores(racks=1, pod_size_racks=4) == {"rack": "memory", "pod": "storage"}


def test_a_pod_fault_on_a_pod_already_out_is_dropped():
    """Pod 0 (racks 0 and 1) is under maintenance from 500 s to 5,500 s; a pod fault drawn on it
    at 1,000 s finds no hardware in service and is dropped, as every class drops a draw on
    hardware out of service (review: it was counted, a fault of 0 GPUs, with a repair)."""
    window = {"start_s": 500.0, "duration_s": 5_000.0, "pods": [0]}
    sim = simulation([job(checkpoint={"interval_s": 600.0})], quiet(maintenance=[window]),
                     racks=4, pod_size_racks=2)
    rel = reliability_of(sim)
    sim.call_at(1_000.0, lambda: rel.strike("pod", 0, repair_s=3_000.0))
    result = run(sim)
    assert events(result, "fault") == []
    assert result.reliability.faults_by_component["pod"] == 0
