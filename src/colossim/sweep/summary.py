"""Per parameter point: the mean of each metric over its seeds and a 95% confidence interval
(Student's t, ``colossim.metrics.intervals``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from colossim.metrics.intervals import interval
from colossim.sweep.expand import Plan
from colossim.sweep.metrics import metric_value


def metric_columns(metrics: Iterable[str]) -> list[str]:
    return [f"{m}.{s}" for m in metrics for s in ("n", "mean", "ci95_low", "ci95_high")]


def summarise(plan: Plan, records: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per parameter point, in plan order: its values, run counts and intervals."""
    by_point: dict[int, list[Mapping[str, Any]]] = {}
    values: dict[int, dict[str, Any]] = {}
    for run in plan.runs:
        values.setdefault(run.point, dict(run.values))
        record = records.get(run.run_id)
        by_point.setdefault(run.point, [])
        if record is not None:
            by_point[run.point].append(record)
    rows = []
    for point, recs in by_point.items():
        ok = [r["result"] for r in recs if r.get("status") == "ok"]
        row: dict[str, Any] = {"point": point, **values[point]}
        row["runs"] = len(ok)
        row["failed"] = len(recs) - len(ok)
        for metric in plan.metrics:
            found = [v for v in (metric_value(res, metric) for res in ok) if v is not None]
            ci = interval(found)
            row.update({
                f"{metric}.n": ci.n, f"{metric}.mean": ci.mean,
                f"{metric}.ci95_low": ci.low, f"{metric}.ci95_high": ci.high,
            })
        rows.append(row)
    return rows
