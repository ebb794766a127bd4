"""``run_policy`` runs the policy it is given (a name, a ``module:Class`` path or a class), on the
scenario a file holds now, and stops a run that makes no progress."""

from __future__ import annotations

import pytest

from colossim.errors import PolicyError
from colossim.policy.actions import WakeAt
from colossim.policy.api import BasePolicy
from colossim.policy.staged import StagedPolicy
from colossim.testing import starvation
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


# -- a scenario file is read as it is now (QA: the cache was keyed on the path string) --------
ONE_JOB = """\
name: one
cluster:
  pod_size_racks: 1
  rack_groups: [{{gpu_type: GB200, racks: 1}}]
  power: {{supply_mw: 1.0}}
jobs:
  - {{name: a, work_gpu_hours: {work}, reference_gpu: GB200, min_gpus: 72, max_gpus: 72}}
"""


def _one_job(hours: int) -> str:
    """One rack, one whole-rack job of ``hours`` x 72 GPU-h: it runs ``hours`` hours."""
    return ONE_JOB.format(work=72 * hours)


def test_a_rewritten_scenario_file_runs_as_it_now_reads(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(_one_job(1))
    assert run_policy("fifo", path).makespan_s == 3_600
    path.write_text(_one_job(2))
    assert run_policy("fifo", path).makespan_s == 7_200


def test_the_policy_run_replaces_the_files_own_even_one_not_installed(tmp_path):
    # a colleague's file names her policy, with its params: run_policy runs the test's policy,
    # as colossim run --policy does (the file failed to load: unknown policy)
    path = tmp_path / "s.yaml"
    path.write_text(_one_job(1).replace(
        "jobs:", "scheduler:\n  policy: {name: someone-elses, params: {knob: 3}}\njobs:"))
    assert run_policy("fifo", path).makespan_s == 3_600
    assert run_policy(Longest, path).makespan_s == 3_600
    assert run_policy("priority", path).policy == "priority"


def test_overrides_as_one_string_are_refused_with_the_fix():
    with pytest.raises(TypeError, match=r"not one string: write \['cluster.spare_racks=1'\]"):
        run_policy("fifo", "small", overrides="cluster.spare_racks=1")


def test_one_relative_path_in_two_directories_runs_each_directorys_file(tmp_path, monkeypatch):
    for hours in (1, 3):
        folder = tmp_path / str(hours)
        folder.mkdir()
        (folder / "s.yaml").write_text(_one_job(hours))
        monkeypatch.chdir(folder)
        assert run_policy("fifo", "s.yaml").makespan_s == hours * 3_600


# -- the starvation guard (QA: a polling policy that starts nothing ran for minutes) ----------
class Poll(BasePolicy):
    """Starts nothing, asks to be woken every ``wait_s``."""

    name = "poll"
    wait_s = 60.0

    def decide(self, view):
        return [WakeAt(view.now_s + self.wait_s)]


class Spin(Poll):
    name = "spin"
    wait_s = 1e-9


class PollingFifo(StagedPolicy):
    """A healthy policy that polls every minute: it serves jobs as they come."""

    name = "polling-fifo"

    def decide(self, view):
        return [*super().decide(view), WakeAt(view.now_s + 60.0)]


@pytest.fixture
def small_guard(monkeypatch):
    """The guard's thresholds scaled down 10x (events) and 30x (time), so tests stay fast."""
    monkeypatch.setattr(starvation, "STALL_EVENTS", 10_000)
    monkeypatch.setattr(starvation, "STALL_SPAN_S", 86_400.0)
    monkeypatch.setattr(starvation, "MAX_STALL_EVENTS", 100_000)


@pytest.mark.parametrize("policy", [Poll, Spin])
def test_a_policy_that_starts_nothing_fails_as_starved_not_at_the_horizon(policy, small_guard):
    with pytest.raises(AssertionError, match=rf"^starved: policy '{policy.name}' on scenario "
                                             r"'small': no job progressed or completed in"):
        run_policy(policy, "small", overrides=ONE_RACK)


class Crawl(StagedPolicy):
    """Starts its jobs, and asks to be woken a microsecond later, every time: the work moves,
    a microsecond per event (QA: ~1e11 events to finish; the guard never counted)."""

    name = "crawl"

    def decide(self, view):
        return [*super().decide(view), WakeAt(view.now_s + 1e-6)]


def test_a_clock_that_crawls_while_work_moves_fails_as_starved(small_guard):
    with pytest.raises(AssertionError, match=r"^starved: policy 'crawl' on scenario 'small': "
                       r"the clock moved only [0-9.e-]+ s in 10,240 events from "
                       r"t=[0-9.e-]+ s \(the work moved by [0-9.e-]+ of the total, 0.00% done\): "
                       r"events come "
                       r"faster than anything in the run can change"):
        run_policy(Crawl, "small", overrides=ONE_RACK, check_invariants=False)


def test_a_healthy_poller_waits_for_a_late_job_and_gives_the_unguarded_result(monkeypatch):
    # thresholds 100x below the real ones (1,000 events, 10,000; 0.3 days); job c arrives after
    # 15 days: 21,600 idle polls after a and b finish, more than any threshold, but before the
    # last arrival the guard does not count
    monkeypatch.setattr(starvation, "STALL_EVENTS", 1_000)
    monkeypatch.setattr(starvation, "STALL_SPAN_S", 25_920.0)
    monkeypatch.setattr(starvation, "MAX_STALL_EVENTS", 10_000)
    late = (*ONE_RACK, "jobs[2].submit_s=1296000")
    guarded = run_policy(PollingFifo, "small", overrides=late, check_invariants=False)
    free = run_policy(PollingFifo, "small", overrides=late, check_invariants=False,
                      starvation_guard=False)
    assert guarded.job("c").end_s == 1_296_000 + 2 * 3_600  # 144 GPU-h on 72 GPUs
    assert guarded.makespan_s == free.makespan_s
    assert [j.end_s for j in guarded.jobs] == [j.end_s for j in free.jobs]


def test_the_guard_counts_only_after_the_last_arrival_and_never_at_the_horizon(small_guard):
    late = starvation.StallGuard(last_arrival_s=1e9, horizon_s=2e9)
    for i in range(200):  # 409,600 idle events over 138 days, all before the last arrival
        late(i * 60_000.0, 0.0)
    slow = starvation.StallGuard(last_arrival_s=0.0, horizon_s=1e9)
    for i in range(40):  # 81,920 idle events, but within the day and no burst: a long wait
        slow(10.0 + i * 1_000.0, 0.0)
    ends = starvation.StallGuard(last_arrival_s=0.0, horizon_s=1e9)
    for i in range(5):  # 10,240 idle events over 2 days...
        ends(i * 43_200.0, 0.0)
    ends(1e9, 0.0)  # ...then the engine's last call of a run cut at its horizon: it finished
    stuck = starvation.StallGuard(last_arrival_s=0.0, horizon_s=1e9)
    for i in range(5):
        stuck(i * 43_200.0, 0.0)
    with pytest.raises(starvation.Stalled, match="10,240 events from t=0 s to t=216,000 s "
                                                 r"\(no work had moved since the start;"):
        stuck(5 * 43_200.0, 0.0)  # the same stretch, still going: stopped
    # QA: work that stopped at 5,400 s, first seen 2,048 events later at 61,260 s, read as
    # stopping at 61,260 s: when it last moved is known only between two looks
    halted = starvation.StallGuard(last_arrival_s=0.0, horizon_s=1e9)
    halted(61_260.0, 0.4286)
    for i in range(1, 6):
        halted(61_260.0 + i * 43_200.0, 0.4286)
    with pytest.raises(starvation.Stalled, match=r"from t=61,260 s to t=320,460 s \(the work "
                       "last moved between t=0 s and t=61,260 s, looked at every 2,048 events"):
        halted(61_260.0 + 6 * 43_200.0, 0.4286)


def test_a_dict_changed_in_a_loaded_builtin_does_not_reach_the_next_load():
    # QA: load() handed out one cached object; a test that changed its policy params in place
    # moved a later test's makespan, and one that changed its catalog crashed a later run
    from colossim.testing.runner import load

    first = load("busy", policy="las")
    default = list(first.scheduler.policy.params.get("thresholds_gpu_s", []))
    first.scheduler.policy.params["thresholds_gpu_s"] = [10.0]
    first.catalog["GB200"] = {"tdp_w": 2000}  # the scenario's own catalog entries
    again = load("busy", policy="las")
    assert again is not first and "GB200" not in again.catalog
    assert list(again.scheduler.policy.params.get("thresholds_gpu_s", [])) == default


def test_the_crawl_rule_never_stops_a_finished_run_and_counts_arrivals_apart(small_guard):
    """Review: the engine's last call, at the end of a run that finished in a burst of events,
    was stopped as a crawl; and a burst of arrivals up to the last one was held to the limit
    after arrivals (100,000 events), not the million before them."""
    done = starvation.StallGuard(last_arrival_s=0.0, horizon_s=1e9)
    for i in range(6):  # 12,288 events within 0.6 ms, the work moving a little...
        done(100.0 + i * 1e-4, 0.5 + i * 1e-6)
    done(100.0006, 1.0)  # ...and the engine's last call: all the work is done
    arriving = starvation.StallGuard(last_arrival_s=10.0, horizon_s=1e9)
    for i in range(45):  # 92,160 events of arrivals within 0.5 ms, before the last arrival
        arriving(9.5 + i * 1e-5, i * 1e-7)  # (the work moving: the crawl rule's case)
    arriving(10.0, 1e-5)  # the last arrival: counting after it starts afresh
    for i in range(1, 6):
        arriving(10.0 + i * 1e-5, 1e-5 + i * 1e-7)
