"""Golden-file comparison rules, on hand-made numbers."""

from __future__ import annotations

import math

import pytest

from colossim.errors import ColossimWarning
from colossim.testing.baseline import (
    MISSING,
    Tolerance,
    compare,
    diff_table,
    parse_tolerances,
    tolerance_for,
)
from colossim.testing.metrics import sense


def test_tolerance_is_the_larger_of_absolute_and_relative():
    tol = Tolerance(rel=0.01, abs=0.5)
    assert tol.allows(100.0, 101.0)  # 1 <= max(0.5, 1.0)
    assert not tol.allows(100.0, 101.01)
    assert tol.allows(0.0, 0.5)  # relative of zero is zero: abs decides
    assert not tol.allows(0.0, 0.51)


def test_tolerance_specs_and_lookup_order():
    tols = parse_tolerances({"default": 1e-3, "jct_s": (0.1, 0), "jct_s.a": {"abs": 5}})
    assert tolerance_for("jct_s.a", tols) == Tolerance(0.0, 5.0)  # its own
    assert tolerance_for("jct_s.b", tols) == Tolerance(0.1, 0.0)  # its family
    assert tolerance_for("makespan_s", tols) == Tolerance(1e-3, 0.0)  # the default
    with pytest.raises(ValueError, match="unknown keys"):
        parse_tolerances({"x": {"relative": 1}})


def test_compare_flags_direction_missing_and_new_metrics():
    baseline = {"makespan_s": 100.0, "gpu_utilization": 0.8, "jobs_completed": 4,
                "energy_mwh": 10.0, "mean_jct_s": None, "gone": 1.0}
    actual = {"makespan_s": 110.0, "gpu_utilization": 0.9, "jobs_completed": 4,
              "energy_mwh": 10.0, "mean_jct_s": None, "ettr": 0.95}
    rows, new = compare(baseline, actual, {"default": Tolerance(1e-6, 0)})
    by = {r.metric: r for r in rows}
    assert (by["makespan_s"].ok, by["makespan_s"].note) == (False, "worse")  # longer is worse
    assert (by["gpu_utilization"].ok, by["gpu_utilization"].note) == (False, "better")
    assert by["jobs_completed"].ok and by["energy_mwh"].ok and by["mean_jct_s"].ok
    assert by["gone"].actual is MISSING and not by["gone"].ok
    assert new == ["ettr"]


def test_diff_table_shows_every_row_with_change_and_relative_change():
    rows, new = compare({"makespan_s": 200.0, "energy_mwh": 10.0},
                        {"makespan_s": 250.0, "energy_mwh": 10.0, "ettr": 1.0},
                        {"default": Tolerance(0.01, 0)})
    text = diff_table(rows, "title", new)
    lines = text.splitlines()
    assert lines[0] == "title"
    assert lines[1].split() == ["metric", "baseline", "actual", "change", "rel", "tolerance",
                                "status"]
    assert lines[3].split()[:5] == ["makespan_s", "200", "250", "+50", "+25.00%"]
    assert lines[3].endswith("FAIL (worse)")
    assert lines[4].split()[:4] == ["energy_mwh", "10", "10", "0"] and lines[4].endswith("ok")
    assert lines[-1] == "not in the baseline (not compared): ettr"


def test_the_failing_rows_come_first_each_group_in_its_order():
    # QA: the one failing row of a 40-job scenario was the 55th of 91 lines in a CI log
    stored = {f"jct_s.j{k}": 100.0 + k for k in range(6)}
    actual = {**stored, "jct_s.j4": 900.0, "jct_s.j1": 0.0}
    rows, _ = compare(stored, actual, {"default": Tolerance(0.01, 0)})
    listed = [line.split()[0] for line in diff_table(rows, "title").splitlines()[3:]]
    assert listed == ["jct_s.j1", "jct_s.j4", "jct_s.j0", "jct_s.j2", "jct_s.j3", "jct_s.j5"]


def _table_cells(text: str) -> dict[str, list[str]]:
    """A diff table's rows by metric, cut into cells at the header's dashes (a cell may hold
    spaces, as the tolerance's "rel 1e-06, abs 1e-09" does, or be empty)."""
    lines = text.splitlines()
    spans, at = [], 0
    for dashes in lines[2].split("  "):
        spans.append((at, at + len(dashes)))
        at += len(dashes) + 2
    rows = [[line[a:b].strip() for a, b in spans[:-1]] + [line[spans[-1][0]:].strip()]
            for line in lines[3:] if not line.startswith("not in the baseline")]
    return {row[0]: row[1:] for row in rows}


def test_a_failing_row_reads_apart_and_says_its_relative_change():
    # QA: "139168  139168  +0.2  +0.00%  ...  FAIL": a change the default rel 1e-06 fails
    # read as no change at all; and a bool's row showed a tolerance that judged nothing
    baseline = {"makespan_s": 139168.0, "mean_jct_s": 1000.0, "max_jct_s": 10000.0,
                "gpu_utilization": 0.5, "flag": True, "plan": "pack", "label": "x", "lost": 2.0}
    actual = {"makespan_s": 139168.2, "mean_jct_s": 1000.05, "max_jct_s": 10001.0,
              "gpu_utilization": 0.5 + 1e-12, "flag": False, "plan": "pack"}
    rows, _ = compare(baseline, actual, parse_tolerances(None))  # rel 1e-06, abs 1e-09
    cells = _table_cells(diff_table(rows, "title"))
    default = "rel 1e-06, abs 1e-09"
    # 0.2 / 139168 = 1.44e-06: past rel 1e-06, shown as the tolerance's rel is written
    assert cells["makespan_s"] == ["139168", "139168.2", "+0.2", "+1.4e-06", default,
                                   "FAIL (worse)"]
    assert cells["mean_jct_s"] == ["1000", "1000.05", "+0.05", "+5e-05", default, "FAIL (worse)"]
    assert cells["max_jct_s"] == ["10000", "10001", "+1", "+0.01%", default, "FAIL (worse)"]
    # a passing row keeps 6 significant digits, however far its digits go
    assert cells["gpu_utilization"] == ["0.5", "0.5", "+1e-12", "+2e-12", default, "ok"]
    # a bool or a text is compared for equality: no tolerance applies
    assert cells["flag"] == ["True", "False", "", "", "equal", "FAIL (changed)"]
    assert cells["plan"] == ["pack", "pack", "", "", "equal", "ok"]
    assert cells["label"] == ["x", "(missing)", "", "", "equal", "FAIL (missing from the run)"]
    assert cells["lost"] == ["2", "(missing)", "", "", default, "FAIL (missing from the run)"]


@pytest.mark.parametrize(("metric", "expected"), [
    ("makespan_s", -1), ("jct_s.llm-70b", -1), ("energy_mwh", -1), ("peak_power_mw", -1),
    ("gpu_utilization", +1), ("jobs_completed", +1), ("ettr.llm-70b", +1), ("events", 0),
])
def test_sense_of_a_metric(metric, expected):
    assert sense(metric) == expected


def test_infinite_and_nan_metrics_round_trip_as_standard_json(tmp_path):
    # inf - inf is NaN, which no tolerance allows: an infinite metric failed its own baseline,
    # and Infinity/NaN tokens are not JSON (JSON.parse rejects them)
    import json
    import math

    from colossim.testing.baseline import DEFAULT, document, dumps, read

    metrics = {"worst": math.inf, "least": -math.inf, "ratio": math.nan, "count": 2}
    path = tmp_path / "m.json"
    path.write_text(dumps(path, document(None, metrics, {"default": DEFAULT}, {})))
    text = path.read_text()
    json.loads(text, parse_constant=lambda token: pytest.fail(f"non-standard {token}"))
    back = read(path)["metrics"]
    assert back["worst"] == math.inf and back["least"] == -math.inf and math.isnan(back["ratio"])
    rows, _ = compare(back, metrics, {"default": DEFAULT})
    assert all(row.ok for row in rows)
    rows, _ = compare(back, {**metrics, "worst": 1e300, "least": math.inf}, {"default": DEFAULT})
    assert [row.metric for row in rows if not row.ok] == ["worst", "least"]


@pytest.mark.parametrize(("text", "says"), [
    ('{"metrics": {"a": 1},\n<<<<<<< HEAD\n', "(a merge conflict: resolve it"),
    # QA: a merge conflict was suggested for any file json could not read
    ("", "cannot be read: Expecting value: line 1 column 1 (char 0) (empty or cut short?"),
    ('{"metrics": {"a": 1', "(empty or cut short?"),
    ('{"colossim_baseline": 2, "metrics": {"a": 1}}', "format 2"),
    ('{"colossim_baseline": 2, "metrics": {"a": 1}}', "upgrade colossim"),
    # QA: "is in format '1'; this colossim reads format 1 and older" contradicted itself
    ('{"colossim_baseline": "1", "metrics": {"a": 1}}',
     "'colossim_baseline' must be a whole number (the file's format, 1), not '1'"),
    ('{"metrics": {"a": 1}, "tolerances": {"a": {"pct": 1}}}', "unknown keys ['pct']"),
    # QA: these gave a TypeError or AttributeError without the file's name
    ('{"metrics": {"a": 1}, "tolerances": {"default": {"rel": null}}}',
     "tolerance for 'default': 'rel' must be a number >= 0, not None"),
    ('{"metrics": {"a": 1}, "tolerances": {"a": {"abs": "0.1"}}}',
     "tolerance for 'a': 'abs' must be a number >= 0, not '0.1'"),
    ('{"metrics": {"a": 1}, "tolerances": {"a": -0.1}}', "'rel' must be a number >= 0"),
    ('{"metrics": {"a": 1}, "tolerances": [1, 2]}', "'tolerances' must map a metric"),
    ('{"metrics": {"a": 1}, "produced": "hand"}', "'produced' must be a mapping"),
    # QA: json kept the last of two values silently (the YAML reader refuses a duplicate)
    ('{"metrics": {\n "a": 1,\n "a": 2}}', "duplicate key 'a' (lines 2, 3)"),
])
def test_a_baseline_file_it_cannot_use_is_named_in_the_error(tmp_path, text, says):
    from colossim.testing.baseline import read

    path = tmp_path / "broken.json"
    path.write_text(text)
    with pytest.raises(ValueError, match="broken.json") as caught:
        read(path)
    assert says in str(caught.value)
    path.write_text('{"metrics": {"a": 1}}')  # a hand-written file without a format is read
    assert read(path)["metrics"] == {"a": 1}


def test_default_metrics_hold_each_jobs_ettr_and_the_runs_lost_gpu_hours_with_failures_on():
    # docs/testing.md: the run's lost GPU-hours sit in result.reliability, where the metrics did
    # not look (a failure-heavy baseline stored no lost work at all)
    from colossim.api import load_scenario, simulate
    from colossim.testing.metrics import summary_metrics

    with pytest.warns(ColossimWarning, match="job llm-70b needs 1 whole rack"):  # and has
        # one 5% of the time, at a GPU fault every 200 GPU-hours (its racks are down 98.5% of
        # this run's 525 days, by its fault events)
        result = simulate(load_scenario("small", ["reliability={gpu: {mtbf_gpu_hours: 200}}"]))
    metrics = summary_metrics(result)
    lost = sum(job.lost_gpu_hours for job in result.jobs)
    assert lost > 0 and metrics["lost_gpu_hours"] == pytest.approx(lost)
    assert {f"ettr.{job.name}" for job in result.jobs} <= metrics.keys()
    assert all(0 < metrics[f"ettr.{job.name}"] <= 1 for job in result.jobs)


def test_ettr_is_below_one_without_failures_for_a_job_preempted_after_it_started():
    # docs/testing.md said "1.0 when failures are off" (QA): ETTR is productive time over the
    # wall time since the first start, so preemption and queueing after it count against it.
    # On small, fifo runs moe-200b once, uninterrupted (its productive time); las starts it at
    # 7,200 s, preempts it and finishes it later.
    from colossim.testing.metrics import summary_metrics
    from colossim.testing.runner import run_policy

    fifo, las = (run_policy(p, "small") for p in ("fifo", "las"))
    productive = fifo.job("moe-200b").end_s - fifo.job("moe-200b").start_s
    moe = las.job("moe-200b")
    assert summary_metrics(fifo)["ettr.moe-200b"] == 1.0
    assert summary_metrics(las)["ettr.moe-200b"] == pytest.approx(
        productive / (moe.end_s - moe.start_s), rel=1e-9)
    assert summary_metrics(las)["ettr.moe-200b"] < 0.61


def test_a_yaml_update_changes_values_only_where_they_changed():
    # round trip over the old text: a changed value replaced beside its comment, an unchanged
    # one left as written (3.00e+3 is 3000), a metric the run no longer has removed, a new one
    # placed after the metric before it in the run's order
    from pathlib import Path

    from colossim.testing.baseline import dumps

    previous = ("metrics:\n  a: 1.0   # a's note\n  # about gone\n  gone: 2.0  # gone's\n"
                "  # about c\n  c: 3.00e+3  # as written\n")
    text = dumps(Path("m.yaml"), {"metrics": {"a": 1.5, "b": 2.5, "c": 3000.0}}, previous)
    # ruamel keeps "# about c" on the key above it, gone: it stays above c all the same
    assert text == ("metrics:\n  a: 1.5   # a's note\n  b: 2.5\n"
                    "  # about c\n  c: 3.00e+3  # as written\n")


def test_which_tests_a_file_still_defines(tmp_path):
    """The collision check asks whether a baseline's test still exists: a test in a class
    with an imported base is not taken to exist there (a moved test was refused: review),
    and one defined under ``if`` or by an annotated assignment is found (a real collision
    passed)."""
    from colossim.testing.plugin import _defines

    f = tmp_path / "test_mod.py"
    f.write_text(
        "from helpers import PolicyChecks\n"
        "import helpers\n"
        "class TestOld(PolicyChecks):\n    def test_other(self): pass\n"
        "class TestOld2(helpers.Mixin):\n    pass\n"
        "class Base:\n    def test_inherited(self): pass\n"
        "class TestChild(Base):\n    pass\n"
        "class TestAnn:\n    test_y: object = staticmethod(lambda: None)\n"
        "if True:\n    def test_cond(): pass\n"
        "try:\n    def test_tried(): pass\nexcept ImportError:\n    pass\n")
    assert not _defines(f, ["TestOld", "test_x"])
    assert not _defines(f, ["TestOld2", "test_x"])
    assert _defines(f, ["TestOld", "test_other"])
    assert _defines(f, ["TestChild", "test_inherited"])  # a base the file defines
    assert _defines(f, ["TestAnn", "test_y"])
    assert _defines(f, ["test_cond"]) and _defines(f, ["test_tried"])
    assert not _defines(f, ["test_gone"])


def test_the_share_of_deadlines_met_is_a_baseline_metric_when_jobs_have_deadlines():
    # QA: a policy that ignored deadlines could not be pinned. One GPU, fifo: a 0-2 h (due at
    # 2 h: met), b 2-3 h (due at 2.5 h: missed): 0.5, and higher is better
    from colossim.api import simulate
    from colossim.testing.metrics import summary_metrics
    from tests.policy.factories import pool_job, pool_scenario

    hour = 3600.0
    result = simulate(pool_scenario([pool_job("a", 0, 2, deadline_s=2 * hour),
                                     pool_job("b", 0, 1, deadline_s=2.5 * hour)]))
    assert summary_metrics(result)["deadlines_met"] == 0.5
    assert sense("deadlines_met") == +1
    assert "deadlines_met" not in summary_metrics(simulate(pool_scenario([pool_job("a", 0, 2)])))


def test_a_text_metric_that_reads_as_a_non_finite_number_is_refused():
    # QA: a label "NaN" was stored, read back as the number NaN, and failed for ever after
    from colossim.testing.baseline import plain_metrics

    assert plain_metrics({"plan": "8/1/4096/1", "ok": True, "none": None}) == {
        "plan": "8/1/4096/1", "ok": True, "none": None}
    for text in ("NaN", "Infinity", "-Infinity"):
        with pytest.raises(TypeError, match=f"is the text '{text}', which a baseline file"):
            plain_metrics({"label": text})


def test_a_yaml_baseline_that_does_not_parse_is_not_called_cut_short(tmp_path):
    """Review: "empty or cut short?" came from a JSON-only test (the text ends in "}")."""
    from colossim.testing.baseline import read

    path = tmp_path / "b.yaml"
    path.write_text("metrics:\n  jobs_completed: [1, 2\n  makespan_s: 3\n")
    with pytest.raises(ValueError, match=r"edited by hand\?"):
        read(path)


def test_a_value_of_another_kind_says_both_kinds():
    """QA: a quoted "6600" in the baseline failed against the run's 6600.0 in a row that
    showed 6600 twice."""
    from colossim.testing.baseline import DEFAULT, compare_one

    row = compare_one("mean_jct_s", "6600", 6600.0, DEFAULT)
    assert not row.ok
    assert row.note == "changed: the text '6600' in the baseline, the number 6600.0 in the run"
    assert compare_one("name", "a", "b", DEFAULT).note == "changed"  # one kind: as before
    assert compare_one("n", 2, 2.0, DEFAULT).ok  # an int and a float are both numbers


def test_a_key_twice_in_a_yaml_baseline_is_said_with_its_lines(tmp_path):
    # QA: ruamel's own message advised a URL on how to suppress the check
    from colossim.testing.baseline import read

    path = tmp_path / "twice.yaml"
    path.write_text("tolerances:\n  a: 0.1\nmetrics:\n  a: 1\n  b: 2\n  a: 3\n")
    with pytest.raises(ValueError) as caught:
        read(path)
    assert "twice.yaml" in str(caught.value)
    assert "duplicate key 'a' (lines 4, 6)" in str(caught.value)
    assert "yaml.dev" not in str(caught.value)


def test_a_metric_beyond_any_float_is_named_not_an_overflow(tmp_path):
    from colossim.testing.baseline import read

    path = tmp_path / "huge.json"
    path.write_text('{"metrics": {"jobs_completed": 1' + "0" * 400 + "}}")
    with pytest.raises(ValueError, match="huge.json: metric 'jobs_completed' is a number of "
                                         "401 digits"):
        read(path)


def test_a_nan_against_a_number_is_a_change_without_a_direction():
    # QA: NaN in the file against 8,200 in the run read "FAIL (worse)"
    from colossim.testing.baseline import compare_one, parse_tolerances, tolerance_for

    tol = tolerance_for("makespan_s", parse_tolerances(None))
    for baseline, actual in ((math.nan, 8200.0), (8200.0, math.nan)):
        row = compare_one("makespan_s", baseline, actual, tol)
        assert not row.ok and row.note == "changed"
    assert compare_one("makespan_s", math.nan, math.nan, tol).ok


def test_a_yaml_baseline_keeps_a_long_command_on_one_line(tmp_path):
    from colossim.testing.baseline import dumps

    command = "python -m pytest " + " ".join(f"tests/t{i}.py" for i in range(20))
    text = dumps(tmp_path / "b.yaml", {"produced": {"command": command}, "metrics": {"a": 1}})
    assert f"command: {command}\n" in text
