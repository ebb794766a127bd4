"""Pinned plans and pinned rates are checked against the cluster at load (audit of issue 3).

Each bad pin is reported at its own line with its real cause (it was "does not fit in memory",
or nothing at all for a rate above peak), and a fully pinned plan fixes the job's size so a
policy never starts the job on fewer GPUs than the plan uses.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from colossim.api import load_scenario, simulate
from colossim.errors import ConfigError
from tests.scenario_cases import TWO_GB200_RACKS

# 4 GB200 NVL72 racks (peak 2,500 TFLOP/s BF16, 5,000 FP8; 72-GPU NVLink domains). The job is
# Llama-70B-shaped, written out so head and layer counts are known by hand: 80 layers,
# width 8,192, 64 heads. Line 14 is the job's training: block, line 15 the pin under test.
BASE = """\
name: pins
cluster:
  pod_size_racks: 2
  rack_groups: [{gpu_type: GB200, racks: 4}]
  power: {supply_mw: 1.0}
jobs:
  - name: j
    params_billion: 70
    tokens_billion: 1
    min_gpus: 72
    max_gpus: 144
    precision: bf16
    placement: auto
    training:
      {pin}
      layers: 80
      hidden_size: 8192
      attention_heads: 64
"""
PIN_LINE = 15


def problems(tmp_path, pin: str, base: str = BASE) -> list[str]:
    path = tmp_path / "pins.yaml"
    path.write_text(base.replace("{pin}", pin))
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    assert info.value.exit_code == 2
    return [str(p) for p in info.value.problems]


def loads(tmp_path, pin: str, base: str = BASE):
    path = tmp_path / "pins.yaml"
    path.write_text(base.replace("{pin}", pin))
    return load_scenario(path)


# --- finding 2: a pinned hardware rate above peak ------------------------------------------


def test_a_rate_above_the_gb200_peak_is_refused_at_its_line(tmp_path):
    [message] = problems(tmp_path, "achieved_tflops_per_gpu: 99999")
    assert message.endswith(
        f"pins.yaml:{PIN_LINE}: jobs[0].training.achieved_tflops_per_gpu: 99,999 is above the "
        "peak of every GPU type the job may run on (GB200 2,500 TFLOP/s at bf16); pin mfu "
        "instead to give a fraction of each type's peak")


def test_the_peak_itself_is_allowed_and_the_precision_sets_the_peak(tmp_path):
    # BF16 peak 2,500: 2,500 loads, 2,501 does not; at FP8 the peak is 5,000, so 4,000 loads
    assert loads(tmp_path, "achieved_tflops_per_gpu: 2500").jobs[0].training.pinned
    assert problems(tmp_path, "achieved_tflops_per_gpu: 2501")
    fp8 = BASE.replace("precision: bf16", "precision: fp8")
    assert loads(tmp_path, "achieved_tflops_per_gpu: 4000", fp8).jobs[0].precision == "fp8"
    [message] = problems(tmp_path, "achieved_tflops_per_gpu: 5001", fp8)
    assert "(GB200 5,000 TFLOP/s at fp8)" in message


def test_on_a_mixed_cluster_the_slowest_type_the_job_may_run_on_bounds_the_rate(tmp_path):
    # H100 (989 TFLOP/s BF16) racks beside GB200: 1,000 TFLOP/s is impossible on an H100
    mixed = BASE.replace("[{gpu_type: GB200, racks: 4}]",
                         "[{gpu_type: GB200, racks: 2}, {gpu_type: H100, racks: 2}]")
    [message] = problems(tmp_path, "achieved_tflops_per_gpu: 1000", mixed)
    assert "above the peak of a GPU type the job may run on (H100 989 TFLOP/s at bf16)" in message
    assert loads(tmp_path, "achieved_tflops_per_gpu: 989", mixed).jobs[0].training.pinned


def test_the_cli_exits_2_with_the_file_line_message(tmp_path):
    from colossim.cli.app import app

    path = tmp_path / "pins.yaml"
    path.write_text(BASE.replace("{pin}", "achieved_tflops_per_gpu: 99999"))
    out = CliRunner().invoke(app, ["run", str(path), "--quiet"])
    assert out.exit_code == 2
    assert f"pins.yaml:{PIN_LINE}: jobs[0].training.achieved_tflops_per_gpu: 99,999" in out.output


# --- finding 3: a bad plan is blamed on its real cause ---------------------------------------


@pytest.mark.parametrize(("pin", "field", "message"), [
    ("plan: {tp: 128}", "plan.tp", "128 is larger than the NVLink domain of every GPU type the "
     "job may run on (GB200 72 GPUs): tensor parallelism stays inside one domain"),
    ("plan: {ep: 4}", "plan.ep", "4 on a dense model: expert parallelism needs a mixture of "
     "experts (active_params_billion below params_billion)"),
    # 8 x 8 x 8 = 512 GPUs against max_gpus 144
    ("plan: {tp: 8, pp: 8, dp: 8}", "plan", "tp·pp·dp = 8·8·8 = 512 GPUs, above max_gpus "
     "(144); a pinned plan fixes the job's size"),
    # a partial pin: tp 8 x dp 32 is 256 GPUs at the least, whatever pp
    ("plan: {tp: 8, dp: 32}", "plan", "tp 8 and dp 32 need at least 256 GPUs, above max_gpus "
     "(144)"),
    # 64 heads: 48 does not divide them (48 <= 72, so the domain is not the cause)
    ("plan: {tp: 48}", "plan.tp", "48 does not divide the model's 64 attention heads"),
    ("plan: {pp: 81}", "plan.pp", "81 stages for a model of 80 layers"),
    ("plan: {pp: 1, interleave: 2}", "plan.interleave", "needs pipeline stages (pp above 1)"),
    # 80 layers over 8 stages: 10 per stage, which 4 does not divide
    ("plan: {pp: 8, interleave: 4}", "plan.interleave",
     "4 does not divide the 10 layers of each of the 8 stages"),
])
def test_a_bad_plan_is_reported_at_the_plan_with_its_cause(tmp_path, pin, field, message):
    [problem] = problems(tmp_path, pin)
    assert f"pins.yaml:{PIN_LINE}: jobs[0].training.{field}: {message}" in problem
    assert "memory" not in problem


def test_a_plan_below_min_gpus_is_refused(tmp_path):
    # 8 x 1 x 9 = 72 GPUs; min_gpus 144 would leave a whole 72-GPU domain idle
    base = BASE.replace("min_gpus: 72", "min_gpus: 144").replace("max_gpus: 144", "max_gpus: 216")
    [problem] = problems(tmp_path, "plan: {tp: 8, pp: 1, dp: 9}", base)
    assert problem.endswith("jobs[0].training.plan: tp·pp·dp = 8·1·9 = 72 GPUs, below min_gpus "
                            "(144); a pinned plan fixes the job's size")


def test_tp_times_ep_beyond_the_domain_on_a_moe_model(tmp_path):
    moe = BASE.replace("tokens_billion: 1", "tokens_billion: 1\n    active_params_billion: 20")
    assert loads(tmp_path, "plan: {tp: 8, ep: 8}", moe).jobs[0].training.plan.ep == 8  # 64 GPUs
    [problem] = problems(tmp_path, "plan: {tp: 16, ep: 8}", moe)  # 128 > 72
    assert problem.endswith("jobs[0].training.plan.ep: tp·ep = 16·8 = 128 is larger than the "
                            "NVLink domain of every GPU type the job may run on (GB200 72 GPUs): "
                            "expert all-to-alls stay inside one domain")


def test_a_genuine_memory_misfit_is_still_reported_as_memory(tmp_path):
    # dp only: every GPU holds all 70e9 weights and gradients, 4 B each = 280 GB, above the
    # 186 GB x 0.9 = 167 GB a GB200 plan may fill (ZeRO-1 shards only the optimizer)
    [problem] = problems(tmp_path, "plan: {tp: 1, pp: 1, dp: 144}")
    # however many GPUs: not "raise max_gpus" (QA)
    assert problem.endswith("jobs[0].max_gpus: j fits in memory on no GPU type in the cluster "
                            "(GB200: never); change the model, its pinned training.plan or the "
                            "GPU types")


# --- finding 4: a pinned plan fixes the job's size -------------------------------------------


def test_a_fully_pinned_plan_narrows_min_and_max_gpus(tmp_path):
    # 8 x 2 x 9 = 144 GPUs, two whole domains: [72, 144] becomes [144, 144]
    job = loads(tmp_path, "plan: {tp: 8, pp: 2, dp: 9}").jobs[0]
    assert (job.min_gpus, job.max_gpus) == (144, 144)
    # 8 x 1 x 5 = 40 GPUs of a domain job (max_gpus >= 72): its grant is one whole domain
    job = loads(tmp_path, "plan: {tp: 8, pp: 1, dp: 5}",
                BASE.replace("min_gpus: 72", "min_gpus: 1")).jobs[0]
    assert (job.min_gpus, job.max_gpus) == (40, 72)
    # GPU by GPU, the grant is the plan: 40
    job = loads(tmp_path, "plan: {tp: 8, pp: 1, dp: 5}",
                BASE.replace("min_gpus: 72", "min_gpus: 1")
                .replace("placement: auto", "placement: gpu")).jobs[0]
    assert (job.min_gpus, job.max_gpus) == (40, 40)
    # a partial pin fixes no size: the bounds stay
    job = loads(tmp_path, "plan: {tp: 8, pp: 2}").jobs[0]
    assert (job.min_gpus, job.max_gpus) == (72, 144)


TWO_RACKS = "name: fifo-pin\n" + TWO_GB200_RACKS + """\
jobs:
  - {name: first, params_billion: 8, tokens_billion: 5, min_gpus: 72, max_gpus: 72}
  - name: pinned
    params_billion: 70
    tokens_billion: 5
    min_gpus: 72
    max_gpus: 144
    submit_s: 60
    training: {plan: {tp: 8, pp: 2, dp: 9}}
scheduler: {policy: {name: fifo}}
"""


def test_fifo_starts_a_pinned_job_on_its_plan_size_with_no_invalid_action(tmp_path):
    """144 GPUs in all: "first" holds one rack from t=0, so at t=60 s only 72 are free. fifo
    used to start "pinned" on those 72 (min_gpus), which the engine refused as invalid; now it
    waits for "first" to end and starts on 8 x 2 x 9 = 144."""
    path = tmp_path / "fifo.yaml"
    path.write_text(TWO_RACKS)
    result = simulate(load_scenario(path))
    first, pinned = result.jobs
    assert result.invalid_decisions == 0
    assert pinned.start_s == first.end_s
    assert pinned.mean_gpus == 144
    assert pinned.plan is not None
    assert (pinned.plan["tp"], pinned.plan["pp"], pinned.plan["dp"]) == (8, 2, 9)
    assert pinned.state == "completed"


MIXED = BASE.replace("rack_groups: [{gpu_type: GB200, racks: 4}]",
                     "rack_groups: [{gpu_type: GB200, racks: 1}, {gpu_type: H100, racks: 18}]")


def test_placers_skip_gpu_types_whose_domain_cannot_hold_the_pinned_tp(tmp_path):
    """tp 16 fits GB200's 72-GPU domains, never H100's 8-GPU ones. With the one GB200 rack
    (72 GPUs) below the job's 144, fifo offered 72 GB200 + 72 H100 GPUs, which the engine refused
    as "does not fit in memory" at every decision, and the job never started. Now the placer
    keeps to GB200: the job starts at once on its 72 GPUs (min_gpus) and completes there."""
    from colossim.config.job_checks import domain_group

    scenario = loads(tmp_path, "plan: {tp: 16}", MIXED)
    assert domain_group(scenario.jobs[0]) == 16
    result = simulate(scenario, check_invariants=True)
    (job,) = result.jobs
    assert result.invalid_decisions == 0
    assert job.state == "completed" and job.start_s == 0.0 and job.mean_gpus == 72
    assert job.plan is not None and job.plan["tp"] == 16  # so it ran on the GB200 rack


def test_a_plan_problem_a_set_caused_is_reported_at_that_set(tmp_path):
    # --set jobs.0.training.plan.pp=200 pointed at the file's plan line, as if the file were wrong
    path = tmp_path / "pins.yaml"
    path.write_text(BASE.replace("{pin}", "plan: {tp: 8, pp: 2, dp: 9}"))
    with pytest.raises(ConfigError) as info:
        load_scenario(path, ["jobs.0.training.plan.pp=200"])
    assert [str(p) for p in info.value.problems] == [
        "--set jobs.0.training.plan.pp=200: jobs[0].training.plan: tp·pp·dp = 8·200·9 = 14,400 "
        "GPUs, above max_gpus (144); a pinned plan fixes the job's size"]


def test_a_moe_pinning_only_ep_is_placed_where_a_domain_holds_its_expert_group(tmp_path):
    """ep 16 (tp left to the search, at least 1) needs 16 GPUs in one NVLink domain: GB200's 72,
    not H100's 8. fifo offered the job 72 H100 + 72 GB200 GPUs (QA), refused as "does not fit
    in memory" at every decision; now it runs on the GB200 rack. On H100 alone the load says
    why, at the pin, instead of "never fits in memory"."""
    from colossim.config.job_checks import domain_group

    moe = MIXED.replace("tokens_billion: 1", "tokens_billion: 1\n    active_params_billion: 20")
    scenario = loads(tmp_path, "plan: {ep: 16}", moe)
    assert domain_group(scenario.jobs[0]) == 16
    result = simulate(scenario, check_invariants=True)
    (job,) = result.jobs
    assert result.invalid_decisions == 0 and job.state == "completed"
    assert job.start_s == 0.0 and job.mean_gpus == 72 and job.plan["ep"] == 16
    h100 = moe.replace("{gpu_type: GB200, racks: 1}, ", "")
    [problem] = problems(tmp_path, "plan: {ep: 16}", h100)
    assert problem.endswith("jobs[0].training.plan.ep: ep 16 (with tp at least 1) is larger than "
                            "the NVLink domain of every GPU type the job may run on (H100 8 GPUs): "
                            "expert all-to-alls stay inside one domain")


@pytest.mark.parametrize(("overrides", "problem"), [
    (["jobs.0.max_gpus=100"], "above max_gpus (100)"),
    (["jobs.0.max_gpus=288", "jobs.0.min_gpus=216"], "below min_gpus (216)")])
def test_a_plan_problem_a_set_bound_caused_is_reported_at_that_set(tmp_path, overrides, problem):
    # QA: a --set of the job's max_gpus or min_gpus beside a pinned plan pointed at the file's
    # plan line, although the file was fine and the --set made it wrong
    path = tmp_path / "pins.yaml"
    path.write_text(BASE.replace("{pin}", "plan: {tp: 8, pp: 2, dp: 9}"))
    with pytest.raises(ConfigError) as info:
        load_scenario(path, overrides)
    blamed = next(o for o in overrides if o.split("=")[0].rsplit(".", 1)[1] in problem)
    assert [str(p) for p in info.value.problems] == [
        f"--set {blamed}: jobs[0].training.plan: tp·pp·dp = 8·2·9 = 144 GPUs, {problem}; a "
        "pinned plan fixes the job's size"]
