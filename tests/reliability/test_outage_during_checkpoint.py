"""An outage that strikes while jobs write a checkpoint (QA): the record showed a ``pause`` for a
job already preempted (the storage share, re-timed as the other job's write was cancelled,
paused the pending job), and while the facility stayed dark every later event (the dead
writes' timers) woke the policy to a round of refused starts."""

from __future__ import annotations

import pytest

from colossim.api import load_scenario, simulate

# Two 144-GPU jobs on 4 GB200 racks; checkpoints every 3,300 s to slow storage (2 GB/s), so
# both are writing when the supply goes out from 3,600 s to 4,200 s.
SCENARIO = """\
name: outage
cluster:
  pod_size_racks: 2
  rack_groups: [{gpu_type: GB200, racks: 4}]
  power:
    supply_mw: 1.0
    pue: 1.1
    events: [{kind: outage, start_s: 3600, duration_s: 600}]
  fabric: {contention: false}
jobs:
  - {name: a, params_billion: 70, tokens_billion: 10, min_gpus: 144, max_gpus: 144,
     checkpoint: {interval_s: 3300}}
  - {name: b, params_billion: 35, tokens_billion: 10, min_gpus: 144, max_gpus: 144,
     checkpoint: {interval_s: 3300}}
reliability:
  storage: {write_tbytes_s: 0.002}
  spares: {racks_per_pod: 0}
"""


@pytest.mark.filterwarnings("ignore:jobs.a.checkpoint.interval_s:colossim.errors.ColossimWarning")
def test_an_outage_mid_checkpoint_leaves_a_clean_record(tmp_path):
    # the short interval is the point (both jobs mid-write at the outage), not a slip to warn of
    path = tmp_path / "outage.yaml"
    path.write_text(SCENARIO)
    result = simulate(load_scenario(path), check_invariants=True)
    events = result.record.events
    preempted = {e.job: e.time_s for e in events if e.kind == "preempt"}
    assert preempted == {"a": 3600.0, "b": 3600.0}  # the outage took both, mid-write
    writing = [e for e in events if e.kind == "pause" and e.time_s < 3600.0
               and e.data["phase"] == "checkpoint"]
    assert {e.job for e in writing} == {"a", "b"}
    assert [e for e in events if e.kind == "pause" and e.time_s == 3600.0] == []
    # the policy is asked at the outage (its starts refused: no power) and next when the
    # supply is back, not at the dead writes' timers in between
    asked = sorted({d.time_s for d in result.record.decisions})
    assert [t for t in asked if 3600.0 < t < 4200.0] == []
    assert all(job.state == "completed" for job in result.jobs)
