"""Preemptions and resizes cost a checkpoint-restart (engine.switch_costs), by hand.

A pool of 1-GPU A100 racks; job "a" has 5 A100 GPU-hours of work and a 2,000 GB checkpoint.
The default storage (2 TB/s write, 7 TB/s read) is far faster than one A100's own path to it,
its NIC's 200 Gb/s (25 GB/s): so a switch on one GPU is an 80 s write, the relaunch, and an
80 s read, paused on the job's new GPUs. The job keeps all its progress.
"""

from __future__ import annotations

import pytest

from colossim.engine.simulation import Simulation
from colossim.metrics.summary import summarize
from colossim.policy.actions import Preempt, Resize, Start, WakeAt
from colossim.policy.api import BasePolicy
from tests.conftest import make_scenario

HOUR = 3600.0
NIC = 200e9 / 8  # an A100's NIC, B/s (below the 50 GB/s copy to host memory)
SAVE_S, LOAD_S = 2000e9 / min(2e12, NIC), 2000e9 / min(7e12, NIC)  # 80 s each


class Script(BasePolicy):
    """Plays fixed actions at fixed times (and asks to be woken for the next)."""

    name = "script"

    def __init__(self, steps: dict[float, list]):
        super().__init__()
        self.steps = steps

    def decide(self, view):
        actions = list(self.steps.pop(view.now_s, []))
        later = [t for t in self.steps if t > view.now_s]
        return actions + ([WakeAt(min(later))] if later else [])


def run(steps: dict[float, list], **switch_costs):
    job = {"name": "a", "work_gpu_hours": 5, "reference_gpu": "A100", "placement": "gpu",
           "min_gpus": 1, "max_gpus": 2, "checkpoint": {"size_gb": 2000}}
    scenario = make_scenario(
        [job], racks={"A100": 2},
        catalog={"A100": {"gpus_per_rack": 1, "gpus_per_domain": 1}},
        scheduler={"switch_costs": switch_costs} if switch_costs else {},
    )
    return summarize(Simulation(scenario, Script(steps), check_invariants=True).run(),
                     policy="script")


PREEMPT = {0.0: [Start("a", ((0, 1),))], HOUR: [Preempt("a")], 2 * HOUR: [Start("a", ((1, 1),))]}


def test_a_preempted_job_pays_write_relaunch_and_read_when_it_starts_again():
    # 1 h done by t=1 h; back at 2 h, paused 80 + 60 + 80 s, then the 4 h left
    result = run({t: list(a) for t, a in PREEMPT.items()}, restart_s=60.0)
    a = result.job("a")
    assert a.end_s == pytest.approx(2 * HOUR + SAVE_S + 60.0 + LOAD_S + 4 * HOUR, rel=1e-12)
    assert a.work_done_flops == pytest.approx(a.work_flops, rel=1e-12)  # nothing lost
    assert a.restart_gpu_hours == pytest.approx((SAVE_S + 60.0 + LOAD_S) / HOUR, rel=1e-9)


def test_a_resize_pauses_the_job_at_once_on_its_new_gpus():
    # 1 h on 1 GPU, then 4 GPU-h left on 2 GPUs = 2 h, after an 80 + 120 + 40 s pause: saved
    # through the one GPU it held, read back through the two it holds now
    result = run({0.0: [Start("a", ((0, 1),))], HOUR: [Resize("a", ((0, 1), (1, 1)))]})
    assert result.job("a").end_s == pytest.approx(
        HOUR + SAVE_S + 120.0 + LOAD_S / 2 + 2 * HOUR, rel=1e-12)
    pauses = [e for e in result.record.events if e.kind == "pause"]
    assert [(e.time_s, e.data["phase"]) for e in pauses] == [(HOUR, "resize")]


def test_switches_are_free_when_switch_costs_are_off():
    result = run({t: list(a) for t, a in PREEMPT.items()}, enabled=False)
    assert result.job("a").end_s == pytest.approx(6 * HOUR, rel=1e-12)
    assert not [e for e in result.record.events if e.kind == "pause"]
