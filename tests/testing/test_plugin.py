"""The pytest plugin, run the way a policy author runs it: inside pytest (``pytester``).

The author's scenario (``TOY_SCENARIO``): two GB200 racks (144 GPUs) and two trace-style jobs,
whose run time is GPU-hours x 3600 / GPUs under every speed model. Both arrive at 0:

- job a: 288 GPU-h, 72..144 GPUs;  job b: 72 GPU-h, exactly 72 GPUs.
- The toy policy serves in order at *max* GPUs: a takes both racks for 288 / 144 = 2 h; b waits
  and runs 72 / 72 = 1 h: makespan 10,800 s, JCTs 7,200 and 10,800 s.
- The "worse" toy asks for each job's *minimum* instead: a runs on 72 GPUs for 4 h beside b
  (1 h): makespan 14,400 s, +33.33 %.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

GOOD_MAKESPAN = 288 * 3600 / 144 + 72 * 3600 / 72  # 10,800 s
WORSE_MAKESPAN = 288 * 3600 / 72  # 14,400 s

TOY_SCENARIO = """
name: toy
cluster:
  pod_size_racks: 2
  rack_groups: [{gpu_type: GB200, racks: 2}]
  power: {supply_mw: 1.0}
jobs:
  - {name: a, work_gpu_hours: 288, reference_gpu: GB200, min_gpus: 72, max_gpus: 144}
  - {name: b, work_gpu_hours: 72, reference_gpu: GB200, min_gpus: 72, max_gpus: 72}
"""

TOY = """
from colossim.policy.staged import StagedPolicy

class Toy(StagedPolicy):
    name = "toy"

    def size(self, job, view):
        return job.{attr}
"""

REGRESSION_TEST = """
def test_toy(run_policy, assert_invariants, policy_baseline):
    result = run_policy("toy_policy:Toy", "toy.yaml")
    assert_invariants(result)
    policy_baseline(result, "toy", tolerances={{"default": {{"rel": {rel}, "abs": 0}}}})
"""


@pytest.fixture(autouse=True, scope="module")
def _warm_imports() -> None:
    """Import the simulator here: in-process pytester runs drop modules they import, and numpy
    cannot be imported twice in one process."""
    from colossim.testing.runner import run_policy

    run_policy("fifo", "small")


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A policy author's project: a toy policy module and one regression test."""
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # the toy module is rewritten below
    pytester.syspathinsert()
    pytester.makepyfile(toy_policy=TOY.format(attr="max_gpus"))
    pytester.makepyfile(test_toy=REGRESSION_TEST.format(rel=1e-6))
    (pytester.path / "toy.yaml").write_text(TOY_SCENARIO)
    return pytester


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """In-process pytest without hypothesis's plugin (re-imported per run, it costs ~1 s)."""
    return pytester.runpytest("-p", "no:hypothesispytest", "-p", "no:cacheprovider", *args)


def baseline(pytester: pytest.Pytester, name: str = "toy") -> dict:
    return json.loads((pytester.path / "baselines" / f"{name}.json").read_text())


def test_missing_baseline_fails_and_says_how_to_create_it(project):
    result = run(project)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*no colossim baseline*toy.json*--colossim-update-baselines*"]
    )


def test_update_writes_a_reviewed_header_and_the_hand_computed_numbers(project):
    result = run(project, "--colossim-update-baselines")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*colossim baselines written*", "created *toy.json"])
    doc = baseline(project)
    produced = doc["produced"]
    assert produced["command"].startswith("python -m pytest")
    assert "--colossim-update-baselines" in produced["command"]
    assert produced["test"] == "test_toy.py::test_toy"
    assert (produced["scenario"], produced["policy"], produced["seed"]) == (
        "toy", "toy_policy:Toy", 0)
    from colossim import __version__

    assert produced["colossim"] == __version__
    assert len(produced["date"]) == 10 and produced["date"][4] == "-"
    assert doc["tolerances"]["default"] == {"rel": 1e-6, "abs": 0.0}
    metrics = doc["metrics"]
    assert metrics["makespan_s"] == pytest.approx(GOOD_MAKESPAN, rel=1e-12)
    assert metrics["jct_s.a"] == pytest.approx(7_200, rel=1e-12)
    assert metrics["jct_s.b"] == pytest.approx(10_800, rel=1e-12)
    assert metrics["mean_jct_s"] == pytest.approx(9_000, rel=1e-12)
    assert metrics["gpu_utilization"] == pytest.approx((288 + 72) / (144 * 3), rel=1e-12)
    assert metrics["jobs_completed"] == 2 and metrics["jobs_unfinished"] == 0
    assert run(project).ret == 0


def test_a_worse_policy_fails_with_a_diff_table_then_passes_after_update(project):
    run(project, "--colossim-update-baselines").assert_outcomes(passed=1)
    project.makepyfile(toy_policy=TOY.format(attr="min_gpus"))  # the regression

    result = run(project)
    result.assert_outcomes(failed=1)
    # QA: "rerun with --colossim-update-baselines", followed as written, re-recorded the whole
    # suite, regressions included: the command names this test, as the no-baseline one does
    result.stdout.fnmatch_lines(["*toy.json: * metric(s) outside tolerance (if the change "
                                 "is intended, update it with `python -m pytest "
                                 "test_toy.py::test_toy --colossim-update-baselines`, then "
                                 "review the numbers and "
                                 "commit the file)"])
    row = next(line for line in result.outlines if line.lstrip("E ").startswith("makespan_s "))
    cells = row.split()
    assert cells[2:6] == ["10800", "14400", "+3600", "+33.33%"]  # baseline, actual, change
    assert row.endswith("FAIL (worse)")
    header = next(line for line in result.outlines if " status" in line)
    assert header.split()[1:] == ["metric", "baseline", "actual", "change", "rel", "tolerance",
                                  "status"]

    run(project, "--colossim-update-baselines").assert_outcomes(passed=1)
    assert baseline(project)["metrics"]["makespan_s"] == pytest.approx(WORSE_MAKESPAN)
    run(project).assert_outcomes(passed=1)


def test_a_change_within_the_files_tolerance_passes(project):
    run(project, "--colossim-update-baselines").assert_outcomes(passed=1)
    path = project.path / "baselines" / "toy.json"
    doc = json.loads(path.read_text())
    doc["metrics"]["makespan_s"] *= 1.004  # 0.4 % off
    doc["tolerances"]["makespan_s"] = {"rel": 0.005, "abs": 0}
    doc["review"] = "hand-checked: see the module docstring"
    path.write_text(json.dumps(doc))
    run(project).assert_outcomes(passed=1)
    doc["tolerances"]["makespan_s"] = {"rel": 0.003, "abs": 0}
    path.write_text(json.dumps(doc))
    run(project).assert_outcomes(failed=1)
    # an update keeps what a human wrote, and says that note was about the old numbers
    updated = run(project, "--colossim-update-baselines")
    updated.assert_outcomes(passed=1)
    assert json.loads(path.read_text())["review"] == "hand-checked: see the module docstring"
    updated.stdout.fnmatch_lines(
        ["*updated *toy.json (its 'review' note was written for the old numbers)*"])


def test_an_unchanged_update_keeps_the_files_header(project):
    run(project, "--colossim-update-baselines")
    path = project.path / "baselines" / "toy.json"
    doc = json.loads(path.read_text())
    doc["produced"]["date"] = "2000-01-01"
    path.write_text(json.dumps(doc))
    result = run(project, "--colossim-update-baselines")
    result.assert_outcomes(passed=1)
    assert "colossim baselines written" not in result.stdout.str()
    assert json.loads(path.read_text())["produced"]["date"] == "2000-01-01"


def test_baseline_dir_option_and_yaml_files(project):
    target = project.path / "golden"
    run(project, "--colossim-update-baselines", f"--colossim-baseline-dir={target}")
    assert (target / "toy.json").exists()
    assert not (project.path / "baselines").exists()
    # a YAML baseline is read, compared and rewritten as YAML
    from ruamel.yaml import YAML

    doc = json.loads((target / "toy.json").read_text())
    (target / "toy.json").unlink()
    doc["metrics"]["makespan_s"] = 1.0
    YAML(typ="safe", pure=True).dump(doc, target / "toy.yaml")
    result = run(project, f"--colossim-baseline-dir={target}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*toy.yaml*", "*makespan_s*FAIL (worse)*"])
    run(project, "--colossim-update-baselines", f"--colossim-baseline-dir={target}")
    reread = YAML(typ="safe", pure=True).load(target / "toy.yaml")
    assert reread["metrics"]["makespan_s"] == pytest.approx(GOOD_MAKESPAN)
    # the values updated in the file's own key order (this file was dumped sorted), which a
    # reviewer may have chosen: see the test below
    assert list(reread) == sorted(doc) and list(reread["metrics"]) == sorted(doc["metrics"])


COMMENTED_YAML = """\
# Toy golden numbers: a runs on both racks for 2 h, then b for 1 h.
# Reviewed by hand (see the module docstring).
review: makespan = 288 / 144 + 72 / 72 hours
tolerances:
  default: {rel: 1.0e-06, abs: 0}
metrics:
  # a then b, back to back
  makespan_s: 1.0  # deliberately wrong: the update must fix it
  jct_s.a: 7200.0
  # b waits the 2 h a holds both racks
  jct_s.b: 5.0
"""


def update_commented(project, metrics: list[str]) -> str:
    """COMMENTED_YAML as baselines/toy.yaml, updated by a run storing ``metrics``: its text."""
    target = project.path / "baselines"
    target.mkdir()
    path = target / "toy.yaml"
    path.write_text(COMMENTED_YAML)
    project.makepyfile(test_toy=REGRESSION_TEST.replace(
        'policy_baseline(result, "toy", ',
        f'policy_baseline(result, "toy", metrics={metrics!r}, ').format(rel=1e-6))
    run(project, "--colossim-update-baselines").assert_outcomes(passed=1)
    return path.read_text()


def test_updating_a_yaml_baseline_keeps_its_comments_and_key_order(project):
    # an update rewrote a hand-written YAML file and dropped every comment in it
    text = update_commented(project, ["makespan_s", "jct_s.a", "jct_s.b"])
    for comment in ("# Toy golden numbers: a runs on both racks for 2 h, then b for 1 h.\n"
                    "# Reviewed by hand (see the module docstring).\n",  # top of the file
                    "  # a then b, back to back\n  makespan_s:",  # above a key
                    "# deliberately wrong: the update must fix it\n",  # end of a line
                    "  # b waits the 2 h a holds both racks\n  jct_s.b:"):
        assert comment in text, text
    from ruamel.yaml import YAML

    doc = YAML(typ="safe", pure=True).load(text)
    assert doc["metrics"] == {"makespan_s": pytest.approx(GOOD_MAKESPAN, rel=1e-12),
                              "jct_s.a": pytest.approx(7_200, rel=1e-12),
                              "jct_s.b": pytest.approx(10_800, rel=1e-12)}
    assert list(doc["metrics"]) == ["makespan_s", "jct_s.a", "jct_s.b"]
    # the keys in the file's order; the header the file lacked comes first
    assert list(doc) == ["colossim_baseline", "produced", "review", "tolerances", "metrics"]
    assert doc["review"] == "makespan = 288 / 144 + 72 / 72 hours"
    assert doc["produced"]["test"] == "test_toy.py::test_toy"
    run(project).assert_outcomes(passed=1)


def test_a_metric_the_run_drops_takes_its_comment_lines_with_it(project):
    # QA: a run that no longer stored the first metric left that metric's comment above the
    # next one and dropped the next one's own (ruamel keeps the lines above a first key apart)
    text = update_commented(project, ["jct_s.a", "jct_s.b"])
    assert "back to back" not in text and "deliberately wrong" not in text, text
    metrics = text[text.index("metrics:"):]
    assert metrics.startswith("metrics:\n  jct_s.a: 7200.0\n"
                              "  # b waits the 2 h a holds both racks\n  jct_s.b: "), text
    assert text.startswith("# Toy golden numbers: a runs on both racks for 2 h, then b for 1 h.\n"
                           "# Reviewed by hand (see the module docstring).\n"), text
    run(project).assert_outcomes(passed=1)


def test_ini_baseline_dir_is_relative_to_the_ini_file(project):
    project.makeini("[pytest]\ncolossim_baseline_dir = tests/golden\n")
    run(project, "--colossim-update-baselines").assert_outcomes(passed=1)
    assert (project.path / "tests" / "golden" / "toy.json").exists()


def test_colossim_policy_runs_once_per_installed_policy(pytester):
    pytester.makepyfile(
        """
        def test_each(colossim_policy, run_policy, assert_invariants):
            assert_invariants(run_policy(colossim_policy, "small"))
        """
    )
    # a subprocess: policies import what they like (scipy), and an in-process run would drop
    # those modules afterwards, which numpy-based extensions cannot survive
    result = pytester.runpytest_subprocess("-p", "no:hypothesispytest", "-p", "no:cacheprovider",
                                           "-v")
    from colossim.policy.registry import available

    names = list(available())
    assert {"fifo", "priority"} <= set(names)
    result.assert_outcomes(passed=len(names))
    for name in names:
        result.stdout.fnmatch_lines([f"*test_each[[]{name}[]] PASSED*"])


def test_explicit_parametrize_of_colossim_policy_wins(pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("colossim_policy", ["fifo"])
        def test_one(colossim_policy):
            assert colossim_policy == "fifo"
        """
    )
    run(pytester).assert_outcomes(passed=1)


def test_invariant_failures_are_reported(pytester):
    """A policy that never starts anything starves every job: reported, job by job."""
    pytester.syspathinsert()
    pytester.makepyfile(
        lazy_policy="""
        from colossim.policy.api import BasePolicy

        class Lazy(BasePolicy):
            name = "lazy"

            def decide(self, view):
                return []
        """
    )
    pytester.makepyfile(
        textwrap.dedent(
            """
            def test_lazy(run_policy, assert_invariants):
                assert_invariants(run_policy("lazy_policy:Lazy", "small"))
            """
        )
    )
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*4 problem(s) (broken invariants, refused actions, unfinished jobs) in small under "
        "lazy_policy:Lazy*",
        "*job llm-70b is still pending at the end of the run (t=7200 s): starved*",
    ])


def test_the_plugin_imports_nothing_heavy():
    """pytest loads the plugin in every project that has colossim installed: it must be cheap."""
    import subprocess

    code = ("import sys, colossim.testing.plugin; "
            "heavy = ('numpy', 'simpy', 'pydantic', 'colossim.api');"
            "heavy = [m for m in heavy if m in sys.modules];"
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_colossim_scenario_and_run_policy_accept_names_paths_objects_and_classes(project):
    project.makepyfile(
        test_fixtures="""
        from toy_policy import Toy

        def test_fixtures(colossim_scenario, run_policy):
            sc = colossim_scenario("small", ["cluster.power.supply_mw=2.5"], policy="priority")
            assert sc.cluster.power.supply_mw == 2.5
            assert sc.scheduler.policy.name == "priority"
            # loaded once, each call its own copy (a dict changed in one reaches no other: QA)
            one, two = colossim_scenario("small"), colossim_scenario("small")
            assert one == two and one is not two
            result = run_policy("fifo", sc)
            assert (result.policy, result.cluster.supply_mw) == ("fifo", 2.5)
            by_class = run_policy(Toy, "toy.yaml", overrides=["cluster.power.supply_mw=3"])
            assert by_class.policy == "toy" and by_class.cluster.supply_mw == 3  # its name
            assert by_class.makespan_s == 10_800
        """
    )
    run(project, "test_fixtures.py").assert_outcomes(passed=1)


def test_two_tests_writing_one_baseline_name_is_refused(project):
    # a parametrised test with a fixed name: each case used to overwrite the other's file
    project.makepyfile(test_shared="""
        import pytest

        @pytest.mark.parametrize("attr", ["max_gpus", "min_gpus"])
        def test_shared(run_policy, policy_baseline, attr):
            policy_baseline({"value": 1.0 if attr == "max_gpus" else 2.0}, "shared")
    """)
    result = run(project, "test_shared.py", "--colossim-update-baselines")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*shared.json was already written by *test_shared?max_gpus?*"])


def test_a_failure_says_when_the_file_came_from_another_colossim(project):
    run(project, "--colossim-update-baselines")
    path = project.path / "baselines" / "toy.json"
    doc = json.loads(path.read_text())
    doc["produced"]["colossim"] = "0.0.0-old"
    doc["metrics"]["makespan_s"] = 1.0
    path.write_text(json.dumps(doc))
    result = run(project)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*written by colossim 0.0.0-old and this is*"])


def test_the_header_records_paths_under_the_project_relative_to_it(project):
    run(project, "--colossim-update-baselines", str(project.path / "test_toy.py"))
    command = baseline(project)["produced"]["command"]
    assert str(project.path) not in command and "test_toy.py" in command.split()


def test_one_test_writing_one_baseline_name_twice_is_refused(project):
    # a loop inside one test got past the check between tests
    project.makepyfile(test_loop="""
        def test_loop(policy_baseline):
            for value in (1.0, 2.0):
                policy_baseline({"value": value}, "looped")
    """)
    result = run(project, "test_loop.py", "--colossim-update-baselines")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*looped.json was already written by *test_loop*"])
    # the failure shows the test's line, not colossim's _update that raised it (QA)
    out = result.stdout.str()
    assert "plugin.py" not in out and "writers[path]" not in out, out
    result.stdout.fnmatch_lines([">*policy_baseline({\"value\": value}, \"looped\")"])


def test_numpy_metrics_are_written_as_numbers_and_judged_by_tolerance(project):
    # QA: np.int64 could not be written ("not JSON serializable"), and np.float32(1.5) against
    # a baseline of 1.5001 failed as "changed" whatever the tolerance
    project.makepyfile(test_np="""
        import numpy as np

        def test_np(policy_baseline):
            policy_baseline({"count": np.int64(3), "mean": np.float32(1.5)}, "np",
                            tolerances={"default": {"rel": 0.01, "abs": 0}})
    """)
    run(project, "test_np.py", "--colossim-update-baselines").assert_outcomes(passed=1)
    path = project.path / "baselines" / "np.json"
    doc = json.loads(path.read_text())
    assert doc["metrics"] == {"count": 3, "mean": 1.5}
    doc["metrics"]["mean"] = 1.5001  # 0.007 % off: within 1 %
    path.write_text(json.dumps(doc))
    run(project, "test_np.py").assert_outcomes(passed=1)
    doc["metrics"]["mean"] = 1.6  # 6 % off
    path.write_text(json.dumps(doc))
    result = run(project, "test_np.py")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*mean*1.6*1.5*-0.1*-6.25%*FAIL (changed)*"])


UNTOLERANT_TEST = """
def test_toy(run_policy, policy_baseline):
    policy_baseline(run_policy("toy_policy:Toy", "toy.yaml"), "toy")
"""


def test_an_update_writes_exactly_the_tests_tolerances_and_names_those_it_replaced(project):
    # QA: a tolerance a test once gave stayed in the file after the test dropped it (an update
    # wrote nothing, the numbers being "within tolerance"), so a 5 % regression then passed
    project.makepyfile(test_toy=REGRESSION_TEST.format(rel=0.1))
    run(project, "--colossim-update-baselines").assert_outcomes(passed=1)
    assert baseline(project)["tolerances"] == {"default": {"rel": 0.1, "abs": 0.0}}
    project.makepyfile(test_toy=UNTOLERANT_TEST)
    result = run(project, "--colossim-update-baselines")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["updated *toy.json (tolerances now the test's; replaced: default (rel 0.1, abs 0))"])
    path = project.path / "baselines" / "toy.json"
    doc = json.loads(path.read_text())
    assert doc["tolerances"] == {"default": {"rel": 1e-6, "abs": 1e-9}}
    doc["metrics"]["makespan_s"] *= 0.95  # the run is now 5 % worse than the file
    path.write_text(json.dumps(doc))
    run(project).assert_outcomes(failed=1)


def test_a_metric_the_file_lacks_is_named_in_the_summary_of_a_passing_run(project,
                                                                           monkeypatch):
    # QA: a new metric was listed under the diff table only, so a passing run never said it
    project.makepyfile(test_new="""
        import os

        def test_new(policy_baseline):
            metrics = {"a": 1.0, **({"b": 2.0, "c": 3.0} if os.environ.get("NEW") else {})}
            policy_baseline(metrics, "new")
    """)
    run(project, "test_new.py", "--colossim-update-baselines").assert_outcomes(passed=1)
    assert "not in their baseline" not in run(project, "test_new.py").stdout.str()
    monkeypatch.setenv("NEW", "1")
    result = run(project, "test_new.py")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*colossim metrics not in their baseline, not compared*",
                                 "*new.json: b, c"])


def test_a_conftest_fixture_named_colossim_policy_is_not_parametrised_again(pytester):
    # QA: "duplicate parametrization of 'colossim_policy'" broke collection
    pytester.makeconftest("""
        import pytest

        @pytest.fixture(params=["fifo", "priority"])
        def colossim_policy(request):
            return request.param
    """)
    pytester.makepyfile("""
        def test_c(colossim_policy):
            assert colossim_policy in ("fifo", "priority")
    """)
    result = run(pytester, "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_c[[]fifo[]] PASSED*", "*test_c[[]priority[]] PASSED*"])


def test_a_baseline_file_it_cannot_use_fails_naming_it_without_a_traceback(project):
    # QA: "produced": "hand" raised AttributeError inside colossim once a metric failed
    run(project, "--colossim-update-baselines")
    path = project.path / "baselines" / "toy.json"
    doc = json.loads(path.read_text())
    doc["produced"], doc["metrics"]["makespan_s"] = "hand", 1.0
    path.write_text(json.dumps(doc))
    result = run(project)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*baselines/toy.json: 'produced' must be a mapping*"])
    assert "baseline.py" not in result.stdout.str() and "Error" not in result.stdout.str()


SAME_NAME = """
def test_baseline(policy_baseline):
    policy_baseline({{"value": {value}}})
"""


def test_two_test_files_sharing_a_default_baseline_name_are_refused(project):
    # QA: tests/test_a.py::test_baseline and tests/test_b.py::test_baseline both wrote
    # baselines/test_baseline.json; updating test_b alone overwrote test_a's reviewed file
    project.makepyfile(test_a=SAME_NAME.format(value=1.0), test_b=SAME_NAME.format(value=2.0))
    run(project, "test_a.py", "--colossim-update-baselines").assert_outcomes(passed=1)
    for args in (("test_b.py", "--colossim-update-baselines"), ("test_b.py",)):
        result = run(project, *args)
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(["*test_baseline.json belongs to test_a.py::test_baseline,"
                                     " and test_b.py::test_baseline resolves to it too*"])
    assert baseline(project, "test_baseline")["metrics"] == {"value": 1.0}
    result = run(project, "test_a.py", "test_b.py")  # one session: the second is refused
    result.assert_outcomes(passed=1, failed=1)
    run(project, "test_a.py").assert_outcomes(passed=1)  # its own file
    # QA: run first, test_b claimed the file and test_a, whose file its header names, was
    # told to take another name; the header decides, whatever the order
    result = run(project, "test_b.py", "test_a.py", "-v")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*test_b.py::test_baseline FAILED*",
                                 "*test_a.py::test_baseline PASSED*"])
    result.stdout.fnmatch_lines(["*test_baseline.json belongs to test_a.py::test_baseline,"
                                 " and test_b.py::test_baseline resolves to it too*"])


def test_a_failure_says_when_the_file_was_produced_by_another_run(project):
    # QA: a baseline copied from another scenario, policy or seed failed with no hint
    run(project, "--colossim-update-baselines")
    path = project.path / "baselines" / "toy.json"
    doc = json.loads(path.read_text())
    doc["produced"].update(scenario="small", seed=3)
    path.write_text(json.dumps(doc))
    run(project).assert_outcomes(passed=1)  # the same numbers: no hint needed
    doc["metrics"]["makespan_s"] = 1.0
    path.write_text(json.dumps(doc))
    result = run(project)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*the file was produced by a run of scenario 'small', policy 'toy_policy:Toy', seed 3,"
        " and this is a run of scenario 'toy', policy 'toy_policy:Toy', seed 0*"])


def test_a_policy_named_by_its_path_and_by_its_registered_name_is_one_run():
    # QA: a baseline made with a policy given as module:Class, then the same class installed
    # under an entry point and run by that name, failed with "is it the baseline of another
    # run?" as if the file were another policy's
    from colossim.testing.plugin import _other_run

    class Result:
        scenario, policy, seed = "toy", "fifo", 0

    header = {"produced": {"scenario": "toy", "seed": 0}}
    header["produced"]["policy"] = "colossim.policy.builtin.fifo:Fifo"  # the same class
    assert _other_run(header, Result()) == ""
    header["produced"]["policy"] = "priority"  # another class
    assert "policy 'priority'" in _other_run(header, Result())
    header["produced"]["policy"] = "no_such_module:Gone"  # not importable: the text decides
    assert "policy 'no_such_module:Gone'" in _other_run(header, Result())


def test_the_header_command_replays_from_the_root_when_pytest_ran_in_a_subfolder(
        project, monkeypatch):
    # QA: run in sub/, the header mixed sub/-relative and root-relative paths
    sub = project.mkpydir("sub")
    (sub / "test_sub.py").write_text(
        "def test_sub(policy_baseline):\n    policy_baseline({'a': 1.0}, 'sub')\n")
    monkeypatch.chdir(sub)
    run(project, "test_sub.py::test_sub", "--colossim-update-baselines",
        "--colossim-baseline-dir", "../golden", f"--rootdir={project.path}",
        "-k", "test_sub").assert_outcomes(passed=1)
    command = json.loads((project.path / "golden" / "sub.json").read_text())["produced"][
        "command"]
    assert command.split()[7:14] == [  # pytester adds -p ... before, --basetemp after
        "sub/test_sub.py::test_sub", "--colossim-update-baselines", "--colossim-baseline-dir",
        "golden", "--rootdir=.", "-k", "test_sub"]


def test_no_baseline_advice_names_the_test_and_colossims_docs(project, monkeypatch):
    # QA: the advice was a bare `pytest --colossim-update-baselines`, which rewrites every
    # baseline that moved (regressions included), and "docs/testing.md", which a third-party
    # project does not have
    sub = project.mkpydir("sub")
    (sub / "test_sub.py").write_text(
        "import pytest\n\n@pytest.mark.parametrize('x', ['a b'])\n"
        "def test_sub(policy_baseline, x):\n    policy_baseline({'a': 1.0})\n")
    result = run(project, "sub")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*no colossim baseline *test_sub-a-b.json; create it with "
                                 "`python -m pytest 'sub/test_sub.py::test_sub[[]a b[]]' "
                                 "--colossim-update-baselines`*(see colossim's docs/testing.md)"])
    monkeypatch.chdir(sub)  # typed where pytest runs
    result = run(project, f"--rootdir={project.path}")
    result.stdout.fnmatch_lines(
        ["*`python -m pytest 'test_sub.py::test_sub[[]a b[]]' --colossim-*"])


BAD_INPUTS = """
def test_tolerance(policy_baseline):
    policy_baseline({"a": 1.0}, "t", tolerances={"default": {"rel": -1}})

def test_file(policy_baseline):
    policy_baseline({"a": 1.0}, "conflict")
"""


def test_a_failure_of_its_inputs_is_said_once(project):
    # QA: a failure raised while handling its cause printed the message twice, joined by
    # "During handling of the above exception, another exception occurred"
    project.makepyfile(test_bad=BAD_INPUTS)
    (project.path / "baselines").mkdir()
    (project.path / "baselines" / "conflict.json").write_text("<<<<<<< HEAD\n{}\n")
    result = run(project, "test_bad.py")
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    assert "During handling" not in out, out
    # each failure's own section says it once (pytest 9.2 repeats it in its short summary)
    said = out.split("short test summary info")[0]
    assert said.count("'rel' must be a number >= 0, not -1") == 1, out
    assert said.count("conflict.json cannot be read") == 1, out


CALL_MISTAKES = """
def test_scenario(run_policy):
    run_policy("fifo", "smal")

def test_policy(run_policy):
    run_policy("fifoo", "small")

def test_override(run_policy):
    run_policy("fifo", "small", overrides=["cluster.power.suply_mw=2"])
"""


def test_a_mistake_in_a_run_policy_call_fails_with_its_message_alone(project):
    """QA: each printed ~50 lines of colossim's source (runner.py, api.py, loader.py) before the
    one-line message."""
    project.makepyfile(test_calls=CALL_MISTAKES)
    result = run(project, "test_calls.py")
    result.assert_outcomes(failed=3)
    out = result.stdout.str()
    result.stdout.fnmatch_lines(["*run_policy: *smal*no such file or scenario*did you mean*",
                                 "*run_policy: *unknown policy 'fifoo'*",
                                 "*run_policy: *suply_mw*did you mean 'supply_mw'?*"])
    assert "colossim/api.py" not in out and "loader.py" not in out, out
    # QA: each was said twice, the second time after "During handling of the above exception,
    # another exception occurred" (pytest 9.2 repeats it once more in its short summary)
    assert "During handling" not in out, out
    said = out.split("short test summary info")[0]
    assert said.count("unknown policy 'fifoo'") == 1, out
    assert said.count("run_policy: smal: no such file or scenario") == 1, out


TYPO_TOLERANCES = """
def test_typo(run_policy, policy_baseline):
    policy_baseline(run_policy("fifo", "small"), "typo",
                    tolerances={{{keys}}})
"""


def test_a_tolerance_for_no_metric_nor_family_fails_naming_the_close_ones(project):
    # QA: {"makespan": ...} (the metric is makespan_s) was written into the file, where it
    # loosened nothing and misled every reviewer
    project.makepyfile(test_typo=TYPO_TOLERANCES.format(
        keys='"makespan": 0.1, "jct_s.llm70b": 0.1'))
    for args in ((), ("--colossim-update-baselines",)):
        result = run(project, "test_typo.py", *args)
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines([
            "*policy_baseline(tolerances=...): 'makespan' (did you mean 'makespan_s'?), "
            "'jct_s.llm70b' (did you mean 'jct_s.llm-70b'?*) are neither a metric of the "
            "result, a family of one (the part before the first '.') nor 'default'*"])
        assert not (project.path / "baselines" / "typo.json").exists()
    # a metric, a family and default are tolerances
    project.makepyfile(test_typo=TYPO_TOLERANCES.format(
        keys='"makespan_s": 0.1, "jct_s.llm-70b": 0.1, "ettr": 0.1, "default": 0.1'))
    run(project, "test_typo.py", "--colossim-update-baselines").assert_outcomes(passed=1)
    assert set(baseline(project, "typo")["tolerances"]) == {"makespan_s", "jct_s.llm-70b",
                                                           "ettr", "default"}


def test_an_unknown_metric_asked_for_fails_with_a_did_you_mean(project):
    # QA: metrics=["mean_jct"] raised a bare KeyError with a traceback into the plugin
    project.makepyfile(test_m="""
        def test_m(run_policy, policy_baseline):
            policy_baseline(run_policy("fifo", "small"), "m", metrics=["makespan_s", "mean_jct"])
    """)
    result = run(project, "test_m.py", "--colossim-update-baselines")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*policy_baseline(metrics=...): 'mean_jct' (did you mean "
                                 "'mean_jct_s'*?) is not a metric of the result; it has: *"])
    out = result.stdout.str()
    assert "KeyError" not in out and "plugin.py" not in out, out


def test_an_empty_list_of_metrics_is_refused(project):
    # QA: metrics=[] stored a baseline of nothing, which passed whatever the policy did
    project.makepyfile(test_e="""
        def test_e(policy_baseline):
            policy_baseline({"x": 1.0}, "e", metrics=[])
    """)
    result = run(project, "test_e.py", "--colossim-update-baselines")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*policy_baseline(metrics=[]): no metric to store*"])
    assert not (project.path / "baselines" / "e.json").exists()


TWO_CLASSES = """
class Base:
    def test_inherited(self, policy_baseline):
        policy_baseline({{"value": {value}}})


class TestFifo(Base):
    def test_small(self, policy_baseline):
        policy_baseline({{"value": 1.0}})


class {las}:
    def test_small(self, policy_baseline):
        policy_baseline({{"value": 2.0}})


class TestInherits(Base):
    pass
"""


def test_two_classes_sharing_a_default_baseline_name_are_refused(project):
    # QA: TestFifo::test_small and TestLas::test_small both resolve to test_small.json (the
    # default name has no class); updating TestLas alone overwrote TestFifo's reviewed file
    project.makepyfile(test_cls=TWO_CLASSES.format(las="TestLas", value=3.0))
    run(project, "test_cls.py", "-k", "TestFifo and small",
        "--colossim-update-baselines").assert_outcomes(passed=1)
    for args in (("--colossim-update-baselines",), ()):
        result = run(project, "test_cls.py", "-k", "TestLas", *args)
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines([
            "*test_small.json belongs to test_cls.py::TestFifo::test_small, and "
            "test_cls.py::TestLas::test_small resolves to it too: the default name is the test "
            "function's name, without its class, which both have. Give this test a name of "
            "its own: policy_baseline(result, \"name\")"])
    assert baseline(project, "test_small")["metrics"] == {"value": 1.0}
    run(project, "test_cls.py", "-k", "TestFifo and small").assert_outcomes(passed=1)
    # a class renamed keeps its baseline: the header's test is gone
    project.makepyfile(test_cls=TWO_CLASSES.format(las="TestLas", value=3.0).replace(
        "TestFifo", "TestFirst"))
    run(project, "test_cls.py", "-k", "TestLas", "--colossim-update-baselines").assert_outcomes(
        passed=1)
    # a test inherited from a base class the file defines is still there
    run(project, "test_cls.py", "-k", "TestFirst and inherited",
        "--colossim-update-baselines").assert_outcomes(passed=1)
    result = run(project, "test_cls.py", "-k", "TestInherits")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*test_inherited.json belongs to "
                                 "test_cls.py::TestFirst::test_inherited, and*"])


def test_parameter_ids_that_sanitise_alike_are_named_as_the_cause(project):
    # QA: the message blamed "the test function's name, which both have"; the ids differ
    project.makepyfile(test_ids="""
        import pytest

        @pytest.mark.parametrize("sup", ["a b", "a/b"])
        def test_ids(sup, policy_baseline):
            policy_baseline({"value": 1.0})
    """)
    result = run(project, "test_ids.py", "--colossim-update-baselines")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*test_ids-a-b.json belongs to test_ids.py::test_ids[[]a b[]], and "
        "test_ids.py::test_ids[[]a/b[]] resolves to it too: their parameter ids 'a b' and "
        "'a/b' sanitise alike to 'test_ids-a-b' (the default name keeps letters, digits, '_', "
        "'.' and '-', and turns any other run of characters into one '-'). Give this test*"])
    # another parameter case, run on its own, is not refused by the header (its id may have
    # been renamed; in one session the claim above catches it)
    run(project, "test_ids.py", "-k", "a/b").assert_outcomes(passed=1)


PLUGIN = """
from colossim.policy.builtin.fifo import POLICY as Fifo


class Good(Fifo):
    name = "qa-good"


class TakesFifo(Fifo):
    name = "fifo"


class DupA(Fifo):
    name = "dup"


class DupB(Fifo):
    name = "dup"
"""
ENTRY_POINTS = """[colossim.policies]
qa-good = qa_plugin:Good
qa-broken = qa_broken:Policy
fifo = qa_plugin:TakesFifo
dup-a = qa_plugin:DupA
dup-b = qa_plugin:DupB
"""


def test_an_entry_point_that_cannot_be_used_is_a_failing_case_not_left_out(pytester,
                                                                            monkeypatch):
    # QA: an author's policy whose module failed to import was left out of colossim_policy's
    # cases with only a warning (none under -p no:warnings): "every installed policy" passed
    # without it
    site = pytester.mkdir("site")
    pytester.makepyfile(qa_plugin=PLUGIN, qa_broken="import numpyy\n")
    info = site / "qa_plugin-0.1.dist-info"  # what pip install leaves for importlib.metadata
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: qa-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    monkeypatch.setenv("PYTHONPATH", f"{site}{os.pathsep}{pytester.path}")
    pytester.makepyfile(test_every="""
        def test_each(colossim_policy):
            assert isinstance(colossim_policy, str)
    """)
    result = pytester.runpytest_subprocess("-p", "no:hypothesispytest", "-p", "no:cacheprovider",
                                           "-p", "no:warnings", "-v")
    from colossim.policy.registry import BUILTIN_NAMES, available

    others = set(available()) - set(BUILTIN_NAMES)  # plugins this environment holds (the
    # examples' instructions install one), which the subprocess finds as well
    result.assert_outcomes(passed=len(BUILTIN_NAMES) + 1 + len(others), errors=3)
    result.stdout.fnmatch_lines_random([
        "*test_each[[]qa-good[]] PASSED*",
        "*test_each[[]fifo[]] PASSED*",  # the built-in
        "*ERROR at setup of test_each[[]qa-broken[]]*",
        "policy entry point 'qa-broken' is installed but cannot be used: qa_broken:Policy cannot "
        "be loaded: No module named 'numpyy'",
        "*ERROR at setup of test_each[[]fifo-entry-point[]]*",
        "policy entry point 'fifo' is installed but cannot be used: qa_plugin:TakesFifo names "
        "its policy 'fifo', the name of a built-in policy",
        "*ERROR at setup of test_each[[]dup[]]*",
        "two installed policies are named 'dup' (qa_plugin:DupA and qa_plugin:DupB): neither "
        "can be used by that name; uninstall one",
    ])


def test_a_starved_run_fails_at_the_test_line_not_in_contextlib(pytester):
    # QA: the failing code shown was contextlib's `raise RuntimeError("generator didn't stop")`
    pytester.syspathinsert()
    pytester.makepyfile(test_starve='''
from colossim.policy.actions import WakeAt
from colossim.policy.api import BasePolicy


class Idle(BasePolicy):
    name = "idle"

    def decide(self, view):
        return [WakeAt(view.now_s + 3600.0)]  # polls hourly, starts nothing


def test_idle(run_policy):
    run_policy(Idle, "small")
''')
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*starved: policy 'idle' on scenario 'small'*"])
    assert "generator didn't stop" not in result.stdout.str()
    assert "contextlib.py" not in result.stdout.str()


PINNED = """
import os

def test_pinned(policy_baseline):
    result = {"a": 1.0, "ettr.b": 0.5}
    if os.environ.get("LOST"):
        del result["ettr.b"]  # as ettr.<job> of a job the changed policy never starts
    policy_baseline(result, "p", metrics=["a", "ettr.b"])

def test_narrowed(policy_baseline):
    metrics = os.environ["PICK"].split(",") if os.environ.get("PICK") else None
    policy_baseline({"a": 1.0, "b": 2.0}, "n", metrics=metrics)
"""


@pytest.fixture
def selecting(project: pytest.Pytester) -> pytest.Pytester:
    """The project with PINNED's two tests and their baselines recorded."""
    project.makepyfile(test_sel=PINNED)
    run(project, "test_sel.py", "--colossim-update-baselines").assert_outcomes(passed=2)
    return project


def run_selected(project: pytest.Pytester, test: str, **outcomes: int) -> pytest.RunResult:
    """One of PINNED's tests (the other deselected), with the outcome it must have."""
    result = run(project, "test_sel.py", "-k", test)
    result.assert_outcomes(deselected=1, **outcomes)
    return result


def test_a_pinned_metric_the_run_lost_is_a_regression_not_a_typo(selecting, monkeypatch):
    # QA: it failed as "'ettr.b' is not a metric of the result", with no table, and an update
    # failed the same way, so the new result could not be recorded
    project = selecting
    monkeypatch.setenv("LOST", "1")
    result = run_selected(project, "pinned", failed=1)
    result.stdout.fnmatch_lines(["*1 of 2 metric(s) outside tolerance*",
                                 "*ettr.b*missing*FAIL (missing from the run)*"])
    result.stdout.no_fnmatch_line("*is not a metric*")
    run(project, "test_sel.py", "-k", "pinned",
        "--colossim-update-baselines").assert_outcomes(passed=1, deselected=1)
    assert baseline(project, "p")["metrics"] == {"a": 1.0}


def test_narrowing_metrics_is_not_a_metric_missing_from_the_run(selecting, monkeypatch):
    # QA: docs/testing.md advises keeping only the policy-driven metrics; doing so after the
    # baseline existed failed every dropped one as "missing from the run", nothing having moved
    project = selecting
    monkeypatch.setenv("PICK", "a")
    result = run_selected(project, "narrowed", passed=1)
    result.stdout.fnmatch_lines(["*baseline metrics the test's metrics= leaves out*",
                                 "*n.json: b"])
    monkeypatch.setenv("PICK", "a,c")  # a name neither the run nor the file has: a slip
    result = run_selected(project, "narrowed", failed=1)
    result.stdout.fnmatch_lines(["*'c'*is not a metric of the result*"])


def _edit_baseline(project: pytest.Pytester, name: str, change) -> None:
    path = project.path / "baselines" / f"{name}.json"
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def test_a_file_whose_metrics_were_emptied_or_cut_fails(selecting):
    # QA: a hand edit or a bad merge that emptied the file's metrics passed green, judging
    # nothing; one that dropped a metric the test names stopped checking it without a word
    project = selecting
    _edit_baseline(project, "p", lambda doc: doc["metrics"].pop("ettr.b"))
    result = run_selected(project, "pinned", failed=1)
    result.stdout.fnmatch_lines(["*p.json lacks 'ettr.b', which the test names in metrics=*"
                                 "--colossim-update-baselines*"])
    _edit_baseline(project, "n", lambda doc: doc["metrics"].clear())
    result = run_selected(project, "narrowed", failed=1)
    result.stdout.fnmatch_lines(["*n.json holds no metrics, so it would judge nothing*"])
    run(project, "test_sel.py", "--colossim-update-baselines").assert_outcomes(passed=2)
    run(project, "test_sel.py").assert_outcomes(passed=2)


def test_a_tolerance_in_the_file_for_no_metric_fails_as_the_tests_own_does(selecting):
    # QA: "makespan" typed into the file (the metric is "a" here) loosened nothing, silently
    project = selecting
    _edit_baseline(project, "n", lambda doc: doc["tolerances"].update({"bb": {"rel": 0.5}}))
    result = run_selected(project, "narrowed", failed=1)
    result.stdout.fnmatch_lines(["*n.json: 'tolerances': 'bb' (did you mean 'b'?) is neither "
                                 "a metric of the result*"])


REVIEWED = """
import os

def test_reviewed(policy_baseline):
    metrics = {"a": 1.0, "b": 2.0}
    if os.environ.get("ADD"):
        metrics["c"] = 3.0
    if os.environ.get("DROP"):
        del metrics["b"]
    if os.environ.get("MOVE"):
        metrics["a"] = 1.5
    loose = {"default": {"rel": 0.5, "abs": 0}} if os.environ.get("LOOSE") else None
    policy_baseline(metrics, "r", tolerances=loose)
"""


def test_the_review_note_is_called_stale_only_when_a_stored_number_changed(project,
                                                                             monkeypatch):
    # QA: "(its 'review' note was written for the old numbers)" showed when metrics were only
    # added or dropped, every number the note vouched for unchanged
    project.makepyfile(test_reviewed=REVIEWED)
    run(project, "test_reviewed.py", "--colossim-update-baselines").assert_outcomes(passed=1)
    _edit_baseline(project, "r", lambda doc: doc.update(review="a and b checked by hand"))

    def update(*variables: str) -> pytest.RunResult:
        for name in ("ADD", "DROP", "MOVE", "LOOSE"):
            monkeypatch.delenv(name, raising=False)
        for name in variables:
            monkeypatch.setenv(name, "1")
        result = run(project, "test_reviewed.py", "--colossim-update-baselines")
        result.assert_outcomes(passed=1)
        return result

    for only_added_or_dropped in ("ADD", "DROP"):  # c added; then b (and c) dropped
        result = update(only_added_or_dropped)
        result.stdout.fnmatch_lines(["updated *r.json"])  # the whole line: no flag after it
        result.stdout.no_fnmatch_line("*'review' note*")
    assert baseline(project, "r")["metrics"] == {"a": 1.0}
    stale = "(its 'review' note was written for the old numbers)"
    update("MOVE").stdout.fnmatch_lines([f"updated *r.json {stale}"])
    assert baseline(project, "r")["metrics"] == {"a": 1.5, "b": 2.0}
    # a written 1.0 where the file says 1.5 is a changed number, though within the rel 0.5 the
    # test now gives (the file's tolerances, replaced, are named too)
    update("LOOSE").stdout.fnmatch_lines([f"updated *r.json {stale} (tolerances now the "
                                          "test's; replaced: default (rel 1e-06, abs 1e-09))"])
    assert baseline(project, "r")["metrics"] == {"a": 1.0, "b": 2.0}


# The options pytest-xdist adds (``-n`` is ``--numprocesses``), so that the plugin's refusal is
# tested without xdist installed; each run blocks the real one (``-p no:xdist``) if it is.
FAKE_XDIST = """
import pytest

def pytest_addoption(parser):
    group = parser.getgroup("xdist")
    group.addoption("--numprocesses", dest="numprocesses", type=int, default=None)
    group.addoption("--dist", default="no")
    group.addoption("--tx", action="append", default=[])
    parser.addoption("--as-worker", action="store_true")  # not xdist's: run as one of its workers

@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    if config.getoption("as_worker"):
        config.workerinput = {"workerid": "gw0"}  # as xdist gives a worker's config
"""


@pytest.mark.parametrize(("args", "refused"), [
    (["--numprocesses=2"], True),
    (["--dist=load", "--tx=popen", "--tx=popen"], True),
    (["--as-worker"], True),  # a worker (only if its controller let the update through)
    (["--numprocesses=0"], False),  # xdist's -n 0: one process, as without -n
    (["--dist=load"], False),  # no --tx: xdist starts no worker either
], ids=["-n 2", "dist-tx", "worker", "-n 0", "dist-without-tx"])
def test_an_update_under_xdist_is_refused_as_a_usage_error(project, args, refused):
    # QA: two tests writing one baseline name in two workers both passed (the check is per
    # process) and the file kept one of the two
    project.makeconftest(FAKE_XDIST)
    result = run(project, "-p", "no:xdist", "--colossim-update-baselines", *args)
    written = (project.path / "baselines" / "toy.json").exists()
    if not refused:
        result.assert_outcomes(passed=1)
        assert written
        return
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([
        "ERROR: --colossim-update-baselines cannot run under pytest-xdist (-n/--numprocesses, "
        "--dist): tests in separate worker processes could write one baseline file unseen, the "
        "last overwriting the others; run the update without -n (or with -n 0)"])
    assert not written


# xdist without xdist: a "worker" run keeps what the plugin puts in ``config.workeroutput`` (the
# dict xdist gives a worker and sends its controller, so JSON it must be) in a file; a
# "controller" run hands each file to the plugin's ``pytest_testnodedown`` as xdist would, in a
# node that carries it, then prints its own terminal summary.
FAKE_WORKER_AND_CONTROLLER = """
import json
import os
from types import SimpleNamespace

import pytest

from colossim.testing import plugin

@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    if os.environ.get("AS_WORKER"):
        config.workeroutput = {}

@pytest.hookimpl(trylast=True)  # after the plugin's, as xdist sends it when all are done
def pytest_sessionfinish(session):
    config = session.config
    if os.environ.get("AS_WORKER"):
        with open(os.environ["AS_WORKER"], "w") as out:
            json.dump(config.workeroutput, out)
    for sent in filter(None, os.environ.get("AS_CONTROLLER", "").split(",")):
        with open(sent) as file:
            node = SimpleNamespace(config=config, workeroutput=json.load(file))
        plugin.pytest_testnodedown(node=node, error=None)
    if os.environ.get("AS_CONTROLLER"):  # a worker that crashed has no workeroutput
        plugin.pytest_testnodedown(node=SimpleNamespace(config=config), error="crashed")
"""


def test_under_xdist_the_workers_notices_are_printed_by_the_controller(project, monkeypatch):
    # QA: under -n 2 the terminal summary's notices vanished: the workers collected them, and a
    # worker's terminal summary is never shown
    project.makeconftest(FAKE_WORKER_AND_CONTROLLER)
    project.makepyfile(test_sel=PINNED)  # test_narrowed: "n.json: b" when PICK=a
    project.makepyfile(test_new="""
        import os

        def test_new(policy_baseline):
            policy_baseline({"a": 1.0, **({"b": 2.0} if os.environ.get("NEW") else {})}, "new")
    """)
    project.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    first, second = project.path / "gw0.json", project.path / "gw1.json"

    def as_worker(sent: Path, *args: str, **outcomes: int) -> None:
        monkeypatch.setenv("AS_WORKER", str(sent))
        run(project, "-p", "no:xdist", *args).assert_outcomes(**outcomes)
        monkeypatch.delenv("AS_WORKER")

    as_worker(first, "test_new.py", "test_sel.py", "--colossim-update-baselines", passed=3)
    monkeypatch.setenv("NEW", "1")
    monkeypatch.setenv("PICK", "a")
    as_worker(second, "test_new.py", "test_sel.py", "-k", "new or narrowed", passed=2,
              deselected=1)
    assert json.loads(second.read_text())["colossim_notices"] == {
        "written": [],
        "unjudged": [f"{project.path / 'baselines' / 'new.json'}: b"],
        "unselected": [f"{project.path / 'baselines' / 'n.json'}: b"],
    }
    monkeypatch.setenv("AS_CONTROLLER", f"{first},{second}")
    result = run(project, "-p", "no:xdist", "test_nothing.py")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "*colossim baselines written (review before committing)*",
        "created */baselines/new.json", "created */baselines/p.json",
        "created */baselines/n.json",
        "*colossim metrics not in their baseline, not compared*", "*/new.json: b",
        "*baseline metrics the test's metrics= leaves out, not compared*", "*/n.json: b",
    ])


def test_the_plugin_loads_without_xdist_and_its_hook_is_declared_optional():
    """``pytest_testnodedown`` is xdist's hook: pytest refuses a plugin implementing a hook no
    plugin declares unless the implementation is marked optional."""
    from colossim.testing import plugin

    pm = pytest.PytestPluginManager()
    pm.register(plugin, "colossim-alone")  # without xdist's hookspecs
    pm.check_pending()  # raises PluginValidationError for a hook nobody declares
    assert pm.parse_hookimpl_opts(plugin, "pytest_testnodedown")["optionalhook"] is True


HUGE = """
def test_flops(policy_baseline):
    policy_baseline({"flops": 10**30 + 7, "edge": 2**1024}, "map-flops")
"""


def test_an_integer_past_a_float_is_refused_when_recorded_not_after(project):
    # QA: the update wrote a 309-digit integer, and every later comparison (and update) called
    # the file "edited by hand?", so it had to be deleted by hand
    project.makepyfile(test_huge=HUGE)
    for args in (("--colossim-update-baselines",), ()):
        result = run(project, *args)
        result.assert_outcomes(passed=1, failed=1)  # the project's own toy test passes
        result.stdout.fnmatch_lines(["*metric 'edge' is an integer of 309 digits, past the "
                                     "largest number a tolerance can compare*"])
        assert "edited by hand" not in result.stdout.str()
    assert not (project.path / "baselines" / "map-flops.json").exists()


# A rerun (pytest-rerunfailures) runs the same test again, with a new request: as the plugin
# sees it, this hook fails a test's first call after its baseline was written, then runs it again
RERUN_ONCE = """
import pytest

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    from _pytest.runner import runtestprotocol
    reports = runtestprotocol(item, nextitem=nextitem, log=False)  # the first try, not logged
    outcome = yield
"""

FLAKY = """
TRIES = []

def test_flaky(policy_baseline):
    policy_baseline({"a": 1.0}, "flaky")
    TRIES.append(1)
    assert len(TRIES) > 1, "fails on its first try only"
"""


def test_a_rerun_test_may_write_its_baseline_again(project):
    # QA (with pytest-rerunfailures): the rerun of a test that wrote its baseline, then failed,
    # was refused as "two results share its name", advice to rename included
    project.makepyfile(test_flaky=FLAKY)
    project.makeconftest(RERUN_ONCE)
    result = run(project, "test_flaky.py", "--colossim-update-baselines")
    result.assert_outcomes(passed=1)
    assert baseline(project, "flaky")["metrics"] == {"a": 1.0}
    assert "already written" not in result.stdout.str()


def test_an_update_writes_through_a_link_and_keeps_crlf_line_endings(project):
    # QA: a baseline shared by a symbolic link was replaced by a plain file (the shared one
    # kept its old numbers), and a CRLF file came back LF (every line a change in the diff)
    run(project, "--colossim-update-baselines").assert_outcomes(passed=1)
    link, shared = project.path / "baselines" / "toy.json", project.path / "shared.json"
    text = link.read_text().replace('"makespan_s": 10800.0', '"makespan_s": 10000.0')
    shared.write_bytes(text.replace("\n", "\r\n").encode())
    link.unlink()
    link.symlink_to(shared)
    run(project, "--colossim-update-baselines").assert_outcomes(passed=1)
    assert link.is_symlink()
    raw = shared.read_bytes()
    assert b'"makespan_s": 10800.0' in raw and raw.count(b"\r\n") == raw.count(b"\n") > 5


def test_a_baseline_that_cannot_be_written_fails_with_its_name_not_a_traceback(project):
    # QA: a read-only checkout gave a traceback into colossim naming a hidden temporary file
    (project.path / "baselines").write_text("a file where the folder should be")
    result = run(project, "--colossim-update-baselines")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*cannot write colossim baseline *toy.json: *"])
    assert "Traceback" not in result.stdout.str() and "atomic_write" not in result.stdout.str()


def test_a_baseline_saved_with_a_byte_order_mark_is_read(project):
    # QA: Windows PowerShell 5 writes UTF-8 with a BOM, which failed as "edited by hand?"
    run(project, "--colossim-update-baselines").assert_outcomes(passed=1)
    path = project.path / "baselines" / "toy.json"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    run(project).assert_outcomes(passed=1)


def test_the_suggested_update_runs_in_one_process_under_xdist(project):
    # QA: with -n 2 in addopts the suggested command was refused (updates are, under xdist)
    project.makeconftest(FAKE_XDIST)
    project.makeini("[pytest]\naddopts = --numprocesses=2 -p no:xdist\n")
    result = run(project)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*create it with `python -m pytest test_toy.py::test_toy -n 0 "
                                 "--colossim-update-baselines`*"])


def test_the_recorded_command_leaves_out_options_for_one_run(project):
    # QA: an update made with --lf recorded "python -m pytest -q --lf ...", which replays nothing
    project.runpytest("-p", "no:hypothesispytest", "--lf", "--colossim-update-baselines",
                      "--sw").assert_outcomes(passed=1)
    command = baseline(project)["produced"]["command"]  # pytester adds its own --basetemp
    assert command.partition(" --basetemp=")[0] == (
        "python -m pytest -p no:hypothesispytest --colossim-update-baselines")


def test_the_suggested_update_names_the_tests_own_file_under_another_rootdir(project, tmp_path):
    # QA: with --rootdir elsewhere the node id's file part is relative to that other folder, and
    # the suggested command named "../elsewhere/test_toy.py", a file that does not exist
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run(project, f"--rootdir={elsewhere}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*create it with `python -m pytest test_toy.py::test_toy "
                                 "--colossim-update-baselines`*"])
