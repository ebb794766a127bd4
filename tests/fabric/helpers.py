"""Small fabric scenarios whose shares can be solved by hand.

GB200 racks of 72 GPUs with 400 Gb/s NICs: 50 GB/s per GPU per direction. The job below has a
pinned plan (tp 8 x pp 9 = one replica per NVLink domain, dp 2) and no DP overlap, so its DP
reduce-scatter + all-gather runs entirely over the NICs and its time scales exactly as 1/bandwidth:
ZeRO-1 moves 2 bytes/param twice over a ring of n = 2 ranks, each rank holding 72e9 / 9 stages
/ 8 TP = 1e9 parameters: 2 x (n-1)/n x 2 B x 1e9 / 50 GB/s = 0.04 s per step at line rate.
"""

from __future__ import annotations

from typing import Any, ClassVar

from colossim.engine.simulation import Simulation
from colossim.metrics.result import RunResult
from colossim.metrics.summary import summarize
from colossim.policy.actions import Start
from colossim.policy.api import BasePolicy
from tests.conftest import make_scenario

NIC_GBYTES_S = 400 / 8
RACK = 72
DP_AT_LINE_RATE_S = 0.04
PEAK_BF16 = 2500e12
EFFICIENCY = 0.5  # make_scenario's linear speed model


def job(name: str, racks: int = 2, tokens_billion: float = 0.1, **extra: Any) -> dict[str, Any]:
    """A 72B dense job on ``racks`` whole racks, its communication time set by DP alone."""
    return {
        "name": name,
        "params_billion": 72,
        "tokens_billion": tokens_billion,
        "min_gpus": RACK * racks,
        "max_gpus": RACK * racks,
        "training": {
            "layers": 36, "hidden_size": 12288, "attention_heads": 96,
            "plan": {"tp": 8, "pp": 9, "dp": 2 * racks // 2, "interleave": 1},
            "dp_overlap_fraction": 0.0, "global_batch_tokens": 32768,
        },
        **extra,
    }


def fabric_scenario(jobs: list[dict[str, Any]], racks: int, pod_size_racks: int,
                    **fabric: Any):
    """GB200 racks in pods of ``pod_size_racks`` with the given ``cluster.fabric`` settings."""
    return make_scenario(jobs, racks=racks, pod_size_racks=pod_size_racks,
                         cluster={"fabric": fabric})


class Fixed(BasePolicy):
    """Starts each job on the racks the test names (whole racks), as soon as it is pending."""

    name: ClassVar[str] = "fixed"
    racks: ClassVar[dict[str, list[int]]] = {}

    def decide(self, view):
        return [Start(j.name, tuple((r, RACK) for r in self.racks[j.name]))
                for j in view.pending if j.name in self.racks]


def run_fixed(scenario, racks: dict[str, list[int]], check: bool = True) -> RunResult:
    policy = type("FixedHere", (Fixed,), {"racks": racks})()
    sim = Simulation(scenario, policy, check_invariants=check)
    return summarize(sim.run(), "fixed")


def linear_rate(racks: int) -> float:
    """The linear speed model's FLOP/s on whole racks: GPUs x peak x efficiency."""
    return RACK * racks * PEAK_BF16 * EFFICIENCY


def work(tokens_billion: float = 0.1) -> float:
    """Linear-model work: 6 x N x D."""
    return 6 * 72e9 * tokens_billion * 1e9


CUT_SCENARIO = """
name: cutpod
cluster:
  name: c
  pod_size_racks: 2
  rack_groups:
  - gpu_type: GB200
    racks: 4
  power:
    supply_mw: 1.0
  fabric:
    events:
    - time_s: 3600
{event}      capacity_fraction: 0
jobs:
- name: big
  params_billion: 70
  tokens_billion: 30
  min_gpus: 144
  max_gpus: 216
- name: small
  params_billion: 8
  tokens_billion: 10
  min_gpus: 72
  max_gpus: 72
scheduler:
  policy:
    name: {policy}
simulation:
  seed: 0
  check_invariants: true
{simulation}"""


def cut_scenario(event: str, policy: str, simulation: str = "") -> str:
    """QA's cut scenarios: 4 GB200 racks in pods of 2, a fault cutting ``event`` (YAML lines of
    the fault, indented six spaces) to zero capacity at 1 h for good; ``big`` needs 144 to 216
    GPUs (two or three racks), ``small`` 72 (one)."""
    return CUT_SCENARIO.format(event=event, policy=policy, simulation=simulation)
