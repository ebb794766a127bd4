"""Why a number a policy gave (a wake time, a power cap) is refused, in words that fit it.

One check serves both actions, so they agree on what a number is: a real number, Python's or
numpy's, that is finite and not a bool. NaN compares false with everything and infinity passes
every "at least" test, so both are named before the action's own bounds would misread them
(a cap of NaN read "below the lowest cap"; a cap of infinity was applied and recorded as null,
the record of lifting a cap).
"""

from __future__ import annotations

import math

from colossim.policy.actions import is_number


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
        reason = f"wake time t={time_s:g} s is not in the future (now t={now_s:g} s)"
    return reason
