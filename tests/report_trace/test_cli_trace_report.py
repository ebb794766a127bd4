"""``colossim run --trace/--report`` and ``colossim report RESULT_DIR`` end to end."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from colossim.cli.app import app
from tests.conftest import need
from tests.report_trace.trace_rules import check_format

FOUR_JOBS = str(Path(__file__).resolve().parent / "four_jobs.yaml")

need("matplotlib", "report plots need the plot extra (in dev)")


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def test_run_writes_trace_and_report_and_report_rebuilds_from_disk(tmp_path):
    out = tmp_path / "run"
    done = invoke("run", FOUR_JOBS, "--out", str(out), "--trace", str(tmp_path / "t.json"),
                  "--report", "--quiet")
    assert done.exit_code == 0, done.output
    assert {p.name for p in out.iterdir()} >= {"result.json", "events.jsonl", "series.json",
                                               "report.html"}
    assert check_format(json.loads((tmp_path / "t.json").read_text())) == []
    assert f"wrote {tmp_path / 't.json'}" in done.output.replace("\n", "")

    again = invoke("report", str(out), "--out", str(tmp_path / "again.html"))
    assert again.exit_code == 0, again.output
    page = (tmp_path / "again.html").read_text()
    assert page.count('src="data:image/png;base64,') == 3
    assert "four-jobs under fifo (seed 0)" in page


def test_run_report_without_out_writes_into_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    done = invoke("run", "small", "--report", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["scenario"] == "small"  # stdout stays pure JSON
    assert (tmp_path / "report.html").exists()


def test_report_of_a_folder_without_a_run_is_a_clear_error(tmp_path):
    done = invoke("report", str(tmp_path))
    assert done.exit_code == 2  # input to fix, like a missing file
    assert "no result.json" in done.output and "colossim run --out" in done.output


def test_a_trace_that_cannot_be_written_after_the_run_is_a_run_failure(tmp_path, monkeypatch):
    """A path that passes the check before the run can still fail to be written (a full
    disk): the run worked, its trace could not be saved: exit 1, no traceback."""
    import errno

    from colossim.metrics import trace

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(trace, "write_trace", full)
    done = invoke("run", "small", "--quiet", "--trace", str(tmp_path / "t.json"))
    assert done.exit_code == 1 and "Traceback" not in done.output
    assert done.stderr.strip() == (f"error: cannot write the trace to {tmp_path / 't.json'}: "
                                   "No space left on device")


def test_a_trace_path_through_a_file_is_refused_before_the_run(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    done = invoke("run", "small", "--quiet", "--trace", str(blocker / "t.json"))
    assert done.exit_code == 2 and "Traceback" not in done.output
    assert done.stderr.strip() == ("error: 1 problem in the input:\n"
                                   f"  --trace: {blocker} is a file, not a folder")
    assert done.stdout == ""  # nothing ran


def test_the_trace_is_standard_json_when_a_policy_asked_for_nan(tmp_path):
    # a refused WakeAt(nan) is in the record: result.json wrote null, the trace wrote NaN,
    # which strict JSON readers refuse
    trace = tmp_path / "trace.json"
    out = invoke("run", "small", "--quiet", "--policy",
                 "tests.engine.test_wake_refusals:FifoWakingBadly", "--trace", str(trace))
    assert out.exit_code == 0, out.output

    def refuse(constant: str):
        raise ValueError(f"not standard JSON: {constant}")

    events = json.loads(trace.read_text(), parse_constant=refuse)["traceEvents"]
    asked = [e["args"] for e in events if e["name"] == "wakeat" and "(NaN)" in e["args"]["reason"]]
    assert asked and asked[0]["time_s"] is None


def test_a_report_from_result_json_alone_says_the_record_is_missing(tmp_path):
    # its Record section was an empty table with no word of why
    out = tmp_path / "run"
    assert invoke("run", FOUR_JOBS, "--out", str(out), "--quiet").exit_code == 0
    (out / "events.jsonl").unlink()
    done = invoke("report", str(out), "--out", str(tmp_path / "r.html"))
    assert done.exit_code == 0, done.output
    assert "events.jsonl missing" in (tmp_path / "r.html").read_text()
