"""Rules that must hold after every event; a broken one is a bug, never a result.

- the ledger balances: no GPU in two allocations, none beyond a rack's capacity, none on failed
  or spare racks, failed GPUs never free (held + free + failed = capacity);
- a job's GPUs are exactly what the ledger holds for it; only running jobs hold GPUs;
- work is never invented: 0 <= work done <= work total, and completed jobs did all their work;
- work only goes down through a logged loss: work done plus every ``lost_flops`` the record
  gives for the job (a failure rolling it back to its last checkpoint) never decreases.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from colossim.errors import InvariantViolation
from colossim.model.jobs import JobState

if TYPE_CHECKING:
    from colossim.engine.state import RunState


def check_state(state: RunState) -> None:
    state.ledger.check()
    for job in state.jobs:
        held = state.ledger.holdings.get(job.index, ())
        if job.state is JobState.RUNNING:
            if held != job.grant or job.gpus != sum(n for _, n in held) or job.gpus == 0:
                raise InvariantViolation(f"job {job.name}: grant and ledger disagree")
        elif held:
            raise InvariantViolation(f"job {job.name} is {job.state.value} but holds GPUs")
        done = job.work_at(state.now_s)
        if not 0.0 <= done <= job.work_total * (1 + 1e-12):
            raise InvariantViolation(f"job {job.name}: work done {done} outside [0, total]")
        if job.state is JobState.COMPLETED and job.work_done != job.work_total:
            raise InvariantViolation(f"job {job.name} completed with work left")
    _check_losses_logged(state)
    for modifier in state.modifiers:  # shared resources check their own books (fabric, power)
        check = getattr(modifier, "check", None)
        if check is not None:
            check(state)


class _Gross:
    """Per run: how far the record has been read, logged losses and gross work per job."""

    def __init__(self, jobs: int):
        self.read = 0
        self.lost = [0.0] * jobs
        self.gross = [0.0] * jobs


_GROSS: weakref.WeakKeyDictionary[RunState, _Gross] = weakref.WeakKeyDictionary()


def _check_losses_logged(state: RunState) -> None:
    memo = _GROSS.get(state)
    if memo is None:
        memo = _GROSS[state] = _Gross(len(state.jobs))
    events = state.record.events
    for event in events[memo.read :]:
        if event.data and "lost_flops" in event.data and event.job in state.by_name:
            memo.lost[state.by_name[event.job].index] += event.data["lost_flops"]
    memo.read = len(events)
    for job in state.jobs:
        gross = job.work_at(state.now_s) + memo.lost[job.index]
        if gross < memo.gross[job.index] * (1 - 1e-9) - 1e-6:
            raise InvariantViolation(
                f"job {job.name}: work fell by {memo.gross[job.index] - gross:g} FLOPs "
                "beyond the losses the record logs"
            )
        memo.gross[job.index] = max(memo.gross[job.index], gross)
