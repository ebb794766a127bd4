"""What a run that stalled says of its unfinished jobs (QA): one GB200 rack under a 0.07 MW
supply; j1 (72 GPUs) needs 0.0803 MW at the lowest clocks, so every start of it is refused, and
strict fifo keeps j2 (1 GPU, from 100 s) behind it. Nothing is left to happen at 100 s: the run
stalls there, long before its horizon, and neither job will ever finish."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from colossim.api import load_scenario, simulate
from colossim.cli.app import app
from tests.stalled_case import run_args, unpowered

STALLS = unpowered(deadlines=True)
# the load warns that j1 can never start (and, cut at 50 s, that neither job can finish)
pytestmark = pytest.mark.filterwarnings("ignore::colossim.errors.ColossimWarning")


def test_a_stalled_run_misses_the_deadlines_of_the_jobs_it_never_finishes():
    result = simulate(load_scenario("small", STALLS))
    assert result.end_s == 100.0  # the stall
    # both deadlines lie after the end, but a stall is final: missed, not "not yet due"
    assert [(j.deadline_s, j.deadline_met) for j in result.jobs] == [(60_000, False),
                                                                    (50_000, False)]
    cut = simulate(load_scenario("small", [*STALLS, "simulation.horizon_s=50"]))
    # cut at its horizon (50 s) the same run has not ended: undecided, as before
    assert cut.end_s == 50.0 and [j.deadline_met for j in cut.jobs] == [None, None]


def test_a_job_that_never_started_has_no_mean_gpus():
    result = simulate(load_scenario("small", STALLS))
    assert [(j.start_s, j.mean_gpus, j.gpu_hours) for j in result.jobs] == [(None, None, 0.0)] * 2
    started = simulate(load_scenario("small")).jobs[0]  # llm-70b: 144 GPUs all along
    assert started.mean_gpus == 144.0


def test_the_run_table_says_missed_and_shows_no_gpus():
    out = CliRunner().invoke(app, run_args(STALLS))
    assert out.exit_code == 0, out.output
    assert re.search(r"deadlines met\s+│\s+0 of 2 \(missed: j1, j2\)\s+│", out.stdout)
    rows = [line.split() for line in out.stdout.splitlines() if line.split()[:1] in (["j1"],
                                                                                      ["j2"])]
    # job, state, submit, start, end, JCT, GPUs, GPU-h, MFU
    assert [row[:9] for row in rows] == [["j1", "pending", "0.00", "-", "-", "-", "-", "0", "-"],
                                         ["j2", "pending", "0.00", "-", "-", "-", "-", "0", "-"]]
