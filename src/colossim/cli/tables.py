"""Tables that fit the terminal without cutting a value: a wide one is split into several.

Rich shrinks a table wider than the terminal by folding or cutting its cells ("221,18" over
"4", "gpu_utilizati…"). A table of results must show every value whole, so here each column
is at least as wide as its header and its widest cell, and the value columns are dealt out
over as many tables as it takes, each repeating the key columns (as wide data frames print).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

Column = tuple[str, Sequence[str]]  # header, a cell per row
UNBOUNDED = 100_000  # columns: a table's natural width is measured whatever the terminal's


def whole(header: str, cells: Sequence[str]) -> int:
    """A column's least width: its header and every value on one line (in terminal cells: a
    wide character takes two)."""
    return max([cell_len(header), *map(cell_len, cells)])


def table_of(title: str, keys: Sequence[Column], values: Sequence[Column],
             caption: str | None = None, left: Collection[str] = ()) -> Table:
    """Key columns then value columns, every cell whole; values are right-justified (numbers)
    unless their header is in ``left`` (text)."""
    table = Table(title=title or None, caption=caption, box=box.SIMPLE_HEAD, pad_edge=False,
                  collapse_padding=True)
    for header, cells in keys:
        table.add_column(header, no_wrap=True, min_width=whole(header, cells))
    for header, cells in values:
        table.add_column(header, justify="left" if header in left else "right", no_wrap=True,
                         min_width=whole(header, cells))
    rows = len(keys[0][1]) if keys else len(values[0][1]) if values else 0
    for k in range(rows):
        table.add_row(*(cells[k] for _, cells in (*keys, *values)))
    return table


def natural_width(out: Console, table: Table) -> int:
    """How wide ``table`` (made by ``table_of``) prints when nothing squeezes it.

    Every column of such a table is as wide as its widest cell already (``min_width``, on one
    line), so the table is measured without its rows: measuring each of them through rich
    took 30 s for the 2,000 runs of a ``--dry-run`` piped to a file, which measures several
    tables as it splits a wide one."""
    bare = Table(title=table.title, caption=table.caption, box=table.box,
                 pad_edge=table.pad_edge, collapse_padding=table.collapse_padding)
    for column in table.columns:
        bare.add_column(column.header, justify=column.justify, no_wrap=column.no_wrap,
                        min_width=column.min_width)
    return Measurement.get(out, out.options.update(max_width=UNBOUNDED), bare).maximum


def fitting_tables(out: Console, title: str, keys: Sequence[Column],
                   values: Sequence[Column], caption: str | None = None,
                   index: Column | None = None, left: Collection[str] = ()) -> list[Table]:
    """One table if it fits ``out``; else the value columns in order, as many per table as fit
    beside the keys (at least one: a single column wider than the terminal is left whole).

    When the keys leave no room for some value column (a study varying many parameters: its
    widest metric does not fit beside them), and the rows have a short ``index`` (a point
    number), the keys become values too: first the keys by index, then the values by index,
    each split as needed, so no value is ever cut."""
    whole_table = table_of(title, keys, values, caption, left=left)
    if natural_width(out, whole_table) <= out.width:  # the usual case: one measure, not one
        return [whole_table]  # per column (no part of a table that fits is wider than it)
    if index is not None and keys and values and any(
            natural_width(out, table_of(title, keys, [column])) > out.width
            for column in values):
        return [*fitting_tables(out, title, [index], keys, left=left),
                *fitting_tables(out, "", [index], values, caption, left=left)]
    tables: list[Table] = []
    group: list[Column] = []
    for column in values:
        wider = [*group, column]
        if group and natural_width(out, table_of(title, keys, wider, left=left)) > out.width:
            tables.append(table_of("" if tables else title, keys, group, left=left))
            wider = [column]
        group = wider
    tables.append(table_of("" if tables else title, keys, group, caption, left=left))
    return tables
