"""A job the fabric slows waits part of each step on the network: a power cap slows only the
computing part of its step, and the wait draws the communication draw (docs/power.md, "Waits on
the fabric"). Until 2026-12-01 the cap's clock divided the whole stretched step, wait included,
and the wait was billed at the computing draw.

By hand: the fabric tests' 72B job (tests/fabric/helpers.py) alone on two GB200 racks in pods of
two, the pod tier at 4:1, gets 25 GB/s per GPU (half its NIC), so its step takes 1/f of its
uncontended time (f from the performance model, ``factor``). Under a 620 W cap a GB200 computes
at the clock x with 200 + 1,000 x^3 = 620 W (idle 200 W, TDP 1,200 W, above the voltage knee):
x = 0.42^(1/3) = 0.7489. The step then lasts 1/x + (1/f - 1) uncontended full-clock steps, and a
GPU draws 620 W for 1/x of them and the communication draw, 0.3 x 1,200 = 360 W, for the rest.
"""

from __future__ import annotations

import pytest

from colossim.engine.simulation import Simulation
from colossim.metrics.summary import summarize
from colossim.policy.registry import make_policy
from tests.conftest import make_scenario
from tests.fabric.helpers import NIC_GBYTES_S, job, linear_rate, run_fixed, work
from tests.fabric.test_contention_runs import factor

CAP_W = 620.0
CLOCK = 0.42 ** (1 / 3)
COMM_W = 0.3 * 1200.0
OVERHEAD_W = 45_600.0  # a GB200 rack's, held or idle (draw.idle_overhead 1)
IDLE_RACK_W = 72 * 200.0 + OVERHEAD_W
ALONE = 144 * NIC_GBYTES_S / 4 / 72  # 25 GB/s: the pod uplink over the job's 72 GPUs in it


def _run(cap_w: float | None, oversubscription: float):
    power = {"supply_mw": 10.0, "pue": 1.0, **({"gpu_cap_w": cap_w} if cap_w else {})}
    scenario = make_scenario([job("a")], racks=6, pod_size_racks=2, cluster={
        "fabric": {"tiers": {"pod": {"oversubscription": oversubscription}}}, "power": power})
    return run_fixed(scenario, {"a": [0, 2]})


def _it_w_while_running(result) -> float:
    series = result.record.series["it_power_mw"]
    return series.values[series.times.index(0.0)] * 1e6


def test_a_cap_slows_only_the_computing_part_of_a_fabric_bound_step():
    f = factor(ALONE)
    assert 0.5 < f < 0.95  # the fabric binds, and the case tells the two models apart
    result = _run(CAP_W, 4)
    step = 1 / CLOCK + 1 / f - 1
    assert result.job("a").end_s == pytest.approx(work() * step / linear_rate(2), rel=1e-6)
    draw = (CAP_W / CLOCK + (1 / f - 1) * COMM_W) / step
    assert _it_w_while_running(result) == pytest.approx(
        144 * draw + 2 * OVERHEAD_W + 4 * IDLE_RACK_W, rel=1e-6)


def test_the_same_cap_on_a_full_bandwidth_fabric_divides_the_whole_step():
    result = _run(CAP_W, 1)  # 1:1: no contention, f = 1, the step is 1/x
    assert result.job("a").end_s == pytest.approx(work() / (CLOCK * linear_rate(2)), rel=1e-6)
    assert _it_w_while_running(result) == pytest.approx(
        144 * CAP_W + 2 * OVERHEAD_W + 4 * IDLE_RACK_W, rel=1e-6)


def test_without_a_cap_the_wait_still_draws_the_communication_draw():
    f = factor(ALONE)
    result = _run(None, 4)
    assert result.job("a").end_s == pytest.approx(work() / (f * linear_rate(2)), rel=1e-9)
    draw = (1200.0 + (1 / f - 1) * COMM_W) / (1 / f)
    assert _it_w_while_running(result) == pytest.approx(
        144 * draw + 2 * OVERHEAD_W + 4 * IDLE_RACK_W, rel=1e-9)


def _power_aware_run(supply_mw: float):
    """The job alone on two racks in two pods (pods of one rack: its traffic crosses the 4:1
    uplinks), and at 100 s a job that finds no free rack: power-aware plans the running job
    again then (a start is priced at the fabric's full bandwidth: the fabric's share of a job
    is known once it runs)."""
    late = {"name": "late", "work_gpu_hours": 72, "reference_gpu": "GB200", "min_gpus": 72,
            "max_gpus": 72, "submit_s": 100.0}
    scenario = make_scenario([job("a"), late], racks=2, pod_size_racks=1, policy="power-aware",
                             cluster={"fabric": {"tiers": {"pod": {"oversubscription": 4}}},
                                      "power": {"supply_mw": supply_mw, "pue": 1.0}})
    return summarize(Simulation(scenario, make_policy("power-aware", {}),
                                check_invariants=True).run(), "power-aware")


def _it_w_at(result, time_s: float) -> float:
    series = result.record.series["it_power_mw"]
    return series.values[max(k for k, t in enumerate(series.times) if t <= time_s)] * 1e6


def test_power_aware_prices_a_running_fabric_bound_job_as_the_engine_does():
    # unlimited, the job draws ``full``; under 90% of it power-aware re-plans the running job at
    # 100 s so that it draws the budget, no less: planned at the full-bandwidth share, it saw
    # the job's wait at the computing draw and kept a lower cap than the budget allowed
    full = _it_w_at(_power_aware_run(10.0), 100.0)
    supply_mw = 0.9 * full / 1e6
    result = _power_aware_run(supply_mw)
    assert _it_w_at(result, 99.0) < supply_mw * 1e6 * (1 - 1e-3)  # the start, on the safe side
    assert _it_w_at(result, 100.0) == pytest.approx(supply_mw * 1e6, rel=1e-9)
    assert result.power.deficit_events == 0  # the engine's fallback never stepped in


def test_after_a_power_preemption_the_neighbours_waits_are_priced_anew():
    """Review: a and b share a pod's 4:1 uplinks; a dip to 0.419 MW at 200 s makes power-aware's
    budget preempt b. The settle that preempted b had asked the fabric first, so power-aware's
    cap for a was planned at a's old, contended factor (b still on its links) and the engine's
    fallback held a's clock below it for the whole dip. Asked again after the preemption, the
    fabric frees b's links, and a's cap draws the dip's supply exactly: no fallback."""
    jobs = [job("a", racks=3, tokens_billion=0.5, priority=2),
            job("b", racks=3, tokens_billion=0.5, priority=1)]
    power = {"supply_mw": 2.0, "pue": 1.0,
             "events": [{"kind": "dip", "start_s": 200, "duration_s": 300, "supply_mw": 0.419}]}
    scenario = make_scenario(jobs, racks=6, pod_size_racks=2, policy="power-aware", cluster={
        "fabric": {"tiers": {"pod": {"oversubscription": 4}}}, "power": power},
        scheduler={"switch_costs": {"enabled": False}})
    result = summarize(Simulation(scenario, make_policy("power-aware", {}),
                                  check_invariants=True).run(), "power-aware")
    kinds = [(e.time_s, e.kind, e.job) for e in result.record.events]
    assert (200.0, "preempt", "b") in kinds
    assert not [k for k in kinds if k[1] == "power_limit"]  # the engine never stepped in
    drawn = result.record.series["power_mw"]
    assert abs(drawn.values[max(k for k, t in enumerate(drawn.times) if t <= 200.0)]
               - 0.419) <= 1e-9 * 0.419
