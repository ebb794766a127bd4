"""The ``colossim`` command end to end through typer's runner: output, files, exit codes."""

from __future__ import annotations

import json
import re
import typing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from colossim.cli import render
from colossim.cli.app import app
from colossim.config.editor_schema import scenario_json_schema
from colossim.config.schema import Scenario
from colossim.policy.registry import available
from tests.scenario_cases import BASE, CASES, Case, matches

runner = CliRunner()


@pytest.fixture(autouse=True)
def _eighty_columns(monkeypatch):
    """Rich reads the width when its console is made: make a fresh one at 80 columns."""
    monkeypatch.setenv("COLUMNS", "80")
    render.console.cache_clear()
    render.err_console.cache_clear()
    yield
    render.console.cache_clear()
    render.err_console.cache_clear()


def invoke(*args: str):
    return runner.invoke(app, list(args))


def problem_lines(stderr: str) -> list[str]:
    lines = stderr.splitlines()
    assert lines[0].startswith("error: ") and lines[0].endswith(" in the input:"), stderr
    return [line.removeprefix("  ") for line in lines[1:]]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_bad_input_exits_2_with_its_lines_and_no_traceback(case: Case, tmp_path):
    source = case.write(tmp_path)
    args = ["validate", str(source)]
    for override in case.overrides:
        args += ["--set", override]
    result = invoke(*args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.stdout == ""
    expected = case.expect(tmp_path)
    assert matches(expected, problem_lines(result.stderr)), result.stderr
    count = len(expected)
    assert result.stderr.startswith(f"error: {count} problem{'s' * (count != 1)} in the input:")


def test_bad_input_to_run_exits_2_too(tmp_path):
    bad = tmp_path / "s.yaml"
    bad.write_text(BASE.replace("racks: 4", "racks: -4"), encoding="utf-8")
    result = invoke("run", str(bad))
    assert result.exit_code == 2
    assert problem_lines(result.stderr) == [
        f"{bad}:6: cluster.rack_groups[0].racks: must be >= 0, got -4"
    ]
    assert invoke("run", str(tmp_path / "missing.yaml")).exit_code == 2
    assert invoke("run", "small", "--policy", "fifoo").exit_code == 2


def test_problems_with_policy_and_seed_name_those_options_as_typed():
    result = invoke("run", "small", "--policy", "fifoo", "--seed", "-1")
    assert result.exit_code == 2
    assert problem_lines(result.stderr)[:2] == [
        "--policy fifoo: scheduler.policy.name: unknown policy 'fifoo' (did you mean 'fifo'?); "
        "installed: " + ", ".join(available()),
        "--seed -1: simulation.seed: must be >= 0, got -1",
    ]


def test_debug_shows_the_traceback_and_keeps_the_message_and_exit_code(tmp_path, monkeypatch):
    bad = tmp_path / "s.yaml"
    bad.write_text("- a list\n", encoding="utf-8")
    line = f"{bad}:1: expected a mapping (key: value lines) at the top level, got a list"
    result = invoke("--debug", "validate", str(bad))
    assert result.exit_code == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert "colossim.errors.ConfigError" in result.stderr
    assert f"  {line}" in result.stderr.splitlines()
    monkeypatch.setenv("COLOSSIM_DEBUG", "1")
    assert "Traceback" in invoke("validate", str(bad)).stderr


def test_validate_a_good_file():
    result = invoke("validate", "small")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "ok: small is a valid scenario",
        "small: 288 GPUs in 4 racks, 4 jobs, policy fifo",  # 4 NVL72 racks x 72 GPUs
    ]


def test_run_json_has_every_documented_field():
    result = invoke("run", "small", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert {"scenario", "policy", "seed", "makespan_s", "makespan_lower_bound_s", "events",
            "wall_s", "cluster", "jobs"} <= set(out)
    assert {"gpus", "racks", "gpu_utilization", "energy_mwh", "peak_power_mw"} <= set(
        out["cluster"]
    )
    assert (out["scenario"], out["policy"], out["seed"]) == ("small", "fifo", 0)
    assert (out["cluster"]["gpus"], out["cluster"]["racks"]) == (288, 4)
    names = [j["name"] for j in out["jobs"]]
    assert names == ["llm-70b", "llm-8b", "image-2b", "moe-200b"]
    for job in out["jobs"]:
        assert {"name", "state", "submit_s", "start_s", "end_s", "jct_s", "gpu_hours",
                "mean_gpus"} <= set(job)
        assert job["jct_s"] == pytest.approx(job["end_s"] - job["submit_s"])
    assert out["makespan_s"] >= out["makespan_lower_bound_s"]


def test_seed_policy_and_set_reach_the_run():
    out = json.loads(invoke("run", "small", "--json", "--seed", "7", "--policy", "priority",
                            "--set", "jobs.llm-8b.submit_s=7200").stdout)
    assert (out["seed"], out["policy"]) == (7, "priority")
    assert out["jobs"][1]["submit_s"] == 7200.0


def test_out_writes_result_and_events(tmp_path):
    folder = tmp_path / "run"
    result = invoke("run", "small", "--json", "--out", str(folder))
    assert result.exit_code == 0
    assert json.loads((folder / "result.json").read_text()) == json.loads(result.stdout)
    rows = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
    assert {r["type"] for r in rows} == {"event", "decision"}
    times = [r["time_s"] for r in rows]
    assert times == sorted(times)
    submits = [r["job"] for r in rows if r["type"] == "event" and r["kind"] == "submit"]
    assert sorted(submits) == sorted(["llm-70b", "llm-8b", "image-2b", "moe-200b"])


def test_out_that_cannot_be_written_after_the_run_is_a_run_failure_exit_1(tmp_path,
                                                                          monkeypatch):
    """A path that passes the check before the run (``--out`` on a file is bad input, exit 2:
    test_bad_output_paths_are_refused_before_the_run) can still fail to be written: a full
    disk, say. The run worked; its results could not be saved: exit 1, no traceback."""
    import errno

    from colossim.metrics import export

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(export, "write_run", full)
    out = tmp_path / "run"
    result = invoke("run", "small", "--out", str(out))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: cannot write results to {out}: No space left")
    assert "Traceback" not in result.output


def test_the_job_table_fits_80_columns_with_every_cell_whole():
    result = invoke("run", "colossus2", "--quiet")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    names = ["imagine-v2", "1t-a", "1t-b", "1.5t-a", "1.5t-b", "6t", "10t"]
    rule = next(i for i, line in enumerate(lines) if line.strip().startswith("───"))
    body = lines[rule + 1: rule + 1 + len(names) + 1]
    # one line per job, then the table's blank line: a cell folded over two lines (a GPU count
    # of six digits split after five) would push a fragment line in between
    assert [line.split()[0] for line in body[:-1]] == names
    assert body[-1].strip() == ""
    for row in body[:-1]:
        cells = row.split()
        assert len(cells) == 9 and cells[1] == "completed"
        assert re.fullmatch(r"\d{1,3}(,\d{3})*", cells[6])  # mean GPUs, whole
        assert re.fullmatch(r"[\d,.]+M?", cells[7])  # GPU-hours, whole
    assert "…" not in result.stdout
    # every count of the summary is grouped by thousands as the table's are (3188 read as
    # 318.8 next to "96,648")
    counts = re.search(r"deficits / preempted / held\W+([\d,]+) / ([\d,]+) / ([\d,]+)",
                       result.stdout)
    assert counts is not None and int(counts[1].replace(",", "")) >= 1000
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})*", count) for count in counts.groups())


def test_policies_with_a_name_shows_its_parameters_defaults_and_descriptions():
    """QA: defaults and descriptions took --json, and ``policies srtf`` was a usage error."""
    out = invoke("policies", "srtf")
    assert out.exit_code == 0, out.output
    lines = [" ".join(line.split()) for line in out.stdout.splitlines()]
    assert lines[0] == "srtf: Shortest remaining time first: the preemptive SJF (SRPT)."
    rows = {line.split()[0]: line for line in lines[1:] if line}  # first line of each row
    assert rows["min_run_s"].startswith("min_run_s float 0.0 A job is not preempted")
    assert rows["by"].startswith("by work | time \"work\" Order by remaining work")
    assert rows["strict"] == "strict bool false Stop at the first job that does not fit"
    las = {line.split()[0]: " ".join(line.split()) for line in invoke("policies", "las").stdout
           .splitlines() if line.strip()}
    assert las["thresholds_gpu_s"].startswith("thresholds_gpu_s tuple[float, ...] [3600.0]")
    from colossim.cli.render import _kind  # review: a generic's __name__ dropped its arguments

    assert _kind(typing.Literal["a", "b"] | None) == "a | b | None"
    assert _kind(typing.Optional[float]) == "float | None"  # noqa: UP045  (the typing form)
    assert _kind(typing.Annotated[float, "gt=0"] | None) == "float | None"  # review: it read
    # "Annotated[float, annotation=NoneType required=True metadata=[Gt(gt=0)]] | None"
    [row] = json.loads(invoke("policies", "srtf", "--json").stdout)
    assert row["name"] == "srtf" and row["params"]["properties"]["preempt"]["default"] is True
    missing = invoke("policies", "fifoo")
    assert missing.exit_code == 2 and "did you mean 'fifo'?" in missing.stderr


def test_validate_takes_the_policy_a_run_would():
    out = invoke("validate", "small", "--policy", "sjf")
    assert out.exit_code == 0 and "policy sjf" in " ".join(out.stdout.split())
    bad = invoke("validate", "small", "--policy", "sjff")
    assert bad.exit_code == 2 and "--policy sjff: scheduler.policy.name: unknown policy" in \
        " ".join(bad.stderr.split())


def test_policies_lists_the_builtins():
    table = invoke("policies")
    assert table.exit_code == 0
    assert {"fifo", "priority"} <= {line.split()[0] for line in table.stdout.splitlines()
                                    if line.strip()}
    rows = json.loads(invoke("policies", "--json").stdout)
    by_name = {row["name"]: row for row in rows}
    assert "strict" in by_name["fifo"]["params"]["properties"]


def test_a_policy_summary_is_its_class_docstring_not_its_modules(monkeypatch):
    # QA: a plugin's policies without a docstring of their own were each summarised by their
    # module's docstring ("Deliberately buggy policies for QA.")
    import sys
    import types

    from colossim.policy.builtin.fifo import POLICY as Fifo

    module = types.ModuleType("qa_plugin", "Deliberately buggy policies for QA.")
    monkeypatch.setitem(sys.modules, "qa_plugin", module)
    bare = type("Bare", (Fifo,), {"__module__": "qa_plugin", "name": "bare"})
    told = type("Told", (Fifo,), {"__module__": "qa_plugin", "name": "told",
                                  "__doc__": "Serves the told jobs first.\n\nMore text."})
    monkeypatch.setattr("colossim.policy.registry.available",
                        lambda: {"bare": bare, "fifo": Fifo, "told": told})
    monkeypatch.setenv("COLUMNS", "160")
    render.console.cache_clear()
    rows = {line.split()[0]: line.rstrip() for line in invoke("policies").stdout.splitlines()
            if line.strip()}
    assert rows["bare"].split()[1:] == ["qa_plugin", "placement,", "strict"]  # no summary
    assert rows["told"].endswith("strict   Serves the told jobs first.")
    assert "First in, first out" in rows["fifo"]  # a built-in: its module is its policy's


def test_scenarios_lists_the_builtins_with_their_gpu_counts():
    result = invoke("scenarios")
    assert result.exit_code == 0
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.strip()}
    assert rows["colossus2"][1:3] == ["548,352", "7"]  # 7,616 racks x 72 GPUs; seven jobs
    assert rows["small"][1:3] == ["288", "4"]


def test_schema_prints_the_editor_schema():
    result = invoke("schema")
    assert result.exit_code == 0
    printed = json.loads(result.stdout)
    assert printed == scenario_json_schema()
    assert set(printed["$defs"]) == set(Scenario.model_json_schema()["$defs"])
    assert "include" in printed["properties"] and "^x-" in printed["patternProperties"]


def test_usage_errors_exit_2():
    assert invoke("nosuchcommand").exit_code == 2
    assert invoke("run", "--nosuchoption").exit_code == 2
    assert invoke("validate").exit_code == 2  # the file argument is required
    assert invoke("--help").exit_code == 0


def test_docs_cli_describes_every_command():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")
    names = [c.name for c in app.registered_commands]
    assert {"run", "validate", "policies", "scenarios", "schema"} <= set(names)
    missing = [n for n in names if f"## `colossim {n}`" not in text]
    assert not missing, f"docs/cli.md has no section for: {missing}"


COMMANDS = [c.name for c in app.registered_commands]
# each flag's help row, hand-written: the flag, then its help text with nothing in between
FLAG_ROWS = {
    "": [r"--debug\s+Show tracebacks for errors\.", r"--version\s+Print colossim's version"],
    "run": [r"--json\s+Print one JSON object", r"--quiet\s+-q\s+No progress bar\.",
            r"--report\s+Write report\.html"],
    "sweep": [r"--resume\s+Skip runs", r"--dry-run\s+List the runs",
              r"--plots\s+--no-plots\s+Write PNG plots\.",
              r"--quiet\s+-q\s+No progress bar, nor the progress lines"],
    "policies": [r"--json\s+Machine-readable list\."],
}


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_cuts_no_word_at_80_columns(command):
    """Rich cuts a word that does not fit its column with an ellipsis: ``run --help`` at 80
    columns showed ``cluster.power.supply_mw=…`` when the two-form ``--stall-guard /
    --no-stall-guard`` widened the names' column (review)."""
    out = invoke(*([command] if command else []), "--help")
    assert out.exit_code == 0, out.output
    assert "\u2026" not in out.stdout, out.stdout


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_flags_show_as_flags_in_the_help(command, monkeypatch):
    """typer's rich help printed a type after every flag (``--quiet <bool>``, ``--help <bool>``),
    as if it took a value, which a flag refuses (``--json true`` is a usage error)."""
    import typer

    monkeypatch.setenv("COLUMNS", "120")
    render.console.cache_clear()
    out = invoke(*([command] if command else []), "--help")
    assert out.exit_code == 0, out.output
    text = out.stdout
    assert "<bool>" not in text, text
    rows = [*FLAG_ROWS.get(command, []), r"--help\s+Show this message and exit\."]
    root = typer.main.get_command(app)
    declared = root if not command else root.commands[command]  # type: ignore[attr-defined]
    flags = [o for p in declared.params if getattr(p, "is_flag", False) for o in p.opts]
    assert all(re.search(rf"(?<![\w-]){f}\s", text) for f in flags), (flags, text)
    missing = [row for row in rows if not re.search(row, text)]
    assert not missing, (missing, text)
    if command == "run":
        assert "needs colossim[plot])" in text  # not eaten as rich markup
        assert re.search(r"--seed\s+<int>\s+Random seed", text)  # a value keeps its type


def test_without_matplotlib_the_report_keeps_its_tables_and_says_how_to_get_plots(
        monkeypatch, tmp_path):
    """--report without the plot extra used to fail after the whole run (half a minute on
    Colossus-2): the report is written with its tables, a note and a warning instead. A folder
    that holds no run is input to fix, like a missing file."""
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # "import matplotlib" now fails
    folder = tmp_path / "run"
    result = invoke("run", "small", "--quiet", "--report", "--out", str(folder))
    assert result.exit_code == 0, result.output
    page = (folder / "report.html").read_text()
    assert "<h2>Jobs</h2>" in page and "llm-70b" in page and "<img" not in page
    assert "No plots: plots need matplotlib: pip install &#x27;colossim[plot]&#x27;." in page
    assert ("warning: the report has its tables but no plots: plots need matplotlib: pip "
            "install 'colossim[plot]'") in result.stderr
    empty = invoke("report", str(tmp_path))
    assert empty.exit_code == 2 and "holds no result.json" in empty.stderr
    missing = invoke("report", str(tmp_path / "nope"))  # QA: it said "holds no result.json"
    assert missing.exit_code == 2 and "nope: no such folder: write a run folder" in missing.stderr


def test_the_cluster_summary_shows_what_the_fabric_did():
    # a one-hour fault on pod 0's uplinks: counted (a spine switch that died went unseen in the
    # summary before); small's jobs each fit one pod, so none is slowed and no byte crosses pods
    cut = "cluster.fabric.events=[{time_s: 0, duration_s: 3600, tier: pod, pod: 0}]"
    for extra, faults in (((), 0), (("--set", cut), 1)):
        out = invoke("run", "small", *extra)
        assert out.exit_code == 0, out.output
        assert re.search(r"fabric: jobs slowed ≥0\.1%\s+│\s+0 of 4 │", out.output), out.output
        assert re.search(rf"fabric: faults / cross-pod\s+│\s+{faults} / 0 B │", out.output)
        # a fault that slowed nobody says why: nothing loaded the pod tier it cut
        note = re.sub(r"\s+", " ", out.output)
        assert ("1 fabric fault slowed no job" in note) == bool(faults)
        assert ("busiest links peaked at: pod 0.0% of capacity" in note) == bool(faults)


def test_ctrl_c_in_a_command_says_so_and_exits_130(monkeypatch):
    # it used to end with no word at all (a sweep stopped before its first run, too)
    import colossim.api

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(colossim.api, "simulate", interrupted)
    out = invoke("run", "small")
    assert out.exit_code == 130 and "interrupted" in out.output and "Traceback" not in out.output


def test_the_reliability_caption_counts_power_losses(tmp_path):
    # every interruption a power loss read "By component: none" beside 1 interruption a job.
    # The outage at 20,000 s stops every job running then: count them in a run without it.
    from colossim.api import load_scenario, simulate

    quiet = "reliability={" + ", ".join(f"{c}: {{enabled: false}}" for c in
                                        ("gpu", "tray", "rack", "network", "software")) + "}"
    plain = simulate(load_scenario("small", [quiet]))
    running = sum(1 for j in plain.jobs if j.start_s <= 20_000 < j.end_s)
    assert running > 0
    out = invoke("run", "small", "--set", quiet, "--set",
                 "cluster.power.events=[{kind: outage, start_s: 20000, duration_s: 600}]")
    assert out.exit_code == 0, out.output
    caption = re.sub(r"\s+", " ", out.output)
    assert f"Faults by component: none; power losses {running};" in caption
    # the column counts the interruptions of each job, which the caption's faults are not
    assert re.search(r"job\s+interr\.\s+ETTR", out.output)


def test_explain_names_the_spares_a_job_waiting_after_failures_could_not_use(tmp_path):
    # 4 racks in 2 pods, the last of each held back: 2 x 72 = 144 GPUs of spares. A 144-GPU job
    # whose racks keep losing GPUs (a fault every 25 GPU-hours, repairs of 12 h) ends up waiting
    # with most GPUs in service: "0 of 288 busy, 4 out of service; needs 144" read as if it fit.
    scenario = tmp_path / "spares.yaml"
    scenario.write_text(
        "name: spares\n"
        "cluster: {pod_size_racks: 2, rack_groups: [{gpu_type: GB200, racks: 4}],\n"
        "          power: {supply_mw: 2.0}, fabric: {contention: false}}\n"
        "jobs: [{name: j, params_billion: 70, tokens_billion: 30, min_gpus: 144,\n"
        "        max_gpus: 144, checkpoint: {interval_s: 1800}}]\n"
        "simulation: {speed_model: linear, seed: 0, horizon_s: 200000}\n"
        "reliability: {tray: {enabled: false}, rack: {enabled: false},\n"
        "              network: {enabled: false}, software: {enabled: false},\n"
        "              gpu: {mtbf_gpu_hours: 25}, spares: {racks_per_pod: 1}}\n")
    out = invoke("run", str(scenario), "--explain", "j", "--json")
    assert out.exit_code == 0, out.output
    # 4 racks x 72 GPUs / 25 GPU-hours x 12 h: about 138 racks' worth under repair, so its 2
    # racks are hardly ever all healthy: warned of at load
    assert "job j needs 2 whole racks" in " ".join(out.stderr.split())
    waits = json.loads(out.stdout)["explain"]["waits"]
    failed = [w["why"] for w in waits if "the policy did not try" in w["why"]]
    assert failed and all("144 held back as hot spares; it needs at least 144" in why
                          and "cannot use a rack with a failed GPU" in why for why in failed)


def test_cross_pod_bytes_read_in_the_largest_unit():
    # colossus2's 2.04e20 bytes read "2.04e+05 PB" beside a count of faults
    from colossim.cli.render import _bytes

    assert [_bytes(b) for b in (2.04e20, 3.4e15, 5e9, 0.0)] == ["204 EB", "3.4 PB", "5 GB",
                                                                "0 B"]
    # a flat fabric at 7:1 moves 1.35e22 bytes across pods: 13.5 ZB, not "1.35e+04 EB"
    assert [_bytes(b) for b in (1.35e22, 2e24)] == ["13.5 ZB", "2 YB"]


def test_a_cut_that_moved_a_job_says_so_instead_of_slowed_no_job():
    # pod 0's uplinks cut for good at 1 h with one rack per pod: llm-70b (racks 0 and 1) cannot
    # send its traffic and is moved (docs/fabric.md, Cuts); "slowed no job" read as "did nothing"
    cut = ("cluster.fabric.events=[{time_s: 3600, tier: pod, pod: 0, capacity_fraction: 0, "
           "kind: link}]")
    out = invoke("run", "small", "--set", "cluster.pod_size_racks=1", "--set", cut)
    assert out.exit_code == 0, out.output
    note = re.sub(r"\s+", " ", out.output)
    assert ("1 job moved off a fabric tier cut to zero capacity (llm-70b): `preempt` events "
            "with reason fabric_cut") in note
    assert "slowed no job" not in note


def test_the_jobs_table_splits_on_a_narrow_terminal_with_every_value_whole(monkeypatch):
    # at 60 columns rich folded "0.71" over two lines and dropped the MFU column; now the
    # columns that do not fit go to a second table that repeats the job column
    monkeypatch.setenv("COLUMNS", "60")
    render.console.cache_clear()
    out = invoke("run", "small", "--quiet")
    assert out.exit_code == 0, out.output
    jobs = out.output.split("performance")[0]
    headers = [line.split() for line in jobs.splitlines() if line.strip().startswith("job ")]
    assert headers == [["job", "state", "submit", "start", "end", "JCT", "GPUs"],
                       ["job", "GPU-h", "MFU"]]
    # small's llm-70b under fifo: 0.71 days on 144 GPUs, 2,450 GPU-h at 66% (README's table)
    rows = [line.split() for line in jobs.splitlines() if line.strip().startswith("llm-70b")]
    assert rows == [["llm-70b", "completed", "0.00", "0.00", "0.71", "0.71", "144"],
                    ["llm-70b", "2,450", "66%"]]
    assert max(len(line) for line in jobs.splitlines()) <= 60


def test_names_clipped_alike_are_widened_until_they_differ():
    # QA: three names differing only in the middle all read "training-r…ffix-name"
    from colossim.cli.render import NAME_WIDTH, shown_names

    names = [f"training-run-for-team-{t}-with-a-long-suffix-name" for t in "ABC"]
    shown = shown_names(names)
    assert len(set(shown)) == 3 and all("…" in name for name in shown)
    assert [name.split("…")[0][-1] for name in shown] == ["A", "B", "C"]  # the widest cut needed
    # names that differ once clipped keep the usual width: a trace's 36-character ids
    ids = ["3a099c80-e4f1-4b5e-9d2a-5c1f0e22d635", "7b1c2d3e-aaaa-bbbb-cccc-0123456789ab"]
    assert [len(n) for n in shown_names(ids)] == [NAME_WIDTH, NAME_WIDTH]
    assert shown_names(["llm-70b", "llm-8b"]) == ["llm-70b", "llm-8b"]


def test_version_prints_the_package_version():
    # QA: there was no way to ask which colossim made a result
    from colossim import __version__

    result = invoke("--version")
    assert result.exit_code == 0
    assert result.output == f"colossim {__version__}\n"


def test_the_run_table_counts_the_deadlines_met():
    # QA: deadlines were in the JSON only. small's llm-8b (submitted at 1 h) ends at 0.63 days
    # at the earliest: a 2-hour deadline is missed; llm-70b ends within 1.61 days: 10 days met
    result = invoke("run", "small", "--quiet", "--set", "jobs.llm-8b.deadline_s=7200", "--set",
                    "jobs.llm-70b.deadline_s=864000")
    assert result.exit_code == 0, result.output
    assert re.search(r"deadlines met\s+│\s+1 of 2 \(missed: llm-8b\)", result.stdout)
    assert "deadlines met" not in invoke("run", "small", "--quiet").stdout
    # review: cut at 1 day, moe-200b (due at 2 days; it ends at 1.61) is not yet due, not missed
    cut = invoke("run", "small", "--quiet", "--set", "simulation.horizon_s=86400", "--set",
                 "jobs.moe-200b.deadline_s=172800", "--set", "jobs.llm-8b.deadline_s=172800")
    assert re.search(r"deadlines met\s+│\s+1 of 1; 1 not yet due when the run ended", cut.stdout)


def test_a_scenario_file_name_one_letter_off_is_offered(tmp_path, monkeypatch):
    # QA: "mine.yml" beside mine.yaml got the built-in scenarios' names only
    (tmp_path / "mine.yaml").write_text("name: m\n")
    monkeypatch.chdir(tmp_path)
    result = invoke("validate", "mine.yml")
    assert result.exit_code == 2
    assert "mine.yml: no such file or scenario; did you mean mine.yaml?" in result.stderr


def test_a_reader_that_stops_early_gets_the_sigpipe_code_and_no_message():
    # QA: `colossim run | head` and `sweep --dry-run | head` exited 1 ("the run failed")
    # without a word, from rich's and click's handling of the broken pipe
    import os
    import subprocess
    import sys

    study = Path(__file__).resolve().parents[2] / "examples" / "studies" / "power_budget.yaml"
    for args in (["run", "small"], ["sweep", str(study), "--dry-run"]):
        read, write = os.pipe()
        os.close(read)  # the reader is gone before the first line: every write fails
        try:
            done = subprocess.run([sys.executable, "-m", "colossim", *args], stdout=write,
                                  stderr=subprocess.PIPE, timeout=60)
        finally:
            os.close(write)
        assert (done.returncode, done.stderr) == (141, b""), args


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["--version"]])
def test_help_and_version_to_a_closed_pipe_also_exit_141(args):
    # review: they printed through typer's own rich console (rich exited 1) or click's echo
    import os
    import subprocess
    import sys

    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run([sys.executable, "-m", "colossim", *args], stdout=write,
                              stderr=subprocess.PIPE, timeout=60)
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (141, b"")


def test_a_closed_stderr_loses_the_warnings_not_the_run():
    # review: a warning to a closed stderr made rich point stdout at the null device and exit 1
    import os
    import subprocess
    import sys

    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run([sys.executable, "-m", "colossim", "run", "small", "--set",
                               "simulation.horizon_s=100"], stdout=subprocess.PIPE,
                              stderr=write, timeout=60)
    finally:
        os.close(write)
    assert done.returncode == 0 and b"small under fifo" in done.stdout


def test_bad_output_paths_are_refused_before_the_run(tmp_path):
    """QA: a folder given to --trace, or a file to --out, failed only after the run (15 s of
    colossus2), and the failed trace cost the --report too."""
    a_file = tmp_path / "afile"
    a_file.write_text("")
    cases = [(["--out", str(a_file)], f"--out: {a_file} is a file, not a folder"),
             (["--out", str(a_file / "sub")], f"--out: {a_file} is a file, not a folder"),
             (["--trace", str(tmp_path)], f"--trace: {tmp_path} is a folder: give a file name"),
             (["--trace", str(a_file / "t.json")], f"--trace: {a_file} is a file, not a folder")]
    for args, said in cases:
        result = runner.invoke(app, ["run", "small", "--quiet", *args])
        assert result.exit_code == 2, result.output
        assert said in result.stderr and result.stdout == ""  # nothing ran
    fine = runner.invoke(app, ["run", "small", "--quiet", "--out", str(tmp_path / "new" / "run"),
                               "--trace", str(tmp_path / "new" / "trace.json")])
    assert fine.exit_code == 0 and (tmp_path / "new" / "trace.json").exists()


def test_json_keeps_the_run_notes_on_stderr():
    """QA: with --json a run that left jobs unfinished at the horizon said nothing; stdout
    stays one JSON object."""
    result = runner.invoke(app, ["run", "small", "--json", "--set", "simulation.horizon_s=3600"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert {job["state"] for job in data["jobs"]} >= {"running"}
    assert "unfinished at the horizon" in " ".join(result.stderr.split())


def test_explain_counts_the_spares_when_others_started_first():
    """QA: busy holds one of its 4 racks back as a spare; "216 of 288 GPUs busy ...; it needs at
    least 72" read as room for big-c, when the other 72 were the spare."""
    out = invoke("run", "busy", "--explain", "big-c", "--json")
    assert out.exit_code == 0, out.output
    [wait] = [w for w in json.loads(out.stdout)["explain"]["waits"] if w["ahead"]][:1]
    assert wait["busy_gpus"] + 72 == wait["total_gpus"] == 288
    assert "(216 of 288 GPUs busy when the wait began, 72 held back as hot spares; it needs " \
        "at least 72)" in wait["why"]


def test_run_help_names_every_file_out_writes(tmp_path, monkeypatch):
    """QA: the help of ``--out`` left out ``scenario.json``, which the run writes beside the
    other three (docs/cli.md names all four)."""
    monkeypatch.setenv("COLUMNS", "200")
    render.console.cache_clear()
    help_text = invoke("run", "--help").stdout
    (line,) = [row for row in help_text.splitlines() if re.search(r"^\W*--out\b", row)]
    out = tmp_path / "out"
    assert invoke("run", "small", "--out", str(out)).exit_code == 0
    written = sorted(p.name for p in out.iterdir())
    assert written and sorted(re.findall(r"[\w.]+\.jsonl?\b", line)) == written, (line, written)
