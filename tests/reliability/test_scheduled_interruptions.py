"""Scheduled interruptions (a fabric cut) with the failure model on but no failure class: the
auto checkpoint interval takes no checkpoint, which is warned of, and the run's table counts
the cut among the interruptions' causes (QA: "Faults by component: none" beside 1)."""

from __future__ import annotations

import warnings

from typer.testing import CliRunner

from colossim.api import load_scenario
from colossim.cli.app import app
from colossim.errors import ColossimWarning

# 4 GB200 racks in pods of 2; the 288-GPU job crosses pod 0's uplinks, cut from 1 h to 2 h
SCENARIO = """\
name: cut
cluster:
  pod_size_racks: 2
  rack_groups: [{gpu_type: GB200, racks: 4}]
  power: {supply_mw: 5}
  fabric:
    events: [{time_s: 3600, duration_s: 3600, tier: pod, pod: 0, capacity_fraction: 0}]
jobs:
  - {name: big, params_billion: 70, tokens_billion: 20, min_gpus: 288, max_gpus: 288}
reliability:
  gpu: {enabled: false}
  tray: {enabled: false}
  rack: {enabled: false}
  software: {enabled: false}
  network: {enabled: false}
"""


def warned(tmp_path, *overrides: str) -> list[str]:
    path = tmp_path / "cut.yaml"
    path.write_text(SCENARIO)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        load_scenario(path, list(overrides))
    return [str(w.message) for w in seen if issubclass(w.category, ColossimWarning)]


def test_a_cut_the_auto_interval_never_checkpoints_before_is_warned_of(tmp_path):
    assert warned(tmp_path) == [
        "cluster.fabric.events[0] may interrupt jobs, but no failure class is on, so the auto "
        "checkpoint interval of big takes no checkpoint: an interrupted job goes back to its "
        "start; give checkpoint.interval_s in seconds, or turn a failure class on"]
    assert warned(tmp_path, "jobs.big.checkpoint.interval_s=600") == []
    assert warned(tmp_path, "reliability.gpu.enabled=true") == []
    assert warned(tmp_path, "cluster.fabric.events[0].capacity_fraction=0.5") == []


def test_the_run_table_names_the_cut_among_the_causes(tmp_path):
    path = tmp_path / "cut.yaml"
    path.write_text(SCENARIO)
    out = CliRunner().invoke(app, ["run", str(path), "--quiet"])
    assert out.exit_code == 0, out.output
    assert "Faults by component: none; fabric cuts 1;" in " ".join(out.stdout.split())
