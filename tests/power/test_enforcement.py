"""Whole runs on the hand-computable ``P1`` cluster (see helpers): dips, batteries, caps, ramps,
the fallback and its record. A 10-hour job on one rack ends at 36,000 s undisturbed."""

from __future__ import annotations

import numpy as np
import pytest

from colossim.engine.simulation import Simulation
from colossim.model.jobs import JobState
from colossim.policy.actions import SetPowerCap, Start
from colossim.policy.api import BasePolicy
from tests.power.helpers import HOUR, events, job, level_at, run, scenario

FULL = 10 * HOUR
DIP = [{"kind": "dip", "start_s": HOUR, "duration_s": 2 * HOUR, "supply_mw": 0.7}]
# A job the fallback preempts pays a policy preemption's checkpoint-restart when it starts
# again (engine.switch_costs): 1 GB per GPU for a GPU-hours job, 1,000 GPUs = 1 TB, written at
# 2 TB/s (0.5 s), relaunched (120 s) and read at 7 TB/s (1/7 s): 120.642857 s, paused holding
# its GPUs at the restart draw, 0.2 x TDP
SWITCH_S = 1e12 / 2e12 + 120.0 + 1e12 / 7e12


def battery(mwh: float, **extra) -> dict:
    return {"capacity_mwh": mwh, "max_charge_mw": 0.5, "max_discharge_mw": 1.0,
            "round_trip_efficiency": 0.81, **extra}


def test_battery_rides_a_dip_and_discharges_exactly_the_deficit():
    # load 1 MW, supply 0.7 MW for 2 h: 0.3 MW x 2 h = 0.6 MWh out of 1 MWh. Afterwards it
    # recharges at 0.5 MW, storing 0.81 x 0.5 = 0.405 MW: full 0.6 / 0.405 h after the dip.
    r, _ = run(scenario([job("a")], supply_mw=2.0, events=DIP, battery=battery(1.0)))
    assert r.job("a").end_s == pytest.approx(FULL)  # nothing slowed
    assert level_at(r, "battery_mwh", 3 * HOUR) == pytest.approx(0.4)
    assert r.power.battery_min_soc == pytest.approx(0.4)
    assert level_at(r, "battery_mwh", 3 * HOUR + 0.6 / 0.405 * HOUR) == pytest.approx(1.0)
    # the series is sampled at every breakpoint (linear in between): full until the dip at 1 h,
    # 0.7 MWh half way through it, and the discharge a jump from 0 to 0.3 MW at 1 h (the plot
    # showed the battery full until 3 h, then empty at once: the 1 h point was dropped)
    charge = r.record.series["battery_mwh"]
    assert np.interp([0.5 * HOUR, HOUR, 2 * HOUR], charge.times, charge.values) == \
        pytest.approx([1.0, 1.0, 0.7])
    flow = r.record.series["battery_mw"]
    at_dip = [v for t, v in zip(flow.times, flow.values, strict=True) if t == HOUR]
    assert at_dip == pytest.approx([0.0, 0.3])
    assert r.power.supply_min_mw == 0.7
    assert r.power.deficit_events == 0 and r.power.throttled_gpu_hours == 0.0


def test_when_the_battery_runs_dry_the_engine_caps_at_that_instant():
    # 0.3 MWh at 0.3 MW lasts 1 h: empty at 2 h. Then the job must fit 0.7 MW: 1000 x^3 W per
    # GPU = 700 W, x = 0.7^(1/3), for the last hour of the dip; it loses 1 h x (1 - x).
    r, _ = run(scenario([job("a")], supply_mw=2.0, events=DIP, battery=battery(0.3)))
    x = 0.7 ** (1 / 3)
    assert r.job("a").end_s == pytest.approx(FULL + HOUR * (1 - x), rel=1e-9)
    (deficit,) = events(r, "power_deficit")
    assert deficit.time_s == pytest.approx(2 * HOUR)
    limits = events(r, "power_limit")
    assert limits[0].time_s == pytest.approx(2 * HOUR)
    assert limits[0].data["clock"] == pytest.approx(x)
    assert limits[-1].time_s == pytest.approx(3 * HOUR) and limits[-1].data["clock"] is None
    assert level_at(r, "power_mw", 2.5 * HOUR) == pytest.approx(0.7)
    assert r.power.throttled_gpu_hours == pytest.approx(1000.0)  # 1,000 GPUs for 1 h
    from colossim.metrics.compare import run_metrics

    assert run_metrics(r, {}).throttled_gpu_hours == pytest.approx(1000.0)  # compare's row
    assert r.job("a").time_at_cap_s == pytest.approx(HOUR)


def test_a_scenario_cap_slows_the_job_as_the_curve_says():
    # 512 W: 1000 x^3 = 512, x = 0.8: 10 h of work takes 12.5 h, at 0.512 MW
    r, _ = run(scenario([job("a")], jobs={"a": {"cap_w": 512.0}}))
    assert r.job("a").end_s == pytest.approx(FULL / 0.8)
    assert r.job("a").energy_mwh == pytest.approx(0.512 * 12.5)
    # with a quarter of each step communication-bound (30% of TDP): a step takes
    # 0.75 / 0.8 + 0.25 = 1.1875 of its full-speed time
    r, _ = run(scenario([job("a")], jobs={"a": {"cap_w": 512.0, "comm_fraction": 0.25}}))
    assert r.job("a").end_s == pytest.approx(FULL * 1.1875)
    mean_w = (0.75 / 0.8 * 512 + 0.25 * 300) / 1.1875
    assert r.job("a").energy_mwh == pytest.approx(mean_w * 1000 / 1e6 * FULL * 1.1875 / HOUR)


class CapAtStart(BasePolicy):
    """Starts the one job and caps it at 343 W (x = 0.7) at once."""

    name = "cap-at-start"

    def decide(self, view):
        if view.pending:
            j = view.pending[0]
            return [Start(j.name, ((0, 1000),)), SetPowerCap(j.name, 343.0)]
        return []


def test_a_policy_cap_slows_the_job_as_the_curve_says():
    r, _ = run(scenario([job("a")]), policy=CapAtStart())
    assert r.job("a").end_s == pytest.approx(FULL / 0.7)
    (cap,) = events(r, "power_cap")
    assert cap.data == {"watts_per_gpu": 343.0}


class CapBelowFloor(CapAtStart):
    def decide(self, view):
        actions = super().decide(view)
        return [*actions[:1], SetPowerCap("a", 100.0)] if actions else []


def test_a_cap_below_the_floor_is_refused():
    # the floor is the lowest clock's draw: 1000 x 0.5 x 0.36 = 180 W
    r, _ = run(scenario([job("a")]), policy=CapBelowFloor())
    refused = [d for d in r.record.decisions if d.action["action"] == "setpowercap"]
    assert refused[0].verdict == "invalid" and "180 W" in refused[0].reason
    assert r.job("a").end_s == pytest.approx(FULL)


def test_a_large_start_under_a_ramp_limit_is_covered_by_the_battery():
    # generation starts at the idle facility's 0 MW and ramps 0.6 MW/min = 0.01 MW/s: the
    # battery covers 1 MW falling to 0 over 100 s, 50 MW.s = 0.01389 MWh. Nothing is slowed.
    r, _ = run(scenario([job("a")], ramp={"limit_mw_per_min": 0.6},
                        battery=battery(1.0, max_discharge_mw=2.0)))
    assert r.job("a").end_s == pytest.approx(FULL)
    assert r.power.battery_min_mwh == pytest.approx(1.0 - 50 / 3600)
    assert r.power.max_step_mw == pytest.approx(1.0)


def test_a_large_start_under_a_ramp_limit_is_staggered():
    # stagger, stages of 25 s, no battery. At 0 not even the lowest clock (180 kW) fits 0 MW:
    # the job is held 25 s (max(stage, 0.18 MW / 0.01 MW/s = 18 s)). Then caps follow
    # generation: 0.25, 0.5, 0.75 MW at 25, 50, 75 s (x = 0.25^(1/3), ...), full at 100 s.
    r, _ = run(scenario([job("a")], ramp={"limit_mw_per_min": 0.6, "cover": "stagger",
                                          "stage_s": 25.0}))
    lost = 25 + 25 * sum(1 - f ** (1 / 3) for f in (0.25, 0.5, 0.75))
    assert r.job("a").end_s == pytest.approx(FULL + lost, rel=1e-9)
    assert [e.time_s for e in events(r, "power_limit")] == pytest.approx([25, 50, 75, 100])
    assert r.power.power_holds == 1 and r.power.deficit_events == 0
    assert level_at(r, "power_mw", 60.0) == pytest.approx(0.5)


def test_a_staged_ramp_after_a_dip_relaxes_the_limit_once_a_stage_and_lifts_it_once():
    # QA: the dip (0.7 MW for 2 h) empties the 0.2 MWh battery; when it ends, generation ramps
    # from 0.7 to the job's 1 MW at 0.03 MW/min (10 minutes, stages of 60 s). A battery that
    # generation refilled a little between stages lifted the limit at each stage, ran dry two
    # seconds later and began a new staged ramp: 10 lifts and 10 power_stagger events.
    r, _ = run(scenario([job("a")], supply_mw=2.0, events=DIP,
                        ramp={"limit_mw_per_min": 0.03, "cover": "stagger"},
                        battery=battery(0.2, max_discharge_mw=0.5)))
    after = [e for e in events(r, "power_limit") if e.time_s > 3 * HOUR]
    assert [e.data["clock"] is None for e in after].count(True) == 1
    assert after[-1].data["clock"] is None  # lifted once, at the end
    assert after[-1].time_s == pytest.approx(3 * HOUR + 600, abs=60)
    assert len([e for e in events(r, "power_stagger") if e.time_s > 3 * HOUR]) <= 1


class Fifo(BasePolicy):
    """Starts whatever is pending on rack = its index (records verdicts for the test)."""

    name = "by-index"

    def decide(self, view):
        return [Start(j.name, ((j.index, 1000),)) for j in view.pending]


def test_fallback_preempts_the_lowest_priority_and_refuses_its_restart():
    # two 1 MW jobs; supply dips to 0.2 MW for an hour with no battery. Lowest clocks need
    # 2 x 0.18 MW > 0.2: after the policy does nothing, b (priority 0) is preempted; a runs
    # capped to 0.2 MW: 1000 x 0.36 x = 200 W, x = 0.5556 (below the knee). b's restart is
    # refused for power until the supply returns at 2 h; then it pays its checkpoint-restart
    # (it paid none: a power preemption was cheaper than a policy's)
    dip = [{"kind": "dip", "start_s": HOUR, "duration_s": HOUR, "supply_mw": 0.2}]
    jobs = [job("a", priority=1), job("b")]
    r, _ = run(scenario(jobs, racks=2, supply_mw=3.0, events=dip), policy=Fifo())
    x = 0.2 / 0.36
    assert r.job("a").end_s == pytest.approx(FULL + HOUR * (1 - x), rel=1e-9)
    assert r.job("b").end_s == pytest.approx(FULL + HOUR + SWITCH_S, rel=1e-12)
    (pause,) = [e for e in events(r, "pause") if e.job == "b"]
    assert pause.time_s == 2 * HOUR
    assert pause.data == {"phase": "restart", "seconds": pytest.approx(SWITCH_S, rel=1e-12)}
    assert r.job("b").restart_gpu_hours == pytest.approx(1000 * SWITCH_S / HOUR, rel=1e-9)
    (pre,) = [e for e in events(r, "preempt") if e.job == "b"]
    assert pre.time_s == HOUR and pre.data == {"reason": "power"}
    refused = [d for d in r.record.decisions if d.verdict == "infeasible"]
    assert refused and all("power:" in d.reason for d in refused)
    assert r.power.power_preemptions == 1


def test_jobs_restarting_after_a_power_preemption_restart_under_the_clock_limit():
    # Both 1 MW jobs are preempted at 1 h (0.1 MW < one job's lowest clock, 1000 x 180 W). At
    # 1 h 10 the supply is 0.37 MW: fifo restarts both (lowest clocks 0.18 + 0.18 <= 0.37), and
    # both pay their checkpoint-restart, at the restart draw 2 x 0.2 MW > 0.37. The clock limit
    # caps a restarting job's draw as a cap does: below the knee a GPU at clock x draws
    # 1000 x 0.36 x W, so 2 x 0.36 x = 0.37 MW, x = 0.37 / 0.72 = 0.5139 (>= the lowest clock
    # 0.5): each restarts at 185 W a GPU and then computes at the same clock until the supply
    # returns at 2 h. Before, the limit was set on computing jobs only: b (priority 0) was
    # preempted at 1 h 10, started again when a computed and preempted again, and waited for
    # the supply at 2 h (4 preemptions)
    dips = [{"kind": "dip", "start_s": HOUR, "duration_s": 600, "supply_mw": 0.1},
            {"kind": "dip", "start_s": HOUR + 600, "duration_s": 3000, "supply_mw": 0.37}]
    jobs = [job("a", priority=1), job("b")]
    r, _ = run(scenario(jobs, racks=2, supply_mw=3.0, events=dips), policy=Fifo())
    back = HOUR + 600
    assert [(e.time_s, e.job) for e in events(r, "preempt")] == [(HOUR, "b"), (HOUR, "a")]
    x = 0.37 / 0.72
    limits = events(r, "power_limit")
    assert {e.job for e in limits if e.time_s == back} == {"a", "b"}
    assert all(e.data["clock"] == pytest.approx(x, rel=1e-12)
               for e in limits if e.time_s < 2 * HOUR)
    assert [e.data["clock"] for e in limits if e.time_s == 2 * HOUR] == [None, None]
    assert level_at(r, "power_mw", back + 1) == pytest.approx(0.37, rel=1e-12)  # restarting
    assert level_at(r, "power_mw", back + SWITCH_S + 1) == pytest.approx(0.37, rel=1e-12)
    # each: 1 h done before the dip, (2 h - 1 h 10 - switch) x x during it, 9 h less that after
    end = 2 * HOUR + 9 * HOUR - (2 * HOUR - back - SWITCH_S) * x
    assert [r.job(n).end_s for n in "ab"] == [pytest.approx(end, rel=1e-12)] * 2


def test_an_outage_takes_the_facility_dark_and_back():
    # idle GPUs at 100 W: even the idle rack (0.1 MW) cannot be powered during the outage, so
    # the job is preempted and the facility goes dark until the supply returns
    dip = [{"kind": "outage", "start_s": HOUR, "duration_s": HOUR}]
    r, _ = run(scenario([job("a")], events=dip, gpu={"idle_w": 100.0}), policy=Fifo())
    assert [e.time_s for e in events(r, "power_dark")] == [HOUR]
    assert [e.time_s for e in events(r, "power_restored")] == [2 * HOUR]
    assert level_at(r, "power_mw", 1.5 * HOUR) == 0.0
    assert r.job("a").end_s == pytest.approx(FULL + HOUR + SWITCH_S, rel=1e-12)
    # 10 h at 1 MW and the restart pause at 1,000 x 200 W; the dark hour draws 0
    assert r.cluster.energy_mwh == pytest.approx(10.0 + 0.2 * SWITCH_S / HOUR, rel=1e-9)


def test_the_battery_fills_dips_not_demand_above_the_firm_supply_unless_peak_shaving():
    # supply 0.8 MW for a 1 MW job. By default the battery is kept for dips: the job runs at
    # x = 0.8^(1/3) throughout and the battery stays full. With peak shaving it carries 0.2 MW
    # for 1 MWh / 0.2 MW = 5 h at full speed, then runs dry and the job is capped.
    x = 0.8 ** (1 / 3)
    r, _ = run(scenario([job("a")], supply_mw=0.8, battery=battery(1.0)))
    assert r.job("a").end_s == pytest.approx(FULL / x, rel=1e-9)
    assert r.power.battery_min_mwh == pytest.approx(1.0)
    r, _ = run(scenario([job("a")], supply_mw=0.8, battery=battery(1.0, peak_shaving=True)))
    assert r.job("a").end_s == pytest.approx(5 * HOUR + 5 * HOUR / x, rel=1e-9)
    assert r.power.battery_min_mwh == pytest.approx(0.0, abs=1e-9)


def test_admission_sums_the_floor_only_when_the_peak_does_not_fit():
    # Two P1 racks at full draw: 2 x 1,000 x 1,000 W = 2 MW, and a new one-rack grant counted
    # on top, 3 MW (PUE 1, idle 0, no overhead): with a 3 MW supply no start can be refused.
    # At 0.3 MW the floor is summed: a at its lowest clock (0.18 MW) plus b's rack at its
    # lowest clock (0.18 MW) is 0.36 MW > 0.3, so b is refused; at 0.4 MW it is admitted.
    from colossim.engine.apply import apply_action
    from colossim.engine.power import power_system

    for supply, verdict in ((3.0, "applied"), (0.4, "applied"), (0.3, "infeasible")):
        sim = Simulation(scenario([job("a"), job("b")], racks=2, supply_mw=supply), Fifo())
        state = sim.state
        assert state.power_model.peak_mw({}) == pytest.approx(2.0)
        assert state.power_model.peak_mw({"P1": 1000}) == pytest.approx(3.0)
        for j in state.jobs:
            j.state = JobState.PENDING
        assert apply_action(state, Start("a", ((0, 1000),))).verdict == "applied"
        sim._after_change()
        assert power_system(state).enforcer.floor_mw_with(state.jobs[1], {"P1": 1000}) \
            == pytest.approx(0.36)
        decision = apply_action(state, Start("b", ((1, 1000),)))
        assert decision.verdict == verdict, (supply, decision.reason)
        if verdict == "infeasible":
            # 0.36 MW, not "0.4": one decimal rounded the reason away (QA: "needs 0.3 MW, supply
            # is 0.3 MW" for 0.3068 against 0.3)
            assert decision.reason == "power: needs 0.36 MW at the lowest clocks, supply is 0.3 MW"


@pytest.mark.parametrize(("a_mw", "b_mw", "shown"), [
    (0.306768, 0.3, ("0.307 MW", "0.3 MW")),  # QA: small, 216 GPUs: 264 kW + 42.768 kW
    (100.4, 100.0, ("100.4 MW", "100.0 MW")),  # whole MW from 100, a digit more to tell apart
    (1000.0004, 1000.0, ("1,000.0004 MW", "1,000.0000 MW")),
    (1234.0, 1000.0, ("1,234 MW", "1,000 MW")),
])
def test_two_mw_figures_compared_in_a_message_read_apart(a_mw, b_mw, shown):
    from colossim.engine.power import mw_apart

    assert mw_apart(a_mw, b_mw) == shown


def test_the_largest_step_counts_the_jobs_that_start_at_t0():
    # an idle P1 facility draws 0 MW; a and b start together at t = 0 (0 -> 2 MW), c arrives at
    # 5 h (+1 MW), b ends at 6 h and a at 10 h (-1 MW each): the largest step is the first, 2 MW
    jobs = [job("a"), job("b", hours=6.0), job("c", hours=1.0, submit_s=5 * HOUR)]
    r, _ = run(scenario(jobs, racks=3))
    assert level_at(r, "power_mw", 0.0) == pytest.approx(2.0)
    assert r.power.max_step_mw == pytest.approx(2.0)


def test_power_aware_rides_a_dip_on_the_battery_as_the_engine_would():
    # the dip of test_battery_rides_a_dip...: 0.7 MW for 2 h under a 1 MW job, 1 MWh battery.
    # Budgeting the supply alone, power-aware capped the job to 0.7 MW and left the battery
    # full; counting what the battery can deliver, it runs at full clock and the battery gives
    # 0.3 MW x 2 h = 0.6 MWh, as under fifo
    sc = scenario([job("a")], supply_mw=2.0, events=DIP, battery=battery(1.0),
                  policy="power-aware")
    r, _ = run(sc)
    assert r.job("a").end_s == pytest.approx(FULL)
    assert r.power.battery_min_soc == pytest.approx(0.4)
    # with battery: false, the old budget: capped to 0.7 MW during the dip, battery untouched
    r, _ = run(scenario([job("a")], supply_mw=2.0, events=DIP, battery=battery(1.0),
                        policy="power-aware", params={"battery": False}))
    assert r.power.battery_min_soc == pytest.approx(1.0)
    assert r.job("a").end_s > FULL
