"""docs/testing.md states facts the code decides: check them against the code."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "testing.md"
EXAMPLE = ROOT / "examples" / "policy_regression"


def test_the_default_horizon_the_tutorial_gives_is_the_schemas():
    # QA: §3 said "the default is a year"; it is 3.15e8 s, about ten years
    from colossim.config.schema import SimulationConfig

    text = " ".join(DOC.read_text(encoding="utf-8").split())
    said = re.search(r"the default is ([0-9.e+]+) s, about (\w+) years", text)
    assert said is not None, "docs/testing.md §3 no longer states the default horizon"
    default = SimulationConfig.model_fields["horizon_s"].default
    assert float(said[1]) == default
    years = {"ten": 10}[said[2]]
    assert round(default / (365.25 * 86400)) == years


def test_the_setting_that_lets_an_unpackaged_src_layout_name_a_policy_by_path_works(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    # QA: §2 said a test could name the policy "toy_policy:ShortestFirst" without packaging; in
    # its src/ layout that failed with "No module named toy_policy" unless pytest is told where
    monkeypatch.delenv("PYTHONPATH", raising=False)  # a relative "src" on it is the project's
    text = " ".join(DOC.read_text(encoding="utf-8").split())
    said = re.search(r'by import path instead: `run_policy\("(\w+):(\w+)", \.\.\.\)`, once '
                     r'pytest can import the module from `src/`: add `(pythonpath = [^`]+)` under '
                     r'`\[tool\.pytest\.ini_options\]`, without which the test fails with "(.+?)"',
                     text)
    assert said is not None, "docs/testing.md §2 no longer says how to import from src/"
    module, policy, setting, error = said.groups()
    shutil.copytree(EXAMPLE / "src", pytester.path / "src",
                    ignore=shutil.ignore_patterns("__pycache__"))
    pytester.makepyfile(test_by_path=f"""
        def test_by_path(run_policy, assert_invariants):
            assert_invariants(run_policy("{module}:{policy}", "small"))
    """)
    for ini, passes in ((f"[tool.pytest.ini_options]\n{setting}\n", True),
                        ("[tool.pytest.ini_options]\n", False)):
        (pytester.path / "pyproject.toml").write_text(ini)
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider",
                                               "-p", "no:hypothesispytest")
        if passes:
            result.assert_outcomes(passed=1)
        else:
            result.assert_outcomes(failed=1)
            result.stdout.fnmatch_lines([f"*{error}*"])
