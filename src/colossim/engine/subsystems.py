"""Optional parts of the world that add processes or rate modifiers to a run.

Each subsystem is a function ``install(sim)`` that looks at ``sim.scenario`` and, if its block is
enabled, starts SimPy processes (``sim.env.process``), schedules events (``sim.call_at``) or adds
a rate modifier (``sim.state.modifiers``). The engine installs them in the order listed, so a run
is deterministic. Failures, power schedules and fabric contention plug in here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from colossim.engine.simulation import Simulation

Installer = Callable[["Simulation"], Any]

# "module:function" names, imported lazily; later subsystems append here.
SUBSYSTEMS: list[str] = [
    "colossim.engine.fabric:install",
    "colossim.engine.power:install",
    "colossim.engine.failures:install",
]


def subsystems() -> list[Installer]:
    out = []
    for name in SUBSYSTEMS:
        module, _, attr = name.partition(":")
        out.append(getattr(importlib.import_module(module), attr))
    return out
