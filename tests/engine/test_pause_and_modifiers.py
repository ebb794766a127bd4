"""The seams later models use: pausing a job (checkpoint/restart) and shared-resource slowdowns."""

from __future__ import annotations

import pytest

from colossim.engine.simulation import Simulation
from colossim.metrics.summary import summarize
from colossim.model.jobs import Phase
from colossim.policy.registry import make_policy
from tests.conftest import make_scenario

# 10B x 90B tokens x 6 = 5.4e21 FLOPs on 72 GB200 at 2.5e15 x 0.5: 60,000 s undisturbed.
JOB = {"name": "a", "params_billion": 10, "tokens_billion": 90, "min_gpus": 72, "max_gpus": 72}


def sim_of(jobs=(JOB,), racks=1):
    scenario = make_scenario(list(jobs), racks=racks)
    return Simulation(scenario, make_policy("fifo"), check_invariants=True)


def test_a_pause_delays_completion_by_its_length():
    sim = sim_of()
    job = sim.state.by_name["a"]
    sim.call_at(1_000.0, lambda: sim.pause_job(job, 500.0, Phase.CHECKPOINT))
    result = summarize(sim.run(), "fifo")
    assert result.job("a").end_s == pytest.approx(60_500.0)
    # GPUs stay held while paused: GPU-hours include the pause
    assert result.job("a").gpu_hours == pytest.approx(72 * 60_500 / 3600)
    kinds = [e.kind for e in result.record.events if e.job == "a" and e.kind != "fabric"]
    assert kinds == ["submit", "start", "pause", "resume", "complete"]
    # its traffic stays in its rack: the fabric says when it computes there, with no share
    fabric = [(e.time_s, e.data["computing"], e.data["comm_fraction"])
              for e in result.record.events if e.job == "a" and e.kind == "fabric"]
    assert fabric == [(0.0, True, 0.0), (1_000.0, False, 0.0), (1_500.0, True, 0.0),
                      (pytest.approx(60_500.0), False, 0.0)]


def test_a_pause_made_stale_by_a_second_pause_is_ignored():
    sim = sim_of()
    job = sim.state.by_name["a"]
    sim.call_at(1_000.0, lambda: sim.pause_job(job, 500.0, Phase.RESTART))
    # at 1,200 s a second pause of 1,000 s replaces the first: resume at 2,200, not 1,500
    sim.call_at(1_200.0, lambda: sim.pause_job(job, 1_000.0, Phase.RESTART))
    result = summarize(sim.run(), "fifo")
    # progress: 1,000 s before, none until 2,200, then the remaining 59,000 s
    assert result.job("a").end_s == pytest.approx(2_200.0 + 59_000.0)


class Half:
    """Slows job 0 to half speed from the start."""

    def factors(self, state):
        return {0: 0.5}


def test_a_rate_modifier_slows_the_job_by_its_factor():
    sim = sim_of()
    sim.state.modifiers.append(Half())
    result = summarize(sim.run(), "fifo")
    assert result.job("a").end_s == pytest.approx(120_000.0)
