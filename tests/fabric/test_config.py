"""The fabric block at load time: defaults, checks that name the field, the static ratio."""

from __future__ import annotations

import pytest

from colossim.api import load_scenario
from colossim.config.fabric import FabricConfig
from colossim.errors import ConfigError


def problems(*overrides: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_scenario("small", list(overrides))
    return [f"{p.field}: {p.message}" for p in info.value.problems]


def test_a_fault_in_a_pod_that_does_not_exist_is_refused_at_its_field():
    # small: 4 racks in pods of 2 -> pods 0 and 1
    found = problems("cluster.fabric.events=[{time_s: 10, tier: pod, pod: 2}]")
    assert found == ["cluster.fabric.events[0].pod: pod 2 does not exist (pods 0..1)"]


def test_the_core_has_no_pod():
    found = problems("cluster.fabric.events=[{time_s: 10, tier: core, pod: 0}]")
    assert len(found) == 1 and found[0].startswith("cluster.fabric.events[0].pod:")


def test_a_nic_override_must_name_a_known_gpu_type():
    found = problems("cluster.fabric.nic_gbit_s_by_type={GB301: 800}")
    assert found == ["cluster.fabric.nic_gbit_s_by_type.GB301: unknown GPU type 'GB301' "
                     "(did you mean 'GB300'?)"]


def test_a_bad_nic_override_is_reported_at_its_key_with_the_other_fabric_problems(tmp_path):
    # QA: the negative NIC speed showed only once link_efficiency was fixed, as
    # "nic_gbit_s_by_type: GB200: -1.0 must be positive" (no key in the path, its own wording)
    path = tmp_path / "s.yaml"
    path.write_text("include: small\ncluster:\n  fabric:\n    nic_gbit_s_by_type: {GB200: -1}\n"
                    "    link_efficiency: 2\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_scenario(str(path))
    assert [str(p) for p in info.value.problems] == [
        f"{path}:4: cluster.fabric.nic_gbit_s_by_type.GB200: must be > 0, got -1",
        f"{path}:5: cluster.fabric.link_efficiency: must be <= 1, got 2",
    ]


def test_oversubscription_below_one_and_fractions_above_one_are_refused():
    assert problems("cluster.fabric.tiers.pod.oversubscription=0.5")
    assert problems("cluster.fabric.events=[{time_s: 0, capacity_fraction: 1.5}]")


def test_the_static_ratio_multiplies_the_rack_and_pod_tiers_and_is_one_under_contention():
    cfg = FabricConfig.model_validate({"tiers": {"rack": {"oversubscription": 2},
                                                 "pod": {"oversubscription": 3}}})
    assert cfg.oversubscription == 6
    assert cfg.static_oversubscription == 1  # the contention model applies the tiers itself
    assert FabricConfig.model_validate({**cfg.model_dump(), "contention": False}
                                       ).static_oversubscription == 6


def test_colossus2_declares_spectrum_x_rail_optimised_and_the_catalog_nics():
    fabric = load_scenario("colossus2").cluster.fabric
    assert fabric.technology == "spectrum-x" and fabric.rail_optimized
    assert fabric.link_efficiency == 0.95 and fabric.nic_gbit_s is None
    assert fabric.nic_gbit("GB300", 800.0) == 800.0 and fabric.nic_gbit("GB200", 400.0) == 400.0
