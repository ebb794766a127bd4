"""pydantic's error records → short messages that say what to fix.

pydantic's own wording ("Input should be greater than or equal to 0") is written for Python
callers; a scenario author wants the rule and the value they wrote ("must be >= 0, got -4").
Unknown error types fall back to pydantic's message, so nothing is ever lost.
"""

from __future__ import annotations

import math
import re
from typing import Any

from pydantic_core import ErrorDetails

from colossim.config.crosscheck import did_you_mean

_KIND = {dict: "a mapping", list: "a list", tuple: "a list", str: "text", bool: "a boolean"}


def figure(x: float) -> str:
    """A figure in a sentence: whole and grouped from 100 up ("3,600", "1,000", where ".3g" gave
    "1e+03"), else 3 significant digits ("0.5", where ",.0f" gave "0"); from 10^15 up, or not
    finite, in powers of ten ("1e+300", where ",.0f" wrote 301 digits: QA)."""
    if not math.isfinite(x) or abs(x) >= 1e15:
        return f"{x:.3g}"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def shown(value: Any) -> str:
    """How a value the user wrote is shown in a message: as YAML would spell it."""
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "null"
    if isinstance(value, dict | list | tuple):
        return _KIND[type(value)]
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _bound(err: ErrorDetails, op: str, key: str) -> str:
    limit = (err.get("ctx") or {}).get(key)
    if isinstance(limit, float) and limit.is_integer():
        limit = int(limit)  # "> 0", not "> 0.0", whichever way the schema spelled it
    return f"must be {op} {limit}, got {shown(err.get('input'))}"


def _choices(err: ErrorDetails) -> str:
    """'expected one of a, b; got x' with a 'did you mean' for enums and literals."""
    expected = str((err.get("ctx") or {}).get("expected", ""))
    options = re.findall(r"'([^']*)'", expected) or [expected]
    value = err.get("input")
    msg = f"expected one of {', '.join(options)}; got {shown(value)}"
    if isinstance(value, str):
        same = [o for o in options if o.lower() == value.lower()]  # FP8 for fp8
        hint = f" (did you mean {same[0]!r}?)" if same else did_you_mean(value, options)
        if hint.startswith(" ("):
            msg += hint
    return msg


WHOLE_NUMBER = "expected a whole number"  # an integer field's complaint (study hints key on it)
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1  # pydantic converts a float to int only within these


def friendly(err: ErrorDetails) -> str:
    """One short message for one pydantic error (unknown keys are the loader's business)."""
    kind = err["type"]
    got = shown(err.get("input"))
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return "required field missing"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{WHOLE_NUMBER}, got {got}"
    if kind == "int_parsing_size":  # 1e20: a float beyond 64 bits ("Unable to parse input string")
        return f"{WHOLE_NUMBER} from {INT64_MIN} to {INT64_MAX}, got {got}"
    if kind in ("float_type", "float_parsing"):
        return f"expected a number, got {got}"
    if kind == "finite_number":
        return f"expected a finite number, got {got}"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false, got {got}"
    if kind == "string_type":
        return f"expected text, got {got} (put it in quotes)"
    if kind == "greater_than":
        return _bound(err, ">", "gt")
    if kind == "greater_than_equal":
        return _bound(err, ">=", "ge")
    if kind == "less_than":
        return _bound(err, "<", "lt")
    if kind == "less_than_equal":
        return _bound(err, "<=", "le")
    if kind in ("enum", "literal_error"):
        return _choices(err)
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        named = isinstance(err.get("input"), str) and err.get("loc", ())[-1:] == ("policy",)
        hint = f" (a policy is a block: policy: {{name: {err['input']}}})" if named else ""
        return f"expected a mapping (key: value lines), got {got}{hint}"
    if kind in ("tuple_type", "list_type"):
        return f"expected a list (lines starting with '- '), got {got}"
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return f"needs at least {n} item{'s' * (n != 1)}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "value_error":
        return str(err["msg"]).removeprefix("Value error, ")
    return str(err["msg"])
