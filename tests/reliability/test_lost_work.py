"""Hand-built cases: what a failure costs, to the second."""

from __future__ import annotations

import pytest

from colossim.metrics.explain import job_timeline
from tests.reliability.helpers import RATE, events, job, quiet, reliability_of, run, simulation

DETECT, RESTART = 150.0, 120.0  # defaults: half a 5-minute health check; relaunch
WRITE = 140e9 / 2e12  # 140 GB over Llama 3's 2 TB/s: 0.07 s
# read back at 7 TB/s, but no faster than the job's own path: its 72 GPUs' NICs at 400 Gb/s
# (50 GB/s) each, no faster than the 50 GB/s copy to the device: 3.6 TB/s, so 0.039 s
LOAD = 140e9 / min(7e12, 72 * 50e9)


def strike_at(sim, t, component="gpu", **kw):
    rel = reliability_of(sim)
    sim.call_at(t, lambda: rel.strike(component, sim.state.by_name["a"].grant[0][0], **kw))


def test_a_failure_loses_exactly_the_work_since_the_last_checkpoint():
    sim = simulation([job(checkpoint={"interval_s": 8000})], quiet())
    strike_at(sim, 25_000.0, repair_s=1e6)
    result = run(sim)
    # checkpoints resume at 8,000.07, 16,000.14, 24,000.21 (8,000 s of compute apart)
    (failure,) = events(result, "failure", "a")
    assert failure.data["snapshot_s"] == pytest.approx(24_000.14)
    lost_s = 25_000.0 - 24_000.21  # compute since the last checkpoint: 999.79 s
    assert failure.data["lost_flops"] == pytest.approx(RATE * lost_s, rel=1e-9)
    assert failure.data["stopped"]  # no spare: back to the queue, restarted on the other rack
    # restart at once on rack 1: detection + relaunch + load, then 36,000 s of compute left
    # with 4 more checkpoints (7 in all)
    end = 25_000.0 + DETECT + RESTART + LOAD + 36_000.0 + 4 * WRITE
    a = result.job("a")
    assert a.end_s == pytest.approx(end, rel=1e-12)
    assert end == pytest.approx(60_000 + lost_s + DETECT + RESTART + LOAD + 7 * WRITE)
    assert a.interruptions == 1 and a.checkpoints == 7
    assert a.lost_gpu_hours == pytest.approx(72 * lost_s / 3600, rel=1e-9)
    assert a.checkpoint_gpu_hours == pytest.approx(72 * 7 * WRITE / 3600, rel=1e-6)
    assert a.restart_gpu_hours == pytest.approx(72 * (DETECT + RESTART + LOAD) / 3600, rel=1e-9)
    assert a.ettr == pytest.approx(60_000.0 / end, rel=1e-9)
    assert a.mttf_s == pytest.approx(a.gpu_hours * 3600 / 72)  # held time / one failure


def test_an_async_checkpoint_still_being_written_does_not_count():
    # 4 PB: the snapshot pause is 4e15 / 72 GPUs / 1e14 B/s = 0.556 s, the write 2,000 s
    ck = {"interval_s": 8000, "mode": "async", "size_gb": 4e6, "snapshot_gbytes_s": 1e5}
    sim = simulation([job(checkpoint=ck)], quiet())
    strike_at(sim, 9_000.0, repair_s=1e6)
    result = run(sim)
    (failure,) = events(result, "failure", "a")
    pause = 4e15 / 72 / 1e14
    assert failure.data["snapshot_s"] is None  # the write would have finished at 10,000 s
    assert failure.data["lost_flops"] == pytest.approx(RATE * (9_000 - pause), rel=1e-9)
    assert result.job("a").lost_gpu_hours == pytest.approx(72 * (9_000 - pause) / 3600)


@pytest.mark.parametrize("swap_s, relaunch_s", [
    (30.0, RESTART),  # under the relaunch (120 s): it runs alongside, hidden
    (300.0, 300.0),  # longer: the job waits for the spare, 180 s more than the relaunch
])
def test_a_hot_spare_rack_keeps_the_job_running_its_swap_alongside_the_relaunch(swap_s,
                                                                              relaunch_s):
    rel = quiet(spares={"rack_swap_s": swap_s})
    sim = simulation([job(checkpoint={"interval_s": None})], rel, racks=3,
                     cluster={"spare_racks": 1})
    strike_at(sim, 10_000.0, component="rack", repair_s=5_000.0)
    result = run(sim)
    kinds = [e.kind for e in result.record.events if e.job == "a"]
    assert "swap" in kinds and kinds.count("start") == 1  # never went back to the queue
    # no checkpoint: all 10,000 s lost; restart = detection + the longer of swap and relaunch
    assert result.job("a").end_s == pytest.approx(10_000 + DETECT + relaunch_s + 60_000)
    (swap,) = events(result, "swap", "a")
    assert swap.data["rack_in"] == 2  # the spare (the cluster's last rack)


def test_a_spare_costs_a_fault_no_more_than_a_restart_on_free_racks():
    # the same fault with the third rack a spare, and with it free for the policy: the job
    # moves onto it either way, and ends at the same second (the spare cost 60 s more before)
    ends = {}
    for spare in (1, 0):
        sim = simulation([job(checkpoint={"interval_s": None})], quiet(), racks=3,
                         cluster={"spare_racks": spare})
        strike_at(sim, 10_000.0, component="rack", repair_s=5_000.0)
        result = run(sim)
        assert len(events(result, "swap", "a")) == spare  # moved by the spare, or the policy
        ends[spare] = result.job("a").end_s
    assert ends[1] == ends[0] == pytest.approx(10_000 + DETECT + RESTART + 60_000)


@pytest.mark.parametrize("swap_s, relaunch_s", [(45.0, RESTART), (200.0, 200.0)])
def test_a_standby_tray_keeps_the_job_on_its_rack(swap_s, relaunch_s):
    sim = simulation([job(checkpoint={"interval_s": None})],
                     quiet(spares={"trays_per_rack": 1, "tray_swap_s": swap_s}), racks=1)
    strike_at(sim, 10_000.0, component="tray", slot=3, repair_s=100.0)
    result = run(sim)
    assert result.job("a").end_s == pytest.approx(10_000 + DETECT + relaunch_s + 60_000)
    assert result.reliability.min_gpus_available == 72  # the standby tray stood in


def test_a_standby_tray_back_from_repair_stands_in_for_a_tray_still_failed():
    # QA: one rack, one standby tray. A GPU fault at 10,000 s takes the standby (its tray is
    # repaired by 10,100 s); a second at 10,050 s, on another tray, finds none and sends the job
    # back to the queue, its tray out until 10,050 + 1e6 s. At 10,100 s the first tray is back
    # as a standby: it stands in for the second, and the job starts again then, not at 1e6 s
    sim = simulation([job(checkpoint={"interval_s": None})],
                     quiet(spares={"trays_per_rack": 1, "tray_swap_s": 45.0}), racks=1)
    strike_at(sim, 10_000.0, slot=5, repair_s=100.0)
    strike_at(sim, 10_050.0, slot=40, repair_s=1e6)
    result = run(sim)
    starts = [e.time_s for e in events(result, "start", "a")]
    assert starts == [0.0, pytest.approx(10_100.0)]
    # it rolled back to 0 (no checkpoints): 60,000 s of compute from 10,100 s, after the
    # detection it still owed (150 - 50 s waited), the relaunch and no load
    assert result.job("a").end_s == pytest.approx(10_100 + (DETECT - 50) + RESTART + 60_000)
    assert result.reliability.min_gpus_available == 71  # out from 10,050 s to 10,100 s


def test_a_software_fault_restarts_in_place_and_takes_no_hardware():
    sim = simulation([job(checkpoint={"interval_s": 8000})], quiet(), racks=1)
    strike_at(sim, 12_000.0, component="software")
    result = run(sim)
    lost_s = 12_000.0 - 8_000.07
    end = 60_000 + lost_s + DETECT + RESTART + LOAD + 7 * WRITE
    assert result.job("a").end_s == pytest.approx(end, rel=1e-12)
    assert result.reliability.gpu_availability == pytest.approx(1.0)
    assert result.reliability.min_gpus_available == 72


def test_a_local_memory_copy_survives_a_gpu_fault_but_not_a_tray_fault():
    # in-memory checkpoints every 8,000 s; every 2nd also goes to storage in the background
    ck = {"interval_s": 8000, "in_memory": "local", "persist_every": 2}
    restored = {}
    for component in ("gpu", "tray"):
        sim = simulation([job(checkpoint=ck)], quiet(), racks=2)
        strike_at(sim, 25_000.0, component=component, repair_s=1e6)
        (failure,) = events(run(sim), "failure", "a")
        restored[component] = (failure.data["restore"], failure.data["snapshot_s"])
    pause = 140e9 / 72 / 50e9  # each GPU's shard to host memory at 50 GB/s
    # copies at 8,000, 16,000 + pause and 24,000 + 2 pauses; the 2nd was also persisted
    assert restored["gpu"] == ("memory", pytest.approx(24_000 + 2 * pause))
    assert restored["tray"] == ("storage", pytest.approx(16_000 + pause))


def _outage(start_s: float, duration_s: float) -> dict:
    return {"power": {"supply_mw": 10.0,
                      "events": [{"kind": "outage", "start_s": start_s, "duration_s": duration_s}]}}


@pytest.mark.parametrize("in_memory", ["none", "peer"])
def test_an_outage_loses_the_work_since_the_last_checkpoint_in_storage(in_memory):
    # The outage (0 MW from 25,000 s to 28,600 s) stops the job with no time to save: it rolls
    # back to its last checkpoint in storage, as after a fault. With in-memory copies to a peer
    # rack (every 8,000 s, each 2nd persisted) the copies went dark with the hosts: it falls back
    # to the persisted one. The policy starts it again when power returns at 28,600 s; by then
    # detection has passed, so it pays the relaunch and the load.
    ck = {"interval_s": 8000, "in_memory": in_memory, "persist_every": 2}
    sim = simulation([job(checkpoint=ck)], quiet(), cluster=_outage(25_000.0, 3600.0))
    result = run(sim)
    (failure,) = events(result, "failure", "a")
    assert failure.time_s == 25_000.0
    assert failure.data["component"] == "power" and failure.data["restore"] == "storage"
    if in_memory == "none":
        # storage checkpoints at 8,000, 16,000 and 24,000 s of compute (resuming at 8,000.07,
        # 16,000.14, 24,000.21); back to 24,000 s of compute, then 4 more on the way to 60,000
        snapshot, kept_s, pause, after = 24_000.14, 24_000.0, WRITE, 4
    else:
        # peer copies (to host at 50 GB/s, then over the 400 Gb/s NIC) at 8,000, 16,000 + p and
        # 24,000 + 2p; the 2nd was persisted. Back to 16,000 s of compute, then 5 more copies
        pause = 140e9 / 72 / 50e9 + 140e9 / 72 / (400e9 / 8)
        snapshot, kept_s, after = 16_000 + pause, 16_000.0, 5
    lost_s = (25_000.0 - 3 * pause) - kept_s  # compute done by the outage, less what was kept
    assert failure.data["snapshot_s"] == pytest.approx(snapshot)
    assert failure.data["lost_flops"] == pytest.approx(RATE * lost_s, rel=1e-9)
    a = result.job("a")
    assert a.interruptions == 1 and result.reliability.faults == 0  # nothing broke
    assert a.lost_gpu_hours == pytest.approx(72 * lost_s / 3600, rel=1e-9)
    assert [e.time_s for e in events(result, "start", "a")] == [0.0, 28_600.0]
    (wait,) = job_timeline(result, "a").waits  # --explain tells a power loss from a choice
    assert (wait.since_s, wait.until_s) == (25_000.0, 28_600.0) and "power loss" in wait.why
    assert a.end_s == pytest.approx(28_600 + RESTART + LOAD + (60_000 - kept_s) + after * pause,
                                    rel=1e-12)


def test_a_policy_that_preempts_when_told_of_the_deficit_saves_the_work():
    # the engine tells the policy of the deficit first; a job the policy preempts then is a
    # graceful stop (it checkpoints on the way out), not a power loss
    from colossim.policy.actions import Preempt
    from colossim.policy.builtin.fifo import POLICY as Fifo

    class SavesOnDeficit(Fifo):
        name = "saves-on-deficit"

        def decide(self, view):
            if any(t.kind == "power_deficit" for t in view.triggers):
                return [Preempt(j.name) for j in view.running]
            return super().decide(view)

    from colossim.engine.simulation import Simulation
    from colossim.policy.registry import build_policy
    from tests.conftest import make_scenario

    ck = {"interval_s": 8000}
    scenario = make_scenario([job(checkpoint=ck)], racks=2, reliability=quiet(),
                             cluster={"fabric": {"contention": False}, **_outage(25_000.0, 3600)},
                             simulation={"efficiency": 0.5, "speed_model": "linear"})
    result = run(Simulation(scenario, build_policy(SavesOnDeficit), check_invariants=True))
    assert not events(result, "failure", "a")  # no power loss: nothing rolled back
    (saved,) = [e for e in events(result, "checkpoint_saved", "a") if e.data["tier"] == "preempt"]
    assert saved.time_s == 25_000.0 and result.job("a").lost_gpu_hours == 0


def test_without_the_reliability_model_a_job_the_outage_stopped_keeps_its_progress():
    from colossim.engine.simulation import Simulation
    from colossim.policy.registry import make_policy
    from tests.conftest import make_scenario

    scenario = make_scenario([job()], racks=2, cluster={"fabric": {"contention": False},
                                                        **_outage(25_000.0, 3600.0)},
                             simulation={"efficiency": 0.5, "speed_model": "linear"})
    result = run(Simulation(scenario, make_policy("fifo"), check_invariants=True))
    assert not events(result, "failure")
    # 25,000 s + 35,000 s left, and back at 28,600 s it pays a policy preemption's switch
    # cost (engine.switch_costs): write, relaunch and read, 0.07 + 120 + 0.039 s
    assert result.job("a").end_s == pytest.approx(60_000 + 3600 + WRITE + RESTART + LOAD,
                                                  rel=1e-12)


def test_a_job_waiting_for_a_repair_starts_on_the_first_spare_that_is_ready():
    # rack 1 is the only spare, and it is down from 100 s to 1,100 s; at 200 s a GPU of rack 0
    # fails: no ready spare, so the job waits in the queue. When rack 1 is repaired it takes the
    # broken rack 0's place among the racks the policy may use, and the job starts there at
    # once: it already waited out detection, so it pays the relaunch only (nothing to load).
    sim = simulation([job(checkpoint={"interval_s": None})], quiet(), racks=2,
                     cluster={"spare_racks": 1})
    rel = reliability_of(sim)
    sim.call_at(100.0, lambda: rel.strike("rack", 1, repair_s=1000.0))
    sim.call_at(200.0, lambda: rel.strike("gpu", 0, repair_s=1e6))
    result = run(sim)
    starts = events(result, "start", "a")
    assert [e.time_s for e in starts] == [0.0, 1100.0]
    (spare_in,) = events(result, "spare_in")
    assert (spare_in.data["rack_in"], spare_in.data["rack_out"]) == (1, 0)
    assert result.job("a").end_s == pytest.approx(1100 + RESTART + 60_000)
    assert result.job("a").lost_gpu_hours == pytest.approx(72 * 200 / 3600)


@pytest.mark.parametrize("interval", [6_000.0, 10_000.0, 1_000.0])
def test_no_checkpoint_is_written_at_the_instant_the_job_completes(interval):
    # 60,000 s of compute, a checkpoint every `interval` of it: n = 60,000 / interval falls due
    # with the last at completion, which saves nothing worth keeping. n - 1 are written, each
    # pausing the job WRITE s (the last used to be written too, or not, as rounding fell).
    sim = simulation([job(checkpoint={"interval_s": interval})], quiet(), racks=1)
    a = run(sim).job("a")
    n = round(60_000 / interval)
    assert a.checkpoints == n - 1
    assert a.end_s == pytest.approx(60_000 + (n - 1) * WRITE, rel=1e-12)


@pytest.mark.parametrize(("second_tray", "restored"), [(0, "storage"), (2, "memory")])
def test_a_peer_copy_is_lost_once_a_shard_lost_both_its_hosts(second_tray, restored):
    # A 2-rack job copies each shard to its own host and to the same slots on the other rack,
    # every 8,000 s of compute; every 2nd copy also goes to storage. Standby trays keep it on
    # its racks. Tray 0 of its first rack fails at 25,000 s: the other rack still holds those
    # shards, so it restores the copy taken at 24,000 s of compute. Then a tray of its second
    # rack fails: tray 0 held the only other copy of the same shards (lost: back to the copy
    # persisted at 16,000 s), tray 2 held other shards (the peer copy still covers them).
    ck = {"interval_s": 8000, "in_memory": "peer", "persist_every": 2}
    sim = simulation([job(min_gpus=144, max_gpus=144, checkpoint=ck)],
                     quiet(spares={"trays_per_rack": 2}), racks=2)
    rel = reliability_of(sim)

    def strike(rack_position: int, tray: int):
        return lambda: rel.strike("tray", sim.state.by_name["a"].grant[rack_position][0],
                                  slot=tray, repair_s=1e6)

    sim.call_at(25_000.0, strike(0, 0))
    sim.call_at(26_000.0, strike(1, second_tray))
    first, second = events(run(sim), "failure", "a")
    pause = 2 * 140e9 / 144 / 50e9  # each GPU's shard to host memory, then over its 50 GB/s NIC
    assert (first.data["restore"], first.data["snapshot_s"]) == (
        "memory", pytest.approx(24_000 + 2 * pause))
    expected = 16_000 + pause if restored == "storage" else 24_000 + 2 * pause
    assert (second.data["restore"], second.data["snapshot_s"]) == (
        restored, pytest.approx(expected))


def test_an_in_memory_checkpoint_does_not_wait_for_the_background_persist():
    # Local copies every 600 s of compute, every 2nd persisted to storage at the job's cap of
    # 0.1 GB/s: 140 GB take 1,400 s, longer than two intervals. The copies keep their schedule
    # (the persist writes from host memory, not from the GPUs) and a persist falling due while
    # the previous one is still being written is skipped. Persists are not new checkpoints.
    ck = {"interval_s": 600, "in_memory": "local", "persist_every": 2, "storage_gbytes_s": 0.1}
    sim = simulation([job(checkpoint=ck, tokens_billion=9)], quiet(), racks=1)  # 6,000 s
    result = run(sim)
    pause = 140e9 / 72 / 50e9
    saved = events(result, "checkpoint_saved", "a")
    memory = [e.data["snapshot_s"] for e in saved if e.data["tier"] == "memory"]
    # 6,000 s of compute: copies at 600, 1,200, ..., 5,400 s of compute, each after k-1 pauses
    assert memory == pytest.approx([600 * k + (k - 1) * pause for k in range(1, 10)])
    persisted = [(e.time_s, e.data["snapshot_s"]) for e in saved if e.data["tier"] == "storage"]
    # the 2nd copy (taken at 1,200 s + a pause) is persisted from when it is in memory until
    # 1,400 s later, past the 4th (skipped); the 6th is persisted, the 8th skipped
    taken = [1_200 + pause, 3_600 + 5 * pause]
    assert persisted == [(pytest.approx(s + pause + 1_400.0), pytest.approx(s)) for s in taken]
    assert result.job("a").checkpoints == 9


def test_a_peer_copy_on_a_rack_the_job_has_left_is_lost_with_that_rack():
    # ring (racks 0, 1) at the 24,000 s copy. A tray of rack 1 fails at 25,000 s: the job
    # restores from memory and moves to the spare, rack 2. Rack 1 then fails whole, under no
    # job: the other copy of rack 0's shards went with it, which was not noted (only faults
    # that hit the job were). A tray of rack 0 at 26,000 s then leaves no copy of its shards:
    # back to the copy persisted at 16,000 s (it restored the memory copy)
    ck = {"interval_s": 8000, "in_memory": "peer", "persist_every": 2}
    sim = simulation([job(min_gpus=144, max_gpus=144, checkpoint=ck)], quiet(), racks=3,
                     cluster={"spare_racks": 1})
    rel = reliability_of(sim)
    left = {}

    def first_fault():
        left["rack"] = sim.state.by_name["a"].grant[1][0]
        rel.strike("tray", left["rack"], slot=0, repair_s=1e6)

    sim.call_at(25_000.0, first_fault)
    sim.call_at(25_500.0, lambda: rel.strike("rack", left["rack"], repair_s=1e6))
    sim.call_at(26_000.0, lambda: rel.strike("tray", sim.state.by_name["a"].grant[0][0],
                                             slot=2, repair_s=1e6))
    result = run(sim)
    first, second = events(result, "failure", "a")
    pause = 2 * 140e9 / 144 / 50e9
    assert (first.data["restore"], first.data["snapshot_s"]) == (
        "memory", pytest.approx(24_000 + 2 * pause))
    assert [e.data["rack_in"] for e in events(result, "swap", "a")] == [2]
    assert (second.data["restore"], second.data["snapshot_s"]) == (
        "storage", pytest.approx(16_000 + pause))


def test_an_async_checkpoint_due_during_a_write_still_comes_after_a_resize_pause():
    """QA case: job a checkpoints every 60 s, asynchronously, and each write takes 100 s
    (200 TB at 2 TB/s), so every checkpoint falls due while the previous write is in flight
    and waits for it. Job b arrives at 5,040 s; elastic-goodput shrinks a, which pauses to
    resize until after its write in flight ends (5,060 s). It must go on checkpointing once it
    computes again: before the fix, the waiting checkpoint was dropped and a was never armed
    again, so it trained for days on a restore point from 5,060 s."""
    ckpt = {"interval_s": 60, "size_gb": 200_000, "mode": "async"}
    a = {"name": "a", "work_gpu_hours": 20_000, "reference_gpu": "GB200", "min_gpus": 72,
         "max_gpus": 288, "checkpoint": ckpt}
    b = {"name": "b", "work_gpu_hours": 3_000, "reference_gpu": "GB200", "min_gpus": 72,
         "max_gpus": 144, "submit_s": 5_040, "checkpoint": ckpt}
    result = run(simulation([a, b], quiet(), racks=4, policy="elastic-goodput"))
    resize = [e for e in events(result, "pause", "a") if e.data["phase"] == "resize"]
    assert resize and resize[0].time_s == 5_040
    saved = [e.time_s for e in events(result, "checkpoint_saved", "a")]
    assert saved[0] < 5_040 < saved[-1]
    end = result.job("a").end_s
    # a write takes 100 s alone, 200 s while b writes too (the 2 TB/s are shared); a pause
    # adds at most its length (the resize's) before the next checkpoint is armed (60 s of
    # compute) and written. Before the fix the longest gap was ~329,000 s.
    longest_pause = max(e.data["seconds"] for e in events(result, "pause", "a"))
    gaps = [t1 - t0 for t0, t1 in zip([0.0, *saved], [*saved, end], strict=True)]
    assert max(gaps) <= longest_pause + 60 + 200 + 1e-6
    assert len(saved) > (end - 5_040) / (longest_pause + 60 + 200)


def test_a_rack_swapped_out_under_another_job_becomes_the_spare_once_that_job_leaves():
    """Two 36-GPU jobs share rack 0 of 3; rack 2 is the one spare. A GPU fault under a moves
    a to the spare; rack 0 cannot be a spare while b still holds half of it, and must become
    one when b completes (then a ready one when repaired): the pool keeps its one spare.
    Before the fix rack 0 never became a spare and the pool stayed empty for good."""
    small = {"min_gpus": 36, "max_gpus": 36, "params_billion": 1,
             "checkpoint": {"interval_s": None}}
    jobs = [job(name="a", tokens_billion=2_000, **small), job(name="b", tokens_billion=20, **small)]
    sim = simulation(jobs, quiet(), racks=3, cluster={"spare_racks": 1})
    rel, ledger = reliability_of(sim), sim.state.ledger
    seen: dict[str, list[bool]] = {}

    def look(tag: str) -> None:
        seen[tag] = ledger.spare.tolist() + rel.spares.ready().tolist()

    strike_at(sim, 100.0, slot=0, repair_s=200_000.0)
    sim.call_at(101.0, lambda: look("after the fault"))
    sim.call_at(250_000.0, lambda: look("after the repair"))
    result = run(sim)
    (swap,) = events(result, "swap", "a")
    assert (swap.data["rack_out"], swap.data["rack_in"]) == (0, 2)
    b_end = result.job("b").end_s
    assert 101.0 < b_end < 200_100.0  # b leaves rack 0 before its repair
    # spare flags, then ready flags, of racks 0, 1, 2
    assert seen["after the fault"] == [False, False, False, False, False, False]
    assert seen["after the repair"] == [True, False, False, True, False, False]
    assert ledger.spare.sum() == 1


@pytest.mark.parametrize(("component", "moved"), [("rack", 8), ("tray", 2)])
def test_one_fault_under_two_small_jobs_takes_one_spare(component, moved):
    """Two GPU-grain jobs on rack 0 of 4 (racks 2 and 3 are spares); one rack fault (or a fault
    of tray 0, which both jobs use) strikes both. They move to the same spare, and rack 0 takes
    its place, so the pool keeps its two spares. Each job took a spare of its own before, and
    the pool lost one for good (QA)."""
    small = {"min_gpus": moved, "max_gpus": moved, "checkpoint": {"interval_s": None}}
    sim = simulation([job(name="a", **small), job(name="b", **small)], quiet(), racks=4,
                     cluster={"spare_racks": 2})
    rel, ledger = reliability_of(sim), sim.state.ledger
    seen = {}
    sim.call_at(10_000.0, lambda: rel.strike(component, 0, repair_s=5_000.0))
    sim.call_at(10_001.0, lambda: seen.update(fault=ledger.spare.tolist()))
    sim.call_at(20_000.0, lambda: seen.update(repair=(ledger.spare.tolist(),
                                                     rel.spares.ready().tolist())))
    result = run(sim)
    swaps = [(e.job, e.data["rack_out"], e.data["rack_in"]) for e in events(result, "swap")]
    assert swaps == [("a", 0, 2), ("b", 0, 2)]
    assert seen["fault"] == [True, False, False, True]  # rack 0 is the spare now
    assert seen["repair"] == ([True, False, False, True], [True, False, False, True])


def test_maintenance_does_not_spend_the_spares_on_its_racks():
    """3 pods of 3 racks, one spare per pod (racks 2, 5, 8); a and b fill pods 0 and 1, c comes
    at 1,200 s, and idle pod 2 is under maintenance from 1,000 s to 51,000 s. A GPU fault under
    a at 2,000 s must find its pod's spare: before the fix the window's start traded spares 2 and
    5 for maintained racks 6 and 7, c started on them, and a went back to the queue (ETTR 0.51
    against 0.98)."""
    rel = quiet(spares={"racks_per_pod": 1},
                maintenance=[{"start_s": 1000, "duration_s": 50_000, "pods": [2]}])
    two = {"min_gpus": 144, "max_gpus": 144, "checkpoint": {"interval_s": 600}}
    jobs = [job(name="a", **two), job(name="b", **two), job(name="c", submit_s=1200, **two)]
    sim = simulation(jobs, rel, racks=9, pod_size_racks=3)
    reliability = reliability_of(sim)
    sim.call_at(2000.0, lambda: reliability.strike(
        "gpu", sim.state.by_name["a"].grant[0][0], slot=0, repair_s=100_000.0))
    result = run(sim)
    assert events(result, "spare_in") == []
    (failure,) = events(result, "failure", "a")
    assert not failure.data["stopped"]
    (swap,) = events(result, "swap", "a")
    assert (swap.data["rack_out"], swap.data["rack_in"]) == (0, 2)
    # c waits for racks: the first job to finish frees them
    assert result.job("c").start_s == pytest.approx(min(result.job("a").end_s,
                                                        result.job("b").end_s))


@pytest.mark.parametrize(("per_tray", "trays", "last_tray_gpus"), [(5, 15, 2), (100, 1, 72)])
def test_every_gpu_sits_in_a_tray_whatever_the_tray_size(per_tray, trays, last_tray_gpus):
    """72 GPUs in trays of 5: 15 trays, the last holding GPUs 70 and 71 (with 72 // 5 = 14
    trays those two were never struck); trays of 100 on a 72-GPU rack: the rack is one tray."""
    sim = simulation([job(checkpoint={"interval_s": None})], quiet(gpus_per_tray=per_tray),
                     racks=2)
    rel = reliability_of(sim)
    assert rel.trays_per_rack == [trays, trays]
    strike_at(sim, 10.0, component="tray", slot=trays - 1, repair_s=1e9)
    result = run(sim)
    (fault,) = events(result, "fault")
    assert (fault.data["component"], fault.data["gpus"]) == ("tray", last_tray_gpus)


SLOW = {"storage": {"write_tbytes_s": 0.001, "read_tbytes_s": 0.01}}  # 140 GB: 140 s, 14 s
RESIZE_S = 140.0 + RESTART + 14.0  # save, relaunch, load: the resize's checkpoint-restart


def _shrunk_at_1050(interval_s: float, b_interval_s: float, **rel):
    """a runs on 144 GPUs until b arrives at 1,050 s; elastic-goodput shrinks a to 72, which
    pauses to resize until 1,324 s."""
    a = job(min_gpus=72, max_gpus=144, checkpoint={"interval_s": interval_s})
    b = job(name="b", submit_s=1_050, tokens_billion=9,
            checkpoint={"interval_s": b_interval_s})
    return simulation([a, b], quiet(**SLOW, **rel), racks=2, policy="elastic-goodput")


def test_a_fault_after_a_resize_rolls_back_to_the_resize_checkpoint():
    """A resize is a checkpoint-restart: a fault at 1,400 s loses the 76 s computed since the
    resize pause ended (1,324 s), not everything since t = 0 (QA: the restore point stayed the
    start, 43.5 GPU-hours lost instead of 1.52)."""
    sim = _shrunk_at_1050(5_000.0, 5_000.0)
    strike_at(sim, 1_400.0, component="software")
    result = run(sim)
    (failure,) = events(result, "failure", "a")
    assert 1_050 + RESIZE_S == 1_324
    assert failure.data["snapshot_s"] == 1_050 and failure.data["restore"] == "storage"
    assert failure.data["lost_flops"] == pytest.approx(RATE * (1_400 - 1_324), rel=1e-9)
    assert result.job("a").lost_gpu_hours == pytest.approx(72 * 76 / 3600)
    periodic = [e for e in events(result, "checkpoint_saved", "a") if e.data["tier"] == "storage"]
    assert result.job("a").checkpoints == len(periodic)  # the resize's is a switch cost


def test_another_jobs_write_does_not_cut_a_resize_pause_short():
    """a starts a 140 s synchronous write at 1,000 s and is resized at 1,050 s; b's writes
    (every 30 s) re-time the storage shares. a must stay paused for the whole resize, until
    1,324 s (QA: b's first write re-timed a's old write and a resumed at 1,200 s)."""
    result = run(_shrunk_at_1050(1_000.0, 30.0))
    pauses = events(result, "pause", "a")
    resize = next(e for e in pauses if e.data["phase"] == "resize")
    assert (resize.time_s, resize.data["seconds"]) == (1_050, RESIZE_S)
    after = [e.time_s for e in pauses + events(result, "resume", "a") if e.time_s > 1_050]
    assert min(after) == 1_324  # nothing paused or resumed it in between


def test_a_local_copy_survives_a_fault_on_a_spare_the_job_moved_to_after_its_snapshot():
    """A GPU fault at 1,500 s moves the job from rack 0 onto the spare rack 2 and it restores
    from its 1,000 s copy in rack 0's host memory (a GPU fault leaves hosts up). A tray fault
    on rack 2 at 2,200 s takes hosts that never held that copy: the job restores from it again
    (QA: the copy was dropped and the job went back to the start, losing 1,000 s more)."""
    ck = {"interval_s": 1000.0, "in_memory": "local", "persist_every": 100}
    sim = simulation([job(checkpoint=ck)], quiet(spares={"racks_per_pod": 1}), racks=3,
                     pod_size_racks=3)
    rel = reliability_of(sim)
    sim.call_at(1_500.0, lambda: rel.strike("gpu", 0, slot=0, repair_s=1e6))
    sim.call_at(2_200.0, lambda: rel.strike("tray", 2, slot=5, repair_s=1e6))
    first, second = events(run(sim), "failure", "a")
    assert (first.data["restore"], first.data["snapshot_s"]) == ("memory", 1_000.0)
    assert (second.data["restore"], second.data["snapshot_s"]) == ("memory", 1_000.0)


def test_a_local_copy_on_a_rack_the_job_left_is_lost_with_that_rack():
    """A GPU fault at 1,000 s moves a to the spare rack 1; its local copy of the 600 s
    checkpoint stays in rack 0's hosts. A rack fault takes rack 0 at 1,200 s, so a software
    fault at 1,300 s must roll a back to the start (nothing persisted), not to the 600 s copy."""
    ck = {"interval_s": 600.0, "in_memory": "local", "persist_every": 100}
    sim = simulation([job(checkpoint=ck)], quiet(spares={"racks_per_pod": 1}), racks=2,
                     pod_size_racks=2)
    rel = reliability_of(sim)
    sim.call_at(1_000.0, lambda: rel.strike("gpu", 0, 0, repair_s=36_000))
    sim.call_at(1_200.0, lambda: rel.strike("rack", 0, repair_s=600))
    sim.call_at(1_300.0, lambda: rel.strike("software", 1, 0))
    first, second = events(run(sim), "failure", "a")
    assert (first.data["restore"], first.data["snapshot_s"]) == ("memory", 600.0)
    assert (second.data["restore"], second.data["snapshot_s"]) == ("start", None)


BIG_LOAD = 140e12 / (72 * 50e9)  # 140 TB at the 72 GPUs' 50 GB/s each: 38.9 s, either tier


@pytest.mark.parametrize(("ck", "lost_at", "restore", "resume_at"), [
    # nothing persisted: back to the start, which loads nothing; resume after the relaunch
    ({"persist_every": 100}, 1_100.0, "start", 1_000 + DETECT + RESTART),
    # every copy persisted: the same work from storage; the copy went in the load's middle
    # (1,270 to 1,308.9 s), so the load starts again from storage at 1,300 s
    ({"persist_every": 1, "size_gb": 140e3}, 1_300.0, "storage", 1_300 + BIG_LOAD),
])
def test_a_local_copy_lost_while_the_job_restarts_from_it_sends_it_to_storage(ck, lost_at,
                                                                              restore,
                                                                              resume_at):
    """A GPU fault at 1,000 s moves a to the spare rack 1, to restart from its 600 s copy in
    rack 0's hosts: detection and relaunch, then the load. Rack 0 fails before the load is
    done, taking the copy: a falls back to storage as a queued job does (QA: it resumed from
    the lost copy, losing nothing more)."""
    ck = {"interval_s": 600.0, "in_memory": "local", **ck}
    sim = simulation([job(checkpoint=ck)], quiet(spares={"racks_per_pod": 1}), racks=2,
                     pod_size_racks=2)
    rel = reliability_of(sim)
    sim.call_at(1_000.0, lambda: rel.strike("gpu", 0, 0, repair_s=36_000))
    sim.call_at(lost_at, lambda: rel.strike("rack", 0, repair_s=600))
    result = run(sim)
    (failure,) = events(result, "failure", "a")
    assert (failure.data["restore"], failure.data["snapshot_s"]) == ("memory", 600.0)
    (lost,) = events(result, "restore_lost", "a")
    assert (lost.time_s, lost.data["restore"]) == (lost_at, restore)
    assert job_timeline(result, "a").restores == ((restore, 1),)  # --explain: not "memory"
    resumes = [e.time_s for e in events(result, "resume", "a")]
    assert pytest.approx(resume_at) in resumes
    assert not [t for t in resumes if 1_000 < t < resume_at - 1e-6]  # not from the lost copy
    (pause,) = [e.data["seconds"] for e in events(result, "pause", "a")
                if e.data["phase"] == "checkpoint" and e.time_s == 600.0]
    computed = 1_000 - pause  # before the fault, less the copy's pause
    kept = 0.0 if restore == "start" else 600.0  # the storage copy of the 600 s checkpoint
    assert result.job("a").lost_gpu_hours == pytest.approx(72 * (computed - kept) / 3600,
                                                           rel=1e-9)


def test_a_copy_lost_after_the_restart_loaded_it_costs_nothing_even_in_a_later_pause():
    """Review: the job restarts from its local copy (rack 0's hosts) on the spare and resumes at
    1,270.04 s; a power hold pauses it at that instant in the restart phase, as the power
    model's hold of a computing job does, its work still the copy's. Rack 0 failing at 1,300 s
    takes a copy the job no longer needs: nothing is lost beyond the first fault's 400 s."""
    from colossim.model.jobs import Phase

    ck = {"interval_s": 600.0, "in_memory": "local", "persist_every": 100}
    sim = simulation([job(checkpoint=ck)], quiet(spares={"racks_per_pod": 1}), racks=2,
                     pod_size_racks=2)
    rel, a = reliability_of(sim), sim.state.by_name["a"]
    sim.call_at(1_000.0, lambda: rel.strike("gpu", 0, 0, repair_s=36_000))
    resumed_s = 1_000.0 + DETECT + RESTART + LOAD

    def hold() -> None:
        assert a.phase is Phase.COMPUTE and sim.state.now_s == resumed_s
        sim.pause_job(a, 100.0, Phase.RESTART)

    sim.call_at(1_100.0, lambda: sim.call_at(resumed_s, hold))
    sim.call_at(1_300.0, lambda: rel.strike("rack", 0, repair_s=600))
    result = run(sim)
    assert not events(result, "restore_lost", "a")
    (pause,) = [e.data["seconds"] for e in events(result, "pause", "a")
                if e.data["phase"] == "checkpoint" and e.time_s == 600.0]
    assert result.job("a").lost_gpu_hours == pytest.approx(72 * (1_000 - pause - 600) / 3600,
                                                           rel=1e-9)


def test_a_drained_job_given_as_gpu_hours_reads_back_its_whole_checkpoint():
    """A job given as GPU-hours checkpoints 1 GB per GPU (docs/reliability.md): 72 GB on its
    rack. Drained by maintenance at 1,800 s, it writes them (72 GB over its 72 NICs' 3.6 TB/s,
    under storage's 2 TB/s: 0.036 s) and, restarted at 3,600 s, relaunches (120 s) and reads
    them back (72 GB at 3.6 TB/s, under storage's 7: 0.02 s). QA: the read was priced as one
    GPU's gigabyte (0.00028 s): the job held no GPUs when it was priced."""
    rel = quiet(maintenance=[{"start_s": 1_800, "duration_s": 1_800, "pods": [0]}])
    gpu_hours = {"name": "a", "work_gpu_hours": 72, "reference_gpu": "GB200", "min_gpus": 72,
                 "max_gpus": 72, "checkpoint": {"interval_s": None}}
    result = run(simulation([gpu_hours], rel, racks=1))
    (restart,) = [e for e in events(result, "pause", "a") if e.data["phase"] == "restart"]
    assert restart.time_s == 3_600.0
    assert restart.data["seconds"] == pytest.approx(72e9 / 2e12 + RESTART + 72e9 / 3.6e12,
                                                    rel=1e-12)


def test_a_drain_during_a_restart_still_pays_the_detection_left_and_writes_nothing():
    """A software fault at 1,000 s rolls the job back to its 600 s checkpoint and starts a
    restart pause (150 s detection + 120 s relaunch + load); maintenance drains the job at
    1,010 s onto pod 1. It must still wait out the 140 s of detection left (QA: it computed
    again at 1,130 s), then relaunch and load. It writes no checkpoint on its way out: it has
    done nothing since the one it restarts from (QA: it paid a write that saved nothing)."""
    rel = quiet(maintenance=[{"start_s": 1_010, "duration_s": 100, "pods": [0]}])
    sim = simulation([job(checkpoint={"interval_s": 600.0})], rel, racks=2, pod_size_racks=1)
    strike_at(sim, 1_000.0, component="software")
    result = run(sim)
    restart = [e for e in events(result, "pause", "a") if e.data["phase"] == "restart"][-1]
    assert restart.time_s == 1_010
    assert restart.data["seconds"] == pytest.approx(140 + RESTART + LOAD)
    drain = events(result, "failure", "a")[-1]
    assert (drain.data["save_s"], drain.data["snapshot_s"]) == (0.0, 600.0)


def test_a_spare_across_a_cut_tier_is_not_swapped_in():
    """Pods of 3 racks, the last of each a spare; pod 1's uplinks are cut at 50 s and pod 0's
    spare breaks at 100 s. A rack fault under the 2-rack job (racks 0-1) at 1,000 s finds only
    pod 1's spare, which would put the job's traffic across the cut: the fabric took it off at
    once and one fault counted as two interruptions (QA). Now the job goes back to the queue
    once and the policy starts it inside pod 1 (racks 3-4: no uplink crossed)."""
    cut = {"fabric": {"contention": True, "events": [
        {"time_s": 50, "tier": "pod", "pod": 1, "capacity_fraction": 0.0}]}}
    sim = simulation([job(min_gpus=144, max_gpus=144, checkpoint={"interval_s": 600.0})],
                     quiet(spares={"racks_per_pod": 1}), racks=6, pod_size_racks=3, cluster=cut)
    rel = reliability_of(sim)
    sim.call_at(100.0, lambda: rel.strike("rack", 2, repair_s=36_000))
    sim.call_at(1_000.0, lambda: rel.strike("rack", 1, repair_s=36_000))
    result = run(sim)
    (failure,) = events(result, "failure", "a")
    assert failure.data["stopped"] and not events(result, "swap", "a")
    assert not events(result, "preempt", "a")
    assert result.job("a").interruptions == 1
    (_, restart) = events(result, "start", "a")
    assert restart.time_s == 1_000.0


def test_a_job_that_cannot_share_the_spare_across_a_cut_takes_another():
    """Pods of 3 racks, the last of each a spare; pod 1's uplinks are cut and pod 0's spare is
    broken. A rack fault on rack 0 strikes a (8 GPUs there only) and b (8 there, 72 on rack 1).
    a moves to the first ready spare, rack 5 in pod 1: alone on one rack, it sends nothing
    across the cut. b cannot join it there (racks 1 and 5 talk across pod 1's cut uplinks), so
    it takes pod 2's spare, rack 8, rather than go back to the queue (review)."""
    cut = {"fabric": {"contention": True, "events": [
        {"time_s": 50, "tier": "pod", "pod": 1, "capacity_fraction": 0.0}]}}
    gpu = {"placement": "gpu", "checkpoint": {"interval_s": None}}
    jobs = [job(name="a", min_gpus=8, max_gpus=8, **gpu),
            job(name="b", min_gpus=80, max_gpus=80, **gpu)]
    sim = simulation(jobs, quiet(spares={"racks_per_pod": 1}), racks=9, pod_size_racks=3,
                     cluster=cut)
    rel = reliability_of(sim)
    grants = {}
    sim.call_at(60.0, lambda: grants.update(before={j.name: j.grant for j in sim.state.jobs}))
    sim.call_at(100.0, lambda: rel.strike("rack", 2, repair_s=36_000))
    sim.call_at(1_000.0, lambda: rel.strike("rack", 0, repair_s=36_000))
    result = run(sim)
    assert grants["before"] == {"a": ((0, 8),), "b": ((0, 8), (1, 72))}
    swaps = [(e.job, e.data["rack_out"], e.data["rack_in"]) for e in events(result, "swap")]
    assert swaps == [("a", 0, 5), ("b", 0, 8)]
    assert not any(f.data["stopped"] for f in events(result, "failure"))


@pytest.mark.parametrize(("in_memory", "copy_lost_at"), [("local", 2_000.0), ("peer", 2_001.0)])
def test_a_queued_jobs_memory_copy_lost_while_it_waits_falls_back_to_storage(in_memory,
                                                                               copy_lost_at):
    """A 2-rack job checkpoints in memory every 600 s (nothing persisted). A GPU fault at
    1,000 s stops it (no spare) with its 600 s copy as restore point, until the GPU's repair at
    4,600 s. Rack 0 goes down at 2,000 s (the local copy's hosts), rack 1 at 2,001 s (with it,
    every peer copy's second host). The job must restart from the start: 1,000 s on 144 GPUs
    (less the copy's pause), 40 GPU-h lost, not the 16 of the first fault alone (QA: the
    waiting job kept its copy)."""
    ck = {"interval_s": 600.0, "in_memory": in_memory, "persist_every": 100}
    sim = simulation([job(min_gpus=144, max_gpus=144, checkpoint=ck)], quiet(), racks=2)
    rel = reliability_of(sim)
    sim.call_at(1_000.0, lambda: rel.strike("gpu", 0, 0, repair_s=3_600))
    sim.call_at(2_000.0, lambda: rel.strike("rack", 0, repair_s=600))
    sim.call_at(2_001.0, lambda: rel.strike("rack", 1, repair_s=600))
    result = run(sim)
    (failure,) = events(result, "failure", "a")
    assert (failure.data["restore"], failure.data["snapshot_s"]) == ("memory", 600.0)
    (lost,) = events(result, "restore_lost", "a")
    assert lost.time_s == copy_lost_at and lost.data["restore"] == "start"
    assert lost.data["lost_flops"] == pytest.approx(2 * RATE * 600, rel=1e-9)
    assert result.job("a").interruptions == 1
    # computing time before the fault: 1,000 s less the copy's own pause at 600 s
    (pause,) = [e.data["seconds"] for e in events(result, "pause", "a")
                if e.data["phase"] == "checkpoint" and e.time_s == 600.0]
    assert result.job("a").lost_gpu_hours == pytest.approx(144 * (1_000 - pause) / 3600,
                                                           rel=1e-9)


def test_a_policys_view_shows_the_work_a_lost_copy_took_back_during_the_restart():
    """As the first case above: a restarts on rack 1 from its 600 s copy in rack 0's hosts, and
    rack 0 fails at 1,100 s, before the load is done: nothing was persisted, so a is back at the
    start (0 FLOPs done). A view built then must say so (QA: the job was rolled back without
    telling the views, which showed its 600 s of work until it resumed)."""
    ck = {"interval_s": 600.0, "in_memory": "local", "persist_every": 100}
    sim = simulation([job(checkpoint=ck)], quiet(spares={"racks_per_pod": 1}), racks=2,
                     pod_size_racks=2)
    rel = reliability_of(sim)
    seen: dict[float, float] = {}

    def look() -> None:
        (view,) = sim.views.build(()).running
        seen[sim.env.now] = view.work_done

    sim.call_at(1_000.0, lambda: rel.strike("gpu", 0, 0, repair_s=36_000))
    sim.call_at(1_050.0, look)
    sim.call_at(1_100.0, lambda: rel.strike("rack", 0, repair_s=600))
    sim.call_at(1_150.0, look)
    result = run(sim)
    (lost,) = events(result, "restore_lost", "a")
    assert lost.data["restore"] == "start"
    assert seen[1_050.0] > 0  # the 600 s copy's work, which the restart was to load
    assert seen[1_150.0] == 0.0

