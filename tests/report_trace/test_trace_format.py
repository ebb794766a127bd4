"""The timeline trace obeys the Chrome Trace Event format (``trace_rules.check_format``) and
says what the run did, in microseconds of simulated time.

Expected values are the fifo schedule of ``four_jobs.yaml`` by hand (run time = GPU-hours x
3600 / GPUs): llm-70b runs 0-87,500 s on 144 GPUs (3,500 GPU-h), image-2b 1,800-91,800 s on 64
(1,600 GPU-h), llm-8b 3,600-75,600 s on 72 (1,440 GPU-h); moe-200b needs 216 GPUs = three whole
racks, finds at most one free until llm-70b ends, so it waits 7,200-87,500 s and runs 54,000 s
(3,240 GPU-h) to 141,500 s.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from colossim.engine.record import Event, Record, StepSeries
from colossim.metrics.trace import trace_document, write_trace
from colossim.testing.runner import run_policy
from tests.report_trace.trace_rules import check_format

US = 1_000_000
FOUR_JOBS = str(Path(__file__).resolve().parent / "four_jobs.yaml")


@pytest.fixture(scope="module")
def fifo_run():
    return run_policy("fifo", FOUR_JOBS)


@pytest.fixture(scope="module")
def doc(fifo_run):
    return trace_document(fifo_run)


def slices_of(doc, job):
    tid = next(e["tid"] for e in doc["traceEvents"] if e["ph"] == "M"
               and e["name"] == "thread_name" and e["pid"] == 1 and e["args"]["name"] == job)
    return [(e["name"], e["ts"], e["dur"], e["args"]["gpus"]) for e in doc["traceEvents"]
            if e["ph"] == "X" and e["tid"] == tid and e["pid"] == 1]


def test_the_trace_keeps_the_format_rules(doc):
    assert check_format(doc) == []
    assert doc["displayTimeUnit"] == "ms"


def test_slices_are_the_hand_computed_schedule_in_microseconds(doc):
    assert slices_of(doc, "llm-70b") == [("running", 0, 87_500 * US, 144)]
    assert slices_of(doc, "image-2b") == [("running", 1_800 * US, 90_000 * US, 64)]
    assert slices_of(doc, "llm-8b") == [("running", 3_600 * US, 72_000 * US, 72)]
    assert slices_of(doc, "moe-200b") == [
        ("queued", 7_200 * US, (87_500 - 7_200) * US, 0),
        ("running", 87_500 * US, 54_000 * US, 216),
    ]


def test_counters_follow_gpus_in_use_and_power(doc):
    gpus = [(e["ts"], e["args"]["GPUs"]) for e in doc["traceEvents"]
            if e["ph"] == "C" and e["name"] == "GPUs in use"]
    # 144; +64 (image-2b); +72 (llm-8b); -72; -144 +216 (70b ends, moe starts); -64; 0
    assert gpus == [(0, 144), (1_800 * US, 208), (3_600 * US, 280), (75_600 * US, 208),
                    (87_500 * US, 280), (91_800 * US, 216), (141_500 * US, 0)]
    names = {e["name"] for e in doc["traceEvents"] if e["ph"] == "C"}
    assert {"facility power (MW)", "power supply (MW)"} <= names


def test_decisions_are_instants_on_the_policy_track(doc):
    starts = [(e["name"], e["ts"], e["args"]["verdict"], e["args"]["gpus"])
              for e in doc["traceEvents"] if e["ph"] == "i" and e.get("cat") == "decision"]
    assert starts == [("start llm-70b", 0, "applied", 144), ("start image-2b", 1_800 * US,
                      "applied", 64), ("start llm-8b", 3_600 * US, "applied", 72),
                      ("start moe-200b", 87_500 * US, "applied", 216)]


def test_new_phases_series_and_failures_show_up(fifo_run):
    """What the failure, power and fabric models will record: drawn with no code change."""
    events = [
        Event(0.0, "submit", "a"), Event(0.0, "start", "a", {"gpus": 72}),
        Event(100.0, "pause", "a", {"phase": "checkpoint", "seconds": 20.0}),
        Event(120.0, "resume", "a"),
        Event(200.0, "failure", None, {"rack": 3}),
        Event(200.0, "failure", "a", {"rack": 3}),
        Event(200.0, "pause", "a", {"phase": "restart", "seconds": 50.0}),
        Event(300.0, "checkpoint", "a", {"duration_s": 10.0}),  # timed: back to running
        Event(400.0, "preempt", "a"), Event(450.0, "start", "a", {"gpus": 144}),
        Event(500.0, "complete", "a"),
    ]
    series = {"gpus_busy": StepSeries([0.0], [72.0]), "battery_soc": StepSeries([0.0], [0.5]),
              "fabric_util.spine": StepSeries([0.0, 250.0], [0.2, 0.7]),
              "fabric_util.leaf": StepSeries([0.0], [0.1])}
    run = replace(fifo_run, end_s=500.0, jobs=(), record=Record(events, [], series))
    doc = trace_document(run)
    assert check_format(doc) == []
    assert slices_of(doc, "a") == [
        ("running", 0, 100 * US, 72), ("checkpointing", 100 * US, 20 * US, 72),
        ("running", 120 * US, 80 * US, 72), ("restarting", 200 * US, 50 * US, 72),
        ("running", 250 * US, 50 * US, 72), ("checkpointing", 300 * US, 10 * US, 72),
        ("running", 310 * US, 90 * US, 72), ("preempted", 400 * US, 50 * US, 0),
        ("running", 450 * US, 50 * US, 144),
    ]
    instants = [(e["name"], e["s"], e["pid"]) for e in doc["traceEvents"] if e["ph"] == "i"]
    assert ("failure", "g", 2) in instants  # a rack failure: a global line on the cluster
    assert ("failure", "t", 1) in instants  # and the job it hit, on the job's track
    counters = {(e["name"], k) for e in doc["traceEvents"] if e["ph"] == "C" for k in e["args"]}
    assert {("battery state of charge", "fraction"), ("fabric_util", "spine"),
            ("fabric_util", "leaf")} <= counters


def test_write_trace_writes_json_that_loads(fifo_run, tmp_path):
    path = tmp_path / "run.trace.json"
    write_trace(fifo_run, path)
    doc = json.loads(path.read_text())
    assert check_format(doc) == []
    assert doc["otherData"]["scenario"] == "four-jobs"


def test_the_checker_catches_broken_traces():
    bad = {"traceEvents": [
        {"name": "thread_name", "ph": "M", "pid": 1, "tid": 1, "args": {"name": "j"}},
        {"name": "a", "ph": "X", "pid": 1, "tid": 1, "ts": 0, "dur": 10},
        {"name": "b", "ph": "X", "pid": 1, "tid": 1, "ts": 5, "dur": 10},  # straddles a
        {"name": "c", "ph": "X", "pid": 1, "tid": 2, "ts": 0, "dur": -1},
        {"name": "d", "ph": "i", "pid": 1, "ts": 0},
    ], "displayTimeUnit": "s"}
    problems = check_format(bad)
    assert any("displayTimeUnit" in p for p in problems)
    assert any("overlaps its parent" in p for p in problems)
    assert any("non-negative dur" in p for p in problems)
    assert any("unnamed thread" in p for p in problems)
    assert any("instant without scope" in p for p in problems)


def test_a_failure_that_stops_a_job_sends_it_back_to_the_queue(fifo_run):
    """The reliability model's failure event: ``stopped`` frees the GPUs (``gpus`` says 0)."""
    events = [
        Event(0.0, "submit", "a"), Event(0.0, "start", "a", {"gpus": 144}),
        Event(100.0, "failure", "a", {"component": "rack", "stopped": True, "gpus": 0}),
        Event(160.0, "start", "a", {"gpus": 72}), Event(200.0, "complete", "a"),
    ]
    run = replace(fifo_run, end_s=200.0, jobs=(), record=Record(events, [], {}))
    doc = trace_document(run)
    assert check_format(doc) == []
    assert slices_of(doc, "a") == [("running", 0, 100 * US, 144), ("queued", 100 * US, 60 * US, 0),
                                   ("running", 160 * US, 40 * US, 72)]


def test_a_counter_with_several_series_carries_all_of_them_at_every_instant(doc):
    # chrome://tracing takes a counter's series from its first event and reads one an event
    # leaves out as 0: with one job per event, llm-70b's power showed 0 from image-2b's start
    # at 1,800 s although it ran to 87,500 s on 144 GPUs (0.2904 MW: 144 x 1,200 W + 2 racks'
    # 45.6 kW overhead, x 1.1)
    power = [e for e in doc["traceEvents"] if e["ph"] == "C" and e["name"] == "job_power_mw"]
    jobs = {"llm-70b", "image-2b", "llm-8b", "moe-200b"}
    assert power and all(set(e["args"]) == jobs for e in power)
    at = {e["ts"]: e["args"] for e in power}
    assert at[0] == {"llm-70b": pytest.approx(0.2904), "image-2b": 0.0, "llm-8b": 0.0,
                     "moe-200b": 0.0}
    assert at[1_800 * US]["llm-70b"] == pytest.approx(0.2904)
    assert at[1_800 * US]["image-2b"] > 0
    assert len(at) == len(power)  # one event per instant per track


def test_a_track_of_many_series_becomes_one_track_per_series(fifo_run):
    # a trace replay's 15,802 jobs in one shared track wrote every job's level at every instant
    # any job changed: the file grew as jobs x instants. Beyond SHARED_TRACK_MAX series, each
    # gets its own track, one event per change of its own.
    from colossim.metrics.trace import SHARED_TRACK_MAX

    record = Record()
    n = SHARED_TRACK_MAX + 1
    for k in range(n):
        series = record.series[f"job_power_mw.j{k}"] = StepSeries()
        series.set(float(k), 1.0)  # each job's level changes once, at its own instant
    doc = trace_document(replace(fifo_run, record=record, end_s=float(n)))
    power = [e for e in doc["traceEvents"] if e["ph"] == "C"
             and e["name"].startswith("job_power_mw")]
    assert {e["name"] for e in power} == {f"job_power_mw j{k}" for k in range(n)}
    assert len(power) == 2 * n  # its change and the closing step at the end, per job
