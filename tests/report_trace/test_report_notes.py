"""``report.html`` says what the terminal warned of (QA: a run cut at its horizon, or one that
stalled, read in the report like a completed run, with no note and no load warning)."""

from __future__ import annotations

import html
import re
from pathlib import Path

from typer.testing import CliRunner

from colossim.cli.app import app
from tests.conftest import need
from tests.stalled_case import run_args, unpowered

need("matplotlib", "report plots need the plot extra (in dev)")

STALLS = unpowered()


def notes(page: str) -> list[str]:
    return [html.unescape(n) for n in re.findall(r'<p class="warn">(.*?)</p>', page)]


def run(folder: Path, *overrides: str) -> str:
    done = CliRunner().invoke(app, run_args(list(overrides), "--out", str(folder), "--report"))
    assert done.exit_code == 0, done.output
    return (folder / "report.html").read_text()


def test_a_stalled_run_reports_its_load_warning_refusals_and_stall(tmp_path):
    said = notes(run(tmp_path / "run", *STALLS))
    assert said[0].startswith("job j1 can never start: alone on its fewest GPUs at the lowest "
                              "clocks, the facility would need 0.0803 MW")
    assert said[1].startswith("2 actions of the policy were refused as infeasible")
    assert said[2].startswith("stalled at 0.00 days (100 s): nothing was left to happen and "
                              "these jobs never finished: j1 (pending), j2 (pending). The "
                              "supply (at most 0.07 MW) can never power j1 (0.0803 MW)")
    assert len(said) == 3
    again = CliRunner().invoke(app, ["report", str(tmp_path / "run"), "--out",
                                     str(tmp_path / "again.html")])
    assert again.exit_code == 0, again.output
    assert "warning" not in again.output  # kept for the page, not printed again
    assert notes((tmp_path / "again.html").read_text()) == said


def test_a_run_cut_at_its_horizon_says_so_and_a_finished_one_has_no_notes(tmp_path):
    said = notes(run(tmp_path / "cut", "simulation.horizon_s=18000"))
    assert said[-1] == ("unfinished at the horizon, 0.21 days (18,000 s): llm-70b (running), "
                        "llm-8b (running), image-2b (running), moe-200b (pending)")
    # small as shipped notes that fifo left moe-200b below its max_gpus beside idle GPUs
    # (``metrics.undersized``); capped at the 144 GPUs it gets, it has nothing to say
    page = run(tmp_path / "done", "jobs.moe-200b.max_gpus=144")
    assert notes(page) == [] and "<h2>Notes</h2>" not in page
    assert notes(run(tmp_path / "shipped"))[0].startswith(
        "ran below their max_gpus beside idle GPUs: moe-200b on 144 GPUs on average, 67% of its "
        "max_gpus (216)")
