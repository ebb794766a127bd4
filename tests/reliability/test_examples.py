"""The reliability examples load, and the numbers their comments quote are the model's."""

from __future__ import annotations

from pathlib import Path

import pytest

from colossim.api import load_scenario
from colossim.engine.simulation import Simulation
from colossim.policy.registry import make_policy
from tests.reliability.helpers import reliability_of

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


# a short horizon on purpose: its warning of jobs past the horizon is expected
@pytest.mark.filterwarnings("ignore::colossim.errors.ColossimWarning")
def test_the_checkpoint_interval_example_quotes_young_and_daly_for_the_10t_job():
    scenario = load_scenario(EXAMPLES / "checkpoint_interval.yaml",
                             ["simulation.horizon_s=1", "simulation.speed_model=linear"])
    sim = Simulation(scenario, make_policy("fifo"))
    sim.run()
    cks = reliability_of(sim).checkpoints
    ck = cks.jobs[0]
    assert ck.job.gpus == 221_184
    # per GPU-hour: 419 / 21,233,664 (Llama 3) + 1 / 1,261,440 (racks) = 2.05258e-5, so on
    # 221,184 GPUs M = 3,600 / (221,184 x 2.05258e-5) = 792.9 s; delta = 140 TB / 2 TB/s = 70 s
    assert cks.write_cost_s(ck) == pytest.approx(70.0)
    assert cks.interval_s(ck) == pytest.approx(288.2, abs=0.1)  # Daly, as the file says 288
    young = ck.cfg.model_copy(update={"method": "young"})
    ck.cfg = young
    assert cks.interval_s(ck) == pytest.approx((2 * 70 * 792.9) ** 0.5, rel=1e-4)  # 333 s


def test_the_hot_spares_example_is_768_racks_plus_its_spares():
    scenario = load_scenario(EXAMPLES / "hot_spares.yaml")
    racks = scenario.cluster.rack_groups[0].racks
    assert racks - scenario.cluster.spare_racks == 768
    assert scenario.jobs[0].min_gpus == scenario.jobs[0].max_gpus == 768 * 72
    assert scenario.reliability.enabled
