"""Starts sized to the power the supply leaves at the lowest clocks.

The engine refuses a start the facility could not power even at the lowest clocks
(``engine.power.refuse_grant``). A policy that always asked for ``max_gpus`` was refused over and
over while the job would have fitted at a smaller size (QA: `small` at 0.3 MW asked for 216 GPUs
at every decision and stalled; 144 fitted). ``PowerRoom`` counts a decision's starts with the
engine's own sum (``PowerModel.start_mw`` over ``PowerView.floor_it_w``), so a start it sizes
is one the engine admits.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping

from colossim.config.schema import JobConfig
from colossim.model.power import PowerModel
from colossim.policy.actions import Grant
from colossim.policy.placement import grant_types
from colossim.policy.view import ClusterView, JobView, PowerView

Placer = Callable[..., Grant | None]  # place(gpus, only_type=type index): the policy's placer


class PowerRoom:
    """What the supply leaves for one decision's starts at the lowest clocks; each start
    planned (``take``) counts against the next, as the engine counts the jobs it started."""

    def __init__(self, model: PowerModel, supply_mw: float, floor_it_w: float,
                 dark: bool = False):
        self.model = model
        self.supply_mw = supply_mw
        self.floor_it_w = floor_it_w
        self.dark = dark  # the engine starts nothing until generation carries the facility

    @classmethod
    def of(cls, power: PowerView) -> PowerRoom | None:
        """The room ``power`` says there is, or None when the view has no power model."""
        if power.model is None or power.floor_it_w is None:
            return None
        return cls(power.model, power.supply_mw, power.floor_it_w, power.dark)

    def fits(self, cfg: JobConfig, gpus_by_type: Mapping[str, int]) -> bool:
        """Would the engine admit this start (after the ones taken)? Not in a dark facility
        (QA: power-aware planned a start there, which the engine refused, and its cap for the
        job then landed on a pending job and was refused as invalid)."""
        if self.dark:
            return False
        model = self.model
        return model.peak_fits(gpus_by_type, self.supply_mw) or model.within_supply(
            model.start_mw(self.floor_it_w, cfg, gpus_by_type), self.supply_mw)

    def most_gpus(self, cfg: JobConfig, gpu_type: str) -> int:
        """The most GPUs of ``gpu_type`` a start of ``cfg`` fits on (before allocation units):
        the room over one GPU's lowest-clock draw, then checked with the engine's sum (a GPU
        less while float rounding says no)."""
        if self.dark:
            return 0
        model, config = self.model, self.model.config
        one_w = model.start_it_w(0.0, cfg, {gpu_type: 1})
        if one_w <= 0.0:  # a floor at the idle draw: power never stops it
            return int(model.gpus_by_type[model.type_index[gpu_type]])
        room_w = (self.supply_mw * (1 + 1e-12) - config.pue_fixed_mw) * 1e6 / config.pue
        gpus = max(0, int((room_w - self.floor_it_w) / one_w))
        while gpus > 0 and not self.fits(cfg, {gpu_type: gpus}):
            gpus -= 1
        return gpus

    def take(self, cfg: JobConfig, gpus_by_type: Mapping[str, int]) -> None:
        """Count a planned start at its lowest-clock draw (or its restart draw, if higher)."""
        self.floor_it_w = self.model.start_it_w(self.floor_it_w, cfg, gpus_by_type)


class RunPower:
    """Whether a run's supply can ever refuse a start, found at its first start and kept with
    the run's layout (``view.racks.capacity``: one read-only array for the whole run), so a
    decision in a run with power to spare does not build the power view for its starts (a
    trace replay starts ~16,000 jobs: building it for each was ~5% of the run)."""

    def __init__(self) -> None:
        self._layout: object = None
        self._ample = True

    def starts(self, view: ClusterView) -> StartPower | None:
        """The decision's ``StartPower``, or None when power never binds in this run."""
        layout = view.racks.capacity
        if layout is not self._layout:
            model = view.power.model
            self._layout, self._ample = layout, model is None or model.always_fits()
        return None if self._ample else StartPower(view)


class _Unbounded(PowerRoom):
    """No room to count: a view without the engine's floor (one a test builds by hand)."""

    def __init__(self) -> None:
        self.dark = False

    def fits(self, cfg: JobConfig, gpus_by_type: Mapping[str, int]) -> bool:
        return True

    def most_gpus(self, cfg: JobConfig, gpu_type: str) -> int:
        return sys.maxsize

    def take(self, cfg: JobConfig, gpus_by_type: Mapping[str, int]) -> None:
        pass


NO_ROOM: PowerRoom = _Unbounded()


class StartPower:
    """A decision's ``PowerRoom``, built when its first start is planned (reading ``view.power``
    builds the power view, which most decisions of a trace replay never need)."""

    def __init__(self, view: ClusterView):
        self.view = view
        self._room: PowerRoom | None = None
        self._built = False

    def room(self) -> PowerRoom | None:
        if not self._built:
            self._room, self._built = PowerRoom.of(self.view.power), True
        return self._room

    def fits_alongside(self, first: JobView, first_grant: Grant, job: JobView,
                       grant: Grant) -> bool:
        """Could ``job`` on ``grant`` start with ``first`` on ``first_grant`` started too, both
        at the lowest clocks, with every job running now still running (so an answer of yes
        holds later, when some have ended)? Backfill asks it of a job on spare GPUs, which
        must not take the power the queue's head is promised."""
        room = self.room()
        if room is None:
            return True
        racks, model = self.view.racks, room.model
        with_first = PowerRoom(model, room.supply_mw, model.start_it_w(
            room.floor_it_w, first.config, grant_types(racks, first_grant)), room.dark)
        return with_first.fits(job.config, grant_types(racks, grant))

    def count(self, job: JobView, grant: Grant) -> None:
        """Count a start planned with ``fit(..., count=False)`` against the later ones."""
        room = self.room()
        if room is not None:
            room.take(job.config, grant_types(self.view.racks, grant))

    def fit(self, job: JobView, grant: Grant, place: Placer, count: bool = True
            ) -> Grant | None:
        """``grant``, or when the supply cannot power it at the lowest clocks, the grant
        ``place`` gives for as many GPUs as the supply can (on its GPU type, or for a grant
        spanning types the largest size that fits; whole allocation units, as the placer gives
        them; never below ``min_gpus``); counted for the next start unless ``count`` is False.
        A grant nothing smaller fits for stays as it is: the engine refuses it and records
        why. In a dark facility none: the engine starts nothing there whatever the numbers
        (QA: ``las`` counted such a start as running, and woke every 25 s to see it cross a
        queue, to the horizon: 15,000 events where the other policies stalled at once)."""
        room = self.room()
        if room is None:
            return grant
        if room.dark:
            return None
        cfg, racks = job.config, self.view.racks
        by_type = grant_types(racks, grant)
        if not room.fits(cfg, by_type):
            smaller = None
            if len(by_type) == 1:
                (name,) = by_type
                gpus = room.most_gpus(cfg, name)
                smaller = place(gpus, only_type=racks.gpu_types.index(name)) \
                    if gpus >= job.min_gpus else None
                if smaller is not None and not room.fits(cfg, grant_types(racks, smaller)):
                    smaller = None
            if smaller is None:  # a grant spanning types (or units the count missed)
                smaller = self._largest_that_fits(job, place, room, sum(by_type.values()) - 1)
            if smaller is None:
                return grant
            grant, by_type = smaller, grant_types(racks, smaller)
        if count:  # else the caller may still drop it (backfill's reservation check)
            room.take(cfg, by_type)
        return grant

    def _largest_that_fits(self, job: JobView, place: Placer, room: PowerRoom,
                           most: int) -> Grant | None:
        """The grant ``place`` gives for the most GPUs, from ``min_gpus`` to ``most``, that the
        supply can power at the lowest clocks: a bisection (fewer GPUs draw less), ~log2 of
        the range placements, made only when power binds."""
        racks, best = self.view.racks, None
        lo, hi = job.min_gpus, most
        least = place(lo) if lo <= hi else None  # nothing fits if the fewest GPUs, placed,
        # do not: a dark facility made every decision bisect every job's sizes (QA: hours of a
        # run). Unplaced they say nothing: a min_gpus that is no whole number of allocation
        # units places only as more (180 GPUs in units of 72 as 216: review)
        if least is not None:
            if not room.fits(job.config, grant_types(racks, least)):
                return None
            best, lo = least, lo + 1
        while lo <= hi:
            mid = (lo + hi) // 2
            grant = place(mid)
            if grant is not None and room.fits(job.config, grant_types(racks, grant)):
                best, lo = grant, mid + 1
            else:
                hi = mid - 1
        return best
