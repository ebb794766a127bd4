"""A grant of several GPU types runs at its slowest type's pace: the faster GPUs compute part of
each step and wait the rest at the communication draw, as the draw model prices it.

A 70B job on 1 GB200 rack (72 GPUs: 2,500 dense BF16 TFLOP/s, TDP 1,200 W, idle 200 W, rack
overhead 45,600 W) and 2 H100 racks (128 GPUs: 989 TFLOP/s, 700 W, 90 W, 16,000 W a rack;
docs/hardware.md). Its plan, TP 4 x PP 3 x DP 16, uses 192 of the 200 GPUs (share 0.96; the
rest idle). By hand, at full clocks with no communication share: a GB200 computes 989 / 2,500 =
0.3956 of a step and waits 0.6044 at 0.3 x 1,200 = 360 W: 0.3956 x 1,200 + 0.6044 x 360 =
692.304 W, so 200 + 0.96 x 492.304 = 672.612 W each; an H100 sets the pace: 90 + 0.96 x 610 =
675.6 W. IT power: 72 x 672.612 + 45,600 + 128 x 675.6 + 32,000 = 212,504.85 W (it was 247,597 W
with every GB200 at 1,200 W).
"""

from __future__ import annotations

from colossim.api import load_scenario, simulate
from colossim.testing.runner import run_policy
from tests.power.helpers import scenario_file

MIXED = """\
name: mixed-power
cluster:
  pod_size_racks: 4
  mixed_gpu_types: true
  rack_groups:
    - {{gpu_type: GB200, racks: 1}}
    - {{gpu_type: H100, racks: 2}}
  power: {{supply_mw: {supply}}}
jobs:
  - name: llm
    params_billion: 70
    tokens_billion: 5
    min_gpus: 200
    max_gpus: 200
    placement: gpu
  - name: late
    work_gpu_hours: 200
    reference_gpu: H100
    min_gpus: 200
    max_gpus: 200
    placement: gpu
    submit_s: 600
scheduler: {{policy: {{name: {policy}}}}}
"""
IT_W = 72 * (200 + 0.96 * (0.3956 * 1200 + 0.6044 * 360 - 200)) + 45_600 \
    + 128 * (90 + 0.96 * 610) + 2 * 16_000  # 212,504.85 W


def _scenario(tmp_path, supply: float = 1.0, policy: str = "fifo") -> str:
    return scenario_file(tmp_path, MIXED, supply, policy)


def test_the_faster_gpus_of_a_mixed_grant_wait_at_the_communication_draw(tmp_path):
    result = simulate(load_scenario(_scenario(tmp_path)))
    perf = next(e.data for e in result.record.events if e.kind == "perf" and e.job == "llm")
    assert perf["gpus_by_type"] == {"GB200": 72, "H100": 128}
    assert (perf["plan"]["tp"], perf["plan"]["pp"], perf["plan"]["dp"]) == (4, 3, 16)
    it_w = result.record.series["it_power_mw"].values[0] * 1e6
    assert abs(it_w - IT_W) <= 1e-6 * IT_W


def test_the_engines_clock_limit_and_power_aware_price_a_mixed_grant_alike(tmp_path):
    """At 0.2 MW (the job asks 0.2338 MW at the facility) the engine's fallback limits fifo's
    clocks to draw the supply exactly, searching on the same paced draw. power-aware prices the
    grant as the engine does: at full clock its 192 computing GPUs add IT_W less the idle
    facility. Its caps are watts per GPU, one for all types, under which the types run at
    different clocks, so on a mixed grant it plans in caps: once the job runs (re-planned when
    ``late`` arrives at 600 s, on its plan's share) it draws the budget. (It planned one clock
    for all types and set the cap of the type that draws least at it: the other type ran
    slower than planned, and the job drew 0.190 MW of the 0.2.)"""
    from colossim.engine.state import RunState
    from colossim.policy.builtin.power_aware import PowerAware

    fifo = run_policy("fifo", _scenario(tmp_path, supply=0.2))
    assert abs(fifo.record.series["power_mw"].values[0] - 0.2) <= 1e-9 * 0.2
    model = RunState(load_scenario(_scenario(tmp_path))).power_model
    by_type = {"GB200": 72, "H100": 128}
    paces = dict(zip(by_type, model.paces(load_scenario(_scenario(tmp_path)).jobs[0].precision,
                                          [model.type_index[t] for t in by_type]), strict=True))
    assert paces == {"GB200": 989 / 2500, "H100": 1.0}
    watts = PowerAware._watts(model, by_type, 1.0, 0.0, 0.96, paces)
    assert abs(watts - (IT_W - model.idle_it_w)) <= 1e-9 * watts
    aware = run_policy("power-aware", _scenario(tmp_path, supply=0.2, policy="power-aware"))
    drawn = aware.record.series["power_mw"]
    assert max(drawn.values) <= 0.2 * (1 + 1e-9)
    assert abs(drawn.values[drawn.times.index(600.0)] - 0.2) <= 1e-9 * 0.2
    assert aware.power.deficit_events == 0


def _run(tmp_path, *overrides: str):
    return simulate(load_scenario(_scenario(tmp_path), list(overrides)))


def test_a_capped_faster_type_slows_a_mixed_grant_only_once_its_part_takes_longest(tmp_path):
    """QA: the lowest clock paced the grant whatever its type. A 600 W cap on every GPU: the
    GB200s run at (400 / 1,000)^(1/3) = 0.7368 and their part of a step, 0.3956 of the H100s',
    takes 0.3956 / 0.7368 = 0.537; the H100s run at (510 / 610)^(1/3) = 0.9421 and take
    1 / 0.9421 = 1.0614, which sets the step: the run is 6.1% slower, not 1 / 0.7368 = 36%.
    A 1,000 W cap on the job with a communication share of 0.2 touches only the GB200s
    (0.9283), whose part, 0.8 x 0.3956 / 0.9283 = 0.341, stays shorter than the H100s' 0.8: no
    slowdown and no GPU throttled."""
    free = _run(tmp_path)
    capped = _run(tmp_path, "cluster.power.gpu_cap_w=600")
    step = max(0.3956 / (400 / 1000) ** (1 / 3), 1 / (510 / 610) ** (1 / 3))
    ratio = capped.job("llm").jct_s / free.job("llm").jct_s  # late waits for its GPUs
    assert abs(ratio - step) <= 1e-9 * step  # 1.0614
    comm = ["cluster.power.comm_fraction=0.2"]
    base = _run(tmp_path, *comm)
    gb200_only = _run(tmp_path, *comm, "cluster.power.jobs={llm: {cap_w: 1000}}")
    assert gb200_only.job("llm").jct_s == base.job("llm").jct_s
    assert gb200_only.power.throttled_gpu_hours == 0 and gb200_only.power.time_at_cap_s == 0


def test_power_aware_never_sends_a_mixed_grant_a_cap_below_its_highest_floor(tmp_path):
    """Review: planned in caps, power-aware's lowest levels on the GB200 + H100 grant lie below
    the GB200's floor (380 W: the lowest cap it can honour), which the engine refuses; at
    0.15 MW it sent five such caps, the job ran uncapped under the engine's fallback and ended
    3% later. It sends the floor instead, and the engine's clock limit does the rest."""
    from colossim.engine.state import RunState

    model = RunState(load_scenario(_scenario(tmp_path))).power_model
    floor = max(model.curve("GB200").floor_w, model.curve("H100").floor_w)
    assert floor == model.curve("GB200").floor_w  # 200 + 1,000 x 0.6^2 x 0.5 = 380 W
    aware = run_policy("power-aware", _scenario(tmp_path, supply=0.15, policy="power-aware"))
    assert aware.invalid_decisions == 0
    caps = [e.data["watts_per_gpu"] for e in aware.record.events
            if e.kind == "power_cap" and e.data["watts_per_gpu"] is not None]
    assert caps and min(caps) >= floor
