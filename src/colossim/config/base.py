"""The base of every config model, kept apart so sub-schemas import it without a cycle.

``schema.py`` imports the sub-schemas (``training.py``) and they import ``Frozen``; if ``Frozen``
lived in ``schema.py`` the two modules would import each other.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    """Base for every config model: immutable (so hashable and cacheable), unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")
