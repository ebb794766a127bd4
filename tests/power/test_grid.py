"""Generation ramps and battery dispatch as pure functions, against hand arithmetic."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from colossim.model.grid import NO_BATTERY, Battery, Grid, advance, time_to_empty

INF = math.inf
BAT = Battery(capacity_mwh=100.0, max_charge_mw=50.0, max_discharge_mw=100.0, efficiency=0.81)


def test_a_dip_takes_exactly_the_deficit_from_the_battery():
    # supply 700 MW, load 800 MW for 30 min: 100 MW x 0.5 h = 50 MWh out
    grid, pieces = advance(Grid(1000.0, 100.0), 1800.0, 800.0, 800.0, 700.0, INF, BAT)
    assert grid.stored_mwh == pytest.approx(50.0)
    assert grid.capacity_mw == 700.0
    assert pieces[0].battery0_mw == pytest.approx(100.0)
    assert sum(p.unserved_mwh for p in pieces) == 0.0


def test_recharge_stores_efficiency_times_the_charge_power_until_full():
    # headroom 200 MW but charging is limited to 50 MW, of which 81% is stored: 40.5 MW.
    # 50 MWh short: full after 50 / 40.5 h, then generation drops back to the load.
    grid, pieces = advance(Grid(800.0, 50.0), 3 * 3600.0, 800.0, 800.0, 1000.0, INF, BAT)
    assert grid.stored_mwh == pytest.approx(100.0)
    assert pieces[0].end_s == pytest.approx(50 / 40.5 * 3600)
    assert pieces[0].battery0_mw == pytest.approx(-50.0)
    assert pieces[-1].capacity1_mw == pytest.approx(800.0)


def test_a_ramp_costs_the_battery_a_triangle():
    # generation at 500 MW, load steps to 600 MW, ramp 1 MW/s: the battery gives 100 MW falling
    # to 0 over 100 s, 100 x 100 / 2 MW.s = 5,000 MW.s = 1.3889 MWh; then it recharges.
    grid, pieces = advance(Grid(500.0, 100.0), 100.0, 600.0, 600.0, 1000.0, 1.0, BAT)
    assert grid.stored_mwh == pytest.approx(100.0 - 5000 / 3600)
    assert grid.capacity_mw == pytest.approx(600.0)
    assert min(p.soc1_mwh for p in pieces) == pytest.approx(100.0 - 5000 / 3600)
    # 50 s more: charging ramps from 0 to 50 MW (stores 0.81 x 50 x 50 / 2 MW.s)
    grid2, _ = advance(grid, 50.0, 600.0, 600.0, 1000.0, 1.0, BAT)
    assert grid2.stored_mwh == pytest.approx(grid.stored_mwh + 0.81 * 1250 / 3600)


def test_time_to_empty_constant_and_during_a_ramp():
    # constant: 10 MWh at 100 MW lasts 360 s
    assert time_to_empty(Grid(700.0, 10.0), 800.0, 800.0, 700.0, INF, BAT) == pytest.approx(360)
    # ramping: gap 100 MW closing at 1 MW/s, 1 MWh = 3600 MW.s: 100 t - t^2/2 = 3600,
    # t = 100 - sqrt(10000 - 7200)
    expect = 100 - math.sqrt(10000 - 7200)
    assert time_to_empty(Grid(500.0, 1.0), 600.0, 600.0, 1000.0, 1.0, BAT) == pytest.approx(expect)
    # the ramp closes the gap before 2 MWh run out (5000 MW.s < 7200 MW.s)
    assert time_to_empty(Grid(500.0, 2.0), 600.0, 600.0, 1000.0, 1.0, BAT) == INF


def test_without_a_battery_a_gap_is_unserved():
    _, pieces = advance(Grid(700.0, 0.0), 3600.0, 800.0, 800.0, 700.0, INF, NO_BATTERY)
    assert sum(p.unserved_mwh for p in pieces) == pytest.approx(100.0)


@settings(max_examples=60, deadline=None)
@given(
    k0=st.floats(0, 1000), e0=st.floats(0, 100), load=st.floats(0, 1000),
    supply=st.floats(1, 1200), ramp=st.floats(0.01, 10), dt=st.floats(1, 20000),
)
def test_energy_balance_holds_piece_by_piece(k0, e0, load, supply, ramp, dt):
    """Stored energy changes by charge x efficiency minus discharge, each piece integrated by
    the trapezoid rule (exact: flows are linear within a piece)."""
    grid, pieces = advance(Grid(k0, e0), dt, load, load, supply, ramp, BAT)
    assert sum(p.end_s - p.start_s for p in pieces) == pytest.approx(dt)
    for p in pieces:
        mean = (p.battery0_mw + p.battery1_mw) / 2  # + discharge, - charge
        flow = -mean if mean > 0 else -mean * BAT.efficiency
        if p.battery0_mw * p.battery1_mw >= 0 and p.unserved_mwh == 0:
            delta = flow * (p.end_s - p.start_s) / 3600
            assert p.soc1_mwh - p.soc0_mwh == pytest.approx(delta, abs=1e-6)
        assert 0.0 <= p.soc1_mwh <= BAT.capacity_mwh
        assert p.capacity1_mw <= supply * (1 + 1e-12)
