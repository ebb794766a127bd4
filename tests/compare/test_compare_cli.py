"""``colossim compare`` and ``colossim run --explain`` end to end."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from colossim.api import load_scenario, simulate
from colossim.cli import render
from colossim.cli.app import app
from colossim.cli.compare import compare_policies
from colossim.metrics.explain import job_timeline
from colossim.policy.builtin.fifo import POLICY as Fifo
from tests.policy.factories import pool_job, pool_scenario

runner = CliRunner()


@pytest.fixture(autouse=True)
def _wide(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    render.console.cache_clear()
    yield
    render.console.cache_clear()


def test_compare_json_matches_direct_runs():
    out = runner.invoke(app, ["compare", "small", "--policies", "fifo,las", "--json",
                              "--workers", "1"])
    assert out.exit_code == 0, out.output
    rows = {r["policy"]: r for r in json.loads(out.stdout)["policies"]}
    for name in ("fifo", "las"):
        direct = simulate(load_scenario("small", policy=name))
        assert rows[name]["metrics"]["makespan_s"]["mean"] == pytest.approx(direct.makespan_s)
        assert rows[name]["metrics"]["makespan_s"]["ci95"] is None


def test_a_repeated_policies_option_adds_up_as_a_comma_list_does():
    # QA: "-p fifo -p power-aware" silently compared only power-aware
    out = runner.invoke(app, ["compare", "small", "-p", "fifo", "-p", "las,sjf", "--json",
                              "--workers", "1"])
    assert out.exit_code == 0, out.output
    assert [r["policy"] for r in json.loads(out.stdout)["policies"]] == ["fifo", "las", "sjf"]


def test_compare_table_lists_every_policy():
    out = runner.invoke(app, ["compare", "small", "--policies", "fifo,sjf", "--workers", "1"])
    assert out.exit_code == 0, out.output
    assert "fifo" in out.stdout and "sjf" in out.stdout and "Jain" in out.stdout


def test_the_mean_and_p95_jct_read_in_one_unit_chosen_by_their_values():
    """small under fifo: a makespan of over a day, a mean JCT under a day and a p95 over one
    (its jobs' JCTs from a direct run; p95 by linear interpolation): the makespan in days,
    both JCTs in hours, side by side in one unit (QA: compare printed JCTs in hours whatever
    they were; sweep in days)."""
    import numpy as np

    out = runner.invoke(app, ["compare", "small", "--policies", "fifo", "--workers", "1"])
    assert out.exit_code == 0, out.output
    rows = {line.split("  ")[0].strip(): line.split()[-1] for line in out.stdout.splitlines()
            if "  " in line.strip()}
    direct = simulate(load_scenario("small", policy="fifo"))
    jcts = [job.jct_s for job in direct.jobs]
    mean, p95 = float(np.mean(jcts)), float(np.percentile(jcts, 95))
    assert mean < 86400 <= p95 and direct.makespan_s >= 86400  # the case this test is about
    assert (rows["makespan d"], rows["mean JCT h"], rows["p95 JCT h"]) == (
        f"{direct.makespan_s / 86400:.2f}", f"{mean / 3600:.2f}", f"{p95 / 3600:.2f}")


def test_one_seed_of_a_scenario_with_failures_is_said_to_be_one_draw_of_them():
    """QA: with one seed the table showed no hint that policies' ranks move with the seed; a
    scenario that draws nothing (small) has no such note (every seed gives the same run)."""
    failing = str(Path(__file__).parents[1] / "regression" / "scenarios" / "failures_small.yaml")
    said = {}
    for scenario, seeds in ((failing, "1"), (failing, "2"), ("small", "1")):
        out = runner.invoke(app, ["compare", scenario, "--policies", "fifo,las", "--workers",
                                  "1", "--seeds", seeds])
        assert out.exit_code == 0, out.output
        said[scenario, seeds] = "One seed is one draw of the failures" in out.stdout
    assert said == {(failing, "1"): True, (failing, "2"): False, ("small", "1"): False}


def test_seeds_give_a_confidence_interval_and_workers_do_not_change_results():
    scenario = load_scenario("small")
    serial, none_failed = compare_policies(scenario, ["fifo", "backfill"], [0, 1, 2], workers=1)
    parallel, _ = compare_policies(scenario, ["fifo", "backfill"], [0, 1, 2], workers=2)
    assert none_failed == {}
    strip = lambda rows: [{**r.to_dict(), "wall_s": 0} for r in rows]  # noqa: E731
    assert strip(serial) == strip(parallel)
    assert [(r.policy, r.seed) for r in serial] == [
        ("fifo", 0), ("fifo", 1), ("fifo", 2), ("backfill", 0), ("backfill", 1), ("backfill", 2)]


def test_unknown_policy_is_refused_before_running():
    out = runner.invoke(app, ["compare", "small", "--policies", "fifo,lass"])
    assert out.exit_code == 2
    assert out.stderr.splitlines()[1].startswith(
        "  --policies: no policy named 'lass' (did you mean 'las'?); installed: ")


@pytest.mark.parametrize("given", [",", "", " , "])
def test_a_policy_list_naming_none_is_refused(given):
    # it compared nothing and exited 0
    out = runner.invoke(app, ["compare", "small", "--policies", given])
    assert out.exit_code == 2
    assert out.stderr.splitlines()[1].startswith("  --policies: no policy named: give a ")


def test_explain_tells_why_a_job_waited():
    # one GPU: a (0-2 h) then b (submitted at 0.5 h) waits 1.5 h behind it under FIFO
    result = simulate(pool_scenario([pool_job("a", 0, 2), pool_job("b", 0.5, 1)]))
    timeline = job_timeline(result, "b")
    assert [e.what for e in timeline.entries if e.kind == "event"] == [
        "submit", "start", "complete"]
    [wait] = timeline.waits
    assert (wait.since_s, wait.until_s, wait.started) == (1800.0, pytest.approx(7200.0), True)
    assert "did not try" in wait.why and "1 of 1 GPUs busy when the wait began" in wait.why
    # the scenario's minimum, when the caller passes it (the CLI does), says what it needed
    [wait] = job_timeline(result, "b", min_gpus=1).waits
    assert wait.why.endswith("(1 of 1 GPUs busy when the wait began; it needs at least 1)")
    assert wait.needs_gpus == 1
    # a started the instant it arrived: no wait (it was "waited 0.00 h: the policy did not
    # try to start it")
    assert job_timeline(result, "a").waits == ()


def test_routine_events_fold_into_one_line_between_those_that_matter():
    from colossim.metrics.explain import Entry, Folded, folded

    entries = (Entry(0.0, "event", "start"), Entry(10.0, "event", "pause"),
               Entry(20.0, "event", "resume"), Entry(30.0, "event", "checkpoint_saved"),
               Entry(40.0, "event", "failure"), Entry(50.0, "event", "pause"),
               Entry(60.0, "decision", "start", verdict="applied"),
               Entry(70.0, "event", "fabric"), Entry(80.0, "event", "fabric"))
    assert folded(entries) == [
        entries[0], Folded(10.0, 30.0, (("pause", 1), ("resume", 1), ("checkpoint_saved", 1))),
        entries[4], entries[5], entries[6], Folded(70.0, 80.0, (("fabric", 2),))]


def test_faults_absorbed_in_place_fold_and_those_that_stopped_the_job_stay():
    """QA: the checkpoint example's 10T, interrupted 1,361 times and restarted in place or on a
    hot spare each time but a few, printed 12,000 lines of --explain. A fault that sent the job
    back to the policy (it may have waited) stays on a line of its own."""
    from colossim.metrics.explain import Entry, Folded, folded

    entries = (Entry(0.0, "event", "start"), Entry(10.0, "event", "failure", absorbed=True),
               Entry(10.0, "event", "swap"), Entry(20.0, "event", "resume"),
               Entry(30.0, "event", "failure"), Entry(40.0, "event", "start"))
    assert folded(entries) == [
        entries[0], Folded(10.0, 20.0, (("failure", 1), ("swap", 1), ("resume", 1))),
        entries[4], entries[5]]
    result = simulate(load_scenario(FAILURES_SMALL))
    for job in result.jobs:
        shown = [e for e in folded(job_timeline(result, job.name).entries)
                 if not isinstance(e, Folded) and e.what == "failure"]
        counted = sum(n for e in folded(job_timeline(result, job.name).entries)
                      if isinstance(e, Folded) for kind, n in e.counts if kind == "failure")
        assert all("stopped=True" in e.detail for e in shown)
        assert len(shown) + counted == job.interruptions
    assert any(job.interruptions for job in result.jobs)


def test_explain_of_a_checkpointing_job_is_short_and_starts_with_why():
    # failures_small: reliability on, checkpoints every few minutes over days of training
    scenario = "tests/regression/scenarios/failures_small.yaml"
    out = runner.invoke(app, ["run", scenario, "--quiet", "--explain", "big-b"])
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    explain = lines[next(i for i, line in enumerate(lines) if line.startswith("job big-b")):]
    assert explain[1].startswith(("waited", "it never waited"))
    routine = [line for line in explain if " routine " in line]
    assert routine and len(explain) < 200 and "…" not in out.stdout


def test_explain_lists_the_jobs_started_ahead():
    # SJF on one GPU: long (3 h) waits while short ones that arrive later go first
    jobs = [pool_job("busy", 0, 1), pool_job("long", 0.1, 3), pool_job("s1", 0.2, 0.5),
            pool_job("s2", 0.3, 0.5)]
    result = simulate(pool_scenario(jobs, policy="sjf"))
    [wait] = job_timeline(result, "long").waits
    assert wait.ahead == ("s1", "s2") and "started 2 other job(s) first" in wait.why


def test_explain_counts_no_start_of_the_instant_the_job_started():
    # failures_small under las: at 1,250 s one decision starts small-a, then mid-a (record
    # order); mid-b started at 1,200 s. A job's wait that ended in that decision counts the
    # starts before that instant: mid-b, for both. (It counted the whole decision's starts,
    # then those before its own in the decision: small-a for mid-a, which took nothing mid-a
    # waited for, as mid-a started then too: QA.)
    from colossim.api import load_scenario

    result = simulate(load_scenario("tests/regression/scenarios/failures_small.yaml",
                                    policy="las"))
    at = [d.action["job"] for d in result.record.decisions if d.action["action"] == "start"
          and d.verdict == "applied" and d.time_s == 1250.0]
    assert at == ["small-a", "mid-a"]
    [small_a] = [w for w in job_timeline(result, "small-a").waits if w.until_s == 1250.0]
    assert small_a.ahead == ("mid-b",)
    [mid_a] = [w for w in job_timeline(result, "mid-a").waits if w.until_s == 1250.0]
    assert mid_a.ahead == ("mid-b",)


def test_explain_says_a_fabric_cut_took_the_job_off(tmp_path):
    # 4 racks in 2 pods; pod 0's rack tier is cut from 1 h to 2 h: the 2-rack job there
    # (an 8B model, so it has traffic) is moved off and waits for the repair, pod 1 busy. Read as a
    # policy's preemption, "144 of 288 GPUs busy" looked like GPUs the policy ignored.
    from colossim.api import load_scenario

    source = tmp_path / "cut.yaml"
    source.write_text(
        "name: cut\nsimulation: {speed_model: linear}\n"
        "cluster:\n  pod_size_racks: 2\n  rack_groups: [{gpu_type: GB200, racks: 4}]\n"
        "  power: {supply_mw: 10}\n"
        "  fabric:\n    events:\n"
        "      - {time_s: 3600, duration_s: 3600, tier: rack, pod: 0, capacity_fraction: 0}\n"
        "jobs:\n"
        "  - {name: big, params_billion: 8, tokens_billion: 21.6, min_gpus: 144,"
        " max_gpus: 144}\n"
        "  - {name: other, params_billion: 8, tokens_billion: 86.4, min_gpus: 144,"
        " max_gpus: 144}\n")
    result = simulate(load_scenario(str(source)))
    [wait] = job_timeline(result, "big").waits
    assert wait.since_s == 3600.0
    assert wait.why.startswith("after a fabric cut took it off (pod 0's rack tier): ")


def test_explain_names_a_job_restarted_during_the_wait_once():
    # SRTF on one GPU, free switches. By hand (hours): x runs 0-0.5; long (5 h) waits from
    # 0.1; a (2 h) starts at 0.5; s1 (1 h) arrives at 0.8 with less left than a's 1.7, so a is
    # preempted and s1 runs 0.8-1.8; a restarts at 1.8 and ends at 3.5, when long starts.
    # Starts during long's wait: a, s1, a -> two distinct jobs, a named once.
    jobs = [pool_job("x", 0, 0.5), pool_job("long", 0.1, 5), pool_job("a", 0.2, 2),
            pool_job("s1", 0.8, 1)]
    result = simulate(pool_scenario(jobs, policy="srtf", free_switches=True))
    starts = [(d.time_s / 3600, d.action["job"]) for d in result.record.decisions
              if d.action["action"] == "start" and d.verdict == "applied"]
    assert starts == [(0, "x"), (0.5, "a"), (pytest.approx(0.8), "s1"),
                      (pytest.approx(1.8), "a"), (pytest.approx(3.5), "long")]
    [wait] = job_timeline(result, "long").waits
    assert (wait.since_s, wait.until_s) == (360.0, pytest.approx(3.5 * 3600))
    assert wait.ahead == ("a", "s1") and wait.ahead_count == 2
    assert wait.why == ("the policy started 2 other job(s) first: a, s1 (1 of 1 GPUs busy when "
                        "the wait began)")


def test_explain_blames_no_job_started_in_the_same_instant():
    # QA: two GB200 racks; big (144 GPU-h on 144 GPUs) holds both from 0 to 3,600 s; x and y
    # (72 GPUs each) arrive at 600 s and 1,200 s, and fifo starts both when big ends. x took
    # nothing y waited for, yet y's wait read "the policy started 1 other job(s) first: x"
    scenario = load_scenario("small", [
        "cluster.rack_groups=[{gpu_type: GB200, racks: 2}]", "cluster.pod_size_racks=2",
        "jobs=[{name: big, work_gpu_hours: 144, reference_gpu: GB200, min_gpus: 144,"
        " max_gpus: 144}, {name: x, work_gpu_hours: 72, reference_gpu: GB200, min_gpus: 72,"
        " max_gpus: 72, submit_s: 600}, {name: y, work_gpu_hours: 72, reference_gpu: GB200,"
        " min_gpus: 72, max_gpus: 72, submit_s: 1200}]"])
    result = simulate(scenario)
    assert [(j.name, j.start_s) for j in result.jobs] == [("big", 0), ("x", 3600), ("y", 3600)]
    [wait] = job_timeline(result, "y", 72).waits
    assert (wait.since_s, wait.until_s, wait.ahead_count) == (1200.0, 3600.0, 0)
    assert wait.why == ("the policy did not try to start it (144 of 144 GPUs busy when the wait "
                        "began; it needs at least 72)")


def test_run_explain_on_the_command_line():
    out = runner.invoke(app, ["run", "small", "--policy", "fifo", "--explain", "moe-200b"])
    assert out.exit_code == 0, out.output
    assert "job moe-200b" in out.stdout and "waited" in out.stdout
    # 280 of 288 GPUs busy leaves 8, and small.yaml gives moe-200b min_gpus: 144
    assert ("(280 of 288 GPUs busy when the wait began; it needs at least 144)"
            in " ".join(out.stdout.split()))
    data = json.loads(runner.invoke(app, ["run", "small", "--json", "--explain", "llm-8b"]).stdout)
    assert data["explain"]["job"] == "llm-8b"


@pytest.mark.parametrize(("args", "problem"), [
    # a policy listed twice ran twice on seed 0 and showed '3.78 +- 0.00' under '(seed 0)'
    (["compare", "small", "--policies", "fifo,sjf, fifo"],
     "  --policies: fifo listed twice: name each policy once (--seeds N runs a policy on "
     "more seeds)"),
    (["run", "small", "--explain", "lm-8b"],
     "  --explain: no job named 'lm-8b' (did you mean 'llm-8b'?); "
     "jobs: llm-70b, llm-8b, image-2b, moe-200b"),
])
def test_a_bad_option_is_refused_before_running(args, problem):
    out = runner.invoke(app, args)
    assert out.exit_code == 2
    assert out.stderr.splitlines()[1] == problem


def test_explain_details_show_floats_to_four_digits_and_nested_plans_readably():
    from colossim.metrics.explain import _detail

    data = {"gpus": 144, "factor": 1.0, "share": 0.01668950052959862,
            "plan": {"tp": 2, "microbatches": 113.77777777777777, "recompute": "none"},
            "racks": [3, 4]}
    assert _detail(data) == ("gpus=144, factor=1, share=0.01669, "
                             "plan={tp: 2, microbatches: 113.8, recompute: none}, racks=[3, 4]")
    # a time since the start in hours, as the timeline's column (QA: snapshot_s=5.889e+04
    # beside 16.53 h); a duration stays in seconds
    assert _detail({"snapshot_s": 58_896.0, "seconds": 270}) == "snapshot=16.36 h, seconds=270"


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_policy_that_raises_leaves_the_others_compared_and_fails_the_command(workers):
    broken = "tests.engine.test_policy_failure:Broken"  # raises ZeroDivisionError at t=0
    out = runner.invoke(app, ["compare", "small", "--policies", f"fifo,{broken},sjf",
                              "--workers", workers])
    assert out.exit_code == 1 and "Traceback" not in out.output
    assert "fifo" in out.stdout and "sjf" in out.stdout and "Jain" in out.stdout
    message = " ".join(out.stderr.split())
    # by the path it was given, as the table heads its column (QA: its class's name, 'broken')
    assert message.startswith(f"error: policy '{broken}' failed at t=0.0: ZeroDivisionError: "
                              "oops")
    assert message.endswith("(seed 0); the table compares the other 2")


def test_a_wait_after_a_failure_is_a_wait():
    # failures_small: reliability on. A failure that stops a job sends it back to the queue;
    # --explain said "it never waited" of a job that sat 117 h waiting for repairs
    from colossim.api import load_scenario

    scenario = load_scenario("tests/regression/scenarios/failures_small.yaml")
    result = simulate(scenario)
    found = 0
    for job in result.jobs:
        stops = [e.time_s for e in result.record.events
                 if e.job == job.name and e.kind == "failure" and (e.data or {}).get("stopped")]
        waits = job_timeline(result, job.name).waits
        after = [w for w in waits if w.why.startswith("after a failure took its GPUs: ")]
        # every stop that was not restarted at the same instant is a wait that begins there
        restarted_at_once = {e.time_s for e in result.record.events
                             if e.job == job.name and e.kind == "start"}
        assert {w.since_s for w in after} == {t for t in stops if t not in restarted_at_once}
        found += len(after)
    assert found > 0  # the scenario has such waits (5 with its seed), so the check means it


FAILURES_SMALL = str(Path(__file__).resolve().parents[1] / "regression" / "scenarios"
                     / "failures_small.yaml")


def test_few_seeds_say_how_wide_their_intervals_are():
    # t(0.975, 1) = 12.706: with 2 seeds "84.7% ± 140.3%" printed with no word of why
    out = runner.invoke(app, ["compare", FAILURES_SMALL, "--policies", "fifo", "--seeds", "2"])
    assert out.exit_code == 0, out.output
    assert "With 2 seeds a 95% interval is 12.7 standard errors wide each way" in " ".join(
        out.stdout.split())
    out = runner.invoke(app, ["compare", FAILURES_SMALL, "--policies", "fifo"])
    assert "standard errors" not in out.stdout
    # runs that draw nothing at random: every interval ±0, and no caution under them (QA)
    out = runner.invoke(app, ["compare", "small", "--policies", "fifo", "--seeds", "2"])
    assert out.exit_code == 0 and "± 0" in out.stdout and "standard errors" not in out.stdout


def test_explain_ends_a_wait_at_the_policys_rejection():
    # EDF with reject_late on one GPU: busy (0-2 h) holds it; late (1 h of work, due at 2.5 h)
    # arrives at 0.5 h; past 1.5 h it could no longer finish in time: rejected then (the policy
    # wakes for it). Its wait is 0.5-1.5 h, ended by the rejection; after (0.1 h, at 1 h) runs
    # 2-2.1 h. It said the wait lasted to the run's end, with after "started first"
    jobs = [pool_job("busy", 0, 2), pool_job("late", 0.5, 1, deadline_s=2.5 * 3600),
            pool_job("after", 1, 0.1)]
    result = simulate(pool_scenario(jobs, policy="edf", params={"reject_late": True}))
    assert result.job("late").state == "rejected"
    [wait] = job_timeline(result, "late").waits
    assert (wait.since_s, wait.until_s) == (0.5 * 3600, pytest.approx(1.5 * 3600, abs=0.01))
    assert wait.rejected and not wait.started and wait.why.startswith("the policy rejected it")


def test_the_result_says_which_deadlines_were_met():
    # one GPU: on_time (1 h, due at 1.5 h) runs 0-1 h and makes it; late (1 h, due at 1.5 h,
    # arriving at 0.5 h) could end at 2 h at best and is rejected; free has no deadline
    jobs = [pool_job("on_time", 0, 1, deadline_s=1.5 * 3600),
            pool_job("late", 0.5, 1, deadline_s=1.5 * 3600), pool_job("free", 0.6, 0.1)]
    result = simulate(pool_scenario(jobs, policy="edf", params={"reject_late": True}))
    met = {j.name: (j.deadline_s, j.deadline_met) for j in result.jobs}
    assert met == {"on_time": (5400.0, True), "late": (5400.0, False), "free": (None, None)}


def test_explain_tallies_the_faults_that_stopped_the_job(tmp_path):
    """QA: a failure-heavy job's --explain ran to thousands of lines with no tally. The tally
    by component adds up to the job's interruptions, which the metrics count on their own."""
    result = simulate(load_scenario(FAILURES_SMALL))
    for job in result.jobs:
        timeline = job_timeline(result, job.name)
        assert sum(n for _, n in timeline.faults) == job.interruptions
        assert sum(n for _, n in timeline.restores) <= job.interruptions
    stopped = result.job("big-b").interruptions
    assert stopped > 1  # the scenario's seed stops it more than once: the check means it
    out = runner.invoke(app, ["run", FAILURES_SMALL, "--explain", "big-b"])
    said = re.search(r"faults that interrupted it: (\d+) \(([^)]*)\); restored from: (.*)",
                     " ".join(out.stdout.split()))
    assert said and int(said[1]) == stopped
    parts = [part.rsplit(" ", 1) for part in said[2].split(", ")]
    assert {name for name, _ in parts} <= {"gpu", "tray", "rack", "network", "software"}
    assert sum(int(n) for _, n in parts) == stopped
    listed = runner.invoke(app, ["run", FAILURES_SMALL, "--explain", "big-b", "--json"])
    assert sum(n for _, n in json.loads(listed.stdout)["explain"]["faults"]) == stopped


def test_explain_counts_the_jobs_started_ahead_past_those_it_names():
    # QA: "started 6 other job(s) first: 10t, 6t, 1.5t-a, 1.5t-b, 1t-a ..." named five and
    # ended in dots; the messages' own wording is "and N more" (config.wording.and_more)
    from colossim.metrics.explain import _why

    ahead = ["a", "b", "c", "d", "e", "f"]
    assert _why([], ahead, 100, 200) == ("the policy started 6 other job(s) first: a, b, c, d, "
                                         "e and 1 more (100 of 200 GPUs busy when the wait "
                                         "began)")


def test_a_param_of_a_compared_policy_says_how_to_give_it():
    """QA: ``--policies edf --set scheduler.policy.params.reject_late=true`` on a fifo scenario
    was told fifo knows no such field, and not what to do; naming edf as the scenario's
    policy gives it the param (and fifo, compared beside it, does without)."""
    args = ["compare", "small", "--policies", "edf,fifo", "--json", "--workers", "1",
            "--set", "scheduler.policy.params.reject_late=true"]
    out = runner.invoke(app, args)
    assert out.exit_code == 2
    assert "reject_late: unknown field" in out.stderr
    assert "add --set scheduler.policy.name=<a policy that has it>" in out.stderr
    out = runner.invoke(app, [*args, "--set", "scheduler.policy.name=edf"])
    assert out.exit_code == 0, out.output
    assert {r["policy"] for r in json.loads(out.stdout)["policies"]} == {"edf", "fifo"}
    # a bad value of a param the scenario's policy has gets no such hint (review)
    out = runner.invoke(app, ["compare", "small", "-p", "fifo,sjf", "--set",
                              "scheduler.policy.params.strict=maybe"])
    assert out.exit_code == 2 and "strict" in out.stderr
    assert "scheduler.policy.name=<a policy" not in out.stderr


class StartsTwice(Fifo):
    """fifo, with every start sent twice: the second is refused as invalid."""

    name = "starts-twice"

    def decide(self, view):
        actions = list(super().decide(view))
        return actions + [a for a in actions if type(a).__name__ == "Start"]


def test_compare_says_which_policies_had_actions_refused():
    """QA: a policy whose actions the engine refused looked merely slow in the table, and the
    JSON runs had no count of them."""
    twice = "tests.compare.test_compare_cli:StartsTwice"
    out = runner.invoke(app, ["compare", "small", "--policies", f"fifo,{twice}", "--workers",
                              "1"])
    assert out.exit_code == 0, out.output
    direct = simulate(load_scenario("small"), policy=StartsTwice())
    assert direct.invalid_decisions == 4  # small's four jobs, each started (and sent) twice
    text = " ".join(out.stdout.split())
    named = text.split("Actions the engine refused (over all seeds): ")[1].split(". Invalid")[0]
    assert named.split("; ") == [f"{twice} 4 invalid"]  # fifo had none refused
    out = runner.invoke(app, ["compare", "small", "--policies", f"fifo,{twice}", "--json",
                              "--workers", "1"])
    rows = {r["policy"]: r for r in json.loads(out.stdout)["policies"]}
    assert rows[twice]["runs"][0]["invalid_decisions"] == 4
    assert rows["fifo"]["runs"][0]["invalid_decisions"] == 0


class Sleepy(Fifo):
    """fifo, 20 ms slower at every call."""

    name = "sleepy"

    def decide(self, view):
        import time

        time.sleep(0.02)
        return super().decide(view)


class SleepyGenerator(Fifo):
    """Sleepy, as a generator: its body runs as the engine reads its actions."""

    name = "sleepy-generator"

    def decide(self, view):
        import time

        time.sleep(0.02)
        yield from super().decide(view)


@pytest.mark.parametrize("policy", [Sleepy, SleepyGenerator])
def test_the_run_table_shows_the_policys_share_of_the_wall_time(policy):
    """QA: a policy sleeping at every decision showed only in the total wall time. The engine
    times each decide call (the machine's time, so only the run table shows it), a generator's
    up to its last action (review: its body ran after the timer stopped)."""
    result = simulate(load_scenario("small"), policy=policy())
    record = result.record
    assert record.decide_calls == result.decisions == 7  # small's calls under fifo
    assert record.policy_wall_s >= 7 * 0.02 and record.slowest_decide_s >= 0.02
    assert record.policy_wall_s <= result.wall_s
    assert "policy_wall_s" not in json.dumps(result.to_dict())  # results repeat; this does not
    out = runner.invoke(app, ["run", "small", "--policy",
                              f"tests.compare.test_compare_cli:{policy.__name__}"])
    assert out.exit_code == 0, out.output
    row = " ".join(next(line for line in out.stdout.splitlines() if "wall time" in line).split())
    shown = re.search(r"\(policy (\d+\.\d{3}) s, longest call ([\d.]+) ms\)", row)
    assert shown and float(shown[1]) >= 0.14 and float(shown[2]) >= 20, row
