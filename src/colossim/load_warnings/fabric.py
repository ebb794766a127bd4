"""The load warning for fabric events the run would not apply: a scenario's link faults are
followed only by the contention model, and only for jobs with a traffic model."""

from __future__ import annotations

import warnings

from colossim.config.schema import Scenario
from colossim.errors import ColossimWarning


def warn_cut_off(scenario: Scenario) -> None:
    """Warn of fabric events the run will not apply (the contention model is off, or no job
    has a traffic model). A tier cut off for good needs no warning: the jobs crossing it are
    interrupted and placed elsewhere (``engine.fabric_cut``)."""
    fabric = scenario.cluster.fabric
    if fabric.events and not fabric.contention:
        warnings.warn(ColossimWarning(
            f"cluster.fabric.events ({len(fabric.events)}) are ignored: they change link "
            "capacities over time, which only the contention model follows; set "
            "cluster.fabric.contention: true to apply them"), stacklevel=3)
        return
    if fabric.events and all(job.params_billion is None for job in scenario.jobs):
        warnings.warn(ColossimWarning(
            f"cluster.fabric.events ({len(fabric.events)}) are ignored: no job has a traffic "
            "model (params_billion), so none uses the fabric"), stacklevel=3)
        return
