"""The engine's change-driven caches always equal a fresh computation.

The draw book (``model.power_book``), the per-job power levels, ``refresh_rates`` (which re-rates
only jobs a modifier slows now or slowed before) and the view builder (which re-snapshots only
jobs touched since the last decision, with live progress fields for jobs holding GPUs) all skip
work for jobs that did not change. A change they missed would leave a stale number. So, after
every settle and at every decision of runs that exercise each kind of change (starts, completions,
policy preemptions, clock limits and their lifting, preemption for power, holds while generation
ramps, policy power caps, a battery), each cached value must equal what a fresh power model or a
fresh snapshot computes from the jobs themselves, exactly (they add the same numbers in the same
order).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import fields

from colossim.engine.power import power_system, power_view
from colossim.engine.simulation import Simulation
from colossim.model.jobs import JobState, Phase
from colossim.model.power import CAP_KEY, CLOCK_KEY, PowerModel
from colossim.model.power_book import DEMAND, DRAW, FLOOR, FULL
from colossim.policy.registry import make_policy
from colossim.policy.view import JobView
from tests.power.helpers import GPUS, HOUR, job, scenario

FIELDS = [f.name for f in fields(JobView)]


def _check_settled(sim: Simulation) -> None:
    state = sim.state
    running = state.running_jobs()
    assert running == [j for j in state.jobs if j.state is JobState.RUNNING]
    fresh = PowerModel(state.layout, state.scenario.cluster.power)
    fresh.dark = state.power_model.dark
    book = state.power_book
    ones = {j.index: 1.0 for j in running}
    assert book.it_w(running, DRAW) == fresh.it_w(running)
    assert book.it_w(running, DEMAND) == fresh.it_w(running, ones, demand=True)
    assert book.it_w(running, FULL) == fresh.it_w(running, ones)
    assert book.it_w(running, FLOOR) == fresh.it_w(running, dict.fromkeys(ones, 0.0))
    for one in running:  # the floor without a job that resizes
        rest = [j for j in running if j is not one]
        assert book.floor_it_w(running, one) == fresh.it_w(rest, dict.fromkeys(ones, 0.0))
    assert state.power_mw() == fresh.draw_mw(state.jobs)
    speeds = {j.index: fresh.job_speed(j) if j.phase is Phase.COMPUTE  # a pause is slowed
              or fresh.lowers_pause_draw(j) else 1.0 for j in running}  # only where it draws less
    assert book.slow(running) == {i: s for i, s in speeds.items() if s < 1.0}
    record, pue = state.record, state.scenario.cluster.power.pue
    for j in state.jobs:
        factor = speeds.get(j.index, 1.0)
        factor = factor if factor < 1.0 else 1.0
        computing = j.state is JobState.RUNNING and j.phase is Phase.COMPUTE
        assert j.factor == factor, (j.name, state.now_s)
        assert j.rate == (state.rate_for(j, j.grant) * factor if computing else 0.0)
        power = record.series.get(f"job_power_mw.{j.name}")
        throttled = record.series.get(f"job_throttled_gpus.{j.name}")
        if j.state is JobState.RUNNING:
            assert power.values[-1] == fresh.job_it_w(j) * pue / 1e6, (j.name, state.now_s)
            assert throttled.values[-1] == float(j.gpus if factor < 1.0 else 0)
        elif power is not None:
            assert power.values[-1] == 0.0 and throttled.values[-1] == 0.0
    view = power_system(state).view()
    assert dict(view.caps_w) == {j.name: j.extra[CAP_KEY] for j in state.jobs if CAP_KEY in j.extra
                                 and j.state in (JobState.PENDING, JobState.RUNNING)}
    assert dict(view.engine_clocks) == {j.name: j.extra[CLOCK_KEY] for j in running
                                        if CLOCK_KEY in j.extra}


def _fresh_view(j, now: float) -> tuple:
    cfg = j.config
    return (j.name, j.index, j.state.value, cfg.priority, cfg.submit_s, cfg.min_gpus,
            cfg.max_gpus, j.gpus, j.grant, j.work_total, j.work_at(now), j.rate,
            j.first_start_s, j.gpu_seconds + j.gpus * (now - j.since_s), cfg, j.phase.value,
            j.plan_share)


def _watch(sim: Simulation) -> Counter:
    """Check the caches after every settle and every view built; count what happened."""
    seen: Counter = Counter()
    settle, build = sim._after_change, sim.views.build

    def settled() -> None:
        settle()
        _check_settled(sim)
        seen["settles"] += 1

    def built(triggers):
        view = build(triggers)
        state = sim.state
        active = sorted((j for j in state.jobs if j.state in (JobState.PENDING, JobState.RUNNING)),
                        key=lambda j: (j.config.submit_s, j.index))
        assert [v.index for v in view.jobs] == [j.index for j in active]
        for v, j in zip(view.jobs, active, strict=True):
            assert tuple(getattr(v, f) for f in FIELDS) == _fresh_view(j, state.now_s)
        # pending and running are split once and cached on the view
        assert view.running == tuple(v for v in view.jobs if v.state == "running")
        assert view.pending == tuple(v for v in view.jobs if v.state == "pending")
        # the racks and power views are built on first read, from the state of this decision
        assert view.power == power_view(state)
        assert view.racks.free.tolist() == state.ledger.free.tolist()
        assert view.racks.usable.tolist() == state.ledger.usable.tolist()
        assert not view.racks.free.flags.writeable
        seen["views"] += 1
        return view

    sim._after_change, sim.views.build = settled, built
    return seen


def _run(sc, policy: str, params: dict | None = None) -> tuple[Simulation, Counter]:
    sim = Simulation(sc, make_policy(policy, params or {}), check_invariants=True)
    seen = _watch(sim)
    sim.run()
    seen.update(e.kind for e in sim.state.record.events)
    seen.update(f"preempt:{(e.data or {}).get('reason')}" for e in sim.state.record.events
                if e.kind == "preempt")
    return sim, seen


def _jobs(count: int = 12) -> list[dict]:
    """One- and two-rack jobs of 1-4 h arriving every 20 min, some of higher priority."""
    return [job(f"j{i}", hours=1.0 + i % 4, racks=1 + (i % 5 == 0), submit_s=1200.0 * i,
                priority=i % 3) for i in range(count)]


# Six P1 racks draw 6 MW busy, 1.08 MW at the lowest clocks. A 4 MW supply clocks four or more
# busy racks down; the dip to 0.5 MW (below three racks' floor, 0.54 MW) makes the engine
# preempt for power; the supply comes back at 4 h.
DIP = [{"at_s": 2 * HOUR, "supply_mw": 0.5}, {"at_s": 4 * HOUR, "supply_mw": 4.0}]


def test_fifo_under_clock_limits_and_a_dip_keeps_every_cache_fresh():
    sc = scenario(_jobs(), racks=6, supply_mw=4.0, schedule=DIP)
    sim, seen = _run(sc, "fifo", {"strict": False})
    assert all(j.state is JobState.COMPLETED for j in sim.state.jobs)
    assert seen["settles"] > 30 and seen["views"] > 20
    assert seen["power_limit"] > 0 and seen["preempt:power"] > 0


def test_las_preemptions_keep_live_views_fresh():
    # 2D-LAS with its queues split at half a rack-hour of service: newcomers preempt jobs that
    # have had theirs, so running jobs' attained service is read at many decisions
    params = {"thresholds_gpu_s": [0.5 * HOUR * GPUS]}
    sim, seen = _run(scenario(_jobs(), racks=3, supply_mw=2.5), "las", params)
    assert all(j.state is JobState.COMPLETED for j in sim.state.jobs)
    assert seen["preempt:None"] > 0 and seen["power_limit"] > 0


def test_power_aware_caps_keep_every_cache_fresh():
    sc = scenario(_jobs(8), racks=6, supply_mw=3.0, schedule=DIP)
    sim, seen = _run(sc, "power-aware")
    assert seen["power_cap"] > 0 and seen["settles"] > 20


def test_holds_while_generation_ramps_and_a_battery_keep_every_cache_fresh():
    # generation ramps 0.6 MW/min: each start is staggered (held, then clocked up in stages)
    ramp = {"limit_mw_per_min": 0.6, "cover": "stagger", "stage_s": 25.0}
    sim, seen = _run(scenario(_jobs(6), racks=3, supply_mw=3.0, ramp=ramp), "fifo",
                     {"strict": False})
    assert seen["power_hold"] > 0 and seen["power_limit"] > 0
    # the same ramp covered by a battery: it discharges at each start and recharges after
    battery = {"capacity_mwh": 0.5, "max_charge_mw": 1.0, "max_discharge_mw": 2.0}
    sim, seen = _run(scenario(_jobs(6), racks=3, supply_mw=3.0, ramp={"limit_mw_per_min": 0.6},
                              battery=battery), "fifo", {"strict": False})
    assert all(j.state is JobState.COMPLETED for j in sim.state.jobs)
    assert max(sim.state.record.series["battery_mw"].values) > 0



def test_restores_after_hot_spare_swaps_are_seen_by_power_in_the_same_settle():
    # In examples/hot_spares.yaml failed trays and racks are swapped for spares while the job
    # keeps its GPUs; the reliability subsystem then pauses the job for its restore while the
    # engine settles. Power must see that pause in the same settle: after every settle each
    # running job's power level equals the draw of its phase now. (With reliability asked after
    # power, as before, the level kept the computing draw until the next event: 15 settles of
    # these 10 days were stale.)
    from pathlib import Path

    from colossim.api import load_scenario

    example = Path(__file__).resolve().parents[2] / "examples" / "hot_spares.yaml"
    sc = load_scenario(example, ["simulation.horizon_s=864000"])
    sim = Simulation(sc, make_policy(sc.scheduler.policy.name, sc.scheduler.policy.params))
    settle, pue = sim._after_change, sc.cluster.power.pue
    seen: Counter = Counter()

    def settled() -> None:
        settle()
        state = sim.state
        for j in state.running_jobs():
            level = state.record.series[f"job_power_mw.{j.name}"].values[-1]
            assert level == state.power_model.job_it_w(j) * pue / 1e6, (j.name, state.now_s)
            seen[j.phase.value] += 1

    sim._after_change = settled
    sim.run()
    restores = [e for e in sim.state.record.events
                if e.kind == "pause" and (e.data or {}).get("phase") == Phase.RESTART.value]
    assert len(restores) > 5 and seen[Phase.RESTART.value] > 5
