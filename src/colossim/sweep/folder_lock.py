"""One sweep at a time writes into an output folder.

A second sweep into the same folder (a ``--resume`` started while the first still runs)
simulated every run again and appended to the same log (QA: 29 runs made for 16). The lock is
the system's advisory lock (``flock``) on ``DIR/.sweep.lock``, which goes with its process, so a
killed sweep never leaves its folder locked. It is held from the first run to the last table
(``colossim sweep`` holds it around the runs and the outputs; ``Store`` around the runs), and a
process may take it again while it holds it. Forked children (pool workers) close their copy at
once, so the lock never outlives the sweep that took it. Where there are no such locks
(Windows), nothing is guarded.

A folder the lock created is removed again if nothing but the lock went into it: a sweep that
could not start (a Ray cluster out of reach) left an empty output folder behind (QA).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from colossim.errors import ColossimError

LOCK = ".sweep.lock"

_HELD: dict[Path, tuple[IO[str], int]] = {}  # folders this process holds, and how many times
_CREATED: dict[Path, int] = {}  # held folders the lock created: how many of their folders


def acquire(folder: Path) -> Path:
    """Take the folder's lock (creating the folder), or refuse: another process holds it.
    Returns the folder's resolved path: release by it, as a relative path may mean another
    folder by then (a notebook or a test changes the working directory: review)."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ColossimError(f"cannot write results to {folder}: it is a file, not a folder")
    try:
        created = _missing(folder.resolve())
        folder.mkdir(parents=True, exist_ok=True)
        key = folder.resolve()
        if key in _HELD:
            handle, count = _HELD[key]
            _HELD[key] = (handle, count + 1)
            return key
        handle = _locked(folder)
    except OSError as exc:  # a folder that cannot be written
        raise ColossimError(f"cannot write results to {folder}: {exc.strerror or exc}") from exc
    if handle is not None:
        _HELD[key] = (handle, 1)
        if created:
            _CREATED[key] = created
    return key


def release(key: Path) -> None:
    """Give back one hold of the folder's lock (``key``: what ``acquire`` returned); the last
    one lets it go."""
    if key not in _HELD:
        return
    handle, count = _HELD.pop(key)
    if count > 1:
        _HELD[key] = (handle, count - 1)
    else:
        if key in _CREATED:
            _remove_if_unused(key, _CREATED.pop(key))
        handle.close()  # closing the file releases its lock


def _missing(folder: Path) -> int:
    """How many folders of ``folder``'s path (itself, then its parents) do not exist yet."""
    return next(n for n, path in enumerate((folder, *folder.parents)) if path.exists())


def _remove_if_unused(folder: Path, created: int) -> None:
    """Remove a folder the lock created, and the parents it created, if the lock file is all
    they hold (while still locked, so no other sweep has started writing into it)."""
    with contextlib.suppress(OSError):
        if [entry.name for entry in folder.iterdir()] == [LOCK]:
            (folder / LOCK).unlink()
            for path in (folder, *folder.parents)[:created]:
                path.rmdir()  # an OSError (a folder something else wrote into) stops here


@contextlib.contextmanager
def held(folder: Path) -> Iterator[None]:
    """The folder's lock for the block."""
    key = acquire(folder)
    try:
        yield
    finally:
        release(key)


def _locked(folder: Path) -> IO[str] | None:
    """The open lock file, locked with our process id in it; None where there is no flock."""
    try:
        import fcntl
    except ImportError:
        return None
    handle = (folder / LOCK).open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip()
        handle.close()
        who = f" (process {holder})" if holder.isdigit() else ""
        raise ColossimError(f"{folder}: another sweep is writing into this folder{who}: wait "
                            "for it to end, or choose another --out") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def _forget_in_child() -> None:
    """A forked child drops its copies of the held lock files: the lock is the parent's, and
    a worker that outlived the sweep's ``release`` kept the folder locked (review)."""
    for handle, _count in _HELD.values():
        handle.close()
    _HELD.clear()
    _CREATED.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)
