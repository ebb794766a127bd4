"""The built-in hardware catalog against the published figures of the reference sheet.

Each expected number below is typed from ../shared/reference/facts.md section 1 (the row named in
the comment), not copied from the catalog, and the derived ones carry their arithmetic.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from colossim.config.catalog import BUILTIN_GPUS
from colossim.config.schema import Precision

DOCS = Path(__file__).resolve().parents[2] / "docs" / "hardware.md"


def test_gb200_matches_the_published_figures():
    g = BUILTIN_GPUS["GB200"]
    assert g.bf16_tflops == 2.5e3  # "Dense BF16/FP16 per GPU: 2.5 PFLOPS"
    assert g.fp8_tflops == 5e3  # "Dense FP8 per GPU: 5 PFLOPS"
    assert g.fp4_tflops == 10e3  # "Dense FP4 per GPU: 10 PFLOPS"
    assert (g.hbm_gb, g.hbm_usable_gb) == (192, 186)  # "192 GB nominal; 186 GB visible"
    assert g.hbm_tbytes_s == 8  # "8 TB/s"
    assert g.nvlink_gbytes_s == 1800 / 2  # "1.8 TB/s bidirectional (900 GB/s each way)"
    assert g.nic_gbit_s == 400  # "1 x ConnectX-7 at 400 Gb/s"
    assert g.tdp_w == 1200  # "GPU TDP 1,200 W"
    assert (g.gpus_per_domain, g.gpus_per_rack) == (72, 72)  # "72 GPUs per rack" NVLink domain
    assert g.rack_overhead_w == 132_000 - 72 * 1_200  # rack 132 kW (upper end) minus 72 GPUs


def test_gb300_matches_the_published_figures():
    g = BUILTIN_GPUS["GB300"]
    assert (g.bf16_tflops, g.fp8_tflops, g.fp4_tflops) == (2.5e3, 5e3, 15e3)
    assert (g.hbm_gb, g.hbm_usable_gb, g.hbm_tbytes_s) == (288, 279, 8)
    assert g.nvlink_gbytes_s == 900
    assert g.nic_gbit_s == 800  # "1 x ConnectX-8 SuperNIC at 800 Gb/s"
    assert g.tdp_w == 1400
    assert (g.gpus_per_domain, g.gpus_per_rack) == (72, 72)
    assert g.rack_overhead_w == 142_000 - 72 * 1_400  # "Full rack requiring up to 142 kW"


def test_h100_matches_the_published_figures():
    g = BUILTIN_GPUS["H100"]
    assert (g.bf16_tflops, g.fp8_tflops, g.fp4_tflops) == (989, 1979, None)
    assert (g.hbm_gb, g.hbm_tbytes_s) == (80, 3.35)
    assert g.nvlink_gbytes_s == 900 / 2  # "NVLink 4: 900 GB/s bidirectional"
    assert (g.nic_gbit_s, g.tdp_w) == (400, 700)
    assert (g.gpus_per_domain, g.gpus_per_rack) == (8, 64)  # HGX node; Colossus 1: 8 per rack
    # Colossus 1 racks of 64 H100 ">60 kW": 64 x 700 W + overhead = 60.8 kW
    assert 64 * 700 + g.rack_overhead_w == 60_800


def test_a100_anchor():
    g = BUILTIN_GPUS["A100"]
    assert g.bf16_tflops == 312 and g.hbm_gb == 80  # "312 TFLOPS dense BF16, 80 GB HBM2e"
    assert g.fp8_tflops == g.bf16_tflops  # Ampere has no FP8: FP8 work runs at the BF16 rate


def test_gb300_differs_from_gb200_in_fp4_memory_nic_and_power_not_in_bf16_fp8():
    a, b = BUILTIN_GPUS["GB200"], BUILTIN_GPUS["GB300"]
    assert (a.bf16_tflops, a.fp8_tflops) == (b.bf16_tflops, b.fp8_tflops)
    assert b.fp4_tflops > a.fp4_tflops and b.hbm_gb > a.hbm_gb and b.nic_gbit_s > a.nic_gbit_s


def test_every_entry_is_consistent_and_sourced():
    for name, g in BUILTIN_GPUS.items():
        assert g.gpus_per_rack % g.gpus_per_domain == 0, name
        assert 0 < g.idle_w < g.tdp_w, name
        assert g.source, name


@pytest.mark.parametrize("name", ["H100", "A100"])
def test_fp4_falls_back_to_fp8_where_there_is_no_fp4(name):
    g = BUILTIN_GPUS[name]
    assert g.peak_tflops(Precision.FP4) == g.fp8_tflops


def _figure(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:g}"


def test_docs_hardware_lists_every_catalog_number():
    """docs/hardware.md has a table per GPU type with each catalog value, so the doc cannot
    drift from the code silently."""
    text = DOCS.read_text(encoding="utf-8")
    for name, g in BUILTIN_GPUS.items():
        section = text.split(f"## {name}", 1)[1].split("\n## ", 1)[0]
        for field, value in g.model_dump(exclude={"source"}).items():
            if value is None:
                continue
            row = next((ln for ln in section.splitlines() if f"`{field}`" in ln), "")
            assert _figure(value) in row, f"{name}.{field} = {value} not in its docs row: {row!r}"


@pytest.mark.parametrize(("name", "said"), [
    ("Gb300", "no built-in GPU type 'Gb300' (did you mean 'GB300'?): names are case-sensitive; "
              "as a new type it would need every field of a GPU spec"),
    ("GB30", "no built-in GPU type 'GB30' (did you mean 'GB300'?): as a new type it would need "
             "every field of a GPU spec")])
def test_a_catalog_entry_named_near_a_built_in_says_which_it_likely_meant(name, said):
    """QA: ``catalog: {Gb300: {tdp_w: 1000}}`` gave eleven "required field missing" lines (a new
    type must give every field) and no word of GB300."""
    from colossim.api import load_scenario
    from colossim.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        load_scenario("small", [f"catalog.{name}.tdp_w=1000"])
    assert [p.message for p in info.value.problems] == [said]
    with pytest.raises(ConfigError) as info:  # a name near no built-in: every missing field
        load_scenario("small", ["catalog.NEXT.tdp_w=1000"])
    assert len(info.value.problems) > 5 and all(
        p.message == "required field missing" for p in info.value.problems)


def test_a_slip_in_the_name_of_a_type_the_scenario_defines_says_which_it_likely_meant(tmp_path):
    """QA: ``--set catalog.Rubn.tdp_w=2000`` beside a scenario's own ``Rubin`` gave eleven
    "required field missing" lines; a slip on a built-in's name gave one line and a hint."""
    from colossim.api import load_scenario
    from colossim.config.catalog import BUILTIN_GPUS
    from colossim.errors import ConfigError

    spec = {k: v for k, v in BUILTIN_GPUS["GB200"].model_dump().items() if v is not None}
    entry = "{" + ", ".join(f"{k}: {v!r}" for k, v in spec.items()) + "}"
    path = tmp_path / "rubin.yaml"
    path.write_text(f"name: rubin\ncatalog:\n  Rubin: {entry}\ncluster:\n  pod_size_racks: 1\n"
                    "  rack_groups: [{gpu_type: Rubin, racks: 1}]\n  power: {supply_mw: 1.0}\n"
                    "jobs: [{name: a, work_gpu_hours: 1, reference_gpu: Rubin, max_gpus: 72}]\n")
    assert load_scenario(str(path)).catalog["Rubin"].tdp_w == spec["tdp_w"]
    with pytest.raises(ConfigError) as info:
        load_scenario(str(path), ["catalog.Rubn.tdp_w=2000"])
    assert [p.message for p in info.value.problems] == [
        "no GPU type 'Rubn' in this catalog or the built-ins (did you mean 'Rubin'?): as a new "
        "type it would need every field of a GPU spec"]


def test_a_new_types_field_checks_are_said_with_its_missing_fields():
    """QA: a new type missing idle_w and with 100 GPUs a rack in domains of 144 heard only of
    idle_w; its rack size only once that was fixed (docs/scenario.md: everything at once)."""
    from colossim.api import load_scenario
    from colossim.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        load_scenario("small", ["catalog.NEXT={bf16_tflops: 1, gpus_per_domain: 144, "
                                "gpus_per_rack: 100, hbm_gb: 80, hbm_usable_gb: 90, tdp_w: 500}"])
    said = {p.field: p.message for p in info.value.problems}
    assert said["catalog.NEXT.gpus_per_rack"] == "100 is not a multiple of gpus_per_domain (144)"
    assert said["catalog.NEXT.hbm_usable_gb"] == "90.0 exceeds hbm_gb (80.0)"
    assert said["catalog.NEXT.idle_w"] == "required field missing"


def test_a_new_type_named_near_a_built_in_that_lacks_a_field_is_told_which():
    """Review: B200 (near GB200) given every field but its NIC was told only "did you mean
    'GB200'?", never which field it lacked."""
    from colossim.api import load_scenario
    from colossim.config.catalog import BUILTIN_GPUS
    from colossim.errors import ConfigError

    spec = {k: v for k, v in BUILTIN_GPUS["GB200"].model_dump().items()
            if v is not None and k != "nic_gbit_s"}
    entry = "{" + ", ".join(f"{k}: {v!r}" for k, v in spec.items()) + "}"
    with pytest.raises(ConfigError) as info:
        load_scenario("small", [f"catalog.B200={entry}"])
    assert [(p.field, p.message) for p in info.value.problems] == [
        ("catalog.B200.nic_gbit_s", "required field missing")]


def test_a_lower_precision_peak_below_a_higher_one_is_warned_of():
    """QA: a custom type with FP8 at 100 TFLOP/s beside BF16 at 5,000 read an MFU of 80%
    against an efficiency of 70%. The built-in types, A100's equal peaks included, are fine."""
    import warnings

    from colossim.api import load_scenario
    from colossim.errors import ColossimWarning

    with pytest.warns(ColossimWarning) as seen:
        load_scenario("small", ["catalog.GB200.fp8_tflops=100"])
    assert [str(w.message) for w in seen] == [
        "catalog.GB200.fp8_tflops (100) is below its bf16_tflops (2,500): lower precision "
        "never runs slower, and MFU is taken against that peak; a GPU without such units runs "
        "the work at the higher precision's rate: give fp8_tflops: 2,500"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ColossimWarning)
        load_scenario("small", ["catalog.A100.gpus_per_domain=8"])  # 312 and 312: equal
        load_scenario("small", ["catalog.GB200.fp4_tflops=5000"])  # FP4 = FP8: fine
