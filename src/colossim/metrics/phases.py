"""Job phases over time (queued, running, checkpointing, ...), read from the record's events.

The timeline trace and the report's Gantt chart both draw these. Which event starts which phase
is one small table, ``ENTERS``: a new model that logs a new job event adds a line there. Job
events the tables do not know keep the job's phase and become marks (instants), so nothing a
newer model records is silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from colossim.collector import collector_paused
from colossim.engine.record import Event

# event kind -> the phase a job is in from that event on (None: the job is done or rejected).
ENTERS: dict[str, str | None] = {
    "submit": "queued",
    "start": "running",
    "resize": "running",
    "resume": "running",
    "preempt": "preempted",
    "checkpoint": "checkpointing",
    "restart": "restarting",
    "complete": None,
    "reject": None,
}
# event kind -> (data key naming the phase, {value: phase}); e.g. the engine's pause events.
FROM_DATA: dict[str, tuple[str, dict[str, str]]] = {
    "pause": ("phase", {"checkpoint": "checkpointing", "restart": "restarting",
                        "resize": "resizing"}),
}
# event kind -> (data key, phase): when ``data[key]`` is true the job enters that phase, else
# the event keeps the phase (a failure that stops a job sends it back to the queue; one that
# does not is followed by the engine's pause for the restart).
WHEN_DATA: dict[str, tuple[str, str]] = {"failure": ("stopped", "queued")}
# Data keys that make a phase timed: it lasts this many seconds, then the job goes back to the
# phase it was in (unless another event comes first).
DURATION_KEYS = ("seconds", "duration_s")
# Job events that change the phase and still deserve a mark of their own.
MARKED = frozenset({"failure", "reject", "preempt"})
# A job event whose data carries "gpus" states the GPUs the job holds after it; these kinds
# take all of them away.
FREES_GPUS = frozenset({"preempt", "complete", "reject"})
KEEP = "__keep__"


@dataclass(frozen=True)
class Slice:
    """A job spent ``[start_s, end_s)`` in ``phase`` holding ``gpus`` GPUs."""

    phase: str
    start_s: float
    end_s: float
    gpus: int


@dataclass(frozen=True)
class Mark:
    """A moment worth showing: a failure, a rejection, an event kind without a phase."""

    time_s: float
    kind: str
    job: str | None
    data: dict[str, Any] | None


def phase_of(event: Event) -> str | None:
    """The phase ``event`` puts its job in, ``None`` when the job leaves, ``KEEP`` if unknown."""
    data = event.data or {}
    if event.kind in FROM_DATA:
        key, names = FROM_DATA[event.kind]
        value = data.get(key)
        return names.get(str(value), str(value)) if value is not None else KEEP
    if event.kind in WHEN_DATA:
        key, phase = WHEN_DATA[event.kind]
        return phase if data.get(key) else KEEP
    return ENTERS.get(event.kind, KEEP)


@dataclass
class _Track:
    slices: list[Slice] = field(default_factory=list)
    phase: str | None = None
    since: float = 0.0
    gpus: int = 0
    until: float | None = None  # a timed phase ends here ...
    back_to: str | None = None  # ... and the job returns to this phase

    def close(self, t: float) -> None:
        if self.phase is not None and t > self.since:
            self.slices.append(Slice(self.phase, self.since, t, self.gpus))

    def switch(self, phase: str | None, t: float) -> None:
        self.close(t)
        self.phase, self.since = phase, t

    def settle(self, t: float) -> None:
        """End a timed phase that ran out before ``t``."""
        if self.until is not None and self.until <= t:
            until, back = self.until, self.back_to
            self.until = self.back_to = None
            self.switch(back, until)


def job_timelines(
    events: Iterable[Event], end_s: float
) -> tuple[dict[str, list[Slice]], list[Mark]]:
    """Slices per job (in order of first event) and the marks, up to ``end_s``; built with
    the cyclic collector paused (no cycles among them: ``colossim.collector``)."""
    with collector_paused():
        return _timelines(events, end_s)


def _timelines(
    events: Iterable[Event], end_s: float
) -> tuple[dict[str, list[Slice]], list[Mark]]:
    tracks: dict[str, _Track] = {}
    marks: list[Mark] = []
    for event in events:
        if event.job is None:
            marks.append(Mark(event.time_s, event.kind, None, event.data))
            continue
        track = tracks.setdefault(event.job, _Track())
        track.settle(event.time_s)
        phase = phase_of(event)
        data = event.data or {}
        if phase == KEEP or event.kind in MARKED:
            marks.append(Mark(event.time_s, event.kind, event.job, event.data))
        gpus = 0 if event.kind in FREES_GPUS else int(data.get("gpus", track.gpus))
        if phase == KEEP:
            if gpus != track.gpus and track.phase is not None:  # e.g. a failure's new count
                track.switch(track.phase, event.time_s)
                track.gpus = gpus
            continue
        before = track.phase
        track.switch(phase, event.time_s)
        track.until = track.back_to = None
        track.gpus = gpus
        duration = next((data[k] for k in DURATION_KEYS if k in data), None)
        if duration is not None and phase is not None:
            track.until, track.back_to = event.time_s + float(duration), before
    for track in tracks.values():
        track.settle(end_s)
        track.close(end_s)
    return {job: track.slices for job, track in tracks.items()}, marks
