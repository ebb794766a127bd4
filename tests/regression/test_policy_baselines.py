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
