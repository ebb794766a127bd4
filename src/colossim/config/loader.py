"""YAML files → a validated, frozen ``Scenario``, with every problem reported at its file:line.

Steps: resolve the source (a path, or the name of a built-in scenario), read it with line marks,
merge its ``include:`` files underneath it, apply ``--set`` overrides, validate with the schema,
then run the whole-scenario cross-checks. Schema and cross-check problems are gathered together
(cross-checks run on whichever parts of the file are valid) and raised as one ``ConfigError``.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from colossim.config.base import FieldValueError, fill_empty_blocks
from colossim.config.crosscheck import (
    Issues,
    check_parts,
    cross_check,
    duplicate_names,
    unknown_gpu_type,
)
from colossim.config.messages import friendly, shown
from colossim.config.overrides import SOURCE as OVERRIDE_SOURCE
from colossim.config.overrides import collect_overrides, unsplit_problems
from colossim.config.schema import Scenario
from colossim.config.trace import SKIP_TRACE, trace_issues
from colossim.config.yamlmarks import Marks, PathKey, read_yaml_file, shown_path
from colossim.errors import ConfigError, Problem

INCLUDE_KEY = "include"
EXTENSION_PREFIX = "x-"  # top-level keys the loader ignores: a home for YAML anchors
DEFAULT_SCENARIO = "colossus2"


def builtin_scenarios() -> dict[str, Path]:
    """Built-in scenarios shipped as package data, by name."""
    folder = resources.files("colossim.config") / "scenarios"
    return {
        Path(str(entry)).stem: Path(str(entry))
        for entry in folder.iterdir()
        if str(entry).endswith(".yaml")
    }


def _exists(path: Path) -> bool:
    """``path.exists()``, False where the system refuses to look (a name too long: QA, YAML
    text given where a file's path belongs raised a raw OSError)."""
    try:
        return path.exists()
    except OSError:
        return False


def resolve_source(source: str | Path, relative_to: Path | None = None) -> Path:
    """A file path if it exists (relative to an including file), else a built-in scenario.

    A folder never hides a built-in of its name, beside the including file or in the current
    folder: ``colossim run small --out small`` made one, and the next ``colossim run small``
    failed on it ("is a folder, not a file"); ``include: small`` and a study's ``base: small``
    beside it did too (QA)."""
    if not str(source).strip():  # an empty variable in a script: Path("") is the folder "."
        names = ", ".join(sorted(builtin_scenarios()))
        raise ConfigError(Problem("''", None, "", "no scenario named: give a file or a "
                                  f"built-in scenario ({names})"))
    path = Path(source)
    builtins = builtin_scenarios()

    def hides_builtin(found: Path) -> bool:
        return found.is_dir() and str(source) in builtins

    if relative_to is not None and not path.is_absolute():
        candidate = relative_to.parent / path
        if _exists(candidate) and not hides_builtin(candidate):
            return candidate
    if _exists(path) and not hides_builtin(path):
        return path
    if str(source) in builtins:
        return builtins[str(source)]
    if relative_to is not None and not path.is_absolute():
        _refuse_dangling_link(relative_to.parent / path)
    _refuse_dangling_link(path)
    hint = difflib.get_close_matches(str(source), list(builtins), n=1)
    near = _near_file(path, relative_to.parent if relative_to is not None and not
                      path.is_absolute() else None)
    suffix = (f"; did you mean {near}?" if near else
              f"; did you mean the built-in scenario {hint[0]!r}?" if hint
              else f"; built-in scenarios: {', '.join(sorted(builtins))}")
    looked = ""  # a study's base is said at the study's line, which does not show the name
    if relative_to is not None:  # (QA: "no such file" of what?)
        looked = f" named {str(source)!r}" + (
            "" if path.is_absolute() else f" (looked for {relative_to.parent / path}, beside "
                                          f"{relative_to.name}, and in the current folder)")
    raise ConfigError(Problem(str(source), None, "",
                              f"no such file or scenario{looked}{suffix}"))


class DanglingLink(ConfigError):
    """A scenario path that is a symbolic link to no file (``_refuse_dangling_link``)."""


def _refuse_dangling_link(path: Path) -> None:
    """Say so when ``path`` is a symbolic link to nothing. The repository's ``configs/`` files
    are relative links, and a copy of the folder that does not follow them (``cp -r``) leaves
    links to files that are not there: QA was told "no such file or scenario; did you mean
    configs/small.yaml?", the very path it gave."""
    try:
        dangling = path.is_symlink() and not path.exists()
    except OSError:
        return
    if dangling:
        raise DanglingLink(Problem(str(path), None, "", (
            f"is a symbolic link to {os.readlink(path)}, which leads to no file (a copy that "
            "did not follow links? copy the files themselves, e.g. cp -rL)")))


def _near_file(path: Path, base: Path | None = None) -> str | None:
    """A file beside ``path`` whose name is close to its name (``mine.yml`` for ``mine.yaml``,
    a typo), as the user would type it; None if none is (QA: only built-ins were offered).
    ``base``: the folder a relative ``path`` is read from (an include's: its file's folder)."""
    try:
        names = [p.name for p in ((base or Path()) / path.parent).iterdir()
                 if p.suffix in (".yaml", ".yml")]
    except OSError:
        return None
    close = difflib.get_close_matches(path.name, names, n=1, cutoff=0.8)
    return str(path.parent / close[0]) if close else None


@dataclass(frozen=True)
class Document:
    """A scenario as merged plain data plus where each value came from.

    ``problems`` holds overrides that could not be applied; validation reports them with the rest.
    """

    data: dict[str, Any]
    marks: Marks
    source: Path
    problems: tuple[Problem, ...] = ()
    # included lists a file's own list replaced whole, by path (``_merged_item_hint``)
    replaced: Mapping[PathKey, list[Any]] = dataclasses.field(default_factory=dict)


def _deep_merge(base: dict[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _replaced(data: Mapping[str, Any], path: PathKey = ()) -> Iterable[PathKey]:
    """Paths whose values a merge replaces wholesale (anything but a mapping)."""
    for key, value in data.items():
        if isinstance(value, Mapping):
            yield from _replaced(value, (*path, key))
        else:
            yield (*path, key)


def _layer(merged: Document | None, top: Document) -> Document:
    """``top`` over ``merged``: mappings merge, other values (lists too) replace, marks follow."""
    if merged is None:
        return top
    marks, replaced = merged.marks.copy(), {**merged.replaced, **top.replaced}
    for path in _replaced(top.data):
        marks.drop_below(path)
        old = _at(merged.data, path)
        if isinstance(old, list) and isinstance(_at(top.data, path), list):
            replaced[path] = old
    marks.update(top.marks)
    return Document(_deep_merge(merged.data, top.data), marks, top.source, replaced=replaced)


def _at(data: Any, path: PathKey) -> Any:
    """The value at ``path`` in nested mappings, or None."""
    for key in path:
        data = data.get(key) if isinstance(data, Mapping) else None
    return data


def _merged_item_hint(doc: Document, problem: Problem) -> Problem:
    """A field missing from an item of a list that replaced an included one whole, where the
    included list had an item of that name: say that the two are not merged (QA: ``jobs: [{name:
    10t, checkpoint: ...}]`` over ``include: colossus2`` said only "max_gpus: required field
    missing", and the other six jobs were gone without a word)."""
    match = re.fullmatch(r"(\w+)\[(\d+)\]\..+", problem.field)
    if match is None or "required field missing" not in problem.message:
        return problem
    key, index = match.group(1), int(match.group(2))
    old, new = doc.replaced.get((key,)), _at(doc.data, (key,))
    if not old or not isinstance(new, list) or index >= len(new):
        return problem
    name = new[index].get("name") if isinstance(new[index], Mapping) else None
    if name is None or not any(isinstance(o, Mapping) and o.get("name") == name for o in old):
        return problem
    gone = (f", and the included file's other {len(old) - 1:,} are gone" if len(old) > 1
            else "")
    return replace(problem, message=(
        f"{problem.message} ({key}: in this file replaces the included list whole, so this "
        f"{name} is not merged with the included {name}{gone}: give every field here, or "
        f"change one with --set {key}.{name}.FIELD=VALUE)"))


def _includes(data: dict[str, Any], marks: Marks, path: Path) -> list[tuple[str, PathKey]]:
    """The include entries of a file with their mark paths; bad entries are problems."""
    raw = data.pop(INCLUDE_KEY, [])
    raw = [] if raw is None else raw  # every entry commented out: nothing to include
    entries = [(raw, (INCLUDE_KEY,))] if isinstance(raw, str) else None
    if isinstance(raw, list):
        entries = [(item, (INCLUDE_KEY, i)) for i, item in enumerate(raw)]
    if entries is None or not all(isinstance(item, str) for item, _ in entries):
        bad = next((loc for item, loc in entries or [] if not isinstance(item, str)), None)
        file, line = marks.locate(bad or (INCLUDE_KEY,))
        msg = "expected a file path or a list of file paths"
        raise ConfigError(Problem(file, line, INCLUDE_KEY, msg))
    return entries


def read_document(path: Path, _seen: tuple[Path, ...] = ()) -> Document:
    """Read ``path`` and, recursively, the files it includes (includes lie underneath it)."""
    data, marks = read_yaml_file(path)
    if data is None:
        msg = "the file is empty; a scenario needs at least cluster: and jobs:"
        raise ConfigError(Problem(str(path), 1, "", msg))
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a single value ({data!r})"
        msg = f"expected a mapping (key: value lines) at the top level, got {kind}"
        raise ConfigError(Problem(str(path), 1, "", msg))
    for key in [k for k in data if k.startswith(EXTENSION_PREFIX)]:
        del data[key]  # x-... blocks hold YAML anchors for the rest of the file (as in Compose)
    fill_empty_blocks(data, Scenario)  # before includes merge and --set walks into them
    seen = (*_seen, path.resolve())
    merged: Document | None = None
    for include, loc in _includes(data, marks, path):
        file, line = marks.locate(loc)
        try:
            target = resolve_source(include, relative_to=path)
        except DanglingLink as exc:  # said at the include's line
            raise ConfigError(Problem(file, line, INCLUDE_KEY,
                                      f"{exc.problems[0].file}: {exc.problems[0].message}")) \
                from None
        except ConfigError as exc:  # its message ends with a built-in it may have meant
            _, _, builtin = exc.problems[0].message.partition("; ")
            msg = (f"included file not found: {include} (paths are relative to this file, or "
                   f"a built-in scenario's name){'; ' + builtin if builtin else ''}")
            raise ConfigError(Problem(file, line, INCLUDE_KEY, msg)) from None
        if target.resolve() in seen:
            chain = " -> ".join(p.name for p in (*seen, target.resolve()))
            raise ConfigError(Problem(file, line, INCLUDE_KEY, f"include cycle: {chain}"))
        if target.is_dir():  # read_yaml_file would name the folder but not this line
            raise ConfigError(Problem(file, line, INCLUDE_KEY,
                                      f"{include} is a folder, not a file"))
        merged = _layer(merged, read_document(target, seen))
    return _layer(merged, Document(data, marks, path))


def problem_at(marks: Marks, loc: PathKey, message: str, at: PathKey | None = None) -> Problem:
    """A Problem for a field path, located at the deepest line we know for it (or for ``at``,
    the path that caused it)."""
    file, line = marks.locate(loc if at is None else at)
    return Problem(file, line, shown_path(loc), message)


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Reading order: files by name, then line (whole-file problems first), then overrides;
    problems on one line by field, its indexes as numbers (a flow list's items in their order,
    metrics[2] before metrics[10]: QA, a study's said 3, 1, 2); alike problems of list items
    folded into one (``fold_items``)."""
    return sorted(
        fold_items(problems),
        key=lambda p: (p.file.startswith("--"), p.file, -1 if p.line is None else p.line,
                       _in_order(p.field)),
    )


def _in_order(field: str) -> tuple[tuple[int, int | str], ...]:
    """A field's sort key, its indexes as numbers."""
    return tuple((0, int(part)) if part.isdigit() else (1, part)
                 for part in re.split(r"(\d+)", field) if part)


ITEM = re.compile(r"(\[\d+\])")


def fold_items(problems: Iterable[Problem]) -> list[Problem]:
    """Problems alike but for the list items they name, one line each: their field with the
    indices that vary listed (``jobs[0-6].checkpoint.interval_s``, ``jobs[0,1].max_gpus``:
    never ``*``, which read as every item when only some were wrong: review). ``--set
    'jobs.*.checkpoint.interval_s=20m'`` said the same message once per job (QA: 7 lines)."""
    groups: dict[tuple, list[Problem]] = {}
    for problem in problems:
        key = (problem.file, problem.line, problem.message, ITEM.sub("[]", problem.field))
        groups.setdefault(key, []).append(problem)
    out = []
    for group in groups.values():
        if len(group) == 1:
            out.append(group[0])
            continue
        parts = [ITEM.split(problem.field) for problem in group]
        field = "".join(part if all(other[i] == part for other in parts) else
                        f"[{_spans(sorted({int(other[i][1:-1]) for other in parts}))}]"
                        for i, part in enumerate(parts[0]))
        out.append(replace(group[0], field=field))
    return out


def _spans(indices: list[int]) -> str:
    """Sorted indices as runs: [0, 1, 2, 5] -> "0-2,5"."""
    runs: list[list[int]] = []
    for index in indices:
        if runs and index == runs[-1][1] + 1:
            runs[-1][1] = index
        else:
            runs.append([index, index])
    return ",".join(f"{a}-{b}" if b > a + 1 else f"{a},{b}" if b > a else f"{a}"
                    for a, b in runs)


def validation_problems(
    exc: ValidationError,
    marks: Marks,
    prefix: PathKey = (),
    model: type[BaseModel] = Scenario,
) -> list[Problem]:
    """pydantic errors → Problems at their lines.

    ``model`` is what was validated and ``prefix`` where it sits in the scenario (a policy's
    Params sit at ``scheduler.policy.params``), so "did you mean" looks at the right fields.
    """
    errors = exc.errors()
    locs = [tuple(p for p in e["loc"] if not str(p).startswith("function-")) for e in errors]
    unions = _union_messages(errors, locs)
    inside = _inside_a_form(locs)
    problems = []
    for err, loc in zip(errors, locs, strict=True):
        field = _without_branches(loc)
        owner = _form_owner(loc)
        if owner in inside:  # the value has one form's shape: its inner problems are the ones
            if len(loc) == len(owner) + 1:  # to fix, not "expected a whole number, got a list"
                continue
            loc = field  # "seeds[1]", not pydantic's "seeds.list[int][1]" (QA)
        elif field in unions:  # one line for a value no form of the field accepts
            if unions[field] is not None:
                problems.append(problem_at(marks, prefix + field, unions[field]))
                unions[field] = None
            continue
        if err["type"] == "too_short" and any(
            len(other) > len(loc) and other[: len(loc)] == loc for other in locs
        ):
            continue  # the list only looks short because its items failed: they are reported
        if err["type"] == "extra_forbidden":
            message = "unknown field" + _suggest(loc, model)
        else:
            message = friendly(err)
        error = (err.get("ctx") or {}).get("error")
        if getattr(error, "field", None) is not None:
            loc, message = _blame(error, prefix + loc, marks)
            problems.append(problem_at(marks, loc, message))
        else:
            problems.append(problem_at(marks, prefix + loc, message))
    return problems


# The parts pydantic adds to an error's location for each form of a union field
# (``interval_s: float | Literal["auto"] | None`` gives "constrained-float" and "literal['auto']")
_BRANCH = re.compile(
    r"(int|float|str|bool|none|constrained-\w+|(literal|list|dict|tuple|set)\[.*\])")
_GOT = re.compile(r"[,;] got .*$")


def _without_branches(loc: PathKey) -> PathKey:
    return tuple(p for p in loc if not (isinstance(p, str) and _BRANCH.fullmatch(p)))


def _form_owner(loc: PathKey) -> PathKey | None:
    """The union field a location is inside one form of (the path before its first branch
    part), or None."""
    for k, part in enumerate(loc):
        if isinstance(part, str) and _BRANCH.fullmatch(part):
            return _without_branches(loc[:k])
    return None


def _inside_a_form(locs: list[PathKey]) -> set[PathKey]:
    """Union fields whose value failed inside one of its forms (``seeds: [1, 2.5]`` against
    ``int | list[int]`` fails at ``seeds.list[int][1]``): that form is the one meant."""
    return {_form_owner(loc) for loc in locs
            if _form_owner(loc) is not None and not _BRANCH.fullmatch(str(loc[-1]))}


def _union_messages(errors: list[Any], locs: list[PathKey]) -> dict[PathKey, str | None]:
    """For a field whose value fits none of its union's forms, one message instead of one line
    per form naming pydantic's internals ("interval_s.constrained-float: must be > 0" and
    "interval_s.literal['auto']: expected one of auto")."""
    branches: dict[PathKey, list[Any]] = {}
    for err, loc in zip(errors, locs, strict=True):
        field = _without_branches(loc)
        if field != loc and len(loc) == len(field) + 1:  # one branch part, at the end
            branches.setdefault(field, []).append(err)
    return {field: _fits_no_form(errs) for field, errs in branches.items() if len(errs) > 1}


_HINT = re.compile(r" \(did you mean [^)]*\)")


def _fits_no_form(errs: list[Any]) -> str:
    """One message for a value each form of a union refuses, in the words of a plain field's:
    ``expected a number or auto, got 'sometimes'``, and ``must be > 0 or auto, got -900`` for
    a value of the right type out of bounds ("fits none of its forms: expected a number; or
    expected one of auto" read as parser talk: review)."""
    texts = [friendly(e) for e in errs]
    hints = dict.fromkeys(hint for text in texts for hint in _HINT.findall(text))
    forms = list(dict.fromkeys(_GOT.sub("", text) for text in texts))
    kinds = [f.removeprefix("expected ") for f in forms if f.startswith("expected ")]
    kinds = [k.removeprefix("one of ") if ", " not in k else k for k in kinds]  # "one of auto"
    limits = [f for f in forms if not f.startswith("expected ")]  # the right type, out of range
    either = ", ".join(kinds[:-1]) + " or " + kinds[-1] if len(kinds) > 1 else "".join(kinds)
    said = "; or ".join(limits) + (f" or {either}" if limits and kinds else "") \
        if limits else f"expected {either}"
    return f"{said}, got {shown(errs[0].get('input'))}{''.join(hints)}"


def _blame(error: Any, loc: PathKey, marks: Marks) -> tuple[PathKey, str]:
    """Which field a whole-model check points at: its own, or an alternative an override set."""
    options = [(error.field, str(error)), *getattr(error, "alternatives", ())]
    for field, message in options:  # a field may be dotted: "trace.path", "schedule.2.at_s"
        if marks.set_by_override(path := (*loc, *_dotted(field))):
            return path, message
    return (*loc, *_dotted(options[0][0])), options[0][1]


def _dotted(field: str) -> PathKey:
    """A dotted field as a path key: digits are list indexes, as marks key them."""
    return tuple(int(part) if part.isdigit() else part for part in field.split("."))


def _suggest(loc: PathKey, model: type[BaseModel]) -> str:
    """'did you mean' for an unknown key, from the fields of the model that owns it."""
    from colossim.config.fields import model_at, nested_paths

    if not loc or not isinstance(loc[-1], str):
        return ""
    owner = model_at(loc[:-1], root=model)
    known = list(owner.model_fields)
    key = loc[-1]
    name, colon, value = key.partition(":")
    if colon and name.strip() in known:  # {capacity_mwh:0.02}: YAML reads one key (QA: "did
        # you mean 'capacity_mwh'?", the very name typed)
        return (f" (a key and its value need a space after the ':': {name.strip()}: "
                f"{value.strip()})")
    by_folded = {k.casefold(): k for k in known}  # MAX_GPUS, max-gpus: the field max_gpus
    folded = key.casefold().replace("-", "_")
    cutoff = 0.6 if len(folded) > 3 else 0.7  # three letters share two by chance: psu, gpu
    close = _same_unit(folded, difflib.get_close_matches(folded, list(by_folded), n=3,
                                                         cutoff=cutoff), list(by_folded))
    # among near names, a field that must be given first: a job's "gpus" is its missing
    # max_gpus more likely than its optional min_gpus
    close.sort(key=lambda k: not owner.model_fields[by_folded[k]].is_required())
    # the field's name without its unit (mtbf for mtbf_gpu_hours, supply for supply_mw): that
    # field, not a nearer short one (QA: mtbf was offered tbf, the distribution's block)
    unitless = [k for k in by_folded if k.startswith(folded + "_")]
    if len(unitless) == 1:
        close = unitless
    hint = [by_folded[folded]] if folded in by_folded else close[:1]
    if hint:
        return f" (did you mean {by_folded.get(hint[0], hint[0])!r}?)"
    elsewhere = nested_paths(owner, key)  # the right key at the wrong level
    if elsewhere:  # whole paths: "policy.name" under scheduler read as a top-level block (QA)
        above = f"{shown_path(loc[:-1])}." if loc[:-1] else ""
        return f" (it goes inside a block: {' or '.join(above + p for p in elsewhere[:2])})"
    if not known:  # a policy without parameters, say: "expected one of: " and nothing
        return "; it takes no fields"
    return f"; expected one of: {', '.join(known)}" if len(known) <= LISTED_FIELDS else ""


LISTED_FIELDS = 15  # an unknown key's owner lists its fields up to this many (reliability has
# 13: an unknown failure class named none of them, QA); a job's 30 would bury the line


def _same_unit(key: str, close: list[str], known: list[str]) -> list[str]:
    """Near names that keep the key's unit (the part after its last ``_``, when some field
    ends in it too): ``cap_mw`` meant ``facility_cap_mw`` (MW), not the nearer ``gpu_cap_w``
    (W per GPU), which validates and then clocks every GPU down (QA). A field in that unit
    sharing a word with the key is offered when no near name keeps the unit; failing that,
    the near names as they are."""
    words = key.split("_")
    if len(words) < 2 or not any(k.endswith("_" + words[-1]) for k in known):
        return close
    unit = "_" + words[-1]
    kept = [k for k in close if k.endswith(unit)]
    if kept:
        return kept
    shared = [k for k in known if k.endswith(unit) and set(words[:-1]) & set(k.split("_")[:-1])]
    return shared or close


def _get(data: Any, *keys: str) -> Any:
    """``data[k1][k2]...`` or None where a level is missing or not a mapping."""
    for key in keys:
        data = data.get(key) if isinstance(data, Mapping) else None
    return data


def _duplicate_names(raw_jobs: list[Any], valid: set[int]) -> Issues:
    """Job names used twice where a job of the pair is invalid (``check_parts`` sees valid
    jobs only, so a duplicate hid behind the other job's problem until that was fixed)."""
    named = [(i, name) for i, job in enumerate(raw_jobs)
             if isinstance(name := _get(job, "name"), str)]
    return duplicate_names(named, lambda jobs: not set(jobs) <= valid)


def _partial_issues(data: Mapping[str, Any]) -> Issues:
    """Cross-checks over the parts of an invalid scenario that do validate on their own."""
    from colossim.config.catalog import BUILTIN_GPUS
    from colossim.config.schema import ClusterConfig, GpuSpec, JobConfig, complete_catalog

    def valid(model: type[BaseModel], value: Any) -> Any:
        try:
            return model.model_validate(value)
        except ValidationError:
            return None

    entries = _get(data, "catalog")
    entries = complete_catalog(entries) if isinstance(entries, Mapping) else {}
    catalog = dict(BUILTIN_GPUS)
    for name, entry in entries.items():
        spec = valid(GpuSpec, entry)
        if spec is None:
            catalog.pop(str(name), None)  # declared but broken: a known name without a spec
        else:
            catalog[str(name)] = spec
    known = sorted({*BUILTIN_GPUS, *map(str, entries)})
    cluster = valid(ClusterConfig, _get(data, "cluster"))
    raw_jobs = _get(data, "jobs")
    jobs = list(enumerate(raw_jobs)) if isinstance(raw_jobs, list) else []
    jobs = [(i, job) for i, job in ((i, valid(JobConfig, j)) for i, j in jobs) if job]
    issues = check_parts(catalog, cluster, jobs, known_types=known)
    issues += _duplicate_names(raw_jobs if isinstance(raw_jobs, list) else [], {i for i, _ in jobs})
    groups = _get(data, "cluster", "rack_groups")
    if cluster is None and isinstance(groups, list):  # name unknown types in a broken cluster
        for i, group in enumerate(groups):
            name = _get(group, "gpu_type")
            if isinstance(name, str):
                issues += unknown_gpu_type(("cluster", "rack_groups", i, "gpu_type"), name, known)
    return issues


FIT_FIELDS = ("min_gpus", "max_gpus")  # where the cross-check says a job can never fit
PLAN_PATH = ("training", "plan")  # a pinned plan, judged against the job's FIT_FIELDS
SHRINKS = (("cluster",), ("reliability", "spares"))  # what an override may shrink the room by


def _blamed(marks: Marks, loc: PathKey) -> PathKey:
    """Where to report a cross-check problem: at an override (``--set`` or a study line) that
    wrote a field below it (``--set jobs.0.training.plan.pp=200`` for a problem of the plan,
    which pointed at the file's plan line), or that set the job's min_gpus or max_gpus for a
    problem of its pinned plan (the plan's size against them). A job that can never fit is
    reported at the job, unless an override left the job alone and changed the cluster or its
    spares, which is then what made it not fit (it pointed at the built-in scenario's own line
    for the job)."""
    below = marks.overridden_below(loc)  # a plan's pp set by --set: the plan is blamed there
    if below and not marks.set_by_override(loc):
        return below[0]
    if loc[-2:] == PLAN_PATH and not marks.set_by_override(loc):  # a plan against the size
        bounds = [(*loc[:2], name) for name in FIT_FIELDS if marks.set_by_override(
            (*loc[:2], name))]  # --set jobs.0.max_gpus=100 under a plan of 144 GPUs
        if bounds:
            return bounds[0]
    if len(loc) != 3 or loc[0] != "jobs" or loc[2] not in FIT_FIELDS \
            or marks.set_by_override(loc[:2]):
        return loc
    changed = [key for prefix in SHRINKS for key in marks.overridden_below(prefix)]
    return changed[0] if changed else loc


STUDY_KEYS = {"base", "parameters"}  # a study file's own keys (sweep/spec.py)


def validate_document(doc: Document) -> tuple[Scenario | None, list[Problem]]:
    """The scenario (None if invalid) and every schema and cross-check problem."""
    if isinstance(doc.data, dict) and doc.data.keys() >= STUDY_KEYS:  # not six schema errors
        return None, [Problem(str(doc.source), None, "", "this is a study file (base: and "
                              "parameters:), not a scenario: run it with colossim sweep "
                              f"{doc.source}")]
    problems = list(doc.problems)
    context = {"defer_cross_check": True, "base_dir": _trace_dir(doc)}  # base: trace paths
    try:
        scenario = Scenario.model_validate(doc.data, context=context)
    except ValidationError as exc:
        problems += _near_builtin_types(
            doc, [_merged_item_hint(doc, p) for p in validation_problems(exc, doc.marks)])
        if _unreadable_trace(exc):
            problems += _beside_trace(doc, {**context, SKIP_TRACE: True})
        issues = _partial_issues(doc.data)
        return None, problems + [problem_at(doc.marks, loc, msg) for loc, msg in issues]
    issues = trace_issues(scenario, cross_check(scenario), lambda loc: _blamed(doc.marks, loc))
    problems += [problem_at(doc.marks, loc, msg, at=at) for loc, msg, at in issues]
    return (None if problems else scenario), problems


MISSING = "required field missing"


def _near_builtin_types(doc: Document, problems: list[Problem]) -> list[Problem]:
    """A ``catalog:`` entry whose name is not a built-in type is a new type, which must give
    every field; where the name is close to a built-in's (``Gb300``, ``GB30``), or to a type
    this catalog defines whole (``--set catalog.Rubn.tdp_w=...`` beside ``Rubin``), its
    missing fields are said as one problem, the type it likely meant (QA: eleven "required
    field missing" lines and no word of ``GB300``, nor of ``Rubin``)."""
    from colossim.config.catalog import BUILTIN_GPUS
    from colossim.config.schema import GpuSpec

    catalog = doc.data.get("catalog") if isinstance(doc.data, dict) else None
    if not isinstance(catalog, dict):
        return problems
    missing: dict[str, int] = {}
    for problem in problems:
        if problem.field.startswith("catalog.") and problem.message == MISSING:
            name = problem.field.split(".")[1]
            missing[name] = missing.get(name, 0) + 1
    known = [*BUILTIN_GPUS, *(str(k) for k in catalog if k not in BUILTIN_GPUS
                              and str(k) not in missing)]
    required = sum(f.is_required() for f in GpuSpec.model_fields.values())
    out, said = [], set()
    for problem in problems:
        name = problem.field.split(".")[1] if problem.field.startswith("catalog.") else None
        near = (difflib.get_close_matches(name.casefold(), [b.casefold() for b in known],
                                          n=1, cutoff=0.7)
                if name and name not in BUILTIN_GPUS and problem.message == MISSING else [])
        # a real new type that lacks a field or two (B200, H200 beside GB200, H100) keeps its
        # lines: only a name as cased otherwise, or an entry that gives few fields, is a slip
        if near and name.casefold() != near[0] and 2 * missing.get(name, 0) < required:
            near = []
        if not near:
            out.append(problem)
            continue
        if name not in said:
            said.add(name)
            meant = next(b for b in known if b.casefold() == near[0])
            file, line = doc.marks.locate(("catalog", name))
            case = "names are case-sensitive; " if meant.casefold() == name.casefold() else ""
            none = f"no built-in GPU type {name!r}" if meant in BUILTIN_GPUS else \
                f"no GPU type {name!r} in this catalog or the built-ins"
            out.append(Problem(file, line, f"catalog.{name}", (
                f"{none} (did you mean {meant!r}?): {case}as a new type it would need every "
                "field of a GPU spec")))
    return out


def _trace_dir(doc: Document) -> Path:
    """The folder a relative ``trace.path`` is read from: that of the file that gives it (an
    included file's own folder, a study file's), else the scenario's. It was always the
    top-level file's, so an included trace scenario broke when included from elsewhere (QA).
    A path given on the command line (``--set trace.path=...``) is read from the working
    directory, as any command-line path is: it was read from the scenario's folder, which for a
    built-in scenario is inside the installed package."""
    file, _line = doc.marks.locate(("trace", "path"))
    given = Path(file)
    if given.is_file():
        return given.parent
    return Path.cwd() if file.startswith(OVERRIDE_SOURCE) else doc.source.parent


def _unreadable_trace(exc: ValidationError) -> bool:
    """Did reading the trace fail? Then validation stopped there, before every other field."""
    return any(isinstance(error.get("ctx", {}).get("error"), FieldValueError)
               and error["ctx"]["error"].field == "trace" for error in exc.errors())


NO_JOBS = "give at least one job, or a trace"  # said by a file whose jobs all come from a trace


def _beside_trace(doc: Document, context: dict) -> list[Problem]:
    """The file's other problems when its trace could not be read (a bad row hid a negative
    ``supply_mw``): the file validated again without reading the trace, whose jobs are then
    unknown, so neither the trace nor the jobs it would have added are judged a second time."""
    try:
        Scenario.model_validate(doc.data, context=context)
    except ValidationError as exc:
        return [p for p in validation_problems(exc, doc.marks)
                if p.field != "trace" and not (p.field == "jobs" and p.message == NO_JOBS)]
    return []


def _stray_value(source: str | Path | None, missing: ConfigError) -> str | None:
    """The scenario argument that could not be found, when it may be a ``--set``'s value typed
    after a space: not a file's name (a path, a YAML or JSON suffix) nor a near built-in's."""
    if source is None:
        return None
    text = str(source)
    if any(p.message.endswith("?") for p in missing.problems) or "/" in text or \
            Path(text).suffix.lower() in (".yaml", ".yml", ".json"):
        return None  # a "did you mean ...?" names the likelier slip
    return text


def load_document(source: str | Path | None = None, overrides: Iterable[str] = ()) -> Document:
    """Read a scenario (default: the built-in Colossus-2) and apply overrides, unvalidated."""
    overrides = list(overrides)
    try:
        path = resolve_source(source if source is not None else DEFAULT_SCENARIO)
    except ConfigError as exc:  # every problem at once: a --set without its '=' may be why
        unsplit = unsplit_problems(overrides, _stray_value(source, exc))
        if not unsplit:
            raise
        raise ConfigError([*exc.problems, *unsplit]) from None
    doc = read_document(path)
    data, problems = collect_overrides(doc.data, doc.marks, overrides)
    return Document(data, doc.marks, doc.source, tuple(problems), doc.replaced)
