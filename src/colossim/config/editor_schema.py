"""The JSON Schema that ``colossim schema`` prints for editors: the scenario models' own schema,
adjusted so an editor checking any one file agrees with ``colossim validate``.

- The top-level ``include:`` (a path or a list of paths) and ``x-...`` keys (ignored; a home for
  YAML anchors) are allowed, as the loader handles them before validation.
- An empty block (``reliability:`` with every key commented out) is allowed wherever the loader
  reads it as its defaults (``base.empty_means_default``: a field holding one model, or a list
  or mapping empty by default), and an empty ``include:``.
- Nothing is required. A file may be a fragment (a cluster file, a jobs file) or may change one
  number of an included file or of a built-in GPU type, so whether every required field is
  present can only be judged after the merge, which ``colossim validate`` does. Names, types,
  ranges and unknown keys are still checked as the file is typed.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from colossim.config.base import Frozen, empty_means_default
from colossim.config.loader import EXTENSION_PREFIX, INCLUDE_KEY
from colossim.config.schema import Scenario

ANNOTATIONS = frozenset({"title", "description", "default", "examples"})  # not constraints


def _models(model: type[BaseModel], seen: set[type]) -> Iterator[type[BaseModel]]:
    """``model`` and every model its fields hold (in lists, mappings and unions too)."""
    if model in seen:
        return
    seen.add(model)
    yield model
    for info in model.model_fields.values():
        stack = [info.annotation]
        while stack:
            hint = stack.pop()
            if isinstance(hint, type) and issubclass(hint, BaseModel):
                yield from _models(hint, seen)
            stack += typing.get_args(hint)


def _nullable(prop: dict[str, Any]) -> dict[str, Any]:
    """``prop`` accepting null too, its description and default kept outside the choice."""
    kept = {k: v for k, v in prop.items() if k in ANNOTATIONS}
    core = {k: v for k, v in prop.items() if k not in ANNOTATIONS}
    return {"anyOf": [core, {"type": "null"}], **kept}


def _allow_empty_blocks(schema: dict[str, Any]) -> None:
    """Null is allowed exactly where ``Frozen._strict_bools`` reads it as the field's default
    (``base.empty_means_default``: a block, or a list or mapping empty by default)."""
    for model in _models(Scenario, set()):
        if not issubclass(model, Frozen):
            continue
        node = schema if model is Scenario else schema["$defs"][model.__name__]
        for name, info in model.model_fields.items():
            if empty_means_default(info):
                key = info.alias or name
                node["properties"][key] = _nullable(node["properties"][key])


def _drop_required(node: Any) -> None:
    if isinstance(node, dict):
        node.pop("required", None)
        for value in node.values():
            _drop_required(value)
    elif isinstance(node, list):
        for value in node:
            _drop_required(value)


def scenario_json_schema() -> dict[str, Any]:
    """The editor schema of a scenario file (JSON Schema draft 2020-12, as pydantic writes it)."""
    schema = Scenario.model_json_schema()
    schema["properties"] = {
        INCLUDE_KEY: {
            "description": "Files merged underneath this one, relative to it (or built-in names)",
            "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}},
                      {"type": "null"}],  # every entry commented out: nothing included
        },
        **schema["properties"],
    }
    _allow_empty_blocks(schema)
    schema["patternProperties"] = {
        f"^{EXTENSION_PREFIX}": {"description": "Ignored by colossim: a place for YAML anchors"}
    }
    _drop_required(schema)
    return schema
