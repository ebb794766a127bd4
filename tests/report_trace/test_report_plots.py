"""What the report's plots choose to draw: per-job level series ranked by their values (never by
name), families that stay zero left out with a note, ETTR bars only with the reliability model
and at most ``MAX_ETTR_BARS`` of them, and titles inside their figures."""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from pathlib import Path

import pytest

from colossim.engine.record import Record, StepSeries
from colossim.metrics import plots
from colossim.metrics.phases import job_timelines
from colossim.metrics.report import render
from colossim.metrics.result import ReliabilityResult
from colossim.testing.runner import run_policy
from tests.conftest import need

need("matplotlib", "report plots need the plot extra (in dev)")

FOUR_JOBS = str(Path(__file__).resolve().parent / "four_jobs.yaml")
IMG = r'<img alt="([^"]*)" src="data:image/png;base64,([^"]+)"'
RELIABILITY = ReliabilityResult(faults=0, faults_by_component={}, interruptions=0,
                                lost_gpu_hours=0.0, checkpoint_gpu_hours=0.0,
                                restart_gpu_hours=0.0, checkpoints=0, gpu_availability=1.0,
                                min_gpus_available=288)


@pytest.fixture(scope="module")
def fifo_run():
    return run_policy("fifo", FOUR_JOBS)


def with_series(result, extra: dict[str, StepSeries]):
    """The run with its per-job throttling series replaced by ``extra``."""
    kept = {k: v for k, v in result.record.series.items()
            if not k.startswith("job_throttled_gpus.")}
    record = Record(result.record.events, result.record.decisions, {**kept, **extra})
    return replace(result, record=record)


def test_lines_rank_by_peak_then_integral_and_zero_series_are_dropped():
    end = 1000.0
    series = {
        "f.a": StepSeries([0.0], [0.0]),  # zero all through: not a line
        "f.b": StepSeries([0.0, 10.0, 11.0], [0.0, 4.0, 0.0]),  # peak 4 for 1 s: integral 4
        "f.c": StepSeries([0.0, 10.0, 110.0], [0.0, 4.0, 0.0]),  # peak 4 for 100 s: 400
        "f.d": StepSeries([0.0, 500.0], [0.0, 2.0]),  # peak 2
        "f.e": StepSeries([0.0, 2000.0], [0.0, 9.0]),  # 9 only after the run ended
    }
    assert plots.ranked_lines(series, sorted(series), end) == ["f.c", "f.b", "f.d"]


def test_titles_say_which_lines_a_family_panel_draws():
    assert plots._drawn_of(40, 800) == " (the 12 highest of 800)"
    assert plots._drawn_of(3, 800) == " (3 of 800 ever above zero)"
    assert plots._drawn_of(5, 5) == ""


def test_a_family_never_above_zero_is_left_out_with_one_line(fifo_run):
    flat = {f"job_throttled_gpus.j{i:03d}": StepSeries([0.0], [0.0]) for i in range(800)}
    result = with_series(fifo_run, flat)
    drawn, zero = plots.family_lines(result)
    assert "job_throttled_gpus" not in drawn and zero["job_throttled_gpus"] == 800
    page = render(result)
    assert page.count("job throttled GPUs: zero throughout the run for all 800 series "
                      "(not drawn).") == 1


def test_the_twelve_highest_are_drawn_whatever_their_names(fifo_run):
    # 20 jobs: j00..j19 throttle j GPUs for an hour, so the 12 highest are j19 down to j08
    # (alphabetically first would be j00..j11, all of them lower)
    throttled = {f"job_throttled_gpus.j{i:02d}": StepSeries([0.0, 100.0, 3700.0],
                                                            [0.0, float(i), 0.0])
                 for i in range(20)}
    drawn, zero = plots.family_lines(with_series(fifo_run, throttled))
    lines = drawn["job_throttled_gpus"]
    assert len(lines) == 19 and "job_throttled_gpus.j00" not in lines  # j00 stays at 0
    assert lines[:plots.MAX_LINES] == [f"job_throttled_gpus.j{i:02d}" for i in range(19, 7, -1)]
    assert "job_throttled_gpus" not in zero


def test_no_ettr_chart_without_the_reliability_model(fifo_run):
    assert fifo_run.reliability is None
    assert any(j.ettr is not None for j in fifo_run.jobs)  # ETTR is computed all the same
    assert plots.ettr_values(fifo_run) == []
    alts = [alt for alt, _ in re.findall(IMG, render(fifo_run))]
    assert alts == ["Gantt chart of jobs", "GPUs in use and facility power over time",
                    "per-job progress"]


def test_ettr_chart_shows_the_twenty_lowest_of_many_jobs_one_row_each(fifo_run):
    base = fifo_run.jobs[0]
    # 25 jobs of ETTR 0.96, 0.92, ... (job k: 1 - 0.04 k): the 20 lowest are k = 25 .. 6
    jobs = tuple(replace(base, name=f"job-{k:02d}", ettr=1 - 0.04 * k) for k in range(1, 26))
    result = replace(fifo_run, jobs=jobs, reliability=RELIABILITY)
    values = plots.ettr_values(result)
    assert [name for name, _ in values[:plots.MAX_ETTR_BARS]] == [
        f"job-{k:02d}" for k in range(25, 5, -1)]
    page = render(result)
    assert "ETTR: the 20 lowest of 25 jobs are drawn; the Jobs table has every job's." in page
    [chart] = [src for alt, src in re.findall(IMG, page) if alt == "ETTR per job"]
    height = int.from_bytes(base64.b64decode(chart)[20:24], "big")
    # (1.4 in + 0.3 in per bar) x 100 dpi: 30 px a row for 8 pt labels (~11 px), never crowded
    assert height == round((1.4 + 0.3 * 20) * 100)


def _titles_inside(monkeypatch, draw) -> None:
    """Every axes title of the figure ``draw`` makes lies inside the figure."""
    figures = []
    monkeypatch.setattr(plots, "png", lambda fig: figures.append(fig) or b"")
    draw()
    [fig] = figures
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        box = ax.title.get_window_extent(renderer)
        assert ax.get_title() and fig.bbox.x0 <= box.x0 and box.x1 <= fig.bbox.x1, ax.get_title()
    plots.pyplot().close(fig)


def test_progress_and_ettr_titles_are_not_clipped(fifo_run, monkeypatch):
    # trace jobs have long names (UUIDs): beside ETTR bars labelled with them, the progress
    # title once ran off the figure's left edge
    suffix = "-8e416029-58b4-8e1d-9e13-87b03f12cf6c"
    timelines, _ = job_timelines(fifo_run.record.events, fifo_run.end_s)
    timelines = {name + suffix: slices for name, slices in timelines.items()}
    long = tuple(replace(j, name=j.name + suffix, ettr=0.9) for j in fifo_run.jobs)
    result = replace(fifo_run, jobs=long, reliability=RELIABILITY)
    _titles_inside(monkeypatch, lambda: plots.progress(result, timelines))
    _titles_inside(monkeypatch, lambda: plots.ettr_chart(plots.ettr_values(result)))


def test_progress_drops_where_a_failure_rolled_work_back():
    # running 0-100 s on 2 GPUs, queued 100-150 s, running 150-250 s on 2 GPUs; a failure at
    # 100 s lost 100 FLOPs; 300 FLOPs done at the end. 400 GPU-s made 300 + 100 FLOPs: 1 per
    # GPU-s. So 200 at 100 s, down to 100, flat to 150 s, 300 at 250 s. Scaled to the end
    # without the loss, the curve never fell (the report hid every rollback).
    from colossim.metrics.phases import Slice

    slices = [Slice("running", 0.0, 100.0, 2), Slice("queued", 100.0, 150.0, 0),
              Slice("running", 150.0, 250.0, 2)]
    times, done = plots.progress_curve(slices, [(100.0, 100.0)], 300.0)
    assert list(zip(times, done, strict=True)) == [
        (0.0, 0.0), (100.0, 200.0), (100.0, 100.0), (150.0, 100.0), (250.0, 300.0)]
    assert plots.progress_curve([Slice("queued", 0.0, 5.0, 0)], [], 0.0) == ([], [])


def test_each_family_panel_says_its_unit_and_lines_lying_together_both_show():
    # QA: the fabric panel's y axis had no label, and its rack and pod tiers, carrying the same
    # load, were drawn one over the other in the same solid style: 6 legend entries, 2 lines
    assert plots.family_unit("fabric") == "share of capacity"
    assert plots.family_unit("job_power_mw") == "MW"
    assert plots.family_unit("job_throttled_gpus") == "GPUs"
    assert len(set(plots.LINE_STYLES)) == len(plots.LINE_STYLES) >= 2


def test_generation_and_battery_power_are_drawn_as_the_ramps_they_are(fifo_run, monkeypatch):
    """QA: generation ramping from 0.72 to 1.584 MW over 7.2 h was drawn flat, then a jump, and
    the battery as giving 0.864 MW for 7.2 h (6.2 MWh from a 5 MWh battery): both are sampled
    at breakpoints and linear between them, so they are lines through their samples; the
    facility's draw stays a step."""
    ramp = StepSeries([0.0, 25_920.0], [0.72, 1.584])
    result = with_series(fifo_run, {"generation_mw": ramp, "battery_mw": StepSeries(
        [0.0, 25_920.0], [0.864, 0.0])})
    figures = []
    monkeypatch.setattr(plots, "png", lambda fig: figures.append(fig) or b"")
    plots.levels(result)
    [fig] = figures
    lines = {line.get_label(): line for line in fig.axes[1].get_lines()}
    generation = lines[plots.label("generation_mw")]
    assert generation.get_drawstyle() == "default"
    assert list(generation.get_xdata()[:2]) == [0.0, 25_920.0 / 86400]
    assert list(generation.get_ydata()[:2]) == [0.72, 1.584]
    assert lines[plots.label("battery_mw")].get_drawstyle() == "default"
    assert lines["facility draw"].get_drawstyle() == "steps-post"
    plots.pyplot().close(fig)
