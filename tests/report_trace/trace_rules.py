"""Rules of the Chrome Trace Event format (the spec's "JSON Object Format"), as a checker.

A ``traceEvents`` array and a ``displayTimeUnit`` of "ms" or "ns"; every event has ``name``,
``ph``, ``pid`` (and ``tid`` on thread tracks); 'X' needs ``ts`` and a ``dur`` >= 0; 'C' needs
``ts`` and numeric ``args``; 'i' needs ``ts`` and a scope ``s`` of g/p/t; 'M' names a process or
thread in ``args``. Slices on one thread must nest: each starts after the previous one ended or
ends inside it.
"""

from __future__ import annotations

PHASES = {"X", "C", "i", "M"}


def check_format(doc: dict) -> list[str]:
    """Every rule the trace must keep, as a list of broken ones."""
    problems = []
    if not isinstance(doc.get("traceEvents"), list):
        return ["traceEvents is not a list"]
    if doc.get("displayTimeUnit") not in ("ms", "ns"):
        problems.append("displayTimeUnit must be ms or ns")
    named_threads = {(e["pid"], e["tid"]) for e in doc["traceEvents"]
                     if e.get("ph") == "M" and e.get("name") == "thread_name"}
    for e in doc["traceEvents"]:
        ph = e.get("ph")
        if ph not in PHASES:
            problems.append(f"unexpected phase {ph!r}")
            continue
        if not isinstance(e.get("name"), str) or not isinstance(e.get("pid"), int):
            problems.append(f"{ph} event without name or pid: {e}")
        if ph != "M" and not isinstance(e.get("ts"), int | float):
            problems.append(f"{ph} event without a numeric ts: {e}")
        if ph == "X":
            if not isinstance(e.get("dur"), int | float) or e["dur"] < 0:
                problems.append(f"X without a non-negative dur: {e}")
            if (e["pid"], e.get("tid")) not in named_threads:
                problems.append(f"X on an unnamed thread: {e}")
        elif ph == "C":
            args = e.get("args")
            if not args or not all(isinstance(v, int | float) for v in args.values()):
                problems.append(f"C without numeric args: {e}")
        elif ph == "i":
            if e.get("s") not in ("g", "p", "t"):
                problems.append(f"instant without scope: {e}")
            if e.get("s") == "t" and "tid" not in e:
                problems.append(f"thread instant without tid: {e}")
        elif ph == "M":
            if e["name"] not in ("process_name", "thread_name", "process_sort_index",
                                 "thread_sort_index"):
                problems.append(f"unknown metadata {e['name']}")
            elif not e.get("args"):
                problems.append(f"metadata without args: {e}")
    return problems + nesting_problems(doc["traceEvents"])


def nesting_problems(events: list[dict]) -> list[str]:
    """Slices per (pid, tid) must be disjoint or nested."""
    problems = []
    tracks: dict[tuple, list[dict]] = {}
    for e in events:
        if e.get("ph") == "X":
            tracks.setdefault((e["pid"], e["tid"]), []).append(e)
    for key, slices in tracks.items():
        stack: list[int] = []  # end times of open slices
        for s in sorted(slices, key=lambda s: (s["ts"], -s["dur"])):
            while stack and stack[-1] <= s["ts"]:
                stack.pop()
            end = s["ts"] + s["dur"]
            if stack and end > stack[-1]:
                problems.append(f"track {key}: slice {s['name']} at {s['ts']} overlaps its parent")
            stack.append(end)
    return problems
