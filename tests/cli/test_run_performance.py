"""``colossim run`` shows each job's plan and step-time breakdown (issue 3 audit): the table
after the jobs table prints the JSON result's figures, formatted as ``colossim estimate`` does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from colossim.cli.app import app
from colossim.cli.render_performance import plan_text, step_text
from colossim.metrics.result import JobResult

SMALL = str(Path(__file__).resolve().parents[2] / "configs" / "small.yaml")
HEADER = ["job", "GPU", "plan", "GPUs", "step", "s:", "%", "TFLOP/s", "tokens/s", "MFU%"]


def _rows(text: str, gpu: bool = False) -> dict[str, list[str]]:
    """The performance table's rows by job name, cells split on whitespace, from the plan on
    (``gpu``: from the GPU type on)."""
    lines = text.splitlines()
    start = next(k for k, line in enumerate(lines) if line.split() == HEADER)
    rows = {}
    for line in lines[start + 2:]:
        if not line.strip():
            break
        cells = line.split()
        rows[cells[0]] = cells[1:] if gpu else cells[2:]
    return rows


@pytest.fixture(scope="module")
def small_run() -> tuple[str, dict]:
    runner = CliRunner()
    table = runner.invoke(app, ["run", SMALL, "--quiet"], env={"COLUMNS": "100"})
    assert table.exit_code == 0, table.output
    js = runner.invoke(app, ["run", SMALL, "--json"], env={"COLUMNS": "100"})
    assert js.exit_code == 0, js.output
    return table.stdout, json.loads(js.stdout)


def test_the_run_table_shows_the_json_plan_step_and_rates(small_run):
    text, data = small_run
    rows = _rows(text, gpu=True)
    assert set(rows) == {j["name"] for j in data["jobs"]} == {
        "llm-70b", "llm-8b", "image-2b", "moe-200b"}
    for job in data["jobs"]:
        cells = rows[job["name"]]
        plan, step = job["plan"], job["step_s"]
        # the GPU type of its allocation (small has GB200 racks only; QA: no output said it)
        assert set(job["gpus_by_type"]) == {"GB200"}
        assert cells.pop(0) == "GB200"
        # plan TP/PP/DP/EP, and its GPUs: TP x PP x DP
        assert cells[0] == f"{plan['tp']}/{plan['pp']}/{plan['dp']}/{plan['ep']}"
        assert int(cells[1].replace(",", "")) == plan["tp"] * plan["pp"] * plan["dp"]
        assert sum(job["gpus_by_type"].values()) >= int(cells[1].replace(",", ""))
        # step: total seconds, then each cause's share of it in whole per cent
        assert cells[2] == f"{step['total']:.2f}:"
        shares = {c[0]: int(c[1:]) for c in cells[3:-3]}
        parts = {"c": "compute", "t": "tp", "p": "pp_bubble", "d": "dp", "e": "ep"}
        for letter, key in parts.items():
            share = 100 * step[key] / step["total"]
            assert shares.get(letter, 0) == (round(share) if share >= 0.5 else 0)
        # the shares are of one total, so they add up to 100 within rounding
        assert abs(sum(shares.values()) - 100) <= len(shares)
        tflops, tokens, mfu = cells[-3:]
        assert int(tflops.replace(",", "")) == round(job["achieved_tflops_per_gpu"])
        expected_tokens = (f"{job['tokens_per_s'] / 1e6:.1f}M" if job["tokens_per_s"] >= 1e6
                           else f"{job['tokens_per_s']:,.0f}")
        assert tokens == expected_tokens
        assert float(mfu) == round(100 * job["mfu"], 1)
    # QA: the GPUs column (the plan's) times TFLOP/s per GPU (the allocation's) was not the
    # job's rate, and nothing said the two counted different GPUs
    said = " ".join(text.split())
    assert "GPUs: TP x PP x DP, those the plan uses; an allocation of whole racks may hold " \
           "more, idle" in said
    assert "TFLOP/s (achieved per GPU of the allocation, idle ones included)" in said


def test_the_small_scenario_plans_use_their_gpus(small_run):
    """Hand arithmetic on the rows: llm-8b is pure data parallel over its one rack (1/1/72/1:
    72 GPUs), image-2b over its 64 GPUs (1/1/64/1); llm-70b and moe-200b use their 144."""
    rows = _rows(small_run[0])
    assert rows["llm-8b"][:2] == ["1/1/72/1", "72"]
    assert rows["image-2b"][:2] == ["1/1/64/1", "64"]
    assert rows["llm-70b"][1] == rows["moe-200b"][1] == "144"


def test_every_line_fits_100_columns_and_json_stays_pure(small_run):
    text, data = small_run
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "plan: TP/PP/DP/EP" in text  # the legend, shared with colossim estimate
    assert data["jobs"][0]["plan"] is not None  # --json printed the object alone: it parsed


def test_linear_speed_model_jobs_have_no_performance_table():
    out = CliRunner().invoke(app, ["run", SMALL, "-q", "--set", "simulation.speed_model=linear"],
                             env={"COLUMNS": "100"})
    assert out.exit_code == 0, out.output
    assert "TFLOP/s" not in out.stdout and "plan: TP/PP/DP/EP" not in out.stdout


def _job(name: str, plan: tuple[int, int, int, int, int], step: tuple[float, ...],
         tflops: float, tokens: float, mfu: float) -> JobResult:
    tp, pp, dp, ep, v = plan
    keys = ("compute", "tp", "pp_bubble", "dp", "ep")
    return JobResult(name, "completed", 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, mfu=mfu,
                     achieved_tflops_per_gpu=tflops, tokens_per_s=tokens,
                     plan={"tp": tp, "pp": pp, "dp": dp, "ep": ep, "interleave": v},
                     step_s={"total": sum(step), **dict(zip(keys, step, strict=True))},
                     gpus_by_type={"GB300": 72})


def test_colossus2_sized_rows_fit_one_100_column_table(capsys, monkeypatch):
    """The widest cells of the seven Colossus-2 jobs (a 6-digit GPU count, an interleaved EP
    plan, all five causes in the step) stay in one table at 100 columns."""
    from colossim.cli import render
    from colossim.cli.render_performance import performance_table

    monkeypatch.setenv("COLUMNS", "100")
    render.console.cache_clear()
    try:
        performance_table([
            _job("imagine-v2", (8, 1, 4096, 1, 1), (0.114, 0.039, 0, 0.0096, 0), 1090, 1.03e8,
                 0.436),
            _job("1t-a", (4, 4, 3072, 16, 4), (0.60, 0.119, 0.158, 0.171, 0.149), 1378,
                 1.12e8, 0.276),
            _job("6t", (8, 137, 134, 1, 1), (0.906, 0.271, 1.484, 0.425, 0), 954, 4.35e7,
                 0.191),
        ])
    finally:
        render.console.cache_clear()
    lines = capsys.readouterr().out.splitlines()
    assert sum(1 for line in lines if line.split()[:3] == ["job", "GPU", "plan"]) == 1
    assert max(len(line) for line in lines) <= 100
    row = next(line for line in lines if line.startswith(" 6t"))
    # 8 x 137 x 134 = 146,864 GPUs; step 0.906 + 0.271 + 1.484 + 0.425 = 3.086 s:
    # compute 29%, TP 9%, bubble 48%, DP 14%
    assert row.split() == ["6t", "GB300", "8/137/134/1", "146,864", "3.09:", "c29", "t9", "p48",
                           "d14", "954", "43.5M", "19.1"]


def test_estimate_and_run_share_the_formatters():
    plan = {"tp": 4, "pp": 4, "dp": 3072, "ep": 16, "interleave": 4}
    assert plan_text(plan) == "4/4/3072/16 v4"
    # 1.0 s: 0.5 compute, 0.25 TP, 0.004 DP (0.4%: left out), 0.246 EP
    step = {"total": 1.0, "compute": 0.5, "tp": 0.25, "pp_bubble": 0.0, "dp": 0.004, "ep": 0.246}
    assert step_text(step) == "1.00: c50 t25 e25"
    from colossim.cli import render_estimate

    assert render_estimate.plan_text is plan_text and render_estimate.step_text is step_text
