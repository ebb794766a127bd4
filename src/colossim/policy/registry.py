"""Named policies: the built-ins, third-party ones from the ``colossim.policies`` entry-point
group, and ``module:Class`` paths given in a scenario.

One broken plugin must not break the others or the built-ins: an entry point that cannot be
loaded, or that names its policy like a built-in, is skipped with a ``PolicyWarning`` (one
``warning:`` line from any command that looks policies up); asking for it by name says why it
is missing. Two plugins giving one
name make that name an error where it is used (neither silently shadows the other). An unknown
name gets a "did you mean".
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import os
import re
import sys
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from typing import Any

from pydantic import BaseModel, ValidationError

from colossim.errors import (
    ColossimError,
    ColossimWarning,
    PolicyError,
    PolicyFailure,
    raised_at,
    raised_in_package,
    what_raised,
)
from colossim.policy.api import Policy

ENTRY_POINT_GROUP = "colossim.policies"
BUILTIN_MODULES = (
    "fifo", "priority", "sjf", "srtf", "edf", "las", "backfill",
    "max_min_fair", "finish_time_fair", "elastic_goodput", "power_aware",
)
# A built-in policy's name is its module's with hyphens ("max_min_fair": "max-min-fair"), so
# the registry knows every built-in name without importing the eleven modules (a run needs one)
BUILTIN_NAMES = {module.replace("_", "-"): module for module in BUILTIN_MODULES}


def _check_policy_class(obj: Any, where: str, built: bool = True) -> type:
    """``obj`` if it is a policy class (``built``: one colossim will construct), else a
    ``PolicyError`` saying what it lacks."""
    if not isinstance(obj, type):
        raise PolicyError(f"{where} is not a class")
    for attr in ("name", "Params", "decide"):
        if not hasattr(obj, attr):
            raise PolicyError(f"{where} is not a policy: it has no {attr!r}")
    if not (isinstance(obj.Params, type) and issubclass(obj.Params, BaseModel)):
        raise PolicyError(f"{where}.Params must be a pydantic model")
    read = getattr(obj, "params_read", None)
    missing = [f for f in (read() if callable(read) else ()) if f not in obj.Params.model_fields]
    if missing:
        base = next(c for c in obj.__mro__ if c.__module__ == "colossim.policy.staged")
        raise PolicyError(f"{where}.Params lacks {', '.join(map(repr, missing))}, which "
                          f"{base.__name__} reads: derive it from {base.Params.__name__} "
                          f"(colossim.policy.staged), as class Params({base.Params.__name__}): "
                          "...")
    _name_of(obj, where)
    if built and _constructor_arguments(obj) is None:  # at load (exit 2), not when the run
        # starts, with a message pointing into colossim (QA)
        raise PolicyError(f"{where} cannot be built: colossim builds a policy as "
                          "Class(params), its validated Params, or Class() when the "
                          f"constructor takes nothing; its constructor takes "
                          f"{inspect.signature(obj)}")
    return obj


def _constructor_arguments(cls: type) -> int | None:
    """How ``build_policy`` calls the class: 1, as ``cls(params)``; 0, as ``cls()`` (the
    contract, a ``name``, a ``Params`` model and ``decide``, says nothing of a constructor,
    and a plain class without one could not be built: QA); None when it can take neither. A
    constructor with no signature to read (a C extension's) is given the params."""
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        return 1
    for args in ((None,), ()):
        try:
            signature.bind(*args)
        except TypeError:
            continue
        return len(args)
    return None


class PolicyWarning(ColossimWarning):
    """A third-party policy was skipped; the others and the built-ins work."""


@dataclass(frozen=True)
class Installed:
    """What the registry found: usable policies, and the entry points it could not use."""

    policies: Mapping[str, type]  # by name, sorted
    skipped: Mapping[str, str]  # entry point name -> why it was skipped
    clashes: Mapping[str, str]  # policy name two plugins share -> which they are
    aliases: Mapping[str, str]  # entry point name -> the name its policy goes by, where they differ


def _name_of(cls: type, where: str) -> str:
    """The name a policy goes by in results and tables: a class given by path without one ran
    as policy '' (plugins were refused, paths were not)."""
    name = getattr(cls, "name", "")
    if not isinstance(name, str) or not name.strip():
        raise PolicyError(f"{where} has an empty name: give the class one (name = "
                          "\"my-policy\"); results name a registered policy, or an instance "
                          "given from Python, by it")
    return name


def _builtin(name: str) -> type:
    """The built-in policy ``name`` (a key of ``BUILTIN_NAMES``), its module imported now."""
    module = importlib.import_module(f"colossim.policy.builtin.{BUILTIN_NAMES[name]}")
    cls = _check_policy_class(module.POLICY, module.__name__)
    if _name_of(cls, module.__name__) != name:
        raise PolicyError(f"{module.__name__} names its policy {cls.name!r}: a built-in goes by "
                          f"its module's name, {name!r}")
    return cls


class _Policies(Mapping[str, type]):
    """Usable policies by name, in name order, as a dict of them would be; a built-in's module
    is imported when its class is first asked for. Looking a name up or listing the names
    imports no built-in: a run needs one of the eleven, and importing the other ten (and
    building their params models) took ~30 ms of every command's start-up."""

    def __init__(self, plugins: Mapping[str, type]):
        self._plugins = dict(plugins)  # never a built-in's name: those plugins are skipped
        self._names = sorted([*BUILTIN_NAMES, *self._plugins])

    def __getitem__(self, name: str) -> type:
        if name in self._plugins:
            return self._plugins[name]
        if name in BUILTIN_NAMES:
            return _builtin(name)
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return name in self._plugins or name in BUILTIN_NAMES

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __repr__(self) -> str:
        return repr(dict(self))


@cache
def installed() -> Installed:
    """Built-ins (by name: ``_Policies`` imports one when it is used), then entry points; a
    plugin that cannot be used is skipped with a warning (once per process: the result is
    kept)."""
    table: dict[str, type] = {}  # the plugins' policies
    builtin = set(BUILTIN_NAMES)
    skipped: dict[str, str] = {}
    sources: dict[str, list[str]] = {}
    aliases: dict[str, str] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        where = f"entry point {ep.name!r} ({ep.value})"
        try:
            cls = _check_policy_class(ep.load(), where)
            name = _name_of(cls, where)
        except Exception as exc:  # a plugin's import error, or not a policy: skip that one
            skipped[ep.name] = f"{ep.value} cannot be loaded: {_raised(exc)}"
            continue
        if name in builtin:
            skipped[ep.name] = (f"{ep.value} names its policy {name!r}, the name of a "
                                "built-in policy")
            continue
        if ep.name != name:
            aliases[ep.name] = name
        if name in table and table[name] is not cls:
            sources[name].append(ep.value)
            continue
        table[name] = cls
        sources[name] = [ep.value]
    clashes = {name: " and ".join(where) for name, where in sources.items() if len(where) > 1}
    for name in clashes:
        del table[name]
    for ep_name, why in skipped.items():
        warnings.warn(f"policy entry point {ep_name!r} skipped: {why}", PolicyWarning,
                      stacklevel=2)
    for name, where in clashes.items():
        warnings.warn(f"two policies are named {name!r} ({where}); neither can be used by "
                      "that name", PolicyWarning, stacklevel=2)
    return Installed(_Policies(table), skipped, clashes, aliases)


def available() -> Mapping[str, type]:
    """Every usable installed policy by name (built-ins and entry points), sorted."""
    return installed().policies


def _why_missing(name: str, found: Installed) -> str | None:
    """Why a name that is not a usable policy is missing, when the registry knows."""
    if name in found.clashes:
        return f"two policies are named {name!r} ({found.clashes[name]}); uninstall one"
    if name in found.skipped:
        return f"policy entry point {name!r} was skipped: {found.skipped[name]}"
    if name in found.aliases:
        real = found.aliases[name]
        said = (f"the entry point {name!r} registers its policy as {real!r} (the class's name)")
        if real in found.clashes:  # QA: "use that name" led straight to the clash's refusal
            return (f"{said}, but {_why_missing(real, found)}: then this entry point's policy "
                    f"is {real!r}")
        return f"{said}; use that name"
    return None


def _import(module_name: str):
    """Import a policy's module, finding it in the current folder too: ``colossim`` started as
    a console script does not put that folder on the path as ``python -m`` does, and a policy
    file next to the scenario is the first thing a new user writes."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        here = os.getcwd()
        top = module_name.partition(".")[0]
        if exc.name != top or here in sys.path or "" in sys.path:
            raise
    sys.path.append(here)  # after everything installed: it can only add, never shadow
    return importlib.import_module(module_name)


def _raised(exc: BaseException) -> str:
    """What loading a policy's module raised, and where: the same for a ``module:Class`` path
    and an entry point (an entry point's ``NameError`` lost its type and line: QA)."""
    if isinstance(exc, SyntaxError):  # the commonest slip in a new policy file
        return f"{exc.msg} at {exc.filename}:{exc.lineno}"
    if isinstance(exc, ImportError | PolicyError):  # "No module named ...", "not a policy"
        return str(exc)
    return f"it raised {what_raised(exc)}{raised_in_package(exc)}"  # its top level raised


def _a_file(name: str) -> bool:
    return name.endswith(".py") or "/" in name or "\\" in name


def _file_given(path: str, file: str, attr: str) -> PolicyError:
    """A policy named by its file (``my_policies.py:LargestFirst``, ``./pols/my.py``, a Windows
    path): the module:Class form to use instead (it said "'my_policies' is not a package", or
    an importlib TypeError; QA)."""
    stem = re.split(r"[\\/]", file)[-1].removesuffix(".py")
    return PolicyError(f"policy {path!r}: give the module's name, not its file: "
                       f"'{stem}:{attr}' (from the folder that holds {stem}.py, or with that "
                       "folder on PYTHONPATH)")


def _from_path(path: str) -> type:
    module_name, _, attr = path.rpartition(":")  # the last colon: a Windows path has one more
    if not module_name.strip() or not attr.strip():
        raise PolicyError(f"policy {path!r}: a path names a module and a class, as "
                          "'my_policies:LargestFirst'")
    if _a_file(module_name):
        raise _file_given(path, module_name, attr)
    try:
        module = _import(module_name)
    except (Exception, SystemExit) as exc:  # its top level raised (or exited): say where
        raise PolicyError(f"cannot import policy module {module_name!r}: {_raised(exc)}"
                          ) from None
    if not hasattr(module, attr):
        classes = [n for n, v in vars(module).items() if isinstance(v, type)]
        raise PolicyError(f"module {module_name!r} has no {attr!r}"
                          f"{_did_you_mean(attr, classes)}")
    return _check_policy_class(getattr(module, attr), path)


def _did_you_mean(name: str, known: list[str]) -> str:
    """" (did you mean 'fifo'?)" for the closest of ``known``, case aside (``FIFO``), or ""."""
    by_folded = {k.casefold(): k for k in known}
    hint = difflib.get_close_matches(name.casefold(), list(by_folded), n=1)
    return f" (did you mean {by_folded[hint[0]]!r}?)" if hint else ""


def policy_class(name: str) -> type:
    """Look up a policy by registered name or ``module:Class`` path."""
    if ":" in name:
        return _from_path(name)
    found = installed()
    table = found.policies
    if name in table:
        return table[name]
    why = _why_missing(name, found)
    if why is not None:
        raise PolicyError(why)
    if _a_file(name):  # my_policies.py, with no class
        raise _file_given(name, name, "ClassName")
    suggestion = _did_you_mean(name, list(table))
    if not suggestion and "." in name:  # my_policies.LargestFirst: a path, with a dot
        module, _, attr = name.rpartition(".")
        suggestion = f" (did you mean '{module}:{attr}'? a policy in a module is module:Class)"
    raise PolicyError(
        f"unknown policy {name!r}{suggestion}; installed: {', '.join(table)}"
    )


def validate_params(cls: type, params: Mapping[str, Any]) -> BaseModel:
    """The policy's Params from a mapping; raises pydantic's ValidationError on bad input.

    Unknown keys are refused unless the model says what to do with them: pydantic's default
    drops them, so a plugin whose Params is a plain ``BaseModel`` lost a misspelt parameter
    without a word (QA), where the built-ins' say "unknown field" and "did you mean"."""
    model = cls.Params
    if model.model_config.get("extra") is None:
        known = _accepted_keys(model)
        unknown = [key for key in params if key not in known]
        if unknown:
            raise ValidationError.from_exception_data(model.__name__, [
                {"type": "extra_forbidden", "loc": (key,), "input": params[key]}
                for key in unknown])
    return model.model_validate(dict(params))


def _accepted_keys(model: type[BaseModel]) -> set[str]:
    """The top-level keys a params model reads: aliases, the first key of each alias choice or
    alias path (``AliasChoices("k", "kk")`` takes ``kk`` too: review), and the names of fields
    without an alias, or of every field where the model populates by name (pydantic drops a
    renamed field's own name otherwise, which was let through: review)."""
    from pydantic import AliasChoices, AliasPath

    def firsts(alias: Any) -> list[Any]:
        if isinstance(alias, AliasChoices):
            return [key for choice in alias.choices for key in firsts(choice)]
        if isinstance(alias, AliasPath):
            return alias.path[:1]
        return [alias]

    config = model.model_config
    by_name = config.get("populate_by_name") or config.get("validate_by_name")
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        if by_name or (field.alias is None and field.validation_alias is None):
            keys.add(name)  # a field an alias renames takes its own name only if the model says
        keys.update(k for k in (field.alias, *firsts(field.validation_alias))
                    if isinstance(k, str))
    return keys


def make_policy(name: str, params: Mapping[str, Any] | None = None) -> Policy:
    """Build a ready policy instance."""
    return build_policy(policy_class(name), params, name)


def checked_class(cls: Any, built: bool = True) -> type:
    """A policy class given as an object (tests, notebooks), checked as a looked-up one is
    (``built=False``: the class of an instance the caller built, whatever its constructor)."""
    return _check_policy_class(cls, f"{getattr(cls, '__qualname__', cls)!r}", built)


def checked_params(cls: type, params: Mapping[str, Any], name: str) -> BaseModel:
    """``validate_params``, a validator of the policy's own that raises anything but the
    errors pydantic wraps (``ValueError``, ``AssertionError``) turned into a ``PolicyFailure``
    naming its line: the loader met it as a traceback (QA: a check raising RuntimeError)."""
    try:
        return validate_params(cls, params)
    except ValidationError:
        raise
    except Exception as exc:
        raise PolicyFailure(f"policy {name!r}: checking its params raised "
                            f"{what_raised(exc)}{raised_at(exc)}") from exc


def build_policy(cls: type, params: Mapping[str, Any] | None = None,
                 name: str | None = None) -> Policy:
    """An instance of the policy class ``cls``, its params validated (``name`` in messages)."""
    name = name or f"{cls.__module__}:{cls.__qualname__}"
    try:
        validated = checked_params(cls, params or {}, name)
    except ValidationError as exc:  # worded as in a scenario file, "did you mean" included
        from colossim.config.loader import validation_problems
        from colossim.config.yamlmarks import Marks

        problems = validation_problems(exc, Marks(), model=cls.Params)
        detail = "; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in problems)
        raise PolicyError(f"bad params for policy {name!r}: {detail}") from None
    try:
        if _constructor_arguments(cls) != 0:
            return cls(validated)
        policy = cls()  # the params then set on the instance
        policy.params = validated
        return policy
    except ColossimError:
        raise
    except Exception as exc:  # the policy's own code failed: a run failure, named as such
        raise PolicyFailure(f"policy {name!r} could not be built: {type(exc).__name__}: "
                            f"{exc}{raised_at(exc)}") from exc

