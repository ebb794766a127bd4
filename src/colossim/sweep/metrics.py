"""Metrics a study summarises: dotted paths into a run's result (``RunResult.to_dict()``).

``makespan_s`` and ``cluster.energy_mwh`` walk the result; ``jobs.<name>.<field>`` picks a job by
name. Job names may contain dots (``jobs.1.5t-a.jct_s``): the field is always the last segment, so
the name is whatever lies between. Paths are checked against the result dataclasses themselves
(nested ones such as ``reliability.lost_gpu_hours`` included), so fields added by later
features are accepted without touching this module. The worker adds one group a ``RunResult``
lacks: ``scheduling``, the metrics ``colossim compare`` reports (``sweep/scheduling.py``). A bare
name that is a field of a group (``mean_jct_s``, ``energy_mwh``) is answered with its full path.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import types
import typing
from collections.abc import Collection, Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from colossim.config.reliability import FAILURE_CLASSES
from colossim.metrics.labels import either, first_few
from colossim.metrics.result import JobResult, RunResult
from colossim.sweep.scheduling import GROUP, SchedulingResult, synonym

DEFAULT_METRICS = ("makespan_s", "cluster.gpu_utilization", "cluster.energy_mwh")
JOBS = "jobs"
WILDCARD = "*"  # a path segment that names every item of a list (``jobs.*.priority``)


@cache
def _fields(cls: type) -> dict[str, Any]:
    """A result dataclass's fields and their types, ``X | None`` unwrapped to ``X``."""
    out = {}
    for name, hint in typing.get_type_hints(cls).items():
        if name == "record":
            continue
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        is_optional = typing.get_origin(hint) in (typing.Union, types.UnionType)
        out[name] = args[0] if is_optional and len(args) == 1 else hint
    if cls is RunResult:
        out[GROUP] = SchedulingResult  # added to the result by the sweep's worker
    return out


def _is_number(hint: Any) -> bool:
    return hint in (int, float)


def _leaf(hint: Any) -> bool:
    """A number, or a mapping of names to numbers (``faults_by_component.gpu``)."""
    return typing.get_origin(hint) is dict and _is_number(typing.get_args(hint)[-1])


@cache
def _leaves(cls: type = RunResult, where: str = "") -> tuple[str, ...]:
    """Every numeric path under a result dataclass (per-job fields aside)."""
    out: list[str] = []
    for name, hint in _fields(cls).items():
        if dataclasses.is_dataclass(hint):
            out.extend(_leaves(hint, f"{where}{name}."))
        elif _is_number(hint):
            out.append(f"{where}{name}")
    return tuple(out)


def _unknown(name: str, where: str, fields: dict[str, Any]) -> str:
    numbers = [f for f, h in fields.items() if _is_number(h) or dataclasses.is_dataclass(h)]
    if where == f"{GROUP}." and (word := synonym(name)) is not None:
        return f"unknown metric {where}{name} (did you mean {where}{word}?)"
    if where:
        hint = difflib.get_close_matches(name, numbers, n=1)
        said = f"did you mean {where}{hint[0]}?" if hint else f"known: {', '.join(numbers)}"
        return f"unknown metric {where}{name} ({said})"
    # top level: the name may be a field of a group (mean_jct_s is scheduling.mean_jct_s)
    ends: dict[str, list[str]] = {}
    for path in _leaves():
        ends.setdefault(path.rpartition(".")[2], []).append(path)
    groups = [f for f in numbers if f not in ends]
    close = difflib.get_close_matches(name, [*groups, *ends], n=1)
    word = name if name in ends else synonym(name) or (close[0] if close else None)
    if word is not None:
        return f"unknown metric {name} (did you mean {either(ends.get(word, [word]))}?)"
    names = ", ".join(f"{GROUP}.{f}" for f in _fields(SchedulingResult))
    return f"unknown metric {name} (known: {', '.join(numbers)}; {GROUP} metrics: {names})"


KEYS = {"faults_by_component": FAILURE_CLASSES}  # mappings whose names are known in advance


def _unknown_key(key: str, where: str, known: Sequence[str] | None) -> str | None:
    """A name a mapping of counts can never hold (a misspelt failure class gave an empty
    column, blamed on the scenario); None where it may, or where names vary by scenario."""
    if known is None or key in known:
        return None
    close = difflib.get_close_matches(key, known, n=1)
    said = f"did you mean {where}.{close[0]}?" if close else f"known: {', '.join(known)}"
    return f"unknown metric {where}.{key} ({said})"


def _walk(parts: list[str], cls: type, where: str) -> str | None:
    """Check ``parts`` against the result dataclass ``cls`` (``where`` is the path so far)."""
    fields = _fields(cls)
    name, rest = parts[0], parts[1:]
    if name not in fields:
        return _unknown(name, where, fields)
    hint = fields[name]
    if dataclasses.is_dataclass(hint):
        if not rest:
            return f"{where}{name} is a group; pick a field: {', '.join(_fields(hint))}"
        return _walk(rest, hint, f"{where}{name}.")
    if _is_number(hint) and not rest:
        return None
    if _leaf(hint) and len(rest) == 1:
        return _unknown_key(rest[0], f"{where}{name}", KEYS.get(name))
    numbers = ", ".join(f for f, h in fields.items() if _is_number(h))
    return f"{where}{name} is not a number; numeric fields here: {numbers}"


def metric_type(path: str) -> type:
    """``int`` for a metric that is a count (``reliability.faults``), else ``float``: what a
    column of it is when no run has a value (results.parquet: it was typed by its values, so
    a count no run had read as floats, and two studies' tables did not stack: QA)."""
    job = job_metric(path)
    parts, cls = ([job[1]], JobResult) if job is not None else (path.split("."), RunResult)
    hint: Any = cls
    for part in parts:
        if not dataclasses.is_dataclass(hint):
            hint = typing.get_args(hint)[-1] if typing.get_origin(hint) is dict else None
            break
        hint = _fields(hint).get(part)
    return int if hint is int else float


def job_metric(path: str) -> tuple[str, str] | None:
    """``jobs.<name>.<field>`` → (name, field); None for any other path."""
    if not path.startswith(JOBS + "."):
        return None
    name, _, field = path[len(JOBS) + 1 :].rpartition(".")
    return (name, field) if name and field else None


def metric_problem(path: str) -> str | None:
    """What is wrong with a metric path, or None (job names are checked against the base)."""
    job = job_metric(path)
    if job is not None:
        return _walk([job[1]], JobResult, f"{JOBS}.{job[0]}.")
    if path == JOBS or path.startswith(JOBS + "."):
        return "per-job metrics are jobs.<job name>.<field>, e.g. jobs.llm-70b.jct_s"
    return _walk(path.split("."), RunResult, "")


def unknown_jobs(metrics: Iterable[str], job_names: Iterable[str]) -> dict[int, str]:
    """Index of each per-job metric naming a job the base scenario lacks → the message."""
    names = list(job_names)
    out = {}
    for i, path in enumerate(metrics):
        job = job_metric(path)
        if job is not None and job[0] not in names:
            hint = difflib.get_close_matches(job[0], names, n=1)
            said = f"did you mean {hint[0]!r}?" if hint else f"jobs: {first_few(names)}"
            out[i] = f"no job named {job[0]!r} in the base scenario ({said})"
    return out


def metric_value(result: Mapping[str, Any], path: str) -> float | int | None:
    """The metric's value in a result dict; None when absent or undefined (e.g. no makespan).
    A count stays a whole number (``interruptions`` 3, not 3.0, in results.csv and as an
    integer column in results.parquet)."""
    job = job_metric(path)
    if job is not None:
        found = [j for j in result.get(JOBS, ()) if j.get("name") == job[0]]
        value = found[0].get(job[1]) if found else None
    else:
        node: Any = result
        for part in path.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        value = node
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    value = float(value)
    return None if math.isnan(value) else value


def short_name(path: str, segments: int = 2, dotted: Collection[str] = ()) -> str:
    """A dotted path as a column header or legend label: its last two segments, the
    ``cluster.`` and ``scheduling.`` prefixes dropped (``power.supply_mw``, ``10t.jct_s``,
    ``energy_mwh``, ``mean_jct_s``). ``dotted``: job names with dots in them, each one segment
    wherever it stands (``jobs.1.5t-a.jct_s`` is ``1.5t-a.jct_s``, not ``5t-a.jct_s``, and
    ``cluster.power.jobs.1.5t-a.cap_w`` is ``1.5t-a.cap_w``). A ``*`` stays in view
    (``jobs.*.checkpoint.interval_s`` is ``*.checkpoint.interval_s``): the column is every
    job's, and ``checkpoint.interval_s`` read as one job's. So does the job a field is of
    (``10t.checkpoint.interval_s``: QA, the header dropped which job), and the list an index is
    in (``events.0.duration_s``, not ``0.duration_s``)."""
    path = path.removeprefix("cluster.").removeprefix(f"{GROUP}.")
    parts, merged = path.split("."), []
    longest = sorted(dotted, key=len, reverse=True)
    while parts:
        rest = ".".join(parts)
        name = next((n for n in longest if rest == n or rest.startswith(f"{n}.")), None)
        span = name.count(".") + 1 if name is not None else 1
        merged.append(".".join(parts[:span]))
        parts = parts[span:]
    star = max((k for k, part in enumerate(merged) if part == WILDCARD), default=len(merged))
    start = max(0, min(star, len(merged) - segments))
    if merged[0] == "jobs" and len(merged) > 2:  # whose: the job stays in view
        start = min(start, 1)
    while start > 0 and merged[start].isdigit():  # an index names its list: events.0.at_s
        start -= 1
    return ".".join(merged[start:])


def short_names(paths: Sequence[str], dotted: Collection[str] = ()) -> dict[str, str]:
    """``short_name`` of each path, longer where two would read the same (zipped
    ``jobs.10t.checkpoint.interval_s`` and ``jobs.6t.checkpoint.interval_s`` are
    ``10t.checkpoint.interval_s`` and ``6t.checkpoint.interval_s``, not both
    ``checkpoint.interval_s``)."""
    depth = dict.fromkeys(paths, 2)
    while True:
        names = {p: short_name(p, depth[p], dotted) for p in paths}
        seen: dict[str, list[str]] = {}
        for p, name in names.items():
            seen.setdefault(name, []).append(p)
        clashing = [p for group in seen.values() if len(group) > 1 for p in group]
        longer = False
        for p in clashing:  # the next depth that reads longer: one more segment may add none
            # (``events.0.duration_s`` keeps its list's name at depths 2 and 3: review)
            while depth[p] < p.count(".") + 1 and short_name(p, depth[p], dotted) == names[p]:
                depth[p] += 1
            longer |= short_name(p, depth[p], dotted) != names[p]
        if not longer:
            return names
