"""The run's job table on a trace-sized run: long ids are shortened in the middle and only the
first 50 jobs are listed (an 800-job trace printed 800 rows, its numbers split across lines)."""

from __future__ import annotations

import pytest

from colossim.cli.render import JOB_ROWS, clipped_name


def test_a_long_id_keeps_its_start_and_end_within_twenty_characters():
    name = "3a099c80-ed71-d874-9dc3-a0c622d635b7"
    assert clipped_name(name) == "3a099c80-e…622d635b7"
    assert len(clipped_name(name)) == 20
    assert clipped_name("llm-70b") == "llm-70b"


def test_a_many_job_run_lists_fifty_jobs_and_counts_the_rest(tmp_path):
    from typer.testing import CliRunner

    from colossim.cli.app import app

    # 60 one-GPU jobs of one hour each, named like trace ids, on one 72-GPU rack: all start at 0
    jobs = "\n".join(
        f"  - {{name: job-{i:02d}-0123456789abcdef0123456789, work_gpu_hours: 1, "
        f"reference_gpu: GB200, min_gpus: 1, max_gpus: 1, placement: gpu}}" for i in range(60))
    scenario = tmp_path / "many.yaml"
    scenario.write_text("name: many\ncluster:\n  pod_size_racks: 1\n  power: {supply_mw: 1}\n"
                        "  rack_groups: [{gpu_type: GB200, racks: 1}]\n"
                        f"jobs:\n{jobs}\n")
    out = CliRunner().invoke(app, ["run", str(scenario), "--quiet"], env={"COLUMNS": "80"})
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    rows = [line for line in lines if "completed" in line]
    assert len(rows) == JOB_ROWS == 50
    assert rows[0].split()[0] == "job-00-012…123456789"  # first 10, "…", last 9
    assert "... and 10 more jobs: every job is in --json" in out.stdout
    assert max(len(line) for line in lines) <= 80


def test_explain_keeps_each_key_value_of_a_detail_on_one_line(monkeypatch, capsys):
    """QA: at 80 columns --explain folded a figure mid-token, "cross_pod_bytes_per_s=2.308e+1"
    then "3" on the next line, which reads as 23 B/s."""
    from colossim.cli.render_compare import explain_timeline
    from colossim.metrics.explain import Entry, JobTimeline

    monkeypatch.setenv("COLUMNS", "80")
    detail = ("computing=True, factor=0.9731, comm_fraction=0.04412, "
              "cross_pod_bytes_per_s=2.308e+13, gbytes_s=4.112e+04")
    timeline = JobTimeline("1t-b", "completed", (
        Entry(0.0, "event", "fabric", detail),
        Entry(10.0, "decision", "resize", "gpus=147456, racks=2048", "infeasible: 12 racks are "
              "failed or spares, so the grant cannot be met now"),  # a verdict to share with
        Entry(3600.0, "event", "complete")), ())
    explain_timeline(timeline)
    text = capsys.readouterr().out
    for word in detail.split():
        assert word in text, word  # every key=value whole, on one line
    assert max(len(line) for line in text.splitlines()) <= 80


def test_the_reliability_table_keeps_every_figure_whole_at_80_columns(monkeypatch, capsys):
    """QA: at hourly checkpoints 10T's lost GPU-hours showed as "2,118.…" (its unit cut off)
    and every "ckpt every" wrapped "60.0" over "min"."""
    from dataclasses import replace
    from pathlib import Path

    from colossim.api import load_scenario, simulate
    from colossim.cli.render_reliability import reliability_table

    monkeypatch.setenv("COLUMNS", "80")
    scenario = Path(__file__).parents[1] / "regression" / "scenarios" / "failures_small.yaml"
    result = simulate(load_scenario(scenario))
    big = tuple(replace(job, name=f"imagine-v{i}", lost_gpu_hours=2.11845e9,
                        checkpoint_gpu_hours=1.2345e8, restart_gpu_hours=9.87e7,
                        interruptions=12_345, checkpoint_interval_s=3600.0)
                for i, job in enumerate(result.jobs))
    reliability_table(replace(result, jobs=big))
    text = capsys.readouterr().out
    rows = [line for line in text.splitlines() if line.lstrip().startswith("imagine-v")]
    assert len(rows) == len(big)
    assert all(row.split()[1:] == ["12,345", row.split()[2], "2.12B", "123.5M", "98.7M",
                                   row.split()[6], "60.0", "min"] for row in rows), rows
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= 80
    # QA: ETTR stood still at 700 MW while the makespan grew 9 days, and nothing said why
    said = " ".join(text.split())
    assert "time slowed by a power cap is productive: power's cost is in the makespan and the " \
           "cluster table" in said
    # QA: one seed moved a job's end by days, more than the what-if, and run did not say so
    assert f"Seed {result.seed} is one draw of the failures: each job's figures move from seed " \
           "to seed" in said


@pytest.mark.parametrize(("gpu_hours", "shown"), [
    (999_999.4, "999,999"), (999_999.7, "1.0M"), (2_118.45e6, "2.12B"), (999.96e6, "1.00B"),
    (999.996e9, "1.00T")])
def test_reliability_gpu_hours_pick_their_unit_after_rounding(gpu_hours, shown):
    """Review: 999,999.7 read "1,000,000" and 999.96M "1,000.0M", past the 7 characters the
    table's 80 columns allow."""
    from colossim.cli.render_reliability import _hours

    assert _hours(gpu_hours) == shown


def test_explain_keeps_the_verdict_in_view_beside_a_long_event_name(monkeypatch, capsys, tmp_path):
    """Review: with "fabric_repair" in the what column, the widest key=value held its width and
    "applied" was cropped to "appli" at 80 columns. Two jobs share a core at 1:2; a pod's
    uplinks fault to a quarter for 1,000 s (QA)."""
    from colossim.api import load_scenario, simulate
    from colossim.cli.render_compare import explain_timeline
    from colossim.metrics.explain import job_timeline

    path = tmp_path / "share.yaml"
    path.write_text("""\
name: share
cluster:
  pod_size_racks: 1
  rack_groups: [{gpu_type: GB200, racks: 4}]
  power: {supply_mw: 2.0}
  fabric:
    tiers: {core: {oversubscription: 2}}
    events: [{time_s: 1000, duration_s: 1000, tier: pod, pod: 0, capacity_fraction: 0.25}]
jobs:
  - {name: A, params_billion: 8, tokens_billion: 5, min_gpus: 144, max_gpus: 144,
     training: {dp_overlap_fraction: 0, global_batch_tokens: 294912, plan: {tp: 8, dp: 18}}}
  - {name: B, params_billion: 8, tokens_billion: 5, min_gpus: 144, max_gpus: 144,
     training: {dp_overlap_fraction: 0, global_batch_tokens: 294912, plan: {tp: 8, dp: 18}}}
""")
    monkeypatch.setenv("COLUMNS", "80")
    timeline = job_timeline(simulate(load_scenario(path)), "A")
    explain_timeline(timeline)
    text = capsys.readouterr().out
    assert "fabric_fault" in text and "fabric_repair" in text  # the fault that slowed it
    assert "applied" in text and max(len(line) for line in text.splitlines()) <= 80


def test_days_past_a_billion_are_written_in_three_digits():
    """QA: a trace stretched 1e300 times printed 300-digit submit times, which squeezed the
    job table down to its first two columns, and the same number in the load warning."""
    from colossim.cli.render import _days
    from colossim.metrics.labels import span_text as warned_days

    assert _days(1.5 * 86400) == "1.50"
    assert _days(1.17e300 * 86400) == "1.17e+300"
    assert warned_days(1.17e300 * 86400) == "1.17e+300 days"
    assert warned_days(3646 * 86400) == "3,646 days"


def test_every_table_figure_past_a_billion_is_written_in_three_digits(capsys):
    """Code review: a job of 1e15 GPU-hours printed its makespan in compare, and the run
    table its GPU-hours and energy, in every digit (200 of them at 1e200)."""
    from colossim.cli.render import _count, mega
    from colossim.cli.render_compare import _duration, _hours
    from colossim.metrics.labels import grouped

    assert grouped(1234.5678) == "1,234.57" and grouped(2.5e9) == "2.5e+09"
    assert grouped(999_999_999.0, 0) == "999,999,999"
    header, compare_days = _duration("makespan_s", "makespan", [5.79e11 * 86400])
    assert (header, compare_days(5.79e11 * 86400)) == ("makespan d", "5.79e+11")
    assert _hours(1.39e13 * 3600) == "1.39e+13" and _hours(5400) == "1.50"
    assert _count(1e15) == "1e+15" and _count(102.8e6) == "102.8M"
    assert mega(2.02e12) == "2.02e+12" and mega(1000.4) == "1,000"


def test_a_ratio_in_a_message_has_a_decimal_only_while_small():
    """QA: a checkpoint interval 480 million times the job's MTTF was said as 480,000,000.0x."""
    from colossim.metrics.labels import multiple

    assert [multiple(x) for x in (2.54, 99.94, 480_000_000.0, 3.2e12)] == [
        "2.5", "99.9", "480,000,000", "3.2e+12"]


def test_a_run_with_every_failure_class_off_is_not_called_one_draw_of_the_failures():
    # QA: an operator's maintenance-only what-if (reliability on, every class off) was told
    # that its seed is one draw of the failures, where nothing was drawn
    from typer.testing import CliRunner

    from colossim.api import load_scenario
    from colossim.cli.app import app

    off = "{" + ", ".join(f"{c}: {{enabled: false}}" for c in
                          ("gpu", "tray", "rack", "network", "software")) + "}"
    quiet = CliRunner().invoke(app, ["run", "small", "--set", f"reliability={off}"])
    assert quiet.exit_code == 0, quiet.output
    assert "reliability" in quiet.stdout and "one draw of the failures" not in quiet.stdout
    assert load_scenario("small", [f"reliability={off}"]).reliability.enabled
