"""Policies built from stages: admit → order → size → place (as in Blox, EuroSys'24).

Most research policies differ only in the order in which they serve jobs; these helpers keep each
of them to a few lines.

- ``StagedPolicy`` starts pending jobs in ``order``. ``strict`` policies stop at the first job
  that does not fit (no job overtakes the head of the queue); others skip it and try the next.
- ``PreemptiveStagedPolicy`` ranks every active job, running ones included; a pending job that
  does not fit may preempt running jobs ranked below it, worst first, and only as many as its
  placement needs. ``min_run_s`` protects a job for a while after it starts (a lease), and a job
  that would finish before a checkpoint and restart could pay off is never preempted.
- ``Wakes`` asks for a wake-up once per instant, for round-based designs and thresholds.

Placement is a named placer from ``colossim.policy.placement``; a quick count of free GPUs skips
the placer for jobs that cannot fit, so a long queue costs little per decision.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial
from operator import itemgetter
from typing import Any, ClassVar

from pydantic import BaseModel, Field, field_validator

from colossim.config.base import Frozen
from colossim.model.cluster import grant_gpus
from colossim.policy.actions import Action, Grant, Preempt, Start, WakeAt
from colossim.policy.api import BasePolicy
from colossim.policy.placement import (
    PLACERS,
    claim,
    fitting_place,
    free_gpus,
    release,
    type_speeds,
)
from colossim.policy.power_room import RunPower, StartPower
from colossim.policy.view import ClusterView, JobView

INF = float("inf")


class PlacementParams(Frozen):
    """The placer a policy uses (validated against the installed placers). Strict as scenario
    fields are: numbers finite and never quoted (a round_s of .inf stopped max-min-fair)."""

    placement: str = Field("pack", description="Placer that picks racks: " + ", ".join(PLACERS))

    @field_validator("placement")
    @classmethod
    def _known_placer(cls, name: str) -> str:
        if name not in PLACERS:
            raise ValueError(f"unknown placer {name!r}; known: {', '.join(PLACERS)}")
        return name


class StagedParams(PlacementParams):
    """Parameters every staged policy accepts."""

    strict: bool = Field(True, description="Stop at the first job that does not fit")


class PreemptiveParams(StagedParams):
    """Staged parameters plus when a running job may be preempted.

    Checkpoint and restart costs are what a policy weighs before preempting; the engine does not
    yet charge them (the reliability model will), so they change decisions, not job progress.
    """

    strict: bool = Field(False, description="Stop at the first job that does not fit")
    preempt: bool = Field(True, description="Let a higher-ranked job preempt lower-ranked ones")
    min_run_s: float = Field(
        0.0, ge=0, description="A job is not preempted until it has run this long since it started"
    )
    checkpoint_s: float = Field(0.0, ge=0, description="Time to checkpoint before preemption, s")
    restart_s: float = Field(0.0, ge=0, description="Time to restart a preempted job, s")


class Wakes:
    """Remembers the wake-ups already asked for, so each time is asked for once."""

    def __init__(self) -> None:
        self._asked: set[float] = set()

    def at(self, now_s: float, time_s: float) -> list[WakeAt]:
        if not now_s < time_s < INF:
            return []
        if len(self._asked) > 64:
            self._asked = {t for t in self._asked if t > now_s}
        if time_s in self._asked:
            return []
        self._asked.add(time_s)
        return [WakeAt(time_s)]


def _unlike(keys: Sequence[Any]) -> str:
    """Two keys of different kinds among ``keys`` (their policy's part: a ``rank_key`` is the
    ``sort_key`` and the job's index), to show what did not compare."""
    parts = [key[0] if isinstance(key, tuple) and key else key for key in keys]
    unlike = [part for part in parts if type(part) is not type(parts[0])]
    return f"{parts[0]!r} and {unlike[0]!r}" if unlike else ", ".join(map(repr, parts[:2]))


class StagedPolicy(BasePolicy):
    """Serve pending jobs in ``order``, each at ``size`` GPUs, placed by the chosen placer."""

    Params: ClassVar[type[BaseModel]] = StagedParams

    @classmethod
    def params_read(cls) -> tuple[str, ...]:
        """The Params fields the machinery this class inherits reads: the placer always, the
        rest as long as it keeps the base's ``decide``. The registry checks a plugin's Params
        has them when it loads the class (one without ``placement`` failed at its first
        decision, with an AttributeError blamed on pydantic: QA)."""
        owner = next(c for c in cls.__mro__ if "decide" in vars(c))
        inherited = owner.__module__ == __name__ and owner.__qualname__ in _READS
        return ("placement", *(_READS[owner.__qualname__] if inherited else ()))

    def admit(self, view: ClusterView) -> Iterable[JobView]:
        """Jobs that may be started now."""
        return view.pending

    def sort_key(self, job: JobView) -> Any:
        """Order of service; lower first. Ties broken by job index: the job's place in the
        scenario's jobs list, which is submission order only when the list is (a policy that
        means submission order sorts by ``submit_s`` first, as fifo does)."""
        return job.index

    def rank_key(self, job: JobView, view: ClusterView) -> Any:
        """The full ordering key: ``sort_key`` then the job index. Override to use the view."""
        return (self.sort_key(job), job.index)

    def rank_keys(self, jobs: Sequence[JobView], view: ClusterView) -> list[Any]:
        """``rank_key`` of each job (a policy may compute them in one pass)."""
        return [self.rank_key(j, view) for j in jobs]

    def order(self, jobs: Iterable[JobView], view: ClusterView) -> list[JobView]:
        jobs = list(jobs)
        keys = self.rank_keys(jobs, view)
        try:
            keyed = sorted(zip(keys, range(len(jobs)), strict=True), key=itemgetter(0))
        except TypeError as exc:  # keys that do not compare: the policy's, not colossim's
            raise TypeError(f"{exc}: comparing the keys this policy's sort_key (or rank_key) "
                            f"gave, e.g. {_unlike(keys)}; give every job a key of one kind "
                            "(None sorts with nothing: use math.inf for 'last')") from None
        return [jobs[k] for _, k in keyed]  # a stable sort by rank_key, as sorted(key=...)

    def size(self, job: JobView, view: ClusterView) -> int:
        """GPUs to ask for: as many as the job can use."""
        return job.max_gpus

    def start_power(self, view: ClusterView) -> StartPower | None:
        """What sizes this decision's starts to the supply (``policy.power_room``), or None
        when the run's supply never binds. Kept per instance, with the run it was found for."""
        run = self.__dict__.get("_run_power")
        if run is None:
            run = self.__dict__["_run_power"] = RunPower()
        return run.starts(view)

    def powered(self, power: StartPower | None, job: JobView, grant: Grant | None, free: Any,
                view: ClusterView, count: bool = True) -> Grant | None:
        """``grant`` as the supply can power it at the lowest clocks (``StartPower.fit``: the
        same job on fewer GPUs of its type, never below ``min_gpus``), counted against the
        decision's later starts; as it is when power never binds. Every policy sizes its
        starts through this: one that asked for ``max_gpus`` under a tight supply was refused
        at every decision and the run stalled."""
        if grant is None or power is None:
            return grant
        return power.fit(job, grant, partial(self.place, job, free, view), count)

    def place(self, job: JobView, free: Any, view: ClusterView, gpus: int,
              **options: Any) -> Grant | None:
        """A grant for ``job`` on the scratch ``free`` array (not claimed), or None. Between
        GPU types that fit it equally well, the one the job runs fastest on."""
        if options.get("only_type") is None and "prefer" not in options:  # a choice to make
            options["prefer"] = type_speeds(view, job, gpus)
        return fitting_place(PLACERS[self.params.placement], view, free, job, gpus,
                             rng=view.rng, **options)

    def decide(self, view: ClusterView) -> Sequence[Action]:
        jobs = self.order(self.admit(view), view)
        if not jobs:  # nothing to start: the racks' view, built when first read, is not built
            return []  # (most calls of a failure-heavy run come with no job pending)
        free = view.racks.free.copy()
        left = free_gpus(view.racks, free)
        actions: list[Action] = []
        power = self.start_power(view)
        for job in jobs:
            grant = None
            if job.min_gpus <= left:
                grant = self.place(job, free, view, self.size(job, view))
            grant = self.powered(power, job, grant, free, view)
            if grant is None:
                if self.params.strict or left == 0:
                    break
                continue
            claim(free, grant)
            left -= grant_gpus(grant)
            actions.append(Start(job.name, grant))
        return actions


_READS = {"StagedPolicy": ("strict",),  # what each base's own decide reads from Params
          "PreemptiveStagedPolicy": ("strict", "preempt", "min_run_s", "checkpoint_s",
                                     "restart_s")}


class PreemptiveStagedPolicy(StagedPolicy):
    """Rank active jobs; pending ones take free GPUs, or preempt lower-ranked running jobs.

    Running jobs are ranked only when a pending job does not fit, so a decision with a short
    queue costs little however many jobs run. Remembers when it started each job (for
    ``min_run_s``), so one instance serves one run.
    """

    Params: ClassVar[type[BaseModel]] = PreemptiveParams

    def __init__(self, params: BaseModel | None = None):
        super().__init__(params)
        self.wakes = Wakes()
        self._run_since: dict[str, float] = {}

    def _preemptible(self, job: JobView, now_s: float) -> bool:
        p = self.params
        if now_s - self._run_since.get(job.name, -INF) < p.min_run_s:
            return False
        left_s = job.remaining_work / job.rate if job.rate > 0 else INF
        return left_s > p.checkpoint_s + p.restart_s

    def _victims(self, ranked: list[tuple[Any, JobView]], key: Any, running: set[str],
                 now_s: float, preemptible: dict[str, bool] | None = None) -> Iterable[JobView]:
        """Running jobs ranked below ``key`` that may be preempted, worst first: ``ranked`` is
        sorted worst (highest key) first, so they are a prefix of it, and a queue of many
        pending jobs no longer filters every running job for each of them. ``preemptible``
        remembers ``_preemptible`` for this decision (it does not change meanwhile: it reads
        running jobs and the start times of running jobs), so each job is asked once."""
        memo = {} if preemptible is None else preemptible
        for k, v in ranked:
            if not k > key:
                return
            if v.name in running:
                ok = memo.get(v.name)
                if ok is None:
                    ok = memo[v.name] = self._preemptible(v, now_s)
                if ok:
                    yield v

    def _make_room(self, job: JobView, gpus: int, free: Any, victims: Iterable[JobView],
                   view: ClusterView, left: int) -> tuple[Grant | None, list[JobView], Any]:
        """Preempt victims (worst first) until ``job`` fits; then keep running, best ranked
        first, every victim the job can still be placed without (placed again each time), at
        the size its first placement gave it (review: an elastic newcomer was shrunk to keep
        one). Keeping only the victims the first placement happened to leave alone was not
        enough: a placer filling racks in index order took a better-ranked victim's GPUs where
        a worse one's would have done, and SRTF preempted four jobs besides the one that
        sufficed (QA). ``left`` is ``free_gpus`` of ``free`` (the caller keeps it)."""
        trial = free.copy()
        chosen: list[JobView] = []
        grant = None
        for victim in victims:
            release(trial, victim.grant)
            left += victim.gpus
            chosen.append(victim)
            if job.min_gpus <= left:
                grant = self.place(job, trial, view, gpus)
                if grant is not None:
                    break
        if grant is None:
            return None, [], free
        size = sum(n for _r, n in grant)  # kept victims never shrink an elastic newcomer
        for victim in reversed(chosen[:-1]):  # the job did not fit before the last one went
            claim(trial, victim.grant)
            without = self.place(job, trial, view, size)
            if without is None or sum(n for _r, n in without) != size:
                release(trial, victim.grant)
            else:
                grant = without
                chosen.remove(victim)
        claim(trial, grant)
        return grant, chosen, trial

    def decide(self, view: ClusterView) -> Sequence[Action]:
        now = view.now_s
        running_jobs = view.running
        running: set[str] | None = None  # names of running jobs not preempted (when needed)
        if len(self._run_since) > 2 * len(running_jobs) + 64:  # forget jobs that stopped, now
            # and then: only running jobs' entries are read, and a start overwrites a stale one
            running = {j.name for j in running_jobs}
            self._run_since = {n: t for n, t in self._run_since.items() if n in running}
        pending = self.order(self.admit(view), view)
        if not pending:
            return []
        free = view.racks.free.copy()
        left = free_gpus(view.racks, free)
        ranked_running: list[tuple[Any, JobView]] | None = None  # worst first, when needed
        preemptible: dict[str, bool] = {}
        preempts: list[Action] = []
        starts: list[Action] = []
        blocked = False
        power = self.start_power(view)  # sizes starts on free GPUs (one that preempts: the
        for job in pending:  # engine checks it)
            gpus = self.size(job, view)
            grant = self.place(job, free, view, gpus) if job.min_gpus <= left else None
            if grant is not None:
                grant = self.powered(power, job, grant, free, view)  # None in a dark facility
                if grant is not None:
                    claim(free, grant)
            elif self.params.preempt and running_jobs:
                if running is None:
                    running = {j.name for j in running_jobs}
                victims: list[JobView] = []
                if running:  # some are not already being preempted
                    if ranked_running is None:
                        keys = self.rank_keys(running_jobs, view)
                        keyed = list(zip(keys, running_jobs, strict=True))
                        ranked_running = sorted(keyed, key=itemgetter(0), reverse=True)
                    key = self.rank_key(job, view)
                    victims = list(self._victims(ranked_running, key, running, now, preemptible))
                chosen = []
                # _make_room stops short of placing (and finds nothing) unless the victims'
                # GPUs could make up the job's minimum: most pending jobs of a long queue
                if victims and left + sum(v.gpus for v in victims) >= job.min_gpus:
                    grant, chosen, free = self._make_room(job, gpus, free, victims, view, left)
                for victim in chosen:
                    running.discard(victim.name)
                    preempts.append(Preempt(victim.name))
            if grant is None:
                blocked = True
                if self.params.strict:
                    break
                continue
            left = free_gpus(view.racks, free)
            self._run_since[job.name] = now
            starts.append(Start(job.name, grant))
        if blocked and running is None:
            running = {j.name for j in running_jobs}
        wakes = self._lease_wake(now, running) if blocked else []
        return [*preempts, *starts, *wakes]

    def _lease_wake(self, now_s: float, running: set[str]) -> list[Action]:
        """When a blocked job waits on protected jobs, look again when the first lease ends."""
        if self.params.min_run_s <= 0:
            return []
        ends = [self._run_since[n] + self.params.min_run_s for n in running
                if n in self._run_since]
        return list(self.wakes.at(now_s, min((t for t in ends if t > now_s), default=INF)))
