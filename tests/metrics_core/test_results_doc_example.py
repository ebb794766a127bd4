"""docs/results.md's example is what the command it names prints (it had drifted: 17 events
shown, 18 printed). Each number shown is compared at the precision it is shown with."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from colossim.api import load_scenario, simulate

DOC = Path(__file__).resolve().parents[2] / "docs" / "results.md"


def _shown() -> dict:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Example"):]
    assert "`colossim run small --json --set simulation.speed_model=linear`" in section
    return json.loads(re.search(r"```json\n(.*?)```", section, re.S).group(1))


def _close(shown: object, actual: object) -> bool:
    if isinstance(shown, float) and not isinstance(actual, str):
        digits = len(repr(shown).split("e")[0].replace("-", "").replace(".", "").lstrip("0"))
        return actual == pytest.approx(shown, rel=10 ** (1 - digits))
    return shown == actual


def test_the_example_is_what_the_command_prints():
    shown = _shown()
    result = simulate(load_scenario("small", ["simulation.speed_model=linear"])).to_dict()
    for key, value in shown.items():
        if key in ("wall_s", "jobs", "cluster"):
            continue
        assert _close(value, result[key]), key
    for key, value in shown["cluster"].items():
        assert _close(value, result["cluster"][key]), key
    job = next(j for j in result["jobs"] if j["name"] == shown["jobs"][0]["name"])
    for key, value in shown["jobs"][0].items():
        assert _close(value, job[key]), key
