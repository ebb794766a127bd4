"""The example studies stay valid as the schema grows, with their hand-counted sizes."""

from __future__ import annotations

import pytest

from colossim.sweep.expand import expand
from colossim.sweep.spec import load_study
from tests.sweep.sweep_helpers import REPO

EXAMPLES = REPO / "examples" / "studies"


@pytest.mark.parametrize(
    ("name", "runs"),
    [
        ("power_budget", 5 * 2 * 5),       # 700..1500 step 200 x 2 policies x 5 seeds
        ("gb300_share", 6 * 3),            # 6 zipped rack splits x 3 seeds
        ("checkpoint_interval", 5 * 3),    # 5 intervals x 3 seeds
        ("oversubscription", 7 * 2 * 3),   # 7 ratios x 2 policies x 3 seeds
    ],
)
def test_example_study_expands(name, runs):
    plan = expand(load_study(EXAMPLES / f"{name}.yaml"))
    assert len(plan.runs) == runs


def test_gb300_share_keeps_the_rack_count():
    plan = expand(load_study(EXAMPLES / "gb300_share.yaml"))
    for run in plan.runs:
        groups = {g.gpu_type: g.racks for g in run.scenario.cluster.rack_groups}
        assert groups["GB200"] + groups["GB300"] == 4480 + 3136  # Colossus 2's 7,616 racks
