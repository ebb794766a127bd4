"""Rules that must hold after every event; a broken one is a bug, never a result.

- the ledger balances: no GPU in two allocations, none beyond a rack's capacity, none on failed
  or spare racks, failed GPUs never free (held + free + failed = capacity);
- a job's GPUs are exactly what the ledger holds for it; only running jobs hold GPUs;
- work is never invented: 0 <= work done <= work total, and completed jobs did all their work;
- work is conserved: between two checks a job's work moves by exactly its rate times the time
  between, less every ``lost_flops`` the record gives for it (a failure rolling it back to its
  last checkpoint); a job that is not computing (pending, paused) does not progress.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from colossim.errors import InvariantViolation
from colossim.model.cluster import grant_gpus
from colossim.model.jobs import JobState, Phase

if TYPE_CHECKING:
    from colossim.engine.state import RunState


def check_state(state: RunState) -> None:
    state.ledger.check()
    for job in state.jobs:
        held = state.ledger.holdings.get(job.index, ())
        if job.state is JobState.RUNNING:
            if held != job.grant or job.gpus != grant_gpus(held) or job.gpus == 0:
                raise InvariantViolation(f"job {job.name}: grant and ledger disagree")
        elif held:
            raise InvariantViolation(f"job {job.name} is {job.state.value} but holds GPUs")
        done = job.work_at(state.now_s)
        if not 0.0 <= done <= job.work_total * (1 + 1e-12):
            raise InvariantViolation(f"job {job.name}: work done {done} outside [0, total]")
        if job.state is JobState.COMPLETED and job.work_done != job.work_total:
            raise InvariantViolation(f"job {job.name} completed with work left")
    _check_work_conserved(state)
    for modifier in state.modifiers:  # shared resources check their own books (fabric, power)
        check = getattr(modifier, "check", None)
        if check is not None:
            check(state)


WORK_TOL = 1e-7  # of a job's total work: float crumbs of many folds, far below a real slip


class _Work:
    """Per run: how far the record has been read, and each job's work and rate at the last
    check (work done at that instant, the rate the engine left it with)."""

    def __init__(self, state: RunState):
        self.read = len(state.record.events)
        self.at = [(state.now_s, job.work_at(state.now_s), job.rate) for job in state.jobs]


_WORK: weakref.WeakKeyDictionary[RunState, _Work] = weakref.WeakKeyDictionary()


def _check_work_conserved(state: RunState) -> None:
    """Between two checks a job's work moves by exactly the rate the last one left it with,
    times the time between, less the ``lost_flops`` the record logs for it in between; and a
    job that is not computing has rate 0. Work done within [0, total] let a completion an hour
    early, a logged loss not applied, or progress during a checkpoint pass (QA)."""
    memo = _WORK.get(state)
    if memo is None:
        _WORK[state] = _Work(state)
        return
    now, events = state.now_s, state.record.events
    lost = [0.0] * len(state.jobs)
    for event in events[memo.read :]:
        if event.data and "lost_flops" in event.data and event.job in state.by_name:
            lost[state.by_name[event.job].index] += event.data["lost_flops"]
    memo.read = len(events)
    for job in state.jobs:
        then, work, rate = memo.at[job.index]
        done = job.work_at(now)
        expected = work + rate * (now - then) - lost[job.index]
        if job.state is JobState.COMPLETED and done == job.work_total:
            expected = min(expected, job.work_total)  # completion drops rounding crumbs
        if abs(done - expected) > WORK_TOL * max(job.work_total, 1.0):
            raise InvariantViolation(
                f"job {job.name}: work done {done:.9g} FLOPs at t={now:g} s, where its rate "
                f"since t={then:g} s ({rate:.6g} FLOP/s) and the losses logged give "
                f"{expected:.9g}")
        if job.rate != 0.0 and (job.state is not JobState.RUNNING
                                or job.phase is not Phase.COMPUTE):
            raise InvariantViolation(f"job {job.name} progresses at {job.rate:g} FLOP/s while "
                                     f"{job.state.value}, {job.phase.value}")
        memo.at[job.index] = (now, done, job.rate)
