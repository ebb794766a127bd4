"""A malformed grant is an invalid decision with its reason, never a crash or a silent fix.

Placers return None when a job does not fit, so ``Start(job, None)`` is a likely slip; a float
GPU count used to be truncated by ``int()`` and applied.
"""

from __future__ import annotations

import numpy as np
import pytest

from colossim.engine.apply import apply_action
from colossim.engine.state import RunState
from colossim.model.jobs import JobState
from colossim.policy.actions import Start
from tests.conftest import make_scenario

JOB = {"name": "a", "work_gpu_hours": 72, "reference_gpu": "GB200", "min_gpus": 72,
       "max_gpus": 144}


def _pending_state() -> RunState:
    state = RunState(make_scenario([JOB], racks=2))  # racks 0 and 1, 72 GPUs each
    state.jobs[0].state = JobState.PENDING
    return state


@pytest.mark.parametrize("grant, shown", [
    (None, "None"),
    (((0, "72"),), "((0, '72'),)"),
    (((0, 72, 5),), "((0, 72, 5),)"),
    (((0, 72), (1,)), "((0, 72), (1,))"),  # a pair too short: refused, not a crash (QA)
    (((0, 72.9),), "((0, 72.9),)"),
    (((1.7, 72),), "((1.7, 72),)"),
    (((0, True),), "((0, True),)"),
    (72, "72"),
])
def test_a_grant_that_is_not_integer_pairs_is_invalid_and_changes_nothing(grant, shown):
    state = _pending_state()
    decision = apply_action(state, Start("a", grant))
    assert decision.verdict == "invalid"
    assert decision.reason == ("the grant must be (rack index, GPUs) pairs of integers, "
                               f"not {shown}")
    assert state.jobs[0].state is JobState.PENDING and state.ledger.busy_gpus() == 0
    if shown in ("((0, 72, 5),)", "((0, 72), (1,))"):  # recorded as given, not as a grant
        assert decision.action["grant"] == shown and "gpus" not in decision.action


def test_numpy_integers_are_integers():
    state = _pending_state()
    decision = apply_action(state, Start("a", ((np.int64(1), np.int32(72)),)))
    assert decision.verdict == "applied"
    assert state.jobs[0].grant == ((1, 72),) and state.ledger.busy_gpus() == 72


@pytest.mark.parametrize("grant, rack, gpus", [
    (((0, -72), (1, 216)), 0, -72),  # 144 GPUs in all: within [72, 144], but not a grant
    (((0, 144), (1, 0)), 1, 0),
])
def test_a_rack_given_no_or_negative_gpus_is_named_as_such(grant, rack, gpus):
    decision = apply_action(_pending_state(), Start("a", grant))
    assert decision.verdict == "invalid"
    assert decision.reason == (f"{gpus} GPUs on rack {rack}: a grant gives each of its racks a "
                               "positive number of GPUs")


def test_a_rack_given_twice_is_named():
    # QA: "a rack appears twice in the grant" did not say which
    state = _pending_state()
    decision = apply_action(state, Start("a", ((1, 36), (0, 36), (1, 36))))
    assert decision.verdict == "invalid"
    assert decision.reason == ("rack 1 appears twice in the grant: give each rack once, with "
                               "all the job's GPUs there")
    assert state.ledger.busy_gpus() == 0
