"""Expansion: hand-counted grids, ranges, zip, random draws, per-run seeds and stable run ids."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from colossim.api import simulate
from colossim.errors import ColossimWarning
from colossim.sweep.expand import expand
from colossim.sweep.spec import load_study
from tests.sweep.sweep_helpers import SMALL, STUDY, write_study


def plan_of(tmp_path, text, name="study.yaml"):
    return expand(load_study(write_study(tmp_path, text, name)))


def test_grid_is_the_product_in_file_order_times_seeds(tmp_path):
    plan = plan_of(tmp_path, STUDY)
    # 2 policies x 2 sizes = 4 points, x 2 seeds = 8 runs; the last knob varies fastest
    assert len(plan.runs) == 8 and plan.points == 4
    assert [dict(r.values) for r in plan.runs[::2]] == [
        {"scheduler.policy.name": "fifo", "jobs.llm-70b.max_gpus": 72},
        {"scheduler.policy.name": "fifo", "jobs.llm-70b.max_gpus": 144},
        {"scheduler.policy.name": "priority", "jobs.llm-70b.max_gpus": 72},
        {"scheduler.policy.name": "priority", "jobs.llm-70b.max_gpus": 144},
    ]
    assert [(r.point, r.replicate) for r in plan.runs[:4]] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    run = plan.runs[3]
    assert run.scenario.scheduler.policy.name == "fifo"
    assert run.scenario.jobs[0].max_gpus == 144
    assert run.scenario.simulation.seed == run.seed


def test_the_smallest_study_from_the_issue(tmp_path):
    text = f"base: {SMALL}\nparameters:\n  simulation.seed: [1, 2, 3]\nseeds: 2\n"
    plan = plan_of(tmp_path, text)
    assert len(plan.runs) == 6 and plan.points == 3
    assert len({r.seed for r in plan.runs}) == 6


def test_ranges_include_their_end_and_do_not_drift(tmp_path):
    text = (
        f"base: {SMALL}\nparameters:\n"
        "  cluster.power.supply_mw: {range: [1, 3, 0.5]}\n"  # 1, 1.5, 2, 2.5, 3
        "  cluster.power.pue: {range: [1.1, 1.3, 0.1]}\n"    # 1.1, 1.2, 1.3, no float drift
        "  jobs.llm-8b.priority: {range: [0, 4, 2]}\n"       # 0, 2, 4, ints
    )
    plan = plan_of(tmp_path, text)
    assert len(plan.runs) == 5 * 3 * 3
    values = {p: sorted({dict(r.values)[p] for r in plan.runs}) for p in plan.parameters}
    assert values["cluster.power.supply_mw"] == [1.0, 1.5, 2.0, 2.5, 3.0]
    assert values["cluster.power.pue"] == [1.1, 1.2, 1.3]
    assert values["jobs.llm-8b.priority"] == [0, 2, 4]
    assert all(type(v) is int for v in values["jobs.llm-8b.priority"])


def test_a_range_of_tiny_steps_keeps_its_values(tmp_path):
    # rounded to 12 decimal places, these were all 0.0 (and refused as "must be > 0")
    text = (f"base: {SMALL}\nparameters:\n"
            "  cluster.power.supply_mw: {range: [0.0000000000001, 0.0000000000005, "
            "0.0000000000001]}\n")
    with pytest.warns(ColossimWarning) as caught:
        plan = plan_of(tmp_path, text)
    assert [dict(r.values)["cluster.power.supply_mw"] for r in plan.runs] == [
        1e-13, 2e-13, 3e-13, 4e-13, 5e-13]
    # each point's warning names its own supply: one warning for the five, not five lines
    said = [str(w.message) for w in caught if issubclass(w.category, ColossimWarning)]
    assert said == ["every point (--dry-run lists them): the supply at the start (1e-13 MW) is "
                    "below the idle facility's draw (0.264 MW): the facility is dark and no job "
                    "can run; raise cluster.power.supply_mw or lower the idle draw (so at point "
                    "0; the other points' figures differ)"]


def test_a_range_across_zero_has_zero_in_it():
    from colossim.sweep.spec import Ranged

    # -0.3 + 3 x 0.1 is 5.55e-17 in floats: a field where 0 means "off" got a tiny value
    values = Ranged(range=[-0.3, 0.3, 0.1]).values()
    assert values == (-0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.3)
    assert str(values[3]) == "0.0"  # not -0.0 either
    assert Ranged(range=[1_000_000, 1_000_001, 0.25]).values()[1] == 1_000_000.25


def test_warnings_alike_but_for_a_name_or_said_together_stay_apart():
    from colossim.sweep.expand import _rewarn

    def said(warned, points):
        with pytest.warns(ColossimWarning) as caught:
            _rewarn(warned, points)
        return [str(w.message) for w in caught]

    # two jobs whose names differ in a digit: two warnings, at every point (review: one was
    # dropped, and the other said falsely that the points' figures differ)
    jobs = {"jobs.pretrain1.checkpoint.interval_s (3,600 s) is 4.0x its MTTF": [0, 1],
            "jobs.pretrain2.checkpoint.interval_s (3,600 s) is 4.0x its MTTF": [0, 1]}
    assert said(jobs, 2) == [f"every point (--dry-run lists them): {m}" for m in jobs]
    # two windows on two pods, both at every point: two warnings, not one
    pods = {"reliability.maintenance[0] lists pod 1 more than once": [0, 1],
            "reliability.maintenance[1] lists pod 3 more than once": [0, 1]}
    assert said(pods, 2) == [f"every point (--dry-run lists them): {m}" for m in pods]
    # one warning whose figure varies from point to point: one line
    supply = {"the supply at the start (0.31 MW) is below the idle draw (0.33 MW)": [0],
              "the supply at the start (0.32 MW) is below the idle draw (0.33 MW)": [2]}
    assert said(supply, 3) == ["points 0, 2 (--dry-run lists them): the supply at the start "
                               "(0.31 MW) is below the idle draw (0.33 MW) (so at point 0; the "
                               "other points' figures differ)"]


def test_zip_moves_knobs_together(tmp_path):
    text = (
        f"base: {SMALL}\nparameters:\n"
        "  zip:\n"
        "    jobs.llm-70b.min_gpus: [72, 72, 144]\n"
        "    jobs.llm-70b.max_gpus: [72, 144, 144]\n"
        "  scheduler.policy.name: [fifo, priority]\n"
        "seeds: [7]\n"
    )
    plan = plan_of(tmp_path, text)
    assert len(plan.runs) == 3 * 2  # three zipped rows, not 3 x 3
    pairs = [(r.scenario.jobs[0].min_gpus, r.scenario.jobs[0].max_gpus) for r in plan.runs]
    assert pairs == [(72, 72), (72, 72), (72, 144), (72, 144), (144, 144), (144, 144)]
    assert plan.partners("jobs.llm-70b.max_gpus") == ("jobs.llm-70b.min_gpus",
                                                      "jobs.llm-70b.max_gpus")
    assert plan.varied() == ("jobs.llm-70b.min_gpus", "jobs.llm-70b.max_gpus",
                             "scheduler.policy.name")


RANDOM = f"""\
base: {SMALL}
method: random
samples: 20
seed: 11
parameters:
  cluster.power.pue: {{min: 1.05, max: 1.4}}
  cluster.power.supply_mw: {{min: 0.5, max: 8, distribution: loguniform}}
  jobs.llm-8b.priority: {{min: 0, max: 3, distribution: int}}
  scheduler.policy.name: [fifo, priority]
"""


def test_random_draws_are_in_bounds_and_reproducible(tmp_path):
    plan = plan_of(tmp_path, RANDOM)
    assert len(plan.runs) == 20 and plan.points == 20
    rows = [dict(r.values) for r in plan.runs]
    assert all(1.05 <= v["cluster.power.pue"] < 1.4 for v in rows)
    assert all(0.5 <= v["cluster.power.supply_mw"] <= 8 for v in rows)
    assert {v["jobs.llm-8b.priority"] for v in rows} <= {0, 1, 2, 3}
    assert all(type(v["jobs.llm-8b.priority"]) is int for v in rows)
    assert {v["scheduler.policy.name"] for v in rows} == {"fifo", "priority"}
    again = plan_of(tmp_path, RANDOM, "again.yaml")
    assert [r.run_id for r in again.runs] == [r.run_id for r in plan.runs]
    other = plan_of(tmp_path, RANDOM.replace("seed: 11", "seed: 12"), "other.yaml")
    assert [dict(r.values) for r in other.runs] != rows


def test_adding_a_random_knob_does_not_shift_the_others(tmp_path):
    plan = plan_of(tmp_path, RANDOM)
    more = RANDOM + "  jobs.llm-70b.priority: {min: 0, max: 9, distribution: int}\n"
    wider = plan_of(tmp_path, more, "more.yaml")
    pue = [dict(r.values)["cluster.power.pue"] for r in plan.runs]
    assert [dict(r.values)["cluster.power.pue"] for r in wider.runs] == pue


def test_per_run_seeds_come_from_the_study_seed_and_the_position(tmp_path):
    plan = plan_of(tmp_path, STUDY.replace("seeds: 2", "seeds: 2\nseed: 5"))
    # the documented rule: SeedSequence(entropy=[study seed, scenario seed], spawn_key=(point,
    # replicate)); configs/small.yaml has simulation.seed 0
    for run in plan.runs:
        seq = np.random.SeedSequence(entropy=[5, 0], spawn_key=(run.point, run.replicate))
        assert run.seed == int(seq.generate_state(1)[0])
    assert len({r.seed for r in plan.runs}) == len(plan.runs)
    listed = plan_of(tmp_path, STUDY.replace("seeds: 2", "seeds: [3, 9]"), "listed.yaml")
    assert [r.seed for r in listed.runs] == [3, 9] * 4  # a list is used as given, at every point


def test_run_ids_are_a_hash_of_scenario_and_seed_only(tmp_path):
    plan = plan_of(tmp_path, STUDY)
    assert len({r.run_id for r in plan.runs}) == 8
    assert all(len(r.run_id) == 16 and int(r.run_id, 16) >= 0 for r in plan.runs)
    assert [r.run_id for r in plan_of(tmp_path, STUDY, "copy.yaml").runs] == [
        r.run_id for r in plan.runs
    ]
    # the same scenario and seed reached by two different studies has the same id
    a = plan_of(tmp_path, f"base: {SMALL}\nparameters:\n  cluster.power.pue: [1.2, 1.3]\n"
                          "seeds: [4]\n", "a.yaml")
    b = plan_of(tmp_path, f"base: {SMALL}\nset:\n  cluster.power.pue: 1.3\nseeds: [4]\n", "b.yaml")
    assert a.runs[1].run_id == b.runs[0].run_id
    assert a.runs[0].run_id != b.runs[0].run_id


def test_every_run_id_is_the_documented_hash_of_its_own_scenario_and_seed(tmp_path):
    """docs/studies.md: the first 16 hex digits of the SHA-256 of the resolved scenario (as JSON,
    keys sorted) and the seed, for each replicate (the plan dumps each point only once)."""
    for text in (STUDY, STUDY.replace("seeds: 2", "seeds: [3, 9]")):
        for run in plan_of(tmp_path, text).runs:
            blob = json.dumps({"scenario": run.scenario.model_dump(mode="json"), "seed": run.seed},
                              sort_keys=True, separators=(",", ":"))
            assert run.run_id == hashlib.sha256(blob.encode()).hexdigest()[:16]
            assert run.scenario.simulation.seed == run.seed


def test_policy_params_spelt_differently_are_one_run(tmp_path):
    """QA: backfill's estimate_factor written 1, 1.0 or left at its default (1.0) got three ids
    for one simulation, so --resume ran it again; now one id, and a study listing 1 and 1.0 is
    refused as two points of one scenario. Another value is another run."""
    from colossim.api import load_scenario
    from colossim.errors import ConfigError
    from colossim.sweep.expand import run_id

    backfill = ["scheduler.policy.name=backfill"]
    ids = {spelt: run_id(load_scenario("small", [*backfill, *spelt])) for spelt in (
        (), ("scheduler.policy.params={estimate_factor: 1}",),
        ("scheduler.policy.params={estimate_factor: 1.0}",))}
    assert len(set(ids.values())) == 1
    other = run_id(load_scenario("small", [*backfill,
                                           "scheduler.policy.params={estimate_factor: 2}"]))
    assert other not in ids.values()
    text = (f"base: {SMALL}\nset:\n  scheduler.policy.name: backfill\nparameters:\n"
            "  scheduler.policy.params.estimate_factor: [1, 1.0]\nseeds: [5]\n")
    with pytest.raises(ConfigError, match="give the same scenario"):
        plan_of(tmp_path, text)


def test_a_trace_path_spelt_differently_is_one_run(tmp_path):
    """QA: the same trace file named by a relative and by an absolute path gave two ids for the
    same jobs; the path is left out of the hash (the jobs read from it are in)."""
    from colossim.api import load_scenario
    from colossim.sweep.expand import run_id

    (tmp_path / "t.csv").write_text("job_id,submission_time,duration,num_gpu\nj-a,0,600,8\n")
    (tmp_path / "other.csv").write_text("job_id,submission_time,duration,num_gpu\nj-a,0,900,8\n")
    scenario = tmp_path / "s.yaml"
    scenario.write_text(f"include: {SMALL}\njobs: []\ntrace:\n  path: t.csv\n")
    relative = run_id(load_scenario(scenario))
    assert run_id(load_scenario(scenario, [f"trace.path={tmp_path / 't.csv'}"])) == relative
    assert run_id(load_scenario(scenario, [f"trace.path={tmp_path / 'other.csv'}"])) != relative


@pytest.mark.filterwarnings("ignore:.*the checkpoint settings of")  # failures off in small
def test_a_star_varies_a_field_of_every_job_together(tmp_path):
    text = (f"base: {SMALL}\nparameters:\n  jobs.*.checkpoint.interval_s: [600, 1200]\n"
            "seeds: 1\n")
    plan = plan_of(tmp_path, text)
    assert [[j.checkpoint.interval_s for j in r.scenario.jobs] for r in plan.runs] == [
        [600.0] * 4, [1200.0] * 4]


def test_a_scenario_holding_the_seed_mark_is_still_hashed_as_documented():
    """The ids splice each seed into a point's text at a mark (``replicate_ids``); a scenario
    whose own text holds the mark must not have it replaced too."""
    from colossim.sweep.expand import SEED_MARK, replicate_ids

    for name in ("plain", SEED_MARK):
        dumped = {"name": name, "simulation": {"seed": 0, "horizon_s": None}}
        for seed in (0, 7, 2**63 - 1):
            blob = json.dumps({"scenario": {**dumped, "simulation": {"seed": seed,
                                                                      "horizon_s": None}},
                               "seed": seed}, sort_keys=True, separators=(",", ":"))
            assert replicate_ids(dumped)(seed) == hashlib.sha256(blob.encode()).hexdigest()[:16]


def test_a_range_that_misses_its_stop_says_where_it_ends(tmp_path):
    """QA: {range: [0.5, 1.0, 0.3]} gave 0.5 and 0.8, with no word that 1.0 is never reached."""
    import warnings

    path = write_study(tmp_path, f"base: {SMALL}\nparameters:\n"
                                 "  cluster.power.pue: {range: [1.1, 1.4, 0.2]}\n")
    with pytest.warns(ColossimWarning) as caught:
        study = load_study(path)
    assert [str(w.message) for w in caught] == [
        f"{path}:3: cluster.power.pue: the range ends at 1.3, not at its stop 1.4 (1.4 is not "
        "1.1 plus a whole number of steps of 0.2)"]
    assert study.axes[0].rows == ((1.1,), (1.3,))
    exact = write_study(tmp_path, f"base: {SMALL}\nparameters:\n"  # 0.1 steps land on 1.4
                                  "  cluster.power.pue: {range: [1.1, 1.4, 0.1]}\n", "exact.yaml")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ColossimWarning)
        assert len(load_study(exact).axes[0].rows) == 4


def test_a_reliability_knob_varied_with_failures_off_is_said_to_change_nothing(tmp_path):
    # QA: hot spares 0, 2, 4 under reliability.enabled: false gave three identical rows (no
    # failures, so no rack is held back) with no word; the study's reading: "spares don't matter"
    text = (f"base: {SMALL}\nparameters:\n  zip:\n    reliability.enabled: [false, true]\n"
            "    reliability.spares.racks_per_pod: [0, 1]\n    reliability.restart_s: [60, 90]\n")
    with pytest.warns(ColossimWarning) as caught:
        plan = plan_of(tmp_path, text)
    assert len(plan.runs) == 2
    said = [str(w.message) for w in caught if issubclass(w.category, ColossimWarning)]
    # restart_s still prices a preemption's switch with the model off: not said
    assert said == ["point 0 (--dry-run lists them): reliability.spares.racks_per_pod is "
                    "varied but ignored where reliability.enabled is false: no failures, "
                    "spares or detection then, so its values give the same runs; set "
                    "reliability.enabled: true to study it"]
    usable = [simulate(run.scenario).cluster.usable_gpus for run in plan.runs]
    assert usable == [288, 144]  # with the model on, one spare rack in each of the 2 pods
