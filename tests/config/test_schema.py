"""The scenario schema: derived quantities, the allocation grain, strictness, frozen models."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from colossim.config.catalog import BUILTIN_GPUS
from colossim.config.schema import (
    GpuSpec,
    JobConfig,
    Precision,
    Scenario,
    SimulationConfig,
    complete_catalog,
)


def job(**kw) -> JobConfig:
    return JobConfig.model_validate({"name": "j", "params_billion": 8, "tokens_billion": 1,
                                     "max_gpus": 72, **kw})


def scenario(**extra) -> dict:
    return {
        "cluster": {"pod_size_racks": 1, "rack_groups": [{"gpu_type": "GB200", "racks": 2}],
                    "power": {"supply_mw": 1}},
        "jobs": [{"name": "j", "params_billion": 8, "tokens_billion": 1, "max_gpus": 72}],
        **extra,
    }


@pytest.mark.parametrize(
    ("placement", "max_gpus", "domain", "unit"),
    [
        ("auto", 72, 72, 72),  # can fill a domain: whole domains
        ("auto", 71, 72, 1),  # smaller than a domain: GPU by GPU
        ("auto", 8, 8, 8),  # an H100 HGX domain
        ("domain", 8, 72, 72),  # asked for whole domains
        ("gpu", 1000, 72, 1),  # asked for single GPUs
    ],
)
def test_allocation_unit(placement, max_gpus, domain, unit):
    assert job(placement=placement, max_gpus=max_gpus, min_gpus=1).allocation_unit(domain) == unit


def test_work_quantities():
    dense = job(params_billion=70, tokens_billion=30)
    assert dense.active_params == 70e9 and dense.train_tokens == 30e9
    moe = job(params_billion=671, active_params_billion=37)  # DeepSeek-V3's ratio
    assert moe.active_params == 37e9
    image = job(kind="image", params_billion=2, samples_million=500, tokens_per_sample=1024,
                tokens_billion=None)
    assert image.train_tokens == 500e6 * 1024  # 5.12e11 patches


def test_trace_style_job_by_work():
    j = job(params_billion=None, work_gpu_hours=1000, reference_gpu="H100")
    assert j.work_gpu_hours == 1000 and j.reference_gpu == "H100"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"min_gpus": 100}, "min_gpus", "100 exceeds max_gpus (72)"),
        ({"active_params_billion": 9}, "active_params_billion", "9.0 exceeds params_billion (8.0)"),
        ({"tokens_billion": None}, "tokens_billion", "required for an llm job"),
        ({"kind": "image"}, "samples_million", "required for an image job"),
        ({"work_gpu_hours": 5}, "work_gpu_hours",
         "give params_billion (a model) or work_gpu_hours, not both"),
        ({"params_billion": None, "work_gpu_hours": 5}, "reference_gpu",
         "required with work_gpu_hours (the GPU type it was measured on)"),
    ],
)
def test_whole_job_checks_blame_one_field(change, field, message):
    with pytest.raises(ValidationError) as info:
        job(**change)
    err = info.value.errors()[0]  # an image job lacks tokens_per_sample too: said as well
    assert err["ctx"]["error"].field == field
    assert str(err["ctx"]["error"]) == message


def test_every_whole_job_problem_is_said_at_once():
    # QA: min above max, a missing samples_million and active above total took three passes
    with pytest.raises(ValidationError) as info:
        job(kind="image", min_gpus=100, active_params_billion=9)
    said = [(e["ctx"]["error"].field, str(e["ctx"]["error"])) for e in info.value.errors()]
    assert said == [("min_gpus", "100 exceeds max_gpus (72)"),
                    ("samples_million", "required for an image job"),
                    ("tokens_per_sample", "required for an image job"),
                    ("active_params_billion", "9.0 exceeds params_billion (8.0)")]


def test_gpu_spec_checks_blame_one_field():
    spec = BUILTIN_GPUS["GB200"].model_dump()
    for change, field in (({"gpus_per_rack": 100}, "gpus_per_rack"),
                          ({"hbm_usable_gb": 200}, "hbm_usable_gb"), ({"idle_w": 5000}, "idle_w")):
        with pytest.raises(ValidationError) as info:
            GpuSpec.model_validate({**spec, **change})
        assert [e["loc"] for e in info.value.errors()] == [(field,)]


@pytest.mark.parametrize("value", ["on", "yes", "true", 1, 0])
def test_booleans_accept_only_booleans(value):
    with pytest.raises(ValidationError, match="expected true or false"):
        SimulationConfig(check_invariants=value)


@pytest.mark.parametrize("value", [True, False])
def test_numbers_refuse_booleans(value):
    with pytest.raises(ValidationError, match="expected a whole number"):  # the seed: an int
        SimulationConfig(seed=value)
    with pytest.raises(ValidationError, match="expected a number"):
        SimulationConfig(horizon_s=value)


def test_models_are_frozen_and_refuse_unknown_keys():
    sc = Scenario.model_validate(scenario())
    with pytest.raises(ValidationError):
        sc.name = "other"
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Scenario.model_validate(scenario(surprise=1))


def test_direct_validation_runs_the_cross_checks():
    data = scenario()
    data["cluster"]["rack_groups"][0]["gpu_type"] = "GB20"
    with pytest.raises(ValidationError, match=r"unknown GPU type 'GB20' \(did you mean 'GB200'"):
        Scenario.model_validate(data)


def test_a_catalog_entry_named_like_a_builtin_changes_only_what_it_gives():
    sc = Scenario.model_validate(scenario(catalog={"GB200": {"idle_w": 150}}))
    spec = sc.gpu_catalog()["GB200"]
    assert spec.idle_w == 150
    assert spec.tdp_w == BUILTIN_GPUS["GB200"].tdp_w == 1200
    assert spec.source.endswith("changed by the scenario: idle_w")
    assert sc.gpu_catalog()["GB300"] == BUILTIN_GPUS["GB300"]  # untouched


def test_a_new_gpu_type_must_give_every_field():
    partial = complete_catalog({"X1": {"tdp_w": 500}})
    assert partial == {"X1": {"tdp_w": 500}}  # nothing to lay it over
    with pytest.raises(ValidationError, match="Field required"):
        Scenario.model_validate(scenario(catalog={"X1": {"tdp_w": 500}}))
    full = {**BUILTIN_GPUS["H100"].model_dump(), "bf16_tflops": 1.0, "fp8_tflops": 2.0}
    sc = Scenario.model_validate(scenario(catalog={"X1": full}))
    assert sc.gpu_catalog()["X1"].peak_tflops(Precision.FP8) == 2.0


def test_json_schema_forbids_unknown_keys_everywhere():
    schema = Scenario.model_json_schema()
    assert schema["additionalProperties"] is False
    for name, definition in schema["$defs"].items():
        if definition.get("type") == "object" and "properties" in definition:
            assert definition.get("additionalProperties") is False, name
    assert {"cluster"} <= set(schema["required"])
