"""fifo and priority as pure functions: a hand-built view in, actions out."""

from __future__ import annotations

import numpy as np
import pytest

from colossim.config.schema import JobConfig
from colossim.errors import PolicyError
from colossim.policy.actions import Start
from colossim.policy.placement import pack
from colossim.policy.registry import make_policy, policy_class
from colossim.policy.view import ClusterView, JobView, PowerView, RackView


def rack_view(free, pods, types=None):
    n = len(free)
    ro = lambda a: np.asarray(a)  # noqa: E731
    return RackView(
        gpu_types=("GB200",) if types is None else ("GB200", "GB300"),
        rack_type=ro(types or [0] * n),
        rack_pod=ro(pods),
        capacity=ro([72] * n),
        free=ro(free),
        usable=ro([True] * n),
        gpus_per_domain=ro([72] if types is None else [72, 72]),
    )


def job(name, index, gpus, min_gpus=None, priority=0, submit_s=0.0, state="pending"):
    cfg = JobConfig(
        name=name,
        params_billion=1,
        tokens_billion=1,
        max_gpus=gpus,
        min_gpus=min_gpus or gpus,
        priority=priority,
        submit_s=submit_s,
    )
    return JobView(
        name=name,
        index=index,
        state=state,
        priority=priority,
        submit_s=submit_s,
        min_gpus=cfg.min_gpus,
        max_gpus=gpus,
        gpus=0,
        grant=(),
        work_total=1.0,
        work_done=0.0,
        rate=0.0,
        first_start_s=None,
        attained_gpu_s=0.0,
        config=cfg,
    )


def view(jobs, racks):
    return ClusterView(
        now_s=0.0,
        triggers=(),
        jobs=tuple(jobs),
        racks=racks,
        power=PowerView(100.0, 0.0),
        rng=np.random.default_rng(0),
        rate_fn=lambda cfg, by_type: float(sum(by_type.values())),
    )


def started(actions):
    return {a.job: sum(n for _, n in a.grant) for a in actions if isinstance(a, Start)}


def test_fifo_serves_in_submission_order_and_blocks_at_the_head():
    racks = rack_view([72, 72, 72], pods=[0, 0, 1])
    jobs = [job("a", 0, 144), job("b", 1, 144, submit_s=1), job("c", 2, 72, submit_s=2)]
    actions = make_policy("fifo").decide(view(jobs, racks))
    # a takes pod 0 (two racks); b does not fit in the one rack left and blocks c
    assert started(actions) == {"a": 144}
    assert {r for r, _ in actions[0].grant} == {0, 1}


def test_fifo_non_strict_lets_a_smaller_job_pass():
    racks = rack_view([72, 72, 72], pods=[0, 0, 1])
    jobs = [job("a", 0, 144), job("b", 1, 144, submit_s=1), job("c", 2, 72, submit_s=2)]
    actions = make_policy("fifo", {"strict": False}).decide(view(jobs, racks))
    assert started(actions) == {"a": 144, "c": 72}


def test_priority_orders_by_priority_then_submit_time():
    racks = rack_view([72, 72], pods=[0, 0])
    jobs = [
        job("low", 0, 72, priority=1),
        job("high", 1, 144, priority=5, submit_s=3),
        job("mid", 2, 72, priority=3),
    ]
    actions = make_policy("priority").decide(view(jobs, racks))
    assert [a.job for a in actions] == ["high"]
    racks = rack_view([72, 72, 72], pods=[0, 0, 1])
    jobs = [job("b", 1, 72, priority=3, submit_s=5), job("a", 0, 72, priority=3, submit_s=1)]
    assert [a.job for a in make_policy("priority").decide(view(jobs, racks))] == ["a", "b"]


def test_policies_never_mutate_the_view():
    racks = rack_view([72, 72], pods=[0, 0])
    v = view([job("a", 0, 144)], racks)
    before = v.racks.free.copy()
    make_policy("fifo").decide(v)
    assert (v.racks.free == before).all()


def test_pack_prefers_one_pod_best_fit():
    # pod 0 has 3 free racks, pod 1 has 1: a 1-rack job goes to the tightest pod (pod 1)
    racks = rack_view([72, 72, 72, 72], pods=[0, 0, 0, 1])
    grant = pack(racks, racks.free.copy(), job("a", 0, 72), 72)
    assert grant == ((3, 72),)
    # a 3-rack job fits only pod 0
    grant = pack(racks, racks.free.copy(), job("b", 1, 216), 216)
    assert grant == ((0, 72), (1, 72), (2, 72))


def test_pack_takes_whole_domains_for_large_jobs():
    racks = rack_view([72, 40, 72], pods=[0, 0, 0])
    grant = pack(racks, racks.free.copy(), job("a", 0, 144, min_gpus=72), 144)
    assert grant == ((0, 72), (2, 72))  # rack 1 is partly used: not a whole domain


def test_pack_gives_less_than_max_when_that_is_all_there_is():
    racks = rack_view([72, 0, 0], pods=[0, 0, 0])
    grant = pack(racks, racks.free.copy(), job("a", 0, 216, min_gpus=72), 216)
    assert grant == ((0, 72),)
    assert pack(racks, racks.free.copy(), job("b", 1, 216, min_gpus=144), 216) is None


def test_registry_suggests_the_nearest_name():
    with pytest.raises(PolicyError, match="did you mean 'fifo'"):
        policy_class("fifi")


def test_registry_loads_module_class_paths():
    assert policy_class("colossim.policy.builtin.fifo:Fifo").name == "fifo"


def test_registry_suggests_whatever_the_case():
    with pytest.raises(PolicyError, match="did you mean 'fifo'"):
        policy_class("FIFO")


def test_a_misspelt_class_in_a_module_gets_a_suggestion():
    with pytest.raises(PolicyError, match=r"has no 'Fif' \(did you mean 'Fifo'\?\)"):
        policy_class("colossim.policy.builtin.fifo:Fif")


def test_a_class_without_a_name_is_refused_by_path_as_by_plugin(tmp_path, monkeypatch):
    # it was accepted, and its failures read "policy '' failed"
    (tmp_path / "nameless.py").write_text(
        "from colossim.policy.staged import StagedPolicy\n\n"
        "class NoName(StagedPolicy):\n    def sort_key(self, job):\n        return 0\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(PolicyError, match="nameless:NoName has an empty name: give the class"):
        policy_class("nameless:NoName")


def test_a_policy_option_is_a_name_never_a_yaml_mapping():
    # "--policy my_policies:" was read as YAML, a mapping, with "put it in quotes"
    from colossim.api import load_scenario
    from colossim.errors import ConfigError

    with pytest.raises(ConfigError, match="a path names a module and a class"):
        load_scenario("small", policy="my_policies:")
    assert load_scenario("small", policy="sjf").scheduler.policy.name == "sjf"
