"""Over random small scenarios: the facility never draws more than is available, at any event.

The engine's own invariant (checked after every event here) compares the draw with generation
online plus battery discharge. Independently, from the record alone: at every instant the draw
is at most the supply plus the battery's discharge limit (the supply alone when the battery is
empty), the battery stays within [0, capacity], and every job finishes or is still owed work.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.power.helpers import HOUR, job, run, scenario

TOL = 1e-9


@st.composite
def power_scenarios(draw):
    racks = draw(st.integers(1, 3))
    jobs = [
        job(f"j{i}", hours=draw(st.floats(0.5, 6)), priority=draw(st.integers(0, 2)),
            submit_s=draw(st.sampled_from([0.0, 600.0, 3600.0])))
        for i in range(draw(st.integers(1, 4)))
    ]
    supply = draw(st.floats(0.3, 3.5))
    events = [
        {"kind": draw(st.sampled_from(["dip", "outage"])), "start_s": draw(st.floats(0, 4 * HOUR)),
         "duration_s": draw(st.floats(60, 3 * HOUR)), "supply_mw": draw(st.floats(0, 2))}
        for _ in range(draw(st.integers(0, 2)))
    ]
    power = {"supply_mw": supply, "events": events}
    if draw(st.booleans()):
        power["battery"] = {
            "capacity_mwh": draw(st.floats(0.05, 2)), "max_charge_mw": draw(st.floats(0, 1)),
            "max_discharge_mw": draw(st.floats(0.1, 2)),
            "round_trip_efficiency": draw(st.floats(0.7, 1)),
        }
    if draw(st.booleans()):
        power["ramp"] = {"limit_mw_per_min": draw(st.floats(0.05, 3)),
                         "cover": draw(st.sampled_from(["battery", "stagger"]))}
    if draw(st.booleans()):
        power["gpu_cap_w"] = draw(st.floats(400, 1200))
    policy = draw(st.sampled_from(["fifo", "priority", "power-aware"]))
    idle = draw(st.sampled_from([0.0, 150.0]))
    return scenario(jobs, racks=racks, policy=policy, gpu={"idle_w": idle},
                    simulation={"horizon_s": 40 * HOUR}, **power)


def _at(series, t):
    value = 0.0
    for time_s, v in zip(series.times, series.values, strict=True):
        if time_s <= t:
            value = v
    return value


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sc=power_scenarios())
def test_draw_never_exceeds_what_is_available(sc):
    result, _sim = run(sc, check=True)  # raises InvariantViolation at the first bad event
    record, power = result.record, sc.cluster.power
    draw = record.series["power_mw"]
    bat = power.battery
    for t, mw in zip(draw.times, draw.values, strict=True):
        supply = _at(record.series["supply_mw"], t)
        limit = supply
        if bat is not None and _at(record.series["battery_mwh"], t) > 1e-9:
            limit += bat.max_discharge_mw
        assert mw <= limit * (1 + TOL) + TOL, f"{mw} MW drawn at t={t}, limit {limit}"
    if bat is not None:
        stored = record.series["battery_mwh"].values
        assert all(-TOL <= s <= bat.capacity_mwh * (1 + TOL) for s in stored)
    for j in result.jobs:
        assert j.work_done_flops <= j.work_flops * (1 + 1e-9)
