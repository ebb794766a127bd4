"""The battery a policy sees is the battery now, also at a call for a wake-up alone.

``small`` at 0.6 MW dips to 0.35 MW from 3,000 s to 6,000 s with a 0.05 MWh battery that
discharges at most 0.1 MW: the facility draws 0.45 MW (the supply plus the battery's most), so
the battery empties at 0.1 MW: 0.05 - 0.1 x 900 / 3,600 = 0.025 MWh at 3,900 s and
0.05 - 0.1 x 1,500 / 3,600 = 0.00833 MWh at 4,500 s, dry at 4,800 s. Nothing but the policy's
wake-ups happens at 3,900 and 4,500 s, so no re-balance had moved the battery on there: the
view read 0.05 and 0.025 (QA).
"""

from __future__ import annotations

import pytest

from colossim.api import load_scenario
from colossim.engine.simulation import Simulation
from colossim.policy.actions import WakeAt
from colossim.policy.builtin.fifo import POLICY as Fifo

OVERRIDES = [
    "cluster.power.supply_mw=0.6",
    "cluster.power.events=[{kind: dip, start_s: 3000, duration_s: 3000, supply_mw: 0.35}]",
    "cluster.power.battery={capacity_mwh: 0.05, max_charge_mw: 0.1, max_discharge_mw: 0.1}",
    "jobs.llm-8b.submit_s=90000", "jobs.moe-200b.submit_s=90000", "simulation.horizon_s=8000",
]


class WakingFifo(Fifo):
    """fifo that wakes itself at 3,900 s and 4,500 s and notes the battery it sees then."""

    name = "waking-fifo"
    seen: dict[float, float]

    def decide(self, view):
        if view.now_s in (3900.0, 4500.0):
            self.seen[view.now_s] = view.power.battery_mwh
        wake = {3000.0: 3900.0, 3900.0: 4500.0}.get(view.now_s)
        return [*super().decide(view), *([WakeAt(wake)] if wake else [])]


@pytest.mark.filterwarnings("ignore::colossim.errors.ColossimWarning")  # jobs past the horizon
def test_a_wake_up_alone_sees_the_battery_drained_since_the_last_event():
    policy = WakingFifo()
    policy.seen = {}
    Simulation(load_scenario("small", OVERRIDES), policy, check_invariants=True).run()
    assert policy.seen == pytest.approx({3900.0: 0.05 - 0.1 * 900 / 3600,
                                         4500.0: 0.05 - 0.1 * 1500 / 3600}, rel=1e-9)
