"""A job the supply can never power, even alone at the lowest clocks, is warned of at load: the
engine refuses every start of it and a queue in order stalls behind it, with no word why (QA: a
trace replay under a capped supply).

By hand (``tests/power/helpers.py``): a ``P1`` GPU at the lowest clock 0.5, below the 0.6 knee,
draws 1,000 x 0.5 x 0.36 = 180 W; idle GPUs draw 0 W, PUE 1. A one-rack job (1,000 GPUs) needs
0.18 MW to start, whatever else the cluster holds.
"""

from __future__ import annotations

import warnings

import pytest

from colossim.errors import ColossimWarning
from colossim.load_warnings import warn_about
from tests.power.helpers import catalog_yaml, job, run, scenario


def warned(sc) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_about(sc)
    return [str(w.message) for w in caught if issubclass(w.category, ColossimWarning)]


def test_a_job_needing_more_than_the_supply_at_its_lowest_clocks_is_warned_and_never_runs():
    sc = scenario([job("a")], supply_mw=0.15)
    [text] = warned(sc)
    assert text == ("job a can never start: alone on its fewest GPUs at the lowest clocks, the "
                    "facility would need 0.18 MW, and the supply is at most 0.15 MW; every "
                    "start is refused and a queue served in order waits behind it: raise "
                    "cluster.power.supply_mw or lower min_gpus")
    result, _ = run(sc)
    assert result.job("a").start_s is None  # never started, as warned


def test_a_supply_that_carries_the_lowest_clocks_is_not_warned_and_the_job_runs():
    sc = scenario([job("a")], supply_mw=0.2)
    assert warned(sc) == []
    result, _ = run(sc)
    assert result.job("a").end_s is not None


def test_the_highest_supply_of_the_run_counts_not_the_first():
    # 0.15 MW at first, 0.2 MW from an hour on: the job waits, then runs. No warning.
    sc = scenario([job("a")], supply_mw=0.15,
                  schedule=[{"at_s": 3600, "supply_mw": 0.2}])
    assert warned(sc) == []


@pytest.mark.parametrize("count, shown", [
    (2, "2 jobs can never start: alone on their fewest GPUs at the lowest clocks, each needs "
        "more than the supply of at most 0.15 MW: a0 (0.18 MW), a1 (0.18 MW); "),
    (5, "5 jobs can never start: alone on their fewest GPUs at the lowest clocks, each needs "
        "more than the supply of at most 0.15 MW: a0 (0.18 MW), a1 (0.18 MW), a2 (0.18 MW) and 2 "
        "more; "),
])
def test_many_such_jobs_are_one_line_naming_three(count, shown):
    sc = scenario([job(f"a{i}") for i in range(count)], racks=count, supply_mw=0.15)
    [text] = warned(sc)
    assert text.startswith(shown)


# The same P1 racks in a file, with a second job that fits: it runs, and ``a`` stalls.
SCENARIO = "name: unpowered\n" + catalog_yaml() + """\
cluster:
  pod_size_racks: 1
  rack_groups: [{gpu_type: P1, racks: 2}]
  power: {supply_mw: 0.15, pue: 1.0}
  fabric: {contention: false}
jobs:
  - {name: a, work_gpu_hours: 1000, reference_gpu: P1, min_gpus: 1000, max_gpus: 1000}
  - {name: b, work_gpu_hours: 100, reference_gpu: P1, min_gpus: 100, max_gpus: 100}
"""


def test_the_run_s_stall_note_names_the_job_the_supply_cannot_power(tmp_path):
    from typer.testing import CliRunner

    from colossim.cli.app import app

    path = tmp_path / "unpowered.yaml"
    path.write_text(SCENARIO)
    out = CliRunner().invoke(app, ["run", str(path), "--quiet"])
    assert out.exit_code == 0, out.output
    text = " ".join(out.stdout.split())
    assert ("these jobs never finished: a (pending). The supply (at most 0.15 MW) can never "
            "power a (0.18 MW): alone on the fewest GPUs at the lowest clocks the facility "
            "would need that much; raise cluster.power.supply_mw or lower min_gpus.") in text
    assert "Did the policy leave them pending?" not in text


def test_the_advice_names_the_limit_that_binds():
    # a facility cap of 0.15 MW under a 10 MW supply: raising supply_mw would change nothing
    sc = scenario([job("a")], supply_mw=10.0, facility_cap_mw=0.15)
    [text] = warned(sc)
    assert "the supply is at most 0.15 MW" in text
    assert text.endswith("raise cluster.power.facility_cap_mw or lower min_gpus")


def test_a_need_just_above_the_supply_reads_apart_from_it():
    # 0.18 MW against 0.17999: three figures would print both as 0.18
    [text] = warned(scenario([job("a")], supply_mw=0.17999))
    assert "would need 0.18 MW, and the supply is at most 0.17999 MW" in text


def test_on_a_cluster_that_mixes_types_the_cheapest_mix_counts():
    # P2: half of P1's TDP on 500-GPU racks, so 90 W a GPU at the lowest clock. A 1,000-GPU job
    # (GPU grain) needs 0.18 MW on one P1 rack, 500 x 90 + 500 x 180 W = 0.135 MW on the P2 rack
    # and half a P1 rack. Under 0.15 MW it can start only where the cluster mixes types.
    from tests.conftest import make_scenario
    from tests.power.helpers import P1

    p2 = {**P1, "tdp_w": 500.0, "gpus_per_domain": 500, "gpus_per_rack": 500}
    jobs = [{**job("a"), "placement": "gpu"}]

    def cluster(mixed: bool):
        return make_scenario(jobs, racks={"P1": 1, "P2": 1}, catalog={"P1": P1, "P2": p2},
                             cluster={"power": {"supply_mw": 0.15, "pue": 1.0},
                                      "fabric": {"contention": False},
                                      "mixed_gpu_types": mixed})

    [text] = warned(cluster(False))
    assert "would need 0.18 MW" in text
    assert warned(cluster(True)) == []
