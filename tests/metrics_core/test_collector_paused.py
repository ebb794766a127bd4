"""Summarising a run, writing or reading a run folder, a trace, and the job timelines run no
cyclic garbage collection while they build their rows, and leave the collector as it was.

The rows hold no reference cycles, yet building them ran full collections over the whole run's
heap: writing Colossus-2's events.jsonl 3 to 4 (a quarter of ``write_run``'s CPU), its trace 5
(~2 of 8 s), reading the folder back 5, the report's timelines ~0.9 of 1.6 s, the summary
one (~0.3 of 1.0 s).
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from colossim.api import load_scenario, run_scenario
from colossim.metrics.export import write_run
from colossim.metrics.loadrun import read_run
from colossim.metrics.phases import job_timelines
from colossim.metrics.summary import summarize
from colossim.metrics.trace import write_trace

BUILDERS = {"record_lines", "jsonl", "series_dict", "to_dict", "dumps", "atomic_write_text",
            "_events", "_series", "_timelines", "trace_document", "_summarize", "job_result",
            "job_performance", "job_tracks"}


@contextmanager
def collections_in(functions: set[str], threshold: int = 5) -> Iterator[list[str]]:
    """The names of ``functions`` found on the stack of each collection that starts inside,
    with a low first threshold so that building a few rows would start some."""
    seen: list[str] = []

    def callback(phase: str, info: dict) -> None:
        if phase != "start":
            return
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_name in functions:
                seen.append(frame.f_code.co_name)
                return
            frame = frame.f_back

    old = gc.get_threshold()
    gc.collect()  # counts from zero
    gc.callbacks.append(callback)
    gc.set_threshold(threshold)
    try:
        yield seen
    finally:
        gc.set_threshold(*old)
        gc.callbacks.remove(callback)


def test_the_probe_sees_collections():
    def build() -> list[list[int]]:
        return [[i] for i in range(1000)]

    with collections_in({"build"}) as seen:
        build()
    assert seen  # the guard of the check below


def test_summary_files_and_timelines_collect_nothing_while_building(tmp_path: Path):
    out = run_scenario(load_scenario("small", ["reliability.enabled=true"]))
    result = summarize(out, "fifo")
    steps = [
        lambda: summarize(out, "fifo"),
        lambda: write_run(result, tmp_path),
        lambda: read_run(tmp_path),
        lambda: job_timelines(result.record.events, result.end_s),
        lambda: write_trace(result, tmp_path / "trace.json"),
    ]
    for step in steps:
        assert gc.isenabled()
        with collections_in(BUILDERS) as seen:
            step()
        assert seen == []
        assert gc.isenabled()
    assert read_run(tmp_path).record == result.record
