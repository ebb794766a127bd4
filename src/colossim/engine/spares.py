"""Hot spare racks: which are held back, which are ready, and trading places with failed racks.

Spares live in the ledger's ``spare`` flags (``cluster.spare_racks`` and
``reliability.spares.racks_per_pod``). A spare that comes in trades roles with the failed rack,
so the number of spares never changes: the failed rack becomes a spare that is not ready until
it is repaired. Held-back racks are never allocated (the ledger refuses them, and its check
fails if a job holds one).
"""

from __future__ import annotations

from bisect import bisect_left
from typing import TYPE_CHECKING

import numpy as np

from colossim.errors import ConfigError, Problem
from colossim.model.cluster import held_back

if TYPE_CHECKING:
    from colossim.engine.state import RunState
    from colossim.model.jobs import Job


class Spares:
    """The spare pool of one run."""

    def __init__(self, state: RunState, per_pod: int):
        self.state = state
        self.ledger, self.layout = state.ledger, state.layout
        self.rack_type = self.layout.rack_type.tolist()
        self.pod = self.layout.rack_pod.tolist()
        self.owed: set[int] = set()  # racks swapped out that become spares once no job holds them
        self.planned = np.zeros(len(self.rack_type), dtype=np.int64)  # maintenance windows on
        # each rack now (``maintain``): planned, not broken
        self.under_maintenance = 0  # racks with a window on now (refill runs at every fault)
        if per_pod:
            self._hold_back(per_pod)

    def _hold_back(self, per_pod: int) -> None:
        """The last ``per_pod`` racks of every pod become spares."""
        self.ledger.spare |= held_back(self.layout, per_pod)
        state = self.state
        state.usable_gpus = int(self.layout.capacity[~self.ledger.spare].sum())
        for job in state.jobs:
            if job.config.min_gpus > state.usable_gpus:
                raise ConfigError(Problem("scenario", None, "reliability.spares.racks_per_pod",
                                          f"leaves {state.usable_gpus:,} GPUs; job {job.name} "
                                          f"needs {job.config.min_gpus:,}"))

    def holders(self, rack: int) -> list[tuple[Job, int]]:
        """Jobs holding GPUs on ``rack`` and how many, in job order."""
        out = []
        holdings = self.ledger.holdings
        for index in sorted(holdings):
            grant = holdings[index]
            i = bisect_left(grant, (rack, 0))
            if i < len(grant) and grant[i][0] == rack:
                out.append((self.state.jobs[index], grant[i][1]))
        return out

    def _pick(self, ready: np.ndarray, rack: int) -> int | None:
        """A ready spare of the rack's GPU type, in its pod if possible."""
        candidates = np.flatnonzero(ready & (self.layout.rack_type == self.rack_type[rack]))
        if candidates.size == 0:
            return None
        same_pod = candidates[self.layout.rack_pod[candidates] == self.pod[rack]]
        return int(same_pod[0] if same_pod.size else candidates[0])

    def maintain(self, racks: list[int], delta: int) -> None:
        """A maintenance window (or a pod fault: an outage that ends too) starts (``delta`` 1)
        or ends (-1) on ``racks``: no spare trades places with them meanwhile (``refill``)."""
        self.planned[racks] += delta
        self.under_maintenance = int(np.count_nonzero(self.planned))

    def ready(self) -> np.ndarray:
        ledger = self.ledger
        return ledger.spare & ledger.healthy & (ledger.failed == 0)

    def spare_for(self, rack: int) -> int | None:
        return self._pick(self.ready(), rack)

    def swap_in(self, job: Job, rack: int, spare: int) -> None:
        """The spare takes the failed rack's place in the job's grant; the failed rack, once
        free of other jobs, becomes the spare (and is a ready one again when repaired)."""
        ledger = self.ledger
        ledger.spare[spare] = False
        job.advance(self.state.now_s)
        old = job.grant
        job.grant = ledger.swap(job.index, rack, spare)  # same type and count: same base rate
        self.state.power_model.moved(job, old)  # and the same draw
        job.touch()
        if self.holders(rack):
            self.owed.add(rack)  # GPU-grain jobs still use the rest of it: a spare once they go
        else:
            ledger.spare[rack] = True
        self.state.log("swap", job, rack_out=rack, rack_in=spare, gpus=job.gpus)

    def settle_owed(self) -> None:
        """Racks a spare replaced while other jobs still held part of them become spares once
        those jobs have left: without this the pool lost a spare for good at every such swap."""
        for rack in sorted(self.owed):
            if not self.holders(rack):
                self.owed.discard(rack)
                self.ledger.spare[rack] = True

    def refill(self) -> None:
        """Ready spares take the place of broken racks no job uses, so the racks the policy may
        allocate stay as healthy as the spares allow (a job waiting for a repair can start on
        a spare as soon as one is ready).

        Not for racks under maintenance: the window is planned and ends, and spares traded for
        its racks became ordinary capacity that drained jobs started on, so a fault in a
        running job elsewhere found no spare (QA: 10 of 24 faults in a 4-hour window of two
        Colossus-2 pods sent their job back to the queue, against 0 of 25 without the window),
        and the spares stayed bunched in the maintained pods afterwards."""
        self.settle_owed()
        ledger = self.ledger
        ready = self.ready()
        if not ready.any():
            return
        broken = ~ledger.spare & ~(ledger.healthy & (ledger.failed == 0))
        if self.under_maintenance:
            broken &= self.planned == 0
        for rack in np.flatnonzero(broken).tolist():
            if self.holders(rack):
                continue  # GPU-grain jobs still use the rest of it
            spare = self._pick(ready, rack)
            if spare is None:
                continue
            ready[spare] = False
            ledger.spare[spare], ledger.spare[rack] = False, True
            self.state.log("spare_in", None, rack_in=spare, rack_out=rack)
            if not ready.any():
                return
