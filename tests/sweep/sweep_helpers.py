"""Helpers for the sweep tests: study files on disk and a policy that raises on demand."""

from __future__ import annotations

import os
import time
from pathlib import Path

from colossim.policy.builtin.fifo import Fifo

REPO = Path(__file__).resolve().parents[2]
SMALL = REPO / "configs" / "small.yaml"

# 2 policies x 2 sizes of llm-70b x 2 seeds = 8 runs of configs/small.yaml
STUDY = f"""\
name: tiny
base: {SMALL}
parameters:
  scheduler.policy.name: [fifo, priority]
  jobs.llm-70b.max_gpus: [72, 144]
seeds: 2
metrics: [makespan_s, cluster.gpu_utilization, jobs.moe-200b.jct_s]
"""


# 2 points x 2 seeds = 4 runs; the 2 with explode: true raise (``Boom``)
FAILING = f"""\
base: {SMALL}
set:
  scheduler.policy.name: "tests.sweep.sweep_helpers:Boom"
parameters:
  scheduler.policy.params.explode: [false, true]
seeds: 2
metrics: [makespan_s]
"""


def write_study(folder: Path, text: str = STUDY, name: str = "study.yaml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


class Boom(Fifo):
    """FIFO that raises on its first decision when ``explode`` is set (a policy with a bug), or
    kills its process when ``die`` is set (a worker killed by the OS)."""

    name = "boom"

    class Params(Fifo.Params):
        explode: bool = False
        die: bool = False

    def decide(self, view):
        if self.params.die:
            os._exit(1)
        if self.params.explode:
            raise RuntimeError("boom: a bug in the policy")
        return super().decide(view)


class Slow(Fifo):
    """FIFO whose first decision of a run waits ``delay_s``, after leaving a file in
    ``marker_dir`` that says a run has started: a test can tell how many runs a worker has begun,
    and so finished, before it interrupts the sweep."""

    name = "slow"

    class Params(Fifo.Params):
        delay_s: float = 0.0
        marker_dir: str = ""

    def decide(self, view):
        if not getattr(self, "_started", False):
            self._started = True
            if self.params.marker_dir:
                marker = Path(self.params.marker_dir) / f"{os.getpid()}-{time.monotonic_ns()}"
                marker.touch()
            time.sleep(self.params.delay_s)
        return super().decide(view)
