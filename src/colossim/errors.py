"""The exceptions colossim raises on purpose.

Every error a user can cause is a ``ColossimError``; the CLI turns those into a message and an exit
code without a traceback. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class ColossimError(Exception):
    """Base of all expected errors. ``exit_code`` is what the CLI returns for it."""

    exit_code = 1


@dataclass(frozen=True)
class Problem:
    """One problem in an input file: where it is and what is wrong."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        file, field, message = (safe_text(part) for part in (self.file, self.field, self.message))
        where = f"{file}:{self.line}" if self.line is not None else file
        return f"{where}:{f' {field}:' if field else ''} {message}"


SAID_AT_MOST = 1_000  # characters of one part of a problem: a 50,000-character value echoed whole
# was a 50 KB message (QA)
UNPRINTABLE = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7f, *range(0x80, 0xa0))
               if code != 0x0a}


def safe_text(text: str) -> str:
    """``text`` safe to print: control characters written as escapes (QA: an ESC from a
    ``--set`` value reached the terminal, and recoloured it), and the middle of a part past
    ``SAID_AT_MOST`` characters left out."""
    text = str(text).translate(UNPRINTABLE)
    if len(text) <= SAID_AT_MOST:
        return text
    half = SAID_AT_MOST // 2
    return f"{text[:half]} ...[{len(text) - 2 * half:,} characters]... {text[-half:]}"


class ConfigError(ColossimError):
    """Bad input. Carries every problem found, so the user fixes them all in one pass."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem("<input>", None, "", problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ColossimWarning(UserWarning):
    """Something the user should know that does not stop the command (``colossim`` prints it as
    one ``warning:`` line)."""


class MissingExtra(ColossimError):
    """An optional extra a command needs is not installed: nothing ran, the setup must change
    (exit code 2, like other input the user must fix)."""

    exit_code = 2


class PolicyError(ColossimError):
    """A policy could not be found or built, or it broke its contract."""

    exit_code = 2


class ClusterUnavailable(ColossimError):
    """The Ray cluster named by ``--address`` or ``RAY_ADDRESS`` cannot be reached or refuses
    this process: an input to fix, like a missing file (exit code 2)."""

    exit_code = 2


class PolicyFailure(ColossimError):
    """A policy raised while deciding during a run: the run failed (exit code 1), the input
    was fine."""

    exit_code = 1


class InvariantViolation(ColossimError):
    """The simulated state broke a rule that must always hold (a bug in colossim or a policy)."""

    exit_code = 1


def what_raised(exc: BaseException) -> str:
    """``Type: message`` of an exception from user code, on one line. pydantic's own text runs
    over several lines and ends in a URL; an assignment to a job's frozen config read "1
    validation error for JobConfig / priority / Instance is frozen [type=...] / For further
    information visit ..." (QA): said here as the field and what is wrong with it."""
    errors = getattr(exc, "errors", None)
    if type(exc).__name__ == "ValidationError" and callable(errors):
        said = []
        for error in errors():
            field = ".".join(str(part) for part in error.get("loc", ()))
            why = ("read-only (a policy's view and the scenario's configs are frozen)"
                   if error.get("type") == "frozen_instance" else error.get("msg", ""))
            said.append(f"{field}: {why}" if field else why)
        return f"{type(exc).__name__}: {'; '.join(said)}"
    return f"{type(exc).__name__}: {exc}"


def raised_at(exc: BaseException, home: str | None = None) -> str:
    """Where an exception from user code (a policy) was raised, as " (at FILE:LINE in NAME)",
    so the message points into the user's code (``--debug``, or a sweep run's record, has the
    whole traceback). That is the innermost frame in the user's own code, not the line deep in
    Python or pydantic that raised for it (an assignment to a frozen view raises in dataclasses'
    generated ``__setattr__``, "<string>:4"): ``home`` (the policy's own file, which may be an
    installed package) or a file outside colossim, the standard library and installed packages.
    Without one, the innermost frame."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return ""
    own = [f for f in frames if f.filename == home or _users_file(f.filename)]
    last = own[-1] if own else frames[-1]
    return f" (at {last.filename}:{last.lineno} in {last.name})"


def raised_in(exc: BaseException, home: str | None) -> bool:
    """Did the user's code (``home``, or a file of theirs: ``raised_at``) take part in raising
    ``exc``? If not, the exception is colossim's own. Code with no file (a policy made with
    ``exec``, ``<string>``) is the user's too, but for the methods ``dataclasses`` generates
    (``__init__``, ``__eq__``, ...), which colossim's own values run (review)."""
    import traceback

    return any(f.filename == home or _users_file(f.filename)
               or (f.filename.startswith("<") and not f.name.startswith("__"))
               for f in traceback.extract_tb(exc.__traceback__))


def _users_file(filename: str) -> bool:
    """Whether ``filename`` is the user's code: not generated (``<string>``), not colossim's,
    the standard library's or an installed package's."""
    from pathlib import Path

    if _python_or_colossim(filename):
        return False
    return not {"site-packages", "dist-packages"} & set(Path(filename).resolve().parts)


def _python_or_colossim(filename: str) -> bool:
    """Generated code (``<string>``, ``<frozen importlib._bootstrap>``), the standard
    library's or colossim's own; not an installed package's (a system Python keeps its
    site-packages inside the standard library's folder)."""
    import sysconfig
    from pathlib import Path

    if filename.startswith("<"):
        return True
    path = Path(filename).resolve()
    if {"site-packages", "dist-packages"} & set(path.parts):
        return Path(__file__).resolve().parent in path.parents  # colossim installed there
    paths = sysconfig.get_paths()
    theirs = {Path(__file__).resolve().parent, Path(paths["stdlib"]).resolve(),
              Path(paths["platstdlib"]).resolve()}
    return any(path.is_relative_to(root) for root in theirs)


def raised_in_package(exc: BaseException) -> str:
    """Where loading a plug-in raised, as ``raised_at`` says it: the innermost frame outside
    colossim and the standard library (an installed plug-in's own file counts). Nothing when
    Python's import machinery raised by itself (an entry point naming a class its module
    lacks: the message says it all, and the frame was importlib's, QA)."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not _python_or_colossim(f.filename)]
    return f" (at {frames[-1].filename}:{frames[-1].lineno} in {frames[-1].name})" \
        if frames else ""


def require(module: str, extra: str, what: str) -> Any:
    """Import an optional extra's ``module``, or raise ``MissingExtra`` saying what needs it
    and the one command that installs it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(f"{what}: pip install 'colossim[{extra}]'") from None
