"""Why jobs did not complete, said in words that point at the cause.

``small`` (configs/small.yaml) submits llm-70b at 0 s, image-2b at 1,800 s, llm-8b at 3,600 s
and moe-200b at 7,200 s. A policy that starts nothing leaves the run with nothing to happen after
the last arrival: it stalls at 7,200 s = 0.08 days, long before the horizon (3.15e8 s).
"""

from __future__ import annotations

from typer.testing import CliRunner

from colossim.cli.app import app
from colossim.policy.actions import Preempt, Reject, Start, WakeAt
from colossim.policy.api import BasePolicy
from colossim.policy.builtin.fifo import Fifo


class Starve(BasePolicy):
    name = "starve"

    def decide(self, view):
        return []


class RejectImages(BasePolicy):
    """Rejects image-2b and starts nothing else."""

    name = "reject-images"

    def decide(self, view):
        return [Reject(job.name, "no images") for job in view.pending if job.name == "image-2b"]


class RackZero(BasePolicy):
    """Starts every pending job on 72 GPUs of rack 0, whatever they need or hold."""

    name = "rack-zero"

    def decide(self, view):
        return [Start(job.name, ((0, 72),)) for job in view.pending]


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, ["run", "small", "--quiet", *args], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_run_that_stalls_says_so_and_when_not_the_horizon():
    out = _run("--policy", "tests.cli.test_cli_unfinished:Starve")
    assert ("stalled at 0.08 days (7,200 s): nothing was left to happen and these jobs never "
            "finished: llm-70b (pending), llm-8b (pending), image-2b (pending), moe-200b "
            "(pending). Did the policy leave them pending?") in " ".join(out.split())
    assert "horizon" not in out


def test_a_rejected_job_is_not_called_unfinished():
    out = " ".join(_run("--policy", "tests.cli.test_cli_unfinished:RejectImages").split())
    assert "rejected by the policy: image-2b" in out
    assert "never finished: llm-70b (pending), llm-8b (pending), moe-200b (pending)." in out


def test_a_run_cut_at_the_horizon_says_so():
    # fifo finishes small in 1.61 days (README); a horizon of one day cuts it with work left
    out = " ".join(_run("--set", "simulation.horizon_s=86400").split())
    assert "unfinished at the horizon, 1.00 days (86,400 s): " in out
    assert "stalled" not in out


def test_invalid_actions_are_counted_in_the_summary_and_named_in_a_note():
    # FifoWithAGhost: fifo plus, at t=0, one Start of a job that does not exist
    out = " ".join(_run("--policy", "tests.testing.test_invariants:FifoWithAGhost").split())
    assert "(1 invalid action)" in out
    # the first reason inline (QA: it took a rerun with --out or --explain to learn one)
    assert ("1 action of the policy was invalid and ignored; the first, at 0 s: start ghost: no "
            "job named 'ghost'; every reason is in events.jsonl (--out) and in --explain "
            "JOB") in out


def test_infeasible_actions_are_counted_beside_invalid_ones_and_named_in_a_note():
    # FifoOverreaching: one start on GPUs another job holds, one of 144 GPUs on a 72-GPU rack
    out = " ".join(_run("--policy", "tests.testing.test_invariants:FifoOverreaching").split())
    assert "(1 invalid, 1 infeasible actions)" in out
    assert "1 action of the policy was refused as infeasible: GPUs that were not free" in out
    assert ("the first, at 1,800 s: start image-2b: rack 0 has 0 free GPUs, not 8; every reason "
            "is in events.jsonl") in out


class FifoThenPreemptAll(Fifo):
    """fifo until 5,000 s, then preempts every running job and starts nothing more."""

    name = "fifo-then-preempt-all"

    def decide(self, view):
        if view.now_s >= 5000:
            return [Preempt(job.name) for job in view.running]
        return [*super().decide(view), WakeAt(5000.0)]


def test_a_stalled_run_ends_at_its_last_event_not_at_a_timer_that_outlived_its_job():
    # fifo starts llm-70b at 0 s (its completion timer is at 61,240 s, README's 0.71 days);
    # everything is preempted at 5,000 s and moe-200b's arrival at 7,200 s is the last event.
    # The stale completion timer fired at 61,240 s and the run read as ending then.
    from colossim.testing.runner import run_policy

    result = run_policy(FifoThenPreemptAll, "small")
    assert result.end_s == 7200.0
    assert result.record.events[-1].time_s == 7200.0
    out = " ".join(_run("--policy", "tests.cli.test_cli_unfinished:FifoThenPreemptAll").split())
    assert "stalled at 0.08 days (7,200 s)" in out


def test_thousands_of_unfinished_jobs_are_named_ten_at_a_time():
    # a trace cut at the horizon printed every unfinished job (2,995 ids, 150 KB); here 12 jobs
    # on small, cut at the first second: the first 10 named, the other 2 counted
    jobs = "jobs=[" + ", ".join(
        f"{{name: j{i}, params_billion: 1, tokens_billion: 100, max_gpus: 8}}" for i in range(12)
    ) + "]"
    out = " ".join(_run("--set", jobs, "--set", "simulation.horizon_s=1").split())
    assert "j9 (" in out and "j10 (" not in out
    assert "and 2 more (result.json lists every job)" in out


class NotAnAction(Fifo):
    """fifo, plus an object that is no action at its first decision."""

    name = "not-an-action"

    def decide(self, view):
        return [*super().decide(view), *(["oops"] if view.now_s == 0 else [])]


def test_the_first_refusal_of_an_object_that_is_no_action_reads_cleanly():
    # review: it read "the first, at 0 s: : not an action: str"
    out = " ".join(_run("--policy", "tests.cli.test_cli_unfinished:NotAnAction").split())
    assert "; the first, at 0 s: not an action" in out and ": :" not in out


def test_an_object_that_is_no_action_is_recorded_as_its_text():
    """QA: policies.md says what is not plain is recorded as its text; a returned str was
    recorded as an empty action, {}, and what the policy returned was lost."""
    from colossim.api import simulate

    result = simulate("small", policy=NotAnAction())
    [bad] = [d for d in result.record.decisions if d.verdict == "invalid"]
    assert bad.action == {"value": "oops"} and bad.reason == "not an action: str"


def test_a_stall_whose_starts_were_refused_says_so_not_did_the_policy_leave_them():
    # QA: the policy asked at every decision; each start was refused, and the note asked
    # whether it had left them pending. small by hand: llm-70b starts at 0 on rack 0 (72 GPUs
    # is inside [72, 144]); image-2b (1,800 s, 8-64 GPUs) is refused as invalid, llm-8b (3,600
    # s) finds rack 0 busy; llm-70b ends and llm-8b takes rack 0; moe-200b (144-216) is refused
    out = " ".join(_run("--policy", "tests.cli.test_cli_unfinished:RackZero").split())
    assert "never finished: image-2b (pending), moe-200b (pending). The policy asked to start " \
        "them, and the engine refused: image-2b " in out
    assert "image-2b's last at " in out and ": invalid: 72 GPUs is outside [8, 64] (--explain " \
        "image-2b shows each)." in out
    assert "Did the policy leave them pending?" not in out
