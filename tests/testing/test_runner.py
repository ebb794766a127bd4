"""``run_policy`` runs the policy it is given: a name, a ``module:Class`` path or a class."""

from __future__ import annotations

import pytest

from colossim.errors import PolicyError
from colossim.policy.staged import StagedPolicy
from colossim.testing.runner import run_policy

# three one-rack jobs arriving together on one rack: whoever goes first finishes first
JOBS = ("jobs=[{name: a, work_gpu_hours: 36, reference_gpu: GB200, min_gpus: 72, max_gpus: 72},"
        " {name: b, work_gpu_hours: 72, reference_gpu: GB200, min_gpus: 72, max_gpus: 72},"
        " {name: c, work_gpu_hours: 144, reference_gpu: GB200, min_gpus: 72, max_gpus: 72}]")
ONE_RACK = ("cluster.rack_groups=[{gpu_type: GB200, racks: 1}]", "cluster.spare_racks=0", JOBS)


def _ordered(sign: int) -> type:
    return type("Variant", (StagedPolicy,), {"name": f"variant{sign}",
                                             "sort_key": lambda self, j: sign * j.remaining_work})


Longest, Variant = _ordered(-1), _ordered(+1)  # the second takes the name the first was made as


def _ends(result) -> list[str]:
    return [j.name for j in sorted(result.jobs, key=lambda j: j.end_s)]


def test_a_class_runs_as_given_not_what_its_import_path_leads_to():
    # Longest's qualname is "Variant": importing that name found the shortest-first class
    assert _ends(run_policy(Longest, "small", overrides=ONE_RACK)) == ["c", "b", "a"]
    assert _ends(run_policy(Variant, "small", overrides=ONE_RACK)) == ["a", "b", "c"]


def test_a_class_defined_in_a_test_runs_and_a_non_policy_is_refused():
    class Inner(StagedPolicy):
        name = "inner"

        def sort_key(self, job):
            return -job.remaining_work

    assert _ends(run_policy(Inner, "small", overrides=ONE_RACK)) == ["c", "b", "a"]

    class NotAPolicy:
        pass

    with pytest.raises(PolicyError, match="is not a policy"):
        run_policy(NotAPolicy, "small")



def test_simulate_labels_a_given_instance_and_refuses_a_name_or_a_class():
    from colossim.api import load_scenario, simulate
    from colossim.policy.registry import build_policy

    scenario = load_scenario("small", ONE_RACK)  # its own policy is fifo
    assert simulate(scenario, policy=build_policy(Longest)).policy == "variant-1"
    assert run_policy(Longest, "small", overrides=ONE_RACK).policy == "variant-1"
    for wrong in ("fifo", Longest):
        with pytest.raises(TypeError, match="takes a policy instance"):
            simulate(scenario, policy=wrong)
