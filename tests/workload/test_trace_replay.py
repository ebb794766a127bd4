"""Scenarios with ``trace:``: expanded at load time into jobs that replay the trace exactly."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from colossim.api import load_scenario, simulate
from colossim.errors import ConfigError

TRACE = """job_id,submission_time,duration,num_gpu
first,1000,100,2
big,1010,50,4
small,1020,30,2
"""


def scenario_file(tmp_path, trace_block: str, policy: str = "fifo") -> str:
    (tmp_path / "traces").mkdir(exist_ok=True)
    (tmp_path / "traces" / "t.csv").write_text(TRACE)
    text = "\n".join([
        "name: replay",
        "catalog:",
        "  A100: {gpus_per_rack: 4, gpus_per_domain: 1}",
        "cluster:",
        "  pod_size_racks: 1",
        "  rack_groups: [{gpu_type: A100, racks: 1}]",
        "  power: {supply_mw: 1.0}",
        "trace:",
        textwrap.indent(trace_block, "  "),
        "scheduler:",
        f"  policy: {{name: {policy}, params: {{placement: any}}}}",
        "",
    ])
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return str(path)


def test_trace_path_is_relative_to_the_scenario_file(tmp_path, monkeypatch):
    monkeypatch.chdir("/")
    scenario = load_scenario(scenario_file(tmp_path, "path: traces/t.csv"))
    assert [j.name for j in scenario.jobs] == ["first", "big", "small"]
    assert scenario.trace.jobs_loaded == 3
    assert [j.submit_s for j in scenario.jobs] == [0, 10, 20]


def test_a_trace_path_in_an_included_file_is_relative_to_that_file(tmp_path, monkeypatch):
    # QA: it was read from the including file's folder, so a trace scenario included from
    # elsewhere (examples/traces/itp-cluster03.yaml) could not find its trace
    base = tmp_path / "base"
    base.mkdir()
    scenario_file(base, "path: traces/t.csv")
    top = tmp_path / "elsewhere" / "top.yaml"
    top.parent.mkdir()
    top.write_text("include: ../base/scenario.yaml\nname: variant\n")
    monkeypatch.chdir("/")
    scenario = load_scenario(top)
    assert scenario.name == "variant"
    assert [j.name for j in scenario.jobs] == ["first", "big", "small"]


def test_a_trace_path_given_by_set_is_relative_to_the_working_directory(tmp_path, monkeypatch):
    # QA: --set trace.path=... was read from the scenario's folder: for a built-in scenario,
    # the installed package's. A path typed on the command line is the shell's, as elsewhere.
    scenario_file(tmp_path, "path: traces/t.csv")  # writes tmp_path/traces/t.csv
    elsewhere = tmp_path / "scenarios"
    elsewhere.mkdir()
    (elsewhere / "s.yaml").write_text((tmp_path / "scenario.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    scenario = load_scenario(elsewhere / "s.yaml", overrides=["trace.path=traces/t.csv"])
    assert [j.name for j in scenario.jobs] == ["first", "big", "small"]
    with pytest.raises(ConfigError, match="t.csv"):  # the file's own line: its folder, as before
        load_scenario(elsewhere / "s.yaml")


def test_fifo_replay_by_hand(tmp_path):
    # 4 GPUs. first (2 GPUs, 100 s) runs 0-100; big (4 GPUs) waits for it: 100-150; small
    # (2 GPUs) waits behind big under strict FIFO: 150-180. Each runs exactly its duration.
    result = simulate(load_scenario(scenario_file(tmp_path, "path: traces/t.csv")),
                      check_invariants=True)
    times = {j.name: (j.start_s, j.end_s) for j in result.jobs}
    assert times == {"first": (0, pytest.approx(100)), "big": (pytest.approx(100),
                     pytest.approx(150)), "small": (pytest.approx(150), pytest.approx(180))}


def test_backfill_replay_by_hand(tmp_path):
    # EASY: big is the head (shadow t=100); small (2 GPUs, 30 s from t=20) ends at 50 < 100:
    # it backfills at 20 and big still starts at 100.
    path = scenario_file(tmp_path, "path: traces/t.csv", policy="backfill")
    result = simulate(load_scenario(path), check_invariants=True)
    assert result.job("small").start_s == pytest.approx(20)
    assert result.job("big").start_s == pytest.approx(100)


def test_scaling_from_the_scenario(tmp_path):
    block = "path: traces/t.csv\narrival_scale: 2\nduration_scale: 3\nlimit: 2"
    scenario = load_scenario(scenario_file(tmp_path, block))
    assert [(j.name, j.submit_s) for j in scenario.jobs] == [("first", 0), ("big", 5)]
    result = simulate(scenario)
    assert result.job("first").end_s == pytest.approx(300)


def test_missing_trace_is_a_config_error_at_the_path_line(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_scenario(scenario_file(tmp_path, "path: traces/nope.csv"))
    problem = err.value.problems[0]
    assert problem.field == "trace.path" and "nope.csv" in problem.message
    assert problem.message.endswith(": no such file or directory")  # not "[Errno 2] ..."
    assert "Errno" not in problem.message
    assert problem.line == 9  # the path's own line (QA: the trace: line above it)


@pytest.mark.parametrize("override", ["trace.limit=800", "trace.start_s=10"])
def test_a_missing_trace_is_not_blamed_on_an_override_of_its_window(tmp_path, override):
    """QA: the file's path was at fault, but ``--set trace.limit=800`` took the blame (and the
    path was shown with its ``..`` left in)."""
    source = scenario_file(tmp_path, "path: traces/../traces/nope.csv")
    with pytest.raises(ConfigError) as err:
        load_scenario(source, [override])
    [problem] = err.value.problems
    assert (problem.line, problem.field) == (9, "trace.path")
    assert f"cannot read {tmp_path / 'traces' / 'nope.csv'}: no such file" in problem.message


def test_a_scenario_needs_jobs_or_a_trace(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("cluster:\n  pod_size_racks: 1\n  rack_groups: [{gpu_type: A100, racks: 1}]\n"
                    "  power: {supply_mw: 1.0}\n")
    with pytest.raises(ConfigError, match="give at least one job, or a trace"):
        load_scenario(str(path))


@pytest.mark.parametrize(("override", "field"), [("trace.duration_scale=1e308", "work_gpu_hours"),
                                               ("trace.arrival_scale=1e-320", "submit_s")])
def test_scales_no_float_holds_are_blamed_on_the_scale(tmp_path, override, field):
    # review: pydantic's raw "1 validation error for JobConfig" at the trace: line
    with pytest.raises(ConfigError) as err:
        load_scenario(scenario_file(tmp_path, "path: traces/t.csv"), [override])
    [problem] = err.value.problems
    assert (problem.file, problem.field) == (f"--set {override}", override.split("=")[0])
    assert f"gets {field} no finite number holds: scale less" in problem.message
    assert "pydantic" not in problem.message


def test_a_scale_past_a_jobs_limit_is_blamed_on_the_scale(tmp_path):
    # "first": 100 s on 2 GPUs scaled 1e17, 5.56e15 GPU-hours, past the 1e15 any job may have
    # (code review: pydantic's raw text at the trace: line)
    override = "trace.duration_scale=1e17"
    with pytest.raises(ConfigError) as err:
        load_scenario(scenario_file(tmp_path, "path: traces/t.csv"), [override])
    [problem] = err.value.problems
    assert problem.file == f"--set {override}"
    assert "job 'first' gets work_gpu_hours 5.56e+15, past its limit of 1e+15: scale less" \
        in problem.message
    assert "pydantic" not in problem.message


def test_a_trace_an_override_removed_is_blamed_on_that_override(tmp_path):
    # QA: --set trace=null was said at the scenario file's first line
    with pytest.raises(ConfigError) as err:
        load_scenario(scenario_file(tmp_path, "path: traces/t.csv"), ["trace=null"])
    [problem] = err.value.problems
    assert (problem.file, problem.field, problem.message) == (
        "--set trace=null", "trace", "give at least one job, or a trace")


def test_an_expanded_scenario_round_trips_without_doubling(tmp_path):
    from colossim.config.schema import Scenario

    scenario = load_scenario(scenario_file(tmp_path, "path: traces/t.csv"))
    again = Scenario.model_validate(scenario.model_dump())
    assert len(again.jobs) == 3


def test_trace_jobs_that_cannot_fit_are_reported_at_the_trace_line_by_name(tmp_path):
    # one rack of 4 GPUs, halved by --set: "big" needs 4 GPUs, "first" and "small" 2 each fit.
    # The problem points at trace: (line 8; a trace job has no line of its own) and names it.
    path = scenario_file(tmp_path, "path: traces/t.csv")
    with pytest.raises(ConfigError) as err:
        load_scenario(path, ["catalog.A100.gpus_per_rack=2"])
    [problem] = err.value.problems
    assert (problem.line, problem.field) == (8, "trace")
    assert problem.message == ("its job 'big': min_gpus: 4 GPUs can never fit: the cluster "
                               "has 2 usable GPUs")
    # two alike fold into one line naming both
    (tmp_path / "traces" / "t.csv").write_text(TRACE.replace("small,1020,30,2",
                                                             "small,1020,30,4"))
    with pytest.raises(ConfigError) as err:
        load_scenario(path, ["catalog.A100.gpus_per_rack=2"])
    [problem] = err.value.problems
    assert problem.message.startswith("2 of its jobs ('big', 'small'): min_gpus: 4 GPUs")


def test_trace_jobs_a_smaller_cluster_cannot_fit_are_blamed_on_that_override(tmp_path):
    # QA: the problem pointed at the trace: line whatever --set made the cluster too small
    path = Path(scenario_file(tmp_path, "path: traces/t.csv"))
    path.write_text(path.read_text().replace("racks: 1}", "racks: 2}"))  # 8 GPUs
    (tmp_path / "traces" / "t.csv").write_text(TRACE + "huge,1030,10,8\n")
    assert len(load_scenario(path).jobs) == 4  # it fits as written
    override = "cluster.rack_groups.0.racks=1"
    with pytest.raises(ConfigError) as err:
        load_scenario(path, [override])
    [problem] = err.value.problems
    assert (problem.file, problem.field) == (f"--set {override}", "trace")
    assert problem.message == ("its job 'huge': min_gpus: 8 GPUs can never fit: the cluster "
                               "has 4 usable GPUs")


def test_an_unknown_reference_gpu_is_one_problem_at_its_line(tmp_path):
    # QA: "trace: 3 of its jobs ('first', 'big', 'small'): reference_gpu: unknown GPU type"
    path = scenario_file(tmp_path, "path: traces/t.csv\nreference_gpu: V100")
    with pytest.raises(ConfigError) as err:
        load_scenario(path)
    [problem] = err.value.problems
    assert (problem.line, problem.field) == (10, "trace.reference_gpu")
    assert problem.message.startswith("unknown GPU type 'V100'")


def test_a_star_over_a_traces_jobs_says_they_come_from_the_trace(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_scenario(scenario_file(tmp_path, "path: traces/t.csv"), ["jobs.*.priority=1"])
    [problem] = err.value.problems
    assert problem.message == (
        "* stands for each item of a list, and the scenario has no jobs of its own (a trace's "
        "jobs are read after --set; set trace: fields)")


def test_an_index_into_a_traces_jobs_says_they_come_from_the_trace(tmp_path):
    # it read "jobs[0]: expected a mapping ..., got '0'"
    with pytest.raises(ConfigError) as err:
        load_scenario(scenario_file(tmp_path, "path: traces/t.csv"), ["jobs.0.priority=5"])
    [problem] = err.value.problems
    assert problem.message == ("the scenario has no jobs list of its own to index (a trace's "
                               "jobs are read after --set; set trace: fields)")


@pytest.mark.parametrize(("override", "field"), [
    ("trace.path=traces/nope.csv", "trace.path"), ("trace.jobs_loaded=5", "trace.jobs_loaded")])
def test_a_trace_problem_an_override_caused_is_blamed_on_that_override(tmp_path, override,
                                                                         field):
    # docs/cli.md: a problem caused by an override names the override; these named line 8
    source = scenario_file(tmp_path, "path: traces/nope.csv")
    with pytest.raises(ConfigError) as err:
        load_scenario(source, [override])
    [problem] = err.value.problems
    assert (problem.file, problem.line, problem.field) == (f"--set {override}", None, field)


SWF = """; the TRACE above as an SWF log, with users' requested times (field 9)
1 1000 0 100 2 -1 -1 2 {first} -1 1 1 1 1 1 -1 -1 -1
2 1010 0 50 4 -1 -1 4 50 -1 1 1 1 1 1 -1 -1 -1
3 1020 0 30 2 -1 -1 2 {small} -1 1 1 1 1 1 -1 -1 -1
"""


@pytest.mark.parametrize("first, small, small_start", [
    (100, 30, 20),  # exact estimates: as the model's (test_backfill_replay_by_hand)
    # small asks for 200 s: from 20 it would still run at the shadow time (100, from first's
    # 100 s), and big takes all 4 GPUs then: it waits for big, 100-150, and starts at 150
    (100, 200, 150),
    # first over-estimates (400 s): the shadow time moves to 400, so small's 200 s fit before
    # it and small backfills at 20 after all; big still starts at 100, when first ends
    (400, 200, 20),
    # first under-estimates (20 s): the shadow is 20 until first outruns its estimate at 20;
    # from then the model plans it (ends at 100), and small (30 s) backfills at 20
    (20, 30, 20),
])
def test_backfill_plans_with_the_users_runtime_estimates(tmp_path, first, small, small_start):
    path = scenario_file(tmp_path, "path: traces/t.swf\nformat: swf", policy="backfill")
    (tmp_path / "traces" / "t.swf").write_text(SWF.format(first=first, small=small))
    result = simulate(load_scenario(path), check_invariants=True)
    assert result.job("3").start_s == pytest.approx(small_start)
    assert result.job("2").start_s == pytest.approx(100)


EASY_CASES = {
    # job 1 asks for 1,000 s and runs 3,000: at 1,000 s it outruns its estimate, the shadow
    # time moves to 3,000 s, and job 3 (1,500 s) fits before it: it starts then, not when
    # job 1 ends (nothing else happened at 1,000 s, so nobody looked: QA)
    "outrun": ("1 0 0 3000 3 -1 -1 3 1000 -1 1 1 1 1 1 -1 -1 -1\n"
               "2 10 0 500 4 -1 -1 4 500 -1 1 1 1 1 1 -1 -1 -1\n"
               "3 20 0 1500 1 -1 -1 1 1500 -1 1 1 1 1 1 -1 -1 -1\n", 1000.0),
    # job 3 is estimated to end exactly at the head's shadow time (2,000 s): EASY admits a
    # job that ends by it (it waited until 2,500 s)
    "tie": ("1 0 0 2000 3 -1 -1 3 2000 -1 1 1 1 1 1 -1 -1 -1\n"
            "2 10 0 500 4 -1 -1 4 500 -1 1 1 1 1 1 -1 -1 -1\n"
            "3 20 0 1980 1 -1 -1 1 1980 -1 1 1 1 1 1 -1 -1 -1\n", 20.0),
}


@pytest.mark.parametrize("case", sorted(EASY_CASES))
def test_backfill_looks_again_when_an_estimate_runs_out_and_admits_a_tie(tmp_path, case):
    swf, job3_start = EASY_CASES[case]
    path = scenario_file(tmp_path, "path: traces/t.swf\nformat: swf", policy="backfill")
    (tmp_path / "traces" / "t.swf").write_text(swf)
    result = simulate(load_scenario(path), check_invariants=True)
    assert result.job("3").start_s == pytest.approx(job3_start)
    assert result.job("2").start_s == pytest.approx(result.job("1").end_s)  # never delayed


@pytest.mark.parametrize("override", ["trace.start_s=5000", "trace.start_s=21"])
def test_an_empty_window_an_override_made_is_blamed_on_that_override(tmp_path, override):
    # QA: it pointed at the scenario's trace: line, which the user never edited
    source = scenario_file(tmp_path, "path: traces/t.csv")
    with pytest.raises(ConfigError) as err:
        load_scenario(source, [override])
    [problem] = err.value.problems
    assert (problem.file, problem.line) == (f"--set {override}", None)
    assert problem.field == override.split("=")[0]
    assert "none of the trace's 3 jobs was submitted in the window" in problem.message


@pytest.mark.parametrize("override", ["trace.limit=2", "trace.start_s=1", "trace.end_s=1e9"])
def test_a_bad_row_is_not_blamed_on_an_override_of_the_window_or_the_limit(tmp_path, override):
    """QA: a row the file got wrong was said at ``--set trace.limit=20``, which had nothing to
    do with it; it belongs to the file, at the scenario's trace: line."""
    source = scenario_file(tmp_path, "path: traces/t.csv")
    (tmp_path / "traces" / "t.csv").write_text(TRACE + "bad,1030,abc,1\n")
    with pytest.raises(ConfigError) as err:
        load_scenario(source, [override])
    [problem] = err.value.problems
    assert (problem.file, problem.line, problem.field) == (source, 8, "trace")
    assert problem.message.endswith("t.csv:5: duration 'abc' is not a number")


def test_a_format_an_override_set_is_blamed_for_the_rows_it_cannot_read(tmp_path):
    """QA: ``--set trace.format=swf`` on a CSV trace was said at the scenario's own lines."""
    source = scenario_file(tmp_path, "path: traces/t.csv")
    with pytest.raises(ConfigError) as err:
        load_scenario(source, ["trace.format=swf"])
    [problem] = err.value.problems
    assert (problem.file, problem.field) == ("--set trace.format=swf", "trace.format")
    assert "an SWF line has 18 fields" in problem.message


@pytest.mark.parametrize("policy", ["fifo", "edf"])
def test_a_job_started_on_arrival_meets_a_deadline_of_one_duration(tmp_path, policy):
    """QA: with deadline_factor 1 (deadline = submit + its duration), a job started the instant
    it arrived ended one ulp past its deadline (30538.78787878788 + 15801 s): counted as
    missed, warned of as out of reach, and rejected by edf's reject_late on an empty cluster.
    The rows are two of the ITP cluster 3 trace's, scaled as the QA run scaled them."""
    (tmp_path / "t.csv").write_text("job_id,submission_time,duration,num_gpu\n"
                                    "a,911907,709,32\nb,1012685,15801,64\n")
    path = tmp_path / "s.yaml"
    path.write_text("name: ulp\ncluster:\n  pod_size_racks: 6\n  rack_groups: [{gpu_type: A100, "
                    "racks: 6}]\n  power: {supply_mw: 1.0}\ntrace: {path: t.csv, "
                    "arrival_scale: 3.3, deadline_factor: 1}\nscheduler:\n  policy: {name: "
                    f"{policy}, params: {{placement: any"
                    + (", reject_late: true" if policy == "edf" else "") + "}}\n")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "cannot meet its deadline" at load
        scenario = load_scenario(str(path))
    result = simulate(scenario)
    assert [(j.name, j.state, j.start_s == j.submit_s, j.deadline_met) for j in result.jobs] == [
        ("a", "completed", True, True), ("b", "completed", True, True)]
