"""The engine's speed caches never leave a job at a stale rate.

The power model caches each job's draw and speed per grant (carried over on a hot-spare swap)
and the enforcer's searches; a cache that missed a change would leave a job running at the rate
of a state that no longer holds. Here, after every event of runs with failures, spare swaps,
restarts and supply steps, every running job's rate must equal what a fresh model computes from
scratch: the performance model's rate on its grant x the power speed of its caps and clock limit
(x 0 unless it computes), and the facility draw a fresh model sums.
"""

from __future__ import annotations

from colossim.engine.simulation import Simulation
from colossim.model.jobs import JobState, Phase
from colossim.model.power import PowerModel
from tests.reliability.helpers import job, quiet, run, simulation

HOUR = 3600.0


def _watch(sim: Simulation) -> dict[str, int]:
    """Check every running job's rate against a fresh model after each settle; count what was
    seen (the test must exercise restarts, swaps and supply steps, not only quiet stretches)."""
    seen = {"checks": 0, "restarted": 0, "swapped": 0}
    supply_steps: set[float] = set()
    state = sim.state
    settle = sim._after_change
    last_phase: dict[int, Phase] = {}

    def checked() -> None:
        settle()
        fresh = PowerModel(state.layout, state.scenario.cluster.power)
        fresh.dark = state.power_model.dark
        for j in state.jobs:
            if j.state is not JobState.RUNNING:
                last_phase.pop(j.index, None)
                continue
            speed = fresh.job_speed(j)
            factor = speed if speed < 1.0 else 1.0  # the power modifier reports factors < 1
            want = state.rate_for(j, j.grant) * factor if j.phase is Phase.COMPUTE else 0.0
            assert j.rate == want, (j.name, state.now_s, j.rate, want)
            assert j.factor == factor
            assert fresh.job_it_w(j) == state.power_model.job_it_w(j)
            if last_phase.get(j.index) is Phase.RESTART and j.phase is Phase.COMPUTE:
                seen["restarted"] += 1
            last_phase[j.index] = j.phase
            seen["checks"] += 1
        assert fresh.draw_mw(state.jobs) == state.power_mw()
        kinds = {e.kind for e in state.record.events[-20:] if e.time_s == state.now_s}
        seen["swapped"] += "swap" in kinds
        if "supply" in kinds:
            supply_steps.add(state.now_s)
        seen["supply"] = len(supply_steps)

    sim._after_change = checked
    return seen


def test_rates_after_failures_swaps_and_supply_steps_equal_a_fresh_computation():
    # Two 72-GPU jobs on four racks, one rack a hot spare; GPU failures every ~2 h of the
    # cluster's GPU-hours, so restarts and swaps are frequent; a checkpoint every half hour.
    # The facility draws 0.264 MW idle and 0.422 MW with both jobs computing at full clocks;
    # the supply steps down to 0.36 MW, so the enforcer must clock the jobs down, then lift
    # the limit when the supply comes back.
    reliability = quiet(gpu={"mtbf_gpu_hours": 300.0,
                                             "repair": {"distribution": "fixed", "mean_s": HOUR}},
                        spares={"racks_per_pod": 1})
    jobs = [job(name="a", checkpoint={"interval_s": 1800.0}),
            job(name="b", checkpoint={"interval_s": 1800.0})]
    power = {"supply_mw": 1.0, "schedule": [{"at_s": 5 * HOUR, "supply_mw": 0.36},
                                            {"at_s": 9 * HOUR, "supply_mw": 1.0}]}
    sim = simulation(jobs, reliability, racks=4, seed=3, pod_size_racks=4,
                     cluster={"power": power})
    seen = _watch(sim)
    result = run(sim)
    assert not result.unfinished
    assert seen["checks"] > 100
    assert seen["restarted"] > 0 and seen["swapped"] > 0 and seen["supply"] == 2
    limits = [e for e in result.record.events if e.kind == "power_limit"]
    assert any(e.data["clock"] is not None for e in limits)  # the step down was enforced
    assert limits[-1].data["clock"] is None  # and lifted once the supply returned
