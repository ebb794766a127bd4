"""Facility power: GPU draw by job phase and power cap, rack overhead, PUE. Pure functions.

Per GPU (fractions of TDP from ``PowerConfig.draw``; idle from the catalog):

* unallocated: ``idle_w``;
* computing at clock fraction x: ``P(x) = idle + (compute·TDP - idle) · x · V(x)²`` with
  ``V(x) = max(x, voltage_knee)`` (dynamic power ∝ f·V², V ∝ f near the top; the idle draw is
  the static part). Throughput ∝ x. A cap C gives the highest x with P(x) <= C, never below
  ``min_clock``: ``P(min_clock)`` is the lowest cap a GPU can honour (its *floor*);
* a step has a communication-bound share c (``comm_fraction``) that neither speeds up with the
  clock nor draws compute power: at clock x a step takes ``(1-c)/x + c`` of its full-speed time
  (the speed factor is the inverse) and the mean draw is the time-weighted mix of P(x) and the
  communication draw;
* checkpointing, restarting, resizing: their own draw (never above the cap); a job the engine
  holds while generation catches up draws idle.

Rack overhead (CPUs, NICs, switches, fans) is drawn by every rack whatever it does. Facility
power = IT power x ``pue`` + ``pue_fixed_mw`` (so PUE = pue + fixed/IT falls with load).
With the defaults (compute 1.0, no communication share, no caps) this is exactly the first model:
busy GPUs at TDP, idle GPUs at idle, plus overhead, times PUE. The curve is an assumption, not
a published fit; ``docs/power.md`` shows how it meets the published anchors.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol

import numpy as np

from colossim.config.power import PowerConfig
from colossim.config.schema import GpuSpec, JobConfig, Precision
from colossim.model.cluster import Grant, RackLayout, gpus_by_type
from colossim.model.frozen import read_only_copy
from colossim.model.jobs import Job, JobState, Phase
from colossim.model.power_book import CAP_KEY, CLOCK_KEY, HOLD_KEY, DrawBook

# (type, GPUs) pairs, idle W, draw cache, the share of the GPUs the job's plan computes on,
# each type's pace in a grant of several types (``PowerModel.paces``; 1 for one type)
Held = tuple[tuple[tuple[int, int], ...], float, dict, float, tuple[float, ...]]


class JobLike(Protocol):
    """A job or a policy's view of one (``JobView``): what the per-job shares read."""

    @property
    def index(self) -> int: ...

    @property
    def config(self) -> JobConfig: ...


# job.extra keys: the cap a policy set (W per GPU), the clock limit the engine imposed
# (fraction), held by the engine until generation catches up (defined in model.power_book)
CACHE = 64  # draws and speeds remembered per grant shape (cleared when full)

# Rack overhead split into parts, watts per rack (assumptions; the remainder is fans, pumps,
# power conversion). GB200/GB300: 36 Grace at ~300 W; one NIC per GPU plus 18 BlueField-3 DPUs;
# 9 NVLink switch trays. Types not listed put all overhead under "other".
RACK_PARTS_W: dict[str, dict[str, float]] = {
    "GB200": {"cpus": 36 * 300.0, "nics": 72 * 25.0 + 18 * 150.0, "switches": 9 * 1200.0},
    "GB300": {"cpus": 36 * 300.0, "nics": 72 * 30.0 + 18 * 150.0, "switches": 9 * 1200.0},
}


def rack_parts_w(gpu_type: str, spec: GpuSpec) -> dict[str, float]:
    """The rack overhead of a GPU type split into cpus, nics, switches and other (sums exactly)."""
    parts = dict(RACK_PARTS_W.get(gpu_type, {}))
    known = sum(parts.values())
    if known > spec.rack_overhead_w:  # a scenario lowered the overhead: scale the parts down
        parts = {k: v * spec.rack_overhead_w / known for k, v in parts.items()}
        known = spec.rack_overhead_w
    parts["other"] = spec.rack_overhead_w - known
    return parts


@dataclass(frozen=True)
class GpuCurve:
    """One GPU type's draw by state and its DVFS curve under a scenario's settings."""

    tdp_w: float
    idle_w: float
    compute_w: float  # computing at full clocks
    comm_w: float
    checkpoint_w: float
    restart_w: float
    min_clock: float
    knee: float

    @classmethod
    def of(cls, spec: GpuSpec, power: PowerConfig) -> GpuCurve:
        draw, tdp = power.draw, spec.tdp_w
        return cls(
            tdp_w=tdp, idle_w=spec.idle_w, compute_w=max(draw.compute * tdp, spec.idle_w),
            comm_w=draw.communication * tdp, checkpoint_w=draw.checkpoint * tdp,
            restart_w=draw.restart * tdp, min_clock=power.dvfs.min_clock,
            knee=power.dvfs.voltage_knee,
        )

    def power_at(self, clock: float) -> float:
        """Draw while computing at clock fraction ``clock``, W."""
        volt = max(clock, self.knee)
        return self.idle_w + (self.compute_w - self.idle_w) * clock * volt * volt

    @property
    def floor_w(self) -> float:
        """The lowest cap this GPU can honour (its draw at the lowest clock)."""
        return self.power_at(self.min_clock)

    def clock_for_cap(self, cap_w: float | None) -> float:
        """Highest clock whose compute draw fits ``cap_w`` (1 when uncapped; min_clock floor)."""
        if cap_w is None or cap_w >= self.compute_w:
            return 1.0
        dyn = self.compute_w - self.idle_w
        ratio = max(0.0, cap_w - self.idle_w) / dyn
        clock = ratio ** (1.0 / 3.0)
        if clock < self.knee:
            clock = ratio / (self.knee * self.knee)
        return min(1.0, max(self.min_clock, clock))

    def mean_w(self, clock: float, comm: float) -> float:
        """Mean draw over a step at ``clock`` with communication share ``comm``, W."""
        compute_t = (1.0 - comm) / clock
        comm_w = min(self.comm_w, self.power_at(clock))
        return (compute_t * self.power_at(clock) + comm * comm_w) / (compute_t + comm)

    def paced_w(self, clock: float, comm: float, pace: float, step: float) -> float:
        """Mean draw of a computing GPU in a grant of several types: it computes
        ``(1 - comm) · pace / clock`` of a step of ``step`` (both in its slowest type's
        full-clock steps; ``pace``: the slowest type's dense peak over this one's) and waits the
        rest, on communication or on the slower GPUs, at the communication draw (QA: a faster
        type was priced as if it computed all the time)."""
        compute_t = (1.0 - comm) * pace / clock
        comm_w = min(self.comm_w, self.power_at(clock))
        return (compute_t * self.power_at(clock) + (step - compute_t) * comm_w) / step

    def phase_w(self, phase: Phase, clock: float, comm: float) -> float:
        if phase is Phase.COMPUTE:
            return self.mean_w(clock, comm)
        cap = self.power_at(clock)
        return min(self.checkpoint_w if phase is Phase.CHECKPOINT else self.restart_w, cap)


def paced_step(clocks: Sequence[float], comm: float, paces: Sequence[float]) -> float:
    """A step of a grant of several GPU types at these clocks, in its slowest type's full-clock
    steps: the longest of the types' compute times (a type's share of the step's work, its
    ``pace``, at its clock) plus the communication share. A faster type capped to a lower clock
    than the slowest's paces the grant only once its part takes longer (QA: the lowest clock
    paced it, whatever the type, and a 600 W cap made a GB200 + H100 job 36% slower instead of
    6%). ``job_speed`` is its inverse; ``GpuCurve.paced_w`` prices what the types do in it."""
    return max((1.0 - comm) * pace / clock for clock, pace in zip(clocks, paces, strict=True)) \
        + comm


def speed_factor(clock: float, comm: float) -> float:
    """Progress rate at ``clock`` relative to full clocks: 1 / ((1-c)/x + c)."""
    return 1.0 / ((1.0 - comm) / clock + comm)


LimitTerm = tuple[int, GpuCurve, float, float, Phase, float, float, float]  # ``limit_terms``


class PowerModel:
    """The scenario's power model over a rack layout: per-job and facility draw.

    Policies get it through ``PowerView.model`` to price a job's watts; the engine uses it for
    the facility's draw. Caps and clocks come from ``job.extra`` (see the keys above) and the
    scenario (``gpu_cap_w``, per-job ``cap_w``).
    """

    def __init__(self, layout: RackLayout, power: PowerConfig):
        self.layout = layout
        self.config = power
        self.curves = tuple(GpuCurve.of(spec, power) for spec in layout.specs)
        self.type_index = {name: i for i, name in enumerate(layout.gpu_types)}
        self.gpus_by_type = np.bincount(
            layout.rack_type, weights=layout.capacity, minlength=len(layout.specs)
        )
        racks = np.bincount(layout.rack_type, minlength=len(layout.specs))
        self.overhead_w = float(sum(r * s.rack_overhead_w for r, s in zip(racks, layout.specs,
                                                                          strict=True)))
        self.overhead_per_gpu_w = tuple(s.rack_overhead_w / s.gpus_per_rack for s in layout.specs)
        # GPUs no job holds draw only part of their rack-overhead share (draw.idle_overhead)
        idle_part = power.draw.idle_overhead
        self.idle_overhead_per_gpu_w = tuple(w * idle_part for w in self.overhead_per_gpu_w)
        self.idle_it_w = self.overhead_w * idle_part + float(
            sum(n * c.idle_w for n, c in zip(self.gpus_by_type, self.curves, strict=True))
        )
        self._by_type: dict[int, tuple[object, Held]] = {}
        self._shapes: dict[tuple, Held] = {}  # by (pairs, comm share, scenario cap): see _held
        self._peak_it_w: float | None = None  # see peak_mw
        self._rack_type: list[int] = layout.rack_type.tolist()
        self.dark = False  # an outage took even the idle facility down: it draws nothing
        self._static: dict[str, float | None] = {}
        self.capped: set[int] = set()  # jobs a policy capped (CAP_KEY), for the policy view
        self.book: DrawBook | None = None  # the run's draw book, if any (RunState sets it)
        self._fabric: dict[int, float] = {}  # running jobs the fabric slows: their factor (< 1)

    def set_setting(self, job: Job, key: str, value: float | None) -> None:
        """Set (``None``: clear) a job's cap, engine clock limit or hold in ``job.extra``.

        These change a job's draw without moving its stamp, so the draw book is told to re-price
        the job; every write of the three keys goes through here."""
        extra = job.extra
        if value is None:
            if key not in extra:
                return
            del extra[key]
        elif extra.get(key) == value:
            return
        else:
            extra[key] = value
        if self.book is not None:
            self.book.changed.add(job.index)
        if key == CAP_KEY:
            (self.capped.discard if value is None else self.capped.add)(job.index)

    def slowed_by_fabric(self, factors: Mapping[int, float]) -> None:
        """The fabric's contention factors of the running jobs it slows (``engine.fabric``, at
        each solve): their waits on the network neither speed up with the clock nor draw
        computing power (``comm_of``), so the draw book re-prices the jobs whose factor moved."""
        before = self._fabric
        moved = {i for i in before.keys() | factors.keys() if before.get(i) != factors.get(i)}
        if not moved:
            return
        self._fabric = dict(factors)
        if self.book is not None:
            self.book.changed |= moved

    def fabric_factor(self, job: JobLike) -> float:
        """The fabric's contention factor of a running job now (1: not slowed)."""
        return self._fabric.get(job.index, 1.0)

    # -- per-job settings ---------------------------------------------------------------
    def comm(self, cfg: JobConfig) -> float:
        """The scenario's communication-bound share of a step of the job (``comm_fraction``),
        at the fabric's full bandwidth."""
        own = self.config.jobs.get(cfg.name)
        if own is not None and own.comm_fraction is not None:
            return own.comm_fraction
        return self.config.comm_fraction

    def comm_of(self, job: JobLike) -> float:
        """The share of a running job's step that its clock does not speed up: the scenario's
        share c, plus the wait the fabric's contention adds. A contention factor f stretches
        the step to 1/f of its uncontended time, the extra 1/f - 1 spent waiting on the
        network, so of the longer step ``1 - f (1 - c)`` is communication. Then
        ``1 / ((1-c')/x + c')`` times f is the speed of ``(1-c)/x + c + 1/f - 1`` steps, and
        the waits draw the communication draw (docs/power.md)."""
        comm = self.comm(job.config)
        factor = self._fabric.get(job.index)
        return comm if factor is None else 1.0 - factor * (1.0 - comm)

    def static_cap_w(self, cfg: JobConfig) -> float | None:
        """The scenario's cap on a job's GPUs: the lower of the facility-wide and per-job caps."""
        if cfg.name not in self._static:
            own = self.config.jobs.get(cfg.name)
            caps = [c for c in (self.config.gpu_cap_w, own.cap_w if own else None)
                    if c is not None]
            self._static[cfg.name] = min(caps) if caps else None
        return self._static[cfg.name]

    def cap_w(self, job: Job) -> float | None:
        """Cap in force from the scenario and the policy (not the engine's fallback)."""
        static, policy = self.static_cap_w(job.config), job.extra.get(CAP_KEY)
        if static is None or policy is None:
            return policy if static is None else static
        return min(static, policy)

    def clock(self, job: Job, t: int, engine: bool = True) -> float:
        """Clock of the job's GPUs of type ``t`` under its caps (and the engine's limit)."""
        curve = self.curves[t]
        clock = curve.clock_for_cap(self.cap_w(job))
        return max(curve.min_clock, min(clock, job.extra.get(CLOCK_KEY, 1.0))) if engine else clock

    def job_types(self, job: Job) -> np.ndarray:
        """GPUs the job holds per GPU type index."""
        counts = np.zeros(len(self.curves))
        for t, n in self._held(job)[0]:
            counts[t] = n
        return counts

    def idle_w_of(self, job: Job) -> float:
        """What the job's GPUs and their overhead share would draw idle, W."""
        return self._held(job)[1]

    def _held(self, job: Job) -> Held:
        """((type, GPUs) pairs, their idle + overhead watts, draw cache, plan share, paces),
        renewed with the grant (the engine replaces a job's grant tuple whenever its GPUs
        change, and sets ``plan_share`` with it).

        Shared by every grant of the same shape for jobs with the same communication share,
        scenario cap, plan share and (over several types: the paces) precision, the only other
        inputs of a draw or speed: a trace starts thousands of jobs on a few shapes, and each
        would otherwise price its draws afresh."""
        cached = self._by_type.get(job.index)
        if cached is not None and cached[0] is job.grant and cached[1][3] == job.plan_share:
            return cached[1]
        # GPUs by type index (``_rack_type`` is a list: numpy scalar indexing is ten times slower)
        pairs = tuple(sorted(gpus_by_type(job.grant, self._rack_type).items()))
        share = job.plan_share
        precision = job.config.precision if len(pairs) > 1 else None  # the paces' only input
        shape = (pairs, self.comm(job.config), self.static_cap_w(job.config), share, precision)
        held = self._shapes.get(shape)
        if held is None:
            idle = float(sum(n * (self.curves[t].idle_w + self.idle_overhead_per_gpu_w[t])
                             for t, n in pairs))
            paces = self.paces(precision, [t for t, _n in pairs]) if precision else (1.0,)
            held = self._shapes[shape] = (pairs, idle, {}, share, paces)
        self._by_type[job.index] = (job.grant, held)
        return held

    def paces(self, precision: Precision, types: Sequence[int]) -> tuple[float, ...]:
        """Each GPU type's pace in a grant of these types: the slowest one's dense peak at
        ``precision`` over its own (1 for the slowest: a grant runs at its pace)."""
        peaks = [self.layout.specs[t].peak_tflops(precision) for t in types]
        return tuple(min(peaks) / peak for peak in peaks)

    def moved(self, job: Job, old: Grant) -> None:
        """``job`` traded racks for others of the same GPU types and counts (a hot-spare swap):
        its draw is unchanged, so its cached entry carries over to the new grant instead of
        recounting thousands of racks (a failure-heavy run swaps thousands of times)."""
        cached = self._by_type.get(job.index)
        if cached is not None and cached[0] is old:
            self._by_type[job.index] = (job.grant, cached[1])

    # -- draw ---------------------------------------------------------------------------
    def job_it_w(self, job: Job, clock_limit: float | None = None, demand: bool = False) -> float:
        """IT watts of a running job's GPUs plus their share of rack overhead.

        ``clock_limit`` replaces the engine's limit (to try one); ``demand`` counts a held job
        as computing (what generation should ramp towards). Cached per job on everything the
        draw depends on, since the engine asks after every event.
        """
        if job.state is not JobState.RUNNING:
            return 0.0
        return self._job_w(job, self._held(job), clock_limit, demand)

    def _job_w(self, job: Job, held_by: Held, clock_limit: float | None, demand: bool) -> float:
        """``job_it_w`` of a running job whose ``_held`` entry the caller already has."""
        pairs, _idle, cache, share, paces = held_by
        extra = job.extra
        limit = extra.get(CLOCK_KEY, 1.0) if clock_limit is None else clock_limit
        held = HOLD_KEY in extra and job.phase is not Phase.COMPUTE
        fabric = self._fabric.get(job.index)
        key = (job.phase, extra.get(CAP_KEY), limit, held, demand, fabric)  # static caps fixed
        watts = cache.get(key)
        if watts is not None:
            return watts
        comm = self.comm_of(job)
        clocks = [max(self.curves[t].min_clock, min(self.clock(job, t, engine=False), limit))
                  for t, _n in pairs]
        computing = (demand or not held) and (held or job.phase is Phase.COMPUTE)
        # several types: the step is the slowest one's (``job_speed``), the others wait
        step = paced_step(clocks, comm, paces) if computing and len(pairs) > 1 else None
        watts = 0.0
        for (t, n), clock, pace in zip(pairs, clocks, paces, strict=True):
            curve = self.curves[t]
            if held and not demand:
                per_gpu = curve.idle_w
            elif step is not None:
                per_gpu = curve.paced_w(clock, comm, pace, step)
            elif held:
                per_gpu = curve.mean_w(clock, comm)
            else:
                per_gpu = curve.phase_w(job.phase, clock, comm)
            if share != 1.0:  # the GPUs the plan leaves out hold no shard: they draw idle
                per_gpu = curve.idle_w + share * (per_gpu - curve.idle_w)
            watts += n * (per_gpu + self.overhead_per_gpu_w[t])
        if len(cache) > CACHE:
            cache.clear()
        cache[key] = watts
        return watts

    def limit_terms(self, job: Job) -> list[LimitTerm]:
        """(GPUs, curve, communication share, clock its caps allow, phase, held overhead, plan
        share) per GPU type, so a search over engine clock limits (``limited_w_above_idle``)
        skips the per-call bookkeeping."""
        comm = self.comm_of(job)
        pairs, _idle, _cache, share, paces = self._held(job)
        return [(n, self.curves[t], comm, self.clock(job, t, engine=False), job.phase,
                 self.held_overhead_w(t), share, pace)
                for (t, n), pace in zip(pairs, paces, strict=True)]

    def held_overhead_w(self, t: int) -> float:
        """Rack overhead a GPU of type index ``t`` adds when a job holds it: its whole share,
        less the ``draw.idle_overhead`` part it draws idle (0 at the default of 1). The start
        check (``start_it_w``) and the fallback's clock search both count it."""
        return self.overhead_per_gpu_w[t] - self.idle_overhead_per_gpu_w[t]

    @staticmethod
    def limited_w_above_idle(terms: list[LimitTerm], limit: float) -> float:
        """Watts a job draws above its GPUs' idle draw under a clock limit: computing, its
        mean draw at the clock; paused (checkpoint, restart, resize), its phase draw, which
        the limit caps as a cap does (``GpuCurve.phase_w``), on the share of the GPUs its plan
        computes on; plus the overhead it holds."""
        clocks = [max(curve.min_clock, min(top, limit)) for _n, curve, _c, top, *_ in terms]
        step = paced_step(clocks, terms[0][2], [term[7] for term in terms]) \
            if len(terms) > 1 and terms[0][4] is Phase.COMPUTE else None  # ``_job_w``'s step
        watts = 0.0
        for (n, curve, comm, _top, phase, held, share, pace), clock in zip(terms, clocks,
                                                                           strict=True):
            draw = curve.phase_w(phase, clock, comm) if step is None else \
                curve.paced_w(clock, comm, pace, step)
            watts += n * (share * (draw - curve.idle_w) + held)
        return watts

    def job_speed(self, job: Job) -> float:
        """Progress factor from power caps: on several GPU types, the type whose part of a step
        takes longest at its clock sets the pace (``paced_step``).

        Cached with the draw (per grant) on the caps and the engine's clock limit, the only
        inputs besides the grant: the engine asks for every running job after every event."""
        pairs, _idle, cache, _share, paces = self._held(job)
        extra = job.extra
        key = ("speed", extra.get(CAP_KEY), extra.get(CLOCK_KEY, 1.0),
               self._fabric.get(job.index))
        speed = cache.get(key)
        if speed is None:
            # one type: its pace is 1 and the step (1-c)/x + c, ``speed_factor``'s inverse
            speed = 1.0 / paced_step([self.clock(job, t) for t, _n in pairs],
                                     self.comm_of(job), paces) if pairs else 1.0
            if len(cache) > CACHE:
                cache.clear()
            cache[key] = speed
        return speed

    def lowers_pause_draw(self, job: Job) -> bool:
        """Do the job's caps or clock limit lower its pause's draw (``phase_w`` at its clock
        below the same at full clock) on any of its GPU types?"""
        comm, phase = self.comm_of(job), job.phase
        return any(curve.phase_w(phase, self.clock(job, t), comm)
                   < curve.phase_w(phase, 1.0, comm)
                   for t, _n in self._held(job)[0] for curve in (self.curves[t],))

    def it_w(self, jobs: Iterable[Job], clock_limits: Mapping[int, float] | None = None,
             demand: bool = False) -> float:
        """IT watts of the whole facility: busy GPUs by job, idle GPUs, all rack overhead."""
        watts = self.idle_it_w
        limits = clock_limits or {}
        for job in jobs:
            if job.state is not JobState.RUNNING:
                continue
            held_by = self._held(job)
            watts += self._job_w(job, held_by, limits.get(job.index), demand) - held_by[1]
        return watts

    def peak_mw(self, extra_gpus: Mapping[str, int]) -> float:
        """An upper bound of the facility's draw, MW: every GPU and ``extra_gpus`` more (a grant
        not yet allocated) at their highest draw, ``compute_w`` (no clock above 1, no phase
        and no communication share draws more). Lets admission skip summing the floor when
        even this fits the supply."""
        if self._peak_it_w is None:  # every rack's whole overhead: every GPU held
            self._peak_it_w = self.overhead_w + sum(
                n * c.compute_w for n, c in zip(self.gpus_by_type.tolist(), self.curves,
                                                strict=True))
        watts = self._peak_it_w
        for name, n in extra_gpus.items():
            curve = self.curve(name)
            watts += n * (curve.compute_w - curve.idle_w)
        return self.facility_mw(watts)

    # -- admitting a start: the engine's test and the policies' sizing, one arithmetic -------
    def start_it_w(self, floor_it_w: float, cfg: JobConfig,
                   gpus_by_type: Mapping[str, int]) -> float:
        """IT W at the lowest clocks with a job of ``cfg`` started on ``gpus_by_type``, over
        ``floor_it_w`` (every running job at its lowest clock): the job at the higher of its
        lowest-clock compute draw and its restart draw there (a job started after a preemption,
        or resized, pauses to restart first). The engine admits a start only if its
        ``start_mw`` is ``within_supply`` (``engine.power.refuse_grant``); the staged and
        power-aware policies size their starts by the same sum (``policy.power_room``), so they
        plan no start the engine must refuse and skip none it would admit."""
        it_w = restart_w = floor_it_w
        comm = self.comm(cfg)
        for name, n in gpus_by_type.items():
            t = self.type_index[name]
            curve = self.curves[t]
            # a held GPU carries its rack's whole overhead share, an idle one only the
            # ``draw.idle_overhead`` part of it (0 by default: the same share)
            held = self.held_overhead_w(t) - curve.idle_w
            it_w += n * (curve.mean_w(curve.min_clock, comm) + held)
            restart_w += n * (curve.phase_w(Phase.RESTART, curve.min_clock, comm) + held)
        return max(it_w, restart_w)

    def start_mw(self, floor_it_w: float, cfg: JobConfig, gpus_by_type: Mapping[str, int]) -> float:
        """``start_it_w`` at the facility, MW."""
        return self.facility_mw(self.start_it_w(floor_it_w, cfg, gpus_by_type))

    @staticmethod
    def within_supply(need_mw: float, supply_mw: float) -> bool:
        """Does a start needing ``need_mw`` (``start_mw``) fit the supply (to a part in 10^12:
        a start sized to the supply exactly fits whatever the float sums)?"""
        return need_mw <= supply_mw * (1 + 1e-12)

    def peak_fits(self, gpus_by_type: Mapping[str, int], supply_mw: float) -> bool:
        """Does the supply carry every GPU and these at full draw (``peak_mw``)? Then any start
        fits and the floor need not be summed."""
        return self.peak_mw(gpus_by_type) * (1 + 1e-9) <= supply_mw

    def always_fits(self) -> bool:
        """Does the run's lowest supply carry every GPU at full draw and as many again
        (``peak_fits``)? Then no start can be refused for power, whatever the grant. Under a
        ramp limit generation starts at ``ramp.initial_mw``: below the idle draw the facility
        is dark until it has ramped, and refuses every start (review: a supply of twice the
        peak with generation ramping from 0.1 MW let las plan 5,046 refused starts)."""
        cfg = self.config
        lowest = min(supply for _t, supply in cfg.supply_levels())
        if cfg.ramp.limit_mw_per_min is not None and cfg.ramp.initial_mw is not None:
            lowest = min(lowest, cfg.ramp.initial_mw)
        every = {name: int(self.gpus_by_type[t]) for name, t in self.type_index.items()}
        return self.peak_fits(every, lowest)

    def facility_mw(self, it_w: float) -> float:
        """Facility MW from IT watts: IT x pue + the fixed part."""
        return it_w * self.config.pue / 1e6 + self.config.pue_fixed_mw

    def draw_mw(self, jobs: Iterable[Job]) -> float:
        return 0.0 if self.dark else float(self.facility_mw(self.it_w(jobs)))

    # -- for policies: price a job on GPUs of a type ------------------------------------
    def gpu_w(self, gpu_type: str, cfg: JobConfig, cap_w: float | None = None) -> float:
        """Mean watts of one computing GPU of ``gpu_type`` for job ``cfg`` under ``cap_w``."""
        curve = self.curves[self.type_index[gpu_type]]
        caps = [c for c in (cap_w, self.static_cap_w(cfg)) if c is not None]
        return curve.mean_w(curve.clock_for_cap(min(caps) if caps else None), self.comm(cfg))

    def speed(self, gpu_type: str, cfg: JobConfig, cap_w: float | None = None) -> float:
        curve = self.curves[self.type_index[gpu_type]]
        caps = [c for c in (cap_w, self.static_cap_w(cfg)) if c is not None]
        return speed_factor(curve.clock_for_cap(min(caps) if caps else None), self.comm(cfg))

    def curve(self, gpu_type: str) -> GpuCurve:
        return self.curves[self.type_index[gpu_type]]


class ReadOnlyPowerModel:
    """The engine's power model as a policy's view hands it out (``PowerView.model``): every
    attribute and pricing method, but no assignment, no array it can write into and none of the
    engine's setters. A policy that set ``overhead_w`` or ``idle_it_w`` on the model itself
    changed every later draw of the run, silently (energy halved in a QA repro)."""

    __slots__ = ("_model", "_config")
    # they change the run, or hold state the engine changes: the engine's own (the rack layout,
    # the set of capped jobs, the draw book; the caches, named with a leading underscore)
    ENGINE_ONLY = frozenset({"set_setting", "moved", "slowed_by_fabric", "layout", "capped",
                             "book"})

    def __init__(self, model: PowerModel):
        object.__setattr__(self, "_model", model)
        object.__setattr__(self, "_config", None)

    def __getattr__(self, name: str) -> object:
        """The model's attribute, or a copy of it that writes cannot carry back (QA): an array
        is copied (a read-only view of the engine's own could be made writeable again), a dict
        is behind a read-only mapping (``type_index``), and the scenario's power config is
        a deep copy (its ``jobs`` dict is the engine's and the caller's scenario's)."""
        if name in self.ENGINE_ONLY or name.startswith("_"):
            raise AttributeError(f"the view's power model is read-only: {name} is the engine's "
                                 "(a policy sets caps with SetPowerCap; racks are view.racks)")
        if name == "config":
            if self._config is None:  # once: the config does not change during a run
                object.__setattr__(self, "_config", self._model.config.model_copy(deep=True))
            return self._config
        value = getattr(self._model, name)
        if isinstance(value, np.ndarray):
            value = read_only_copy(value)
        elif isinstance(value, dict):
            value = MappingProxyType(value)
        return value

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"the view's power model is read-only: cannot set {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"the view's power model is read-only: cannot delete {name}")
