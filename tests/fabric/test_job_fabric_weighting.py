"""A job's fabric figures are time-weighted over all the time it computed: on the fabric, and
inside its racks before or after (``engine.fabric`` logs both; ``metrics.fabric`` weights them).
Two GB200 racks: a job on both sends its DP traffic out of each rack
(``tests.reliability.helpers``)."""

from __future__ import annotations

import pytest

from tests.reliability.helpers import events, job, quiet, reliability_of, run, simulation


def test_time_computing_on_one_rack_after_a_failure_counts_in_the_fabric_figures():
    """a runs on both racks (144 GPUs: its DP traffic leaves each rack) until a rack fault at
    1,000 s with no spare sends it back to the queue; fifo restarts it at once on the one rack
    left (72 GPUs), where its traffic stays in the rack: 270 s of detection, relaunch and load,
    then 60,000 s of compute (its 5.4e21 FLOPs at half the rate). Its communication share is
    the time-weighted mean over all 61,000 s it computed: c x 1,000 / 61,000, with c its share
    on two racks (QA: the rack-local time fell out of the weighting, 14.6x too high)."""
    sim = simulation([job(min_gpus=72, max_gpus=144, checkpoint={"interval_s": None})], quiet(),
                     racks=2, cluster={"fabric": {"contention": True}})
    rel = reliability_of(sim)
    sim.call_at(1_000.0, lambda: rel.strike("rack", 0, repair_s=1e7))
    result = run(sim)
    marks = [(e.time_s, e.data) for e in events(result, "fabric", "a")]
    assert [(t, d["computing"], d["comm_fraction"] > 0) for t, d in marks] == [
        (0.0, True, True), (1_000.0, False, False), (1_270.0, True, False),
        (61_270.0, False, False)]
    shared = marks[0][1]["comm_fraction"]
    a = result.job("a")
    assert a.end_s == pytest.approx(61_270.0, rel=1e-12)
    assert a.comm_fraction == pytest.approx(shared * 1_000 / 61_000, rel=1e-9)
    assert a.contention_slowdown == 1.0



def test_time_computing_on_one_rack_before_the_fabric_counts_too():
    """elastic-goodput starts a on the one rack b leaves free (72 GPUs: its traffic stays in the
    rack) and grows it to both when b ends at 1,000 s: a 120.09 s resize pause, then 29,500 s
    on the fabric. Its share is c x 29,500 / (1,000 + 29,500), c its share on two racks (review:
    only the time after a first fabric period was logged, 24% high in this order)."""
    b = {"name": "b", "work_gpu_hours": 20, "reference_gpu": "GB200", "min_gpus": 72,
         "max_gpus": 72}
    sim = simulation([b, job(min_gpus=72, max_gpus=144, checkpoint={"interval_s": None})],
                     quiet(), racks=2, policy="elastic-goodput",
                     cluster={"fabric": {"contention": True}})
    result = run(sim)
    marks = [(e.time_s, e.data) for e in events(result, "fabric", "a")]
    assert [(t, d["computing"], d["comm_fraction"] > 0) for t, d in marks] == [
        (0.0, True, False), (1_000.0, False, False), (pytest.approx(1_120.09), True, True),
        (pytest.approx(30_620.09), False, False)]
    on_fabric_s = marks[3][0] - marks[2][0]
    assert on_fabric_s == pytest.approx(29_500.0, rel=1e-12)
    shared = marks[2][1]["comm_fraction"]
    assert result.job("a").comm_fraction == pytest.approx(
        shared * on_fabric_s / (1_000.0 + on_fabric_s), rel=1e-9)
