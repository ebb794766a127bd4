"""``colossim estimate`` end to end, and the load-time memory-fit check."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from colossim.cli.app import app

NO_FIT = """\
name: nofit
cluster:
  pod_size_racks: 2
  rack_groups:
    - gpu_type: GB200
      racks: 2
  power: {supply_mw: 1}
jobs:
  - name: huge
    params_billion: 10000
    tokens_billion: 100
    min_gpus: 8
    max_gpus: 144
"""


def test_a_job_that_never_fits_in_memory_is_a_config_error_at_its_line(tmp_path):
    path = tmp_path / "nofit.yaml"
    path.write_text(NO_FIT)
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    # 10T params x 16 B/param (BF16 weights and grads, FP32 Adam) = 160 TB > 144 x 186 GB
    assert f"{path}:13: jobs[0].max_gpus: huge does not fit in memory" in result.output
    assert "Traceback" not in result.output


def test_estimate_json_has_a_row_per_job_and_gpu_type():
    result = CliRunner().invoke(app, ["estimate", "small", "--json", "-t", "GB200", "-t", "GB300"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 4 * 2  # four jobs in small.yaml, two GPU types
    for row in rows:
        plan = row["plan"]
        assert plan["tp"] * plan["pp"] * plan["dp"] <= row["gpus"]
        assert 0 < row["mfu"] < 1
        # GB300 has 279 GB usable against GB200's 186: never needs more GPUs to fit
    by_key = {(r["job"], r["gpu_type"]): r for r in rows}
    for job in ("llm-70b", "llm-8b", "image-2b", "moe-200b"):
        assert (
            by_key[(job, "GB300")]["min_gpus_to_fit"] <= by_key[(job, "GB200")]["min_gpus_to_fit"]
        )


def test_estimate_table_and_bad_names():
    runner = CliRunner()
    ok = runner.invoke(app, ["estimate", "small", "--job", "llm-8b", "--gpus", "72"])
    assert ok.exit_code == 0, ok.output
    assert "llm-8b" in ok.output and "GB200" in ok.output
    bad = runner.invoke(app, ["estimate", "small", "--job", "nope"])
    assert bad.exit_code == 2
    assert "--job: no job named 'nope'; jobs: llm-70b, llm-8b, image-2b, moe-200b" in bad.output
    bad = runner.invoke(app, ["estimate", "small", "--gpu-type", "GB20"])
    assert bad.exit_code == 2
    assert "--gpu-type: no GPU type named 'GB20' (did you mean 'GB200'?); GPU types: " in bad.output


def test_the_colossus2_estimate_fits_80_columns_with_every_value_whole(monkeypatch):
    """It printed 90 columns (folded by an 80-column terminal): columns that do not fit beside
    the job and GPU now go to a second table that repeats them."""
    from colossim.cli import render

    monkeypatch.setenv("COLUMNS", "80")
    render.console.cache_clear()
    out = CliRunner().invoke(app, ["estimate", "colossus2"]).stdout
    render.console.cache_clear()
    assert max(len(line) for line in out.splitlines()) <= 80 and "…" not in out
    for header in ("GPUs", "fit", "plan", "step", "MFU%", "days"):
        assert header in out.split(), header
    # the 10T job on GB200: every value of its row whole, on one of the tables
    rows = [line.split() for line in out.splitlines() if line.split()[:2] == ["10t", "GB200"]]
    cells = [cell for row in rows for cell in row]
    assert "221,184" in cells and "16/16/768/4" in cells and "1,144" in cells


def test_the_gpus_a_plan_leaves_unused_are_shown():
    from colossim.cli.render_estimate import _idle

    # 100 GPUs asked, a 2 x 3 x 16 plan uses 96: 4 idle; a plan using all of them: 0
    assert _idle({"gpus": 100, "plan": {"tp": 2, "pp": 3, "dp": 16}}) == "4"
    assert _idle({"gpus": 96, "plan": {"tp": 2, "pp": 3, "dp": 16}}) == "0"
    assert _idle({"gpus": 96, "plan": None}) == "-"


def test_estimate_does_not_need_the_scenarios_policy(tmp_path):
    # QA: estimate refused examples/policy_regression's toy scenario, whose plugin policy
    # (and its params) it never uses
    from pathlib import Path

    text = (Path(__file__).parents[2] / "configs" / "small.yaml").read_text()
    text = text.replace("    name: fifo\n", "    name: someone-elses\n    params: {knob: 3}\n")
    (tmp_path / "s.yaml").write_text(text)
    result = CliRunner().invoke(app, ["estimate", str(tmp_path / "s.yaml"), "--json",
                                      "--job", "llm-8b", "-t", "GB200"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert row["job"] == "llm-8b" and row["plan"]


def test_an_estimate_that_finds_no_plan_says_why_and_a_type_given_twice_is_one_row():
    # QA: a row of "-" with no reason; --gpu-type GB200 twice printed the row twice
    result = CliRunner().invoke(app, ["estimate", "colossus2", "--job", "10t", "--gpus", "100",
                                      "-t", "GB200", "-t", "GB200", "--json"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert "plan" not in row and row["min_gpus_to_fit"] > 100
    assert row["note"] == (f"does not fit in memory on 100 GB200 GPUs (needs "
                           f"{row['min_gpus_to_fit']:,})")
    table = CliRunner().invoke(app, ["estimate", "colossus2", "--job", "10t", "--gpus", "100",
                                     "-t", "GB200"])
    assert f"10t on GB200: {row['note']}" in " ".join(table.stdout.split())


def test_gpus_beyond_what_the_cluster_has_are_said():
    # QA: 5,000,000 GPUs on a 548,352-GPU cluster gave a plan at 1.4% MFU without a word
    result = CliRunner().invoke(app, ["estimate", "small", "--job", "llm-8b", "--gpus", "1000",
                                      "-t", "GB200", "-t", "H100"])
    assert result.exit_code == 0, result.output
    # H100 is not in small's cluster: a what-if; and 1,000 is past llm-8b's max_gpus (QA: a
    # size no policy can give it went by without a word)
    assert result.stderr.count("warning:") == 2
    assert ("warning: --gpus 1,000 is more than the 288 GB200 GPUs the cluster can allocate: "
            "the estimate is for a bigger cluster") in result.stderr
    assert ("warning: --gpus 1,000 is more than the max_gpus of llm-8b (72): a size no policy "
            "can give it in a run") in " ".join(result.stderr.split())
    within = CliRunner().invoke(app, ["estimate", "small", "--job", "llm-8b", "--gpus", "72"])
    assert "warning" not in within.stderr


def test_a_max_gpus_beyond_the_cluster_is_estimated_on_what_the_cluster_can_allocate():
    # QA: max_gpus 30,000 on a 20,016-GPU cluster was estimated on 30,000 (9.8 days, the run
    # 16.9) without a word. small has 4 GB200 racks: 288 GPUs; GB300 is a what-if: as asked
    result = CliRunner().invoke(app, ["estimate", "small", "--json", "--job", "llm-8b", "-t",
                                      "GB200", "-t", "GB300", "--set",
                                      "jobs.llm-8b.max_gpus=1000"])
    assert result.exit_code == 0, result.output
    gb200, gb300 = json.loads(result.output)
    assert (gb200["gpus"], gb300["gpus"]) == (288, 1000)
    assert gb200["note"] == ("max_gpus 1,000 is more than the 288 GB200 GPUs the cluster can "
                             "allocate: estimated on 288")
    assert "note" not in gb300



def test_a_gpu_type_the_cluster_has_no_racks_of_gets_no_row_unless_asked_for():
    # QA: GB300 at 0 racks still had a row by default, on the 10T's max_gpus and 3 days faster
    # than anything the cluster could run; asked for by name it is a what-if, as a type the
    # cluster lacks. colossus2's groups: GB200 (4,480 racks), GB300 (3,136)
    args = ["estimate", "colossus2", "--json", "--job", "1t-a"]
    both = json.loads(CliRunner().invoke(app, args).output)
    assert [row["gpu_type"] for row in both] == ["GB200", "GB300"]
    none = ["--set", "cluster.rack_groups.GB300.racks=0"]
    result = CliRunner().invoke(app, [*args, *none])
    assert result.exit_code == 0, result.output
    assert [row["gpu_type"] for row in json.loads(result.output)] == ["GB200"]
    (asked,) = json.loads(CliRunner().invoke(app, [*args, "-t", "GB300", *none]).output)
    assert asked["gpus"] == 55296 and "note" not in asked  # 1t-a's max_gpus, as asked


def test_estimate_says_it_prices_a_non_blocking_fabric_when_the_run_would_not():
    """QA: 1:1 and 1:4 pod uplinks gave the same days to train, without a word that under the
    contention model (on by default) oversubscription acts only in a run."""

    def warned(*sets: str) -> bool:
        args = ["estimate", "small", "--json", *(a for s in sets for a in ("--set", s))]
        done = CliRunner().invoke(app, args)
        assert done.exit_code == 0, done.output
        return "estimates price a non-blocking scale-out fabric" in done.stderr

    ratio = "cluster.fabric.tiers.pod.oversubscription=4"
    assert warned(ratio)
    assert not warned()
    assert not warned(ratio, "cluster.fabric.contention=false")  # then priced here
