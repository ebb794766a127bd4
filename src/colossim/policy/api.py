"""The scheduler contract: a policy has a name, a pydantic ``Params`` model and ``decide(view)``.

The engine calls ``decide`` once per simulated instant that had triggers (coalesced), or when a
wake-up the policy asked for fires; never once per training step. ``decide`` returns actions and
must not mutate anything it was given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel

from colossim.config.base import Frozen
from colossim.policy.actions import Action
from colossim.policy.view import ClusterView


class NoParams(Frozen):
    """For policies without parameters: still rejects unknown keys."""


@runtime_checkable
class Policy(Protocol):
    """What the engine needs from a policy."""

    name: ClassVar[str]
    Params: ClassVar[type[BaseModel]]

    def decide(self, view: ClusterView) -> Sequence[Action]: ...


class BasePolicy:
    """Convenience base: stores validated params. Subclasses set ``name`` and ``Params``."""

    name: ClassVar[str] = ""
    Params: ClassVar[type[BaseModel]] = NoParams

    def __init__(self, params: BaseModel | None = None):
        self.params = params if params is not None else self.Params()

    def decide(self, view: ClusterView) -> Sequence[Action]:  # pragma: no cover - abstract
        raise NotImplementedError
