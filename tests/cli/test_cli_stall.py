"""``run`` and ``compare`` stop a run that has stopped making progress (QA: a plugin policy that
never started its jobs but polled every minute ran ``colossim run`` for 7.5 minutes and 870 MB,
and held up ``compare`` of every installed policy)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from colossim.cli.app import app

POLL = "tests.testing.test_runner:Poll"  # starts nothing, asks to be woken every 60 s


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def test_run_fails_a_policy_that_never_starts_its_jobs():
    result = invoke("run", "small", "--policy", POLL, "--quiet")
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"error: starved: policy '{POLL}' on scenario 'small': no "
                                    "job progressed or completed in")
    assert "run with --no-stall-guard to let such a run go on" in result.stderr
    assert "Traceback" not in result.output


def test_without_the_guard_the_run_goes_to_its_horizon():
    result = invoke("run", "small", "--policy", POLL, "--no-stall-guard", "--json",
                    "--set", "simulation.horizon_s=86400")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["end_s"] == 86_400 and [j["state"] for j in data["jobs"]] == ["pending"] * 4


def test_compare_tables_the_others_and_names_the_starved_policy():
    result = invoke("compare", "small", "--policies", f"fifo,{POLL}", "--workers", "1",
                    "--json")
    assert result.exit_code == 1, result.output
    rows = {row["policy"]: row for row in json.loads(result.stdout)["policies"]}
    assert rows["fifo"]["metrics"]["makespan_s"]["mean"] > 0
    assert rows[POLL]["error"].startswith(f"starved: policy '{POLL}' on scenario 'small'")
    assert "compare with --no-stall-guard" in rows[POLL]["error"]
