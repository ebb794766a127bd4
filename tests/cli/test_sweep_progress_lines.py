"""``colossim sweep`` whose output is not a terminal (nohup, CI, a Ray job's log, ``| tee``):
plain progress lines instead of the live bar, at most one per ``INTERVAL_S``, the last always.

The unit tests drive ``ProgressLines`` with a fake clock, so they check the throttle and the ETA
against figures worked out by hand without waiting; the end-to-end ones run a small study
through typer's runner, whose output is not a terminal.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from colossim.cli import render, render_sweep
from colossim.cli.app import app
from colossim.cli.render_sweep import ProgressLines, duration, sweep_progress
from tests.sweep.sweep_helpers import FAILING, REPO, write_study

OK = {"status": "ok"}
FAILED = {"status": "failed", "error": "RuntimeError: boom"}


class Clock:
    """A clock that moves only when told to."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _started(total: int, done: int = 0, at_s: float = 0.0
             ) -> tuple[Clock, ProgressLines, list[str]]:
    """Lines every 30 s on a clock at ``at_s``, told the sweep started; what they wrote."""
    clock, written = Clock(at_s), []
    lines = ProgressLines(written.append, clock=clock, interval_s=30.0)
    lines.on_start(total, done)
    return clock, lines, written


def _finish(lines: ProgressLines, clock: Clock, at_s: float, record: dict = OK) -> None:
    """A run finishes at ``at_s`` on the clock."""
    clock.now = at_s
    lines.on_record(record)


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0s"), (59.99, "59s"), (60, "1m 00s"), (185, "3m 05s"), (3599, "59m 59s"),
    (3940, "1h 05m 40s"), (27 * 3600 + 5, "27h 00m 05s"), (-0.5, "0s"),
])
def test_durations_read_as_whole_seconds_minutes_and_hours(seconds, text):
    assert duration(seconds) == text


def test_no_line_within_the_interval_then_one_with_counts_and_eta():
    # the origin is the sweep's start, not the clock's zero
    clock, lines, written = _started(400, at_s=1000.0)
    assert written == ["sweep: 400 runs to run"]
    for t in (1010, 1015, 1020, 1025, 1029.9):  # 5 runs in the first 30 s: quiet
        _finish(lines, clock, t)
    assert written == ["sweep: 400 runs to run"]
    _finish(lines, clock, 1060.0)  # the 6th run, 60 s in: 60 s / 6 runs x 394 left = 3,940 s
    assert written[1:] == ["sweep: 6 of 400 runs done (0 failed), 1m 00s elapsed, "
                           "ETA 1h 05m 40s"]


def test_a_burst_of_runs_gives_one_line_per_interval():
    clock, lines, written = _started(1000)
    clock.now = 45.0
    for _ in range(300):  # a batch of 300 runs comes back at once: its first run writes the
        lines.on_record(OK)  # line (45 s / 1 run x 999 left = 44,955 s), the other 299 none
    assert written[1:] == ["sweep: 1 of 1,000 runs done (0 failed), 45s elapsed, "
                           "ETA 12h 29m 15s"]
    _finish(lines, clock, 74.9)  # 29.9 s after that line: still quiet
    assert len(written) == 2
    _finish(lines, clock, 75.0)  # 30 s after it (not after the start): the next
    # 75 s / 302 runs x 698 left = 173.3 s
    assert written[2:] == ["sweep: 302 of 1,000 runs done (0 failed), 1m 15s elapsed, "
                           "ETA 2m 53s"]


def test_failed_runs_are_counted_and_the_last_run_always_says_so():
    clock, lines, written = _started(4)
    for t, record in ((1.0, OK), (2.0, FAILED), (3.0, FAILED)):
        _finish(lines, clock, t, record)
    assert written == ["sweep: 4 runs to run"]
    _finish(lines, clock, 4.5)  # the last run, 1.5 s after the previous: a line all the same,
    # no ETA
    assert written[1:] == ["sweep: 4 of 4 runs done (2 failed), 4s elapsed"]


def test_the_last_run_past_the_interval_writes_one_line_not_two():
    clock, lines, written = _started(1)
    clock.now = 200.0
    lines.on_record(FAILED)
    assert written == ["sweep: 1 run to run", "sweep: 1 of 1 run done (1 failed), 3m 20s elapsed"]


def test_a_resumed_sweep_says_what_was_done_and_paces_its_eta_on_its_own_runs():
    clock, lines, written = _started(400, 120)
    assert written == ["sweep: 280 of 400 runs to run (120 already done)"]
    for t in (3, 6, 9, 12, 15, 18, 21, 24, 27, 40):  # 10 runs, the 10th at 40 s
        clock.now = float(t)
        lines.on_record(OK)
    # 40 s / 10 runs x 270 left = 1,080 s (not 40 s / 130 runs: the 120 took this sweep no time)
    assert written[1:] == ["sweep: 130 of 400 runs done (0 failed), 40s elapsed, ETA 18m 00s"]


def test_a_resumed_sweep_with_nothing_left_says_so():
    _clock, _lines, written = _started(8, 8)
    assert written == ["sweep: nothing to run, all 8 runs already done"]


def test_the_interval_defaults_to_the_module_constant(monkeypatch):
    monkeypatch.setattr(render_sweep, "INTERVAL_S", 5.0)
    clock = Clock(0.0)
    written: list[str] = []
    lines = ProgressLines(written.append, clock=clock)
    lines.on_start(10, 0)
    clock.now = 4.9
    lines.on_record(OK)
    clock.now = 5.0
    lines.on_record(OK)
    assert written[1:] == ["sweep: 2 of 10 runs done (0 failed), 5s elapsed, ETA 20s"]


@pytest.mark.parametrize("live", [True, False])
def test_quiet_yields_no_callbacks_on_a_terminal_or_off_it(live):
    with sweep_progress(False, live=live) as callbacks:
        assert callbacks == (None, None)


def test_off_a_terminal_sweep_progress_yields_the_lines_callbacks():
    with sweep_progress(True, live=False) as (on_start, on_record):
        assert isinstance(on_start.__self__, ProgressLines)
        assert on_record.__self__ is on_start.__self__


@pytest.fixture
def plain_console(monkeypatch):
    """A fresh console, not a terminal whatever the environment says (typer's runner's output
    is a pipe), and a throttle that writes only the first and last lines."""
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(render_sweep, "INTERVAL_S", 1e9)
    render.console.cache_clear()
    yield
    render.console.cache_clear()


def _sweep(*args: str):
    return CliRunner().invoke(app, ["sweep", *args, "--backend", "serial", "--no-plots"])


def test_a_sweep_off_a_terminal_writes_plain_start_and_end_lines(tmp_path, plain_console):
    study, out = write_study(tmp_path, FAILING), tmp_path / "out"
    result = _sweep(str(study), "--out", str(out))
    assert result.exit_code == 3, result.output
    said = [line for line in result.stderr.splitlines() if line.startswith("sweep: ")]
    assert said[0] == "sweep: 4 runs to run"
    assert said[1].startswith("sweep: 4 of 4 runs done (2 failed), ")
    assert said[1].endswith("s elapsed") and len(said) == 2
    assert "\x1b" not in result.stderr and "\r" not in result.stderr  # no bar, no colour
    # on stderr: the tables on stdout stay alone (``> summary.txt``)
    assert not [line for line in result.stdout.splitlines() if line.startswith("sweep: ")]
    again = _sweep(str(study), "--out", str(out), "--resume")  # the 2 failed runs run again
    said = [line for line in again.stderr.splitlines() if line.startswith("sweep: ")]
    assert said[0] == "sweep: 2 of 4 runs to run (2 already done)"
    assert said[1].startswith("sweep: 4 of 4 runs done (2 failed), ") and len(said) == 2


def test_quiet_writes_no_progress_lines(tmp_path, plain_console):
    result = _sweep(str(write_study(tmp_path, FAILING)), "--out", str(tmp_path / "out"), "-q")
    assert result.exit_code == 3, result.output
    assert "4 runs ran, 0 already done, 2 failed" in result.stdout  # the sweep did run
    assert not [line for line in result.output.splitlines() if line.startswith("sweep: ")]


def test_a_reader_gone_stops_the_tables_not_the_sweep(tmp_path):
    """``colossim sweep ... | head -1`` off a terminal: the lines go to stderr, so the sweep
    writes every run's result and ends as at a closed pipe (141) when its summary table finds
    stdout's reader gone, as before (a first version wrote the lines on stdout, and the start
    line stopped the sweep before any run)."""
    out = tmp_path / "out"
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run([sys.executable, "-m", "colossim", "sweep",
                               str(write_study(tmp_path)), "--backend", "serial", "--out",
                               str(out), "--no-plots"], stdout=write, stderr=subprocess.PIPE,
                              cwd=REPO, timeout=120)
    finally:
        os.close(write)
    said = done.stderr.decode()
    assert done.returncode == 141 and "sweep: 8 runs to run" in said, said
    assert "Traceback" not in said
    with (out / "results.csv").open() as rows:
        assert [row["status"] for row in csv.DictReader(rows)] == ["ok"] * 8
