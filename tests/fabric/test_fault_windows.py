"""The "slowed no job" note quotes the faulted tiers' peak while the faults lasted (QA: it
quoted the run's peak, 100%, for a fault during which nothing ran)."""

from __future__ import annotations

from colossim.engine.record import Event, Record
from colossim.metrics.fabric import fault_windows, peak_within


def test_fault_windows_run_from_each_fault_to_its_repair_or_the_end():
    record = Record(events=[
        Event(0.0, "fabric_fault", None, {"tier": "pod", "fault": "a"}),
        Event(50.0, "fabric_fault", None, {"tier": "core", "fault": "b"}),
        Event(100.0, "fabric_repair", None, {"fault": "a"}),
        Event(300.0, "fabric_fault", None, {"tier": "pod", "fault": "c"}),
    ])
    assert fault_windows(record, 500.0) == {"pod": [(0.0, 100.0), (300.0, 500.0)],
                                           "core": [(50.0, 500.0)]}


def test_the_peak_within_the_windows_ignores_the_rest_of_the_run():
    record = Record()
    hottest = record.level("fabric.pod.hottest")
    for t, v in ((0.0, 0.0), (200.0, 1.0), (400.0, 0.3), (450.0, 0.6), (600.0, 0.0)):
        hottest.set(t, v)
    assert peak_within(hottest, [(0.0, 100.0)]) == 0.0  # the job's 100% came after the fault
    assert peak_within(hottest, [(420.0, 500.0)]) == 0.6  # 0.3 in force at the start, then 0.6
    assert peak_within(hottest, [(0.0, 100.0), (150.0, 250.0)]) == 1.0
    assert peak_within(hottest, [(700.0, 800.0)]) == 0.0


def _peak_by_walking(hottest, windows) -> float:
    """The definition, point by point: the value in force at each window's start, and every
    value set inside it."""
    best = 0.0
    points = list(zip(hottest.times, hottest.values, strict=True))
    for start, end in windows:
        held = [v for t, v in points if t <= start]
        best = max([best, *held[-1:], *(v for t, v in points if start < t < end)])
    return best


def test_the_peak_within_many_overlapping_windows_is_the_definitions():
    # the note's figure after a run of 12,902 faults took minutes: windows are now merged and
    # found by bisection; on random series and windows it agrees with the walk point by point
    import random

    rng = random.Random(7)
    for _ in range(200):
        record = Record()
        hottest = record.level("fabric.pod.hottest")
        t = 0.0
        for _k in range(rng.randint(0, 30)):
            t += rng.choice((0.0, 1.0, 2.5, 10.0))
            hottest.set(t, rng.random())
        windows = []
        for _k in range(rng.randint(0, 8)):
            start = rng.choice((0.0, 1.0, 5.0, 10.0, 20.0, 40.0, 100.0)) \
                + rng.choice((0.0, rng.random() * 5))  # on a point's time, or between
            windows.append((start, start + rng.choice((0.0, 1.0, 3.0, 30.0))))
        assert peak_within(hottest, windows) == _peak_by_walking(hottest, windows)
