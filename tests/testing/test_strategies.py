"""The hypothesis strategies' scenarios, as a property test's author meets them."""

from __future__ import annotations


def test_a_drawn_scenario_reads_as_the_code_that_rebuilds_it():
    # hypothesis prints a counter-example by its repr: a whole Scenario's ran to ~5,000
    # characters of defaults; a drawn one shows what was drawn, as code that rebuilds it
    from hypothesis import HealthCheck, given, settings

    from colossim.config.schema import Scenario
    from colossim.testing.strategies import scenarios

    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
    @given(scenarios())
    def check(drawn):
        text = repr(drawn)
        assert text.startswith("Scenario.model_validate(") and "dvfs" not in text
        rebuilt = eval(text, {"Scenario": Scenario})
        assert rebuilt.model_dump() == drawn.model_dump()

    check()


def test_failing_scenarios_interrupt_jobs_yet_every_job_finishes():
    # QA: scenarios() never turned failures on, so a property test could not meet failed
    # hardware. With failures=True every class fails every 1-16 h on the cluster, so most
    # runs see faults (a run of an hour may not); checkpoints every 10 minutes keep every job
    # finishing
    from hypothesis import HealthCheck, given, settings

    from colossim.testing.invariants import result_problems
    from colossim.testing.runner import run_policy
    from colossim.testing.strategies import scenarios

    faults = []

    @settings(max_examples=8, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(scenarios(failures=True, max_jobs=3))
    def check(drawn):
        assert drawn.reliability.enabled and "reliability" in repr(drawn)
        assert all(job.checkpoint.interval_s == 600.0 for job in drawn.jobs)
        result = run_policy("fifo", drawn, check_invariants=True)
        assert result_problems(result) == []
        faults.append(result.reliability.faults)

    check()
    assert len(faults) == 8 and sum(n > 0 for n in faults) >= 4  # most, whatever is drawn


def test_power_scenarios_bind_yet_let_a_policy_that_sizes_to_the_supply_run_every_job():
    """QA: every drawn supply was 10 MW, more than any drawn cluster draws, so a policy that
    started jobs beyond the supply passed every property. With ``power=True`` the supply lies
    between what the dearest job needs alone at its lowest clocks and the cluster's full draw:
    fifo (which sizes its starts to the supply) finishes every job with nothing refused, and
    the same policy blind to power is refused starts the supply cannot carry."""
    from hypothesis import HealthCheck, given, settings

    from colossim.engine.state import RunState
    from colossim.policy.builtin.fifo import POLICY as Fifo
    from colossim.testing.runner import run_policy
    from colossim.testing.strategies import scenarios

    class PowerBlind(Fifo):
        name = "power-blind"

        def start_power(self, view):
            return None  # never sizes a start to the supply

    refused = []

    @settings(max_examples=20, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(scenarios(power=True, max_jobs=4))
    def check(drawn):
        model = RunState(drawn).power_model
        supply = drawn.cluster.power.supply_mw
        for job in drawn.jobs:  # each job alone on its min_gpus, on any type, fits
            assert all(model.start_mw(model.idle_it_w, job, {t: job.min_gpus}) <= supply
                       for t in model.type_index)
        assert supply <= model.peak_mw({}) + 1e-6
        fifo = run_policy("fifo", drawn, check_invariants=True)
        assert fifo.infeasible_decisions == 0 and fifo.invalid_decisions == 0
        assert all(job.end_s is not None for job in fifo.jobs)
        blind = run_policy(PowerBlind, drawn, check_invariants=True, starvation_guard=False)
        refused.append(blind.infeasible_decisions)

    check()
    assert len(refused) == 20 and any(refused)  # caught: starts the supply could not carry


def test_overrides_apply_to_a_scenario_object_as_to_a_file():
    """QA: ``run_policy(policy, scenario, overrides=[...])`` raised a TypeError for a Scenario
    object, so a drawn scenario could not be given a tighter supply."""
    from colossim.api import load_scenario
    from colossim.testing.runner import run_policy

    scenario = load_scenario("small")
    tight = run_policy("fifo", scenario, overrides=["cluster.power.supply_mw=0.4"])
    by_file = run_policy("fifo", "small", overrides=["cluster.power.supply_mw=0.4"])
    assert tight.power.throttled_gpu_hours > 0
    assert tight.makespan_s == by_file.makespan_s
    assert tight.makespan_s > run_policy("fifo", scenario).makespan_s


def test_overrides_apply_to_a_trace_scenario_object_with_the_jobs_it_read(tmp_path):
    """Review: the dumped object named its trace again (``jobs_loaded``: refused), and a
    relative trace path would have been read from the current folder. Its jobs are kept."""
    from colossim.api import load_scenario
    from colossim.testing.runner import run_policy

    (tmp_path / "t.csv").write_text(
        "job_id,submission_time,duration,num_gpu\na,0,3600,8\nb,600,600,16\n")
    path = tmp_path / "s.yaml"
    path.write_text("name: t\ncluster:\n  pod_size_racks: 2\n  rack_groups:\n    - gpu_type: "
                    "GB200\n      racks: 2\n  power: {supply_mw: 1}\ntrace: {path: t.csv}\n")
    loaded = load_scenario(str(path))
    seeded = run_policy("fifo", loaded, overrides=["simulation.seed=3"])
    assert seeded.seed == 3 and [j.name for j in seeded.jobs] == [j.name for j in loaded.jobs]
    assert seeded.makespan_s == run_policy("fifo", loaded).makespan_s  # the trace draws nothing
