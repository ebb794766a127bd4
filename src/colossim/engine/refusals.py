"""Why what a policy gave is refused, in words that fit it: a number (a wake time, a power cap),
or what ``decide`` returned.

One check serves both actions, so they agree on what a number is: a real number, Python's or
numpy's, that is finite and not a bool. NaN compares false with everything and infinity passes
every "at least" test, so both are named before the action's own bounds would misread them
(a cap of NaN read "below the lowest cap"; a cap of infinity was applied and recorded as null,
the record of lifting a cap).
"""

from __future__ import annotations

import math
from collections.abc import ItemsView, Iterable, KeysView, Mapping
from collections.abc import Set as AbstractSet

from colossim.policy.actions import Action, is_number, shown

LIST_HINT = "return a list of actions (an empty one to do nothing)"


def number_refusal(value: object, what: str) -> str | None:
    """Why ``value`` is not a finite number, as "``what`` ... is not a number" or "must be
    finite", or None when it is one."""
    if not is_number(value):
        return f"{what} {value!r} is not a number"
    try:
        as_float = float(value)  # type: ignore[arg-type]
    except OverflowError:  # an int beyond any float
        as_float = math.inf
    if math.isnan(as_float):
        return f"{what} is not a number (NaN)"
    if math.isinf(as_float):
        return f"{what} must be finite, not {as_float:g}"
    return None


def wake_refusal(time_s: object, now_s: float) -> str | None:
    """Why a ``WakeAt(time_s)`` is invalid at ``now_s``, or None when it is fine."""
    reason = number_refusal(time_s, "wake time")
    if reason is None and time_s <= now_s:  # type: ignore[operator]
        reason = (f"wake time t={float(time_s):g} s is not in the future "  # type: ignore[arg-type]
                  f"(now t={now_s:g} s)")  # float(): a Fraction has no :g format
    return reason


def returned_refusal(decided: object) -> str | None:
    """Why what ``decide`` returned is not a list of actions, or None when it can be read as one
    (any iterable: a list, a tuple, a generator). A str or a mapping is iterable too, but into
    characters or keys, each then refused as "not an action" until the run stalls."""
    if decided is None:
        return f"decide returned None; {LIST_HINT}"
    if isinstance(decided, Action):
        return f"decide returned a single action, {shown(decided)}; wrap it in a list: [action]"
    if isinstance(decided, AbstractSet) and not isinstance(decided, KeysView | ItemsView):
        # QA: two starts on one rack in a set, and which won changed with PYTHONHASHSEED, and
        # with it the makespan (a dict's keys are a set too, but in the dict's order)
        return (f"decide returned a {type(decided).__name__}, whose order changes from one "
                "process to the next (Python's hash seed): which of its actions is applied first "
                f"must not; {LIST_HINT}")
    if isinstance(decided, str | bytes | bytearray | Mapping) or not (
            isinstance(decided, Iterable) or hasattr(decided, "__getitem__")):
        kind = type(decided).__name__
        article = "an" if kind[:1] in "aeiou" else "a"
        return (f"decide returned {article} {kind}, {shown(decided)}, not a list of actions; "
                f"{LIST_HINT}")
    return None
