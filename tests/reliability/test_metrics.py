"""Reliability metrics are pure functions of the record: a hand-written record, hand answers."""

from __future__ import annotations

import pytest

from colossim.engine.record import Event, Record
from colossim.metrics.reliability import cluster_reliability, reliability_fields
from colossim.metrics.result import JobResult, with_fields


def test_lost_checkpoint_and_restart_hours_and_ettr_from_a_hand_written_record():
    e = Event
    record = Record(events=[
        e(0.0, "start", "a", {"gpus": 8}),
        e(100.0, "pause", "a", {"phase": "checkpoint", "seconds": 10.0}),
        e(110.0, "resume", "a"),
        e(110.0, "checkpoint_saved", "a", {"snapshot_s": 100.0, "tier": "storage"}),
        e(150.0, "failure", "a", {"snapshot_s": 100.0, "stopped": False}),
        e(150.0, "pause", "a", {"phase": "restart", "seconds": 20.0}),
        e(170.0, "resume", "a"),
        e(200.0, "failure", "a", {"snapshot_s": 100.0, "stopped": False}),  # same point again
        e(200.0, "pause", "a", {"phase": "restart", "seconds": 20.0}),
        e(220.0, "resume", "a"),
        e(300.0, "complete", "a"),
    ])
    job = JobResult(name="a", state="completed", submit_s=0.0, start_s=0.0, end_s=300.0,
                    jct_s=300.0, gpu_hours=8 * 300 / 3600, mean_gpus=8.0, work_flops=1.0,
                    work_done_flops=1.0)
    (a,) = with_fields((job,), reliability_fields((job,), record, 300.0))
    # compute: 0-100, 110-150, 170-200, 220-300 = 250 s. The first failure loses 110-150 (40 s),
    # the second 170-200 only (30 s: 110-150 was already lost), so productive = 180 s.
    assert a.lost_gpu_hours == pytest.approx(8 * 70 / 3600)
    assert a.checkpoint_gpu_hours == pytest.approx(8 * 10 / 3600)
    assert a.restart_gpu_hours == pytest.approx(8 * 40 / 3600)
    assert a.ettr == pytest.approx(180 / 300)
    assert a.mttf_s == pytest.approx(300 / 2)
    assert (a.interruptions, a.checkpoints) == (2, 1)
    # without the reliability model's level series there is no cluster block
    assert cluster_reliability(record, (a,), 72, 300.0) is None


def test_a_stopped_job_holds_no_gpus_until_it_starts_again():
    e = Event
    record = Record(events=[
        e(0.0, "start", "a", {"gpus": 72}),
        e(1000.0, "failure", "a", {"snapshot_s": None, "stopped": True}),
        e(4000.0, "start", "a", {"gpus": 144}),
        e(4000.0, "pause", "a", {"phase": "restart", "seconds": 300.0}),
        e(4300.0, "resume", "a"),
        e(5000.0, "complete", "a"),
    ])
    job = JobResult(name="a", state="completed", submit_s=0.0, start_s=0.0, end_s=5000.0,
                    jct_s=5000.0, gpu_hours=0.0, mean_gpus=0.0, work_flops=1.0,
                    work_done_flops=1.0)
    (a,) = with_fields((job,), reliability_fields((job,), record, 5000.0))
    assert a.lost_gpu_hours == pytest.approx(72 * 1000 / 3600)  # nothing saved: all of it
    assert a.restart_gpu_hours == pytest.approx(144 * 300 / 3600)
    assert a.ettr == pytest.approx(700 / 5000)  # waiting in the queue is not productive
    assert a.mttf_s == pytest.approx((1000 + 1000) / 1)


def test_every_failure_class_is_counted_zero_included():
    # a class that never failed is 0, not missing: a sweep's mean of a missing count left the
    # runs without one out (1.667 over 3 runs where 4 runs averaged 1.25: QA)
    from colossim.engine.record import StepSeries

    record = Record(events=[Event(10.0, "fault", None, {"component": "gpu"}),
                            Event(20.0, "fault", None, {"component": "gpu"}),
                            Event(30.0, "fault", None, {"component": "rack"})])
    record.series["gpus_available"] = StepSeries([0.0], [72.0])
    rel = cluster_reliability(record, (), 72, 100.0)
    assert rel.faults == 3
    assert rel.faults_by_component == {"gpu": 2, "network": 0, "pod": 0, "rack": 1,
                                       "software": 0, "tray": 0}
