"""The scale-out fabric as a scenario describes it: tiers, NICs, rails and faults.

Three switching tiers above the NVLink domain (the scale-up unit, a rack of NVL72):

* ``rack``: a rack (or, rail-optimised, a rail group of racks) up to its pod's spine;
* ``pod``: a pod's spine up to the cluster core (the pod uplinks);
* ``core``: the cluster spine/core joining the pods.

Each tier has an oversubscription ratio (downlink : uplink capacity at that tier, 1 = non-blocking),
so a pod's uplinks carry ``pod GPUs x NIC / (rack x pod)`` at most. ``docs/fabric.md`` gives the
source of every default or marks it as an assumption. The contention model that uses these
numbers is ``colossim.model.fabric``; the engine subsystem is ``colossim.engine.fabric``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from colossim.config.base import FieldValueError, Frozen
from colossim.config.crosscheck import unknown_gpu_type

TierName = Literal["rack", "pod", "core"]
TIER_NAMES: tuple[TierName, ...] = ("rack", "pod", "core")


class TierConfig(Frozen):
    """One switching tier."""

    oversubscription: float = Field(
        1.0, ge=1.0, description="Downlink : uplink capacity at this tier (1 = non-blocking)"
    )


class FabricTiers(Frozen):
    """The three tiers, innermost first; a missing tier is non-blocking."""

    rack: TierConfig = Field(
        TierConfig(), description="Rack or rail group -> pod spine (leaf uplinks)"
    )
    pod: TierConfig = Field(TierConfig(), description="Pod spine -> cluster core (pod uplinks)")
    core: TierConfig = Field(TierConfig(), description="Cluster core, relative to the pod uplinks")


#: Share of a component's capacity one fault takes when it does not say (assumptions): a network
#: fault (``network``/``link``) takes a quarter of its rack's uplinks (one of four planes), a
#: ``switch`` fault one of a pod's eight spine planes. docs/fabric.md, "Faults".
RACK_LINK_LOSS = 1 / 4
POD_SWITCH_LOSS = 1 / 8
DEFAULT_FRACTION = 0.5  # a scenario's link fault or degradation without capacity_fraction


class FabricFault(Frozen):
    """A link or switch fault, or a planned degradation, from the scenario's event list.

    Capacity of ``tier`` in ``pod`` (every pod when left out; the core has no pod) drops to
    ``capacity_fraction`` of its healthy value at ``time_s`` for ``duration_s`` (for good when
    left out). Overlapping faults on one tier multiply.
    """

    time_s: float = Field(ge=0, description="When the fault starts, s from the start")
    duration_s: float | None = Field(
        None, gt=0, description="How long it lasts, s (None: for good)"
    )
    tier: TierName = Field("pod", description="Which tier loses capacity")
    pod: int | None = Field(None, ge=0, description="Which pod (None: all pods; core: none)")
    capacity_fraction: float = Field(
        DEFAULT_FRACTION, ge=0.0, le=1.0,
        description="Capacity left while the fault lasts (0: cut off); default 0.5, and 7/8 "
        "for kind: switch (one of a pod's eight spine planes, as for the failure model's)",
    )
    kind: Literal["link", "switch", "degradation"] = Field(
        "link", description="What failed (a label for the record)"
    )

    @model_validator(mode="before")
    @classmethod
    def _switch_takes_one_plane(cls, data: object) -> object:
        """A switch fault left without a fraction takes one of eight spine planes, as the
        failure model's switch faults do (not half the tier)."""
        if isinstance(data, dict) and data.get("kind") == "switch" \
                and "capacity_fraction" not in data:
            return {**data, "capacity_fraction": 1.0 - POD_SWITCH_LOSS}
        return data

    @model_validator(mode="after")
    def _core_has_no_pod(self) -> FabricFault:
        if self.tier == "core" and self.pod is not None:
            raise FieldValueError("pod", "the core tier is shared by all pods; leave pod out")
        return self


class FabricConfig(Frozen):
    """Scale-out network between NVLink domains: tiers, NICs, rails, contention and faults."""

    technology: str = Field(
        "ethernet", description="Label: spectrum-x, infiniband, ethernet (documentation only)"
    )
    contention: bool = Field(
        True, description="Model jobs sharing tier capacity (max-min fair); false: no fabric model"
    )
    tiers: FabricTiers = FabricTiers()
    nic_gbit_s: float | None = Field(
        None, gt=0, description="NIC bandwidth per GPU for every GPU type, Gb/s (None: catalog)"
    )
    nic_gbit_s_by_type: dict[str, Annotated[float, Field(gt=0)]] = Field(
        default_factory=dict, description="NIC bandwidth per GPU by GPU type, Gb/s (overrides)"
    )
    link_efficiency: float = Field(
        1.0, gt=0.0, le=1.0,
        description="Usable fraction of the shared tiers' line rate under load (ECMP collisions)",
    )
    collectives: Literal["hierarchical", "flat"] = Field(
        "hierarchical",
        description="hierarchical: collectives reduce inside rack units and pods first "
        "(NCCL-style, topology-ordered); flat: each GPU's NIC bytes spread evenly over the "
        "job's GPUs outside its NVLink domain",
    )
    rail_optimized: bool = Field(
        False, description="Same-position GPUs of a rail group share rail switches"
    )
    rail_group_racks: int | None = Field(
        None, gt=0, description="Racks per rail group (None: the whole pod)"
    )
    events: tuple[FabricFault, ...] = Field(
        (), description="Link/switch faults and degradations over time"
    )

    @property
    def oversubscription(self) -> float:
        """Pod GPUs' NIC bandwidth over the pod's uplink capacity (the static cross-pod ratio)."""
        return self.tiers.rack.oversubscription * self.tiers.pod.oversubscription

    @property
    def static_oversubscription(self) -> float:
        """What a job's base rate should divide its cross-pod bandwidth by: 1 when the
        contention model is on (it applies the tiers itself, as shares), else the worst case of
        a fully loaded pod."""
        return 1.0 if self.contention else self.oversubscription

    def nic_gbit(self, gpu_type: str, catalog_gbit_s: float) -> float:
        """NIC Gb/s per GPU of a type: by-type override, then the all-types one, then catalog."""
        return self.nic_gbit_s_by_type.get(gpu_type, self.nic_gbit_s or catalog_gbit_s)


def fabric_problems(fabric: FabricConfig, pods: int, gpu_types: list[str]) -> list[
    tuple[tuple[str | int, ...], str]
]:
    """Checks that need the cluster: fault pods that exist, NIC overrides of known GPU types.

    Paths are relative to ``cluster.fabric``; ``crosscheck`` prefixes them.
    """
    issues: list[tuple[tuple[str | int, ...], str]] = []
    for i, fault in enumerate(fabric.events):
        if fault.pod is not None and fault.pod >= pods:
            issues.append(
                (("events", i, "pod"), f"pod {fault.pod} does not exist (pods 0..{pods - 1})")
            )
    for name in fabric.nic_gbit_s_by_type:
        issues += unknown_gpu_type(("nic_gbit_s_by_type", name), name, gpu_types)
    return issues
