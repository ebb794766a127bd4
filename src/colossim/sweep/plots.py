"""PNG plots of a study: each summarised metric against each varied parameter.

Grid studies get one line per combination of the other varied parameters (knobs zipped with the
x-axis knob move with it, so they do not split lines), with the 95% interval as error bars.
Random studies have no repeated combinations, so they get a scatter of the point means.
Needs the ``plot`` extra (matplotlib), imported only here and only when plotting.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from colossim.errors import require
from colossim.metrics.labels import shown_unit
from colossim.sweep.expand import Plan
from colossim.sweep.metrics import short_names
from colossim.sweep.spec import Method
from colossim.sweep.value_labels import distinct_labels, written_apart

TICK_WIDTH = 24  # an x value as a tick label (a list of power events would fill the axis)
LEGEND_WIDTH = 32  # a value in a line's legend entry
MAX_NUMBER_TICKS = 6  # round numbers ticked beside values that are not (auto)

MAX_SERIES = 8
LEGEND_LINES = 20  # legend entries of one plot: the rest counted in the last
STYLES = (("o", "-"), ("s", "--"), ("^", ":"), ("D", "-."))  # (marker, line style) by lap


def _pyplot() -> Any:
    matplotlib = require("matplotlib", "plot", "plots need matplotlib")
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

    Random studies group only by knobs drawn from a list or a range (a knob drawn from a
    distribution makes every point its own series, and a legend of every draw), and only as
    long as that makes at most ``MAX_SERIES`` lines: the knobs with most values go first.
    """
    others = [p for p in plan.varied() if p not in plan.partners(x)]
    if plan.study.file.method is Method.RANDOM:
        drawn = {p for axis in plan.study.axes if axis.sampled is not None for p in axis.paths}
        count = {o: len({_hashable(r[o]) for r in rows}) for o in others if o not in drawn}
        others = sorted(count, key=lambda o: (count[o], others.index(o)))
        while others and len({tuple(_hashable(r[o]) for o in others) for r in rows}) > MAX_SERIES:
            others.pop()
        others = [o for o in plan.varied() if o in others]  # the study's order, for labels
    lines: dict[tuple[Any, ...], list[Mapping[str, Any]]] = {}
    for row in rows:
        key = tuple((o, _hashable(row[o])) for o in others)
        lines.setdefault(key, []).append(row)
    return lines


def _hashable(value: Any) -> Any:
    return repr(value) if isinstance(value, list | dict) else value


def _labels(values: Sequence[Any], width: int) -> dict[Any, str]:
    """Each value (by ``_hashable``) as the tables write it (JSON: ``true``, not ``True``),
    within ``width`` and told apart from the others (``value_labels``)."""
    unique = {_hashable(v): v for v in values}
    texts = distinct_labels(written_apart(list(unique.values())), width)
    return dict(zip(unique, texts, strict=True))


def _draw(ax: Any, plan: Plan, rows: Sequence[Mapping[str, Any]], x: str, metric: str,
          unit: float = 1.0) -> None:
    """The metric's lines (``unit``: a divisor, 86,400 for seconds drawn as days). A mean of
    fewer runs than the point has (runs cut at the horizon have no makespan) is drawn hollow
    and marked "n=1 of 4": drawn like the rest, the one run that finished at a short horizon
    read as a shorter makespan (QA). A point where no run gave the metric is a dotted line
    marked "n=0 of 4"."""
    xs_all = [row[x] for row in rows]
    position, apart, ticks = _axis(xs_all)
    random = plan.study.file.method is Method.RANDOM
    names = short_names(plan.parameters, plan.dotted_jobs())
    lines = lines_for(plan, rows, x)
    legend = {k: _labels([row[k] for row in rows], LEGEND_WIDTH)
              for k in {k for line in lines for k, _v in line}}
    drawn = 0  # lines drawn so far: each took the colour cycle's next colour
    colours = _cycle_length()
    for key, members in lines.items():
        pts = sorted(
            (position[_hashable(r[x])], *(_scaled(r[f"{metric}.{part}"], unit)
                                          for part in ("mean", "ci95_low", "ci95_high")),
             r[f"{metric}.n"], r["runs"])
            for r in members
            if r[f"{metric}.mean"] is not None
        )
        if not pts:
            continue
        label = ", ".join(f"{names.get(k, k)}={legend[k][v]}" for k, v in key) or None
        color, style = None, STYLES[drawn // colours % len(STYLES)]
        drawn += 1
        for group in ([p for p in pts if p[0] < apart], [p for p in pts if p[0] >= apart]):
            if group:  # values that are not numbers (auto) stand apart, not joined to the line
                color = _series(ax, group, random, label if color is None else None, color,
                                joined=group[0][0] < apart, style=style)
        for px_, py_, _low, _high, n, runs in pts:
            if n < runs:
                ax.scatter([px_], [py_], s=50, facecolors="white", edgecolors=color, zorder=3)
                ax.annotate(f"n={n} of {runs}", (px_, py_), textcoords="offset points",
                            xytext=(5, 5), fontsize=7, color=color)
        for r in members:  # no run gave the metric there: marked at the foot of the axes, not
            # left out (QA: the 0-spare point, where no seed finished, vanished from the x axis)
            if r[f"{metric}.mean"] is None and r["runs"]:
                px_ = position[_hashable(r[x])]
                ax.axvline(px_, color=color, linestyle=":", linewidth=1)
                ax.annotate(f"n=0 of {r['runs']}", (px_, 0.02), xycoords=ax.get_xaxis_transform(),
                            textcoords="offset points", xytext=(4, 0), fontsize=7, color=color)
    if ticks:
        long = max((len(t) for t in ticks.values()), default=0) > 8
        ax.set_xticks(list(ticks), list(ticks.values()), rotation=30 if long else 0,
                      ha="right" if long else "center")
    if apart < math.inf and any(p < apart for p in position.values()):
        ax.axvline(apart, color="grey", linestyle=":", linewidth=1)


def _cycle_length() -> int:
    """Colours in matplotlib's colour cycle (10 by default; a style sheet may set others):
    each lap of it draws in a marker and line style of its own (``STYLES``)."""
    from matplotlib import rcParams

    return len(rcParams["axes.prop_cycle"].by_key().get("color", ())) or 1


def _axis(values: Sequence[Any]) -> tuple[dict[Any, float], float, dict[float, str]]:
    """Where each value (by ``_hashable``) sits on the x axis, from where on values stand apart
    (not joined to the line), and the ticks to set (none: matplotlib's numeric ticks).

    Numbers sit at their value; other values (``auto``, a list) after them, a little apart,
    or, when no value is a number, as evenly spaced categories, every one apart (points, not a
    line: a line through supply events or policies read as a trend between them, QA). A knob
    of 120, 600, 3600 and ``auto`` drew ``auto`` as a fourth category joined to the curve,
    where it read as a longer interval (QA)."""
    firsts: dict[Any, Any] = {}
    for value in values:
        firsts.setdefault(_hashable(value), value)
    numbers = {k: float(v) for k, v in firsts.items() if _numeric([v])}
    others = [k for k in firsts if k not in numbers]
    labels = _labels(list(firsts.values()), TICK_WIDTH)
    if not others:
        return numbers, math.inf, {}
    if not numbers:
        return ({k: float(i) for i, k in enumerate(others)}, -math.inf,
                {float(i): labels[k] for i, k in enumerate(others)})
    low, high = min(numbers.values()), max(numbers.values())
    gap = (high - low) * 0.15 or 1.0
    position = {**numbers, **{k: high + gap * (i + 1) for i, k in enumerate(others)}}
    from matplotlib.ticker import MaxNLocator

    # round numbers for the numeric part, as an all-numeric axis gets (a tick at each value
    # ran the labels of 120 and 300 together: review); a lone number keeps its own tick
    ticks = {float(t): f"{t:g}" for t in MaxNLocator(nbins=MAX_NUMBER_TICKS).tick_values(low, high)
             if low <= t <= high} or {position[k]: labels[k] for k in numbers}
    ticks.update({position[k]: labels[k] for k in others})
    return position, high + gap / 2, ticks


def _series(ax: Any, pts: Sequence[tuple], random: bool, label: str | None, color: Any,
            joined: bool, style: tuple[str, str] = STYLES[0]) -> Any:
    """One line's points (means with their 95% intervals); its colour. ``style``: its marker
    and line style. The colour cycle has ten colours by default, so the eleventh line of a
    plot came in the first one's colour, marker and line, and the legend showed two identical
    entries; each lap of the cycle draws in a style of its own (``_cycle_length``)."""
    marker, linestyle = style
    px = [p[0] for p in pts]
    py = [p[1] for p in pts]
    if random:
        return ax.scatter(px, py, s=18, label=label, color=color,
                          marker=marker).get_facecolor()[0]
    err = [
        [p[1] - p[2] if p[2] is not None else 0.0 for p in pts],
        [p[3] - p[1] if p[3] is not None else 0.0 for p in pts],
    ]
    return ax.errorbar(px, py, yerr=err, marker=marker, capsize=3, label=label, color=color,
                       linestyle=linestyle if joined else "none").lines[0].get_color()


def _scaled(value: float | None, unit: float) -> float | None:
    return None if value is None else value / unit


def figure(plt: Any, plan: Plan, rows: Sequence[Mapping[str, Any]], x: str,
           metric: str) -> Any:
    """One metric against one knob: its lines, labels and legend."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    unit, word = shown_unit(metric, [row[f"{metric}.mean"] for row in rows], long=True)
    _draw(ax, plan, rows, x, metric, unit)
    ax.set_xlabel(x)
    ax.set_ylabel(f"{metric.removesuffix('_s')} ({word})" if word else metric)
    ax.ticklabel_format(axis="y", useOffset=False, style="plain")  # no "1e6" above the
    # axis, where it ran into the title: the values as the tables show them
    what = ("each point's mean over seeds" if plan.study.file.method is Method.RANDOM
            else "mean, 95% CI")
    ax.set_title(f"{plan.study.name}: {metric} vs {x} ({what})", fontsize=10)
    ax.grid(True, alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if labels:  # beside the axes: never over the data, nor over the x label below rotated
        # ticks (where it was); at most LEGEND_LINES entries (QA: 336 lines of a grid made a
        # legend 5,000 pixels tall, the axes squeezed into its top tenth)
        if len(labels) > LEGEND_LINES:
            more = len(labels) - LEGEND_LINES
            handles = [*handles[:LEGEND_LINES], plt.Line2D([], [], linestyle="none")]
            labels = [*labels[:LEGEND_LINES], f"... and {more} more lines (summary.csv)"]
        legend = ax.legend(handles, labels, fontsize=7, loc="upper left",
                           bbox_to_anchor=(1.01, 1.0))
        # the axes keep the figure's width and the saved image grows to hold the legend
        # (``bbox_inches="tight"``): fitted into the figure, a legend of long labels squeezed
        # the axes to a fifth of it and ran their tick labels together (QA)
        legend.set_in_layout(False)
    fig.tight_layout()
    return fig


def plot_study(plan: Plan, rows: Sequence[Mapping[str, Any]], folder: Path) -> list[Path]:
    """Write ``<metric>__vs__<parameter>.png`` for every metric and varied parameter."""
    varied = plan.varied()
    if not varied or not rows:
        return []
    plt = _pyplot()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for metric in plan.metrics:
        if all(row[f"{metric}.mean"] is None for row in rows):
            continue  # no run has it (reliability figures with failures off): blank axes
        for x in varied:
            fig = figure(plt, plan, rows, x, metric)
            path = folder / f"{slug(metric)}__vs__{slug(x)}.png"
            legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
            fig.savefig(path, dpi=100, bbox_inches="tight",  # the legend beside the axes too
                        bbox_extra_artists=legends)  # (kept out of the layout: ``figure``)
            plt.close(fig)
            written.append(path)
    for old in set(folder.glob("*__vs__*.png")) - set(written):
        old.unlink()  # a metric or parameter the study (resumed after an edit) no longer has
    return written
