"""The pure power model: draw by phase, the DVFS cap curve and its published anchors, PUE."""

from __future__ import annotations

import pytest

from colossim.config.catalog import BUILTIN_GPUS
from colossim.config.power import PowerConfig
from colossim.config.schema import GpuSpec
from colossim.engine.state import RunState
from colossim.model.jobs import Phase
from colossim.model.power import CAP_KEY, GpuCurve, rack_parts_w, speed_factor
from tests.conftest import make_scenario

GB200 = BUILTIN_GPUS["GB200"]


def curve(spec: GpuSpec = GB200, **power) -> GpuCurve:
    return GpuCurve.of(spec, PowerConfig(supply_mw=1.0, **power))


def test_defaults_are_the_first_model_arithmetic():
    # One GB200 rack, PUE 1.1: busy 72 x 1,200 W + 45,600 W overhead = 132 kW; idle 72 x 200 W
    # + 45,600 W = 60 kW. Two racks, one busy: 192 kW x 1.1 = 211.2 kW.
    job = {"name": "a", "params_billion": 10, "tokens_billion": 90, "min_gpus": 72,
           "max_gpus": 72}
    sc = make_scenario([job], racks=2, cluster={"power": {"supply_mw": 10.0, "pue": 1.1}})
    state = RunState(sc)
    assert state.power_mw() == pytest.approx(2 * 60_000 * 1.1 / 1e6)
    state.ledger.allocate(0, {0: 72})
    state.run_on(state.jobs[0], ((0, 72),))
    assert state.power_mw() == pytest.approx((132_000 + 60_000) * 1.1 / 1e6)
    # a checkpoint (30% of TDP by default) and a restart (20%) draw less; phases change
    # through the state (which moves the job's stamp, so cached draws are re-priced)
    state.pause(state.jobs[0], 60.0, Phase.CHECKPOINT)
    assert state.power_mw() == pytest.approx((72 * 360 + 45_600 + 60_000) * 1.1 / 1e6)
    state.pause(state.jobs[0], 60.0, Phase.RESTART)
    assert state.power_mw() == pytest.approx((72 * 240 + 45_600 + 60_000) * 1.1 / 1e6)


def test_idle_racks_may_draw_part_of_their_overhead():
    # draw.idle_overhead 0.25: GPUs no job holds draw a quarter of their rack-overhead share.
    # Two GB200 racks idle: 2 x (72 x 200 W + 45,600 W / 4) = 51.6 kW (PUE 1); one busy:
    # 132 kW + 14.4 kW + 11.4 kW = 157.8 kW. A job's own draw keeps its racks' whole overhead.
    job = {"name": "a", "params_billion": 10, "tokens_billion": 90, "min_gpus": 72,
           "max_gpus": 72}
    power = {"supply_mw": 10.0, "pue": 1.0, "draw": {"idle_overhead": 0.25}}
    state = RunState(make_scenario([job], racks=2, cluster={"power": power}))
    assert state.power_mw() == pytest.approx(2 * (14_400 + 11_400) / 1e6)
    state.ledger.allocate(0, {0: 72})
    state.run_on(state.jobs[0], ((0, 72),))
    assert state.power_mw() == pytest.approx((132_000 + 14_400 + 11_400) / 1e6)
    assert state.power_model.job_it_w(state.jobs[0]) == pytest.approx(132_000)
    # the admission bound counts every rack's whole overhead (all GPUs held at full draw)
    assert state.power_model.peak_mw({}) == pytest.approx(2 * 132_000 / 1e6)


def test_fixed_facility_overhead_makes_pue_fall_with_load():
    # facility = IT x 1.05 + 10 MW: PUE = 1.05 + 10/IT, 1.15 at 100 MW and 1.1 at 200 MW
    cfg = PowerConfig(supply_mw=1.0, pue=1.05, pue_fixed_mw=10.0)
    sc = make_scenario([{"name": "a", "params_billion": 1, "tokens_billion": 1, "min_gpus": 72,
                         "max_gpus": 72}], racks=1)
    from colossim.model.power import PowerModel

    model = PowerModel(RunState(sc).layout, cfg)
    assert model.facility_mw(100e6) / 100 == pytest.approx(1.15)
    assert model.facility_mw(200e6) / 200 == pytest.approx(1.10)


def test_cap_curve_cubic_above_the_knee():
    # GB200 at nameplate: P(x) = 200 + 1000 x^3 W. A 800 W cap: x^3 = 0.6.
    c = curve()
    assert c.power_at(1.0) == pytest.approx(1200.0)
    assert c.clock_for_cap(800.0) == pytest.approx(0.6 ** (1 / 3))
    assert c.power_at(c.clock_for_cap(800.0)) == pytest.approx(800.0)
    assert c.clock_for_cap(None) == 1.0 and c.clock_for_cap(5000.0) == 1.0


def test_cap_curve_below_the_knee_and_the_floor():
    # below the knee (0.6) the voltage stays at 0.6: P = 200 + 1000 x 0.36; floor at x = 0.5
    c = curve()
    assert c.floor_w == pytest.approx(200 + 1000 * 0.5 * 0.36)
    assert c.clock_for_cap(200 + 1000 * 0.55 * 0.36) == pytest.approx(0.55)
    assert c.clock_for_cap(100.0) == 0.5  # a cap below the floor cannot slow it further


def test_communication_share_slows_less_and_mixes_the_draw():
    # c = 0.25 at clock 0.8: step (0.75/0.8 + 0.25) = 1.1875 of its full-speed time
    assert speed_factor(0.8, 0.25) == pytest.approx(1 / 1.1875)
    assert speed_factor(0.8, 0.0) == pytest.approx(0.8)
    c = curve()
    p = 200 + 1000 * 0.512  # compute draw at x = 0.8
    mean = (0.75 / 0.8 * p + 0.25 * 360.0) / 1.1875  # 360 W: communication at 30% of TDP
    assert c.mean_w(0.8, 0.25) == pytest.approx(mean)


def test_v100_anchor_within_half_a_percent():
    # McDonald et al. (arXiv 2205.09646): V100 capped from 250 W to 150 W trains 6.8% longer.
    # The curve gives that when the job draws ~70% of TDP at full clocks (the documented
    # assumption; idle 40 W): x^3 = (150 - 40) / (175 - 40), time = 1/x = 1.0707.
    v100 = GB200.model_copy(update={"tdp_w": 250.0, "idle_w": 40.0})
    c = curve(v100, draw={"compute": 0.7})
    x = c.clock_for_cap(150.0)
    assert x == pytest.approx((110 / 135) ** (1 / 3))
    assert 1 / speed_factor(x, 0.0) == pytest.approx(1.068, abs=0.005)


def test_meta_provisioning_anchor_costs_nothing_at_80_percent_draw():
    # Meta provisions GB200 at 960 W (80% of TDP): a job drawing 80% at full clocks keeps full
    # speed under that cap, and a nameplate job (100%) loses x = 0.76^(1/3)
    assert curve(draw={"compute": 0.8}).clock_for_cap(960.0) == 1.0
    assert curve().clock_for_cap(960.0) == pytest.approx(0.76 ** (1 / 3))


def test_policy_and_scenario_caps_take_the_lower():
    job = {"name": "a", "params_billion": 1, "tokens_billion": 1, "min_gpus": 72,
           "max_gpus": 72}
    power = {"supply_mw": 10.0, "pue": 1.0, "gpu_cap_w": 1000.0, "jobs": {"a": {"cap_w": 900}}}
    state = RunState(make_scenario([job], racks=1, cluster={"power": power}))
    model, a = state.power_model, state.jobs[0]
    assert model.cap_w(a) == 900.0
    a.extra[CAP_KEY] = 700.0
    assert model.cap_w(a) == 700.0


def test_rack_parts_add_up_to_the_overhead():
    for name, spec in BUILTIN_GPUS.items():
        parts = rack_parts_w(name, spec)
        assert sum(parts.values()) == pytest.approx(spec.rack_overhead_w)
        assert all(v >= 0 for v in parts.values())
    assert rack_parts_w("GB200", GB200)["cpus"] == 36 * 300.0


def test_small_scenario_keeps_the_first_model_energy():
    # configs/small.yaml sets only supply_mw and pue: at every event its draw is still
    # (busy x 1,200 W + idle x 200 W + 4 racks x 45,600 W) x 1.1, so its energy is unchanged
    from colossim.api import simulate

    result = simulate("small")
    busy, power = result.record.series["gpus_busy"], result.record.series["power_mw"]
    for t, mw in zip(power.times, power.values, strict=True):
        n = [v for s, v in zip(busy.times, busy.values, strict=True) if s <= t][-1]
        assert mw == pytest.approx((n * 1200 + (288 - n) * 200 + 4 * 45_600) * 1.1 / 1e6)
    assert result.power.deficit_events == 0 and result.power.throttled_gpu_hours == 0
