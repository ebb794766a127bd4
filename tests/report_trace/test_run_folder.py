"""A run folder (``colossim run --out``) holds enough to rebuild the RunResult exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from colossim.errors import ColossimError
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
    with pytest.raises(ColossimError, match="no result.json"):
        read_run(tmp_path / "nowhere")
