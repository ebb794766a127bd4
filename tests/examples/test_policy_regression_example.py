"""examples/policy_regression works as docs/testing.md says: its suite passes as shipped, fails
with a diff table when the policy gets worse, and passes again after --colossim-update-baselines.

The example is "installed" the way pip would make it visible, without pip or a network: a copy
of it, plus a ``.dist-info`` folder carrying its entry points on ``PYTHONPATH``, so colossim's
registry finds the toy policy through the ``colossim.policies`` entry point. Each run is a
separate pytest process, as an author would run it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "policy_regression"


def fake_install(project: Path, site: Path) -> None:
    """What ``pip install`` leaves for importlib.metadata: METADATA and entry_points.txt."""
    meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    info = site / f"{meta['name'].replace('-', '_')}-{meta['version']}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {meta['name']}\nVersion: {meta['version']}\n")
    lines = []
    for group, points in meta["entry-points"].items():
        lines.append(f"[{group}]")
        lines += [f"{name} = {target}" for name, target in points.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    copy = tmp_path / "policy_regression"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    fake_install(copy, tmp_path / "site")
    return copy


def pytest_in(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(project.parent / "site"), str(project / "src"), os.environ.get("PYTHONPATH", "")])}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p",
               "no:hypothesispytest", "-v", *args]
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def test_the_example_passes_fails_when_worse_and_passes_after_update(project):
    shipped = pytest_in(project)
    assert shipped.returncode == 0, shipped.stdout[-3000:]
    # the third-party policy is covered by colossim_policy without listing it anywhere
    assert "test_every_installed_policy_keeps_every_invariant[shortest-first-0] PASSED" in (
        shipped.stdout)
    assert "test_every_installed_policy_keeps_every_invariant[fifo-0] PASSED" in shipped.stdout
    # its property tests draw scenarios from colossim.testing.strategies
    for name in ("test_never_breaks_an_invariant_nor_asks_for_busy_gpus",
                 "test_every_job_finishes_no_sooner_than_the_cluster_allows"):
        assert f"test_toy_properties.py::{name} PASSED" in shipped.stdout

    policy = project / "src" / "toy_policy" / "__init__.py"
    policy.write_text(policy.read_text().replace("return job.remaining_work",
                                                 "return -job.remaining_work"))
    worse = pytest_in(project, "-k", "baseline")
    assert worse.returncode == 1
    # longest first: long 0-7,200, mid -10,800, short -12,600: mean JCT 10,200 s, was 6,600 s
    row = next(line for line in worse.stdout.splitlines()
               if line.lstrip("E ").startswith("mean_jct_s "))
    assert row.split()[2:6] == ["6600", "10200", "+3600", "+54.55%"]
    assert row.endswith("FAIL (worse)")

    updated = pytest_in(project, "-k", "baseline", "--colossim-update-baselines")
    assert updated.returncode == 0, updated.stdout[-3000:]
    assert "updated" in updated.stdout and "toy-shortest-first.json" in updated.stdout
    assert pytest_in(project, "-k", "baseline").returncode == 0


def test_the_tutorials_pyproject_is_a_complete_installable_file():
    # QA: docs/testing.md §2 showed only the entry-point table, which pip cannot install
    # (no [build-system], no project name or version)
    doc = (EXAMPLE.parents[1] / "docs" / "testing.md").read_text()
    section = doc[doc.index("## 2. Write a policy"):doc.index("## 3.")]
    block = section[section.index("```toml\n") + 8:]
    shown = tomllib.loads(block[:block.index("```")])
    example = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())
    assert shown["build-system"] == example["build-system"]
    assert shown["project"]["name"] and shown["project"]["version"]  # what pip requires
    assert shown["project"]["entry-points"] == example["project"]["entry-points"]
    assert shown["tool"]["hatch"] == example["tool"]["hatch"]  # the src/ layout of §2
