"""GPUs a job holds but its parallel plan leaves out draw idle power, not the job's draw.

Placement grants whole racks, and a plan whose shape does not divide them leaves GPUs with no
shard: a 200B MoE (20B active, FP8) on one GB200 NVL72 rack gets the plan TP 1 x PP 22 x DP 3 =
66 GPUs (``colossim estimate``), so 6 of its 72 GPUs idle. By hand (GB200: TDP 1,200 W, idle
200 W, rack overhead 45,600 W; docs/hardware.md): 66 x 1,200 + 6 x 200 + 45,600 = 126,000 W of
IT power, where pricing all 72 at their computing draw gave 132,000 W.
"""

from __future__ import annotations

from colossim.api import load_scenario, simulate
from colossim.policy.builtin.fifo import POLICY as BuiltinFifo
from colossim.testing.runner import run_policy
from tests.power.helpers import scenario_file

MOE = """\
name: plan-idle
cluster:
  pod_size_racks: 1
  rack_groups: [{{gpu_type: GB200, racks: 1}}]
  power: {{supply_mw: {supply}}}
jobs:
  - name: moe
    params_billion: 200
    active_params_billion: 20
    tokens_billion: 5
    precision: fp8
    min_gpus: 72
    max_gpus: 72
  - name: late
    work_gpu_hours: 72
    reference_gpu: GB200
    min_gpus: 72
    max_gpus: 72
    submit_s: 600
scheduler: {{policy: {{name: {policy}}}}}
"""
USED, HELD = 66, 72
IT_W = USED * 1200.0 + (HELD - USED) * 200.0 + 45_600.0  # 126,000 W
PUE = 1.1


def _scenario(tmp_path, supply: float = 1.0, policy: str = "fifo") -> str:
    return scenario_file(tmp_path, MOE, supply, policy)


def test_the_gpus_a_plan_leaves_out_draw_idle(tmp_path):
    result = simulate(load_scenario(_scenario(tmp_path)))
    (perf,) = [e.data for e in result.record.events if e.kind == "perf" and e.job == "moe"]
    plan = perf["plan"]
    assert (plan["tp"], plan["pp"], plan["dp"]) == (1, 22, 3)  # 66 of the rack's 72
    series = result.record.series
    assert series["it_power_mw"].values[0] == IT_W / 1e6  # 0.126 MW, not 0.132
    assert series["job_power_mw.moe"].values[0] == IT_W * PUE / 1e6
    # late, a job of the linear model, computes on all 72 once moe is done: 72 x 1,200 + 45,600
    late = [t for t, v in zip(series["job_power_mw.late"].times,
                              series["job_power_mw.late"].values, strict=True) if v > 0]
    assert late and series["it_power_mw"].values[series["it_power_mw"].times.index(late[0])] \
        == (HELD * 1200.0 + 45_600.0) / 1e6


class Probe(BuiltinFifo):
    """fifo, keeping what the view said of each running job's plan share."""

    name = "probe"
    seen: dict[str, float] = {}

    def decide(self, view):
        for job in view.running:
            Probe.seen[job.name] = job.plan_share
        return super().decide(view)


def test_a_policy_sees_the_share_of_its_gpus_a_running_jobs_plan_computes_on(tmp_path):
    Probe.seen = {}
    run_policy(Probe, _scenario(tmp_path))
    assert Probe.seen == {"moe": USED / HELD}  # seen running at late's arrival (600 s)


def test_power_aware_spends_the_watts_the_idle_gpus_leave(tmp_path):
    """0.13 MW for a job that draws 0.1386 MW at full clock: power-aware caps it. At the start
    it prices every GPU, as the engine's admission test does (the plan is known once it runs);
    at its next call (late's arrival, 600 s) it prices the 66 the plan uses and water-fills the
    budget exactly. Pricing all 72 there left the facility at 0.1247 MW, 4% of the budget
    unused, until the job ended."""
    result = run_policy("power-aware", _scenario(tmp_path, supply=0.13))
    power = result.record.series["power_mw"]
    assert power.times[:2] == [0.0, 600.0]
    assert power.values[0] < 0.13 and abs(power.values[1] - 0.13) <= 1e-9 * 0.13
    assert result.power.deficit_events == 0


def test_the_engines_clock_limit_spends_the_watts_the_idle_gpus_leave(tmp_path):
    """fifo sets no cap: at 0.13 MW the engine's fallback limits the clock, searching on the
    same draw (the plan's 66 GPUs at the limit, 6 idle), so the facility draws the supply
    exactly; priced on all 72 the search stopped short of it."""
    result = run_policy("fifo", _scenario(tmp_path, supply=0.13))
    power = result.record.series["power_mw"]
    assert abs(power.values[0] - 0.13) <= 1e-9 * 0.13
    assert result.power.time_at_cap_s > 0
    # the limit slows the 66 GPUs that compute; the 6 idle ones are not throttled (review:
    # all 72 were counted, the 10T's throttled GPU-hours 12.5% high); late, which follows it on
    # the rack (the linear model: all 72 compute), is limited too
    throttled = result.record.series["gpus_throttled"]
    assert throttled.values == [USED, HELD, 0] and result.record.series[
        "job_throttled_gpus.moe"].values[0] == USED
    moe_s, late_s = throttled.times[1], throttled.times[2] - throttled.times[1]
    assert abs(result.power.throttled_gpu_hours - (USED * moe_s + HELD * late_s) / 3600) \
        <= 1e-9 * result.power.throttled_gpu_hours
