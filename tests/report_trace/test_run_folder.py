"""A run folder (``colossim run --out``) holds enough to rebuild the RunResult exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from colossim.errors import ColossimError, ConfigError
from colossim.metrics.export import write_run
from colossim.metrics.loadrun import read_run
from colossim.testing.runner import run_policy

FOUR_JOBS = str(Path(__file__).resolve().parent / "four_jobs.yaml")


def test_write_then_read_gives_the_same_result_and_record(tmp_path):
    result = run_policy("priority", FOUR_JOBS)
    write_run(result, tmp_path)
    series = json.loads((tmp_path / "series.json").read_text())
    # the GPUs-in-use level of the hand-computed schedule (see test_trace_format.py); priority
    # serves jobs as fifo does here: only moe-200b ever waits, and it waits alone
    assert series["gpus_busy"]["values"] == [144, 208, 280, 208, 280, 216, 0]
    again = read_run(tmp_path)
    assert again.to_dict() == result.to_dict()
    assert again.record == result.record


def test_an_old_folder_without_series_still_loads(tmp_path):
    result = run_policy("fifo", "small")
    write_run(result, tmp_path)
    (tmp_path / "series.json").unlink()
    assert read_run(tmp_path).record.series == {}


def test_unknown_result_fields_are_ignored_and_a_missing_result_is_an_error(tmp_path):
    result = run_policy("fifo", "small")
    write_run(result, tmp_path)
    data = json.loads((tmp_path / "result.json").read_text())
    data["from_a_newer_version"] = 1
    data["cluster"]["also_newer"] = 2
    (tmp_path / "result.json").write_text(json.dumps(data))
    assert read_run(tmp_path).to_dict() == result.to_dict()
    with pytest.raises(ColossimError, match="nowhere: no such folder"):
        read_run(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ColossimError, match="empty: holds no result.json"):
        read_run(tmp_path / "empty")


def _damage(folder: Path, file: str, edit) -> None:
    path = folder / file
    path.write_text(edit(path.read_text()))


@pytest.mark.parametrize(("file", "edit", "expected"), [
    ("result.json", lambda t: "[1, 2]", "result.json:1: not a run result (expected a JSON "
                                        "object)"),
    ("result.json", lambda t: "{}", "result.json: not a complete run result ("),
    # cut inside line 3, '  "policy": "fi'
    ("result.json", lambda t: t[:40], "result.json:3: not valid JSON: Unterminated string"),
    ("events.jsonl", lambda t: "\n".join([*t.splitlines()[:3], "{bad", *t.splitlines()[3:]]),
     "events.jsonl:4: not valid JSON: "),
    ("events.jsonl", lambda t: t.replace('"kind"', '"kinds"', 1),
     "events.jsonl:1: kind: required field missing"),
    ("series.json", lambda t: json.dumps({"gpus_busy": {"times": [0, 1], "values": [3]}}),
     "series.json: gpus_busy: a series is {times: [...], values: [...]} of equal lengths"),
])
def test_a_damaged_run_folder_is_named_by_file_and_line(tmp_path, file, edit, expected):
    """A truncated or hand-edited run is input to fix (exit 2, ``ConfigError``), named by the
    file and line at fault (QA: tracebacks, or exit 1 naming neither)."""
    write_run(run_policy("fifo", "small"), tmp_path)
    _damage(tmp_path, file, edit)
    with pytest.raises(ConfigError) as info:
        read_run(tmp_path)
    assert str(info.value.problems[0]).startswith(f"{tmp_path}/{expected}")
    assert info.value.exit_code == 2


def test_run_out_saves_the_what_if_it_ran_and_the_title_names_its_overrides(tmp_path):
    # QA: a 700 MW run's folder and tables read like the base scenario's ("colossus2 under
    # priority (seed 0)"), told apart only by their figures
    from typer.testing import CliRunner

    from colossim.api import load_scenario, simulate
    from colossim.cli.app import app

    sets = ["cluster.power.supply_mw=0.7", "jobs.llm-8b.max_gpus=144"]
    args = ["run", "small", "--seed", "3", "--out", str(tmp_path)]
    done = CliRunner().invoke(app, [*args, *(x for s in sets for x in ("--set", s))],
                              terminal_width=200)
    assert done.exit_code == 0, done.output
    assert "small under fifo (seed 3)" in done.output
    said = " ".join(done.output.split())  # the title wraps at the table's width
    assert f"with --set {sets[0]} --set {sets[1]}" in said
    assert "series.json and scenario.json" in said
    saved = load_scenario(str(tmp_path / "scenario.json"))
    assert saved == load_scenario("small", [*sets, "simulation.seed=3"])
    assert (saved.cluster.power.supply_mw, saved.jobs[1].max_gpus) == (0.7, 144)
    again = simulate(saved).to_dict()
    result = json.loads((tmp_path / "result.json").read_text())
    assert {k: v for k, v in again.items() if k != "wall_s"} == \
        {k: v for k, v in result.items() if k != "wall_s"}


def test_a_saved_trace_scenario_holds_its_jobs_not_the_trace_that_read_them(tmp_path):
    from colossim.api import load_scenario
    from colossim.metrics.export import scenario_text

    trace = tmp_path / "t.csv"
    trace.write_text("job_id,submission_time,duration,num_gpu\na,0,3600,8\nb,600,600,16\n")
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "name: t\ncluster:\n  pod_size_racks: 2\n  rack_groups:\n    - gpu_type: GB200\n"
        "      racks: 2\n  power: {supply_mw: 1}\ntrace: {path: t.csv}\n")
    loaded = load_scenario(str(scenario))
    elsewhere = tmp_path / "out"
    elsewhere.mkdir()
    (elsewhere / "scenario.json").write_text(scenario_text(loaded))
    saved = load_scenario(str(elsewhere / "scenario.json"))  # no t.csv beside it
    assert saved.trace is None and len(saved.jobs) == 2
    assert saved == loaded.model_copy(update={"trace": None})


def test_an_override_in_the_title_is_shown_as_typed_not_read_as_markup():
    # review: `--set "description=a[/b]"` crashed the run (rich read a closing tag) after its
    # files were written; `v[bold]2` lost its brackets and styled the rest
    from typer.testing import CliRunner

    from colossim.cli.app import app

    done = CliRunner().invoke(app, ["run", "small", "-q", "--set", "description=a[/b]",
                                    "--set", "description=v[bold]2"], terminal_width=200)
    assert done.exit_code == 0, done.output
    assert "with --set description=a[/b] --set description=v[bold]2" in done.output
