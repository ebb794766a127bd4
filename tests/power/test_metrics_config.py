"""Power metrics as pure functions of a record, and the power block of a scenario."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from colossim.config.power import PowerConfig, TariffConfig
from colossim.engine.record import Event, Record, StepSeries
from colossim.errors import ConfigError
from colossim.metrics.power import cluster_power, energy_cost_usd, max_step, time_positive
from tests.conftest import make_scenario


def series(*points):
    s = StepSeries()
    for t, v in points:
        s.set(t, v)
    return s


def test_time_positive_and_max_step():
    s = series((0, 0.0), (10, 5.0), (30, 0.0), (50, 2.0))
    assert time_positive(s, 0, 60) == 20 + 10
    assert max_step(s, 60) == 5.0
    # the level before the first instant counts: from 0 to 6 at t = 0
    assert max_step(series((0, 6.0), (10, 5.0)), 60) == 1.0
    assert max_step(series((0, 6.0), (10, 5.0)), 60, before=0.0) == 6.0


def test_a_battery_run_dry_reads_zero_not_float_crumbs():
    from colossim.metrics.power import minimum

    # a study table showed battery_min_mwh 1.009e-12 for a battery that ran dry
    assert minimum(series((0, 655.2), (10, 1.009e-12)), 60) == 0.0
    assert minimum(series((0, 655.2), (10, 0.5)), 60) == 0.5


def test_time_of_day_tariff_charges_each_hour_at_its_price():
    # 2 MW from 0:30 to 2:00, hourly prices 10, 20, 40 ...: 1 MWh at 10 + 2 MWh at 20 = 50 $
    prices = [10.0, 20.0, 40.0] + [0.0] * 21
    s = series((0, 0.0), (1800, 2.0), (7200, 0.0))
    tariff = TariffConfig(hourly_usd_per_mwh=tuple(prices))
    assert energy_cost_usd(s, 7200, tariff) == pytest.approx(50.0)
    assert energy_cost_usd(s, 7200, TariffConfig(usd_per_mwh=30.0)) == pytest.approx(90.0)
    assert energy_cost_usd(s, 7200, None) is None


def test_a_battery_is_billed_for_what_it_charges_and_not_for_what_it_gives_back():
    # QA: the bill was the facility's draw alone. 2 MW for two hours; the battery charges at
    # 1 MW from 0:30 to 1:00 (0.5 MWh bought beside the draw), then gives back a triangle from
    # 1:00 to 2:00, 1 MW falling to 0 (0.5 MWh not bought): hourly prices 10 and 20 give
    # (2 + 0.5) x 10 + (2 - 0.5) x 20 = 55 $, and the draw alone would be 60 $
    draw = series((0, 2.0), (7200, 0.0))
    battery = StepSeries()
    for t, mw in [(0, 0.0), (1800, 0.0), (1800, -1.0), (3600, -1.0), (3600, 1.0), (7200, 0.0)]:
        battery.sample(t, mw)
    tariff = TariffConfig(hourly_usd_per_mwh=(10.0, 20.0, *[0.0] * 22))
    assert energy_cost_usd(draw, 7200, tariff, battery) == pytest.approx(55.0, rel=1e-12)
    assert energy_cost_usd(draw, 7200, tariff) == pytest.approx(60.0)
    flat = TariffConfig(usd_per_mwh=100.0)  # 4 MWh drawn, 0.5 charged, 0.5 given back
    assert energy_cost_usd(draw, 7200, flat, battery) == pytest.approx(400.0, rel=1e-12)


def _hour_by_hour(draw, end_s, prices, battery=None):
    """The bill as first written: every hour priced on its own (slow over centuries)."""
    from colossim.metrics.series import integral, linear_integral

    cost, hour = 0.0, 0
    while hour * 3600 < end_s:
        lo, hi = hour * 3600.0, min((hour + 1) * 3600.0, end_s)
        stored = 0.0 if battery is None else linear_integral(battery, lo, hi)
        cost += (integral(draw, lo, hi) - stored) / 3600 * prices[hour % 24]
        hour += 1
    return cost


def test_a_long_calm_stretch_is_billed_as_every_hour_of_it():
    # 3 MW held for 1,000 days under prices 1, 2, ..., 24 $/MWh: each day bills
    # 3 x (1 + ... + 24) = 900 $. Hour by hour, a run of 1,900 years took minutes to bill
    # (code review); now a stretch with no point in it is priced at once
    prices = tuple(float(k) for k in range(1, 25))
    tariff = TariffConfig(hourly_usd_per_mwh=prices)
    assert energy_cost_usd(series((0, 3.0)), 1000 * 86400.0, tariff) == pytest.approx(
        900_000.0, rel=1e-12)
    # 6e10 s (about 1,900 years; 16.7 million hours): 900 $ a day, and the last part day's
    # hours at their prices
    end = 6.0e10
    days, rest = divmod(end, 86400.0)
    partial = sum(3.0 * p for p in prices[: int(rest // 3600)]) + 3.0 * prices[
        int(rest // 3600)] * (rest % 3600) / 3600
    assert energy_cost_usd(series((0, 3.0)), end, tariff) == pytest.approx(
        days * 900.0 + partial, rel=1e-9)


def test_calm_stretches_between_changes_bill_as_hour_by_hour():
    # a draw that changes a few times, off the hour, with calm stretches of days between,
    # and a battery that ramps linearly across one of them: the bill agrees with pricing
    # every hour on its own
    rng = np.random.default_rng(7)
    prices = tuple(rng.uniform(0, 100, 24))
    tariff = TariffConfig(hourly_usd_per_mwh=prices)
    times = np.sort(rng.uniform(0, 90 * 86400.0, 12))
    draw = series(*[(float(t), float(rng.uniform(1, 5))) for t in times])
    battery = StepSeries()
    for t, mw in [(0.0, 0.0), (5e5, 0.0), (5e5, -2.0), (4.1e6, 1.5), (6e6, 0.0)]:
        battery.sample(t, mw)
    end = 100 * 86400.0 + 1234.5
    for with_battery in (None, battery):
        assert energy_cost_usd(draw, end, tariff, with_battery) == pytest.approx(
            _hour_by_hour(draw, end, prices, with_battery), rel=1e-10)


def test_a_run_with_a_battery_pays_for_its_charge():
    from colossim.api import load_scenario, simulate

    # one GB200 rack, one job: 720 GPU-h on 72 GPUs, 36,000 s and 1.452 MWh drawn (QA's hand
    # count); an empty 0.05 MWh battery fills at 90% round-trip efficiency: 0.05 / 0.9 MWh
    # bought beside the draw, at $100/MWh
    result = simulate(load_scenario("small", [
        "cluster.rack_groups=[{gpu_type: GB200, racks: 1}]", "cluster.pod_size_racks=1",
        "cluster.power.supply_mw=1.0", "cluster.power.pue=1.1",
        "cluster.power.battery={capacity_mwh: 0.05, max_charge_mw: 0.05, max_discharge_mw: "
        "0.05, round_trip_efficiency: 0.9, initial_soc: 0.0}",
        "cluster.power.tariff={usd_per_mwh: 100}",
        "jobs=[{name: j1, work_gpu_hours: 720, reference_gpu: GB200, min_gpus: 72,"
        " max_gpus: 72}]"]))
    assert result.cluster.energy_mwh == pytest.approx(1.452, rel=1e-12)
    assert result.power.energy_cost_usd == pytest.approx((1.452 + 0.05 / 0.9) * 100, rel=1e-9)


@pytest.mark.parametrize("hours", [3, 23, 25])
def test_hourly_prices_must_be_exactly_24_with_one_message_either_way(hours):
    # too few and too many said different things ("needs at least 24 items" against pydantic's
    # raw "Tuple should have at most 24 items after validation, not 25")
    from colossim.api import load_scenario

    prices = ",".join(["50"] * hours)
    with pytest.raises(ConfigError) as info:
        load_scenario("small", [f"cluster.power.tariff.hourly_usd_per_mwh=[{prices}]"])
    assert [p.message for p in info.value.problems] == [
        f"needs exactly 24 prices, one per hour of the day; got {hours}"]


def test_cluster_power_figures_come_from_the_record():
    record = Record()
    record.series["power_mw"] = series((0, 1.0), (3600, 3.0))
    record.series["supply_mw"] = series((0, 5.0), (1000, 2.5), (2000, 5.0))
    record.series["battery_soc"] = series((0, 1.0), (2000, 0.25), (3000, 0.75))
    record.series["gpus_throttled"] = series((0, 0.0), (1800, 100.0), (5400, 0.0))
    record.events += [Event(10.0, "power_deficit"),
                      Event(20.0, "preempt", "x", {"reason": "power"}),
                      Event(30.0, "preempt", "y")]
    p = cluster_power(record, 7200.0)
    assert p.supply_min_mw == 2.5 and p.battery_min_soc == 0.25
    assert p.throttled_gpu_hours == pytest.approx(100.0)
    assert p.time_at_cap_s == 3600.0
    assert p.deficit_events == 1 and p.power_preemptions == 1
    assert p.max_step_mw == 2.0


def test_supply_schedule_steps_dips_and_step_ups():
    cfg = PowerConfig(
        supply_mw=1000, facility_cap_mw=1400,
        schedule=[{"at_s": 100, "supply_mw": 900}],
        events=[{"kind": "dip", "start_s": 200, "duration_s": 50, "supply_mw": 700},
                {"kind": "step_up", "start_s": 300, "supply_mw": 1500},
                {"kind": "outage", "start_s": 400, "duration_s": 10}],
    )
    assert [cfg.supply_at(t) for t in (0, 100, 220, 250, 300, 405, 410)] == [
        1000, 900, 700, 900, 1400, 0, 1400]  # the step-up is held to the facility cap
    assert cfg.breakpoints() == [100, 200, 250, 300, 400, 410]


def test_bad_power_blocks_are_refused():
    with pytest.raises(ValidationError, match="duration"):
        PowerConfig(supply_mw=1, events=[{"kind": "dip", "start_s": 0, "supply_mw": 1}])
    with pytest.raises(ValidationError, match="increasing"):
        steps = [{"at_s": 5, "supply_mw": 1}, {"at_s": 5, "supply_mw": 2}]
        PowerConfig(supply_mw=1, schedule=steps)
    with pytest.raises(ValidationError, match="one of them"):
        TariffConfig()


def test_per_job_settings_must_name_a_job():
    job = {"name": "llm", "params_billion": 1, "tokens_billion": 1, "min_gpus": 72,
           "max_gpus": 72}
    with pytest.raises((ValidationError, ConfigError), match="did you mean 'llm'"):
        make_scenario([job], cluster={"power": {"supply_mw": 1, "jobs": {"lm": {"cap_w": 900}}}})


def test_integrals_over_a_span_read_only_the_points_that_meet_it():
    from colossim.metrics.series import integral, linear_integral

    # a level k from t = 10k to 10k + 10 (k = 0..999): over [25, 47], 2 x 5 + 3 x 10 + 4 x 7 = 68
    steps = series(*[(10.0 * k, float(k)) for k in range(1000)])
    assert integral(steps, 25.0, 47.0) == 68.0
    assert integral(steps, -5.0, 3.0) == 0.0  # level 0 from t = 0 (and nothing before)
    assert integral(steps, 9_995.0, 10_010.0) == 999.0 * 15  # the last level holds on
    # a ramp 0 -> 1 over [0, 3600], flat after: over [1800, 5400], 1800 x (0.5 + 1) / 2 for
    # the ramp's second half and 1800 x 1 after it: 3,150
    ramp = StepSeries()
    ramp.sample(0.0, 0.0)
    ramp.sample(3600.0, 1.0)
    assert linear_integral(ramp, 1800.0, 5400.0) == pytest.approx(3150.0, rel=1e-15)
    assert sum(integral(steps, h, h + 7.0) for h in range(0, 10_010, 7)) == pytest.approx(
        integral(steps, 0.0, 10_010.0), rel=1e-12)
