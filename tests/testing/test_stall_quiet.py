"""A run whose jobs can never progress is stopped even when it has few events (QA: one GB200
rack under a 0.07 MW supply, failures on: j1, 72 GPUs, needs 0.0803 MW at the lowest clocks and
never starts, and strict fifo waits behind it; the rack's faults, a few a month, never made the
100,000 events the guard counted, so the run idled to its ten-year horizon and reported 5,775
MWh). The engine now reports progress at least once per simulated day, with its event count,
and the guard stops a run a year after the last change its scenario schedules."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from colossim.api import load_scenario, run_scenario
from colossim.cli.app import app
from colossim.errors import ColossimWarning
from colossim.testing.starvation import Stalled, StallGuard, guard_for
from tests.stalled_case import run_args, unpowered

DAY = 86_400.0
UNPOWERED = [*unpowered(), "reliability.enabled=true"]


class Recorder:
    """A progress callback that takes the engine's event count."""

    counts_events = True

    def __init__(self) -> None:
        self.calls: list[tuple[float, float, int]] = []

    def __call__(self, now_s: float, fraction: float, events: int) -> None:
        self.calls.append((now_s, fraction, events))


def test_progress_comes_once_a_simulated_day_with_the_events_so_far():
    recorder = Recorder()
    out = run_scenario(load_scenario("busy"), progress=recorder)
    assert out.events < 2048  # so every call but the last comes by time
    times = [event.time_s for event in out.record.events]
    calls = recorder.calls
    # the first event a day or more after the last call, then the end (2.88 days)
    assert calls[0][0] == min(t for t in times if t >= DAY)
    assert calls[1][0] == min(t for t in times if t >= calls[0][0] + DAY) == out.end_s
    assert calls[-1] == (out.end_s, 1.0, out.events) and len(calls) == 3
    assert 0 < calls[0][1] < 1 and 0 < calls[0][2] < out.events
    plain: list[tuple[float, float]] = []  # a two-argument callback is called as before
    run_scenario(load_scenario("busy"), progress=lambda now, done: plain.append((now, done)))
    assert plain == [call[:2] for call in calls]


def test_a_year_without_progress_after_the_last_scheduled_change_stops_the_run():
    guard = StallGuard(last_arrival_s=100.0, horizon_s=3.15e8, scheduled_until_s=100.0)
    for day in range(1, 366):  # one event a day, no work: 365 days less 100 s is not a year
        guard(day * DAY, 0.0, day)
    with pytest.raises(Stalled, match=r"in 365 events from t=0 s to t=3\.15361e\+07 s, 365 "
                                      r"days, \(no work had moved since the start;"):
        guard(365 * DAY + 100, 0.0, 366)
    later = StallGuard(last_arrival_s=100.0, horizon_s=3.15e8, scheduled_until_s=200 * DAY)
    for day in range(1, 565):  # a long scheduled outage ends at day 200: a year from then
        later(day * DAY, 0.0, day)
    with pytest.raises(Stalled):
        later(565 * DAY, 0.0, 565)


def test_the_last_scheduled_change_counts_supply_events_maintenance_and_fabric_faults():
    scenario = load_scenario("small", [
        "cluster.power.events=[{kind: dip, start_s: 1000, duration_s: 5e6, supply_mw: 0.1}]",
        "reliability.enabled=true",
        "reliability.maintenance=[{start_s: 0, duration_s: 7e6, pods: [0]}]",
        "cluster.fabric.events=[{time_s: 2e6, duration_s: 6e6}]",
    ])
    assert guard_for(scenario).scheduled_until_s == 8e6  # the fabric fault's end
    assert guard_for(load_scenario("small")).scheduled_until_s == 7_200  # the last arrival


def test_run_stops_a_run_of_few_events_and_names_the_supply_not_the_policy():
    result = CliRunner().invoke(app, run_args(UNPOWERED))
    assert result.exit_code == 1, result.output
    error = result.stderr.splitlines()[-1]  # after the load warning naming j1
    assert error.startswith("error: starved: policy 'fifo' on scenario 'small': no job "
                            "progressed or completed in")
    assert " days, (no work had moved since the start;" in result.stderr
    assert ("The supply (at most 0.07 MW) can never power j1 (0.0803 MW), alone on the fewest "
            "GPUs at the lowest clocks, so a policy that waits for them waits for ever; raise "
            "cluster.power.supply_mw or lower min_gpus") in result.stderr
    assert "A policy must eventually" not in result.stderr


def test_a_run_stops_once_only_jobs_the_supply_can_never_power_are_left():
    """As above, but sjf runs j2 (1 GPU-hour, from 100 s), the shorter, beside the unpowerable j1:
    j2 is done at 3,700 s, and all that is left (j1's 720 of the 721 GPU-hours) can never be
    powered. The run stops at the engine's first look after that, not 100,000 events or a
    quiet year later (QA: Colossus 2 at 510 MW took over ten minutes to stop)."""
    from colossim.testing.starvation import powerable_share

    overrides = [*UNPOWERED, "scheduler.policy.name=sjf"]
    with pytest.warns(ColossimWarning, match="job j1 can never start"):
        scenario = load_scenario("small", overrides)
    assert powerable_share(scenario) == pytest.approx(1 / 721)
    result = CliRunner().invoke(app, run_args(overrides))
    assert result.exit_code == 1, result.output
    said = " ".join(result.stderr.split())
    assert "error: starved: policy 'sjf' on scenario 'small': by t=" in said
    assert "all the work the supply can power was done (0.14% of the total)" in said
    assert "The supply (at most 0.07 MW) can never power j1 (0.0803 MW)" in said
    stopped_s = float(said.split("by t=")[1].split(" s")[0].replace(",", ""))
    # at the engine's second look after j2's end (a look comes a day on, at the next event: on
    # one rack, a fault some weeks later), long before the quiet year the rule above waits for
    assert 3_700 + DAY <= stopped_s < 365 * DAY


def test_the_guard_waits_for_a_supply_step_scheduled_later():
    # all the powerable work is done, but a supply change is still to come: not yet stuck
    guard = StallGuard(last_arrival_s=100.0, horizon_s=3.15e8, scheduled_until_s=10 * DAY,
                       reachable=0.5)
    guard(DAY, 0.5, 10)
    guard(9 * DAY, 0.5, 20)
    guard(10 * DAY, 0.5, 30)  # the first look that finds it: it may be the run's last
    with pytest.raises(Stalled, match="all the work the supply can power was done"):
        guard(11 * DAY, 0.5, 40)
