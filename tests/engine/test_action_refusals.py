"""A malformed action is an invalid decision with its reason, never a raw TypeError or a silent
fix, and what the record keeps of any action is plain JSON (``run --out`` writes it).

QA found: a cap of "700" or [700], or a list or dict as a job name, ended the run in a
traceback; a cap of NaN read "below the lowest cap", True was taken for 1 W and infinity was
applied (recorded as null, the record of lifting a cap).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from colossim.engine.apply import apply_action
from colossim.engine.state import RunState
from colossim.metrics.export import write_run
from colossim.model.jobs import JobState
from colossim.policy.actions import Preempt, Reject, Resize, SetPowerCap, Start, WakeAt
from colossim.policy.builtin.fifo import POLICY as BuiltinFifo
from colossim.testing.runner import run_policy
from tests.conftest import make_scenario
from tests.policy.factories import pool_job, pool_scenario

JOBS = [{"name": "a", "work_gpu_hours": 72, "reference_gpu": "GB200", "min_gpus": 72,
         "max_gpus": 72},
        {"name": "b", "work_gpu_hours": 72, "reference_gpu": "GB200", "min_gpus": 72,
         "max_gpus": 72}]


def _state() -> RunState:
    """Two racks of 72 GPUs; rigid job a runs on rack 0, b is pending."""
    state = RunState(make_scenario(JOBS, racks=2))
    for job in state.jobs:
        job.state = JobState.PENDING
    assert apply_action(state, Start("a", ((0, 72),))).verdict == "applied"
    return state


@pytest.mark.parametrize(("action", "reason"), [
    (SetPowerCap("a", "700"), "power cap '700' is not a number"),
    (SetPowerCap("a", [700]), "power cap [700] is not a number"),
    (SetPowerCap("a", True), "power cap True is not a number"),
    (SetPowerCap("a", math.nan), "power cap is not a number (NaN)"),
    (SetPowerCap("a", math.inf), "power cap must be finite, not inf"),
    (SetPowerCap("a", -math.inf), "power cap must be finite, not -inf"),
    (SetPowerCap("a", 10**400), "power cap must be finite, not inf"),
    (Start(["b"], ((1, 72),)), "job name ['b'] is not a string"),
    (Start({"j": 1}, ((1, 72),)), "job name {'j': 1} is not a string"),
    (Preempt(["a"]), "job name ['a'] is not a string"),
    (Resize({"a"}, ((1, 72),)), "job name {'a'} is not a string"),
    (Reject(("b",)), "job name ('b',) is not a string"),
    (Reject("b", reason=42), "reject reason 42 is not a string"),
    (Reject("b", reason=None), "reject reason None is not a string"),
    (Resize("a", ((0, 72),)), "the job already holds that grant"),
    (Resize("a", [[np.int64(0), 72]]), "the job already holds that grant"),
])
def test_a_malformed_action_is_invalid_with_its_reason_and_changes_nothing(action, reason):
    state = _state()
    before = [(job.state, job.grant, job.reason) for job in state.jobs]
    decision = apply_action(state, action)
    assert (decision.verdict, decision.reason) == ("invalid", reason)
    assert [(job.state, job.grant, job.reason) for job in state.jobs] == before
    assert state.power_model.capped == set()
    assert not [e for e in state.record.events if e.kind in ("power_cap", "resize", "reject")]
    json.dumps(decision.action)  # plain values (the exporter writes NaN and inf as null)


def test_a_rigid_job_may_still_move_to_other_racks_as_a_resize():
    state = _state()
    decision = apply_action(state, Resize("a", ((1, 72),)))
    assert decision.verdict == "applied"
    assert state.jobs[0].grant == ((1, 72),)
    assert [(e.kind, e.data) for e in state.record.events if e.kind == "resize"] == [
        ("resize", {"gpus_before": 72, "gpus": 72})]


class FifoResizingInPlace(BuiltinFifo):
    """fifo that also re-issues every running job's own grant as a Resize."""

    name = "fifo-resizing-in-place"

    def decide(self, view):
        return [Resize(j.name, j.grant) for j in view.running] + list(super().decide(view))


def test_a_resize_to_the_grant_held_is_refused_not_billed_a_checkpoint_restart():
    # QA: each no-op Resize paused the job 120 s for a checkpoint-restart
    scenario = pool_scenario([pool_job("a", 0, 1), pool_job("b", 0, 2)], racks=2)
    result = run_policy(FifoResizingInPlace, scenario)
    assert [(j.name, j.end_s) for j in result.jobs] == [("a", 3600.0), ("b", 7200.0)]
    assert not [e for e in result.record.events if e.kind in ("resize", "pause")]
    resizes = [d for d in result.record.decisions if d.action["action"] == "resize"]
    assert resizes and {(d.verdict, d.reason) for d in resizes} == {
        ("invalid", "the job already holds that grant")}


@pytest.mark.parametrize(("action", "described"), [
    (Start("b", ((np.int64(1), np.int64(72)),)),
     {"action": "start", "job": "b", "gpus": 72, "racks": 1}),
    (Start("b", np.array([[1, 72]])), {"action": "start", "job": "b", "gpus": 72, "racks": 1}),
    (SetPowerCap(np.str_("a"), np.float32(700.0)),
     {"action": "setpowercap", "job": "a", "watts_per_gpu": 700.0}),
    (SetPowerCap("a", np.int64(700)), {"action": "setpowercap", "job": "a", "watts_per_gpu": 700}),
    (Reject("b", reason=object), {"action": "reject", "job": "b", "reason": "<class 'object'>"}),
])
def test_the_record_of_an_action_holds_plain_python_values(action, described):
    state = _state()
    recorded = apply_action(state, action).action
    assert recorded == described
    assert all(type(v) in (str, int, float) for v in recorded.values())
    for event in state.record.events:
        json.dumps(event.data)


class FifoInNumpy(BuiltinFifo):
    """fifo whose grants are numpy arrays, plus, at t = 0, numpy values the engine accepts and
    malformed actions it must refuse."""

    name = "fifo-in-numpy"

    def decide(self, view):
        out = [Start(a.job, np.array(a.grant)) if isinstance(a, Start) else a
               for a in super().decide(view)]
        if view.now_s == 0:
            out += [WakeAt(np.int64(10)), SetPowerCap(np.str_("b"), np.float64(1000.0)),
                    Reject("c", np.str_("too late")), Reject("b", frozenset()),
                    SetPowerCap("b", "700"), Preempt(["a"]), Start({"j": 1}, ((0, 1),))]
        return out


def test_a_run_with_numpy_actions_and_refused_ones_writes_all_its_files(tmp_path):
    # `run --out` wrote result.json, then failed on an np.int64 in a decision's record
    scenario = pool_scenario([pool_job("a", 0, 1), pool_job("b", 0, 2), pool_job("c", 0, 1)])
    result = run_policy(FifoInNumpy, scenario)
    write_run(result, tmp_path)
    rows = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    decisions = [(r["action"], r["verdict"], r["reason"]) for r in rows
                 if r["type"] == "decision" and r["time_s"] == 0]
    assert decisions == [
        ({"action": "start", "job": "a", "gpus": 1, "racks": 1}, "applied", ""),
        ({"action": "wakeat", "time_s": 10}, "applied", ""),
        ({"action": "setpowercap", "job": "b", "watts_per_gpu": 1000.0}, "applied", ""),
        ({"action": "reject", "job": "c", "reason": "too late"}, "applied", ""),
        ({"action": "reject", "job": "b", "reason": "frozenset()"}, "invalid",
         "reject reason frozenset() is not a string"),
        ({"action": "setpowercap", "job": "b", "watts_per_gpu": "700"}, "invalid",
         "power cap '700' is not a number"),
        ({"action": "preempt", "job": "['a']"}, "invalid", "job name ['a'] is not a string"),
        ({"action": "start", "job": "{'j': 1}", "gpus": 1, "racks": 1}, "invalid",
         "job name {'j': 1} is not a string"),
    ]
    assert (tmp_path / "series.json").exists()
    assert [(j.name, j.state, j.end_s) for j in result.jobs] == [
        ("a", "completed", 3600.0), ("b", "completed", 3 * 3600.0), ("c", "rejected", None)]


def test_gpus_given_twice_in_one_decision_name_the_start_that_took_them():
    # QA: "rack 0 has 0 free GPUs, not 72" of a rack the policy's view showed free: the policy
    # gave rack 0 to a and then to b in one decision, and nothing said so
    state = _state()
    refused = apply_action(state, Start("b", ((0, 72),)))
    assert refused.verdict == "infeasible"
    assert refused.reason == (
        "rack 0 has 0 free GPUs, not 72; 'a', started or resized at this instant, took GPUs of "
        "rack 0 (a grant given twice in one decision? claim each one from your copy of free, "
        "as colossim.policy.placement.claim does)")
    state.now_s = 60.0  # a later decision: rack 0 is simply busy
    assert apply_action(state, Start("b", ((0, 72),))).reason == \
        "rack 0 has 0 free GPUs, not 72"


def test_a_second_start_of_a_job_in_one_decision_says_the_first_one_changed_it():
    """QA: the second Start read only "job 'a' is running, not pending", where the policy's view
    had shown a pending. It now names the earlier action of the same instant."""
    state = _state()  # a started on rack 0 at 0 s
    second = apply_action(state, Start("a", ((1, 72),)))
    assert second.verdict == "invalid"
    assert second.reason == ("job 'a' is running, not pending: an earlier start of it in this "
                             "decision changed it (the view showed it before that)")
    # nothing applied to b at this instant: the plain reason
    assert apply_action(state, Preempt("b")).reason == "job 'b' is pending, not running"
    # review: a cap moved nothing, and a start of an earlier call at the same instant was in
    # the view this call saw: neither is blamed
    assert apply_action(state, SetPowerCap("b", 900.0)).verdict == "applied"
    assert apply_action(state, Preempt("b")).reason == "job 'b' is pending, not running"
    state.call_decisions = len(state.record.decisions)  # a new call at the same instant
    assert apply_action(state, Start("a", ((1, 72),))).reason == \
        "job 'a' is running, not pending"
