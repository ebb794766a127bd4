"""Matplotlib figures of one run, as PNG bytes for the HTML report (extra: ``colossim[plot]``).

Each function draws what the record has and skips what it lacks: battery, supply schedules and
fabric tiers appear once the models that record them exist. Time axes are in days.
"""

from __future__ import annotations

import io
from bisect import bisect_right
from collections.abc import Mapping
from typing import Any

from colossim.errors import require
from colossim.metrics.labels import label
from colossim.metrics.phases import Slice
from colossim.metrics.result import RunResult
from colossim.metrics.series import integral, peak

DAY = 86400.0
MAX_GANTT_JOBS = 40  # beyond this the chart shows the jobs with the most GPU-hours
PHASE_COLORS = {
    "queued": "#d9d9d9",
    "running": "#4c72b0",
    "preempted": "#f0a35e",
    "checkpointing": "#8172b2",
    "restarting": "#c44e52",
    "resizing": "#937860",
}
OTHER_PHASE_COLOR = "#8c8c8c"
# Series the engine samples at every breakpoint, linear in between (``StepSeries.sample``).
SAMPLED = frozenset({"battery_mw", "generation_mw", "battery_mwh", "battery_soc"})
# Level series with a fixed place in the levels figure; others are grouped by ``level_panels``.
OWN_PANELS = ("gpus_busy", "power_mw", "supply_mw", "battery_soc", "battery_mwh")
MAX_FAMILY_PANELS = 4
MAX_LINES = 12  # per panel of a family (e.g. one line per job)
MAX_ETTR_BARS = 20  # the ETTR chart shows the jobs with the lowest ETTR


def pyplot() -> Any:
    """matplotlib's pyplot on the file-only Agg backend, or an error naming the extra."""
    matplotlib = require("matplotlib", "plot", "plots need matplotlib")
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def png(fig: Any) -> bytes:
    plt = pyplot()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return buffer.getvalue()


def shown_jobs(result: RunResult, timelines: Mapping[str, list[Slice]]) -> list[str]:
    """Jobs to draw, in result order; the largest by GPU-hours when there are too many."""
    names = [j.name for j in result.jobs if j.name in timelines]
    if len(names) <= MAX_GANTT_JOBS:
        return names
    keep = {j.name for j in sorted(result.jobs, key=lambda j: -j.gpu_hours)[:MAX_GANTT_JOBS]}
    return [n for n in names if n in keep]


def gantt(result: RunResult, timelines: Mapping[str, list[Slice]]) -> bytes:
    """Top: one row per job, a bar per phase, running bars labelled with their GPUs.
    Bottom: GPUs held by each job over time, stacked, under the cluster's GPU count."""
    plt = pyplot()
    names = shown_jobs(result, timelines)
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(11, 2.2 + 0.35 * len(names) + 3), sharex=True, layout="constrained",
        gridspec_kw={"height_ratios": [max(1, len(names)) * 0.35 + 0.5, 3]},
    )
    seen: dict[str, Any] = {}
    labelled = False
    for row, name in enumerate(names):
        by_phase: dict[str, list[tuple[float, float]]] = {}
        for s in timelines[name]:
            by_phase.setdefault(s.phase, []).append((s.start_s / DAY, (s.end_s - s.start_s) / DAY))
        for phase, spans in by_phase.items():
            color = PHASE_COLORS.get(phase, OTHER_PHASE_COLOR)
            seen.setdefault(phase, top.broken_barh(spans, (row - 0.3, 0.6), facecolors=color,
                                                   linewidth=0))
        for s in _label_spans(timelines[name], result.end_s):
            top.text((s.start_s + s.end_s) / 2 / DAY, row, f"{s.gpus:,}", ha="center",
                     va="center", fontsize=7, color="white")
            labelled = True
    top.set_yticks(range(len(names)), names, fontsize=8)
    top.invert_yaxis()
    # bars too short for a label (a trace's hour-long jobs over weeks) get none: say so only
    # when some have one
    top.set_title("jobs over time" + (" (bar labels: GPUs held)" if labelled else ""))
    if seen:
        top.legend(seen.values(), seen.keys(), loc="upper right", fontsize=7, ncols=3)
    times = sorted({0.0, result.end_s} | {t for n in names for s in timelines[n]
                                         for t in (s.start_s, s.end_s)})
    stacks = [_held_at(timelines[n], times) for n in names]
    labels = list(names)
    busy = result.record.series.get("gpus_busy")
    if len(names) < len(timelines) and busy is not None:  # the jobs not drawn, as one layer
        times = sorted(set(times) | {t for t in busy.times if t <= result.end_s})
        stacks = [_held_at(timelines[n], times) for n in names]
        shown = [sum(col) for col in zip(*stacks, strict=True)] if stacks else [0] * len(times)
        total = [busy.at(t) for t in times]
        stacks.append([max(0.0, b - s) for b, s in zip(total, shown, strict=True)])
        labels.append(f"other {len(timelines) - len(names)} jobs")
    if stacks and len(times) > 1:
        layers = bottom.stackplot([t / DAY for t in times], stacks, labels=labels, step="post",
                                  alpha=0.85)
        if len(labels) > len(names):
            layers[-1].set_facecolor(OTHER_PHASE_COLOR)
    bottom.axhline(result.cluster.gpus, color="black", linewidth=1, linestyle="--",
                   label="cluster GPUs")
    bottom.set_ylabel("GPUs")
    bottom.set_xlabel("time (days)")
    bottom.set_xlim(0, max(result.end_s, 1e-9) / DAY)
    bottom.set_title("GPUs held per job")
    if len(names) <= 12:
        bottom.legend(loc="upper right", fontsize=7, ncols=2)
    return png(fig)


def _label_spans(slices: list[Slice], end_s: float) -> list[Slice]:
    """Stretches holding one GPU count, merged across phases, wide enough for a label."""
    merged: list[Slice] = []
    for s in slices:
        if merged and merged[-1].gpus == s.gpus and merged[-1].end_s == s.start_s:
            merged[-1] = Slice(merged[-1].phase, merged[-1].start_s, s.end_s, s.gpus)
        else:
            merged.append(s)
    return [s for s in merged if s.gpus and (s.end_s - s.start_s) > 0.06 * max(end_s, 1e-9)]


def _held_at(slices: list[Slice], times: list[float]) -> list[int]:
    """GPUs a job holds at each of ``times`` (its slices are in order and do not overlap)."""
    starts = [s.start_s for s in slices]
    out = []
    for t in times:
        i = bisect_right(starts, t) - 1
        out.append(slices[i].gpus if i >= 0 and t < slices[i].end_s else 0)
    return out


def _steps(series: Any, end_s: float) -> tuple[list[float], list[float]]:
    times = [t / DAY for t in series.times if t <= end_s]
    values = list(series.values[: len(times)])
    if values:
        times.append(end_s / DAY)
        values.append(values[-1])
    return times, values


def level_panels(names: list[str]) -> dict[str, list[str]]:
    """Which series go on which panel: GPU counts with GPUs in use, undotted ``*_mw`` with the
    facility power, and every other family (the part of a name before its first dot) alone."""
    panels: dict[str, list[str]] = {"GPUs": [], "power": []}
    for name in sorted(names):
        if name in OWN_PANELS:
            continue
        if "." not in name and name.startswith("gpus_"):
            panels["GPUs"].append(name)
        elif "." not in name and name.endswith("_mw"):
            panels["power"].append(name)
        else:
            panels.setdefault(name.split(".")[0], []).append(name)
    return panels


def ranked_lines(series: Mapping[str, Any], names: list[str], end_s: float) -> list[str]:
    """The series among ``names`` above zero at some moment of [0, ``end_s``], highest peak
    first (ties: the larger integral, then the name). A series that is zero all through the run
    says nothing, and 800 of them would otherwise fill a panel in name order."""
    peaks = {name: peak(series[name], 0.0, end_s) for name in names}
    above = [name for name in names if peaks[name] > 0]
    return sorted(above, key=lambda n: (-peaks[n], -integral(series[n], 0.0, end_s), n))


def family_lines(result: RunResult) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Families of level series beyond GPUs and power (``level_panels``): those with a series
    above zero, each with its ranked lines (``ranked_lines``), and those zero all through the
    run (not drawn), with how many series they hold."""
    series = result.record.series
    drawn: dict[str, list[str]] = {}
    flat: dict[str, int] = {}
    for family, names in level_panels(list(series)).items():
        if family in ("GPUs", "power"):
            continue
        lines = ranked_lines(series, names, result.end_s)
        if lines:
            drawn[family] = lines
        else:
            flat[family] = len(names)
    return drawn, flat


LINE_STYLES = ("-", "--", ":", "-.")


def family_unit(family: str) -> str:
    """The y axis of a family's panel (QA: the fabric's had none): its series' unit."""
    if family == "fabric":
        return "share of capacity"
    if family.endswith("_mw"):
        return "MW"
    return "GPUs" if family.endswith("gpus") else ""


def _legend(ax: Any, lines: int) -> None:
    ax.legend(loc="upper right", fontsize=7 if lines <= 8 else 6, ncols=1 if lines <= 8 else 2)


def _drawn_of(above: int, total: int) -> str:
    """Which of a family's ``total`` series its panel draws, ``above`` of them ever above 0."""
    if above > MAX_LINES:
        return f" (the {MAX_LINES} highest of {total:,})"
    return f" ({above:,} of {total:,} ever above zero)" if above < total else ""


def levels(result: RunResult) -> bytes:
    """GPUs in use; facility power against the supply (and the battery when it exists); then one
    panel per other family of level series the record has (fabric tiers, per-job power, ...)."""
    plt = pyplot()
    series = result.record.series
    panels = level_panels(list(series))
    lines, _ = family_lines(result)
    families = list(lines)
    shown, hidden = families[:MAX_FAMILY_PANELS], families[MAX_FAMILY_PANELS:]
    fig, axes = plt.subplots(2 + len(shown), 1, figsize=(11, 6.5 + 2.6 * len(shown)),
                             sharex=True, squeeze=False, layout="constrained")
    axes = [row[0] for row in axes]
    gpus_ax, power_ax = axes[0], axes[1]
    for name in ["gpus_busy", *panels["GPUs"]]:
        if name in series:
            text = "in use" if name == "gpus_busy" else label(name)
            gpus_ax.step(*_steps(series[name], result.end_s), where="post", label=text)
    gpus_ax.axhline(result.cluster.gpus, color="black", linestyle="--", linewidth=1,
                    label="cluster GPUs")
    gpus_ax.set_ylabel("GPUs")
    gpus_ax.set_title("GPUs in use")
    _legend(gpus_ax, 2 + len(panels["GPUs"]))
    if "power_mw" in series:
        power_ax.step(*_steps(series["power_mw"], result.end_s), where="post",
                      color="#c44e52", label="facility draw")
    for name in panels["power"]:
        if name in SAMPLED:  # linear between samples: a line, not steps (QA: a ramp drew as a
            # 7-hour flat stretch and a jump, the battery as giving more than it held)
            power_ax.plot(*_steps(series[name], result.end_s), label=label(name))
        else:
            power_ax.step(*_steps(series[name], result.end_s), where="post",
                          label=label(name))
    if "supply_mw" in series:
        power_ax.step(*_steps(series["supply_mw"], result.end_s), where="post",
                      color="black", linestyle="--", label="supply")
    else:
        power_ax.axhline(result.cluster.supply_mw, color="black", linestyle="--", linewidth=1,
                         label="supply")
    power_ax.set_ylabel("MW")
    power_ax.set_title("facility power")
    battery = next((n for n in ("battery_soc", "battery_mwh") if n in series), None)
    if battery is not None:
        twin = power_ax.twinx()
        # sampled at every breakpoint and linear in between (``StepSeries.sample``): a line
        twin.plot(*_steps(series[battery], result.end_s), color="#55a868", label=label(battery))
        twin.set_ylabel(label(battery))
        twin.legend(loc="lower right", fontsize=7)
    _legend(power_ax, 2 + len(panels["power"]))
    for ax, family in zip(axes[2:], shown, strict=True):
        total, drawn = len(panels[family]), lines[family][:MAX_LINES]
        for k, name in enumerate(drawn):  # the legend lists them highest first; the styles
            # cycle so a line lying on another shows (QA: the fabric's rack and pod tiers
            # carried the same load, and one hid the other)
            ax.step(*_steps(series[name], result.end_s), where="post",
                    linestyle=LINE_STYLES[k % len(LINE_STYLES)],
                    label=name.split(".", 1)[1] if "." in name else name)
        ax.set_title(label(family) + _drawn_of(len(lines[family]), total))
        ax.set_ylabel(family_unit(family))
        _legend(ax, len(drawn))
    if hidden:
        axes[-1].annotate(f"not drawn: {', '.join(hidden)}", (0, -0.28),
                          xycoords="axes fraction", fontsize=7)
    axes[-1].set_xlabel("time (days)")
    axes[-1].set_xlim(0, max(result.end_s, 1e-9) / DAY)
    return png(fig)


def progress(result: RunResult, timelines: Mapping[str, list[Slice]]) -> bytes:
    """Per job, the fraction of its work done over time, across the whole figure's width (the
    ETTR bars are ``ettr_chart``'s). The record holds no per-job rates, so progress between
    events is interpolated by running GPU-seconds (exact while speed is proportional to GPUs
    held), and each loss the record logs (``lost_flops``: a failure's rollback to its last
    checkpoint) drops the curve where it happened (``progress_curve``)."""
    plt = pyplot()
    names = shown_jobs(result, timelines)
    fig, ax = plt.subplots(figsize=(11, 4.5), layout="constrained")
    jobs = {j.name: j for j in result.jobs}
    losses = logged_losses(result)
    for name in names:
        job = jobs.get(name)
        if job is None or not job.work_flops:
            continue
        times, done = progress_curve(timelines[name], losses.get(name, []), job.work_done_flops)
        if times:
            ax.plot([t / DAY for t in times], [d / job.work_flops for d in done], label=name)
    ax.set_ylim(0, 1.05)
    ax.set_xlim(0, max(result.end_s, 1e-9) / DAY)
    ax.set_xlabel("time (days)")
    ax.set_ylabel("fraction of work done")
    ax.set_title("per-job progress (interpolated by running GPU-seconds; drops: work lost to "
                 "failures)")
    if ax.lines and len(names) <= 12:
        ax.legend(loc="lower right", fontsize=7)
    return png(fig)


def logged_losses(result: RunResult) -> dict[str, list[tuple[float, float]]]:
    """Per job, (time, FLOPs) of every loss the record logs, in order."""
    out: dict[str, list[tuple[float, float]]] = {}
    for event in result.record.events:
        lost = (event.data or {}).get("lost_flops")
        if lost and event.job is not None:
            out.setdefault(event.job, []).append((event.time_s, float(lost)))
    return out


def progress_curve(slices: list[Slice], losses: list[tuple[float, float]],
                   done_flops: float) -> tuple[list[float], list[float]]:
    """Times and work done (FLOPs) of a job: running slices gain at one rate per GPU-second,
    the one that ends at ``done_flops`` with every loss taken off; each loss a step down at
    its time. Empty when the job never ran."""
    gpu_s = sum(s.gpus * (s.end_s - s.start_s) for s in slices if s.phase == "running")
    if gpu_s <= 0:
        return [], []
    per_gpu_s = (done_flops + sum(lost for _, lost in losses)) / gpu_s
    # (time, order, slope change or loss): at one instant slopes end, then losses, then starts
    changes = [(t, 1, 0.0, lost) for t, lost in losses]
    for s in slices:
        if s.phase == "running" and s.end_s > s.start_s:
            changes += [(s.start_s, 2, s.gpus * per_gpu_s, 0.0),
                        (s.end_s, 0, -s.gpus * per_gpu_s, 0.0)]
    times, done = [0.0], [0.0]
    slope = last = 0.0
    for t, _order, d_slope, lost in sorted(changes):
        now = done[-1] + slope * (t - last)
        for value in (now, now - lost) if lost else (now,):
            if (t, value) != (times[-1], done[-1]):
                times.append(t)
                done.append(value)
        slope, last = slope + d_slope, t
    return times, done


def ettr_values(result: RunResult) -> list[tuple[str, float]]:
    """Every job's ETTR, lowest first (ties by name); none when the reliability model was off
    (``result.reliability`` is None): without failures, checkpoints and restarts the figure
    says nothing the Gantt chart does not."""
    if result.reliability is None:
        return []
    values = [(j.name, j.ettr) for j in result.jobs if j.ettr is not None]
    return sorted(values, key=lambda pair: (pair[1], pair[0]))


def ettr_chart(values: list[tuple[str, float]]) -> bytes:
    """Horizontal ETTR bars of the ``MAX_ETTR_BARS`` lowest of ``values`` (``ettr_values``),
    lowest on top, each labelled with its value; the figure grows with the bars so the job
    names never overlap."""
    plt = pyplot()
    drawn = values[:MAX_ETTR_BARS]
    fig, ax = plt.subplots(figsize=(11, 1.4 + 0.3 * len(drawn)), layout="constrained")
    rows = range(len(drawn))
    ax.barh(rows, [v for _, v in drawn], color="#55a868")
    ax.set_yticks(rows, [name for name, _ in drawn], fontsize=8)
    for row, (_, value) in enumerate(drawn):
        ax.text(min(value, 1.0) + 0.005, row, f"{value:.3f}", va="center", fontsize=7)
    ax.set_xlim(0, 1.08)
    ax.invert_yaxis()
    ax.set_xlabel("productive time / simulated time since first start")
    lowest = (f": the {len(drawn)} lowest of {len(values):,} jobs"
              if len(values) > len(drawn) else "")
    ax.set_title(f"ETTR per job{lowest}")
    return png(fig)
