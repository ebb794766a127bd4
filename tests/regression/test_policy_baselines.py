"""Every shipped policy on every regression scenario: invariants hold, the makespan respects its
lower bound, and the summary metrics match the reviewed golden files in ``tests/baselines/``.

A failure here means a policy or the model changed what a run produces. Read the diff table;
if the change is intended, update the baseline as ``docs/testing.md`` explains.
"""

from __future__ import annotations

import pytest

from tests.regression.conftest import CHECK_EVERY_EVENT, SCENARIOS, shipped_policies


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("policy", shipped_policies())
def test_policy_matches_its_baseline(policy, scenario, run_policy, assert_invariants,
                                     policy_baseline):
    source, overrides = SCENARIOS[scenario]
    result = run_policy(policy, source, overrides=overrides,
                        check_invariants=CHECK_EVERY_EVENT[scenario])
    assert_invariants(result)
    assert result.makespan_s >= result.makespan_lower_bound_s * (1 - 1e-9)
    policy_baseline(result, f"{scenario}-{policy}")


def test_the_default_run_matches_its_baseline(run_policy, assert_invariants, policy_baseline):
    """The built-in Colossus-2 scenario exactly as shipped (failures, repairs and checkpoints
    on) under its own policy: what a bare ``colossim run`` runs. One policy only, since the run
    is ~100,000 events (~30 s); the other policies' failure handling is held by failures-small,
    and their Colossus-2 schedules by the failure-free colossus2 baselines above."""
    from colossim.api import load_scenario

    policy = load_scenario("colossus2").scheduler.policy.name
    result = run_policy(policy, "colossus2", check_invariants=False)
    assert_invariants(result)
    assert result.reliability is not None and result.reliability.interruptions > 0
    assert result.makespan_s >= result.makespan_lower_bound_s * (1 - 1e-9)
    policy_baseline(result, f"colossus2-as-shipped-{policy}")
