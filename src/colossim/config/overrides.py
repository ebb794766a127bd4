"""Dotted-path overrides (``--set cluster.power.supply_mw=700``), shared by the CLI and sweeps.

A path walks mappings by key and lists by index or by an item's ``name`` (``jobs.10T.max_gpus``)
or ``gpu_type``; an index may be bracketed as problems print it (``jobs[0].max_gpus``). Values
are parsed as YAML, so ``700``, ``true``, ``[1, 2]`` and ``{a: 1}`` all keep their types; the
schema then validates the result like any file value.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from colossim.config.yamlmarks import Marks, PathKey, parse_yaml_text
from colossim.errors import ConfigError, Problem

SOURCE = "--set"
UNSPLIT = "expected PATH=VALUE, e.g. cluster.power.supply_mw=700"  # an override with no '='


class Override(str):
    """An override that another option stands for (``--seed 3`` is ``simulation.seed=3``):
    problems with it name that option, as the user typed it, instead of ``--set``."""

    shown: str

    def __new__(cls, text: str, shown: str) -> Override:
        override = super().__new__(cls, text)
        override.shown = shown
        return override

    def __getnewargs__(self) -> tuple[str, str]:  # pickles whole (to worker processes)
        return str(self), self.shown


# A value's type in the file's words ("a int value" read oddly)
KINDS = {"int": "a number", "float": "a number", "str": "text", "bool": "true or false",
         "NoneType": "null", "list": "a list"}


def text_override(path: str, value: str) -> str:
    """``path=value`` with the value taken as text, never as YAML: an option whose value is
    always a name (``--policy my_policies:``) must not come back as a mapping, with a hint to
    quote what the shell cannot quote. A JSON string is a YAML 1.2 double-quoted scalar."""
    return f"{path}={json.dumps(value)}"


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``a.b=value`` and parse the value as YAML."""
    if "=" not in text:
        raise ConfigError(Problem(SOURCE, None, "", UNSPLIT))
    path, raw = text.split("=", 1)
    path = path.strip()
    if not path or any(not part for part in path.split(".")):
        raise ConfigError(Problem(SOURCE, None, path, "empty path segment"))
    try:
        value, _ = parse_yaml_text(raw if raw.strip() else '""', SOURCE, value=True)
    except ConfigError as exc:
        raise ConfigError([Problem(SOURCE, None, path, p.message) for p in exc.problems]) from None
    return path, value


def _list_index(items: list[Any], segment: str, where: str) -> int:
    if segment.lstrip("-").isdigit():
        index = int(segment)
        if -len(items) <= index < len(items):
            return index % len(items)
        raise ConfigError(
            Problem(SOURCE, None, where, f"index {index} out of range ({len(items)} items)")
        )
    for i, item in enumerate(items):
        if isinstance(item, Mapping) and segment == item.get("name"):
            return i
    typed = [i for i, item in enumerate(items)
             if isinstance(item, Mapping) and segment == item.get("gpu_type")]
    if len(typed) == 1:
        return typed[0]
    if typed:  # two rack groups of one GPU type: which one is meant?
        named = ", ".join(str(items[i].get("name", i)) for i in typed)
        raise ConfigError(Problem(SOURCE, None, where, f"{len(typed)} items are {segment} "
                                                       f"({named}): name one, or give its index"))
    names = [str(it.get("name") or it.get("gpu_type")) for it in items if isinstance(it, Mapping)]
    raise ConfigError(
        Problem(SOURCE, None, where, f"no item named {segment!r}; items: {', '.join(names)}")
    )


def _refuse_dotted_name(items: list[Any], index: int, segments: list[str], depth: int,
                       where: str) -> None:
    """Refuse ``jobs.1.5t.priority`` as the name "1.5t" it is meant to be, not as item 1 and
    its field "5t": no field begins with a digit, so a digit after an index of a list of named
    items is a dotted name no item has (it said ``jobs[1].5t: unknown field``: QA)."""
    names = _item_names(items)
    if not names or depth >= len(segments) or not segments[depth][:1].isdigit() \
            or not isinstance(items[index], Mapping):
        return
    from colossim.config.crosscheck import did_you_mean

    name = f"{segments[depth - 1]}.{segments[depth]}"
    within = where.rpartition(".")[0]
    longer = sorted(n for n in names if n.startswith(name))  # "1.5t": 1.5t-a and 1.5t-b
    hint = (f" (did you mean {' or '.join(map(repr, longer))}?)" if 1 < len(longer) <= 4
            else did_you_mean(name, sorted(names)))
    raise ConfigError(Problem(SOURCE, None, f"{within}.{name}" if within else name,
                              f"no item named {name!r}{hint}"))


def _item_names(items: Any) -> set[str]:
    """The names and GPU types of a list's items (what a path may call them by)."""
    if not isinstance(items, list):
        return set()
    return {str(item.get(k)) for item in items if isinstance(item, Mapping)
            for k in ("name", "gpu_type") if item.get(k) is not None}


def _spelled(names: set[str], segments: list[str], depth: int) -> int:
    """How many segments from ``depth`` on, two or more, spell one of ``names`` when joined by
    dots (``jobs.1.5t-a.max_gpus`` names the job "1.5t-a", not ``jobs[1]``); 0 if none does.
    Spans longer than the most dotted name are not tried: every span of a path of N segments
    took O(N^3) joins (QA: a 3,000-segment --set ran for a minute)."""
    longest = max((name.count(".") + 1 for name in names), default=1)
    for span in range(min(len(segments) - depth, longest), 1, -1):
        if ".".join(segments[depth:depth + span]) in names:
            return span
    return 0


# Mappings keyed by the names of the scenario's jobs (their keys may hold dots, as "1.5t-a")
KEYED_BY_JOB = (("cluster", "power", "jobs"),)


def _dotted_key(data: Any, key: list[str | int], node: Mapping, segments: list[str],
                depth: int) -> int:
    """As ``_spelled``, for a mapping: its own keys, and for a mapping keyed by job names
    (``cluster.power.jobs.1.5t-a.cap_w``) the scenario's job names, since the file may have
    left the mapping out."""
    names = {str(k) for k in node}
    keyed = tuple(key) in KEYED_BY_JOB
    if keyed and isinstance(data, Mapping):
        names |= {n for n in _item_names(data.get("jobs")) if n}
    span = _spelled(names, segments, depth)
    if not span and keyed and len(segments) - depth > 2:
        # no job has this name: all but the field is the name (a typo in "1.5t-a" is then
        # reported as an unknown job, not as an unknown field "5t-z" of a job "1")
        span = len(segments) - depth - 1
    return span


BRACKET = re.compile(r"\[(-?\d+|\*)\]")  # jobs[0] as error messages print it: jobs.0


def resolve_paths(data: Any, dotted: str) -> list[PathKey]:
    """Every key a dotted path names: ``*`` in place of a list item means each item
    (``jobs.*.checkpoint.interval_s`` sets every job's interval). A list index may also be
    written in brackets, as problems name fields (``jobs[0].max_gpus``, ``jobs[*].priority``)."""
    dotted = BRACKET.sub(r".\1", dotted)
    head, star, tail = dotted.partition(".*")
    if not star or (tail and not tail.startswith(".")):
        return [resolve_path(data, dotted)]
    key = resolve_path(data, head)
    node = data
    for part in key:  # a block the file left out resolves, but holds nothing
        node = node.get(part) if isinstance(node, Mapping) else node[part]
    if not isinstance(node, list):
        what = f"the scenario has no {head}" if node is None else f"{head} is not a list"
        if head == "jobs" and isinstance(data, Mapping) and data.get("trace") is not None:
            what += " of its own (a trace's jobs are read after --set; set trace: fields)"
        raise ConfigError(Problem(SOURCE, None, head, f"* stands for each item of a list, and "
                                                      f"{what}"))
    keys: list[PathKey] = []
    for i in range(len(node)):
        keys += [(*key, i, *rest) if rest else (*key, i) for rest in (
            [k[len(key) + 1:] for k in resolve_paths(data, f"{head}.{i}{tail}")])]
    return keys


def resolve_path(data: Any, dotted: str) -> PathKey:
    """Turn ``jobs.10T.max_gpus`` into ``("jobs", 3, "max_gpus")`` against ``data``."""
    node = data
    key: list[str | int] = []
    segments = dotted.split(".")
    depth = 0
    while depth < len(segments):
        segment = segments[depth]
        where = ".".join(segments[: depth + 1])
        if isinstance(node, list):
            span = _spelled(_item_names(node), segments, depth)
        elif isinstance(node, Mapping):
            span = _dotted_key(data, key, node, segments, depth)
        else:
            span = 0
        if span:
            segment = ".".join(segments[depth:depth + span])
            depth += span - 1
            where = ".".join(segments[: depth + 1])
        last = depth == len(segments) - 1
        depth += 1
        if isinstance(node, list):
            index = _list_index(node, segment, where)
            if not span and segment.lstrip("-").isdigit():  # an index, not a name
                _refuse_dotted_name(node, index, segments, depth, where)
            key.append(index)
            node = node[index]
        elif isinstance(node, Mapping):
            key.append(segment)
            if segment not in node and not last and segments[depth].lstrip("-").isdigit() \
                    and tuple(key) not in KEYED_BY_JOB:  # "1.5t-a" there is a job's name
                trace = segment == "jobs" and node.get("trace") is not None
                msg = (f"the scenario has no {where} list of its own to index (a trace's jobs "
                       "are read after --set; set trace: fields)" if trace else
                       f"the scenario has no {where} list to index")
                raise ConfigError(Problem(SOURCE, None, where, msg))
            # a block the file left to its defaults is walked as empty; the schema judges it
            node = {} if segment not in node and not last else node.get(segment)
        else:
            above = ".".join(segments[:depth - 1])
            kind = KINDS.get(type(node).__name__, type(node).__name__)
            msg = f"is {kind} ({node!r}), with no {segment!r} inside"
            raise ConfigError(Problem(SOURCE, None, above, msg))
    return tuple(key)


def _field_type(model: Any, name: Any) -> Any:
    """The model class a field (or a list/dict item) holds, or None (plain values, unions).
    ``config.base`` is imported here, not with the module: it loads pydantic, and the command
    line imports this module for ``--set`` (``colossim --help`` must load no pydantic)."""
    from colossim.config.base import block_model

    fields = getattr(model, "model_fields", {})
    return block_model(fields[name].annotation)[0] if name in fields else None


def seed_defaults(data: Any, key: PathKey) -> None:
    """Before ``set_path`` writes one field into a block the file left out, put that block's
    default there (``--set reliability.gpu.repair.distribution=fixed``: the GPU class's repair
    default has ``mean_s: 43200``; a block holding only ``distribution`` lacked it). Only
    blocks whose default is an object are seeded, with the fields that default was built with,
    less an ``enabled: false`` that only stands for the block's absence (``reliability``: off
    when absent, on when present): a field written into it makes it present, as in a file."""
    from pydantic import BaseModel

    from colossim.config.schema import Scenario

    model: Any = Scenario
    node = data
    for part in key[:-1]:
        if model is None or not isinstance(node, dict):
            return
        if isinstance(part, str) and part not in node and part in model.model_fields:
            default = model.model_fields[part].get_default(call_default_factory=True)
            if isinstance(default, BaseModel):
                node[part] = seeded = default.model_dump(mode="json", exclude_unset=True)
                enabled = type(default).model_fields.get("enabled")
                if seeded.get("enabled") is False and enabled and enabled.default is True:
                    del seeded["enabled"]
        if part not in node:
            return
        model = _field_type(model, part) if isinstance(part, str) else model
        node = node[part]


def set_path(data: Any, key: PathKey, value: Any) -> None:
    """Assign ``value`` at ``key``, creating mappings for blocks the file left out."""
    node = data
    for part in key[:-1]:
        if isinstance(node, dict) and part not in node:
            node[part] = {}
        node = node[part]
    node[key[-1]] = value


def mark_override(marks: Marks, key: PathKey, where: tuple[str, int | None]) -> None:
    """Record that the value at ``key`` now comes from ``where`` (an override or a sweep line),
    and so do the blocks it had to create, so errors below it point there, not at the file."""
    marks.drop_below(key)
    for depth in range(1, len(key)):
        marks.where.setdefault(key[:depth], where)
    marks.where[key] = where
    marks.overridden.add(key)


def collect_overrides(
    data: Any, marks: Marks, overrides: Iterable[str]
) -> tuple[Any, list[Problem]]:
    """A copy of ``data`` with every good override applied, and a problem for each bad one.

    Bad overrides are skipped rather than fatal so the loader can report them together with
    whatever else is wrong.
    """
    data = copy.deepcopy(data)
    problems: list[Problem] = []
    for text in overrides:
        where = shown_override(text)
        try:
            dotted, value = parse_override(text)
            keys = resolve_paths(data, dotted)
        except ConfigError as exc:
            problems += [Problem(where, None, p.field, p.message) for p in exc.problems]
            continue
        for key in keys:
            seed_defaults(data, key)
            set_path(data, key, copy.deepcopy(value))
            mark_override(marks, key, (where, None))
    return data, problems


def shown_override(text: str) -> str:
    """How a problem names an override: as the user gave it (``--set a=b``, or a sweep's
    parameter, ``Override.shown``)."""
    return text.shown if isinstance(text, Override) else f"{SOURCE} {text}"


def unsplit_problems(overrides: Iterable[str], value: str | None) -> list[Problem]:
    """A problem for each override with no ``=``, for when the scenario could not be found:
    ``--set cluster.power.supply_mw 700`` (a space for the ``=``) reads 700 as the scenario, and
    "700: no such file or scenario" alone hid the cause (QA). ``value``: the scenario argument
    when it may be such a stray value (not a file's or a near built-in's name); the hint names
    it only when one override lacks its ``=``, as then it can only be that one's (review: it
    was pinned on the first of two, and offered a mistyped file name as a supply)."""
    unsplit = [text for text in overrides if "=" not in text]
    hint = ""
    if value is not None and len(unsplit) == 1:
        hint = (f"; if {value!r}, read as the scenario, was meant as its value, write "
                f"{SOURCE} {unsplit[0].strip()}={value}")
    return [Problem(shown_override(text), None, "", UNSPLIT + hint) for text in unsplit]


def apply_overrides(data: Any, marks: Marks, overrides: Iterable[str]) -> Any:
    """Return a copy of ``data`` with every override applied, and mark each as ``--set``."""
    data, problems = collect_overrides(data, marks, overrides)
    if problems:
        raise ConfigError(problems)
    return data
