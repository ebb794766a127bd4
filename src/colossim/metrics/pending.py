"""When each job waited in the queue, from the record: one walk for compare's queued time and
``--explain``'s waits, so the two never disagree on what starts or ends a wait.

A wait begins when a job is submitted, preempted, or stopped by a failure that took its GPUs
(the first of these while it is not already waiting), and ends when it is started or rejected,
or with the run.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from colossim.engine.record import Event


@dataclass(frozen=True)
class Pending:
    """One wait of one job: ``began`` the event that sent it to the queue, ``ended`` the start
    or rejection that ended it (None: it was still waiting when the run ended)."""

    job: str
    since_s: float
    until_s: float
    began: Event
    ended: Event | None


def begins_wait(event: Event) -> bool:
    return event.kind in ("submit", "preempt") or (
        event.kind == "failure" and bool((event.data or {}).get("stopped")))


def pending_spans(events: Iterable[Event], end_s: float) -> Iterator[Pending]:
    """Every job's waits, each as it ends (those open at ``end_s`` last, in the order they
    began)."""
    open_: dict[str, Event] = {}
    for event in events:
        name = event.job
        if name is None:
            continue
        if begins_wait(event):
            open_.setdefault(name, event)
        elif event.kind in ("start", "reject") and name in open_:
            began = open_.pop(name)
            yield Pending(name, began.time_s, event.time_s, began, event)
    for name, began in open_.items():
        yield Pending(name, began.time_s, end_s, began, None)
