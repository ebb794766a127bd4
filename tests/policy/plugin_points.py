"""Entry points as ``pip install`` of a plugin would leave them, for registry tests."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib.metadata import EntryPoint

import pytest

from colossim.policy import registry


@contextmanager
def installed_plugins(monkeypatch: pytest.MonkeyPatch,
                      declared: Mapping[str, str]) -> Iterator[None]:
    """The ``colossim.policies`` entry points ``declared`` (name -> "module:Class") visible
    beside the real ones, with the registry's cache cleared before and after."""
    group = registry.ENTRY_POINT_GROUP
    points = [EntryPoint(name, value, group) for name, value in declared.items()]
    real = registry.entry_points

    def fake(*, group: str):
        return [*real(group=group), *points] if group == registry.ENTRY_POINT_GROUP else real(
            group=group)

    monkeypatch.setattr(registry, "entry_points", fake)
    registry.installed.cache_clear()
    try:
        yield
    finally:
        registry.installed.cache_clear()
