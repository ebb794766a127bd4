"""A paused job's view says what it is doing (QA: its rate read 0 with no way to tell a pause,
and an elastic policy resized it again mid-pause)."""

from __future__ import annotations

import pytest

from colossim.api import load_scenario, simulate
from colossim.policy.actions import Preempt, Resize, Start, WakeAt
from colossim.policy.api import BasePolicy


class Scripted(BasePolicy):
    """Starts llm-70b on rack 0 and image-2b on rack 2; at 100 s grows llm-70b onto rack 1
    (a resize's pause) and moves image-2b by preempting and starting it (a restart's pause);
    at 150 s, inside both pauses, and at 400 s, after them, notes what it sees."""

    name = "scripted"

    def __init__(self, params=None):
        super().__init__(params)
        self.seen: dict[float, dict[str, tuple[str, float]]] = {}

    def decide(self, view):
        if view.now_s in (150.0, 400.0):
            self.seen[view.now_s] = {j.name: (j.phase, j.rate) for j in view.running}
        return {0.0: [Start("llm-70b", ((0, 72),)), Start("image-2b", ((2, 64),)),
                      WakeAt(100.0)],
                100.0: [Resize("llm-70b", ((0, 72), (1, 72))), Preempt("image-2b"),
                        Start("image-2b", ((3, 64),)), WakeAt(150.0)],
                150.0: [WakeAt(400.0)]}.get(view.now_s, [])


@pytest.mark.filterwarnings("ignore::colossim.errors.ColossimWarning")  # a short horizon
def test_a_paused_jobs_view_says_its_phase_and_a_computing_ones_compute():
    policy = Scripted()
    scenario = load_scenario("small", ["jobs.image-2b.submit_s=0", "jobs.llm-8b.submit_s=1e6",
                                       "jobs.moe-200b.submit_s=1e6", "simulation.horizon_s=2000"])
    result = simulate(scenario, policy=policy)
    pauses = {e.job: (e.time_s, e.data["phase"]) for e in result.record.events
              if e.kind == "pause"}
    assert pauses == {"llm-70b": (100.0, "resize"), "image-2b": (100.0, "restart")}
    during, after = policy.seen[150.0], policy.seen[400.0]
    assert during == {"llm-70b": ("resize", 0.0), "image-2b": ("restart", 0.0)}
    assert {name: phase for name, (phase, _rate) in after.items()} == {
        "llm-70b": "compute", "image-2b": "compute"}
    assert all(rate > 0 for _phase, rate in after.values())
