"""Why did a job wait? Its timeline of events and policy decisions, from the record alone.

``colossim run --explain JOB`` prints this. Every entry is either an event about the job (submit,
start, preempt, resize, complete, reject, ...) or a decision that named it, with the engine's
verdict (applied / infeasible / invalid) and reason. Each stretch the job spent pending gets a
one-line answer: the refusals it met, else the jobs the policy started while it waited (the policy
put them first; each job once, however often it was restarted), else that the policy did not try
to start it, with how busy the cluster was.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from operator import itemgetter

from colossim.config.wording import and_more
from colossim.engine.record import Event, StepSeries
from colossim.metrics.labels import shown
from colossim.metrics.pending import pending_spans
from colossim.metrics.result import RunResult

AHEAD_SHOWN = 5
# Events that recur all through a long run and say nothing about waiting: a job checkpointing
# every 15 minutes for days has thousands. ``folded`` gathers each run of them into one line.
ROUTINE = frozenset({"checkpoint", "checkpoint_saved", "pause", "resume", "fabric", "perf",
                     "power_limit", "swap"})

SHARED = frozenset({"fabric_fault", "fabric_repair"})  # events of no job that change a job's pace


@dataclass(frozen=True)
class Entry:
    time_s: float
    kind: str  # "event" or "decision"
    what: str  # submit, start, preempt, ... or the action
    detail: str = ""
    verdict: str | None = None
    # a fault the job absorbed where it ran (restarted in place or on a hot spare, never
    # pending): it says nothing about waiting, and a failure-heavy job has thousands (QA: the
    # checkpoint example's 10T printed 12,000 lines), so it folds like ``ROUTINE`` events
    absorbed: bool = False


@dataclass(frozen=True)
class Wait:
    """One stretch of waiting: from submission or preemption to the next start (or the policy's
    rejection, or the run's end)."""

    since_s: float
    until_s: float
    started: bool  # did the wait end with a start?
    refusals: int
    ahead: tuple[str, ...]  # distinct jobs started while it waited (first few, each once)
    ahead_count: int  # how many distinct jobs (a job restarted during the wait counts once)
    busy_gpus: float  # GPUs busy when the wait began
    total_gpus: int
    why: str
    needs_gpus: int | None = None  # the job's fewest GPUs, when the caller knows them
    rejected: bool = False  # the wait ended with the policy rejecting the job


@dataclass(frozen=True)
class JobTimeline:
    job: str
    state: str
    entries: tuple[Entry, ...]
    waits: tuple[Wait, ...]
    # the faults that interrupted it, by component and by where it restored from, most first: a
    # failure-heavy job's timeline ran to thousands of lines with no tally (QA)
    faults: tuple[tuple[str, int], ...] = ()
    restores: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Folded:
    """A run of routine events between two that matter: when, and how many of each kind."""

    first_s: float
    last_s: float
    counts: tuple[tuple[str, int], ...]


def folded(entries: tuple[Entry, ...]) -> list[Entry | Folded]:
    """The entries with every run of routine events (``ROUTINE``, and faults the job absorbed)
    gathered into one ``Folded`` (a run of one stays as it is)."""
    out: list[Entry | Folded] = []
    run: list[Entry] = []

    def flush() -> None:
        if len(run) == 1:
            out.append(run[0])
        elif run:  # kinds in the order they first came
            counts = Counter(entry.what for entry in run)
            out.append(Folded(run[0].time_s, run[-1].time_s, tuple(counts.items())))
        run.clear()

    for entry in entries:
        if entry.kind == "event" and (entry.what in ROUTINE or entry.absorbed):
            run.append(entry)
        else:
            flush()
            out.append(entry)
    flush()
    return out


AT_TIMES = {"snapshot_s"}  # detail keys that are times since the start, not durations


def _detail(data: dict | None) -> str:
    """An event's data as ``key=value``; a time since the start in hours, as the timeline's
    own column reads (QA: ``snapshot_s=5.889e+04`` beside ``16.53`` h could not be matched)."""
    return ", ".join(f"{k.removesuffix('_s')}={v / 3600:,.2f} h" if k in AT_TIMES and
                     isinstance(v, int | float) else f"{k}={shown(v)}"
                     for k, v in (data or {}).items())


def _why(refusals: list[str], ahead: list[str], busy: float, total: int,
         needs: int | None = None, in_service: float | None = None, spares: int = 0) -> str:
    if refusals:
        return f"refused {len(refusals)} time(s); last: {refusals[-1]}"
    needed = f"; it needs at least {needs:,}" if needs is not None else ""
    # GPUs held back as hot spares are neither busy nor free (QA: "216 of 288 busy; it needs
    # at least 72" read as room for it, with the other 72 the spares)
    held = f", {spares:,} held back as hot spares" if spares else ""
    if ahead:  # with how full the cluster was: a start ahead may have come long after the wait
        # began, when room opened (QA: 95 h put down to priority, 56 of them a full cluster)
        shown = and_more(ahead, AHEAD_SHOWN)  # QA: "6 other job(s) first: a, ..., e ..."
        return (f"the policy started {len(ahead)} other job(s) first: {shown} ({busy:,.0f} of "
                f"{total:,} GPUs busy when the wait began{held}{needed})")
    out = (f", {total - in_service:,.0f} out of service"
           if in_service is not None and in_service < total else "")
    domains = ("; a job taking whole NVLink domains cannot use a rack with a failed GPU"
               if out and needs is not None else "")
    return (f"the policy did not try to start it ({busy:,.0f} of {total:,} GPUs busy when the "
            f"wait began{out}{held}{needed}{domains})")


def job_timeline(result: RunResult, name: str, min_gpus: int | None = None,
                 spare_gpus: int = 0) -> JobTimeline:
    """The timeline of job ``name``; raises KeyError if the run has no such job.

    ``min_gpus``: the job's fewest GPUs, and ``spare_gpus``: the GPUs of the racks held back as
    hot spares (from its scenario; the result carries neither), so a wait the policy did not try
    to end says how much the job needed and how much it could not have."""
    job = result.job(name)
    record = result.record
    # a fabric fault or repair names no job: it is the job's when its fabric factor changed at
    # that instant (QA: the fault that slowed a job was missing, its factor change folded away)
    slowed_at = {e.time_s for e in record.events if e.job == name and e.kind == "fabric"}
    entries = [Entry(e.time_s, "event", e.kind, _detail(e.data),
                     absorbed=e.kind == "failure" and not (e.data or {}).get("stopped"))
               for e in record.events if e.job == name or (
                   e.job is None and e.kind in SHARED and e.time_s in slowed_at)]
    decisions = [d for d in record.decisions if d.action.get("job") == name]
    entries += [
        Entry(d.time_s, "decision", str(d.action.get("action", "?")),
              _detail({k: v for k, v in d.action.items() if k not in ("action", "job")}),
              d.verdict + (f": {d.reason}" if d.reason else ""))
        for d in decisions
    ]
    entries.sort(key=lambda e: (e.time_s, e.kind != "event"))
    # in the record's order, which within an instant is the order the policy gave them
    starts = [(d.time_s, str(d.action.get("job", ""))) for d in record.decisions
              if d.action.get("action") == "start" and d.verdict == "applied"]
    busy = record.series.get("gpus_busy", StepSeries())
    available = record.series.get("gpus_available")  # with the failures model: GPUs in service

    def service(t: float) -> float | None:
        return None if available is None else available.at(t)

    waits = []
    for pending in pending_spans((e for e in record.events if e.job == name), result.end_s):
        ended, since, cause = pending.ended, pending.since_s, _cause(pending.began)
        if ended is not None and ended.time_s == since:
            continue  # started (or refused) the instant it arrived: no wait
        wait = _wait(since, pending.until_s, ended is not None and ended.kind == "start", name,
                     decisions, starts, busy.at(since), result.cluster.gpus, min_gpus, cause,
                     service(since), spare_gpus)
        if ended is not None and ended.kind == "reject":  # the wait ends with the refusal
            reason = (ended.data or {}).get("reason")
            why = "the policy rejected it" + (f" ({reason})" if reason else "")
            wait = replace(wait, rejected=True, why=f"{cause}: {why}" if cause else why)
        waits.append(wait)
    stops = [e.data or {} for e in record.events if e.job == name and e.kind == "failure"]
    return JobTimeline(name, job.state, tuple(entries), tuple(waits),
                       _tally(str(d.get("component", "?")) for d in stops),
                       _tally(_restored_from(record.events, name)))


def _restored_from(events: Iterable[Event], name: str) -> list[str]:
    """Where each of the job's restarts loaded from: its failure's restore point, unless a
    ``restore_lost`` came after it (the in-memory copy went down before the load), which sent
    it to storage or the start (QA: such a restart was counted as one from memory)."""
    restores: list[str] = []
    for event in events:
        data = event.data or {}
        if event.job != name or not data.get("restore"):
            continue
        if event.kind == "failure":
            restores.append(str(data["restore"]))
        elif event.kind == "restore_lost" and restores:
            restores[-1] = str(data["restore"])
    return restores


def _tally(names: Iterable[str]) -> tuple[tuple[str, int], ...]:
    """How many of each, most first (ties in name order)."""
    return tuple(sorted(Counter(names).items(), key=lambda item: (-item[1], item[0])))


CAUSES = {"preempt": "after a preemption", "failure": "after a failure took its GPUs"}
CUT = ("after a fabric cut took it off{where}: the GPUs behind a cut cannot hold a job whose "
       "traffic would cross it")


def _cause(event) -> str:
    """Why a wait began: a preemption by the power fallback is a power loss, and one by a
    fabric cut a cut, not a choice (read as a policy's, free GPUs behind the cut looked like
    GPUs the policy ignored)."""
    data = event.data or {}
    if event.kind == "preempt" and data.get("reason") == "power":
        return "after a power loss (the facility could not power it)"
    if data.get("reason") == "fabric_cut" or data.get("component") == "fabric_cut":
        where = (f" (pod {data['pod']}'s {data['tier']} tier)"
                 if "pod" in data and "tier" in data else "")
        return CUT.format(where=where)
    return CAUSES.get(event.kind, "")


def _wait(since: float, until: float, started: bool, name: str, decisions: list,
          starts: list[tuple[float, str]], busy: float, total: int,
          needs: int | None = None, cause: str = "", in_service: float | None = None,
          spares: int = 0) -> Wait:
    refusals = [d.reason or d.verdict for d in decisions
                if since <= d.time_s <= until and d.verdict != "applied"]
    # other jobs started from the wait's start to its end, each once, in the order they first
    # started (one preempted and restarted during the wait is one job put first, not several);
    # none started at the instant it started: they took nothing it waited for (QA: x, started
    # with y when the job holding every GPU ended, was blamed for y's wait)
    ahead: dict[str, None] = {}
    for t, job in starts[bisect_left(starts, since, key=itemgetter(0)):]:
        if t > until or (started and t == until):
            break
        if job != name:
            ahead[job] = None
    first = list(ahead)
    why = _why(refusals, first, busy, total, needs, in_service, spares)
    return Wait(since, until, started, len(refusals), tuple(first[:AHEAD_SHOWN]), len(first),
                busy, total, f"{cause}: {why}" if cause else why, needs)
