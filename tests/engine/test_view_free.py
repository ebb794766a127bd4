"""``view.racks.free`` counts only GPUs a grant may take: none on a spare or failed rack.

QA: the view gave the ledger's count, so a spare rack showed 72 free GPUs and a rack out of
service its healthy GPUs; a policy placing on ``free`` alone (as docs/policies.md says to)
met 38 refusals on ``busy`` ("rack 3 is a spare"), where the docs promise none."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from colossim.api import load_scenario, simulate
from colossim.policy.actions import Start
from colossim.policy.placement import claim
from colossim.policy.registry import make_policy

FAILURES = Path(__file__).parents[1] / "regression" / "scenarios" / "failures_small.yaml"


class Watcher:
    """fifo, noting at each call what the view says of racks a grant may not take."""

    name = "watcher"

    def __init__(self) -> None:
        self.inner = make_policy("fifo")
        self.unusable_free: list[int] = []
        self.unusable_racks = 0

    def decide(self, view):
        racks = view.racks
        blocked = ~racks.usable
        self.unusable_racks += int(blocked.sum())
        self.unusable_free.append(int(racks.free[blocked].sum()))
        return self.inner.decide(view)


def test_a_spare_rack_shows_no_free_gpus():
    watcher = Watcher()
    simulate(load_scenario("busy"), policy=watcher)  # rack 3 of 4 is the hot spare
    assert watcher.unusable_racks >= len(watcher.unusable_free) > 0
    assert set(watcher.unusable_free) == {0}


def test_a_failed_rack_shows_no_free_gpus():
    watcher = Watcher()
    result = simulate(load_scenario(FAILURES), policy=watcher)
    assert result.reliability.faults > 0
    assert set(watcher.unusable_free) == {0}


class FirstFitOnFree:
    """First fit over ``view.racks.free`` alone, in whole racks (busy's grain is 72 or a
    GPU: a whole rack suits both): it never reads ``usable``."""

    name = "first-fit-on-free"

    def decide(self, view):
        free = np.array(view.racks.free)
        actions = []
        for job in view.pending:
            need = -(-job.config.min_gpus // 72) * 72
            grant = []
            for rack in np.flatnonzero(free == 72).tolist():
                if need == 0:
                    break
                grant.append((rack, 72))
                need -= 72
            if need == 0 and sum(n for _r, n in grant) <= job.config.max_gpus:
                claim(free, tuple(grant))
                actions.append(Start(job.name, tuple(grant)))
        return actions


def test_placing_on_free_alone_meets_no_refusal():
    result = simulate(load_scenario("busy"), policy=FirstFitOnFree())
    verdicts = {d.verdict for d in result.record.decisions}
    assert "applied" in verdicts and verdicts == {"applied"}, [
        (d.action, d.reason) for d in result.record.decisions if d.verdict != "applied"][:3]
