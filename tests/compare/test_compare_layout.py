"""The compare table's layout: every value whole within the terminal's width."""

from __future__ import annotations

import io

from rich.console import Console

from colossim.cli.render_compare import compare_tables
from colossim.cli.tables import fitting_tables

METRICS = ["makespan d", "makespan / bound", "mean JCT h", "p95 JCT h", "mean wait h",
           "GPU util", "energy MWh", "Jain (slowdown)", "jobs done"]


def rows_for(policies: list[str]) -> dict[str, list[str]]:
    """Cells as ``compare`` prints them with several seeds: distinct, so each can be found."""
    return {metric: [f"{m}{k}.25 ± 0.{k:02d}" for k in range(len(policies))]
            for m, metric in enumerate(METRICS)}


def render(policies: list[str], width: int = 80) -> tuple[str, int]:
    out = Console(file=io.StringIO(), width=width, record=True)
    tables = compare_tables("title", rows_for(policies), policies, out)
    for table in tables:
        out.print(table)
    return out.export_text(), len(tables)


def test_a_few_policies_are_columns_of_one_table():
    policies = ["fifo", "priority", "las"]
    text, count = render(policies)
    assert count == 1
    header = next(line for line in text.splitlines() if "metric" in line)
    assert header.split() == ["metric", *policies]
    for metric, cells in rows_for(policies).items():
        row = next(line for line in text.splitlines() if line.strip().startswith(metric))
        assert all(cell in row for cell in cells)


def test_many_policies_split_their_metrics_over_tables_that_fit():
    policies = [f"policy-{k}" for k in range(11)]
    text, count = render(policies)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert count > 1
    for cells in rows_for(policies).values():  # every value whole, on its policy's line
        for k, cell in enumerate(cells):
            assert any(line.split()[:1] == [policies[k]] and cell in line for line in lines)
    for metric in METRICS:  # each metric in exactly one table's header
        assert sum(metric in line for line in lines) == 1
    for policy in policies:  # each policy on a row of every table
        assert sum(line.split()[:1] == [policy] for line in lines) == count


def test_a_table_without_rows_still_prints_its_headers():
    out = Console(file=io.StringIO(), width=80, record=True)
    for table in fitting_tables(out, "empty", [("policy", [])], [("makespan d", [])]):
        out.print(table)
    assert out.export_text().split()[:3] == ["empty", "policy", "makespan"]


def test_a_wide_value_column_that_does_not_fit_beside_the_keys_is_never_cut():
    # keys 60 columns wide: a 10-wide metric fits beside them, a 30-wide one does not. The
    # tables then list the keys by point and the values by point (it cut the wide one's
    # header to "10t.contentio" and its values, because only the first metric was measured)
    out = Console(file=io.StringIO(), width=80, record=True)
    keys = [("k" * 28, ["a" * 28]), ("q" * 28, ["b" * 28])]
    values = [("makespan d", ["19.28"]), ("10t.contention_slowdown_wide", ["1.6" * 10])]
    for table in fitting_tables(out, "t", keys, values, index=("point", ["0"])):
        out.print(table)
    text = out.export_text()
    assert "10t.contention_slowdown_wide" in text and "1.6" * 10 in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_a_tables_width_is_measured_as_rich_measures_it_with_its_rows():
    """``natural_width`` measures a table without its rows (each column is already as wide as
    its widest cell): it must give what rich gives measuring every row, with wide characters
    (two cells each), escaped markup and a header wider than the cells."""
    from rich.markup import escape
    from rich.measure import Measurement

    from colossim.cli.tables import UNBOUNDED, natural_width, table_of

    out = Console(file=io.StringIO(), width=80)
    keys = [("#", ["1", "2", "30"]), ("name", ["a", "模型-训练", escape("[b]")])]
    values = [("a long header", ["1", "22", "333"]), ("v", ["x" * 17, "", "é"])]
    for columns in ((keys, values), (keys, []), ([], values)):
        table = table_of("title", *columns)
        full = Measurement.get(out, out.options.update(max_width=UNBOUNDED), table).maximum
        assert natural_width(out, table) == full
    wide = table_of("", [("name", ["模型-训练"])], [])  # 4 wide characters and a hyphen: 9
    assert natural_width(out, wide) == natural_width(out, table_of("", [("name", ["x" * 9])], []))


def test_a_duration_column_reads_in_the_unit_its_values_need():
    """QA: compare kept a 9-day mean JCT in hours (213.87) where the study's table, and run,
    said days: the unit comes from the column's values, as a study's summary picks it."""
    from colossim.cli.render_compare import _duration

    header, fmt = _duration("mean_jct_s", "mean JCT", [769_968.0, 2 * 86400.0])
    assert (header, fmt(769_968.0)) == ("mean JCT d", "8.91")
    header, fmt = _duration("mean_queue_s", "mean wait", [0.0, 5400.0])  # a zero reads alike
    assert (header, fmt(5400.0), fmt(0.0)) == ("mean wait h", "1.50", "0.00")
    header, fmt = _duration("mean_queue_s", "mean wait", [90.0, 5400.0])
    assert (header, fmt(5400.0)) == ("mean wait s", "5,400")
