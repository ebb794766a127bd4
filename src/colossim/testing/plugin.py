"""colossim's pytest plugin (entry point ``pytest11: colossim``): fixtures for policy tests.

Fixtures:

- ``colossim_scenario(source="small", overrides=(), policy=None)`` loads a scenario;
- ``run_policy(policy, scenario="small", seed=None, ...)`` runs one and returns the ``RunResult``;
- ``assert_invariants(result, complete=True)`` fails the test listing every broken invariant;
- ``policy_baseline(result, name=None, metrics=None, tolerances=None)`` compares summary metrics
  with a golden file and shows a diff table when they moved;
- ``colossim_policy`` is parametrised over every installed policy (built-in and entry-point), so
  a property written once covers third-party policies too.

Options: ``--colossim-update-baselines`` (rewrite golden files; tests pass) and
``--colossim-baseline-dir DIR`` (ini: ``colossim_baseline_dir``; default ``baselines/`` next to
the test file). The simulator is imported inside the fixtures, never when pytest loads the plugin.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

UPDATE_OPTION = "--colossim-update-baselines"
DIR_OPTION = "--colossim-baseline-dir"
INI_DIR = "colossim_baseline_dir"
_written = pytest.StashKey[list[str]]()
_writers = pytest.StashKey[dict[Path, str]]()  # baseline file -> the test that wrote it


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("colossim", "colossim policy regression")
    group.addoption(UPDATE_OPTION, action="store_true", default=False,
                    help="Rewrite colossim golden baseline files from this run (tests pass).")
    group.addoption(DIR_OPTION, default=None, metavar="DIR",
                    help="Folder of golden baseline files (default: baselines/ next to the test).")
    parser.addini(INI_DIR, help="Folder of colossim golden baselines, relative to the ini file.",
                  default="")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_written] = []
    config.stash[_writers] = {}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise ``colossim_policy`` over every installed policy unless the test chose some."""
    if "colossim_policy" not in metafunc.fixturenames:
        return
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0] if mark.args else mark.kwargs.get("argnames", "")
        if "colossim_policy" in (names.replace(" ", "").split(",") if isinstance(names, str)
                                 else names):
            return
    from colossim.policy.registry import available

    names = list(available())
    metafunc.parametrize("colossim_policy", names, ids=names, indirect=True)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    written = config.stash.get(_written, [])
    if written:
        terminalreporter.section("colossim baselines written (review before committing)")
        for line in written:
            terminalreporter.write_line(line)


@pytest.fixture
def colossim_policy(request: pytest.FixtureRequest) -> str:
    """The name of one installed policy (the test runs once per policy)."""
    return request.param


@pytest.fixture(scope="session")
def colossim_scenario() -> Callable[..., Any]:
    """``colossim_scenario(source="small", overrides=(), policy=None)`` → a frozen Scenario."""
    from colossim.testing.runner import load

    return load


@pytest.fixture(scope="session")
def run_policy() -> Callable[..., Any]:
    """``run_policy(policy, scenario="small", seed=None, overrides=(), params=None)`` →
    RunResult; the engine checks its invariants after every event."""
    from colossim.testing.runner import run_policy as run

    return run


@pytest.fixture(scope="session")
def assert_invariants() -> Callable[..., None]:
    """``assert_invariants(result, complete=True, valid_decisions=True,
    feasible_decisions=False)``: fail listing every broken invariant."""
    from colossim.testing.invariants import result_problems

    def check(result: Any, *, complete: bool = True, valid_decisions: bool = True,
              feasible_decisions: bool = False) -> None:
        __tracebackhide__ = True
        problems = result_problems(result, complete=complete, valid_decisions=valid_decisions,
                                   feasible_decisions=feasible_decisions)
        if problems:
            lines = "\n".join(f"  - {p}" for p in problems)
            raise AssertionError(
                f"{len(problems)} invariant(s) broken in {result.scenario} under "
                f"{result.policy} (seed {result.seed}):\n{lines}"
            )

    return check


@pytest.fixture
def colossim_baseline_dir(request: pytest.FixtureRequest) -> Path:
    """Where golden files live: the option, else the ini value, else ``baselines/`` by the test."""
    config = request.config
    option = config.getoption(DIR_OPTION)
    if option:
        return Path(option).resolve()
    ini = config.getini(INI_DIR)
    if ini:
        base = config.inipath.parent if config.inipath else config.rootpath
        return (base / ini).resolve()
    return request.path.parent / "baselines"


def _default_name(request: pytest.FixtureRequest) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")


@pytest.fixture
def policy_baseline(request: pytest.FixtureRequest, colossim_baseline_dir: Path) -> Callable:
    """``policy_baseline(result, name=None, metrics=None, tolerances=None)``.

    ``result`` is a RunResult (its summary metrics are taken) or a mapping of metric → number.
    ``metrics`` limits which are stored; ``tolerances`` maps a metric, a family (``jct_s``) or
    ``default`` to ``{"rel": r, "abs": a}``. The file is ``<dir>/<name>.json`` (or an existing
    ``.yaml``); ``name`` defaults to the test's name.
    """
    config = request.config

    def check(result: Any, name: str | None = None, *, metrics: Iterable[str] | None = None,
              tolerances: Mapping[str, Any] | None = None) -> None:
        __tracebackhide__ = True
        from colossim.testing import baseline as bl
        from colossim.testing.metrics import summary_metrics

        actual = dict(result) if isinstance(result, Mapping) else summary_metrics(result)
        if metrics is not None:
            wanted = list(metrics)
            unknown = [m for m in wanted if m not in actual]
            if unknown:
                raise KeyError(f"unknown metrics {unknown}; the run has {sorted(actual)}")
            actual = {m: actual[m] for m in wanted}
        path = bl.find(colossim_baseline_dir, name or _default_name(request))
        old = bl.read(path) if path.exists() else None
        tols = bl.parse_tolerances((old or {}).get("tolerances"))
        tols.update(bl.parse_tolerances(tolerances))
        tols.setdefault("default", bl.DEFAULT)
        if config.getoption(UPDATE_OPTION):
            _update(config, request, path, old, actual, tols, result)
            return
        if old is None:
            raise AssertionError(
                f"no colossim baseline {path}; run `pytest {UPDATE_OPTION}` to create it, "
                "then review the numbers and commit the file (see docs/testing.md)"
            )
        rows, new = bl.compare(old["metrics"], actual, tols)
        bad = [r for r in rows if not r.ok]
        if bad:
            title = (f"colossim baseline {path}: {len(bad)} of {len(rows)} metric(s) outside "
                     f"tolerance (if the change is intended, rerun with {UPDATE_OPTION})"
                     f"{_other_version(old)}")
            raise AssertionError(bl.diff_table(rows, title, new))

    return check


def _update(config: pytest.Config, request: pytest.FixtureRequest, path: Path,
            old: Mapping[str, Any] | None, actual: Mapping[str, Any],
            tols: Mapping[str, Any], result: Any) -> None:
    """Write the golden file, unless the numbers and tolerances are unchanged (keep its header)."""
    from colossim.metrics.export import atomic_write_text
    from colossim.testing import baseline as bl

    writers, node = config.stash[_writers], request.node.nodeid
    if path in writers:  # another test, or this one in a loop: the second would overwrite
        raise AssertionError(
            f"colossim baseline {path} was already written by {writers[path]} in this run: "
            "two results share its name; give each its own (e.g. name=f\"toy-{policy}\")")
    writers[path] = node
    if old is not None:
        rows, new = bl.compare(old["metrics"], actual, tols)
        same_tols = bl.parse_tolerances(old.get("tolerances")) == dict(tols)
        if all(r.ok for r in rows) and not new and same_tols:
            return
    about = {k: getattr(result, k) for k in ("scenario", "policy", "seed") if hasattr(result, k)}
    args = [_relative(arg, config.rootpath) for arg in config.invocation_params.args]
    command = shlex.join(["python", "-m", "pytest", *args])
    produced = bl.produced_header(command, request.node.nodeid, about)
    doc = bl.document(old, dict(actual), tols, produced)
    previous = path.read_text(encoding="utf-8") if old is not None else None  # its comments
    atomic_write_text(path, bl.dumps(path, doc, previous))
    reviewed = old is not None and "review" in old
    stale = " (its 'review' note was written for the old numbers)" if reviewed else ""
    config.stash[_written].append(f"{'updated' if old else 'created'} {path}{stale}")


def _relative(arg: str, root: Path) -> str:
    """A command-line path under the project's root, relative to it: the header then reads the
    same on every machine (other arguments as typed)."""
    head, sep, value = arg.partition("=") if arg.startswith("--") else ("", "", arg)
    path = Path(value)
    if path.is_absolute() and path.is_relative_to(root):
        value = str(path.relative_to(root)) or "."
    return f"{head}{sep}{value}"


def _other_version(old: Mapping[str, Any]) -> str:
    """A note when the file came from another colossim version: its model may have moved."""
    from colossim import __version__

    made_by = (old.get("produced") or {}).get("colossim")
    if made_by and made_by != __version__:
        return (f"; the file was written by colossim {made_by} and this is {__version__}: a "
                "model change between versions moves numbers too (docs/testing.md)")
    return ""
