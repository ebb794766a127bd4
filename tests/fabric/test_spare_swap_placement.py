"""A job's fabric placement carried over a hot-spare swap equals placing its new grant afresh.

The fabric keeps a job's footprint when a spare of the same GPU type in the same rack-tier unit
takes a failed rack's place (re-placing a grant of thousands of racks after every swap was a
tenth of a failure-heavy run). After every event of a run with frequent GPU failures, every
placement the fabric holds for a job's current grant must equal a fresh one.
"""

from __future__ import annotations

import numpy as np

from colossim.engine.fabric import Fabric
from colossim.model.jobs import JobState
from tests.reliability.helpers import run, spare_swap_simulation


def test_placements_carried_over_spare_swaps_equal_fresh_placements():
    sim = spare_swap_simulation()
    fabric = next(m for m in sim.state.modifiers if isinstance(m, Fabric))
    state, settle = sim.state, sim._after_change
    carry, carried = fabric._carry_over, []

    def counted(placed, j, swaps):
        out = carry(placed, j, swaps)
        carried.append(out is not None)
        return out

    def checked() -> None:
        settle()
        fresh = Fabric(sim)
        for j in state.jobs:
            placed = fabric._placed.get(j.index)
            if j.state is not JobState.RUNNING or placed is None or placed.grant is not j.grant:
                continue
            new = fresh._place(state, j)
            for field in ("gpus", "racks", "pods", "resources", "weights", "leave_rack",
                          "cross_pod_share", "nic"):
                assert np.array_equal(getattr(placed.foot, field), getattr(new.foot, field))
            assert placed.comm == new.comm

    fabric._carry_over = counted
    sim._after_change = checked
    result = run(sim)
    assert not result.unfinished
    assert any(e.kind == "swap" for e in result.record.events)
    assert any(carried)  # some swap was carried over, and was checked against a fresh placement
