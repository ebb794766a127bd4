"""The click classes behind colossim's typer app, for what typer's own do not do:

- its rich ``--help`` prints each option's type after it, and for a flag that is ``<bool>``
  (``--quiet <bool>``, ``--help <bool>``), as if the flag took a value, which it refuses
  (``--json true`` is a usage error); typer's plain-text help leaves flags bare;
- a Ctrl-C while typer parses the command line (it imports pydantic then, lazily: a noticeable
  pause) ends with exit code 130 and no word; colossim says ``interrupted``, as everywhere;
- a reader that closes the pipe early (``| head``) made click exit with 1, "the run failed".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from colossim.cli import render  # noqa: F401  every rich console's closed-pipe handling
from colossim.cli.entry import INTERRUPTED, closed_pipe, say_interrupted


class _FlagsHelp:
    """Every flag of the command bare in its help: the declared ones and the ``--help`` the
    command adds itself, which no declaration can reach."""

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            if getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""  # no type column: rich_utils shows the metavar when set
        return params


@contextmanager
def saying_interrupted() -> Iterator[None]:
    """A Ctrl-C inside: ``interrupted`` on stderr and exit code 130, no traceback."""
    try:
        yield
    except KeyboardInterrupt:
        say_interrupted()
        raise typer.Exit(INTERRUPTED) from None


@contextmanager
def stopping_at_a_closed_pipe() -> Iterator[None]:
    """A write to a pipe whose reader stopped early (``| head``): exit 141, no word."""
    try:
        yield
    except BrokenPipeError:
        closed_pipe()


class ColossimCommand(_FlagsHelp, TyperCommand):
    """A colossim command (``app.command(cls=ColossimCommand)``): its flags show as flags."""


class ColossimGroup(_FlagsHelp, TyperGroup):
    """The ``colossim`` program (``typer.Typer(cls=ColossimGroup)``). Everything typer does
    between loading and exiting (parsing the program's options, then the command's, running
    the command) happens in its ``make_context`` or ``invoke``: a Ctrl-C in either says so."""

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        with saying_interrupted(), stopping_at_a_closed_pipe():  # --help, --version: parsing
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: Any) -> Any:
        with saying_interrupted(), stopping_at_a_closed_pipe():
            return super().invoke(ctx)
