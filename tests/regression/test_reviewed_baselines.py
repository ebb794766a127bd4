"""Golden files checked against hand arithmetic, so a baseline is a reviewed number, not just
whatever the code once printed.

``stress-small`` has only trace-style jobs: each runs GPU-hours x 3600 / GPUs seconds under every
speed model. Racks 0-1 form pod 0, racks 2-3 pod 1, rack 3 is the spare: 216 usable GPUs, 3
whole NVLink domains. Strict fifo serves jobs in arrival order; a job takes up to max_gpus of
what is free (at least min_gpus) and the head of the queue blocks the rest. By hand:

====== ======= =========================================== ============ ========== =========
time s job     what happens                                 GPUs         ends s     JCT s
====== ======= =========================================== ============ ========== =========
0      big-a   2000 GPU-h, racks 0-1                        144          50,000     50,000
0      small-a 50 GPU-h, rack 2                             16           11,250     11,250
300    mid-a   wants 72, 56 free on rack 2 (min 36)         56           32,442.86  32,142.86
600    big-b   needs 2 domains: blocks the queue until 50,000
50,000 big-b   3000 GPU-h on racks 0-2                      216          100,000    99,400
100000 small-b 80 GPU-h, rack 2 (tightest pod)              32           109,000    108,100
100000 mid-b   800 GPU-h, the one whole free rack (0)       72           140,000    138,800
100000 small-c 20 GPU-h, rack 2                             8            109,000    107,500
100000 small-d 120 GPU-h, rack 1                            48           109,000    106,600
100000 mid-c   needs a whole domain: none; blocks until 109,000
109000 mid-c   600 GPU-h, racks 1-2                         144          124,000    121,000
124000 tiny-a  5 GPU-h, rack 1                              4            128,500    124,900
124000 tiny-b  10 GPU-h, rack 1                             8            128,500    124,300
124000 big-c   2500 GPU-h, one free domain (rack 2)         72           249,000    243,600
====== ======= =========================================== ============ ========== =========

Makespan 249,000 s; the 9,685 GPU-h of work on 216 usable GPUs give a utilisation of
9,685 x 3,600 / (216 x 249,000).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

BASELINES = Path(__file__).resolve().parents[1] / "baselines"
STRESS_GPU_HOURS = 2000 + 50 + 500 + 3000 + 80 + 800 + 20 + 120 + 600 + 5 + 10 + 2500  # 9,685
USABLE = 3 * 72
FIFO_JCT = {
    "big-a": 50_000, "small-a": 11_250, "mid-a": 500 * 3600 / 56, "big-b": 100_000 - 600,
    "small-b": 109_000 - 900, "mid-b": 140_000 - 1_200, "small-c": 109_000 - 1_500,
    "small-d": 109_000 - 2_400, "mid-c": 124_000 - 3_000, "tiny-a": 128_500 - 3_600,
    "tiny-b": 128_500 - 4_200, "big-c": 249_000 - 5_400,
}


def metrics(name: str) -> dict:
    return json.loads((BASELINES / f"{name}.json").read_text())["metrics"]


def test_stress_small_under_fifo_is_the_hand_computed_schedule():
    m = metrics("stress-small-fifo")
    assert m["makespan_s"] == pytest.approx(249_000, rel=1e-12)
    for job, jct in FIFO_JCT.items():
        assert m[f"jct_s.{job}"] == pytest.approx(jct, rel=1e-12), job
    assert m["mean_jct_s"] == pytest.approx(sum(FIFO_JCT.values()) / 12, rel=1e-12)
    assert m["gpu_utilization"] == pytest.approx(
        STRESS_GPU_HOURS * 3600 / (USABLE * 249_000), rel=1e-12)


@pytest.mark.parametrize("path", sorted(BASELINES.glob("stress-small-*.json")),
                         ids=lambda p: p.stem)
def test_every_stress_baseline_did_all_the_work(path):
    """Whatever the policy: 12 jobs complete, and busy GPU-seconds = the jobs' GPU-hours."""
    m = json.loads(path.read_text())["metrics"]
    assert (m["jobs_completed"], m["jobs_unfinished"]) == (12, 0)
    assert m["gpu_utilization"] * USABLE * m["makespan_s"] == pytest.approx(
        STRESS_GPU_HOURS * 3600, rel=1e-9)


def test_every_baseline_says_how_it_was_produced_and_was_reviewed():
    files = sorted(BASELINES.glob("*.json"))
    assert files, "no baselines"
    for path in files:
        doc = json.loads(path.read_text())
        produced = doc["produced"]
        for key in ("command", "colossim", "date", "test", "scenario", "policy", "seed"):
            assert key in produced, f"{path.name}: produced.{key} missing"
        assert "--colossim-update-baselines" in produced["command"], path.name
        assert doc.get("review"), f"{path.name}: no review note (see docs/testing.md)"
