"""The YAML blocks docs/reliability.md and docs/fabric.md show are valid scenario blocks.

Each is laid over a built-in scenario (``include:``) and loaded, so a renamed or retyped key in
the schema fails here instead of in a user's first scenario.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from colossim.api import load_scenario
from colossim.errors import ColossimWarning

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _block(page: str) -> dict:
    [text] = re.findall(r"```yaml\n(.*?)```", (DOCS / page).read_text(encoding="utf-8"), re.S)
    return YAML(typ="safe").load(text)


def _load(tmp_path: Path, base: str, data: dict):
    path = tmp_path / "scenario.yaml"
    with path.open("w", encoding="utf-8") as out:
        YAML().dump({"include": base, **data}, out)
    return load_scenario(str(path))


def test_the_reliability_block_loads_and_means_what_it_says(tmp_path):
    block = _block("reliability.md")
    checkpoint = block["jobs"][0]["checkpoint"]
    scenario = _load(tmp_path, "colossus2", {"reliability": block["reliability"]})
    r = scenario.reliability
    assert r.enabled and r.gpu.mtbf_gpu_hours == 79230 and r.gpu.repair.mean_s == 43200
    assert (r.detection_s, r.restart_s, r.spares.racks_per_pod) == (150, 120, 2)
    assert list(r.maintenance[0].pods) == [0, 1]
    with pytest.warns(ColossimWarning, match="checkpoint settings of llm-70b are ignored"):
        job = load_scenario("small", [f"jobs.llm-70b.checkpoint={checkpoint}"]).jobs[0]
    assert (job.checkpoint.interval_s, job.checkpoint.method) == ("auto", "daly")


def test_the_fabric_block_loads_and_means_what_it_says(tmp_path):
    fabric = _block("fabric.md")["cluster"]["fabric"]
    scenario = _load(tmp_path, "colossus2", {"cluster": {"fabric": fabric}})
    [fault] = scenario.cluster.fabric.events
    assert (fault.time_s, fault.duration_s, fault.tier, fault.pod) == (172800, 21600, "pod", 3)
    # "a spine switch": one of the pod's eight spine planes, as the failure model's switch faults
    assert fault.kind == "switch" and fault.capacity_fraction == 1 - 1 / 8
    assert scenario.cluster.fabric.collectives == "hierarchical"
