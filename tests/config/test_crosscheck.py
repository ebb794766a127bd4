"""Whole-scenario checks: spares, per-type capacity, the allocation grain, mixing types."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from colossim.config.catalog import BUILTIN_GPUS
from colossim.config.crosscheck import _reachable, fit_problem, usable_gpus_by_type
from colossim.config.schema import ClusterConfig, GpuSpec, JobConfig

X64 = GpuSpec.model_validate(
    {**BUILTIN_GPUS["GB200"].model_dump(), "gpus_per_domain": 64, "gpus_per_rack": 64}
)
CATALOG = {**BUILTIN_GPUS, "X64": X64}


def cluster(groups: list[tuple[str, int]], spare: int = 0, mixed: bool = True) -> ClusterConfig:
    return ClusterConfig.model_validate({
        "pod_size_racks": 4, "spare_racks": spare, "mixed_gpu_types": mixed,
        "rack_groups": [{"gpu_type": t, "racks": n, "name": f"g{i}"}
                        for i, (t, n) in enumerate(groups)],
        "power": {"supply_mw": 10},
    })


def job(min_gpus: int, max_gpus: int, placement: str = "auto") -> JobConfig:
    return JobConfig(name="j", params_billion=1, tokens_billion=1, min_gpus=min_gpus,
                     max_gpus=max_gpus, placement=placement)


def fit(j: JobConfig, c: ClusterConfig):
    return fit_problem(j, CATALOG, usable_gpus_by_type(CATALOG, c), c.mixed_gpu_types)


def test_spares_are_the_last_racks():
    # 3 GB200 racks then 2 GB300 racks, 3 spares: both GB300 racks and one GB200 rack
    c = cluster([("GB200", 3), ("GB300", 2)], spare=3)
    assert usable_gpus_by_type(CATALOG, c) == {"GB200": 2 * 72, "GB300": 0}


def test_spares_per_pod_are_the_last_racks_of_every_pod():
    # pods of 4 racks, each group starting a pod: GB200 racks 0-3 | 4-6, GB300 racks 7-8.
    # One spare per pod holds racks 3, 6 and 8; cluster.spare_racks=1 holds rack 8 as well.
    c = cluster([("GB200", 7), ("GB300", 2)], spare=1)
    assert usable_gpus_by_type(CATALOG, c, spares_per_pod=1) == {"GB200": 5 * 72, "GB300": 72}
    # two per pod: racks 2-3, 5-6 and 7-8, the whole GB300 pod
    assert usable_gpus_by_type(CATALOG, c, spares_per_pod=2) == {"GB200": 3 * 72, "GB300": 0}


def test_validate_counts_the_reliability_spares_as_the_run_does(tmp_path):
    """A job that the spares leave no room for is refused at load time, at its min_gpus line
    (it passed validation, then failed the run with no line)."""
    import pytest

    from colossim.api import load_scenario
    from colossim.errors import ConfigError

    path = tmp_path / "spares.yaml"
    path.write_text(
        "name: spares\n"
        "cluster:\n"
        "  pod_size_racks: 4\n"
        "  rack_groups: [{gpu_type: GB200, racks: 8}]\n"   # 2 pods, 576 GPUs
        "  power: {supply_mw: 10}\n"
        "jobs:\n"
        "  - name: big\n"
        "    params_billion: 1\n"
        "    tokens_billion: 1\n"
        "    min_gpus: 576\n"                                # line 10: all 8 racks
        "    max_gpus: 576\n"
        "reliability: {enabled: true, spares: {racks_per_pod: 1}}\n")  # 6 racks left
    with pytest.raises(ConfigError) as raised:
        load_scenario(str(path))
    assert [str(p) for p in raised.value.problems] == [
        f"{path}:10: jobs[0].min_gpus: 576 GPUs can never fit: the cluster has 432 usable GPUs; "
        "spares held back: reliability.spares.racks_per_pod (1 in every pod)"]
    load_scenario(str(path), ["reliability.enabled=false"])  # without the spares it fits


def test_a_job_that_fits_one_type():
    assert fit(job(72, 144), cluster([("GB200", 2)])) is None


def test_capacity():
    field, msg = fit(job(216, 216), cluster([("GB200", 2)]))  # 3 racks wanted, 2 there
    assert field == "min_gpus" and msg == "216 GPUs can never fit: the cluster has 144 usable GPUs"


def test_the_grain_of_a_domain_job():
    # whole 72-GPU domains: 73 rounds up to 144 > 100
    field, msg = fit(job(73, 100), cluster([("GB200", 4)]))
    assert field == "max_gpus" and "rounds up to 144 GPUs" in msg
    assert fit(job(73, 100, placement="gpu"), cluster([("GB200", 4)])) is None
    # domain placement on a job smaller than a domain: one whole domain of 72 > 64
    field, msg = fit(job(8, 64, placement="domain"), cluster([("GB200", 4)]))
    assert "rounds up to 72 GPUs" in msg


def test_mixing_types():
    # 72 GB200 + 64 H100 (8-GPU domains); 130..136 needs both: 72 + 64 = 136
    both = [("GB200", 1), ("H100", 1)]
    assert fit(job(130, 136), cluster(both)) is None
    field, msg = fit(job(130, 136), cluster(both, mixed=False))
    assert field == "min_gpus" and "cluster.mixed_gpu_types is false" in msg


def test_a_mix_that_cannot_land_in_the_window():
    # GB200 72 (one domain) + two X64 racks: reachable totals 0, 64, 72, 128, 136, 200;
    # nothing in [140, 150] although 200 GPUs exist and GB200 alone would take 144
    field, msg = fit(job(140, 150), cluster([("GB200", 1), ("X64", 2)]))
    assert field == "min_gpus" and msg.startswith("no mix of whole allocation units")


def _brute(low: int, high: int, units: dict[str, int], usable: dict[str, int]) -> bool:
    ranges = [range(0, usable[t] // u + 1) for t, u in units.items()]
    return any(low <= sum(k * u for k, u in zip(ks, units.values(), strict=True)) <= high
               for ks in itertools.product(*ranges))


@settings(max_examples=200, deadline=None)
@given(
    units=st.lists(st.sampled_from([1, 8, 64, 72]), min_size=1, max_size=3),
    counts=st.lists(st.integers(0, 6), min_size=3, max_size=3),
    low=st.integers(1, 500),
    span=st.integers(0, 80),
)
def test_reachable_equals_brute_force(units, counts, low, span):
    unit = {f"t{i}": u for i, u in enumerate(units)}
    usable = {f"t{i}": u * counts[i] for i, u in enumerate(units)}
    assert _reachable(low, low + span, unit, usable) == _brute(low, low + span, unit, usable)


def test_a_maintenance_window_names_pods_the_cluster_has():
    # small: 4 racks in pods of 2, so pods 0 and 1; pod 5 (and -1) was found only by the run,
    # with no file or line
    from colossim.api import load_scenario
    from colossim.errors import ConfigError

    window = "reliability.maintenance=[{start_s: 3600, duration_s: 600, pods: [0, 5, -1]}]"
    with pytest.raises(ConfigError) as err:
        load_scenario("small", ["reliability.enabled=true", window])
    assert [(p.field, p.message) for p in err.value.problems] == [
        ("reliability.maintenance[0].pods[1]", "pod 5 does not exist (pods 0..1)"),
        ("reliability.maintenance[0].pods[2]", "pod -1 does not exist (pods 0..1)")]
