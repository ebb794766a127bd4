"""colossim: a discrete-event simulator of gigawatt-scale AI training clusters.

Public API: ``load_scenario``, ``simulate``, ``RunResult``, the policy contract (``Policy``,
``BasePolicy``, ``StagedPolicy``) and the actions a policy returns. Heavy modules load lazily so
``colossim --help`` starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_scenario": "colossim.api",
    "simulate": "colossim.api",
    "Scenario": "colossim.config.schema",
    "RunResult": "colossim.metrics.result",
    "Policy": "colossim.policy.api",
    "BasePolicy": "colossim.policy.api",
    "StagedPolicy": "colossim.policy.staged",
    "ClusterView": "colossim.policy.view",
    "JobView": "colossim.policy.view",
    "Start": "colossim.policy.actions",
    "Resize": "colossim.policy.actions",
    "Preempt": "colossim.policy.actions",
    "Reject": "colossim.policy.actions",
    "SetPowerCap": "colossim.policy.actions",
    "WakeAt": "colossim.policy.actions",
    "ColossimError": "colossim.errors",
    "ConfigError": "colossim.errors",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # pragma: no cover
    from colossim.api import load_scenario, simulate  # noqa: F401
    from colossim.config.schema import Scenario  # noqa: F401
    from colossim.metrics.result import RunResult  # noqa: F401


def __dir__() -> list[str]:
    """What a module lists (its own globals) and the names ``__getattr__`` loads on first use,
    which ``dir()`` and tab completion would not otherwise see."""
    return sorted({*globals(), *__all__})


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'colossim' has no attribute {name!r}")
