"""Trace readers on small synthetic files written by the tests (never the real trace)."""

from __future__ import annotations

import pytest

from colossim.config.trace import TraceConfig
from colossim.workload.formats import TraceRecord, read_records
from colossim.workload.trace import scaled, trace_jobs

ITP = """job_id,submission_time,duration,num_gpu
j-b,200,60,4
j-a,100,3600,1
j-c,200,30,2
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_bytes(text) if isinstance(text, bytes) else path.write_text(text)
    return path


def test_itp_rows_in_file_order(tmp_path):
    rows = read_records(write(tmp_path, "t.csv", ITP), "itp")
    assert rows == [TraceRecord("j-b", 200, 60, 4), TraceRecord("j-a", 100, 3600, 1),
                    TraceRecord("j-c", 200, 30, 2)]


def test_a_byte_order_mark_is_not_part_of_the_first_column(tmp_path):
    # Excel writes one: 'no column job_id in header \ufeffjob_id,...' before
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + ITP.encode())
    assert read_records(path, "itp")[0] == TraceRecord("j-b", 200, 60, 4)


def test_philly_style_columns_by_alias(tmp_path):
    text = "job_idx,num_gpu,submit_time,iterations,model_name,duration,interval\n" \
           "7,8,50,1000,resnet50,900,6\n"
    assert read_records(write(tmp_path, "p.csv", text), "philly") == [
        TraceRecord("7", 50, 900, 8)]


def test_swf_fields_comments_and_never_started_jobs(tmp_path):
    text = """; Version: 2.2
; Computer: a test
1 0 5 100 4 -1 -1 4 200 -1 1 1 1 1 1 -1 -1 -1
2 10 0 -1 -1 -1 -1 8 50 -1 5 1 1 1 1 -1 -1 -1
3 20 1 300 -1 -1 -1 2 -1 -1 1 1 1 1 1 -1 -1 -1
"""
    # job 2 never ran (run time -1): skipped, and said; job 3 gives its processors only as
    # requested (field 8)
    from colossim.errors import ColossimWarning

    with pytest.warns(ColossimWarning, match="w.swf: 1 line skipped: jobs that never ran"):
        records = read_records(write(tmp_path, "w.swf", text), "swf")
    assert records == [TraceRecord("1", 0, 100, 4, estimate_s=200), TraceRecord("3", 20, 300, 2)]


@pytest.mark.parametrize("text, message", [
    ("job_id,submission_time,duration\nx,1,2\n", "no column num_gpu"),
    ("job_id,submission_time,duration,num_gpu\nx,1,2,two\n", "t.csv:2: GPU count 'two'"),
    ("job_id,submission_time,duration,num_gpu\nx,1,0,1\n", "t.csv:2: duration 0.0 must be"),
    ("job_id,submission_time,duration,num_gpu\nx,1,5,1.5\n", "not a whole number"),
    # these three raised pydantic's raw text, a csv traceback, or a codec error without a file
    ("job_id,submission_time,duration,num_gpu\nx,1,5,1\n,300,10,8\n",
     "t.csv:3: the job id is empty"),
    ("job_id,submission_time,duration,num_gpu\nx,1,5,1\n" + "y" * 131_073 + ",1,1,1\n",
     "t.csv:3: not a CSV row the reader can take: field larger than field limit"),
    (b"\xff\xfejob_id", "t.csv: not a UTF-8 text file"),
    ("job_id,submission_time,duration,num_gpu\na\x07b,1,5,1\n",
     r"t.csv:2: the job id 'a\\x07b' holds a control character"),
    # a shifted row: an extra field ran with the first four, a short one blamed the GPU count
    ("job_id,submission_time,duration,num_gpu\na,1,5,1\nc,20,100,2,7\n",
     "t.csv:3: the row has 5 fields, the header 4"),
    ("job_id,submission_time,duration,num_gpu\na,1,5,1\nb,10,100\n",
     "t.csv:3: the row has 3 fields, the header 4"),
], ids=["no-gpus-column", "gpus-text", "zero-duration", "fractional-gpus", "empty-id",
        "huge-field", "not-utf8", "control-character", "extra-field", "missing-field"])
def test_bad_rows_name_file_and_line(tmp_path, text, message):
    with pytest.raises(ValueError, match=message):
        read_records(write(tmp_path, "t.csv", text), "itp")


def test_scaling_sorts_limits_shifts_and_scales(tmp_path):
    rows = read_records(write(tmp_path, "t.csv", ITP), "itp")
    trace = TraceConfig(path="t.csv", arrival_scale=2.0, duration_scale=0.5, limit=2)
    # by submission: j-a (100), j-b (200, first in the file of the two at 200); shifted to 0,
    # arrival rate doubled (times halved), durations halved
    assert scaled(rows, trace) == [TraceRecord("j-a", 0, 1800, 1), TraceRecord("j-b", 50, 30, 4)]


def test_jobs_run_their_traced_duration_on_the_reference_gpu(tmp_path):
    path = write(tmp_path, "t.csv", ITP)
    jobs = trace_jobs(TraceConfig(path=str(path), deadline_factor=3.0), path, "A100")
    a = next(j for j in jobs if j.name == "j-a")
    assert (a.work_gpu_hours, a.min_gpus, a.max_gpus, a.placement.value) == (1.0, 1, 1, "gpu")
    b = next(j for j in jobs if j.name == "j-b")
    assert b.work_gpu_hours == pytest.approx(60 * 4 / 3600)
    assert b.submit_s == 100 and b.deadline_s == pytest.approx(100 + 3 * 60)


def test_duplicate_ids_are_refused(tmp_path):
    path = write(tmp_path, "t.csv", "job_id,submission_time,duration,num_gpu\nx,1,2,1\nx,3,4,1\n")
    # named at its second line and its first (it named no line at all)
    with pytest.raises(ValueError, match=r"t.csv:3: job id 'x' appears twice \(first at line 2\)"):
        trace_jobs(TraceConfig(path=str(path)), path, "A100")


def test_the_loaders_own_trace_field_cannot_be_set(tmp_path):
    # jobs_loaded marks a trace as read; set by hand it made colossim skip the trace silently
    from colossim.api import load_scenario
    from colossim.errors import ConfigError

    write(tmp_path, "t.csv", ITP)
    scenario = write(tmp_path, "s.yaml", (
        "name: t\ncluster:\n  pod_size_racks: 1\n  rack_groups: [{gpu_type: GB200, racks: 1}]\n"
        "  power: {supply_mw: 1}\ntrace:\n  path: t.csv\n  jobs_loaded: 0\n"))
    with pytest.raises(ConfigError) as caught:
        load_scenario(str(scenario))
    (problem,) = caught.value.problems  # at its own line, not trace:'s (6)
    assert str(problem).endswith("s.yaml:8: trace.jobs_loaded: filled in when the trace is "
                                 "read; remove it (set, it made colossim skip the trace)")
    scenario.write_text(scenario.read_text().replace("  jobs_loaded: 0\n", ""))
    assert len(load_scenario(str(scenario)).jobs) == 3


def test_swf_processors_must_be_whole_as_csv_gpu_counts_are(tmp_path):
    # 4.7 processors ran as 4; the CSV readers refused 1.5 GPUs
    text = "1 0 5 100 4.7 -1 -1 4 200 -1 1 1 1 1 1 -1 -1 -1\n"
    with pytest.raises(ValueError, match="w.swf:1: allocated processors 4.7 is not a whole"):
        read_records(write(tmp_path, "w.swf", text), "swf")


@pytest.mark.parametrize("text", ["", "\n"])
def test_an_empty_trace_file_says_so(tmp_path, text):
    # QA: "no column job_id in header " (a blank header)
    with pytest.raises(ValueError, match=r"e\.csv:1: the file is empty: a trace starts with a "
                                         "header line naming its columns"):
        read_records(write(tmp_path, "e.csv", text), "itp")


def test_a_window_keeps_the_jobs_submitted_in_it_counted_from_the_first_submission(tmp_path):
    rows = read_records(write(tmp_path, "t.csv", ITP), "itp")
    # the trace's clock starts at j-a's 100 s: j-b and j-c come 100 s after it. [50, 150)
    # keeps them both (in file order at the tie), shifted so j-b arrives at 0; [0, 100) keeps
    # j-a alone; a limit counts within the window
    window = TraceConfig(path="t.csv", start_s=50, end_s=150)
    assert scaled(rows, window) == [TraceRecord("j-b", 0, 60, 4), TraceRecord("j-c", 0, 30, 2)]
    assert scaled(rows, TraceConfig(path="t.csv", end_s=100)) == [TraceRecord("j-a", 0, 3600, 1)]
    limited = TraceConfig(path="t.csv", start_s=100, limit=1)
    assert scaled(rows, limited) == [TraceRecord("j-b", 0, 60, 4)]


def test_an_empty_window_says_where_the_jobs_are(tmp_path):
    path = write(tmp_path, "t.csv", ITP)
    with pytest.raises(ValueError, match=r"none of the trace's 3 jobs was submitted in the "
                       r"window from 200 s \(0.00231 days\) to its end .*the last came 100 s "
                       r"\(0.00116 days\) after it"):
        trace_jobs(TraceConfig(path=str(path), start_s=200), path, "A100")


def test_a_window_that_ends_before_it_starts_is_refused_at_its_end():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="end_s") as err:
        TraceConfig(path="t.csv", start_s=100, end_s=100)
    assert "is not after start_s (100 s)" in str(err.value)


def test_swf_runtime_estimates_become_the_jobs_scaled_with_their_durations(tmp_path):
    text = ("1 0 5 100 4 -1 -1 4 200 -1 1 1 1 1 1 -1 -1 -1\n"
            "2 20 1 300 2 -1 -1 2 -1 -1 1 1 1 1 1 -1 -1 -1\n")
    path = write(tmp_path, "w.swf", text)
    jobs = trace_jobs(TraceConfig(path=str(path), format="swf", duration_scale=0.5), path,
                      "A100")
    # field 9, requested time, scaled as durations are; -1 (not given) leaves none
    assert [(j.name, j.runtime_estimate_s) for j in jobs] == [("1", 100.0), ("2", None)]


@pytest.mark.parametrize("fmt", ["itp", "philly", "swf"])
def test_a_line_that_never_ends_is_refused_at_its_line(tmp_path, monkeypatch, fmt):
    """QA: trace: {path: /dev/zero} read one endless line until memory ran out; a line past
    the cap is refused with its file and line."""
    from colossim.workload import formats

    monkeypatch.setattr(formats, "MAX_LINE", 60)
    path = write(tmp_path, "t.csv", ITP + "x" * 61 + "\n") if fmt != "swf" else write(
        tmp_path, "t.swf", "1 0 0 60 4 -1 -1 4 60 -1 1 1 1 -1 1 -1 -1 -1\n" + "9" * 61 + "\n")
    if fmt == "philly":
        path.write_text(path.read_text().replace("job_id,submission_time,duration,num_gpu",
                                                 "jobid,submitted_time,duration,num_gpus"))
    with pytest.raises(ValueError, match=rf"^{path}:(5|2): a line longer than 60 characters"):
        read_records(path, fmt)
