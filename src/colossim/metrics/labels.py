"""Result and series names as labels for people: the unit a name ends in becomes a unit in
brackets, and abbreviations are spelled as people write them (``peak_power_mw`` reads
"peak power (MW)", ``gpus_throttled`` "GPUs throttled"). The names themselves stay as they are
in the JSON, CSV and record."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# longest suffixes first: "gbytes_s" before "s"
UNITS = (("gbytes_s", "GB/s"), ("tbytes_s", "TB/s"), ("mwh", "MWh"), ("mw", "MW"), ("tb", "TB"),
         ("s", "s"))
WORDS = {"gpu": "GPU", "gpus": "GPUs", "it": "IT", "soc": "SoC", "mfu": "MFU", "jct": "JCT"}


def label(name: str) -> str:
    """``snake_case_unit`` as words and the unit in brackets; a dotted name keeps its dots."""
    words = name.split("_")
    unit = None
    for suffix, written in UNITS:
        parts = suffix.split("_")
        if len(words) > len(parts) and words[-len(parts):] == parts:
            words, unit = words[: -len(parts)], written
            break
    text = " ".join(WORDS.get(word, word) for word in words)
    return f"{text} ({unit})" if unit else text


def shown(value: Any) -> str:
    """A value for people: floats to 4 significant digits, mappings as ``{key: value}`` (the
    JSON and the record keep every digit)."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {shown(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(shown(v) for v in value) + "]"
    return str(value)


def middle_elided(text: str, width: int) -> str:
    """``text`` within ``width`` characters, its middle elided ("3a099c80-e…22d635b7"): names
    and values differ at their start and end more often than in their middle."""
    if len(text) <= width:
        return text
    head = width // 2
    return text[:head] + "…" + text[len(text) - (width - 1 - head):]


def either(names: Sequence[str]) -> str:
    """Alternatives as people list them: "a", "a or b", "a, b or c"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


LISTED = 12  # names an error lists before "and N more" (a trace replay has thousands of jobs)


def first_few(names: Sequence[str], shown: int = LISTED) -> str:
    """The first ``shown`` names, comma-separated, and how many more there are."""
    more = f", ... and {len(names) - shown:,} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def plural(count: int, noun: str) -> str:
    """``count`` and ``noun``, plural unless one: "1 problem", "2,917 problems"."""
    return f"{count:,} {noun}{'s' * (count != 1)}"


TIME_UNITS = ((86400.0, "d", "days"), (3600.0, "h", "hours"))  # a duration in days, else hours


def time_unit(metric: str, means: Sequence[float | None], long: bool = False
              ) -> tuple[float, str]:
    """(divisor, suffix) for a metric in seconds whose non-zero means are all a day or more (an
    hour or more): ``makespan_s 1,665,621`` reads ``makespan d 19.28``, as ``run`` and
    ``compare`` show it (``long``: "days", for an axis label). Other metrics keep their own
    unit (1, ""), rates per second among them (``tokens_per_s``, ``cross_pod_bytes_per_s``: QA,
    489,879 tokens/s read "5.67 d")."""
    if not metric.endswith("_s") or metric.endswith("_per_s"):
        return 1.0, ""
    known = [abs(m) for m in means if m]  # a zero reads the same in any unit: one (a queue
    # wait under las) kept a column of 113,526-second waits in seconds (QA)
    for divisor, suffix, word in TIME_UNITS:
        if known and min(known) >= divisor:
            return divisor, word if long else suffix
    return 1.0, ""


# metrics that are shares of 1 which run and compare show in per cent (GPU utilisation 74.7%,
# MFU 66%, GPUs in service 99.82%, deadlines met): a study's table and plots say them so too
PER_CENT = ("utilization", "availability", "mfu", "deadlines_met")


def shown_unit(metric: str, means: Sequence[float | None], long: bool = False
               ) -> tuple[float, str]:
    """(divisor, suffix) a metric is shown in: a duration in days or hours (``time_unit``), a
    share in per cent (QA: a study's table said gpu_utilization 0.7467 where run said
    74.7%), anything else as it is (1, "")."""
    if metric.rpartition(".")[2].endswith(PER_CENT):
        return 0.01, "per cent" if long else "%"
    return time_unit(metric, means, long)


HUGE = 1e9  # past this, a figure is written in three significant digits


def huge_days(days: float) -> str | None:
    """``days`` in three significant digits when past a billion, else None (the caller's own
    format): a trace stretched 1e300 times printed 300-digit columns that squeezed the job
    names out of the run's table, and the same number in a load warning (QA)."""
    return f"{days:.3g}" if abs(days) >= HUGE else None


def grouped(value: float, decimals: int = 2) -> str:
    """``value`` with thousands grouped and ``decimals`` places, or in three significant
    digits past a billion (``huge_days``): compare's makespan, the run table's GPU-hours and
    energy printed 200 digits for a job of 1e200 GPU-hours (code review)."""
    return huge_days(value) or f"{value:,.{decimals}f}"


def multiple(ratio: float) -> str:
    """A ratio for a message: one decimal below 100 (2.5x), whole from 100 on (QA:
    480,000,000.0x), three significant digits past a billion."""
    return grouped(ratio, 1 if ratio < 100 else 0)


def spans_apart(a: float, b: float) -> tuple[str, str]:
    """Two spans as ``span_text`` says them, or, where they differ but would read the same, in
    seconds with as many decimals as tell them apart (QA: "cannot meet its deadline_s (1.0
    hours) even at its fastest (1.0 hours)", for 3,600 and 3,601 s)."""
    texts = span_text(a), span_text(b)
    digits = 0
    while texts[0] == texts[1] and a != b and digits <= 9:
        texts = f"{a:,.{digits}f} s", f"{b:,.{digits}f} s"
        digits += 1
    return texts


def span_text(seconds: float) -> str:
    """A simulated span for a message: seconds under an hour, hours under a day, else days
    (three significant digits past a billion: ``huge_days``)."""
    if seconds < 3600:
        return f"{seconds:,.0f} s"
    if seconds < 86400:
        return f"{seconds / 3600:,.1f} hours"
    days = seconds / 86400
    return f"{grouped(days, 2 if days < 10 else 0)} days"
