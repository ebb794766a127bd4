"""Without a battery or a ramp limit the power system moves generation on without building
``grid.advance``'s pieces; the state it reaches must be the one ``advance`` gives."""

from __future__ import annotations

import math

from colossim.engine.power import power_system
from colossim.engine.simulation import Simulation
from colossim.model.grid import NO_BATTERY, Grid, advance
from colossim.policy.registry import make_policy
from tests.power.helpers import job, scenario


def test_generation_meets_the_demand_at_once_and_nothing_goes_unserved():
    # one P1 rack (1 MW busy) under a 10 MW supply, no battery, no ramp limit
    sim = Simulation(scenario([job("a", hours=1.0)]), make_policy("fifo", {}))
    system = power_system(sim.state)
    assert system.bat is NO_BATTERY and system.ramp_mw_s == math.inf
    for demand, load in ((1.0, 1.0), (0.25, 0.25), (12.0, 10.0)):  # the last above supply
        system.grid, system.t, system.demand, system.load = Grid(3.0, 0.0), 100.0, demand, load
        expected, pieces = advance(Grid(3.0, 0.0), 50.0, load, demand, system.supply,
                                   math.inf, NO_BATTERY, start_s=100.0)
        system._advance(150.0)
        # generation goes to min(supply, demand): 1, 0.25 and 10 MW, by hand
        assert system.grid == expected == Grid(min(10.0, demand), 0.0)
        assert system.unserved_mwh == sum(p.unserved_mwh for p in pieces) == 0.0
        assert system.t == 150.0
