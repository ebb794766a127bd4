"""Run outputs are standard JSON: a refused ``WakeAt(nan)`` put NaN into events.jsonl, which
Python reads but other JSON readers (jq, browsers) refuse."""

from __future__ import annotations

import json
import math

from colossim.metrics.export import dumps


def test_nan_and_infinity_become_null_and_the_rest_is_unchanged():
    data = {"a": [1.0, math.nan, {"b": math.inf, "c": -math.inf}], "d": "x", "e": 2}
    text = dumps(data, separators=(",", ":"))
    assert text == '{"a":[1.0,null,{"b":null,"c":null}],"d":"x","e":2}'
    assert dumps({"a": 1.5}) == json.dumps({"a": 1.5})


def test_a_run_with_a_nan_wake_writes_strict_json(tmp_path):
    from colossim.api import load_scenario
    from colossim.engine.simulation import Simulation
    from colossim.metrics.export import write_run
    from colossim.metrics.summary import summarize
    from colossim.policy.actions import WakeAt
    from colossim.policy.builtin.fifo import Fifo

    class NanWake(Fifo):
        name = "nan-wake"

        def decide(self, view):
            return [*super().decide(view), WakeAt(math.nan)]

    result = summarize(Simulation(load_scenario("small"), NanWake()).run(), "nan-wake")
    assert any(d.action.get("action") == "wakeat" and math.isnan(d.action["time_s"])
               for d in result.record.decisions)  # the record holds the NaN
    write_run(result, tmp_path)

    def refuse(name):
        raise ValueError(f"not standard JSON: {name}")

    rows = [json.loads(line, parse_constant=refuse)
            for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    wakes = [r for r in rows if r["type"] == "decision" and r["action"]["action"] == "wakeat"]
    assert wakes and all(r["action"]["time_s"] is None for r in wakes)
