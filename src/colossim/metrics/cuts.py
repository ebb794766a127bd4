"""Fabric cuts still in force when a run ends, and the jobs they leave no placement for.

A run that stalls with multi-rack jobs pending after a permanent cut (a fault with
``capacity_fraction: 0`` and no repair) did so because the placers keep jobs that span racks off
cut tiers (``docs/fabric.md``, Cuts), not because the policy forgot them. Both answers come from
the record (``fabric_fault`` / ``fabric_repair`` events) and the scenario's racks, so the run's
closing note can name the fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from colossim.config.schema import Scenario
    from colossim.engine.record import Record


@dataclass(frozen=True)
class Cut:
    """A fault that left a tier with nothing, never repaired."""

    fault: str
    tier: str  # rack, pod (a pod's uplinks) or core
    pod: int | None  # None: every pod (or the core)
    time_s: float

    def describe(self) -> str:
        """The tier in words: 'the rack tier of every pod', "pod 0's uplinks", 'the core'."""
        if self.tier == "core":
            return "the core"
        if self.tier == "pod":
            return "every pod's uplinks" if self.pod is None else f"pod {self.pod}'s uplinks"
        return f"the rack tier of {'every pod' if self.pod is None else f'pod {self.pod}'}"


def cuts_in_force(record: Record) -> list[Cut]:
    """Faults at zero capacity that no ``fabric_repair`` ended, in the order they started."""
    cuts: dict[str, Cut] = {}
    for event in record.events:
        data: dict[str, Any] = event.data or {}
        if event.kind == "fabric_fault" and data.get("capacity_fraction", 1.0) <= 0:
            cuts[str(data.get("fault"))] = Cut(str(data.get("fault")), str(data["tier"]),
                                               data.get("pod"), event.time_s)
        elif event.kind == "fabric_repair":
            cuts.pop(str(data.get("fault")), None)
    return list(cuts.values())


def cut_effects(record: Record) -> tuple[list[str], bool]:
    """(the jobs a cut moved, by name: ``preempt`` events with reason ``fabric_cut``; whether
    any fault cut a tier to zero at all), in one pass over the record."""
    from colossim.engine.fabric_cut import REASON

    moved: set[str] = set()
    cut = False
    for event in record.events:
        if event.kind == "preempt" and event.data and event.data.get("reason") == REASON:
            moved.add(str(event.job))
        elif event.kind == "fabric_fault" and (event.data or {}).get("capacity_fraction",
                                                                      1.0) <= 0:
            cut = True
    return sorted(moved), cut


def largest_uncut(scenario: Scenario, cuts: list[Cut]) -> int:
    """GPUs of the largest set of racks a job could hold without its traffic crossing a cut
    (every rack free but those held back as hot spares, which no policy may give: counting
    them blamed the policy for a job only a spare would have let fit), by the placers' rule:
    racks of one rack-tier unit always; one pod if its rack tier is whole; several pods if the
    core and each one's rack tier and uplinks are."""
    from colossim.model.cluster import build_layout, held_back
    from colossim.model.fabric import build_topology

    layout = build_layout(scenario)
    rel = scenario.reliability
    spares = held_back(layout, rel.spares.racks_per_pod if rel.enabled else 0)
    cluster = scenario.cluster
    topology = build_topology(cluster.fabric, layout, cluster.pod_size_racks)
    pods = layout.pods
    rack_cut, alone = np.zeros(pods, bool), np.zeros(pods, bool)
    for cut in cuts:
        where = slice(None) if cut.pod is None else cut.pod
        if cut.tier == "rack":
            rack_cut[where] = True
        alone[where] = True  # a cut rack tier, uplinks or core: the pod cannot join others
    gpus = np.where(spares, 0, np.asarray(layout.capacity, dtype=np.int64))
    rack_pod = np.asarray(layout.rack_pod)
    per_pod = np.bincount(rack_pod, weights=gpus, minlength=pods)
    per_unit = np.bincount(topology.rack_unit, weights=gpus)
    options = [per_unit.max(), per_pod[~rack_cut].max(initial=0)]
    if not any(cut.tier == "core" for cut in cuts):
        options.append(per_pod[~alone].sum())
    return int(max(options))
