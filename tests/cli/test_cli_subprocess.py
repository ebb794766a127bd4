"""The installed entry points as a user runs them: ``python -m colossim`` and ``colossim``."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def _console_script() -> str:
    beside = Path(sys.executable).with_name("colossim")  # the script of this interpreter's env
    found = str(beside) if beside.exists() else shutil.which("colossim")
    if found is None:
        pytest.fail("the colossim console script is not installed (pip install -e '.[dev]')")
    return found


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


def test_python_dash_m_colossim_help():
    result = run(sys.executable, "-m", "colossim", "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout
    for command in ("run", "validate", "policies", "scenarios", "schema"):
        assert command in result.stdout


def test_console_script_exit_codes(tmp_path):
    script = _console_script()
    ok = run(script, "validate", "small")
    assert ok.returncode == 0 and ok.stdout.startswith("ok: small"), ok.stderr

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: t\nclustr: {}\n", encoding="utf-8")
    refused = run(script, "validate", str(bad))
    assert refused.returncode == 2
    assert f"{bad}:2: clustr: unknown field (did you mean 'cluster'?)" in refused.stderr
    assert "Traceback" not in refused.stderr + refused.stdout

    blocker = tmp_path / "taken"
    blocker.write_text("x")
    failed = run(script, "run", "small", "--quiet", "--out", str(blocker))
    assert failed.returncode == 1
    assert "cannot write results" in failed.stderr and "Traceback" not in failed.stderr
