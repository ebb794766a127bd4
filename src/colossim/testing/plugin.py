"""colossim's pytest plugin (entry point ``pytest11: colossim``): fixtures for policy tests.

Fixtures:

- ``colossim_scenario(source="small", overrides=(), policy=None)`` loads a scenario;
- ``run_policy(policy, scenario="small", seed=None, ...)`` runs one and returns the ``RunResult``;
- ``assert_invariants(result, complete=True)`` fails the test listing every broken invariant;
- ``policy_baseline(result, name=None, metrics=None, tolerances=None)`` compares summary metrics
  with a golden file and shows a diff table when they moved;
- ``colossim_policy`` is parametrised over every installed policy (built-in and entry-point), so
  a property written once covers third-party policies too; an entry point that cannot be used
  is a case that fails with the reason.

Options: ``--colossim-update-baselines`` (rewrite golden files; tests pass; refused under
pytest-xdist) and ``--colossim-baseline-dir DIR`` (ini: ``colossim_baseline_dir``; default
``baselines/`` next to the test file). The simulator is imported inside the fixtures, never when
pytest loads the plugin. Under pytest-xdist each worker hands its terminal-summary notices to the
controller, which prints them as a serial run does.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import pytest

UPDATE_OPTION = "--colossim-update-baselines"
DIR_OPTION = "--colossim-baseline-dir"
INI_DIR = "colossim_baseline_dir"
_writers = pytest.StashKey[dict[Path, str]]()  # baseline file -> the test that wrote it
_claims = pytest.StashKey[dict[Path, str]]()  # file -> the test whose default name it is
# the terminal summary's notices, by kind (``SUMMARY_TITLES``): "written" (files an update
# wrote), "unjudged" ("file: metrics the run has and the file lacks") and "unselected" ("file:
# metrics it has that metrics= left out")
_notices = pytest.StashKey[dict[str, list[str]]]()
WORKER_OUTPUT_KEY = "colossim_notices"  # an xdist worker's notices, in its ``workeroutput``
SUMMARY_TITLES = {  # kind of notice (``_notices``) -> its terminal-summary section's title
    "written": "colossim baselines written (review before committing)",
    "unjudged": f"colossim metrics not in their baseline, not compared ({UPDATE_OPTION} to "
                "record them)",
    "unselected": "colossim baseline metrics the test's metrics= leaves out, not compared "
                  f"(kept in the file until the next {UPDATE_OPTION})",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("colossim", "colossim policy regression")
    group.addoption(UPDATE_OPTION, action="store_true", default=False,
                    help="Rewrite colossim golden baseline files from this run (tests pass). "
                    "Name the tests (node ids or -k): without, every baseline that moved is "
                    "rewritten, regressions included. Refused under pytest-xdist (use -n 0).")
    group.addoption(DIR_OPTION, default=None, metavar="DIR",
                    help="Folder of golden baseline files (default: baselines/ next to the "
                    "test; a relative DIR is from the current directory, the ini key's from "
                    "the ini file).")
    parser.addini(INI_DIR, help="Folder of colossim golden baselines, relative to the ini file.",
                  default="")


def pytest_configure(config: pytest.Config) -> None:
    _refuse_distributed_update(config)
    config.stash[_writers] = {}
    config.stash[_claims] = {}
    config.stash[_notices] = {kind: [] for kind in SUMMARY_TITLES}


def _refuse_distributed_update(config: pytest.Config) -> None:
    """Refuse ``--colossim-update-baselines`` under pytest-xdist: the check that no two tests
    write one baseline file sees one process's tests only, so two workers writing one name both
    passed and the file kept whichever came last (QA)."""
    if config.getoption(UPDATE_OPTION) and _distributed(config):
        raise pytest.UsageError(
            f"{UPDATE_OPTION} cannot run under pytest-xdist (-n/--numprocesses, --dist): tests "
            "in separate worker processes could write one baseline file unseen, the last "
            "overwriting the others; run the update without -n (or with -n 0)")


def _distributed(config: pytest.Config) -> bool:
    """Whether tests run in pytest-xdist workers: this process is one (xdist gives a worker's
    config ``workerinput``), or is their controller (``-n N`` with N > 0, or ``--dist`` with
    ``--tx``, xdist's own test). Without xdist the options do not exist: not distributed."""
    if hasattr(config, "workerinput"):
        return True
    if config.getoption("numprocesses", None):
        return True
    return config.getoption("dist", "no") != "no" and bool(config.getoption("tx", None))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In an xdist worker, hand the notices to the controller (``workeroutput`` goes back to it
    when the worker finishes): a worker's terminal summary is never shown (QA: under ``-n 2``
    the notices vanished)."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        notices = session.config.stash.get(_notices, {})
        output[WORKER_OUTPUT_KEY] = {kind: list(lines) for kind, lines in notices.items()}


@pytest.hookimpl(optionalhook=True)  # xdist's hook: without xdist it is never called
def pytest_testnodedown(node: Any, error: object | None) -> None:
    """On the xdist controller, take a finished worker's notices for the terminal summary; a
    worker that crashed sent none."""
    notices = node.config.stash[_notices]
    sent = (getattr(node, "workeroutput", None) or {}).get(WORKER_OUTPUT_KEY, {})
    for kind, lines in sent.items():
        notices.setdefault(kind, []).extend(lines)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise ``colossim_policy`` over every installed policy unless the test, or a
    ``conftest.py`` fixture of that name, chose some."""
    if "colossim_policy" not in metafunc.fixturenames or _overridden(metafunc):
        return
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0] if mark.args else mark.kwargs.get("argnames", "")
        if "colossim_policy" in (names.replace(" ", "").split(",") if isinstance(names, str)
                                 else names):
            return
    metafunc.parametrize("colossim_policy", _policy_params(), indirect=True)


@dataclass(frozen=True)
class Unusable:
    """An installed policy entry point the registry could not use: the name it is installed
    by, and why. The fixture fails the test with the reason."""

    name: str
    why: str


def _policy_params() -> list[Any]:
    """Every usable installed policy, then a failing case for every entry point the registry
    skipped or could not tell apart: the CLI skips those with a warning, but in a test suite
    "every installed policy" going green without the author's own (its module fails to import)
    hides the failure (QA). A case's id is its name (``-entry-point`` added when a usable
    policy has the name, e.g. a plugin that takes a built-in's)."""
    from colossim.policy.registry import installed

    found = installed()
    usable = list(found.policies)
    params = [pytest.param(name, id=name) for name in usable]
    broken = [(name, f"policy entry point {name!r} is installed but cannot be used: {why}")
              for name, why in found.skipped.items()]
    broken += [(name, f"two installed policies are named {name!r} ({where}): neither can be "
                      "used by that name; uninstall one") for name, where in found.clashes.items()]
    for name, why in broken:
        case = name if name not in usable else f"{name}-entry-point"
        params.append(pytest.param(Unusable(name, why), id=case))
    return sorted(params, key=lambda param: param.id)


def _overridden(metafunc: pytest.Metafunc) -> bool:
    """Whether the ``colossim_policy`` fixture the test gets is a project's own that does not
    use this one (e.g. ``@pytest.fixture(params=[...])`` in a conftest.py): parametrising it
    too failed collection with "duplicate parametrization"."""
    definitions = getattr(metafunc, "_arg2fixturedefs", {}).get("colossim_policy", ())
    if not definitions:
        return False
    closest = definitions[-1]
    return closest.func is not colossim_policy_fixture and (
        closest.params is not None or "colossim_policy" not in closest.argnames)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    notices = config.stash.get(_notices, {})
    for kind, title in SUMMARY_TITLES.items():
        lines = list(dict.fromkeys(notices.get(kind, [])))  # a rerun notes the same again
        if lines:
            terminalreporter.section(title)
            for line in lines:
                terminalreporter.write_line(line)


def colossim_policy_fixture(request: pytest.FixtureRequest) -> str:
    """The name of one installed policy (the test runs once per policy); an entry point that
    cannot be used fails the test with the reason."""
    if isinstance(request.param, Unusable):
        pytest.fail(request.param.why, pytrace=False)
    return request.param


colossim_policy = pytest.fixture(colossim_policy_fixture, name="colossim_policy")


@pytest.fixture(scope="session")
def colossim_scenario() -> Callable[..., Any]:
    """``colossim_scenario(source="small", overrides=(), policy=None)`` → a frozen Scenario."""
    from colossim.testing.runner import load

    return load


@pytest.fixture(scope="session")
def run_policy() -> Callable[..., Any]:
    """``run_policy(policy, scenario="small", seed=None, overrides=(), params=None)`` →
    RunResult; the engine checks its invariants after every event, and a run that makes no
    progress fails as starved (``starvation_guard=False`` lets it go on)."""
    from colossim.errors import ConfigError, PolicyError
    from colossim.testing.runner import run_policy as run

    @functools.wraps(run)
    def run_or_fail(*args: Any, **kwargs: Any) -> Any:
        """A mistake in the call (a misspelt scenario, policy or override) fails the test with
        the message alone, as ``policy_baseline``'s do (QA: it came after ~50 lines of
        colossim's source), raised outside the ``except`` as they are (QA: raised inside it,
        the message printed twice, joined by "During handling of the above exception"); a
        policy that raises keeps its traceback, into the policy."""
        __tracebackhide__ = True
        try:
            return run(*args, **kwargs)
        except (ConfigError, PolicyError) as exc:
            problem = f"run_policy: {exc}"
        pytest.fail(problem, pytrace=False)

    return run_or_fail


@pytest.fixture(scope="session")
def assert_invariants() -> Callable[..., None]:
    """``assert_invariants(result, complete=True, valid_decisions=True,
    feasible_decisions=False)``: fail listing every broken invariant (``feasible_decisions``
    True, or ``"gpus"`` to allow refusals for power)."""
    from colossim.testing.invariants import problem_count, result_problems

    def check(result: Any, *, complete: bool = True, valid_decisions: bool = True,
              feasible_decisions: bool | Literal["gpus"] = False) -> None:
        __tracebackhide__ = True
        problems = result_problems(result, complete=complete, valid_decisions=valid_decisions,
                                   feasible_decisions=feasible_decisions)
        if problems:
            lines = "\n".join(f"  - {p}" for p in problems)
            raise AssertionError(
                f"{problem_count(problems)} problem(s) (broken invariants, refused actions, "
                f"unfinished jobs) in {result.scenario} under {result.policy} (seed "
                f"{result.seed}):\n{lines}"
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

        every = _result_metrics(result)
        path = bl.find(colossim_baseline_dir, name or _default_name(request))
        old = _read(path)
        stored = dict(old["metrics"]) if old is not None else {}
        actual = _chosen_metrics(every, metrics, stored)
        given = _given_tolerances(tolerances, every)
        if name is None:
            _claim_default_name(config, request, path, old)
        if config.getoption(UPDATE_OPTION):
            _update(config, request, path, old, actual, given, result)
            return
        if old is None:
            raise AssertionError(
                f"no colossim baseline {path}; create it with {_update_command(request)}, "
                "then review the numbers and commit the file (see colossim's docs/testing.md)"
            )
        tols = {**_file_tolerances(path, old, {**every, **stored}), **given}
        _named_but_not_stored(path, metrics, stored, actual, request)
        unselected = [m for m in stored if m not in actual and m in every]
        if unselected:  # the test narrowed metrics=: they did not go missing from the run (QA)
            config.stash[_notices]["unselected"].append(f"{path}: {', '.join(unselected)}")
            stored = {m: v for m, v in stored.items() if m not in unselected}
        rows, new = bl.compare(stored, actual, tols)
        if new:
            config.stash[_notices]["unjudged"].append(f"{path}: {', '.join(new)}")
        bad = [r for r in rows if not r.ok]
        if bad:
            title = (f"colossim baseline {path}: {len(bad)} of {len(rows)} metric(s) outside "
                     f"tolerance (if the change is intended, update it with "
                     f"{_update_command(request)}, then review the numbers and commit the "
                     f"file){_other_version(old)}{_other_run(old, result)}")
            raise AssertionError(bl.diff_table(rows, title, new))

    return check


def _update_command(request: pytest.FixtureRequest) -> str:
    """The command that re-records this test's baseline alone, as typed where pytest was run:
    with the test's node id, since a bare ``--colossim-update-baselines`` rewrites every
    baseline that moved, regressions included (QA)."""
    config = request.config
    node = shlex.quote(_node_arg(config, request.node.nodeid, request.path))
    serial = " -n 0" if _distributed(config) else ""  # refused under xdist (addopts' -n)
    return f"`python -m pytest {node}{serial} {UPDATE_OPTION}`"


def _node_arg(config: pytest.Config, nodeid: str, file_path: Path | None = None) -> str:
    """The node id as typed where pytest was run: its file (``file_path``, the test's own,
    else the node id's, relative to the rootdir) from that directory. With ``--rootdir``
    elsewhere the node id's file part is relative to that other folder (QA: the suggested
    command named a file that did not exist)."""
    file, colons, rest = nodeid.partition("::")
    here, root = config.invocation_params.dir.resolve(), config.rootpath.resolve()
    full = file_path.resolve() if file_path is not None else root / file
    if not file and file_path is None:
        return nodeid
    if full == root / file and here == root:
        return nodeid
    return f"{Path(os.path.relpath(full, here)).as_posix()}{colons}{rest}"


def _result_metrics(result: Any) -> dict[str, Any]:
    """The run's summary metrics, or the test's own mapping."""
    from colossim.testing.metrics import summary_metrics

    return dict(result) if isinstance(result, Mapping) else summary_metrics(result)


def _chosen_metrics(every: Mapping[str, Any], metrics: Iterable[str] | None,
                    stored: Mapping[str, Any] = MappingProxyType({})) -> dict[str, Any]:
    """The result's metrics as plain numbers, limited to ``metrics`` when given. A name the
    run lacks is a slip of the test unless the baseline ``stored`` it: then the run lost it
    (``ettr.<job>`` of a job that never started, ``deadlines_met`` with none decided), which
    the comparison shows as missing and an update can record (QA: it failed as a typo).

    A failure here (and in the helpers below) is raised outside the ``except`` that caught its
    cause: raised inside it, pytest printed the message twice, joined by "During handling of
    the above exception, another exception occurred"."""
    __tracebackhide__ = True
    from colossim.testing.baseline import plain_metrics

    actual = dict(every)
    if metrics is not None:
        wanted = [metrics] if isinstance(metrics, str) else list(metrics)
        if not wanted:  # QA: a baseline of nothing passed whatever the policy did
            pytest.fail("policy_baseline(metrics=[]): no metric to store; leave metrics out "
                        "for the defaults", pytrace=False)
        unknown = [m for m in wanted if m not in actual and m not in stored]
        if unknown:
            pytest.fail(f"policy_baseline(metrics=...): {_unknown_names(unknown, actual)} "
                        f"{'is not a metric' if len(unknown) == 1 else 'are not metrics'} of "
                        f"the result; it has: {', '.join(sorted(actual))}", pytrace=False)
        actual = {m: actual[m] for m in wanted if m in actual}
    try:
        return plain_metrics(actual)
    except TypeError as exc:
        problem = f"policy_baseline: {exc}"
    pytest.fail(problem, pytrace=False)


def _unknown_names(unknown: Iterable[str], known: Iterable[str]) -> str:
    """``'mean_jct' (did you mean 'mean_jct_s'?), 'x'``: each unknown name, with the known
    names closest to it."""
    import difflib

    known = sorted(known)
    said = []
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
        said.append(f"{name!r}{hint}")
    return ", ".join(said)


def _read(path: Path) -> dict[str, Any] | None:
    """The golden file, or None when there is none; one it cannot use fails the test with the
    reason and the file's name (not a traceback into colossim)."""
    __tracebackhide__ = True
    from colossim.testing.baseline import read

    if not path.exists():
        return None
    try:
        return read(path)
    except ValueError as exc:
        problem = str(exc)
    pytest.fail(problem, pytrace=False)


def _given_tolerances(tolerances: Mapping[str, Any] | None,
                      every: Mapping[str, Any]) -> dict[str, Any]:
    """The test's tolerances; one for a key that is neither a metric of the result, a family
    of one (``jct_s``, the part before the first '.') nor ``default`` fails the test: a typo
    (``makespan`` for ``makespan_s``) would be written into the file and loosen nothing."""
    __tracebackhide__ = True
    from colossim.testing.baseline import parse_tolerances

    try:
        given = parse_tolerances(tolerances)
    except ValueError as exc:
        problem = f"policy_baseline(tolerances=...): {exc}"
    else:
        problem = _unknown_tolerances(given, every)
        if problem is None:
            return given
        problem = f"policy_baseline(tolerances=...): {problem}"
    pytest.fail(problem, pytrace=False)


def _file_tolerances(path: Path, old: Mapping[str, Any],
                     known: Mapping[str, Any]) -> dict[str, Any]:
    """The file's tolerances (``read`` checked their shape), held to the test's rule on their
    keys: a key typed by hand (``makespan`` for ``makespan_s``) loosened nothing, silently
    (QA), where the same slip in the test fails."""
    __tracebackhide__ = True
    from colossim.testing.baseline import parse_tolerances

    tols = parse_tolerances(old.get("tolerances"))
    problem = _unknown_tolerances(tols, known)
    if problem is None:
        return tols
    pytest.fail(f"colossim baseline {path}: 'tolerances': {problem}", pytrace=False)


def _unknown_tolerances(tols: Mapping[str, Any], every: Iterable[str]) -> str | None:
    """What is wrong with tolerance keys that are neither a metric of ``every``, a family of
    one nor ``default``, or None when all are."""
    known = {*every, *(metric.split(".")[0] for metric in every), "default"}
    unknown = [key for key in tols if key not in known]
    if not unknown:
        return None
    families = sorted({metric.split(".")[0] for metric in known if "." in metric})
    return (f"{_unknown_names(unknown, known)} {'is' if len(unknown) == 1 else 'are'} neither "
            "a metric of the result, a family of one (the part before the first '.') nor "
            f"'default'; families: {', '.join(families) or '(none)'}")


def _named_but_not_stored(path: Path, metrics: Iterable[str] | None, stored: Mapping[str, Any],
                          actual: Mapping[str, Any], request: pytest.FixtureRequest) -> None:
    """Fail when the file holds no metric at all, or lacks one the test names in ``metrics=``:
    a hand edit or a bad merge that dropped them turned the golden test into one that judged
    nothing and passed (QA). A metric the run has and neither names is still only listed (a
    newer colossim's metrics against an older file)."""
    __tracebackhide__ = True
    named = [] if metrics is None else [metrics] if isinstance(metrics, str) else list(metrics)
    lacking = [m for m in named if m in actual and m not in stored]
    if stored and not lacking:
        return
    what = (f"lacks {', '.join(map(repr, lacking))}, which the test names in metrics="
            if stored else "holds no metrics, so it would judge nothing")
    pytest.fail(f"colossim baseline {path} {what}; if that is meant, record them with "
                f"{_update_command(request)} and review the file", pytrace=False)


def _claim_default_name(config: pytest.Config, request: pytest.FixtureRequest, path: Path,
                        old: Mapping[str, Any] | None) -> None:
    """Fail when two tests resolve to one file by their default name (the test function's name
    and parameters, without its file or class, which tests in two files, or two classes of one,
    can share): each would be judged by, or overwrite, the other's. The file belongs to the
    test its header names, while that test is still there; else to the first of them this
    session ran (QA: run second, the header's own test was told to take another name)."""
    __tracebackhide__ = True
    node = request.node.nodeid
    first = config.stash[_claims].setdefault(path, node)  # earlier in this session
    made_by = (old.get("produced") or {}).get("test") if old is not None else None
    other = first
    if made_by == node:
        other = node
    elif isinstance(made_by, str) and _still_there(config.rootpath, made_by, request.path, node):
        other = made_by
    if other != node:
        pytest.fail(
            f"colossim baseline {path} belongs to {other}, and {node} resolves to it too: "
            f"{_why_shared(other, node, path.stem)}. Give this test a name of its own: "
            "policy_baseline(result, \"name\")", pytrace=False)


def _parts(node: str) -> tuple[str, str, str]:
    """A node id's file, ``Class::function`` path and parameter id (``[...]`` stripped)."""
    file, _, rest = node.partition("::")
    qualified, bracket, params = rest.partition("[")
    return file, qualified, params[:-1] if bracket else ""


def _why_shared(other: str, node: str, name: str) -> str:
    """Why two tests' default names are one: what the name leaves out, or sanitises alike."""
    (file_a, qual_a, ids_a), (file_b, qual_b, ids_b) = _parts(other), _parts(node)
    if file_a != file_b:
        return "the default name is the test function's name, which both have"
    if qual_a != qual_b:
        return ("the default name is the test function's name, without its class, which "
                "both have")
    return (f"their parameter ids {ids_a!r} and {ids_b!r} sanitise alike to {name!r} (the "
            "default name keeps letters, digits, '_', '.' and '-', and turns any other run of "
            "characters into one '-')")


def _still_there(root: Path, test: str, here: Path, node: str) -> bool:
    """Whether ``test`` (a node id from a file's header) is another test that still exists: its
    file, under the root, still defines it, and it is not ``node``'s function (a test moved to
    another file, or its class renamed, keeps its baseline; so does another parameter case of
    this test, whose ids may have been renamed)."""
    file, qualified, _ = _parts(test)
    other = (root / file).resolve()
    if not qualified or not other.is_file():
        return False
    if other == here.resolve() and qualified == _parts(node)[1]:
        return False
    return _defines(other, qualified.split("::"))


def _defines(file: Path, path: list[str]) -> bool:
    """Whether the Python ``file`` defines ``path`` (``["TestA", "test_x"]``): classes nested as
    given, the function in the last one or in a base class the file defines (one it imports
    may define it: taken as yes)."""
    import ast

    text = file.read_text(encoding="utf-8", errors="replace")
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return f"def {path[-1]}(" in text
    top = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    body: list[ast.stmt] = tree.body
    owner: ast.ClassDef | None = None
    for name in path[:-1]:
        owner = next((n for n in body if isinstance(n, ast.ClassDef) and n.name == name), None)
        if owner is None:
            return False
        body = owner.body
    if owner is None:
        return _binds(body, path[-1])
    return _has_method(owner, path[-1], top, set())


def _binds(body: list[Any], name: str) -> bool:
    """Whether a module or class body defines or assigns ``name`` at its level, including
    under ``if``/``try``/``with`` (a test defined for some versions only) and as an annotated
    assignment (review: such tests read as gone, and a real collision passed)."""
    import ast

    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return True
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return True
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                and node.target.id == name:
            return True
        nested = [getattr(node, part, []) for part in ("body", "orelse", "finalbody")]
        nested += [h.body for h in getattr(node, "handlers", [])]
        if isinstance(node, ast.If | ast.Try | ast.With) and any(
                _binds(block, name) for block in nested):
            return True
    return False


def _has_method(cls: Any, name: str, top: Mapping[str, Any], seen: set[str]) -> bool:
    import ast

    if _binds(cls.body, name):
        return True
    seen.add(cls.name)
    for base in cls.bases:  # only bases the file defines count, as docs/testing.md §9 says:
        # an imported base (a shared mixin of policy checks) was taken to define every test,
        # and a test moved out of its class was refused (review)
        if isinstance(base, ast.Name) and base.id in top and base.id not in seen \
                and _has_method(top[base.id], name, top, seen):
            return True
    return False


def _update(config: pytest.Config, request: pytest.FixtureRequest, path: Path,
            old: Mapping[str, Any] | None, actual: Mapping[str, Any],
            given: Mapping[str, Any], result: Any) -> None:
    """Write the golden file, unless its numbers and tolerances are unchanged (keep its header).

    The file's tolerances become exactly the test's (``default`` filled in): a tolerance the
    test stopped giving must not go on loosening the comparison unseen."""
    __tracebackhide__ = True
    from colossim.testing import baseline as bl

    writers, node = config.stash[_writers], request.node.nodeid
    writer = writers.get(path)  # (node id, the test's request): a rerun (pytest-rerunfailures)
    if writer is not None and (writer[0] != node or writer[1] is request):  # is a new request
        # another test, or this one in a loop: the second would overwrite the first
        raise AssertionError(
            f"colossim baseline {path} was already written by {writer[0]} in this run: "
            "two results share its name; give each its own (e.g. name=f\"toy-{policy}\")")
    writers[path] = (node, request)
    tols = {"default": bl.DEFAULT, **given}
    old_tols = bl.parse_tolerances((old or {}).get("tolerances"))
    moved = False  # a number the file stores, and the run still has, changes in the file
    if old is not None:
        rows, new = bl.compare(old["metrics"], actual, tols)
        if all(r.ok for r in rows) and not new and old_tols == tols:
            return
        exact, _ = bl.compare(old["metrics"], actual, {"default": bl.Tolerance(0.0, 0.0)})
        moved = any(not r.ok and r.actual is not bl.MISSING for r in exact)
    about = {k: getattr(result, k) for k in ("scenario", "policy", "seed") if hasattr(result, k)}
    args = _replayable(config.invocation_params.args, config.invocation_params.dir,
                       config.rootpath)
    command = shlex.join(["python", "-m", "pytest", *args])
    produced = bl.produced_header(command, request.node.nodeid, about)
    doc = bl.document(old, dict(actual), tols, produced)
    previous = path.read_text(encoding="utf-8-sig") if old is not None else None  # comments
    _write(path, bl.dumps(path, doc, previous), previous)
    # the note is stale only when a number it vouched for changed, not when metrics were only
    # added or dropped (or tolerances replaced: named below) (QA)
    stale = (" (its 'review' note was written for the old numbers)"
             if moved and "review" in (old or {}) else "")
    config.stash[_notices]["written"].append(
        f"{'updated' if old else 'created'} {path}{stale}{_replaced(old_tols, tols)}")


def _write(path: Path, text: str, previous: str | None) -> None:
    """Write a baseline as its file was: through a symbolic link (a golden file shared between
    folders: the link was replaced by a file and the shared one kept its stale numbers), with
    its line endings (a CRLF file came back LF, every line a change). A file or folder that
    cannot be written fails the test with its name and why, not a traceback into colossim
    (QA: a read-only checkout named a hidden temporary file)."""
    __tracebackhide__ = True
    from colossim.metrics.export import atomic_write_text

    if previous is not None and b"\r\n" in path.read_bytes():  # read_text made them "\n"
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    try:
        atomic_write_text(path.resolve() if path.is_symlink() else path, text)
    except OSError as exc:
        pytest.fail(f"cannot write colossim baseline {path}: {exc.strerror or exc} (is the "
                    "file or its folder read-only?)", pytrace=False)


def _replaced(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """The file's tolerances an update replaced by the test's, named in the summary."""
    gone = [f"{metric} ({tol})" for metric, tol in sorted(old.items()) if new.get(metric) != tol]
    return f" (tolerances now the test's; replaced: {', '.join(gone)})" if gone else ""


# options whose value is a path (given as ``--opt=value`` or as the next argument)
PATH_OPTIONS = (DIR_OPTION, "--rootdir", "-c", "--config-file", "--confcutdir", "--basetemp")


# options that choose or order tests for one run only, left out of the recorded command (QA:
# "--lf" recorded a command that replays nothing); the second set takes a value
RUN_ONLY = ("--lf", "--last-failed", "--ff", "--failed-first", "--nf", "--new-first", "--sw",
            "--stepwise", "--sw-skip", "--stepwise-skip")
RUN_ONLY_VALUED = ("--randomly-seed", "--reruns", "--reruns-delay")


def _replayable(args: Iterable[str], here: Path, root: Path) -> list[str]:
    """The command line as it would be typed at the project's root: a path (a test file, a node
    id, a path option's value) relative to the root, whatever directory pytest ran in, so the
    header replays from one known place and reads the same on every machine; options for one
    run only (``RUN_ONLY``) left out."""
    args, kept = list(args), []
    for i, arg in enumerate(args):
        if arg in RUN_ONLY or arg.partition("=")[0] in RUN_ONLY_VALUED or \
                (i > 0 and args[i - 1] in RUN_ONLY_VALUED):
            continue
        kept.append(_arg_from_root(arg, here, root, i > 0 and args[i - 1] in PATH_OPTIONS))
    return kept


def _arg_from_root(arg: str, here: Path, root: Path, is_path: bool) -> str:
    if not arg.startswith("-") or is_path:
        return _path_from_root(arg, here, root, is_path)
    head, sep, value = arg.partition("=")
    if not sep:
        return arg
    return f"{head}={_path_from_root(value, here, root, head in PATH_OPTIONS)}"


def _path_from_root(value: str, here: Path, root: Path, is_path: bool) -> str:
    """``value`` relative to ``root`` if it names a path (``is_path``, or it exists from
    ``here``), keeping a node id's ``::test`` part; anything else as typed."""
    file, colons, rest = value.partition("::")
    typed = Path(file)
    full = typed if typed.is_absolute() else here / typed
    if not file or not (is_path or full.exists()):
        return value
    full, root = full.resolve(), root.resolve()
    if full.is_relative_to(root):
        return f"{full.relative_to(root).as_posix() or '.'}{colons}{rest}"
    if typed.is_absolute():  # outside the project: as typed
        return value
    return f"{Path(os.path.relpath(full, root)).as_posix()}{colons}{rest}"


def _other_version(old: Mapping[str, Any]) -> str:
    """A note when the file came from another colossim version: its model may have moved."""
    from colossim import __version__

    made_by = (old.get("produced") or {}).get("colossim")
    if made_by and made_by != __version__:
        return (f"; the file was written by colossim {made_by} and this is {__version__}: a "
                "model change between versions moves numbers too (colossim's docs/testing.md)")
    return ""


def _same_policy(a: Any, b: Any) -> bool:
    """Do two policy labels name one class? A policy given as ``module:Class`` is labelled by
    that path, and the same class installed under an entry point by its name (QA: a baseline
    made before a policy was packaged asked "another run?" of the same policy)."""
    from colossim.policy.registry import policy_class

    try:
        return policy_class(str(a)) is policy_class(str(b))
    except Exception:  # a label no longer installed, or not a policy: only the text can tell
        return False


def _other_run(old: Mapping[str, Any], result: Any) -> str:
    """A note when the file's header records another scenario, policy or seed than this run's:
    the test may be judging its result by another run's baseline."""
    made = old.get("produced") or {}
    keys = [k for k in ("scenario", "policy", "seed") if k in made and hasattr(result, k)]
    if all(made[k] == getattr(result, k) or (k == "policy" and _same_policy(made[k], result.policy))
           for k in keys):
        return ""
    file = ", ".join(f"{k} {made[k]!r}" for k in keys)
    run = ", ".join(f"{k} {getattr(result, k)!r}" for k in keys)
    return (f"; the file was produced by a run of {file}, and this is a run of {run}: "
            "is it the baseline of another run?")
