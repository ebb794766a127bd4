"""The placers' read-only snapshot of the fabric (``policy.view.FabricView``).

Pod uplink load and health, each pod's rack-tier health and the core's, which the placers read
to spread load and to keep jobs that span racks off cut tiers (``policy/placement.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from colossim.model.frozen import frozen, read_only_view
from colossim.policy.view import FabricView

if TYPE_CHECKING:
    from colossim.engine.fabric import Fabric


def build_view(fabric: Fabric) -> FabricView:
    """A snapshot of ``fabric`` now, with read-only arrays (policies never change the run)."""
    t = fabric.topology
    pod = t.tier_slice("pod")
    healthy = t.capacity[pod]
    with np.errstate(divide="ignore", invalid="ignore"):
        load = np.where(healthy > 0, fabric.load[pod] / np.where(healthy > 0, healthy, 1), 0)
    health = fabric.scale[pod].copy()
    rack_health = fabric.scale[t.tier_slice("rack")].copy()
    load, health, rack_health = (read_only_view(frozen(a)) for a in (load, health, rack_health))
    config = fabric.sim.state.scenario.cluster.fabric
    return FabricView(
        pod_uplink_load=load,
        pod_uplink_health=health,
        pod_uplink_domains=read_only_view(fabric.pod_domains),
        rack_unit=read_only_view(t.rack_unit),
        rack_oversubscription=config.tiers.rack.oversubscription,
        pod_oversubscription=config.tiers.pod.oversubscription,
        pod_rack_health=rack_health,
        core_health=float(fabric.scale[t.resource("core")]),
    )
