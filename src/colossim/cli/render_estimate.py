"""Rich table for ``colossim estimate``."""

from __future__ import annotations

from typing import Any

from colossim.cli.render import console
from colossim.cli.render_performance import (
    MFU_LEGEND,
    PLAN_LEGEND,
    STEP_LEGEND,
    mfu_text,
    plan_gpus,
    plan_text,
    step_text,
)
from colossim.cli.tables import fitting_tables

CAPTION = (f"{PLAN_LEGEND} {STEP_LEGEND} idle: GPUs the best plan leaves unused "
           f"(GPUs - TP x PP x DP). fit: fewest GPUs the job fits in. {MFU_LEGEND}")


def estimate_table(scenario: str, rows: list[dict[str, Any]]) -> None:
    """A row per job and GPU type; at 80 columns the columns that do not fit go to a second
    table that repeats the job and GPU (every value whole, ``cli.tables``)."""
    jobs = [row["job"] if k == 0 or row["job"] != rows[k - 1]["job"] else ""
            for k, row in enumerate(rows)]
    keys = [("job", jobs), ("GPU", [row["gpu_type"] for row in rows])]
    values = [
        ("GPUs", [f"{row['gpus']:,}" for row in rows]),
        ("idle", [_idle(row) for row in rows]),
        ("fit", ["never" if row["min_gpus_to_fit"] is None else f"{row['min_gpus_to_fit']:,}"
                 for row in rows]),
        ("plan", [plan_text(row.get("plan")) for row in rows]),
        ("step s: %", [step_text(row.get("step_s")) for row in rows]),
        ("MFU%", [mfu_text(row.get("mfu")) for row in rows]),
        ("days", [f"{row['days_to_train']:,.1f}" if row["days_to_train"] else "-"
                  for row in rows]),
    ]
    out = console()
    for table in fitting_tables(out, f"performance estimates: {scenario}", keys, values,
                                left=("plan", "step s: %")):
        out.print(table)
    out.print(CAPTION)  # the terminal's width, not the last table's
    for row in rows:  # an empty row says why (QA: only "-" everywhere)
        if row.get("note"):
            out.print(f"{row['job']} on {row['gpu_type']}: {row['note']}")


def _idle(row: dict[str, Any]) -> str:
    """GPUs the best plan leaves idle: GPUs - TP x PP x DP (``--gpus 100000`` is no product
    the job's shape allows; a batch of 16M tokens may not split over every GPU)."""
    plan = row.get("plan")
    if not plan:
        return "-"
    return f"{row['gpus'] - plan_gpus(plan):,}"
