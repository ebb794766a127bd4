"""The JSON Schema that ``colossim schema`` prints for editors: the scenario models' own schema,
adjusted so an editor checking any one file agrees with ``colossim validate``.

- The top-level ``include:`` (a path or a list of paths) and ``x-...`` keys (ignored; a home for
  YAML anchors) are allowed, as the loader handles them before validation.
- Nothing is required. A file may be a fragment (a cluster file, a jobs file) or may change one
  number of an included file or of a built-in GPU type, so whether every required field is
  present can only be judged after the merge, which ``colossim validate`` does. Names, types,
  ranges and unknown keys are still checked as the file is typed.
"""

from __future__ import annotations

from typing import Any

from colossim.config.loader import EXTENSION_PREFIX, INCLUDE_KEY
from colossim.config.schema import Scenario


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
            "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
        },
        **schema["properties"],
    }
    schema["patternProperties"] = {
        f"^{EXTENSION_PREFIX}": {"description": "Ignored by colossim: a place for YAML anchors"}
    }
    _drop_required(schema)
    return schema
