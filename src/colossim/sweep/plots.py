"""PNG plots of a study: each summarised metric against each varied parameter.

Grid studies get one line per combination of the other varied parameters (knobs zipped with the
x-axis knob move with it, so they do not split lines), with the 95% interval as error bars.
Random studies have no repeated combinations, so they get a scatter of the point means.
Needs the ``plot`` extra (matplotlib), imported only here and only when plotting.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from colossim.errors import ColossimError
from colossim.sweep.expand import Plan
from colossim.sweep.spec import Method

MAX_SERIES = 8


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise ColossimError("plots need matplotlib: pip install 'colossim[plot]'") from None
    matplotlib.use("Agg")  # files only: no display, no GUI toolkit
    import matplotlib.pyplot as plt

    return plt


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")


def _numeric(values: Sequence[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def lines_for(
    plan: Plan, rows: Sequence[Mapping[str, Any]], x: str
) -> dict[tuple[Any, ...], list[Mapping[str, Any]]]:
    """Summary rows grouped into lines: one per value combination of the other varied knobs.

    Random studies group only by knobs with few values (a continuous knob would make every
    point its own series).
    """
    others = [p for p in plan.varied() if p not in plan.partners(x)]
    if plan.study.file.method is Method.RANDOM:
        others = [o for o in others if len({_hashable(r[o]) for r in rows}) <= MAX_SERIES]
    lines: dict[tuple[Any, ...], list[Mapping[str, Any]]] = {}
    for row in rows:
        key = tuple((o, _hashable(row[o])) for o in others)
        lines.setdefault(key, []).append(row)
    return lines


def _hashable(value: Any) -> Any:
    return repr(value) if isinstance(value, list | dict) else value


def _draw(ax: Any, plan: Plan, rows: Sequence[Mapping[str, Any]], x: str, metric: str) -> None:
    xs_all = [row[x] for row in rows]
    numeric = _numeric(xs_all)
    order = {v: i for i, v in enumerate(dict.fromkeys(map(_hashable, xs_all)))}

    def position(value: Any) -> float:
        return float(value) if numeric else float(order[_hashable(value)])

    random = plan.study.file.method is Method.RANDOM
    for key, members in lines_for(plan, rows, x).items():
        pts = sorted(
            (position(r[x]), r[f"{metric}.mean"], r[f"{metric}.ci95_low"], r[f"{metric}.ci95_high"])
            for r in members
            if r[f"{metric}.mean"] is not None
        )
        if not pts:
            continue
        label = ", ".join(f"{k}={v}" for k, v in key) or None
        px = [p[0] for p in pts]
        py = [p[1] for p in pts]
        if random:
            ax.scatter(px, py, s=18, label=label)
            continue
        err = [
            [p[1] - p[2] if p[2] is not None else 0.0 for p in pts],
            [p[3] - p[1] if p[3] is not None else 0.0 for p in pts],
        ]
        ax.errorbar(px, py, yerr=err, marker="o", capsize=3, label=label)
    if not numeric:
        ax.set_xticks(list(order.values()), [str(v) for v in order])


def plot_study(plan: Plan, rows: Sequence[Mapping[str, Any]], folder: Path) -> list[Path]:
    """Write ``<metric>__vs__<parameter>.png`` for every metric and varied parameter."""
    varied = plan.varied()
    if not varied or not rows:
        return []
    plt = _pyplot()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for metric in plan.metrics:
        for x in varied:
            fig, ax = plt.subplots(figsize=(7, 4.5))
            _draw(ax, plan, rows, x, metric)
            ax.set_xlabel(x)
            ax.set_ylabel(metric)
            ax.set_title(f"{plan.study.name}: {metric} vs {x} (mean, 95% CI)", fontsize=10)
            ax.grid(True, alpha=0.3)
            if ax.get_legend_handles_labels()[1]:
                ax.legend(fontsize=7)
            fig.tight_layout()
            path = folder / f"{slug(metric)}__vs__{slug(x)}.png"
            fig.savefig(path, dpi=100)
            plt.close(fig)
            written.append(path)
    return written
