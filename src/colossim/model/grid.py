"""Generation following load under a ramp limit, and a battery covering the gap. Pure functions.

State between events: online generation capacity K (MW) and stored energy E (MWh). Over an
interval the facility's load L is constant (the fluid model: it changes only at events) and
generation aims at ``target = min(supply, demand + charging power wanted)``:

* K rises towards the target at ``ramp`` MW/s (instantly without a ramp limit) and falls to it at
  once (shedding generation is fast; documented choice);
* if K < L the battery delivers L - K (discharge); if K > L the surplus charges it, at most
  ``max_charge_mw``, storing ``round_trip_efficiency`` of it (losses taken on charging, so a
  discharge of D MW for t hours takes exactly D·t MWh out);
* a load the sources cannot meet is *unserved*: the engine schedules its events so this never
  happens, and the invariant checks it.

``advance`` splits an interval where K crosses L, reaches L + max charge or the target, or E hits
0 or capacity, so that within each piece K and the battery flow are linear and E quadratic (linear
once K is constant): energy is exact at every boundary, and E is monotone within a piece, so its
minimum is at a boundary.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EPS_MWH = 1e-9
EPS_MW = 1e-9
MIN_DISCHARGE_S = 1e-3  # a battery that cannot give full power this long counts as empty
_MAX_PIECES = 64


@dataclass(frozen=True)
class Battery:
    capacity_mwh: float = 0.0
    max_charge_mw: float = 0.0
    max_discharge_mw: float = 0.0
    efficiency: float = 1.0


NO_BATTERY = Battery()


@dataclass(frozen=True)
class Grid:
    """Generation capacity online (MW) and stored energy (MWh) at an instant."""

    capacity_mw: float
    stored_mwh: float


@dataclass(frozen=True)
class Piece:
    """One piece of an interval: K and the battery flow linear, E from ``soc0`` to ``soc1``."""

    start_s: float
    end_s: float
    capacity0_mw: float
    capacity1_mw: float
    battery0_mw: float  # + discharge, - charge (power taken from generation)
    battery1_mw: float
    soc0_mwh: float
    soc1_mwh: float
    unserved_mwh: float = 0.0

    def ending_at(self, end_s: float) -> Piece:
        """The same piece with another end time (``dataclasses.replace`` is ten times slower,
        and the power system calls this after every event)."""
        return Piece(self.start_s, end_s, self.capacity0_mw, self.capacity1_mw,
                     self.battery0_mw, self.battery1_mw, self.soc0_mwh, self.soc1_mwh,
                     self.unserved_mwh)


def target_mw(grid: Grid, demand_mw: float, supply_mw: float, bat: Battery) -> float:
    """What generation aims at: the demand plus the charging the battery wants, within supply."""
    want = bat.max_charge_mw if grid.stored_mwh < bat.capacity_mwh - EPS_MWH else 0.0
    return min(supply_mw, demand_mw + want)


def can_discharge(grid: Grid, bat: Battery) -> bool:
    """Does the battery hold enough to count? (Crumbs of float arithmetic left at the instant
    it was due to run dry would otherwise lift the caps for microseconds.)"""
    return grid.stored_mwh > max(EPS_MWH, bat.max_discharge_mw * MIN_DISCHARGE_S / 3600.0)


def available_mw(grid: Grid, bat: Battery, firm_mw: float = math.inf) -> float:
    """Most the facility may draw now: generation online plus what the battery can deliver,
    the battery only up to ``firm_mw`` (it covers dips and ramps, not demand above the firm
    supply, unless the scenario allows peak shaving)."""
    if not can_discharge(grid, bat):
        return grid.capacity_mw
    return grid.capacity_mw + min(bat.max_discharge_mw, max(0.0, firm_mw - grid.capacity_mw))


def _regime(capacity: float, load: float, stored: float, ramp: float,
            bat: Battery) -> tuple[float, float]:
    """Power into storage (MW; negative: out of it) and its slope (MW/s) at capacity K."""
    if capacity < load - EPS_MW:
        return capacity - load, ramp  # discharging; the gap closes as K ramps
    if stored >= bat.capacity_mwh - EPS_MWH:
        return 0.0, 0.0  # full: surplus generation is not dispatched
    if capacity - load >= bat.max_charge_mw - EPS_MW:
        return bat.efficiency * bat.max_charge_mw, 0.0
    return bat.efficiency * max(0.0, capacity - load), bat.efficiency * ramp


def _first_root(a: float, b: float, c: float) -> float:
    """Smallest positive τ with a/2·τ² + b·τ + c = 0 for the signs used here (inf if none)."""
    disc = b * b - 2.0 * a * c
    if disc < 0:
        return math.inf
    denom = -b + math.sqrt(disc) if b < 0 else -b - math.sqrt(disc)
    if denom == 0:
        return math.inf
    tau = 2.0 * c / denom
    return tau if tau > 0 else math.inf


def advance(grid: Grid, dt_s: float, load_mw: float, demand_mw: float, supply_mw: float,
            ramp_mw_s: float, bat: Battery, start_s: float = 0.0) -> tuple[Grid, list[Piece]]:
    """Move the grid ``dt_s`` on at constant load; return the new state and its pieces."""
    k = min(grid.capacity_mw, supply_mw)
    e = grid.stored_mwh
    t, end = 0.0, dt_s
    pieces: list[Piece] = []
    for _ in range(_MAX_PIECES):
        if t >= end:
            break
        target = target_mw(Grid(k, e), demand_mw, supply_mw, bat)
        if k > target or math.isinf(ramp_mw_s):
            k = target
        rate = ramp_mw_s if k < target - EPS_MW else 0.0
        f0, slope = _regime(k, load_mw, e, rate, bat)
        stops = [end - t]
        if rate:
            stops.append((target - k) / rate)
            for edge in (load_mw, load_mw + bat.max_charge_mw):
                if k < edge - EPS_MW:
                    stops.append((edge - k) / rate)
        unserved_rate = 0.0
        if f0 < 0:
            if e > EPS_MWH:
                stops.append(_first_root(slope, f0, 3600.0 * e))
            else:
                unserved_rate, f0, slope = -f0, 0.0, 0.0  # empty: nothing to give
        elif f0 > 0 or slope > 0:
            stops.append(_first_root(slope, f0, -3600.0 * (bat.capacity_mwh - e)))
        tau = max(0.0, min(stops))
        e1 = e + (f0 * tau + slope * tau * tau / 2.0) / 3600.0
        e1 = min(max(e1, 0.0), bat.capacity_mwh)
        k1 = k + rate * tau
        bat0 = -f0 / bat.efficiency if f0 > 0 else -f0
        f1 = f0 + slope * tau
        bat1 = -f1 / bat.efficiency if f1 > 0 else -f1
        over = max(0.0, bat0 - bat.max_discharge_mw) if f0 < 0 else 0.0
        unserved = (unserved_rate + over) * tau / 3600.0
        pieces.append(Piece(start_s + t, start_s + t + tau, k, k1, bat0, bat1, e, e1, unserved))
        t, k, e = t + tau, k1, e1
    if t < end:  # pragma: no cover - every piece ends at a breakpoint; a bug if it loops
        raise RuntimeError(f"grid.advance did not converge ({t} of {end} s)")
    return Grid(k, e), pieces


def time_to_empty(grid: Grid, load_mw: float, demand_mw: float, supply_mw: float,
                  ramp_mw_s: float, bat: Battery, horizon_s: float = 1e9) -> float:
    """Seconds until the battery runs dry at this load (inf if it never does before horizon)."""
    if grid.stored_mwh <= EPS_MWH:
        return math.inf
    _, pieces = advance(grid, horizon_s, load_mw, demand_mw, supply_mw, ramp_mw_s, bat)
    for piece in pieces:
        if piece.soc0_mwh > EPS_MWH >= piece.soc1_mwh:
            return piece.end_s
    return math.inf


def ramp_done_s(grid: Grid, demand_mw: float, supply_mw: float, ramp_mw_s: float) -> float:
    """Seconds until generation can carry the demand (0 if it already can)."""
    gap = min(demand_mw, supply_mw) - grid.capacity_mw
    if gap <= EPS_MW or math.isinf(ramp_mw_s):
        return 0.0
    return gap / ramp_mw_s

