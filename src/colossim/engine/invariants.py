"""Rules that must hold after every event; a broken one is a bug, never a result.

- the ledger balances: no GPU in two allocations, none beyond a rack's capacity, none on failed
  or spare racks;
- a job's GPUs are exactly what the ledger holds for it; only running jobs hold GPUs;
- work is never invented: 0 <= work done <= work total, and completed jobs did all their work.
"""

from __future__ import annotations

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
    for modifier in state.modifiers:  # shared resources check their own books (fabric, power)
        check = getattr(modifier, "check", None)
        if check is not None:
            check(state)
