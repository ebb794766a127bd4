"""Jobs paused to checkpoint or restart under a power shortage: the engine's clock limit caps
their draw as a cap does, admission prices a restart, and a restart that steps the draw up
while generation ramps is held, not preempted (docs/power.md, "Enforcement and the fallback").

Before, the limit was set on computing jobs only: a paused job whose checkpoint or restart draw
is above its lowest-clock draw was preempted for power at each checkpoint and started straight
back (admission counts every job at its lowest clock), and a restart that generation could not
yet carry was preempted with nothing left to make generation ramp, so its job never ran again.
"""

from __future__ import annotations

import pytest

from colossim.api import load_scenario, simulate
from colossim.engine.power import power_system
from colossim.engine.simulation import Simulation
from colossim.policy.registry import make_policy
from tests.power.helpers import HOUR, events, job, run, scenario, two_gb200_racks

# H100 (catalog): TDP 700 W, idle 90 W, 64 GPUs and 16 kW of overhead a rack. Lowest clock 0.5,
# below the voltage knee 0.6: P(x) = 90 + 610 x 0.36 x W; P(0.5) = 199.8 W, and a checkpoint
# draws 0.3 x 700 = 210 W, above it. Two 64-GPU jobs on 2 racks, PUE 1.1: at their lowest
# clocks the facility draws 1.1 x (2 x 16,000 + 128 x 199.8) = 0.0633318 MW, with one of them
# checkpointing (unlimited) 1.1 x 128/2 x 10.2 W more = 0.0640499 MW
H100_DIP_MW = 0.0637
H100 = f"""name: h100
simulation: {{speed_model: linear}}
cluster:
  pod_size_racks: 2
  rack_groups: [{{gpu_type: H100, racks: 2}}]
  fabric: {{contention: false}}
  power:
    supply_mw: 1.0
    pue: 1.1
    events: [{{kind: dip, start_s: 3600, duration_s: 21600, supply_mw: {H100_DIP_MW}}}]
reliability: {{enabled: true, gpu: {{enabled: false}}, tray: {{enabled: false}},
  rack: {{enabled: false}}, network: {{enabled: false}}, software: {{enabled: false}}}}
jobs:
  - {{name: a, params_billion: 7, tokens_billion: 20, min_gpus: 64, max_gpus: 64, priority: 5,
     checkpoint: {{interval_s: 600}}}}
  - {{name: b, params_billion: 7, tokens_billion: 20, min_gpus: 64, max_gpus: 64}}
"""


def test_an_h100_checkpoint_under_the_clock_limit_preempts_nobody(tmp_path):
    # In the dip both run at one clock limit x: 1.1 x (32,000 + 128 (90 + 610 x 0.36 x)) W =
    # 0.0637 MW. A checkpoint at that limit draws min(210, P(x)) = P(x) (202.4 W < 210 W): the
    # same draw, so the limit holds through a's checkpoints and nobody is preempted. Before, a's
    # checkpoint drew 210 W, b was preempted (a power loss, rolled back to its start), started
    # again when the checkpoint ended, and so on at every one: 36 preemptions
    source = tmp_path / "h100.yaml"
    source.write_text(H100)
    r = simulate(load_scenario(str(source)), check_invariants=True)
    x = (H100_DIP_MW * 1e6 / 1.1 - 32_000 - 128 * 90) / (128 * 610 * 0.36)
    assert 0.5 < x < 0.6  # above the lowest clock, below the knee: P is linear there
    assert events(r, "preempt") == []
    limits = [e for e in events(r, "power_limit") if e.time_s < 3600 + 21600]
    assert limits and all(e.data["clock"] == pytest.approx(x, rel=1e-12) for e in limits)
    checkpoints = [e.time_s for e in events(r, "pause")
                   if e.job == "a" and e.data["phase"] == "checkpoint" and e.time_s > 3600]
    assert len(checkpoints) > 30
    draw = r.record.series["power_mw"]
    during = [v for t, v in zip(draw.times, draw.values, strict=True)
              if 3600 <= t < 3600 + 21600]
    assert max(during) == pytest.approx(H100_DIP_MW, rel=1e-9)
    assert all(j.end_s is not None for j in r.jobs)


def test_a_start_is_priced_at_its_restart_draw_when_that_is_higher():
    # P1 (idle 0, TDP 1,000 W) with communication drawing 0.1 x TDP for half of each step and a
    # restart drawing 0.5 x TDP. At the lowest clock 0.5: computing P = 1000 x 0.5 x 0.36 =
    # 180 W for 1/0.5 = 2 time units and communicating min(100, 180) W for 1: a mean of
    # (0.5/0.5 x 180 + 0.5 x 100) / (0.5/0.5 + 0.5) = 153.3 W; restarting min(500, 180) =
    # 180 W. A job started after a preemption restarts first, so admission counts 1,000 x
    # 180 W = 0.18 MW, not 0.1533 MW (which admitted it under a 0.17 MW supply its restart at
    # the lowest clock cannot fit, and the fallback preempted it)
    sc = scenario([job("a")], supply_mw=0.17, comm_fraction=0.5,
                  draw={"communication": 0.1, "restart": 0.5})
    sim = Simulation(sc, make_policy("fifo", {}))
    curve = sim.state.power_model.curve("P1")
    assert curve.mean_w(0.5, 0.5) == pytest.approx((180 + 0.5 * 100) / 1.5)
    need = power_system(sim.state).enforcer.floor_mw_with(sim.state.jobs[0], {"P1": 1000})
    assert need == pytest.approx(0.18, rel=1e-12)


SWITCH_144 = 140e9 / 2e12 + 120.0 + 140e9 / 7e12  # 10B params x 14 B: write, relaunch, read
RAMP_MW_S = 0.01 / 60


def test_a_restart_generation_cannot_carry_yet_is_held_not_preempted(tmp_path):
    # 2 GB200 racks, one 144-GPU job, PUE 1.1, no battery, generation ramping at 0.01 MW/min. A
    # 10-minute outage to 0 MW preempts the job and darkens the facility; generation ramps back
    # from 0 and carries the idle facility, 1.1 x 2 x (72 x 200 + 45,600) W = 0.132 MW, at
    # 1,600 + 0.132 / RAMP = 2,392 s. fifo starts the job again: it pays its checkpoint-restart
    # (10B params x 14 B = 140 GB at 2 TB/s, 120 s, 140 GB at 7 TB/s: 120.09 s) at the restart
    # draw, 1.1 x 144 x (240 - 200) W = 6,336 W above idle, which generation (0.132 MW) cannot
    # carry. It is held for max(stage 60 s, 6,336 W / RAMP = 38.0 s) = 60 s and then restarts.
    # Before, it was preempted: nothing ran, generation stayed at the idle draw, and the job
    # never ran again (the run stalled at 2,392 s)
    rest = """
  power:
    supply_mw: 1.0
    pue: 1.1
    ramp: {limit_mw_per_min: 0.01, initial_mw: 1.0}
    events: [{kind: outage, start_s: 1000, duration_s: 600}]
jobs:
  - {name: a, params_billion: 10, tokens_billion: 86.4, min_gpus: 144, max_gpus: 144}
"""
    r = two_gb200_racks(tmp_path, rest, check_invariants=True)
    idle, gap = 0.132, 1.1 * 144 * 40 / 1e6
    back = 1600 + idle / RAMP_MW_S
    assert [e.time_s for e in events(r, "preempt")] == [1000.0]
    holds = [(e.time_s, e.data["seconds"]) for e in events(r, "power_hold")]
    assert holds[0] == (pytest.approx(back), pytest.approx(60.0))
    # held 60 s, then the restart's 120.09 s; the restart draw is then the demand, so
    # generation (0.142 MW by then) falls back to it, 0.138336 MW. Computing at its lowest
    # clock needs 1.1 x 144 x (380 - 200) W = 0.028512 MW above idle: a second hold of
    # (0.028512 - 0.006336) / RAMP = 133.056 s while generation ramps on
    computing = back + 60 + SWITCH_144
    floor = 1.1 * 144 * 180 / 1e6
    assert holds[1:] == [(pytest.approx(computing), pytest.approx((floor - gap) / RAMP_MW_S))]
    resumes = [e.time_s for e in events(r, "resume")]
    assert resumes[:2] == [pytest.approx(computing), pytest.approx(computing + 133.056)]
    # generation reaches the full demand, 1.1 x 144 x 1,000 W above idle, and the limit is
    # lifted (0.290400 MW; from 0.138336 MW at the second hold)
    full = idle + 1.1 * 144 * 1000 / 1e6
    lifted = computing + (full - idle - gap) / RAMP_MW_S
    assert [e.time_s for e in events(r, "power_limit") if e.data["clock"] is None][-1] \
        == pytest.approx(lifted)
    assert r.job("a").end_s is not None


def test_fifo_restarts_a_job_the_fallback_preempted_once_its_lowest_clocks_fit():
    # P1: supply 0.30 MW from 1 h to 2 h (lowest clocks 2 x 0.18 MW > 0.30: b, priority 0, is
    # preempted), then 0.37 MW until 7 h. At 2 h fifo starts b again (0.18 + 0.18 <= 0.37) and
    # it pays its checkpoint-restart at 0.2 MW, above its lowest clock; the limit caps it: a and
    # b at 0.36 x MW each (below the knee), 0.72 x = 0.37, x = 0.5139, until the supply returns.
    # Before, b was preempted again at 2 h (0.18 + 0.2 > 0.37) and waited until 7 h
    dips = [{"kind": "dip", "start_s": HOUR, "duration_s": HOUR, "supply_mw": 0.30},
            {"kind": "dip", "start_s": HOUR, "duration_s": 6 * HOUR, "supply_mw": 0.37}]
    r, _ = run(scenario([job("a", priority=5), job("b")], racks=2, events=dips))
    assert [e.time_s for e in events(r, "preempt")] == [HOUR]
    x = 0.37 / 0.72
    # at 2 h a alone is first limited to the new supply (x^3 = 0.37), then both to x
    at_2h = {e.job: e.data["clock"] for e in events(r, "power_limit") if e.time_s == 2 * HOUR}
    assert at_2h == {"a": pytest.approx(x, rel=1e-12), "b": pytest.approx(x, rel=1e-12)}
    # b: 1 h done before the dip; from 2 h + switch to 7 h at x; 9 h less that after 7 h
    switch = 1e12 / 2e12 + 120.0 + 1e12 / 7e12
    done = HOUR + (5 * HOUR - switch) * x
    assert r.job("b").end_s == pytest.approx(7 * HOUR + 10 * HOUR - done, rel=1e-12)

