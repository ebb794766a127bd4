"""Which code made a run: a digest of colossim's own files and of the policy's source files.

A run's id hashes its scenario and seed only, so a run stored by an older colossim, or by an
earlier version of a plugin policy, has the same id as the run the current code would make.
Each record therefore carries the digest of the code that made it (``build``), and ``--resume``
counts a stored run as done only when its build is the current one: a resumed study never mixes
two versions of the model in one table (QA: a fixed plugin policy was resumed over its buggy
runs, and the table kept their numbers).

What is hashed: every source and data file of the ``colossim`` package (``.py`` and the built-in
scenarios), and, for a policy class that lives outside the package (a plugin or a
``module:Class`` path), the file that defines it or, when that file is part of a package,
every ``.py`` file of its top-level package (QA: a plugin that moved its ranking into a helper
module of its own package was resumed over runs of the old helper). Code a plugin imports from
other packages is not covered (a documented limit: rerun without ``--resume`` after changing it).
"""

from __future__ import annotations

import functools
import hashlib
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from colossim.config.schema import Scenario

if TYPE_CHECKING:
    from colossim.sweep.expand import Run

HASHED = (".py", ".yaml", ".yml", ".json", ".csv")  # what the package's behaviour comes from
PACKAGE = Path(__file__).resolve().parents[1]


@functools.cache
def package_digest() -> str:
    """SHA-256 of the package's files, by path relative to the package (the same for an
    editable and a regular install of the same code). Once per process, ~5 ms, before a local
    pool forks (``task.warm_up``), so it is what the process imported at its start, not what
    the files became since."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*")):
        if path.suffix in HASHED and "__pycache__" not in path.parts and path.is_file():
            digest.update(path.relative_to(PACKAGE).as_posix().encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


@functools.cache
def _policy_files(name: str) -> tuple[tuple[str, Path], ...]:
    """The files of policy ``name`` when it is outside the package, each with its name inside
    its package (the same on every machine of a cluster): its module's file, or every ``.py``
    file of its top-level package; none for a built-in policy, or one that cannot be looked up
    (the run fails and says why)."""
    from colossim.policy.registry import policy_class

    try:
        cls = policy_class(name)
    except Exception:  # an unknown or broken policy: the run itself reports it
        return ()
    file = getattr(sys.modules.get(cls.__module__), "__file__", None)
    if file is None or Path(file).resolve().is_relative_to(PACKAGE):
        return ()
    top = sys.modules.get(cls.__module__.partition(".")[0])
    folders = [Path(folder).resolve() for folder in getattr(top, "__path__", ())]
    if not folders:  # a module of its own (my_policies.py): the file alone
        return ((Path(file).name, Path(file).resolve()),)
    return tuple(sorted((path.relative_to(folder).as_posix(), path) for folder in folders
                        for path in folder.rglob("*.py")
                        if "__pycache__" not in path.parts and path.is_file()))


@functools.cache
def _file_digest(path: Path) -> str:
    """The file's digest as this process first reads it, and then for good: the code a process
    runs is what it imported, so a policy file edited during a sweep must not lend its new
    digest to runs the old code still makes (review). The sweep asks before its local workers
    fork (``LocalExecutor``), so they share the parent's reading; other workers read at their
    first run, right after importing the policy."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "unreadable"


def build_of(scenario: Scenario) -> str:
    """The build that makes ``scenario``'s run: 16 hex digits of colossim's digest and, for a
    policy defined outside colossim, its files' (``_policy_files``)."""
    digest = hashlib.sha256(package_digest().encode())
    files = _policy_files(scenario.scheduler.policy.name)
    if len(files) == 1:  # a module of its own: as builds before packages were hashed whole
        digest.update(_file_digest(files[0][1]).encode())
    for relative, path in files if len(files) > 1 else ():
        digest.update(relative.encode() + b"\0" + _file_digest(path).encode())
    return digest.hexdigest()[:16]


def builds(runs: Iterable[Run]) -> dict[str, str]:
    """Each run's build by run id (what ``Store.finished`` checks stored runs against)."""
    return {run.run_id: build_of(run.scenario) for run in runs}


__all__ = ["build_of", "builds", "package_digest"]
