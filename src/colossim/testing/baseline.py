"""Golden baseline files: summary metrics of a run, the tolerances to judge them by, and a header
saying how the file was produced, so a reviewer can tell a reviewed number from an accident.

A file is JSON (default) or YAML (``.yaml``/``.yml``), with the same keys::

    produced:   {command, colossim, date, test, scenario, policy, seed}
    review:     free text a human wrote about why the numbers are right (kept on update)
    tolerances: {default: {rel, abs}, <metric>: {rel, abs}, ...}
    metrics:    {<metric>: number or null, ...}

A metric passes when ``|actual - baseline| <= max(abs, rel * |baseline|)``. Changes in either
direction fail: a better number is still a changed number and needs a reviewed update.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import math
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from colossim.policy.actions import is_number
from colossim.testing import baseline_yaml
from colossim.testing.metrics import Metrics, sense

FORMAT_KEY = "colossim_baseline"
FORMAT_VERSION = 1
SUFFIXES = (".json", ".yaml", ".yml")


@dataclass(frozen=True)
class Tolerance:
    rel: float = 1e-6
    abs: float = 1e-9

    def allows(self, baseline: float, actual: float) -> bool:
        return abs(actual - baseline) <= max(self.abs, self.rel * abs(baseline))

    def as_dict(self) -> dict[str, float]:
        return {"rel": self.rel, "abs": self.abs}

    def __str__(self) -> str:
        return f"rel {self.rel:g}, abs {self.abs:g}"


DEFAULT = Tolerance()
ToleranceSpec = Mapping[str, Any]


def parse_tolerances(spec: ToleranceSpec | None) -> dict[str, Tolerance]:
    """``{metric: {"rel": r, "abs": a}}``, ``{metric: (r, a)}`` or ``{metric: r}`` → Tolerances.

    The key ``default`` applies to metrics without their own entry.
    """
    if spec is not None and not isinstance(spec, Mapping):
        raise ValueError(f"'tolerances' must map a metric (or a family, or 'default') to "
                         f"{{rel, abs}}, not {type(spec).__name__} {spec!r}")
    return {metric: _tolerance(metric, value) for metric, value in (spec or {}).items()}


def _tolerance(metric: str, value: Any) -> Tolerance:
    if isinstance(value, Tolerance):
        return value
    if isinstance(value, Mapping):
        unknown = set(value) - {"rel", "abs"}
        if unknown:
            raise ValueError(f"tolerance for {metric!r}: unknown keys {sorted(unknown)}")
        return Tolerance(*(_bound(metric, key, value.get(key, 0.0)) for key in ("rel", "abs")))
    if isinstance(value, tuple | list) and len(value) == 2:
        return Tolerance(*(_bound(metric, key, v) for key, v in zip(("rel", "abs"), value,
                                                                     strict=True)))
    if is_number(value):
        return Tolerance(_bound(metric, "rel", value), 0.0)
    raise ValueError(f"tolerance for {metric!r} must be {{rel, abs}}, (rel, abs) or rel, "
                     f"not {value!r}")


def _bound(metric: str, key: str, value: Any) -> float:
    """A ``rel`` or ``abs`` bound: a number >= 0 (``null``, ``"0.1"`` or ``true`` is a typo)."""
    if not is_number(value) or not value >= 0:
        raise ValueError(f"tolerance for {metric!r}: {key!r} must be a number >= 0, "
                         f"not {value!r}")
    return float(value)


def tolerance_for(metric: str, tolerances: Mapping[str, Tolerance]) -> Tolerance:
    """A metric's own tolerance, else its family's (``jct_s`` for ``jct_s.llm``), else default."""
    family = metric.split(".")[0]
    return tolerances.get(metric) or tolerances.get(family) or tolerances.get("default") or DEFAULT


# -- files -----------------------------------------------------------------------------------
def find(directory: Path, name: str) -> Path:
    """The existing file for ``name`` in any supported format, else the JSON path to create."""
    for suffix in SUFFIXES:
        candidate = directory / f"{name}{suffix}"
        if candidate.exists():
            return candidate
    return directory / f"{name}.json"


def _yaml():
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.width = 4096  # a long value (the produced command) on one line, as JSON writes it
    # in the document's order, as JSON files are: a header first, the metrics as reviewed
    yaml.representer.sort_base_mapping_type_on_output = False
    return yaml


# Numbers JSON cannot hold are written as these strings (standard JSON stays standard) and read
# back as floats, so a metric that is infinite or NaN matches its own baseline.
NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _encoded(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def read(path: Path) -> dict[str, Any]:
    """A baseline file, checked: a file it cannot use is named in the error."""
    text = path.read_text(encoding="utf-8-sig")  # a BOM, as Windows editors write, is no error
    try:
        data = _yaml_load(text) if path.suffix in (".yaml", ".yml") else _json(text)
    except Exception as exc:  # json's or ruamel's parse error: say which file
        conflict = any(line.startswith(("<<<<<<<", ">>>>>>>")) for line in text.splitlines())
        cut = not text.strip() or (path.suffix == ".json" and text.rstrip()[-1:] != "}")
        why = ("a merge conflict: resolve it, or delete the file and re-create it" if conflict
               else "empty or cut short?" if cut  # (a YAML file need not end in "}")
               else "edited by hand?")  # the conflict hint was given for any error (QA)
        raise ValueError(f"colossim baseline {path} cannot be read: {exc} ({why}; re-create it "
                         "as the docs say if in doubt)") from None
    if not isinstance(data, dict) or not isinstance(data.get("metrics"), dict):
        raise ValueError(f"{path} is not a colossim baseline file (no 'metrics' mapping)")
    try:
        _check_header(data)
        parse_tolerances(data.get("tolerances"))
    except ValueError as exc:
        raise ValueError(f"colossim baseline {path}: {exc}") from None
    data["metrics"] = {k: NON_FINITE.get(v, v) if isinstance(v, str) else v
                       for k, v in data["metrics"].items()}
    for metric, value in data["metrics"].items():
        if is_number(value) and not _fits_a_float(value):  # QA: an OverflowError traceback
            raise ValueError(f"colossim baseline {path}: metric {metric!r} is a number of "
                             f"{len(str(abs(int(value))))} digits, beyond any a run can "
                             "produce (edited by hand?)")
    return data


def _fits_a_float(value: numbers.Real) -> bool:
    try:
        float(value)
    except OverflowError:
        return False
    return True


def _yaml_load(text: str) -> Any:
    """YAML, a key given twice said as the JSON reader says it, with its lines: ruamel's own
    message advised a URL on how to suppress the check (QA)."""
    try:
        return _yaml().load(text)
    except Exception as exc:
        found = re.match(r'found duplicate key "(.*?)"', getattr(exc, "problem", None) or "")
        if found is None:
            raise
        key, line, rows = found.group(1), exc.problem_mark.line, text.splitlines()
        first = exc.context_mark.line if exc.context_mark is not None else 0  # its mapping
        indent = len(rows[line]) - len(rows[line].lstrip())
        same = re.compile(rf"^ {{{indent}}}[\"']?{re.escape(key)}[\"']?\s*:")
        lines = [n + 1 for n in range(first, line + 1) if same.match(rows[n])]
        raise ValueError(f"duplicate key {key!r} (lines {', '.join(map(str, lines))})") from None


def _json(text: str) -> Any:
    """JSON, refusing a key given twice in one object (json keeps the last one silently; the
    YAML reader refuses it), with the lines the key is on."""

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                lines = [text.count("\n", 0, m.start()) + 1 for m in
                         re.finditer(rf'"{re.escape(key)}"\s*:', text)]
                raise ValueError(f"duplicate key {key!r} (lines {', '.join(map(str, lines))})")
            seen[key] = value
        return seen

    return json.loads(text, object_pairs_hook=unique)


def _check_header(data: Mapping[str, Any]) -> None:
    """The format and the ``produced`` header, which the messages about a failure read."""
    version = data.get(FORMAT_KEY, FORMAT_VERSION)  # hand-written files may leave it out
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValueError(f"{FORMAT_KEY!r} must be a whole number (the file's format, "
                         f"{FORMAT_VERSION}), not {version!r}")
    if version > FORMAT_VERSION:
        raise ValueError(f"the file is in format {version}; this colossim reads format "
                         f"{FORMAT_VERSION} and older: upgrade colossim, or re-create the file")
    produced = data.get("produced")
    if produced is not None and not isinstance(produced, Mapping):
        raise ValueError("'produced' must be a mapping (command, colossim, date, test, "
                         f"scenario, policy, seed), not {produced!r}")


def dumps(path: Path, data: Mapping[str, Any], previous: str | None = None) -> str:
    """The file's text. A YAML file updated from its ``previous`` text keeps what a human put
    there: its comments and the order of its keys; only the values change, keys the document
    no longer has go (with the comment lines above them), new ones come in the document's
    order (rules: ``baseline_yaml``). A new file (or JSON, which has no comments) is written
    afresh."""
    data = {**data, "metrics": {k: _encoded(v) for k, v in data["metrics"].items()}}
    if path.suffix in (".yaml", ".yml"):
        if previous is not None:
            return baseline_yaml.update(previous, data)
        buffer = io.StringIO()
        _yaml().dump(dict(data), buffer)
        return buffer.getvalue()
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


def produced_header(command: str, test: str, about: Mapping[str, Any]) -> dict[str, Any]:
    from colossim import __version__

    return {
        "command": command,
        "colossim": __version__,
        "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d"),
        "test": test,
        **about,
    }


def document(
    old: Mapping[str, Any] | None,
    metrics: Metrics,
    tolerances: Mapping[str, Tolerance],
    produced: Mapping[str, Any],
) -> dict[str, Any]:
    """A baseline document; keys a human added to the old one (``review``, ...) are kept."""
    out: dict[str, Any] = {FORMAT_KEY: FORMAT_VERSION, "produced": dict(produced)}
    for key, value in (old or {}).items():
        if key not in (FORMAT_KEY, "produced", "tolerances", "metrics"):
            out[key] = value
    out["tolerances"] = {k: t.as_dict() for k, t in sorted(tolerances.items())}
    out["metrics"] = dict(metrics)
    return out


# -- comparing -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    metric: str
    baseline: Any
    actual: Any
    tolerance: Tolerance
    ok: bool
    note: str = ""


def plain_metrics(metrics: Mapping[str, Any]) -> Metrics:
    """Metrics as Python numbers: a test's own metrics may be numpy scalars, which JSON cannot
    write and ``np.float32(1.5)`` must still be judged by tolerance, not as a changed value."""
    return {name: _plain(name, value) for name, value in metrics.items()}


def _plain(name: str, value: Any) -> Any:
    if isinstance(value, str) and value in NON_FINITE:  # QA: read back as the number, it failed
        raise TypeError(f"metric {name!r} is the text {value!r}, which a baseline file stores "
                        "for the number: give the number (float('nan')) or another text")
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, numbers.Integral):
        if not _fits_a_float(value):  # QA: written by an update, refused by the next compare
            raise TypeError(f"metric {name!r} is an integer of {len(str(abs(int(value))))} "
                            "digits, past the largest number a tolerance can compare (about "
                            "1.8e308): scale it, or compare it yourself")
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    item = getattr(value, "item", None)  # numpy's bool_ (not a number to the numbers module)
    if callable(item) and isinstance(plain := item(), bool):
        return plain
    raise TypeError(f"metric {name!r} is {type(value).__name__} {value!r}: a metric must be a "
                    "number, a bool, a string or None")


def compare_one(metric: str, baseline: Any, actual: Any, tol: Tolerance) -> Row:
    if is_number(baseline) and is_number(actual):
        if math.isnan(baseline) or math.isnan(actual):  # no direction to NaN (QA: "worse")
            ok = math.isnan(baseline) and math.isnan(actual)
            return Row(metric, baseline, actual, tol, ok, "" if ok else "changed")
        elif math.isinf(baseline) or math.isinf(actual):
            ok = baseline == actual  # inf - inf is NaN, which no tolerance allows
        else:
            ok = tol.allows(float(baseline), float(actual))
        note = "" if ok else _direction(metric, float(baseline), float(actual))
        return Row(metric, baseline, actual, tol, ok, note)
    ok = baseline == actual
    if not ok and type(baseline) is not type(actual):  # "6600" against 6600.0 read alike
        return Row(metric, baseline, actual, tol, ok,
                   f"changed: {_kind(baseline)} in the baseline, {_kind(actual)} in the run")
    return Row(metric, baseline, actual, tol, ok, "" if ok else "changed")


def _kind(value: Any) -> str:
    """A value with its kind, for values of two kinds that print alike (QA: a baseline's
    quoted "6600" failed against the run's 6600.0 in a row that showed 6600 twice)."""
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return f"the number {value!r}" if is_number(value) else repr(value)


def _direction(metric: str, baseline: float, actual: float) -> str:
    s = sense(metric)
    if s == 0 or actual == baseline:
        return "changed"
    return "better" if (actual - baseline) * s > 0 else "worse"


MISSING = object()


def compare(
    baseline: Mapping[str, Any], actual: Mapping[str, Any], tolerances: Mapping[str, Tolerance]
) -> tuple[list[Row], list[str]]:
    """Rows for every baseline metric, and the names of metrics only the run has (not judged)."""
    rows = []
    for metric, expected in baseline.items():
        tol = tolerance_for(metric, tolerances)
        if metric not in actual:
            rows.append(Row(metric, expected, MISSING, tol, False, "missing from the run"))
        else:
            rows.append(compare_one(metric, expected, actual[metric], tol))
    return rows, [m for m in actual if m not in baseline]


def _fmt(value: Any, digits: int = 6) -> str:
    if value is MISSING:
        return "(missing)"
    if value is None:
        return "-"
    if is_number(value):
        return f"{value:.{digits}g}" if isinstance(value, float) else str(value)
    return str(value)


def _shown(row: Row) -> tuple[str, str]:
    """A row's baseline and actual; a failing row's with as many more significant digits as it
    takes for them to read apart (QA: ``139168  139168 ... FAIL``, 139168.2 at 6 digits). A
    float's 17 always do."""
    for digits in range(6, 18):
        pair = _fmt(row.baseline, digits), _fmt(row.actual, digits)
        if row.ok or pair[0] != pair[1]:
            break
    return pair


def _change(row: Row) -> tuple[str, str]:
    if not (is_number(row.baseline) and is_number(row.actual)) or not (
            math.isfinite(row.baseline) and math.isfinite(row.actual)):
        return "", ""
    diff = row.actual - row.baseline
    return (f"{diff:+.4g}" if diff else "0"), _relative(diff, row.baseline)


def _relative(diff: float, baseline: float) -> str:
    """The change relative to the baseline: a percentage, or under 0.01 % a fraction in
    scientific notation, as the tolerance's ``rel`` is written (QA: a change that failed the
    default ``rel 1e-06`` read "+0.00%")."""
    if not baseline:
        return ""
    rel = diff / abs(baseline)
    return f"{rel:+.2g}" if rel and abs(rel) < 1e-4 else f"{rel:+.2%}"


def _judged_by(row: Row) -> str:
    """The tolerance column: the tolerance numbers were judged by, ``equal`` for a bool, a text
    or a null, which are compared for equality (QA: their rows showed an unused tolerance)."""
    values = [value for value in (row.baseline, row.actual) if value is not MISSING]
    return str(row.tolerance) if all(map(is_number, values)) else "equal"


def diff_table(rows: list[Row], title: str, new_metrics: list[str] = ()) -> str:
    """A fixed-width table of every compared metric, the failing ones flagged and listed first
    (QA: the one failing row of a 40-job scenario was the 55th of 91 lines in a CI log)."""
    header = ("metric", "baseline", "actual", "change", "rel", "tolerance", "status")
    body = []
    for row in sorted(rows, key=lambda r: r.ok):  # stable: each group keeps its order
        change, rel = _change(row)
        status = "ok" if row.ok else f"FAIL ({row.note})"
        body.append((row.metric, *_shown(row), change, rel, _judged_by(row), status))
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = [title]
    for i, cells in enumerate([header, *body]):
        padded = (c.ljust(w) if j in (0, 5, 6) else c.rjust(w)
                  for j, (c, w) in enumerate(zip(cells, widths, strict=True)))
        lines.append("  ".join(padded).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    if new_metrics:
        lines.append(f"not in the baseline (not compared): {', '.join(new_metrics)}")
    return "\n".join(lines)
