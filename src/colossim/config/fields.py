"""Walk the schema by path: which fields a model at ``("cluster", "power")`` accepts.

Used for "did you mean" hints on unknown keys, and by overrides to explain bad paths.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel

from colossim.config.schema import Scenario


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation such as ``tuple[JobConfig, ...] | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, tuple, list, dict):
        args = typing.get_args(annotation)
        for arg in args[1:] if origin is dict else args:
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def model_at(path: tuple[str | int, ...], root: type[BaseModel] = Scenario) -> type[BaseModel]:
    """The model that validates the mapping at ``path`` (list indexes and dict keys skipped)."""
    model: type[BaseModel] = root
    for part in path:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            break  # a dict key such as a catalog entry name: stay on the value model
        inner = _model_in(field.annotation)
        if inner is None:
            break
        model = inner
    return model


def nested_paths(model: type[BaseModel], name: str, depth: int = 3) -> list[str]:
    """Dotted paths, below ``model``, of fields called ``name`` (at most ``depth`` levels
    down, nearest first): where a key put at the wrong level belongs (``seed`` at the top is
    ``simulation.seed``; ``tp`` on a job is ``training.plan.tp``)."""
    found: list[str] = []
    level: list[tuple[str, type[BaseModel]]] = [("", model)]
    seen: set[type[BaseModel]] = {model}
    for _ in range(depth):
        below: list[tuple[str, type[BaseModel]]] = []
        for prefix, owner in level:
            for field_name, info in owner.model_fields.items():
                inner = _model_in(info.annotation)
                if inner is None or inner in seen:
                    continue
                seen.add(inner)
                path = f"{prefix}{field_name}"
                if name in inner.model_fields:
                    found.append(f"{path}.{name}")
                below.append((f"{path}.", inner))
        if found:
            return found
        level = below
    return found
