"""The entry point keeps numpy's OpenBLAS to one thread unless the user said otherwise."""

from __future__ import annotations

import os

import colossim.cli.app
from colossim.cli import entry


def _seen_by_the_cli(monkeypatch) -> str | None:
    """The variable as the CLI (and numpy, imported after it) sees it."""
    seen: list[str | None] = []
    monkeypatch.setattr(colossim.cli.app, "main",
                        lambda: seen.append(os.environ.get("OPENBLAS_NUM_THREADS")))
    entry.main()
    return seen[0]


def test_blas_runs_one_thread_by_default(monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "0")  # recorded, so the test's end restores it
    monkeypatch.delenv("OPENBLAS_NUM_THREADS")
    assert _seen_by_the_cli(monkeypatch) == "1"


def test_a_users_blas_setting_is_kept(monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "8")
    assert _seen_by_the_cli(monkeypatch) == "8"
