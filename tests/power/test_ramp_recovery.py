"""Recovery from an outage under a ramp limit with a small battery: the engine's clock limit is
relaxed against what the battery can keep up until generation has ramped, not against its
discharge rating, so one outage is one deficit with one limit, relaxed stage by stage."""

from __future__ import annotations

import pytest

from tests.power.helpers import events, level_at, two_gb200_racks

# 2 GB200 racks, PUE 1.1, one 144-GPU job. Idle IT 2 x (72 x 200 W + 45,600 W) = 120 kW; busy
# 2 x 132 kW = 264 kW. Facility: idle 0.132 MW, busy D = 0.2904 MW; at clock x (x >= 0.6) the
# job adds 1.1 x 144 x 1,000 W x x^3 = 0.1584 x^3 MW to the idle 0.132 MW.
IDLE, DEMAND, SLOPE = 0.132, 0.2904, 0.1584
RAMP = 0.01 / 60  # MW/s (0.01 MW/min)
ETA = 0.9
STAGE = 60.0
CAPACITY = 0.001 * 3600  # MW·s: a 0.001 MWh battery
OUT_AT, BACK_AT, LOW = 1000.0, 1600.0, 0.2  # a 10-minute outage down to 0.2 MW
RECOVERY = f"""
  power:
    supply_mw: 1.0
    pue: 1.1
    ramp: {{limit_mw_per_min: 0.01, initial_mw: 1.0}}
    battery: {{capacity_mwh: 0.001, max_charge_mw: 0.3, max_discharge_mw: 0.3,
              round_trip_efficiency: {ETA}}}
    events: [{{kind: outage, start_s: {OUT_AT:g}, duration_s: 600, supply_mw: {LOW}}}]
jobs:
  - {{name: a, params_billion: 10, tokens_billion: 86.4, min_gpus: 144, max_gpus: 144}}
"""


def _relaxed_loads() -> list[float]:
    """The facility load the limit allows at each stage after the outage, until it is lifted.

    At 1,600 s generation K ramps from 0.2 MW at RAMP; the job is limited to 0.2 MW and the
    battery is empty. Over a stage at load L = K + g the battery gives g - RAMP·t until K
    reaches L (g²/(2·RAMP) MW·s) and then stores ETA of the surplus RAMP·t' for the rest of
    the stage. At each stage the battery counts for its energy E spread over the ramp's
    remaining T = (D - K)/RAMP seconds, g = E/T; the limit is lifted once g >= D - K."""
    loads, stored, gap = [], 0.0, 0.0
    for n in range(1, 20):
        stored += -gap * gap / (2 * RAMP) + ETA * RAMP * (STAGE - gap / RAMP) ** 2 / 2
        generation = LOW + RAMP * STAGE * n
        remaining = (DEMAND - generation) / RAMP
        gap = stored / remaining
        if generation + gap >= DEMAND:
            return loads
        loads.append(generation + gap)
    raise AssertionError("never lifted")


def test_after_an_outage_the_limit_relaxes_once_a_stage_and_lifts_once(tmp_path):
    # Before: at every stage the refilled battery (a fraction of an MW·s) counted at its 0.3 MW
    # rating, the limit was lifted, the battery ran dry seconds later and the limit and a new
    # deficit came back: 8 deficits and 16 limit changes for this outage
    result = two_gb200_racks(tmp_path, RECOVERY, check_invariants=True)
    # The outage: generation drops to 0.2 MW, the battery gives 0.0904 MW and runs dry after
    # 3.6 / 0.0904 = 39.8 s: the one deficit, and the limit to 0.2 MW, x^3 = 0.068 / 0.1584
    dry = OUT_AT + CAPACITY / (DEMAND - LOW)
    deficits = events(result, "power_deficit")
    assert [e.time_s for e in deficits] == [pytest.approx(dry)]
    loads = _relaxed_loads()
    assert len(loads) == 7  # relaxed at 1,660 ... 2,020 s, lifted at 2,080 s (hand: 7 stages)
    limits = events(result, "power_limit")
    times = [dry] + [BACK_AT + STAGE * n for n in range(1, len(loads) + 2)]
    assert [e.time_s for e in limits] == pytest.approx(times)
    clocks = [e.data["clock"] for e in limits]
    assert clocks[0] == pytest.approx(((LOW - IDLE) / SLOPE) ** (1 / 3))
    assert clocks[-1] is None and clocks[1:-1] == sorted(clocks[1:-1])
    for n, load in enumerate(loads, start=1):  # each relaxed limit draws K + E/T
        it_mw = level_at(result, "it_power_mw", BACK_AT + STAGE * n + 1)
        assert it_mw * 1.1 == pytest.approx(load, rel=1e-9)
    # The battery, counted only for what it can keep up, never runs dry during the recovery
    battery = result.record.series["battery_mwh"]
    assert min(v for t, v in zip(battery.times, battery.values, strict=True)
               if t > BACK_AT + 1) > 0
