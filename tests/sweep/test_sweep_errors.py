"""Bad study files: every problem as FILE:LINE: field: message, exit code 2, nothing run."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from colossim.cli.app import app
from colossim.errors import ConfigError
from colossim.sweep.expand import load_plan
from tests.sweep.sweep_helpers import SMALL, write_study


def problems_of(path) -> list[str]:
    """What ``colossim sweep`` says of the file: the study's problems and its runs'."""
    with pytest.raises(ConfigError) as info:
        load_plan(path)
    return [str(p) for p in info.value.problems]


def test_unknown_top_level_key_is_reported_at_its_line_with_a_hint(tmp_path):
    path = write_study(tmp_path, f"base: {SMALL}\nparamters:\n  cluster.power.pue: [1.1]\n")
    assert problems_of(path) == [
        f"{path}:2: paramters: unknown field (did you mean 'parameters'?)"
    ]


def test_bad_distribution_and_a_distribution_in_a_grid(tmp_path):
    text = (
        f"base: {SMALL}\n"                                                   # 1
        "parameters:\n"                                                      # 2
        "  cluster.power.pue: {min: 1.0, max: 1.5, distribution: gauss}\n"   # 3
        "  cluster.power.supply_mw: {min: 1, max: 2}\n"                      # 4
    )
    found = problems_of(write_study(tmp_path, text))
    assert len(found) == 2
    assert found[0].startswith(f"{tmp_path}/study.yaml:3: parameters.cluster.power.pue."
                               "distribution: ")
    assert "uniform" in found[0] and "gauss" in found[0]
    assert found[1] == (
        f"{tmp_path}/study.yaml:4: parameters.cluster.power.supply_mw: a distribution needs "
        "method: random (give a list or a range for a grid)"
    )


def test_min_above_max_and_random_without_samples(tmp_path):
    text = f"base: {SMALL}\nmethod: random\nparameters:\n  cluster.power.pue: {{min: 2, max: 1}}\n"
    found = problems_of(write_study(tmp_path, text))
    assert found == [f"{tmp_path}/study.yaml:2: method: random needs samples: N",
                     f"{tmp_path}/study.yaml:4: parameters.cluster.power.pue: min (2) must be "
                     "below max (1)"]  # both in one pass: the whole-file check hid the other
    text = text.replace("method: random", "method: random\nsamples: 4")
    found = problems_of(write_study(tmp_path, text))
    assert found == [f"{tmp_path}/study.yaml:5: parameters.cluster.power.pue: min (2) must be "
                     "below max (1)"]


def test_samples_without_method_random_is_an_error_not_ignored(tmp_path):
    text = f"base: {SMALL}\nsamples: 5\nparameters:\n  cluster.power.pue: [1.1, 1.2]\n"
    assert problems_of(write_study(tmp_path, text)) == [
        f"{tmp_path}/study.yaml:2: samples: needs method: random (a grid runs every combination)"
    ]


def test_a_bad_seed_count_is_reported_at_its_line(tmp_path):
    text = f"base: {SMALL}\nparameters:\n  cluster.power.pue: [1.1]\nseeds: -1\n"
    assert problems_of(write_study(tmp_path, text)) == [
        f"{tmp_path}/study.yaml:4: seeds: the count must be at least 1"
    ]


def test_unknown_parameter_paths_point_at_the_study_line(tmp_path):
    text = (
        f"base: {SMALL}\n"
        "parameters:\n"
        "  cluster.power.suply_mw: [1, 2]\n"          # 3: a typo in a mapping key
        "  cluster.rack_groups.GB400.racks: [2]\n"    # 4: no such list item
    )
    found = problems_of(write_study(tmp_path, text))  # both at once, in line order
    assert len(found) == 2
    assert found[0].startswith(f"{tmp_path}/study.yaml:3: cluster.power.suply_mw: unknown field")
    assert "supply_mw" in found[0]
    assert found[1] == (f"{tmp_path}/study.yaml:4: cluster.rack_groups.GB400.racks: "
                        "no item named 'GB400'; items: GB200")


def test_a_bad_value_is_reported_where_the_study_gives_it(tmp_path):
    text = f"base: {SMALL}\nparameters:\n  cluster.power.supply_mw: [1.0, -5]\n"
    found = problems_of(write_study(tmp_path, text))
    assert len(found) == 1
    assert found[0].startswith(f"{tmp_path}/study.yaml:3: cluster.power.supply_mw: ")


def test_bad_base_missing_or_invalid(tmp_path):
    found = problems_of(write_study(tmp_path, "base: smal\nseeds: 2\n"))
    assert len(found) == 1
    assert found[0] == (f"{tmp_path}/study.yaml:1: base: no such file or scenario named 'smal' "
                        f"(looked for {tmp_path}/smal, beside study.yaml, and in the current "
                        "folder); did you mean the built-in scenario 'small'?")  # QA: which?
    gone = tmp_path / "gone.yaml"  # an absolute path names itself too (review)
    assert problems_of(write_study(tmp_path, f"base: {gone}\nseeds: 2\n")) == [
        f"{tmp_path}/study.yaml:1: base: no such file or scenario named '{gone}'; built-in "
        "scenarios: busy, colossus2, small"]
    broken = tmp_path / "broken.yaml"
    broken.write_text(SMALL.read_text().replace("pue: 1.1", "pue: 0.5"))
    found = problems_of(write_study(tmp_path, "base: broken.yaml\n"))  # relative to the study
    pue_line = 1 + SMALL.read_text().splitlines().index("    pue: 1.1")
    assert len(found) == 1 and found[0].startswith(f"{broken}:{pue_line}: cluster.power.pue: ")


def test_zip_lists_of_different_lengths(tmp_path):
    text = (
        f"base: {SMALL}\nparameters:\n  zip:\n"
        "    jobs.llm-70b.max_gpus: [72, 144]\n    jobs.llm-8b.max_gpus: [72]\n"
    )
    assert problems_of(write_study(tmp_path, text)) == [
        f"{tmp_path}/study.yaml:3: parameters.zip: zipped lists differ in length "
        "(jobs.llm-70b.max_gpus: 2, jobs.llm-8b.max_gpus: 1)"
    ]


def test_bad_metrics_and_seeds(tmp_path):
    text = (
        f"base: {SMALL}\nmetrics:\n  - makespan\n  - jobs.llm-70b.state\n  - cluster.energy_mwh\n"
    )
    found = problems_of(write_study(tmp_path, text))
    assert found[0] == (f"{tmp_path}/study.yaml:3: metrics[0]: unknown metric makespan "
                        "(did you mean makespan_s?)")
    assert found[1].startswith(f"{tmp_path}/study.yaml:4: metrics[1]: jobs.llm-70b.state is not "
                               "a number")
    text = f"base: {SMALL}\nmetrics: [jobs.moe-20b.jct_s]\n"
    assert problems_of(write_study(tmp_path, text)) == [
        f"{tmp_path}/study.yaml:2: metrics[0]: no job named 'moe-20b' in the base scenario "
        "(did you mean 'moe-200b'?)"
    ]
    # each rule of a seeds list says itself and the entry (QA: one message for the three)
    for seeds, message in (("[3, 3, 3]", "3 is listed more than once: each seed once (a "
                                         "repeat would run the same runs again)"),
                           ("[2, -1]", "a seed is at least 0, not -1"),
                           ("[]", "the list is empty: give at least one seed")):
        text = f"base: {SMALL}\nseeds: {seeds}\n"
        assert problems_of(write_study(tmp_path, text)) == [
            f"{tmp_path}/study.yaml:2: seeds: {message}"]
    both = problems_of(write_study(tmp_path, f"base: {SMALL}\nseeds: [-1, 3, 3]\n"))
    assert [p.split(": ", 2)[2] for p in both] == [  # every rule broken, in one pass (review)
        "a seed is at least 0, not -1",
        "3 is listed more than once: each seed once (a repeat would run the same runs again)"]
    # a list of seeds with a fraction: the list's item, not pydantic's union forms (it said
    # "seeds.int: expected a whole number, got a list" and "seeds.list[int][1]: ...")
    text = f"base: {SMALL}\nseeds: [1, 2.5]\n"
    assert problems_of(write_study(tmp_path, text)) == [
        f"{tmp_path}/study.yaml:2: seeds[1]: expected a whole number, got 2.5"]
    # 2**63 ran and then crashed writing results.parquet (an int64 column) with a traceback
    text = f"base: {SMALL}\nseeds: [9223372036854775808]\n"
    assert problems_of(write_study(tmp_path, text)) == [
        f"{tmp_path}/study.yaml:2: seeds: a seed is at most 9,223,372,036,854,775,807 "
        "(results.parquet stores it as a 64-bit integer)"
    ]


def test_a_whole_number_parameter_beyond_64_bits_is_refused_at_its_value(tmp_path):
    # QA: simulation.seed 2**64 - 1 ran every run, then writing results.parquet raised an
    # OverflowError, and --resume raised it again: no summary could ever be written. So too
    # a range of whole numbers from 1e19 (review), and an int draw up to 2e19 (numpy raised)
    beyond = ("is beyond a 64-bit integer (-9,223,372,036,854,775,808 to "
              "9,223,372,036,854,775,807), the type of a whole-number parameter's column in "
              "results.parquet")
    text = (f"base: {SMALL}\nparameters:\n  simulation.seed:\n    - 1\n"
            "    - 18446744073709551615\n    - -9223372036854775809\n")
    assert problems_of(write_study(tmp_path, text)) == [
        f"{tmp_path}/study.yaml:5: parameters.simulation.seed[1]: 18,446,744,073,709,551,615 "
        f"{beyond}",
        f"{tmp_path}/study.yaml:6: parameters.simulation.seed[2]: -9,223,372,036,854,775,809 "
        f"{beyond}"]
    text = f"base: {SMALL}\nparameters:\n  simulation.seed: {{range: [1.0e19, 2.0e19, 1.0e19]}}\n"
    assert problems_of(write_study(tmp_path, text)) == [
        f"{tmp_path}/study.yaml:3: parameters.simulation.seed: 10,000,000,000,000,000,000 "
        f"{beyond}"]
    text = (f"base: {SMALL}\nmethod: random\nsamples: 2\nparameters:\n"
            "  simulation.seed: {min: 1, max: 2.0e19, distribution: int}\n")
    assert problems_of(write_study(tmp_path, text)) == [
        f"{tmp_path}/study.yaml:5: parameters.simulation.seed: an int distribution draws "
        "64-bit integers: min and max within -9,223,372,036,854,775,808 to "
        "9,223,372,036,854,775,807"]


LISTED_TWICE = "the points it makes give the same scenarios"


@pytest.mark.parametrize("seeds", ["3", "[1, 2]"])
def test_a_value_listed_twice_is_refused(tmp_path, seeds):
    # with seeds: 3 the second fifo ran under other seeds: two summary rows labelled fifo
    text = (f"base: {SMALL}\nparameters:\n  scheduler.policy.name: [fifo, priority, fifo]\n"
            f"seeds: {seeds}\n")
    found = problems_of(write_study(tmp_path, text))
    # said at the knob's second fifo, naming it (QA: at parameters:, the knob was to be found)
    assert found == [f"{tmp_path}/study.yaml:3: parameters.scheduler.policy.name[2]: "
                     f"scheduler.policy.name lists fifo twice (items 0 and 2): {LISTED_TWICE}"]


def test_random_draws_that_repeat_are_not_values_listed_twice(tmp_path):
    # 4 random draws from 2 policies must repeat; nothing was listed twice
    text = (f"base: {SMALL}\nmethod: random\nsamples: 4\nparameters:\n"
            "  scheduler.policy.name: [fifo, priority]\nseeds: 2\n")
    assert len(load_plan(write_study(tmp_path, text)).runs) == 8
    text = (f"base: {SMALL}\nmethod: random\nsamples: 4\nparameters:\n"
            "  scheduler.policy.name: [fifo, priority]\nseeds: [1, 2]\n")
    [found] = problems_of(write_study(tmp_path, text))
    assert found.endswith("give the same scenario and seed (random draws repeat over a list or "
                          "a whole-number range, and with seeds given as a list each repeat is "
                          "the same run: draw fewer samples, or give seeds as a count)")


def test_cli_exit_code_2_and_file_line_on_stderr(tmp_path):
    path = write_study(tmp_path, f"base: {SMALL}\nparamters: {{}}\n")
    result = CliRunner().invoke(app, ["sweep", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert f"{path}:2: paramters: unknown field" in result.output
    assert not (tmp_path / "out").exists()


def test_out_on_a_file_is_bad_input_as_for_run(tmp_path):
    """Review: ``run --out FILE`` became bad input (exit 2, before the run) while ``sweep``
    still called the same slip a run failure (exit 1)."""
    from typer.testing import CliRunner

    from colossim.cli.app import app

    blocker = tmp_path / "notes.md"
    blocker.write_text("not a folder")
    for out in (blocker, blocker / "sub"):
        result = CliRunner().invoke(app, ["sweep", str(write_study(tmp_path)), "--out",
                                          str(out), "--backend", "serial"])
        assert result.exit_code == 2, result.output
        assert result.stderr == (f"error: 1 problem in the input:\n  --out: {blocker} is a "
                                 "file, not a folder\n")
        assert "Traceback" not in result.output


def test_a_value_that_disagrees_with_the_base_file_is_blamed_on_the_study_line(tmp_path):
    """small's llm-70b has min_gpus 72 in small.yaml; the study sets max_gpus 50 at line 3: the
    study line is at fault, not the base file's min_gpus."""
    text = "base: small\nparameters:\n  jobs.llm-70b.max_gpus: [144, 50]\n"
    assert problems_of(write_study(tmp_path, text)) == [
        f"{tmp_path}/study.yaml:3: jobs[0].max_gpus: 50 is below min_gpus (72)"]
    text = "base: small\nparameters:\n  jobs.llm-70b.params_billion: [70, 100000]\n"
    [found] = problems_of(write_study(tmp_path, text))
    assert found.startswith(f"{tmp_path}/study.yaml:3: jobs[0].params_billion: llm-70b does not "
                            "fit in memory on the 288 GPUs the cluster can give it")


def test_a_second_zip_group_under_its_own_key_is_told_to_go_under_zip(tmp_path):
    # it read as one knob's distribution: "parameters.zip2.min: required field missing"
    text = (f"base: {SMALL}\nparameters:\n  zip2:\n    jobs.llm-70b.max_gpus: [72, 144]\n"
            "    jobs.llm-8b.max_gpus: [72, 72]\nseeds: 1\n")
    path = write_study(tmp_path, text)
    assert problems_of(path) == [
        f"{path}:3: parameters.zip2: 'zip2' holds knobs (jobs.llm-70b.max_gpus, "
        "jobs.llm-8b.max_gpus), as a zip group does: put zip groups under zip:, a list of "
        "groups when there are several"]


def test_a_study_of_too_many_runs_is_refused_before_any_is_built(tmp_path):
    # two ranges each under the per-range cap make 90,000 x 20,001 = 1.8e9 points (a dry run
    # filled the memory); a billion seeds likewise. 300 x 400 = 120,000 runs is just over.
    grid = (f"base: {SMALL}\nparameters:\n  cluster.power.supply_mw: {{range: [1, 90000, 1]}}\n"
            "  cluster.power.pue: {range: [1.0, 3.0, 0.0001]}\n")
    (found,) = problems_of(write_study(tmp_path, grid))
    assert found == (f"{tmp_path}/study.yaml:2: parameters: the study makes 1,800,090,000 runs "
                     "(points x seeds); the limit is 100,000: vary fewer values or use fewer "
                     "seeds, or split the study")
    seeds = f"base: {SMALL}\nseeds: 1000000000\n"
    (found,) = problems_of(write_study(tmp_path, seeds))
    assert found.startswith(f"{tmp_path}/study.yaml:2: seeds: the study makes 1,000,000,000 runs")
    just_over = (f"base: {SMALL}\nparameters:\n  cluster.power.supply_mw: {{range: [1, 300, 1]}}\n"
                 "seeds: 400\n")
    # the points alone fit: the seeds line is what to change (it blamed parameters: at line 2)
    assert problems_of(write_study(tmp_path, just_over))[0].startswith(
        f"{tmp_path}/study.yaml:4: seeds: the study makes 120,000 runs")


def test_a_range_of_nan_is_a_problem_not_a_traceback(tmp_path):
    text = f"base: {SMALL}\nparameters:\n  cluster.power.pue: {{range: [1, .nan, 1]}}\n"
    (found,) = problems_of(write_study(tmp_path, text))
    assert found.startswith(f"{tmp_path}/study.yaml:3: parameters.cluster.power.pue")
    assert "finite" in found


def test_two_paths_naming_one_field_are_refused(tmp_path):
    # by index and by name: the later won every run, the first was a column of no effect
    text = (f"base: {SMALL}\nparameters:\n  jobs.0.priority: [1, 2]\n"
            "  jobs.llm-70b.priority: [3, 4]\n")
    (found,) = problems_of(write_study(tmp_path, text))
    assert found == (f"{tmp_path}/study.yaml:4: parameters.jobs.llm-70b.priority: names the "
                     "same field as jobs.0.priority, or one inside it: vary it once")
    # a block and a field inside it: the field won every run and the block was a dead column
    nested = (f"base: {SMALL}\nparameters:\n  cluster.power: [{{supply_mw: 2}}, {{supply_mw: 3}}]\n"
              "  cluster.power.supply_mw: [0.7]\n")
    (found,) = problems_of(write_study(tmp_path, nested))
    assert found.endswith("parameters.cluster.power.supply_mw: names the same field as "
                          "cluster.power, or one inside it: vary it once")


def test_a_base_that_is_a_folder_is_blamed_on_the_base_line(tmp_path):
    (tmp_path / "scenarios").mkdir()
    (found,) = problems_of(write_study(tmp_path, "base: scenarios\n"))
    assert found == f"{tmp_path}/study.yaml:1: base: scenarios is a folder, not a scenario file"


def test_a_base_that_is_a_study_is_blamed_on_the_base_line(tmp_path):
    """QA: a study naming itself as its base was told to run itself with colossim sweep."""
    path = write_study(tmp_path, "base: study.yaml\nparameters:\n  simulation.seed: [1, 2]\n")
    (found,) = problems_of(path)
    assert found == (f"{tmp_path}/study.yaml:1: base: study.yaml is a study file (base: and "
                     "parameters:), not a scenario: give a scenario file or a built-in "
                     "scenario's name")


def test_a_quoted_number_or_inf_in_a_study_is_refused_as_in_a_scenario(tmp_path):
    # seeds: "3" ran three seeds; a scenario refuses the same text
    (found,) = problems_of(write_study(tmp_path, f"base: {SMALL}\nseeds: \"3\"\n"))
    assert found == (f"{tmp_path}/study.yaml:2: seeds: expected a number, got the text '3' "
                     "(remove the quotes)")
    text = f"base: {SMALL}\nmethod: random\nsamples: 2\nparameters:\n  cluster.power.pue: " \
           "{min: 1.0, max: .inf}\n"
    (found,) = problems_of(write_study(tmp_path, text))
    assert found.endswith("max: expected a finite number, got inf")
    # inside a list too: {range: ["1", 3, 1]} ran as if it said 1
    text = f"base: {SMALL}\nparameters:\n  simulation.seed: {{range: [\"1\", 3, 1]}}\n"
    (found,) = problems_of(write_study(tmp_path, text))
    assert found == (f"{tmp_path}/study.yaml:3: parameters.simulation.seed.range: expected "
                     "numbers, got the text '1' among them (remove the quotes)")


def test_a_misspelt_range_is_named_as_such(tmp_path):
    # {rnage: ...} read as the {min, max} form: "min: required", "max: required", no "range"
    text = f"base: {SMALL}\nparameters:\n  cluster.power.pue: {{rnage: [1.1, 1.3, 0.1]}}\n"
    assert problems_of(write_study(tmp_path, text)) == [
        f"{tmp_path}/study.yaml:3: parameters.cluster.power.pue.rnage: unknown field (did you "
        "mean 'range'?)"]


def test_a_bad_value_is_blamed_on_its_own_line(tmp_path):
    # it was blamed on the knob's line (3), not on the item that is wrong
    text = (f"base: {SMALL}\nparameters:\n  jobs.llm-70b.max_gpus:\n    - 72\n    - -5\n"
            "  scheduler.policy.name:\n    - fifo\n    - fifoo\n")
    found = problems_of(write_study(tmp_path, text))
    assert [p.split(": ", 1)[0] for p in found] == [f"{tmp_path}/study.yaml:5",
                                                    f"{tmp_path}/study.yaml:8"]
    assert "got -5" in found[0] and "unknown policy 'fifoo'" in found[1]


def test_a_load_warning_says_which_points_gave_it(tmp_path):
    # a horizon of 100 s cuts every job of small at point 0 only; the warning did not say which
    # point, and a warning every point gives came once per point
    import warnings

    from colossim.errors import ColossimWarning
    from colossim.sweep.expand import expand
    from colossim.sweep.spec import load_study

    text = (f"base: {SMALL}\nparameters:\n  simulation.horizon_s: [100, 1.0e9]\n"
            "  cluster.power.events:\n    - []\n"
            "    - [{kind: dip, start_s: 1.0e12, duration_s: 10, supply_mw: 0.5}]\nseeds: 1\n")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        expand(load_study(write_study(tmp_path, text)))
    said = [str(w.message) for w in seen if issubclass(w.category, ColossimWarning)]
    # points: (100 s, no events) 0, (100 s, dip) 1, (1e9 s, none) 2, (1e9 s, dip) 3; the dip
    # starts after either horizon (each says its own horizon: two messages)
    assert [text.split(": ", 1)[0] for text in said] == [
        "points 0, 1 (--dry-run lists them)", "point 1 (--dry-run lists them)",
        "point 3 (--dry-run lists them)"]
    assert said[0].split(": ", 1)[1].startswith("4 jobs cannot finish before the horizon")
    assert all("starts at 1,000,000,000,000 s, after the horizon" in text for text in said[1:])


@pytest.mark.parametrize(("varied", "expected"), [
    # no point changes the horizon the study's set: gives the base (100 s, which cuts every job
    # of small): the base's warning came once, then again as "every point"
    ("scheduler.policy.name: [fifo, sjf]", ["every point"]),
    # point 0 keeps it: said for point 0 alone, not also for the base
    ("simulation.horizon_s: [100, 1.0e9]", ["point 0"]),
    # every point replaces it: no run has that horizon, and nothing is said
    ("simulation.horizon_s: [1.0e9, 2.0e9]", []),
])
def test_the_base_scenarios_warnings_are_said_only_through_the_points(tmp_path, varied,
                                                                       expected):
    import warnings

    from colossim.errors import ColossimWarning
    from colossim.sweep.expand import expand
    from colossim.sweep.spec import load_study

    text = (f"base: {SMALL}\nset:\n  simulation.horizon_s: 100\nparameters:\n"
            f"  {varied}\nseeds: 1\n")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        expand(load_study(write_study(tmp_path, text)))
    said = [str(w.message) for w in seen if issubclass(w.category, ColossimWarning)]
    assert [text.split(" (--dry-run", 1)[0] for text in said] == expected
    assert all("4 jobs cannot finish before the horizon (100 s)" in text for text in said)


def test_fractions_drawn_for_a_whole_number_field_are_said_once(tmp_path):
    text = (f"base: {SMALL}\nmethod: random\nsamples: 4\nparameters:\n"
            "  jobs.llm-70b.max_gpus: {min: 72, max: 144}\n")
    [found] = problems_of(write_study(tmp_path, text))  # was one line per draw
    assert found.startswith(f"{tmp_path}/study.yaml:5: jobs[0].max_gpus: expected a whole "
                            "number, got ")
    assert found.endswith("(4 of 4 draws; a uniform draw is a fraction: for a whole-number "
                          "field use distribution: int)")
    fixed = text.replace("max: 144}", "max: 144, distribution: int}")
    assert len(load_plan(write_study(tmp_path, fixed)).runs) == 4


# One study, the one problem it must give (``{study}``: the study file's path), as
# FILE:LINE: field: message.
ONE_PROBLEM = {
    "a value in two spellings is one point": (  # supply_mw is a float field: 1 and 1.0
        f"base: {SMALL}\nparameters:\n  cluster.power.supply_mw: [1, 2, 1.0]\nseeds: 2\n",
        f"{{study}}:3: parameters.cluster.power.supply_mw[2]: cluster.power.supply_mw lists 1 "
        f"twice (items 0 and 2; 700 and 700.0 are one value): {LISTED_TWICE}"),
    "a varied seed that the seeds list overrides": (
        f"base: {SMALL}\nparameters:\n  simulation.seed: [1, 2]\nseeds: [5]\n",
        "{study}:2: parameters: points 0 and 1 give the same scenario and seed (a varied "
        "simulation.seed that the seeds list overrides?)"),
    "a study name is a name, not a path": (
        f"name: my study/v2\nbase: {SMALL}\nparameters:\n  cluster.power.pue: [1.1]\n",
        "{study}:1: name: a name, not a path (it names the output folder out/NAME): no '/' or "
        "'\\'"),
    "an empty study name": (  # QA: it said "no '/' or '\\'" of "" and ".."
        f"name: ''\nbase: {SMALL}\nparameters:\n  cluster.power.pue: [1.1]\n",
        "{study}:1: name: must not be empty (it names the output folder out/NAME)"),
    "a study name that is a folder": (
        f"name: '..'\nbase: {SMALL}\nparameters:\n  cluster.power.pue: [1.1]\n",
        "{study}:1: name: '..' is a folder, not a name (it names the output folder out/NAME)"),
    # it wrote two CSV columns of one header, and one plot over the other
    "a metric listed twice": (
        f"base: {SMALL}\nmetrics: [makespan_s, scheduling.ettr, makespan_s]\n",
        "{study}:2: metrics[2]: makespan_s is listed twice"),
    "a range of four numbers": (
        f"base: {SMALL}\nparameters:\n  jobs.llm-70b.max_gpus: {{range: [1, 3, 1, 4]}}\n",
        "{study}:3: parameters.jobs.llm-70b.max_gpus.range: expected [start, stop, step], "
        "got 4 values"),
    # moe-200b (jobs[3]) needs 144 GPUs at least; its 72 comes from the anchor on line 3
    "a bad value of an aliased list, at the alias's line": (
        f"base: {SMALL}\nparameters:\n  jobs.llm-70b.max_gpus: &v [72, 144]\n"
        "  jobs.moe-200b.max_gpus: *v\n",
        "{study}:4: jobs[3].max_gpus: 72 is below min_gpus (144)"),
    # QA: the base with set: was validated alone; now a point that keeps its problem names
    # itself, as its values (not the set: line's) decide it
    "a set: value only some points make invalid, at its line with the point": (
        f"base: {SMALL}\nset:\n  jobs.llm-70b.min_gpus: 216\nparameters:\n"
        "  jobs.llm-70b.max_gpus: [144, 216, 288]\n",
        "{study}:3: jobs[0].min_gpus: 216 exceeds max_gpus (144) (at point 0: "
        "jobs.llm-70b.max_gpus=144)"),
    # review: one line per failing value of the range (18), each naming its own figure
    "a set: value that a range's values make invalid, once with how many points": (
        f"base: {SMALL}\nset:\n  jobs.llm-70b.min_gpus: 216\nparameters:\n"
        "  jobs.llm-70b.max_gpus: {range: [72, 288, 8]}\n",
        "{study}:3: jobs[0].min_gpus: 216 exceeds max_gpus (72) (at point 0: "
        "jobs.llm-70b.max_gpus=72, and 17 other points)"),
    "two knobs' values that clash at one point, with that point": (
        f"base: {SMALL}\nparameters:\n  jobs.llm-70b.max_gpus: [144, 216]\n"
        "  jobs.llm-70b.min_gpus: [72, 216]\n",
        "{study}:4: jobs[0].min_gpus: 216 exceeds max_gpus (144) (at point 1: "
        "jobs.llm-70b.max_gpus=144, jobs.llm-70b.min_gpus=216)"),
    # QA: fifo takes no headroom_mw at either value, so the value alone does not explain it
    # (both values' points were as many as those that failed, and the point went unnamed)
    "a policy's parameter the other varied policy does not take, with the point and the fix": (
        f"base: {SMALL}\nparameters:\n  scheduler.policy.name: [fifo, power-aware]\n"
        "  scheduler.policy.params.headroom_mw: [0, 20]\n",
        "{study}:4: scheduler.policy.params.headroom_mw: unknown field; expected one of: "
        "placement, strict (at point 0: scheduler.policy.name=fifo, "
        "scheduler.policy.params.headroom_mw=0, and 1 other point); to vary a parameter only "
        "some of the policies take, vary scheduler.policy as whole mappings: [{{name: fifo}}, "
        "{{name: power-aware, params: {{headroom_mw: 20}}}}] (docs/studies.md)"),
}


def test_a_policy_varied_as_whole_mappings_gives_each_its_own_parameters(tmp_path):
    """The fix the message above suggests is a study that loads, one policy per point."""
    study = write_study(tmp_path, f"base: {SMALL}\nparameters:\n  scheduler.policy:\n"
                        "    - {name: fifo}\n"
                        "    - {name: power-aware, params: {headroom_mw: 20}}\n")
    policies = [run.scenario.scheduler.policy for run in load_plan(study).runs]
    assert [(p.name, p.params) for p in policies] == [
        ("fifo", {}), ("power-aware", {"headroom_mw": 20})]


def test_a_set_value_that_is_invalid_with_the_base_alone_is_fine_when_every_point_fixes_it(
        tmp_path):
    """QA: ``set: {jobs.llm-70b.min_gpus: 216}`` with ``max_gpus`` varied over [216, 288] was
    refused for the base's max_gpus of 144, which no run has."""
    path = write_study(tmp_path, f"base: {SMALL}\nset:\n  jobs.llm-70b.min_gpus: 216\n"
                                 "parameters:\n  jobs.llm-70b.max_gpus: [216, 288]\n"
                                 "metrics: [jobs.llm-70b.jct_s]\n")
    plan = load_plan(path)
    assert [run.scenario.jobs[0].min_gpus for run in plan.runs] == [216, 216]


@pytest.mark.parametrize(("text", "expected"), ONE_PROBLEM.values(), ids=ONE_PROBLEM.keys())
def test_a_bad_study_gives_its_one_problem(tmp_path, text, expected):
    path = write_study(tmp_path, text)
    assert problems_of(path) == [expected.format(study=path)]


def test_a_scenario_given_to_sweep_says_so(tmp_path):
    # QA: four schema errors (base required, cluster/jobs/scheduler unknown) for the mix-up
    # that colossim run already names the other way round
    from colossim.sweep.spec import load_study

    with pytest.raises(ConfigError) as info:
        load_study(SMALL)
    [problem] = info.value.problems
    assert problem.message == (f"this is a scenario (cluster: and jobs:), not a study: run it "
                               f"with colossim run {SMALL}, or write a study whose base: is "
                               "small.yaml")


def test_a_metric_that_is_also_a_parameter_is_refused(tmp_path):
    # QA: results.csv got two columns of one name (the metric's value in both) and
    # results.parquet silently one
    path = write_study(tmp_path, f"base: {SMALL}\nparameters:\n"
                       "  jobs.moe-200b.submit_s: [0, 7200]\n"
                       "metrics: [jobs.moe-200b.jct_s, jobs.moe-200b.submit_s]\n")
    assert problems_of(path) == [
        f"{path}:4: metrics[1]: is also a parameter: its column in results.csv already holds "
        "its value; leave it out of metrics"]


def test_a_builtin_scenario_given_to_sweep_says_so():
    # review: "small: file not found", though colossim run small works
    from colossim.sweep.spec import load_study

    with pytest.raises(ConfigError) as info:
        load_study("small")
    [problem] = info.value.problems
    assert problem.message == ("this is a built-in scenario, not a study: run it with colossim "
                               "run small, or write a study whose base: is small")


def test_every_mistake_of_a_study_is_said_in_one_pass(tmp_path):
    """QA: five mistakes took four runs of the command to see, one stage at a time: an unknown
    key hid a bad count of seeds, which hid the metrics, which hid the parameters' paths and
    values against the base scenario."""
    text = (
        f"base: {SMALL}\n"                              # 1
        "workers: 2\n"                                  # 2
        "seeds: 0\n"                                    # 3
        "metrics: [makespan, jobs.nojob.jct_s]\n"       # 4
        "parameters:\n"                                 # 5
        "  cluster.power.suply_mw: [1, 2]\n"            # 6
        "  scheduler.policy.name: [fifo, fifoo]\n"      # 7
    )
    found = problems_of(write_study(tmp_path, text))
    at = f"{tmp_path}/study.yaml"
    assert [line.split(": ", 2)[:2] for line in found] == [
        [f"{at}:2", "workers"], [f"{at}:3", "seeds"], [f"{at}:4", "metrics[0]"],
        [f"{at}:4", "metrics[1]"], [f"{at}:6", "cluster.power.suply_mw"],
        [f"{at}:7", "scheduler.policy.name"]]
    assert "did you mean 'supply_mw'" in found[4] and "did you mean 'fifo'" in found[5]
    result = CliRunner().invoke(app, ["sweep", str(tmp_path / "study.yaml"), "--dry-run"])
    assert result.exit_code == 2 and "6 problems in the input" in result.output


def test_a_random_study_without_samples_is_not_also_told_its_distributions_need_random(
        tmp_path):
    """A whole-file check that fails leaves every key as written for the other checks:
    reading the file again without ``method`` made it a grid, whose distributions are a
    mistake of their own."""
    text = (f"base: {SMALL}\nmethod: random\nparameters:\n"
            "  cluster.power.pue: {min: 1.1, max: 1.3}\n")
    assert problems_of(write_study(tmp_path, text)) == [
        f"{tmp_path}/study.yaml:2: method: random needs samples: N"]


@pytest.mark.parametrize(("text", "said"), [
    # a method with a problem of its own says nothing of samples or of the distributions
    ("method: randon\nsamples: 3\nparameters:\n  cluster.power.pue: {min: 1.1, max: 1.3}\n",
     [("method", "expected one of grid, random; got 'randon' (did you mean 'random'?)")]),
    ("method: random\nsamples: 0\nparameters:\n  cluster.power.pue: {min: 1.1, max: 1.3}\n",
     [("samples", "must be > 0, got 0")]),
    # every whole-file check that fails, not the first
    ("seeds: 0\nmethod: random\nparameters:\n  cluster.power.pue: {min: 1.1, max: 1.3}\n",
     [("seeds", "the count must be at least 1"), ("method", "random needs samples: N")]),
    ("seeds: [1, 1]\nsamples: 4\nparameters:\n  cluster.power.pue: [1.1, 1.2]\n",
     [("seeds", "1 is listed more than once: each seed once (a repeat would run the same runs "
                "again)"),
      ("samples", "needs method: random (a grid runs every combination)")]),
])
def test_a_key_with_a_problem_of_its_own_adds_no_untrue_one_and_hides_none(tmp_path, text,
                                                                           said):
    """Review: a key set aside for its own problem read as its default, which made a second,
    untrue problem (method: randon as a grid: "samples needs method: random"); and only the
    first failing whole-file check was said."""
    found = problems_of(write_study(tmp_path, f"base: {SMALL}\n{text}"))
    assert [tuple(line.split(": ", 2)[1:]) for line in found] == said


def test_a_bad_or_missing_base_still_lets_the_rest_be_checked(tmp_path):
    path = write_study(tmp_path, "base: 3\nseeds: 0\nmetrics: [nosuch_metric]\n")
    found = [line.split(": ", 2)[1] for line in problems_of(path)]
    assert found == ["base", "seeds", "metrics[0]"]  # base said once
    path = write_study(tmp_path, "seeds: 0\nmetrics: [nosuch_metric]\n")
    assert [line.split(": ", 2)[1:] for line in problems_of(path)][:2] == [
        ["base", "required field missing"], ["seeds", "the count must be at least 1"]]


def test_problems_on_one_line_come_in_the_order_of_their_items(tmp_path):
    """QA: a flow list of metrics said items 3, 1, 2 (the study's own checks came before the
    checks against the base's jobs); now in their order, 10 after 2."""
    metrics = ["makespan_s", "jobs.zzz.jct_s", "jobs.yyy.jct_s", "scheduling.jain",
               *["makespan_s"] * 6, "jobs.xxx.jct_s"]
    found = problems_of(write_study(tmp_path, f"base: {SMALL}\nmetrics: [{', '.join(metrics)}]\n"))
    assert [line.split(": ")[1] for line in found] == [
        "metrics[1]", "metrics[2]", "metrics[3]", "metrics[4-9]", "metrics[10]"]
