"""A paused job counts as throttled only where a cap or the engine's limit lowers its draw
(docs/power.md): one 72-GPU GB200 job checkpointing every 600 s (a 360 W write, 0.3 x TDP),
under a 960 W cap, or under a supply that the engine's clock limit brings it to (the same
960 W computing draw: 0.259664 MW at PUE 1.2 with 0.05 MW fixed). Neither lowers the write's
360 W, so its GPU-hours throttled are its computing time's alone, in both runs (QA: the cap
run counted the writes too, 18% more)."""

from __future__ import annotations

import pytest

from tests.power.helpers import events, two_gb200_racks

REST = """
  power: {supply_mw: %s, pue: 1.2, pue_fixed_mw: 0.05%s}
jobs:
  - {name: j8b, params_billion: 8, tokens_billion: 10, min_gpus: 72, max_gpus: 72,
     checkpoint: {interval_s: 600, storage_gbytes_s: 1}}
reliability: {enabled: true, rate_scale: 1.0e-9}
"""


@pytest.mark.filterwarnings("ignore:jobs.j8b.checkpoint.interval_s")  # short on purpose
@pytest.mark.parametrize("power", [("1.0", ", gpu_cap_w: 960"), ("0.259664", "")],
                         ids=["cap", "engine-limit"])
def test_checkpoint_writes_a_cap_does_not_lower_are_not_throttled(tmp_path, power):
    result = two_gb200_racks(tmp_path, REST % power)
    job = result.job("j8b")
    writes = [e.data["seconds"] for e in events(result, "pause")
              if e.data["phase"] == "checkpoint"]
    assert len(writes) == 12
    computing = job.end_s - sum(writes)  # the run starts at 0 and is never interrupted
    assert job.time_at_cap_s == pytest.approx(computing, rel=1e-6)
    assert result.power.throttled_gpu_hours == pytest.approx(72 * computing / 3600, rel=1e-6)


@pytest.mark.filterwarnings("ignore:jobs.h.checkpoint.interval_s")  # short on purpose
@pytest.mark.parametrize(("cap_w", "writes_count"), [(200.0, True), (650.0, False)])
def test_checkpoint_writes_a_cap_lowers_are_throttled(tmp_path, cap_w, writes_count):
    # review: the cases above never lower a write's draw. An H100's write draws 0.3 x 700 =
    # 210 W: a 200 W cap (its lowest clock draws 199.8 W) lowers it, so every second of the
    # run is throttled; a 650 W cap does not, so the writes are left out
    from colossim.api import load_scenario, simulate

    path = tmp_path / "h100.yaml"
    path.write_text(f"""
name: h100
simulation: {{speed_model: linear}}
cluster:
  pod_size_racks: 1
  rack_groups: [{{gpu_type: H100, racks: 1}}]
  fabric: {{contention: false}}
  power: {{supply_mw: 1.0, gpu_cap_w: {cap_w}}}
jobs:
  - {{name: h, params_billion: 8, tokens_billion: 2, min_gpus: 64, max_gpus: 64,
     checkpoint: {{interval_s: 600, storage_gbytes_s: 1}}}}
reliability: {{enabled: true, rate_scale: 1.0e-9}}
""")
    result = simulate(load_scenario(str(path)))
    job = result.job("h")
    writes = sum(e.data["seconds"] for e in events(result, "pause")
                 if e.data["phase"] == "checkpoint")
    assert writes > 0
    expected = job.end_s if writes_count else job.end_s - writes
    assert job.time_at_cap_s == pytest.approx(expected, rel=1e-6)
