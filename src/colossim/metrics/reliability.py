"""Goodput from the record: lost, checkpoint and restart GPU-hours, ETTR, MTTF, availability.

One pass over the events replays each job's GPUs and phase (start/resize/swap set its GPUs,
pause/resume its phase, a stopping failure or completion takes its GPUs away) and integrates
GPU-seconds per phase. Lost compute is exact without logging work levels: at every saved
checkpoint the job's *productive* compute so far (compute minus compute already lost) is noted
against the snapshot time; a failure that rolls back to that snapshot lost whatever productive
compute was done since, even across earlier rollbacks.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from colossim.config.reliability import FAILURE_CLASSES
from colossim.engine.checkpoints import WRITE_SERIES, WRITES_SERIES
from colossim.engine.record import Event, Record, StepSeries
from colossim.metrics.result import JobResult, ReliabilityResult
from colossim.metrics.series import integral, time_mean

HOUR = 3600.0
SATURATED = 1e-9  # relative: writes whose rates sum to the bandwidth less a rounding use it all
SETS_GPUS = frozenset({"start", "resize", "swap"})
FREES_GPUS = frozenset({"preempt", "complete", "reject"})


@dataclass
class _Job:
    t: float = 0.0
    gpus: int = 0
    phase: str = "compute"
    gpu_s: Counter = field(default_factory=Counter)  # phase -> GPU-seconds held
    wall_s: Counter = field(default_factory=Counter)  # phase -> seconds held
    held_s: float = 0.0
    times: list[float] = field(default_factory=list)  # history for snapshot lookups
    hist: list[tuple[float, float]] = field(default_factory=list)  # (compute GPU-s, compute s)
    lost_gpu_s: float = 0.0
    lost_s: float = 0.0
    productive: dict[float, tuple[float, float]] = field(default_factory=dict)
    interruptions: int = 0
    unplanned: int = 0
    checkpoints: int = 0
    interval_s: float | None = None  # of its latest periodic checkpoint

    def to(self, t: float) -> None:
        dt = t - self.t
        if dt > 0 and self.gpus:
            self.gpu_s[self.phase] += self.gpus * dt
            self.wall_s[self.phase] += dt
            self.held_s += dt
        self.t = t
        self.times.append(t)
        self.hist.append((self.gpu_s["compute"], self.wall_s["compute"]))

    def compute_at(self, t: float) -> tuple[float, float]:
        """Compute (GPU-s, s) done by ``t``: linear between the recorded events."""
        i = bisect_right(self.times, t) - 1
        if i < 0:
            return 0.0, 0.0
        g, s = self.hist[i]
        if self.phase == "compute" and i == len(self.times) - 1 and t > self.times[i]:
            g, s = g + self.gpus * (t - self.times[i]), s + (t - self.times[i])
        return g, s

    def productive_now(self) -> tuple[float, float]:
        return self.gpu_s["compute"] - self.lost_gpu_s, self.wall_s["compute"] - self.lost_s


SWITCH_TIERS = ("preempt", "resize")  # checkpoints written on the way out or through a resize


def _apply(track: _Job, event: Event) -> None:
    data = event.data or {}
    kind = event.kind
    if kind in SETS_GPUS:
        track.gpus = int(data.get("gpus", track.gpus))
        if kind == "start":
            track.phase = "compute"
    elif kind in FREES_GPUS:
        track.gpus, track.phase = 0, "compute"
    elif kind == "pause":
        track.phase = str(data.get("phase", track.phase))
    elif kind == "resume":
        track.phase = "compute"
    elif kind == "checkpoint_saved":
        # a preemption's or a resize's checkpoint is a switch cost, not a periodic checkpoint
        track.checkpoints += data.get("tier") not in SWITCH_TIERS and not data.get("persist")
        track.interval_s = data.get("interval_s", track.interval_s)
        if data.get("snapshot_s") is not None:
            g, s = track.compute_at(data["snapshot_s"])
            track.productive[data["snapshot_s"]] = (g - track.lost_gpu_s, s - track.lost_s)
    elif kind == "failure":
        _failure(track, event.time_s, data)
    elif kind == "restore_lost":  # the queued job's restore point fell back: more work lost
        _roll_back(track, data.get("snapshot_s"))


def _roll_back(track: _Job, snapshot: float | None) -> None:
    """Productive work since ``snapshot`` (None: the start) is lost."""
    now_g, now_s = track.productive_now()
    ref_g, ref_s = track.productive.get(snapshot, (0.0, 0.0)) if snapshot is not None \
        else (0.0, 0.0)
    track.lost_gpu_s += max(0.0, now_g - ref_g)
    track.lost_s += max(0.0, now_s - ref_s)


def _failure(track: _Job, t: float, data: dict) -> None:
    track.interruptions += 1
    snapshot = data.get("snapshot_s")
    if data.get("planned") or snapshot == t:
        track.productive[t] = track.productive_now()
    else:
        track.unplanned += 1
        _roll_back(track, snapshot)
    if data.get("stopped"):
        track.gpus, track.phase = 0, "compute"


def job_tracks(events: Iterable[Event], end_s: float) -> dict[str, _Job]:
    """Replay every job's GPUs and phases up to ``end_s``."""
    tracks: dict[str, _Job] = {}
    for event in events:
        if event.job is None:
            continue
        track = tracks.get(event.job)
        if track is None:
            track = tracks[event.job] = _Job(t=event.time_s)
        track.to(event.time_s)
        _apply(track, event)
    for track in tracks.values():
        track.to(max(end_s, track.t))
    return tracks


def reliability_fields(jobs: tuple[JobResult, ...], record: Record, end_s: float
                       ) -> list[dict[str, Any]]:
    """Each job's reliability fields from the record (empty for a job that never started), for
    ``summarize`` to set with the other models' in one ``replace`` per job."""
    tracks = job_tracks(record.events, end_s)
    out: list[dict[str, Any]] = []
    for job in jobs:
        track = tracks.get(job.name)
        if track is None or job.start_s is None:
            out.append({})
            continue
        wall = (job.end_s if job.end_s is not None else end_s) - job.start_s
        productive = track.wall_s["compute"] - track.lost_s
        out.append({
            "interruptions": track.interruptions,
            "lost_gpu_hours": track.lost_gpu_s / HOUR,
            "checkpoint_gpu_hours": track.gpu_s["checkpoint"] / HOUR,
            "restart_gpu_hours": (track.gpu_s["restart"] + track.gpu_s["resize"]) / HOUR,
            "checkpoints": track.checkpoints,
            "checkpoint_interval_s": track.interval_s,
            "ettr": productive / wall if wall > 0 else None,
            "mttf_s": track.held_s / track.unplanned if track.unplanned else None,
        })
    return out


def cluster_reliability(
    record: Record, jobs: tuple[JobResult, ...], total_gpus: int, end_s: float,
    write_tbytes_s: float = math.inf,
) -> ReliabilityResult | None:
    """Cluster figures, or None for a run without the reliability model. ``write_tbytes_s``:
    the shared storage's write bandwidth, which its writes saturate when they use it all."""
    if "gpus_available" not in record.series:
        return None
    available = record.series["gpus_available"]
    rate = record.series.get(WRITE_SERIES, StepSeries())
    full = [1.0 if r >= write_tbytes_s * (1 - SATURATED) else 0.0 for r in rate.values]
    by_component = Counter(dict.fromkeys(FAILURE_CLASSES, 0))  # a class that never failed: 0
    by_component.update(
        str((e.data or {}).get("component")) for e in record.events if e.kind == "fault"
    )
    return ReliabilityResult(
        faults=sum(by_component.values()),
        faults_by_component=dict(sorted(by_component.items())),
        interruptions=sum(j.interruptions for j in jobs),
        # fsum: the same totals, to the bit, whatever the order of the jobs (QA)
        lost_gpu_hours=math.fsum(j.lost_gpu_hours for j in jobs),
        checkpoint_gpu_hours=math.fsum(j.checkpoint_gpu_hours for j in jobs),
        restart_gpu_hours=math.fsum(j.restart_gpu_hours for j in jobs),
        checkpoints=sum(j.checkpoints for j in jobs),
        gpu_availability=time_mean(available, 0.0, end_s) / total_gpus if total_gpus else 1.0,
        min_gpus_available=int(min(available.values, default=total_gpus)),
        storage_written_tb=float(integral(rate, 0.0, end_s)),
        storage_saturated_hours=float(integral(StepSeries(rate.times, full), 0.0, end_s)) / HOUR,
        storage_peak_writes=int(max(record.series.get(WRITES_SERIES, StepSeries()).values,
                                    default=0)),
    )
