"""The ``colossim`` command's entry point (``colossim`` and ``python -m colossim``).

Loading the CLI (typer, rich and every command module) takes a noticeable part of a second,
before the app's own Ctrl-C handler (``cli.command.ColossimGroup``) exists; a Ctrl-C then ended
in a ``KeyboardInterrupt`` traceback. This module imports only the standard library, so its
handler is in place before the loading starts, and covers it and typer's building of the app.
"""

from __future__ import annotations

import sys
from typing import NoReturn

INTERRUPTED = 130  # exit code of a command stopped by Ctrl-C (the shell's 128 + SIGINT)


def say_interrupted() -> None:
    """The one line a Ctrl-C leaves on stderr, wherever it lands."""
    sys.stderr.write("interrupted\n")
    sys.stderr.flush()


def _interrupted() -> NoReturn:
    say_interrupted()
    raise SystemExit(INTERRUPTED)


def main() -> None:
    """Console entry point: load the CLI and run it, a Ctrl-C at any moment exiting with 130."""
    try:
        from colossim.cli.app import main as run_cli

        run_cli()
    except KeyboardInterrupt:
        _interrupted()
