"""Property tests of the shortest-first policy over random small scenarios (hypothesis).

``colossim.testing.strategies.scenarios()`` draws clusters and jobs; each test states what must
hold for every one of them, and hypothesis looks for a scenario where it does not.
"""

from hypothesis import HealthCheck, given, settings

from colossim.testing.strategies import scenarios, usable_gpus

# few examples keep the suite fast; derandomize makes every run draw the same scenarios
PROPERTY = settings(max_examples=15, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(scenario=scenarios())
def test_never_breaks_an_invariant_nor_asks_for_busy_gpus(scenario, run_policy,
                                                          assert_invariants):
    result = run_policy("shortest-first", scenario, check_invariants=True)
    assert_invariants(result, feasible_decisions=True)
    assert max(result.record.series["gpus_busy"].values) <= usable_gpus(scenario)


@PROPERTY
@given(scenario=scenarios(max_jobs=4))
def test_every_job_finishes_no_sooner_than_the_cluster_allows(scenario, run_policy):
    # every drawn job fits the cluster, so none may be starved; and no schedule beats the
    # makespan lower bound (the work over all usable GPUs, or the longest job at its maximum)
    result = run_policy("shortest-first", scenario)
    assert result.unfinished == ()
    assert result.makespan_s >= result.makespan_lower_bound_s * (1 - 1e-9)
