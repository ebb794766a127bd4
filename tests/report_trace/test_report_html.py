"""report.html is one self-contained page: every image embedded and a real PNG, no outside
links, and the tables carry the run's numbers (the hand-computed fifo schedule of
``four_jobs.yaml``, see ``test_trace_format.py``)."""

from __future__ import annotations

import base64
import re
import struct
from dataclasses import replace
from pathlib import Path

import pytest

from colossim.engine.record import Record, StepSeries
from colossim.metrics.report import render, write_report
from colossim.testing.runner import run_policy
from tests.conftest import need

need("matplotlib", "report plots need the plot extra (in dev)")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FOUR_JOBS = str(Path(__file__).resolve().parent / "four_jobs.yaml")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    return struct.unpack(">II", data[16:24])  # IHDR width, height


@pytest.fixture(scope="module")
def fifo_run():
    return run_policy("fifo", FOUR_JOBS)


@pytest.fixture(scope="module")
def page(fifo_run):
    return render(fifo_run)


def test_every_image_is_an_embedded_png(page):
    sources = re.findall(r'<img [^>]*src="([^"]+)"', page)
    assert len(sources) == 3  # Gantt, GPUs and power, progress
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        width, height = png_size(base64.b64decode(src.split(",", 1)[1]))
        assert width > 300 and height > 200


def test_nothing_is_fetched_from_elsewhere(page):
    assert not re.search(r'(src|href)="(?!data:)', page)
    assert "<script" not in page and "@import" not in page


def test_tables_show_the_hand_computed_run(page):
    makespan_days = 141_500 / 86_400  # 1.6377...
    assert f"<td>makespan (days)</td><td>{makespan_days:,.4g}</td>" in page
    # moe-200b's end, 87,500 s: grouped as the command line prints it, not 8.75e+04 (QA)
    assert "<td>moe-200b</td><td>completed</td><td>7,200</td><td>87,500</td>" in page
    assert "<td>start</td><td>applied</td><td>4</td>" in page  # four applied starts
    assert "<td>energy (MWh)</td>" in page and "<td>peak power (MW)</td>" in page


def test_wide_tables_scroll_in_their_box_and_nested_values_read_as_key_value():
    page = render(run_policy("fifo", "small"))  # the performance model gives plans
    tables = page.count("<table>")
    assert tables >= 3 and page.count('<div class="wide"><table>') == tables
    plans = re.findall(r'<span class="nested">\{tp: (\d+), pp: (\d+), dp: (\d+)', page)
    # each job's plan fills the GPUs it held (TP x PP x DP; small.yaml's jobs, in its order,
    # run on 144, 72, 64 and 144 GPUs: the job table of the README)
    assert [int(tp) * int(pp) * int(dp) for tp, pp, dp in plans] == [144, 72, 64, 144]


def test_missing_series_and_extra_models_degrade_gracefully(fifo_run, tmp_path):
    """No level series (an old run folder), then battery and fabric series (newer models)."""
    events, decisions = fifo_run.record.events, fifo_run.record.decisions
    bare = replace(fifo_run, record=Record(events, decisions, {}))
    assert "no level series" in render(bare)
    series = {**fifo_run.record.series, "battery_soc": StepSeries([0.0], [0.8]),
              "fabric_util.spine": StepSeries([0.0], [0.4])}
    rich = replace(fifo_run, record=Record(events, decisions, series))
    path = write_report(rich, tmp_path / "report.html")
    assert path.read_text().count('src="data:image/png;base64,') == 3


def test_the_report_names_the_extra_when_matplotlib_is_missing(fifo_run, monkeypatch):
    import sys

    from colossim.errors import ColossimWarning

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails as if not installed
    with pytest.warns(ColossimWarning, match=r"pip install 'colossim\[plot\]'"):
        page = render(fifo_run)
    assert "<img" not in page and "<h2>Jobs</h2>" in page  # the tables, without the plots


def test_a_run_with_more_jobs_than_the_gantt_draws(tmp_path):
    from colossim.config.schema import Scenario

    jobs = [{"name": f"j{i}", "work_gpu_hours": 1 + i, "reference_gpu": "GB200",
             "min_gpus": 8, "max_gpus": 8, "placement": "gpu", "submit_s": 60.0 * i}
            for i in range(45)]
    scenario = Scenario.model_validate({
        "name": "many", "jobs": jobs,
        "cluster": {"pod_size_racks": 1, "rack_groups": [{"gpu_type": "GB200", "racks": 1}],
                    "power": {"supply_mw": 1.0}}})
    page = write_report(run_policy("fifo", scenario), tmp_path / "r.html").read_text()
    assert "45 jobs: the 40 with the most GPU-hours are drawn" in page
    sources = re.findall(r'<img [^>]*src="data:image/png;base64,([^"]+)"', page)
    assert len(sources) == 3 and all(png_size(base64.b64decode(s))[0] > 300 for s in sources)
    assert page.count("<td>j44</td>") == 1  # every job is still in the table


def test_the_models_figures_have_their_own_sections():
    # it had the cluster summary and the job table, and no power, reliability or fabric figures
    from colossim.metrics.report import group_tables

    failing = run_policy("fifo", Path(__file__).resolve().parents[1] / "regression"
                         / "scenarios" / "failures_small.yaml")
    sections = group_tables(failing)
    assert "<h2>Reliability</h2>" in sections and "<h2>Power</h2>" in sections
    interruptions = failing.reliability.interruptions
    assert f"<td>interruptions</td><td>{interruptions:,}</td>" in sections
    quiet = run_policy("fifo", "small")  # no failures model: no reliability section
    assert "<h2>Reliability</h2>" not in group_tables(quiet)
