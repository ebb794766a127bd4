"""Rich table for ``colossim estimate``."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from colossim.cli.render import console


def _plan(plan: dict[str, Any] | None) -> str:
    """TP/PP/DP/EP, with the interleave as ``vN`` when the pipeline is interleaved."""
    if not plan:
        return "-"
    text = f"{plan['tp']}/{plan['pp']}/{plan['dp']}/{plan['ep']}"
    return text + (f" v{plan['interleave']}" if plan["interleave"] > 1 else "")


def _split(step: dict[str, Any] | None) -> str:
    if not step:
        return "-"
    total = step["total"]
    parts = [
        ("c", step["compute"]),
        ("t", step["tp"]),
        ("p", step["pp_bubble"]),
        ("d", step["dp"]),
        ("e", step["ep"]),
    ]
    shares = " ".join(f"{k}{100 * v / total:.0f}" for k, v in parts if v / total >= 0.005)
    return f"{total:.2f}: {shares}"


def estimate_table(scenario: str, rows: list[dict[str, Any]]) -> None:
    table = Table(
        title=f"performance estimates: {scenario}",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
        caption="plan: TP/PP/DP/EP (vN: interleaved stages). step: seconds per step and the % "
        "in c compute, t tensor-parallel, p pipeline bubble, d data-parallel, e expert "
        "all-to-all (exposed time). fit: fewest GPUs the job fits in.",
    )
    for col in ("job", "GPU", "GPUs", "fit", "plan", "step s: %", "MFU%", "days"):
        left = col in ("job", "GPU", "plan", "step s: %")
        table.add_column(col, justify="left" if left else "right", no_wrap=True)
    previous = None
    for row in rows:
        fit = row["min_gpus_to_fit"]
        table.add_row(
            row["job"] if row["job"] != previous else "",
            row["gpu_type"],
            f"{row['gpus']:,}",
            "never" if fit is None else f"{fit:,}",
            _plan(row.get("plan")),
            _split(row.get("step_s")),
            f"{100 * row['mfu']:.1f}" if row.get("mfu") is not None else "-",
            f"{row['days_to_train']:,.1f}" if row["days_to_train"] else "-",
        )
        previous = row["job"]
    out = console()
    # Piped output is not squeezed to 80 columns: the table needs ~90 to stay readable.
    (out if out.is_terminal else Console(width=120)).print(table)
