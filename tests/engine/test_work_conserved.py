"""The per-event invariant check sees work invented or lost without a log (QA: three injected
engine bugs passed it, since it held work within [0, total] and gross work non-decreasing).
Each test plants one bug in a failure-heavy run that passes the check as the engine is."""

from __future__ import annotations

from pathlib import Path

import pytest

from colossim.api import load_scenario, simulate
from colossim.engine import checkpoints, fluid
from colossim.errors import InvariantViolation
from colossim.model.jobs import Job, JobState, Phase

FAILURES = Path(__file__).parents[1] / "regression" / "scenarios" / "failures_small.yaml"


def run_checked():
    return simulate(load_scenario(FAILURES), check_invariants=True)


def test_the_run_as_the_engine_makes_it_conserves_work():
    result = run_checked()
    assert result.reliability.interruptions > 0  # rollbacks happened, and were all logged


def test_a_job_completed_before_its_work_is_done_is_caught(monkeypatch):
    # a completion timer 5% loose pops jobs due within 5% of now: they end with work left,
    # which completion snaps to the total
    monkeypatch.setattr(fluid, "TIME_RTOL", 0.05)
    with pytest.raises(InvariantViolation, match=r"work done .* give"):
        run_checked()


def test_a_rollback_logged_but_not_applied_is_caught(monkeypatch):
    def keeps_the_work(self, ck, point):
        ck.job.advance(self.state.now_s)
        return max(0.0, ck.job.work_done - point.work)  # the loss is logged, the work kept

    monkeypatch.setattr(checkpoints.Checkpoints, "roll_back", keeps_the_work)
    with pytest.raises(InvariantViolation, match=r"work done .* give"):
        run_checked()


def test_progress_during_a_checkpoint_pause_is_caught(monkeypatch):
    def leaky(self):
        if self.state is not JobState.RUNNING or self.phase not in (Phase.COMPUTE,
                                                                    Phase.CHECKPOINT):
            return 0.0
        return self.base_rate * self.factor

    monkeypatch.setattr(Job, "effective_rate", leaky)
    with pytest.raises(InvariantViolation, match="progresses at .* while running, checkpoint"):
        run_checked()
