"""The power examples load as documented, and the battery-sizing one gives the analytic answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from colossim.api import load_scenario, simulate

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_grid_dip_and_expansion_say_what_docs_power_md_says():
    dip = load_scenario(EXAMPLES / "grid_dip.yaml").cluster.power
    assert [dip.supply_at(t) for t in (0, 3 * 86400, 3 * 86400 + 6 * 3600)] == [1000, 700, 1000]
    assert dip.battery is not None and dip.battery.capacity_mwh == pytest.approx(168 * 3.9)
    grown = load_scenario(EXAMPLES / "expansion_1p5gw.yaml")
    assert sum(g.racks for g in grown.cluster.rack_groups) == 7616 + 2240
    assert [grown.cluster.power.supply_at(t) for t in (0, 7 * 86400)] == [1000, 1500]


def test_battery_sizing_matches_the_triangle():
    # the 10T job holds 221,184 GPUs and its plan (TP x EP = 64 of each rack's 72) computes on
    # 196,608; the other 24,576 stay at their idle draw: a step of 196,608 x (1,200 - 200) W x
    # 1.1 = 216.3 MW, generation ramping 10 MW/min: the battery gives step^2 / (2 x ramp) =
    # 2,338 MW.min = 39.0 MWh
    result = simulate(load_scenario(EXAMPLES / "battery_sizing.yaml"))
    step = 196_608 * 1_000 * 1.1 / 1e6
    assert result.power.max_step_mw == pytest.approx(step)
    used = 655.2 - result.power.battery_min_mwh
    assert used == pytest.approx(step**2 / (2 * 10) / 60)
