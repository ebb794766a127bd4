"""A run as a Chrome Trace Event file: open it in ui.perfetto.dev or chrome://tracing.

Layout (JSON object format, ``{"traceEvents": [...], "displayTimeUnit": "ms"}``):

- process 1 "jobs": one thread per job with complete ('X') slices for its phases (queued,
  running, preempted, checkpointing, restarting: whatever ``metrics.phases`` reads from the
  record), and instant ('i') marks for failures and rejections on the job's own track;
- process 2 "cluster": counter ('C') tracks for every level series the record has (facility
  power, GPUs in use, and battery state of charge or fabric tiers once those models record
  them), the power supply, and two threads of instants: policy decisions and cluster events;
- metadata ('M') events name the processes and threads and fix their order.

Timestamps are microseconds of *simulated* time, rounded to whole microseconds so that a slice's
end (``ts + dur``) is exactly the next slice's ``ts``: slices on a track never overlap.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from colossim.metrics.phases import job_timelines
from colossim.metrics.result import RunResult

JOBS_PID, CLUSTER_PID = 1, 2
DECISIONS_TID, EVENTS_TID = 1, 2
US = 1e6

# level series -> (counter track, argument name); series not listed keep their own name, and a
# dotted name "fabric_util.spine" becomes track "fabric_util" with one argument per tier.
COUNTERS: dict[str, tuple[str, str]] = {
    "power_mw": ("facility power (MW)", "draw"),
    "supply_mw": ("power supply (MW)", "supply"),
    "gpus_busy": ("GPUs in use", "GPUs"),
    "battery_soc": ("battery state of charge", "fraction"),
    "battery_mwh": ("battery energy (MWh)", "stored"),
}


def us(seconds: float) -> int:
    return round(seconds * US)


def _meta(name: str, pid: int, tid: int, value: Any) -> dict[str, Any]:
    """A metadata event; process-level ones carry tid 0 (viewers ignore it)."""
    key = "sort_index" if name.endswith("sort_index") else "name"
    return {"name": name, "ph": "M", "pid": pid, "tid": tid, "args": {key: value}}


def counter_track(series: str) -> tuple[str, str]:
    if series in COUNTERS:
        return COUNTERS[series]
    track, _, arg = series.partition(".")
    return track, arg or "value"


def _counters(result: RunResult) -> list[dict[str, Any]]:
    """One counter event per instant a track's level changes, carrying every series of the
    track (``job_power_mw``: one argument per job; 0 before a series' first level; beyond
    ``SHARED_TRACK_MAX`` series, one track per series): viewers
    such as chrome://tracing take a counter's series from its first event and read a series
    an event leaves out as 0, so one argument per event showed one job, falling to 0 when
    another's level changed."""
    out = []
    series = dict(result.record.series)
    tracks: dict[str, list[tuple[str, list[tuple[float, float]]]]] = {}
    for name in sorted(series):
        track, arg = counter_track(name)
        points = [(t, v) for t, v in zip(series[name].times, series[name].values, strict=True)
                  if t <= result.end_s]
        tracks.setdefault(track, []).append((arg, points))
    for track, members in tracks.items():
        if len(members) <= SHARED_TRACK_MAX:
            out += _track_events(track, members, result.end_s)
        else:  # a trace replay's thousands of jobs: one track each, or the file grew as
            # jobs x instants (15,802 jobs: ~370M values)
            for arg, points in members:
                out += _track_events(f"{track} {arg}", [(arg, points)], result.end_s)
    if "supply_mw" not in series and result.cluster.supply_mw:
        track, arg = COUNTERS["supply_mw"]
        for t in (0.0, result.end_s):
            out.append({"name": track, "ph": "C", "ts": us(t), "pid": CLUSTER_PID,
                        "args": {arg: result.cluster.supply_mw}})
    return out


SHARED_TRACK_MAX = 32  # series one counter track carries together (per-job power of a few jobs)


def _track_events(track: str, members: list[tuple[str, list[tuple[float, float]]]],
                  end_s: float) -> list[dict[str, Any]]:
    """The counter events of one track: at each instant any member's level changes, every
    member's level then; the last step closed at ``end_s``."""
    times = sorted({t for _, points in members for t, _ in points})
    if not times:
        return []
    if times[-1] < end_s:
        times.append(end_s)  # close the last step
    now = {arg: 0.0 for arg, _ in members}
    at = [0] * len(members)
    out = []
    for t in times:
        for k, (arg, points) in enumerate(members):
            while at[k] < len(points) and points[at[k]][0] <= t:
                now[arg] = points[at[k]][1]
                at[k] += 1
        out.append({"name": track, "ph": "C", "ts": us(t), "pid": CLUSTER_PID,
                    "args": dict(now)})
    return out


def _decisions(result: RunResult) -> list[dict[str, Any]]:
    out = []
    for d in result.record.decisions:
        action = dict(d.action)
        kind = str(action.pop("action", "action"))
        job = action.pop("job", None)
        out.append({"name": f"{kind} {job}" if job else kind, "cat": "decision", "ph": "i",
                    "s": "t", "ts": us(d.time_s), "pid": CLUSTER_PID, "tid": DECISIONS_TID,
                    "args": {"verdict": d.verdict, "reason": d.reason, **action}})
    return out


def trace_events(result: RunResult) -> list[dict[str, Any]]:
    """Every trace event of a run: metadata first, then by time."""
    timelines, marks = job_timelines(result.record.events, result.end_s)
    names = [j.name for j in result.jobs] + [n for n in timelines if n not in
                                             {j.name for j in result.jobs}]
    tids = {name: i + 1 for i, name in enumerate(names)}
    meta = [
        _meta("process_name", JOBS_PID, 0, "jobs"),
        _meta("process_sort_index", JOBS_PID, 0, 0),
        _meta("process_name", CLUSTER_PID, 0, "cluster"),
        _meta("process_sort_index", CLUSTER_PID, 0, 1),
        _meta("thread_name", CLUSTER_PID, DECISIONS_TID, "policy decisions"),
        _meta("thread_sort_index", CLUSTER_PID, DECISIONS_TID, DECISIONS_TID),
        _meta("thread_name", CLUSTER_PID, EVENTS_TID, "cluster events"),
        _meta("thread_sort_index", CLUSTER_PID, EVENTS_TID, EVENTS_TID),
    ]
    for name, tid in tids.items():
        meta.append(_meta("thread_name", JOBS_PID, tid, name))
        meta.append(_meta("thread_sort_index", JOBS_PID, tid, tid))
    timed: list[dict[str, Any]] = []
    for name, slices in timelines.items():
        for s in slices:
            start = us(s.start_s)
            timed.append({"name": s.phase, "cat": "job", "ph": "X", "ts": start,
                          "dur": us(s.end_s) - start, "pid": JOBS_PID, "tid": tids[name],
                          "args": {"gpus": s.gpus}})
    for m in marks:
        where = ({"pid": JOBS_PID, "tid": tids[m.job], "s": "t"} if m.job is not None
                 else {"pid": CLUSTER_PID, "tid": EVENTS_TID, "s": "g"})
        timed.append({"name": m.kind, "cat": "event", "ph": "i", "ts": us(m.time_s), **where,
                      "args": dict(m.data or {})})
    timed += _decisions(result) + _counters(result)
    timed.sort(key=lambda e: e["ts"])  # stable: within an instant, the order above
    return meta + timed


def trace_document(result: RunResult) -> dict[str, Any]:
    from colossim import __version__

    return {
        "traceEvents": trace_events(result),
        "displayTimeUnit": "ms",
        "otherData": {"scenario": result.scenario, "policy": result.policy,
                      "seed": result.seed, "end_s": result.end_s, "colossim": __version__,
                      "time": "simulated; 1 us of trace = 1 us of simulated time"},
    }


def write_trace(result: RunResult, path: Path) -> None:
    """Write the trace JSON to ``path`` (atomically)."""
    from colossim.collector import collector_paused
    from colossim.metrics.export import atomic_write_text, dumps

    # ~1M event dicts without cycles: no collection could free one (colossim.collector)
    with collector_paused():
        # standard JSON: a policy's refused WakeAt(nan) or cap of inf is null, as in result.json
        text = dumps(trace_document(result), separators=(",", ":"), default=str)
        atomic_write_text(Path(path), text + "\n")
