"""``events.jsonl`` rows: the record's own values, encoded as ``asdict`` rows were.

``record_lines`` built each row with ``asdict(event)``, which deep-copied every event's data only
for the copy to be encoded and dropped (Colossus-2: 250,000 rows, 3.7 s of ``run --out``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from colossim.api import load_scenario, simulate
from colossim.engine.record import Decision, Event
from colossim.metrics.export import dumps, jsonl, record_lines
from colossim.metrics.result import RunResult


@dataclass(frozen=True)
class _Point:
    x: float
    tags: tuple[str, ...]


def _reference(result: RunResult) -> str:
    """events.jsonl as it was written before: ``asdict`` rows, one ``dumps`` per row."""
    rows = [(e.time_s, 0, i, {"type": "event", **asdict(e)})
            for i, e in enumerate(result.record.events)]
    rows += [(d.time_s, 1, i, {"type": "decision", **asdict(d)})
             for i, d in enumerate(result.record.decisions)]
    rows.sort(key=lambda r: r[:3])
    return "\n".join(dumps(r[3], separators=(",", ":")) for r in rows) + "\n"


def _run() -> RunResult:
    return simulate(load_scenario("small", ["reliability.enabled=true"]))


def test_rows_hold_the_records_own_data_not_copies():
    result = _run()
    rows = record_lines(result)
    events = {id(e.data) for e in result.record.events if e.data is not None}
    actions = {id(d.action) for d in result.record.decisions}
    assert events and actions
    assert {id(r["data"]) for r in rows if r["type"] == "event" and r["data"] is not None} \
        == events
    assert {id(r["action"]) for r in rows if r["type"] == "decision"} == actions


def test_the_text_is_what_asdict_rows_gave():
    result = _run()
    assert jsonl(record_lines(result)) == _reference(result)


def test_odd_values_are_encoded_as_before():
    """NaN and infinity (null), tuples, and a dataclass inside an event's data (a dict)."""
    result = _run()
    end = result.end_s
    result.record.events.extend([
        Event(end, "odd", "j", {"p": _Point(math.nan, ("a", "b")), "t": (1, math.inf)}),
        Event(end, "odd", None, None),
    ])
    result.record.decisions.append(Decision(end, {"action": "wakeat", "time_s": math.nan},
                                            "invalid", "not a number"))
    text = jsonl(record_lines(result))
    assert text == _reference(result)
    assert '"p":{"x":null,"tags":["a","b"]},"t":[1,null]' in text
