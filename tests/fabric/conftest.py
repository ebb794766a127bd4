"""Fixtures of the fabric tests."""

from __future__ import annotations

import pytest

from colossim.engine.state import RunState


@pytest.fixture
def grants(monkeypatch):
    """Every grant a job is put on, started or resized: (time, job, racks)."""
    seen: list[tuple[float, str, tuple[int, ...]]] = []
    run_on = RunState.run_on

    def spy(self, job, grant):
        seen.append((self.now_s, job.name, tuple(r for r, _ in grant)))
        return run_on(self, job, grant)

    monkeypatch.setattr(RunState, "run_on", spy)
    return seen
