"""A run stalled by a fabric cut still in force says so, naming the fault, not the policy.

QA: every pod's rack tier is cut at 3,600 s for good (no ``duration_s``). ``big`` needs at least
144 GPUs, two GB200 racks of 72, so its traffic crosses the rack tier wherever it goes; the
placers keep it off cut tiers and it stays pending. The note used to ask "Did the policy leave
them pending?".
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from colossim.api import load_scenario
from colossim.cli.app import app
from colossim.metrics.cuts import Cut, largest_uncut
from tests.fabric.helpers import cut_scenario

CUT_ALL_PODS = cut_scenario("      tier: rack\n", "fifo")  # every pod's rack tier


def test_a_stall_after_a_permanent_cut_names_the_fault_not_the_policy(tmp_path):
    """With every rack tier cut, a job holds one rack at most: 72 GPUs, under big's 144."""
    path = tmp_path / "cut_allpods.yaml"
    path.write_text(CUT_ALL_PODS)
    result = CliRunner().invoke(app, ["run", str(path), "--quiet"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    assert "stalled at" in out and "never finished: big (pending)." in out
    assert ("A fabric cut is still in force (cluster.fabric.events[0], the rack tier of every "
            "pod at zero capacity since 3,600 s; never repaired): placers keep jobs that span "
            "racks off cut tiers, and the largest set of racks that crosses no cut holds 72 GPUs "
            "(big needs at least 144). Give the fault a duration_s to repair it "
            "(docs/fabric.md, Cuts).") in out
    assert "Did the policy" not in out


def test_the_largest_uncut_placement_by_hand(tmp_path):
    """4 racks of 72 in pods of 2 (288 GPUs). Nothing cut: all 288. Pod 0's uplinks cut: one
    pod (144; pod 1 alone is also 144). The core cut: one pod, 144. Every rack tier cut: one
    rack, 72."""
    path = tmp_path / "cut_allpods.yaml"
    path.write_text(CUT_ALL_PODS)
    scenario = load_scenario(str(path))
    assert largest_uncut(scenario, []) == 288
    assert largest_uncut(scenario, [Cut("f", "pod", 0, 0.0)]) == 144
    assert largest_uncut(scenario, [Cut("f", "core", None, 0.0)]) == 144
    assert largest_uncut(scenario, [Cut("f", "rack", None, 0.0)]) == 72
    assert largest_uncut(scenario, [Cut("f", "rack", 0, 0.0)]) == 144


@pytest.mark.parametrize("policy", ["max-min-fair", "finish-time-fair"])
def test_round_based_policies_stop_waking_when_nothing_runs(tmp_path, policy):
    """QA: with ``big`` unplaceable after the cut and ``small`` done, max-min-fair woke every
    round and finish-time-fair every min_run_s to the 10-year horizon (322,738 events). A wake
    with no job running changes nothing (the next event calls the policy anyway): the run now
    stalls within a day of simulated time, as fifo's does, and the note names the cut."""
    from colossim.api import simulate

    path = tmp_path / "cut_allpods.yaml"
    path.write_text(CUT_ALL_PODS)
    result = simulate(load_scenario(str(path), policy=policy))
    big = next(j for j in result.jobs if j.name == "big")
    assert big.state == "pending" and result.end_s < 86_400 and result.events < 1_000


def test_racks_held_back_as_spares_do_not_count_as_room_clear_of_the_cut(tmp_path):
    """QA: with one rack held as a spare (``cluster.spare_racks: 1``: the last, in pod 1) and
    pod 0's rack tier cut, a job spanning racks has pod 1's other rack or one rack of pod 0:
    144 GPUs at most (2 racks in pod 1 if the spare counted: wrongly 216 with 3 in all)."""
    path = tmp_path / "cut_spare.yaml"
    path.write_text(CUT_ALL_PODS.replace("  pod_size_racks: 2\n",
                                         "  pod_size_racks: 2\n  spare_racks: 1\n"))
    scenario = load_scenario(str(path))
    assert largest_uncut(scenario, [Cut("f", "rack", 0, 0.0)]) == 72
    assert largest_uncut(scenario, []) == 216  # 3 racks usable of 4, no cut


def test_two_cuts_in_force_are_named_in_the_plural(tmp_path):
    """Pod 0's uplinks and pod 1's rack tier cut: a job spanning racks gets one pod's 2 racks
    at most (pod 0's), 144 GPUs; big needs 144 at least, so min_gpus 216 makes it wait."""
    path = tmp_path / "two_cuts.yaml"
    path.write_text(CUT_ALL_PODS.replace("      tier: rack\n", "      tier: pod\n      pod: 0\n"
                                         "      capacity_fraction: 0\n    - time_s: 3600\n"
                                         "      tier: rack\n      pod: 1\n")
                    .replace("min_gpus: 144", "min_gpus: 216"))
    result = CliRunner().invoke(app, ["run", str(path), "--quiet"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    assert "2 fabric cuts are still in force" in out and "holds 144 GPUs" in out
    assert "Give the faults a duration_s to repair them" in out
    assert "slowed no job" not in out  # a cut moves or stalls jobs; it is not a slowdown
