"""The sweep summary at 80 columns when the parameters alone fill the terminal.

Five varied parameters with long names leave no room for a metric beside them; before, rich cut
the metrics off (or every value but the parameters). The summary then lists the parameters by
point, and the metrics by point, each split as needed, every header and value whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from colossim.cli import render
from colossim.cli.render_sweep import _column, _mean_ci, _number, _spread, summary_table
from colossim.sweep.expand import expand
from colossim.sweep.spec import load_study
from tests.conftest import need
from tests.sweep.sweep_helpers import SMALL, write_study

WIDE = f"""\
name: wide
base: {SMALL}
method: random
samples: 3
parameters:
  cluster.power.pue: {{min: 1.05, max: 1.4, distribution: uniform}}
  reliability.gpu.mtbf_gpu_hours: {{min: 1000, max: 100000, distribution: loguniform}}
  jobs.image-2b.max_gpus: {{min: 8, max: 64, distribution: int}}
  scheduler.policy.name: [fifo, priority, power-aware]
  cluster.power.supply_mw: [0.5, 1.0]
seeds: 2
metrics: [makespan_s, cluster.energy_mwh, jobs.image-2b.jct_s]
"""


@pytest.fixture
def eighty(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    render.console.cache_clear()
    yield
    render.console.cache_clear()


def test_parameters_that_fill_the_terminal_leave_every_metric_whole(tmp_path, eighty, capsys):
    plan = expand(load_study(write_study(tmp_path, WIDE)))
    rows = []
    for point in range(3):
        values = dict(next(run.values for run in plan.runs if run.point == point))
        row = {"point": point, **values, "runs": 2, "failed": 0}
        for k, metric in enumerate(plan.metrics):
            mean = 123_456.0 * (point + 1) + k
            row.update({f"{metric}.n": 2, f"{metric}.mean": mean,
                        f"{metric}.ci95_low": mean - 66_000.0,
                        f"{metric}.ci95_high": mean + 66_000.0})
        rows.append(row)
    summary_table(plan, rows)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert max(map(len, lines)) <= 80 and "…" not in out
    # 2 seeds a point: the t quantile at 1 degree of freedom is 12.706 (a table's), so the
    # interval may pass a metric's bounds; `compare` said so and the sweep did not
    assert "With 2 seeds a 95% interval is 12.7 standard errors wide each way" in " ".join(
        out.split())
    for header in ("point", "power.pue", "gpu.mtbf_gpu_hours", "image-2b.max_gpus",
                   "policy.name", "power.supply_mw", "runs", "makespan d", "energy_mwh",
                   "image-2b.jct d"):  # durations of over a day read in days
        assert any(header in line for line in lines), header
    for row in rows:  # "123,457 ±66,000", "246,913 ±66,000", ... each whole on its line
        for metric in plan.metrics:
            mean = row[f"{metric}.mean"]
            # seconds as days: 123,456 s = 1.429 d, ±66,000 s = ±0.76 d (2 digits)
            shown = (f"{mean / 86400:.4g} ±0.76" if metric.endswith("_s")
                     else f"{mean:,.0f} ±66,000")
            assert any(shown in line for line in lines), shown
        assert any(line.split()[:2] == [str(row["point"]), _column([row["cluster.power.pue"]])[0]]
                   for line in lines)
    for row in rows:  # every interval ±0 (no run draws at random): no caution (QA)
        for metric in plan.metrics:
            row[f"{metric}.ci95_low"] = row[f"{metric}.ci95_high"] = row[f"{metric}.mean"]
    summary_table(plan, rows)
    assert "standard errors" not in capsys.readouterr().out


def test_a_mean_over_fewer_runs_than_the_point_had_says_how_many():
    # 4 runs, 3 cut at the horizon before the makespan: a bare "1.434" beside "4/4" read as a
    # mean of 4 with no spread (docs/studies.md: the summary says how many values each has)
    row = {"runs": 4, "makespan_s.n": 1, "makespan_s.mean": 1.434, "makespan_s.ci95_high": None}
    assert _mean_ci(row, "makespan_s") == "1.434 (n=1)"
    row.update({"makespan_s.n": 4, "makespan_s.ci95_high": 1.5})
    assert _mean_ci(row, "makespan_s") == "1.434 ±0.066"
    # QA: no run finished (no makespan), where a metric that does not apply also reads "-"
    row.update({"makespan_s.n": 0, "makespan_s.mean": None, "makespan_s.ci95_high": None})
    assert _mean_ci(row, "makespan_s") == "- (n=0)"
    assert _mean_ci({**row, "runs": 0}, "makespan_s") == "-"


def test_seeds_an_ulp_apart_show_no_spread():
    # peak power 0.4 MW in every seed but one ulp off in two: "0.4 ±2.2e-16" was rounding noise
    from colossim.metrics.intervals import interval

    got = interval([0.4, 0.4, 0.4 + 5.551115123125783e-17, 0.4])
    assert got.high > got.mean  # the interval is kept as computed (summary.csv)
    row = {"runs": 4, "power.n": 4, "power.mean": got.mean, "power.ci95_high": got.high}
    assert _mean_ci(row, "power") == "0.4 ±0"
    row["power.ci95_high"] = got.mean * (1 + 1e-9)  # a spread of a part in a billion is one
    assert _mean_ci(row, "power") == "0.4 ±4e-10"


def test_values_and_spreads_are_written_one_way():
    assert _number(999.9999999) == "1,000" and _number(1002.3) == "1,002"
    assert _number(0.0891) == "0.0891" and _number(12.34567) == "12.35"
    assert _number(18.9996) == "19.00" and _number(19.0) == "19"  # QA: "19" beside "18.99"
    assert _spread(65_531.0) == "66,000" and _spread(0.0891) == "0.089"
    assert _spread(781.2) == "780" and _spread(104.0) == "100" and _spread(12.3) == "12"
    # a cross-pod byte count: 2.044e+20 ± 3.1e+18, not 21 grouped digits
    assert _number(2.0437e20) == "2.044e+20" and _spread(3.14e18) == "3.1e+18"
    assert _number(999_949_999_999.0) == "999,949,999,999" and _number(1.2e12) == "1.2e+12"
    assert _column([True, {"strict": True}]) == ["true", '{"strict": true}']
    assert _column(["fifo", 1.5, None]) == ["fifo", "1.5", "null"]  # a value given as null
    # QA: at 6 digits 200000 and 200000.5 (two points) printed as one row; a range's sum
    # 0.1 + 0.2 keeps reading 0.3
    assert _column([200000.0, 200000.5, 1234567.891, 1.123456789, 0.1 + 0.2]) == [
        "200000", "200000.5", "1234567.891", "1.123456789", "0.3"]
    # QA: 0.3 and 0.30000000000000004, two points, printed as four rows of 0.3: floats that
    # read alike at 15 digits are written as results.csv writes them; the same value twice is
    # one value, and its neighbours keep their 15 digits
    assert _column([0.3, 0.1 + 0.2, 0.4, 0.3, 0.1 + 0.2]) == [
        "0.3", "0.30000000000000004", "0.4", "0.3", "0.30000000000000004"]
    from colossim.sweep.plots import _labels

    assert sorted(_labels([0.3, 0.1 + 0.2, 0.4], 32).values()) == [
        "0.3", "0.30000000000000004", "0.4"]


@pytest.mark.parametrize(("column", "shown"), [
    ([699.9999999, 800.0, 900.0000001, 1000.0], ["700", "800", "900", "1,000"]),  # QA: "700.0"
    ([18.9996, 18.99], ["19.00", "18.99"]),
    ([1.0, 0.9999999999999999], ["1", "1"]),  # QA: "1" beside "1.000"
    ([25.3, 1.9996, 2.0], ["25.3", "2.0", "2.0"]),  # QA: "2.000" beside "25.3"
    ([0.001234, 5.0, None], ["0.001234", "5.000", None]),  # 4 significant digits at most
    # QA: trailing zeros of a value that is not whole were dropped beside longer ones
    ([25.297, 25.56], ["25.30", "25.56"]),
    ([0.833, 0.8202], ["0.8330", "0.8202"]),
    ([5.65, 5.028], ["5.650", "5.028"]),
    ([8.236, 24.95], ["8.236", "24.95"]),  # never past 4 significant digits
])
def test_a_column_of_means_shows_whole_numbers_as_its_other_values_do(column, shown):
    from colossim.cli.render_sweep import _decimals

    decimals = _decimals(column)
    assert [None if x is None else _number(x, decimals) for x in column] == shown


def test_long_values_keep_the_part_where_they_differ():
    # QA: three lists of power events differing in one duration_s read the same in the
    # summary table and as plot ticks (each cut at its end, or its middle elided)
    from colossim.sweep.value_labels import distinct_labels

    events = [[{"kind": "dip", "start_s": 36000, "duration_s": d, "supply_mw": 0.3}]
              for d in (3600, 14400, 43200)]
    labels = _column(events)
    assert labels == ['…"duration_s": 3600, "supply_mw…', '…duration_s": 14400, "supply_mw…',
                      '…duration_s": 43200, "supply_mw…']
    assert all(len(label) <= 32 for label in labels)
    # beside the empty baseline ("with vs without a dip") they read "#2" and "#3" (QA)
    assert _column([[], *events]) == ["[]", *labels]
    paths = [f"/data/traces/cluster{n}/jobs.csv" for n in ("01", "04", "10")]
    assert distinct_labels(paths, 20) == ["…cluster01/jobs.csv", "…cluster04/jobs.csv",
                                         "…cluster10/jobs.csv"]
    assert distinct_labels(["short", "x" * 50], 10) == ["short", "xxxxx…xxxx"]
    assert distinct_labels(["a" * 40, "a" * 40], 10) == ["aaaaa…aaaa"] * 2  # one value
    # they differ in two places far apart: the middle's middle would hide one of them
    far = ["x" * 10 + a + "y" * 30 + b + "y" * 30 + c + "z" * 10
           for a, b, c in ("111", "121", "112", "211")]
    labels = distinct_labels(far, 24)
    assert len(set(labels)) == 4 and all(len(label) <= 24 for label in labels)
    assert labels[0].endswith(" #1") and labels[1].endswith(" #2")  # alike but for the middle
    assert not labels[2].endswith(" #3") and not labels[3].endswith(" #4")


def _rows_of(plan):
    """A summary row per point with its parameter values (what the plots group by)."""
    return [{"point": point, **dict(next(r.values for r in plan.runs if r.point == point))}
            for point in range(plan.points)]


def test_random_plots_group_by_listed_knobs_only_and_at_most_eight_lines(tmp_path):
    from colossim.sweep.plots import MAX_SERIES, lines_for

    text = WIDE.replace("samples: 3", "samples: 40")
    plan = expand(load_study(write_study(tmp_path, text)))
    lines = lines_for(plan, _rows_of(plan), "cluster.power.pue")
    # drawn knobs (mtbf, image-2b's GPUs) would make each point a line: only the two listed
    # knobs split lines, 3 policies x 2 supplies = 6 lines
    assert {tuple(k for k, _ in key) for key in lines} == {
        ("scheduler.policy.name", "cluster.power.supply_mw")}
    assert len(lines) == 6
    # a third listed knob of 4 values would make 24 lines: it is the first to go
    text = text.replace("seeds: 2", "seeds: 2").replace(
        "  cluster.power.supply_mw: [0.5, 1.0]\n",
        "  cluster.power.supply_mw: [0.5, 1.0]\n  jobs.llm-8b.max_gpus: [72, 144, 216, 288]\n")
    plan = expand(load_study(write_study(tmp_path, text)))
    lines = lines_for(plan, _rows_of(plan), "cluster.power.pue")
    assert len(lines) <= MAX_SERIES
    assert all("jobs.llm-8b.max_gpus" not in dict(key) for key in lines)


def test_plots_of_a_resumed_study_lose_what_it_no_longer_has(tmp_path):
    need("matplotlib")
    from colossim.sweep.plots import plot_study

    plan = expand(load_study(write_study(tmp_path, WIDE)))
    rows = [{**row, **{f"makespan_s.{s}": 1.0 for s in ("mean", "ci95_low", "ci95_high")},
             "makespan_s.n": 1, "runs": 1,
             "cluster.energy_mwh.mean": None, "jobs.image-2b.jct_s.mean": None}
            for row in _rows_of(plan)]
    folder = tmp_path / "plots"
    folder.mkdir()
    stale = folder / "old_metric__vs__cluster.power.pue.png"
    stale.write_bytes(b"\x89PNG")
    written = plot_study(plan, rows, folder)
    # 5 varied knobs; energy and image-2b's JCT have no value in any run: no blank axes for them
    assert len(written) == 5 and not stale.exists()
    assert all(path.name.startswith("makespan_s__vs__") for path in written)
    assert sorted(folder.iterdir()) == sorted(written)


def test_list_values_show_escaped_and_cut_and_headers_stay_apart(tmp_path, eighty, capsys):
    from colossim.cli.render_sweep import VALUE_WIDTH, plan_table
    from colossim.sweep.metrics import short_names

    # a list of power events ran past 80 columns (and pushed its header out); text that reads
    # as rich markup is escaped
    assert _column([[], "[bold]x"]) == ["[]", "\\[bold]x"]
    dip = [{"kind": "dip", "start_s": 259200, "duration_s": 86400, "supply_mw": 700}]
    [alone] = _column([dip])
    assert len(alone) == VALUE_WIDTH and "…" in alone
    assert alone.endswith('pply_mw": 700}]')  # its middle elided, its end kept
    # two trace files that differ at their ends stay apart (both read "../../../shared/…")
    paths = [f"../../../shared/traces/elasticflow-itp/cluster{n}.csv" for n in ("05", "10")]
    assert _column(paths)[0] != _column(paths)[1]
    # zipped paths that end alike keep apart
    assert short_names(["jobs.10t.checkpoint.interval_s", "jobs.6t.checkpoint.interval_s",
                        "makespan_s"]) == {
        "jobs.10t.checkpoint.interval_s": "10t.checkpoint.interval_s",
        "jobs.6t.checkpoint.interval_s": "6t.checkpoint.interval_s", "makespan_s": "makespan_s"}
    # a job named with a dot stays whole (the header read "5t-a.jct_s", a job that is not)
    assert short_names(["jobs.1.5t-a.jct_s", "jobs.1.5t-a.max_gpus"], ["1.5t-a"]) == {
        "jobs.1.5t-a.jct_s": "1.5t-a.jct_s", "jobs.1.5t-a.max_gpus": "1.5t-a.max_gpus"}
    # ... wherever it stands: in a mapping keyed by job name too (was "5t-a.cap_w")
    assert short_names(["cluster.power.jobs.1.5t-a.cap_w", "cluster.power.jobs.10t.cap_w"],
                       ["1.5t-a"]) == {"cluster.power.jobs.1.5t-a.cap_w": "1.5t-a.cap_w",
                                       "cluster.power.jobs.10t.cap_w": "10t.cap_w"}
    study = (f"name: events\nbase: {SMALL}\nparameters:\n  cluster.power.events:\n    - []\n"
             "    - [{kind: dip, start_s: 3600, duration_s: 600, supply_mw: 0.5}]\n"
             "seeds: 1\n")
    plan = expand(load_study(write_study(tmp_path, study)))
    capsys.readouterr()
    plan_table(plan)
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= 80
    header = next(line for line in lines if "run id" in line)
    assert header.split()[-1] == "power.events"
    rows = [line for line in lines if line.strip()[:1].isdigit()]
    assert rows[0].split()[-1] == "[]"
    assert "…" in rows[1] and rows[1].rstrip().endswith("0.5}]")


def test_a_wildcard_stays_in_the_header():
    from colossim.sweep.metrics import short_names

    # "checkpoint.interval_s" read as one job's interval; the column is every job's
    assert short_names(["jobs.*.checkpoint.interval_s", "cluster.rack_groups.*.racks",
                        "jobs.llm-70b.checkpoint.interval_s"]) == {
        "jobs.*.checkpoint.interval_s": "*.checkpoint.interval_s",
        "cluster.rack_groups.*.racks": "*.racks",
        "jobs.llm-70b.checkpoint.interval_s": "llm-70b.checkpoint.interval_s"}


def test_a_header_keeps_the_job_and_the_list_an_index_is_in():
    """QA: ``jobs.10t.checkpoint.interval_s`` was headed ``checkpoint.interval_s`` (which
    job?) and ``cluster.power.events.0.duration_s`` ``0.duration_s`` (0 of what?)."""
    from colossim.sweep.metrics import short_name

    assert short_name("jobs.10t.checkpoint.interval_s") == "10t.checkpoint.interval_s"
    assert short_name("cluster.power.events.0.duration_s") == "events.0.duration_s"
    assert short_name("jobs.0.max_gpus") == "jobs.0.max_gpus"
    assert short_name("jobs.10t.jct_s") == "10t.jct_s"  # two segments already say it
    assert short_name("cluster.power.supply_mw") == "power.supply_mw"
    # two such names that read alike grow until they differ (review: depths 2 and 3 both read
    # events.0.duration_s, and the clash stayed)
    from colossim.sweep.metrics import short_names

    assert short_names(["cluster.power.events.0.duration_s",
                        "cluster.fabric.events.0.duration_s"]) == {
        "cluster.power.events.0.duration_s": "power.events.0.duration_s",
        "cluster.fabric.events.0.duration_s": "fabric.events.0.duration_s"}


def summary_rows(plan, mean: float = 123_456.0) -> list[dict]:
    """A summary row per point, as ``summarise`` writes them, with made-up means."""
    rows = []
    for point in range(plan.points):
        values = dict(next(run.values for run in plan.runs if run.point == point))
        row = {"point": point, **values, "runs": 1, "failed": 0}
        for metric in plan.metrics:
            row.update({f"{metric}.n": 1, f"{metric}.mean": mean, f"{metric}.ci95_low": None,
                        f"{metric}.ci95_high": None})
        rows.append(row)
    return rows


SPLIT = f"""\
name: split
base: {SMALL}
parameters:
  cluster.pod_size_racks: [1, 2]
  jobs.llm-70b.checkpoint.interval_s: [auto, 600]
  cluster.power: [{{supply_mw: 1, pue: 1.1}}, {{supply_mw: 2.5, pue: 1.3}}]
metrics: [makespan_s, jobs.llm-70b.jct_s, wall_s]
"""


@pytest.mark.filterwarnings("ignore:.*the checkpoint settings of")  # failures off in small
def test_parameters_alone_fill_the_terminal_and_runs_go_with_the_metrics(tmp_path, eighty,
                                                                           capsys):
    # the parameters fill 80 columns: a table of their own, then `runs` had one (point | runs)
    plan = expand(load_study(write_study(tmp_path, SPLIT)))
    summary_table(plan, summary_rows(plan))
    lines = capsys.readouterr().out.splitlines()
    headers = [line.split() for line in lines if line.split()[:1] == ["point"]]
    assert headers == [["point", "pod_size_racks", "llm-70b.checkpoint.interval_s"],
                       ["point", "power"],
                       ["point", "runs", "makespan", "d", "llm-70b.jct", "d", "wall", "d"]]


def test_failed_runs_beyond_ten_are_counted(capsys):
    from colossim.cli.render_sweep import failures

    records = [{"run_id": f"id{k:02d}", "point": k, "seed": k, "error": "RuntimeError: boom"}
               for k in range(13)]
    failures(records)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "13 runs failed (tracebacks in runs/<run id>.json):"
    assert [line.split()[0] for line in lines[1:11]] == [f"id{k:02d}" for k in range(10)]
    assert lines[11:] == ["  ... and 3 more (results.csv lists every run with its status and "
                          "error)"]
    failures(records[:1])
    assert capsys.readouterr().out.splitlines()[0] == "1 run failed (tracebacks in runs/<run "\
                                                      "id>.json):"


def test_the_report_counts_in_words(capsys):
    from colossim.cli.render_sweep import sweep_report
    from colossim.sweep.runner import SweepReport

    report = SweepReport(planned=1, skipped=0, ran=1, failed=0, interrupted=False, records={})
    sweep_report(report, "out/x", [])
    assert capsys.readouterr().out == "1 run ran, 0 already done, 0 failed; results in out/x\n"


MANY = f"base: {SMALL}\nname: many\nseeds: 250\n"  # one point, 250 replicates


def listed_runs(text: str) -> list[str]:
    """The run ids of a ``--dry-run`` listing: a row is "#  run id  ...", 16 hex digits."""
    return [cells[1] for line in text.splitlines() if len(cells := line.split()) > 1
            and cells[0].isdigit() and len(cells[1]) == 16]


def test_dry_run_piped_lists_every_run(tmp_path, capsys):
    from colossim.cli.render_sweep import plan_table

    plan = expand(load_study(write_study(tmp_path, MANY)))
    plan_table(plan)  # capsys: not a terminal, as `--dry-run | less` or `> runs.txt`
    out = capsys.readouterr().out
    assert listed_runs(out) == [run.run_id for run in plan.runs]
    assert "250 runs (1 point)" in out and "more run" not in out


def test_dry_run_on_a_terminal_lists_200_and_says_how_to_see_the_rest(tmp_path, monkeypatch):
    import io

    from rich.console import Console

    from colossim.cli import render_sweep

    screen = io.StringIO()
    monkeypatch.setattr(render_sweep, "console",
                        lambda: Console(file=screen, force_terminal=True, color_system=None,
                                                width=120))
    plan = expand(load_study(write_study(tmp_path, MANY)))
    render_sweep.plan_table(plan)
    out = screen.getvalue()
    assert listed_runs(out) == [run.run_id for run in plan.runs[:200]]
    assert "... and 50 more runs (pipe the output to a file or to less to list them all)" in out


def test_a_rate_per_second_keeps_its_unit():
    # QA: tokens_per_s ends in _s, and 489,879 tokens/s was shown as "5.67 d"
    from colossim.metrics.labels import time_unit

    assert time_unit("jobs.a.tokens_per_s", [489_879.0]) == (1.0, "")
    assert time_unit("fabric.cross_pod_bytes_per_s", [1e12]) == (1.0, "")
    assert time_unit("makespan_s", [1_665_621.0]) == (86_400.0, "d")
    assert time_unit("mean_queue_s", [0.0, 113_526.0, None]) == (86_400.0, "d")  # zeros aside
    assert time_unit("mean_queue_s", [0.0, 0.0]) == (1.0, "")


def test_outputs_not_written_again_are_not_left_to_disagree(tmp_path, monkeypatch):
    # QA: a --resume with --no-plots (or without pyarrow) kept the earlier plots and
    # results.parquet (4 rows beside results.csv's 8)
    from colossim.errors import ColossimError
    from colossim.sweep import outputs

    plan = expand(load_study(write_study(tmp_path)))
    records = {}  # no run yet: the tables are written all the same
    out = tmp_path / "out"
    (out / "plots").mkdir(parents=True)
    old_plot = out / "plots" / "makespan_s__vs__jobs.llm-70b.max_gpus.png"
    old_plot.write_bytes(b"\x89PNG")
    (out / "results.parquet").write_bytes(b"PAR1")

    def no_pyarrow(*_args):
        raise ColossimError("results.parquet needs pyarrow")

    monkeypatch.setattr(outputs, "write_parquet", no_pyarrow)
    _summary, notes = outputs.write_outputs(plan, records, out, plots=False)
    assert not old_plot.exists() and not (out / "results.parquet").exists()
    assert (out / "results.csv").exists()
    assert ("not written: results.parquet needs pyarrow (the results.parquet of an earlier "
            "state is removed)") in notes
    assert any(note.startswith("removed 1 plot of an earlier state") for note in notes)


def test_no_plots_keeps_the_plots_of_the_same_results(tmp_path):
    # QA: a --resume --no-plots that ran nothing new removed plots that still matched the
    # tables; they go only when the summary they were drawn from changes
    from colossim.sweep import outputs

    plan = expand(load_study(write_study(tmp_path)))
    out = tmp_path / "out"
    outputs.write_outputs(plan, {}, out, plots=False)  # the summary the plot was drawn from
    (out / "plots").mkdir()
    plot = out / "plots" / "makespan_s__vs__jobs.llm-70b.max_gpus.png"
    plot.write_bytes(b"\x89PNG")
    _summary, notes = outputs.write_outputs(plan, {}, out, plots=False)
    assert plot.exists() and not any("removed" in note for note in notes)
    run = plan.runs[0]
    changed = {run.run_id: {"status": "ok", "result": {"makespan_s": 100.0}}}
    _summary, notes = outputs.write_outputs(plan, changed, out, plots=False)
    assert not plot.exists() and any(n.startswith("removed 1 plot") for n in notes)


def test_a_knob_of_numbers_and_auto_keeps_a_numeric_axis_and_auto_apart():
    # QA: 120, 600, 3600 and auto were evenly spaced categories joined by one line, so the
    # curve seemed to turn up at a fifth, longer interval
    from colossim.sweep.plots import _axis

    position, apart, ticks = _axis([120, 600, 3600, "auto", 120])
    assert [position[v] for v in (120, 600, 3600)] == [120.0, 600.0, 3600.0]
    assert position["auto"] == pytest.approx(3600 + 0.15 * 3480)
    assert 3600 < apart < position["auto"]
    # round numbers, as matplotlib ticks a numeric axis, and auto (a tick at every value ran
    # the labels of 120 and 300 together: review)
    assert ticks == {600.0: "600", 1200.0: "1200", 1800.0: "1800", 2400.0: "2400",
                     3000.0: "3000", 3600.0: "3600", position["auto"]: "auto"}
    position, apart, ticks = _axis([True, False])  # no number: categories, written as JSON,
    # each apart (points: a line between categories read as a trend, QA)
    assert apart == -float("inf") and list(ticks.values()) == ["true", "false"]
    # floats as the tables write them: 0.1235 twice in the plots before (review)
    assert list(_axis([0.12345, 0.12346, "auto"])[2].values())[-1] == "auto"
    from colossim.sweep.plots import _labels

    assert list(_labels([0.12345, 0.12346], 24).values()) == ["0.12345", "0.12346"]
    position, apart, ticks = _axis([1, 2.5])  # numbers only: matplotlib's own ticks
    assert position == {1: 1.0, 2.5: 2.5} and apart == float("inf") and ticks == {}


@pytest.mark.parametrize("width", [5, 12, 24, 32])
def test_labels_never_pass_their_width_and_short_values_stay_whole(width):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from colossim.sweep.value_labels import distinct_labels

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.text(alphabet="ab…", max_size=60), min_size=1, max_size=5))
    def check(texts):
        labels = distinct_labels(texts, width)
        assert all(len(label) <= width for label in labels)
        # different values never read the same (review: four event lists, two alike)
        assert len(set(labels)) == len(set(texts))
        assert len({(t, label) for t, label in zip(texts, labels, strict=True)}) == len(set(texts))
        if all(len(text) <= width for text in texts):
            assert labels == texts
        else:
            assert [t for t in texts if len(t) <= width] == [
                label for t, label in zip(texts, labels, strict=True) if len(t) <= width]

    check()


def test_a_metric_without_values_is_blamed_on_jobs_unfinished_at_the_horizon_when_they_were():
    # QA: a study whose 6t and 10t ran past a 10-day horizon was told its makespan needs a
    # model it leaves off ("failures, a battery, ..."), and failures were on
    from colossim.sweep.outputs import _why_no_plot

    def record(*states: str) -> dict:
        names = ("1t", "6t", "10t")
        jobs = [{"name": n, "state": s} for n, s in zip(names, states, strict=True)]
        return {"result": {"jobs": jobs}}

    records = {"r0": record("completed", "running", "running"),
               "r1": record("completed", "completed", "pending")}
    assert _why_no_plot(["makespan_s", "jobs.10t.jct_s", "cluster.battery_mwh"], records) == (
        "no plot of makespan_s, jobs.10t.jct_s: no run has a value, as jobs were unfinished at "
        "the horizon (10t, 6t; raise simulation.horizon_s to let them finish); no plot of "
        "cluster.battery_mwh: no run has a value (a model the scenario leaves off: failures, a "
        "battery, a tariff, deadlines)")
    finished = {"r0": record("completed", "completed", "completed")}
    assert _why_no_plot(["makespan_s"], finished).endswith("(a model the scenario leaves off: "
                                                           "failures, a battery, a tariff, "
                                                           "deadlines)")


@contextmanager
def _plot_of(tmp_path: Path, parameters: str, x: str) -> Iterator[Any]:
    """The figure of the first metric against ``x`` of a one-seed grid of ``parameters`` (the
    study's ``parameters:`` lines), a mean per point; the plan and rows ride on it as
    ``fig.plan`` and ``fig.rows`` (closed after the test)."""
    need("matplotlib")
    from colossim.sweep.plots import _pyplot, figure

    text = f"base: {SMALL}\nparameters:\n{parameters}seeds: 1\n"
    plan = expand(load_study(write_study(tmp_path, text)))
    metric = plan.metrics[0]
    rows = [{**row, f"{metric}.mean": 1.0 + i, f"{metric}.ci95_low": None,
             f"{metric}.ci95_high": None, f"{metric}.n": 1, "runs": 1}
            for i, row in enumerate(_rows_of(plan))]
    plt = _pyplot()
    fig = figure(plt, plan, rows, x, metric)
    fig.plan, fig.rows = plan, rows
    try:
        yield fig
    finally:
        plt.close(fig)


def _plot_of_24_lines(tmp_path: Path) -> Any:
    """A grid whose plot against ``cluster.power.pue`` has 6 x 4 lines."""
    return _plot_of(tmp_path, "  cluster.power.pue: [1.1, 1.2]\n"
                    "  jobs.llm-8b.max_gpus: [72, 144, 216, 288, 360, 432]\n"
                    "  jobs.llm-70b.max_gpus: [72, 144, 216, 288]\n", "cluster.power.pue")


def test_a_grid_plot_of_many_lines_keeps_a_legend_of_twenty(tmp_path):
    """QA: 336 lines of a grid made a legend 5,000 pixels tall, the axes squeezed into its top
    tenth. Every line is drawn; the legend names the first 20 and counts the rest."""
    with _plot_of_24_lines(tmp_path) as fig:
        from colossim.sweep.plots import LEGEND_LINES

        ax = fig.axes[0]
        assert len(ax.get_lines()) >= 24  # 6 x 4 lines, all drawn
        shown = [text.get_text() for text in ax.get_legend().get_texts()]
        assert len(shown) == LEGEND_LINES + 1 == 21
        assert shown[-1] == "... and 4 more lines (summary.csv)"


def test_lines_past_the_tenth_colour_are_told_apart_by_their_marker_and_line(tmp_path):
    """The colour cycle has ten colours: the 11th line of a plot came in the 1st one's colour,
    marker and line, and the legend showed two identical entries. Every one of the 24 lines of
    this grid must look different (colour, marker, line style)."""
    with _plot_of_24_lines(tmp_path) as fig:
        from matplotlib.colors import to_hex

        drawn = [line for line in fig.axes[0].get_lines()  # not the error bars' caps
                 if line.get_marker() not in ("None", "_")]
        looks = {(to_hex(line.get_color()), line.get_marker(), line.get_linestyle())
                 for line in drawn}
        assert len(drawn) == 24 and len(looks) == 24


def test_a_legend_of_long_labels_widens_the_image_not_squeeze_the_axes(tmp_path):
    """QA: a legend of 12 lines of long labels (a policy mapping and a boolean) took most of the
    7-inch figure, the axes shrank to a fifth of it and their tick labels ran together."""
    with _plot_of(tmp_path, "  cluster.power.supply_mw: [0.5, 1.0]\n"
                  "  scheduler.policy: [{name: fifo}, {name: priority, params: {strict: true}}]\n"
                  "  cluster.mixed_gpu_types: [true, false]\n", "cluster.power.supply_mw") as fig:
        ax = fig.axes[0]
        legend = ax.get_legend()
        assert len(legend.get_texts()) == 4  # policy x mixed types
        assert ax.get_position().width > 0.75  # of the figure: not squeezed (it was 0.3)
        fig.canvas.draw()  # beside the axes, not over the data: the saved image grows for it
        assert legend.get_window_extent().x0 > ax.get_window_extent().x1
        plan, rows = fig.plan, fig.rows
    from matplotlib.image import imread

    from colossim.sweep.plots import plot_study

    rows = [{**row, **{f"{m}.{k}": v for m in plan.metrics for k, v in (
        ("mean", 1.0), ("ci95_low", None), ("ci95_high", None), ("n", 1))}}
        for row in rows]
    written = plot_study(plan, rows, tmp_path / "plots")
    saved = next(path for path in written if "cluster.power.supply_mw" in path.name)
    assert imread(saved).shape[1] > 7 * 100  # 7 inches at 100 dpi, and the legend beside


def test_the_few_seeds_note_counts_the_values_behind_each_interval(tmp_path, eighty, capsys):
    # QA: a point whose 3 runs all failed (0 values) hid the note from the others, and a mean
    # of 2 values of 3 seeds was said to be "with 3 seeds" (t = 4.3), where t = 12.7
    plan = expand(load_study(write_study(tmp_path, WIDE)))

    def row(point: int, runs: int, n: int) -> dict:
        values = dict(next(run.values for run in plan.runs if run.point == point))
        out = {"point": point, **values, "runs": runs, "failed": 3 - runs}
        for metric in plan.metrics:
            mean = None if n == 0 else 1000.0
            out.update({f"{metric}.n": n, f"{metric}.mean": mean,
                        f"{metric}.ci95_low": None if n < 2 else 900.0,
                        f"{metric}.ci95_high": None if n < 2 else 1100.0})
        return out

    def note(rows: list[dict]) -> str:
        summary_table(plan, rows)
        return " ".join(capsys.readouterr().out.split())

    assert "With 3 seeds a 95% interval is 4.3 standard errors" in note([row(0, 3, 3),
                                                                        row(1, 0, 0)])
    assert "With 2 seeds a 95% interval is 12.7 standard errors" in note([row(0, 3, 3),
                                                                         row(1, 3, 2)])


def test_a_parameter_value_given_as_null_is_written_null(tmp_path):
    # QA: the battery varied between null and a mapping: the null points read "-" in the tables
    # (the mark of no value) and an empty cell in results.csv and summary.csv
    from colossim.sweep.outputs import write_outputs
    from colossim.sweep.value_labels import written

    study = (f"name: nul\nbase: {SMALL}\nparameters:\n  cluster.power.battery: [null, "
             "{capacity_mwh: 0.1, max_charge_mw: 0.1, max_discharge_mw: 0.1}]\nseeds: 1\n"
             "metrics: [makespan_s, power.battery_min_soc]\n")
    plan = expand(load_study(write_study(tmp_path, study)))
    records = {run.run_id: {"status": "ok", "result": {"makespan_s": 100.0}} for run in plan.runs}
    write_outputs(plan, records, tmp_path / "out", plots=False)
    summary = (tmp_path / "out" / "summary.csv").read_text().splitlines()
    assert summary[1].startswith("0,null,1,0,1,100.0,,,0,,,")  # battery_min_soc: no value, n 0
    results = (tmp_path / "out" / "results.csv").read_text().splitlines()
    assert [line.split(",")[4] for line in results[1:]].count("null") == 1
    assert written(None) == "null"
