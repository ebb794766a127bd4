"""Properties of power and failed hardware over random small scenarios, for every shipped policy.

The scenarios are ``test_properties.scenarios()`` with one block changed:

- power never above what is available: the supply is drawn between what the dearest job needs
  alone at its lowest clocks and the cluster's full draw (``strategies.supply_range_mw``), with
  up to two steps later in the run, so it binds and yet every job can finish. Without
  a battery or a ramp limit what is available is the supply itself, so the recorded facility
  level ``power_mw`` must stay at or below the recorded ``supply_mw`` at every instant;
- failed hardware is never used: failures of every class every one to sixteen hours, repairs in
  half an hour, no standby trays (so every GPU, tray and rack fault takes its GPUs out of
  service until the ``until_s`` its ``fault`` event gives). Out-of-service GPUs are rebuilt from
  the record's fault events alone, and each job's GPUs per rack are observed after every change;
  on no rack may held plus out-of-service GPUs exceed the rack, and a rack that is down holds
  nothing.

Every scenario runs under every shipped policy, with the engine's own per-event check
(``check_invariants=True``) on.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from colossim.config.schema import Scenario
from colossim.engine.record import Record, StepSeries
from colossim.engine.simulation import Simulation
from colossim.metrics.summary import summarize
from colossim.model.jobs import JobState
from colossim.policy.registry import make_policy
from colossim.testing.invariants import result_problems
from colossim.testing.runner import with_policy
from colossim.testing.strategies import RACK, scenarios, supply_range_mw
from tests.regression.conftest import shipped_policies

POLICIES = shipped_policies()
SETTINGS = settings(max_examples=10, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])
TOL = 1e-9


def rebuilt(scenario: Scenario, **blocks) -> Scenario:
    """The scenario with some of its top-level or cluster blocks replaced, validated again."""
    data = scenario.model_dump(mode="json", exclude_unset=True)
    cluster = blocks.pop("cluster", {})
    data["cluster"].update(cluster)
    data.update(blocks)
    return Scenario.model_validate(data)


@st.composite
def power_bound(draw) -> Scenario:
    scenario = draw(scenarios())
    low, full = supply_range_mw(scenario)
    # from 1% of the range above the floor: exactly at it, a policy that asks for more than the
    # job's minimum GPUs is refused by the engine and the job may never start (not the subject)
    levels = [low + f * (full - low)
              for f in draw(st.lists(st.floats(0.01, 0.9), min_size=1, max_size=3))]
    times = sorted(draw(st.lists(st.integers(1, 100), min_size=len(levels) - 1,
                                 max_size=len(levels) - 1, unique=True)))
    power = {"supply_mw": levels[0],
             "schedule": [{"at_s": 600.0 * t, "supply_mw": mw}
                          for t, mw in zip(times, levels[1:], strict=True)]}
    return rebuilt(scenario, cluster={"power": power})


def failing() -> st.SearchStrategy[Scenario]:
    """The public strategy's scenarios with failures on (``scenarios(failures=True)``)."""
    return scenarios(failures=True)


@dataclass
class Holdings:
    """A rate modifier that slows no one: after every change it notes each rack's held GPUs,
    with how many record events had happened by then (to order it against faults exactly)."""

    seen: list[tuple[int, float, dict[int, int]]] = field(default_factory=list)

    def factors(self, state) -> dict[int, float]:
        held: dict[int, int] = {}
        for job in state.jobs:
            if job.state is JobState.RUNNING:
                for rack, n in job.grant:
                    held[rack] = held.get(rack, 0) + n
        self.seen.append((len(state.record.events), state.now_s, held))
        return {}


def observed_run(policy: str, scenario: Scenario) -> tuple[Record, Holdings]:
    """Run with the engine's per-event invariant check and a ``Holdings`` observer; the result
    must pass the whole-run checks, every job finished included."""
    scenario = with_policy(scenario, policy, None)
    sim = Simulation(scenario, make_policy(policy), check_invariants=True)
    holdings = Holdings()
    sim.state.modifiers.append(holdings)
    output = sim.run()
    assert result_problems(summarize(output, policy=policy)) == []
    return output.record, holdings


def level_at(series: StepSeries, time_s: float) -> float:
    return series.values[bisect_right(series.times, time_s) - 1]


def out_of_service(record: Record, events: int, now: float, racks: int) -> list[int]:
    """GPUs out of service per rack, from the first ``events`` fault events of the record."""
    failed, down = [0] * racks, [False] * racks
    for event in record.events[:events]:
        data = event.data or {}
        if event.kind != "fault" or data["until_s"] <= now:
            continue
        if data["component"] == "rack":
            down[data["rack"]] = True
        else:
            failed[data["rack"]] += data["gpus"]
    return [RACK if down[r] else min(RACK, failed[r]) for r in range(racks)]


@SETTINGS
@given(scenario=power_bound())
def test_facility_power_never_exceeds_the_supply(scenario):
    for policy in POLICIES:
        record, _ = observed_run(policy, scenario)
        power, supply = record.series["power_mw"], record.series["supply_mw"]
        assert supply.values[0] == scenario.cluster.power.supply_mw
        for time_s in sorted({*power.times, *supply.times}):
            draw, available = level_at(power, time_s), level_at(supply, time_s)
            assert draw <= available * (1 + TOL) + TOL, (
                f"{policy}: {draw} MW > {available} MW at {time_s} s")


@SETTINGS
@given(scenario=failing())
def test_no_job_holds_gpus_that_are_out_of_service(scenario):
    racks = sum(g.racks for g in scenario.cluster.rack_groups)
    for policy in POLICIES:
        record, holdings = observed_run(policy, scenario)  # repairs bring all back
        available = record.series["gpus_available"]
        last_of_instant = {now: i for i, (_, now, _) in enumerate(holdings.seen)}
        for i, (events, now, held) in enumerate(holdings.seen):
            out = out_of_service(record, events, now, racks)
            for rack, n in held.items():
                assert n + out[rack] <= RACK, (
                    f"{policy}: rack {rack} at {now} s: {n} GPUs held, {out[rack]} out of service")
            if last_of_instant[now] == i:  # the record's own level agrees with its fault events
                assert level_at(available, now) == RACK * racks - sum(out), policy


def one_rack_that_fails() -> Scenario:
    """One rack, one single-GPU job, and only rack faults, about one an hour: at times no GPU at
    all is in service, and the job waits for the repair."""
    off = {"enabled": False}
    return Scenario.model_validate({
        "name": "one-rack",
        "cluster": {"pod_size_racks": 1, "rack_groups": [{"gpu_type": "GB200", "racks": 1}],
                    "power": {"supply_mw": 10.0}},
        "jobs": [{"name": "j0", "work_gpu_hours": 2, "reference_gpu": "GB200", "min_gpus": 1,
                  "max_gpus": 1, "placement": "gpu", "checkpoint": {"interval_s": 600.0}}],
        "reliability": {"rack": {"mtbf_gpu_hours": 72.0,
                                 "repair": {"distribution": "fixed", "mean_s": 1800.0}},
                        "gpu": off, "tray": off, "network": off, "software": off},
        "simulation": {"efficiency": 0.4, "horizon_s": 200 * 86400.0},
    })


@pytest.mark.parametrize("policy", POLICIES)
def test_every_policy_waits_out_a_cluster_with_nothing_in_service(policy):
    record, _ = observed_run(policy, one_rack_that_fails())
    assert any(e.kind == "fault" and e.data["component"] == "rack" for e in record.events)
    assert min(record.series["gpus_available"].values) == 0
