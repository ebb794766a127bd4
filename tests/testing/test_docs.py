"""docs/testing.md states facts the code decides: check them against the code."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "testing.md"


def test_the_default_horizon_the_tutorial_gives_is_the_schemas():
    # QA: §3 said "the default is a year"; it is 3.15e8 s, about ten years
    from colossim.config.schema import SimulationConfig

    text = " ".join(DOC.read_text(encoding="utf-8").split())
    said = re.search(r"the default is ([0-9.e+]+) s, about (\w+) years", text)
    assert said is not None, "docs/testing.md §3 no longer states the default horizon"
    default = SimulationConfig.model_fields["horizon_s"].default
    assert float(said[1]) == default
    years = {"ten": 10}[said[2]]
    assert round(default / (365.25 * 86400)) == years
