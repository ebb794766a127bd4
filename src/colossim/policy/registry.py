"""Named policies: the built-ins, third-party ones from the ``colossim.policies`` entry-point
group, and ``module:Class`` paths given in a scenario.

Duplicate names are an error (two packages must not silently shadow each other); an unknown
name gets a "did you mean".
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Mapping
from functools import cache
from importlib.metadata import entry_points
from typing import Any

from pydantic import BaseModel, ValidationError

from colossim.errors import PolicyError
from colossim.policy.api import Policy

ENTRY_POINT_GROUP = "colossim.policies"
BUILTIN_MODULES = (
    "fifo", "priority", "sjf", "srtf", "edf", "las", "backfill",
    "max_min_fair", "finish_time_fair", "elastic_goodput", "power_aware",
)


def _check_policy_class(obj: Any, where: str) -> type:
    if not isinstance(obj, type):
        raise PolicyError(f"{where} is not a class")
    for attr in ("name", "Params", "decide"):
        if not hasattr(obj, attr):
            raise PolicyError(f"{where} is not a policy: it has no {attr!r}")
    if not (isinstance(obj.Params, type) and issubclass(obj.Params, BaseModel)):
        raise PolicyError(f"{where}.Params must be a pydantic model")
    return obj


def _add(table: dict[str, type], cls: type, where: str) -> None:
    name = getattr(cls, "name", "")
    if not name:
        raise PolicyError(f"{where} has an empty name")
    if name in table and table[name] is not cls:
        raise PolicyError(
            f"two policies are named {name!r}: {table[name].__module__} and {where}"
        )
    table[name] = cls


@cache
def available() -> Mapping[str, type]:
    """Every installed policy by name (built-ins first, then entry points)."""
    table: dict[str, type] = {}
    for mod in BUILTIN_MODULES:
        module = importlib.import_module(f"colossim.policy.builtin.{mod}")
        cls = _check_policy_class(module.POLICY, module.__name__)
        _add(table, cls, module.__name__)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            cls = _check_policy_class(ep.load(), f"entry point {ep.name!r} ({ep.value})")
        except PolicyError:
            raise
        except Exception as exc:
            raise PolicyError(f"cannot load policy entry point {ep.name!r}: {exc}") from exc
        _add(table, cls, ep.value)
    return dict(sorted(table.items()))


def _from_path(path: str) -> type:
    module_name, _, attr = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise PolicyError(f"cannot import policy module {module_name!r}: {exc}") from None
    if not hasattr(module, attr):
        raise PolicyError(f"module {module_name!r} has no {attr!r}")
    return _check_policy_class(getattr(module, attr), path)


def policy_class(name: str) -> type:
    """Look up a policy by registered name or ``module:Class`` path."""
    if ":" in name:
        return _from_path(name)
    table = available()
    if name in table:
        return table[name]
    hint = difflib.get_close_matches(name, list(table), n=1)
    suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
    raise PolicyError(
        f"unknown policy {name!r}{suggestion}; installed: {', '.join(table)}"
    )


def validate_params(cls: type, params: Mapping[str, Any]) -> BaseModel:
    """The policy's Params from a mapping; raises pydantic's ValidationError on bad input."""
    return cls.Params.model_validate(dict(params))


def make_policy(name: str, params: Mapping[str, Any] | None = None) -> Policy:
    """Build a ready policy instance."""
    cls = policy_class(name)
    try:
        validated = validate_params(cls, params or {})
    except ValidationError as exc:
        raise PolicyError(f"bad params for policy {name!r}: {exc}") from None
    return cls(validated)
