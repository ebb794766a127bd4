"""A refused ``WakeAt`` says why in words that fit it: NaN is not a number (it compares false with
everything, so it used to read "not in the future"), a past time is named with the current one,
and messages about the recorded action say "wake at t=..." (a wake-up names no job)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from colossim.engine.refusals import wake_refusal
from colossim.policy.actions import WakeAt, describe, said
from colossim.policy.builtin.fifo import POLICY as BuiltinFifo
from colossim.testing.invariants import result_problems
from colossim.testing.runner import run_policy
from tests.policy.factories import pool_job, pool_scenario


@pytest.mark.parametrize(("time_s", "now_s", "why"), [
    (math.nan, 10.0, "wake time is not a number (NaN)"),
    (5.0, 10.0, "wake time t=5 s is not in the future (now t=10 s)"),
    (10.0, 10.0, "wake time t=10 s is not in the future (now t=10 s)"),
    ("soon", 0.0, "wake time 'soon' is not a number"),
    (None, 0.0, "wake time None is not a number"),
    (True, 0.0, "wake time True is not a number"),
    (False, -1.0, "wake time False is not a number"),
    (math.inf, 10.0, "wake time must be finite, not inf"),  # was applied, recorded as null
    (-math.inf, 10.0, "wake time must be finite, not -inf"),
    (np.float64(np.inf), 10.0, "wake time must be finite, not inf"),
    (10**400, 10.0, "wake time must be finite, not inf"),
    (Fraction(5), 10.0, "wake time t=5 s is not in the future (now t=10 s)"),  # was a TypeError
])
def test_a_wake_time_that_cannot_be_honoured_says_why(time_s, now_s, why):
    assert wake_refusal(time_s, now_s) == why


@pytest.mark.parametrize("time_s", [10.5, 11, np.float64(11.0), np.int64(11), 10**300])
def test_a_later_wake_time_of_any_real_type_is_fine(time_s):
    assert wake_refusal(time_s, 10.0) is None


def test_recorded_actions_read_as_words():
    assert said(describe(WakeAt(3600.0))) == "wake at t=3600 s"
    assert said(describe(WakeAt(math.nan))) == "wake at t=nan s"
    assert said({"action": "wakeat", "time_s": "soon"}) == "wake at t='soon'"
    assert said({"action": "start", "job": "a", "gpus": 1, "racks": 1}) == "start of 'a'"
    assert said({"action": "preempt", "job": "b"}) == "preempt of 'b'"


class FifoWakingBadly(BuiltinFifo):
    """fifo, plus three wake-ups the engine must refuse, asked for at the first call (t = 0)."""

    name = "fifo-waking-badly"

    def decide(self, view):
        extra = [WakeAt(math.nan), WakeAt(-60.0), WakeAt("soon")] if view.now_s == 0 else []
        return extra + list(super().decide(view))


def test_refused_wake_ups_are_invalid_with_their_reasons_and_the_run_goes_on():
    # one GPU: a runs 0-1 h, b 1-3 h, whatever the wake-ups
    scenario = pool_scenario([pool_job("a", 0, 1), pool_job("b", 0, 2)])
    result = run_policy(FifoWakingBadly, scenario)
    wakes = [d for d in result.record.decisions if d.action["action"] == "wakeat"]
    assert [(d.time_s, d.verdict, d.reason) for d in wakes] == [
        (0.0, "invalid", "wake time is not a number (NaN)"),
        (0.0, "invalid", "wake time t=-60 s is not in the future (now t=0 s)"),
        (0.0, "invalid", "wake time 'soon' is not a number"),
    ]
    assert [said(d.action) for d in wakes] == [
        "wake at t=nan s", "wake at t=-60 s", "wake at t='soon'"]
    assert result.invalid_decisions == 3
    # assert_invariants names them the same way (it said "invalid wakeat of '?'")
    assert result_problems(result) == [
        "t=0: invalid wake at t=nan s: wake time is not a number (NaN)",
        "t=0: invalid wake at t=-60 s: wake time t=-60 s is not in the future (now t=0 s)",
        "t=0: invalid wake at t='soon': wake time 'soon' is not a number",
    ]
    assert [(j.name, j.end_s) for j in result.jobs] == [("a", 3600.0), ("b", 3 * 3600.0)]
