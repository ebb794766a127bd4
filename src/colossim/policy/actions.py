"""What a policy may ask for. The engine validates each action and records a verdict.

Actions are plain frozen values; a policy never touches state. A ``grant`` is a tuple of
``(rack index, GPUs)`` pairs, usually built by a placer from ``colossim.policy.placement``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from numbers import Integral, Real

from colossim.model.cluster import Grant

__all__ = [
    "Action", "Grant", "Preempt", "Reject", "Resize", "SetPowerCap", "Start", "Verdict", "WakeAt",
]


@dataclass(frozen=True, slots=True)
class Start:
    """Start a pending job on exactly these GPUs."""

    job: str
    grant: Grant


@dataclass(frozen=True, slots=True)
class Resize:
    """Move a running job to a new set of GPUs (its whole new allocation)."""

    job: str
    grant: Grant


@dataclass(frozen=True, slots=True)
class Preempt:
    """Stop a running job and return it to the queue; its progress is kept."""

    job: str


@dataclass(frozen=True, slots=True)
class Reject:
    """Refuse a pending job for good."""

    job: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class SetPowerCap:
    """Cap every GPU of a job at ``watts_per_gpu`` (None lifts the policy's cap).

    DVFS slows the job as ``docs/power.md`` describes; a cap below what a GPU can honour at its
    lowest clock is invalid. The cap stays with the job (across preemptions) until changed.
    """

    job: str
    watts_per_gpu: float | None


@dataclass(frozen=True, slots=True)
class WakeAt:
    """Call the policy again at ``time_s`` even if nothing else happens (round-based designs)."""

    time_s: float


Action = Start | Resize | Preempt | Reject | SetPowerCap | WakeAt
ACTIONS = (Start, Resize, Preempt, Reject, SetPowerCap, WakeAt)


def action_type(value: object) -> type | None:
    """Which action ``value`` is: one of ``ACTIONS`` or a subclass of one (a policy's own
    ``Start`` carrying a note is a start, recorded as one), else None. QA: a subclass of
    ``Start`` was refused as "not an action" while one of ``WakeAt`` was applied, and recorded
    under its own name with no time (the record read the subclass's slots only)."""
    return next((cls for cls in type(value).__mro__ if cls in ACTIONS), None)


class Verdict(StrEnum):
    """What became of an action."""

    APPLIED = "applied"
    INFEASIBLE = "infeasible"  # valid, but the cluster cannot do it now (e.g. GPUs taken)
    INVALID = "invalid"  # breaks the contract (unknown job, wrong state, bad grant)


def is_number(value: object) -> bool:
    """A real number, Python's or numpy's, but not a bool: ``True`` is an int to Python, never a
    time or a wattage to a policy author."""
    return isinstance(value, Real) and not isinstance(value, bool)


def shown(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, for reasons and records."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def plain(value: object) -> object:
    """``value`` as a plain JSON-able Python value for the record: numpy numbers become ``int``
    or ``float`` (``json`` cannot write an ``np.int64``), anything else not plain its ``shown``
    text (a refused action keeps what it was, and ``--out`` can still write it)."""
    if value is None or type(value) in (str, int, float, bool):
        return value
    if isinstance(value, str):
        return str(value)
    if is_number(value):
        return int(value) if isinstance(value, Integral) else float(value)  # type: ignore[arg-type]
    return shown(value)


def describe(action: Action) -> dict[str, object]:
    """A description of an action for the record, of plain JSON-able values (``plain``)."""
    kind = action_type(action) or type(action)
    out: dict[str, object] = {"action": kind.__name__.lower()}
    for name in kind.__slots__:  # type: ignore[attr-defined]
        value = getattr(action, name)
        if name == "grant":
            try:
                out["gpus"] = plain(sum(n for _, n in value))  # unpacks: a bad pair raises
                out["racks"] = len(value)
            except (TypeError, ValueError):  # not pairs: the verdict says so; keep what it was
                out["grant"] = repr(value)
        else:
            out[name] = plain(value)
    return out


def said(action: Mapping[str, object]) -> str:
    """A recorded action (``describe``'s dict) in a few words for messages: "start of 'llm-8b'",
    "wake at t=3600 s" (a wake-up names no job, so it never reads "wakeat of '?'")."""
    kind = str(action.get("action", "action"))
    if kind == "wakeat":
        time_s = action.get("time_s")
        return f"wake at t={time_s:g} s" if is_number(time_s) else f"wake at t={time_s!r}"
    return f"{kind} of {action['job']!r}" if "job" in action else kind
