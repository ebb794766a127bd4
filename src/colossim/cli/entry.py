"""The ``colossim`` command's entry point (``colossim`` and ``python -m colossim``).

Loading the CLI (typer, rich and every command module) takes a noticeable part of a second,
before the app's own Ctrl-C handler (``cli.command.ColossimGroup``) exists; a Ctrl-C then ended
in a ``KeyboardInterrupt`` traceback. This module imports only the standard library, so its
handler is in place before the loading starts, and covers it and typer's building of the app.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn, TextIO

INTERRUPTED = 130  # exit code of a command stopped by Ctrl-C (the shell's 128 + SIGINT)


CLOSED_PIPE = 141  # the shell's 128 + SIGPIPE: what `seq 100000 | head` reports for seq


def to_null_device(stream: TextIO) -> None:
    """Point a stream whose reader went away at the null device: later writes (the exit's own
    flush among them) then fail no more."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


def closed_pipe() -> NoReturn:
    """Stop quietly when the reader of the output went away (``colossim ... | head``): exit
    code 141, as a command killed by SIGPIPE, and nothing on stderr. click and rich made it 1,
    "the run failed", with no word (QA)."""
    to_null_device(sys.stdout)
    raise SystemExit(CLOSED_PIPE)


def say_interrupted() -> None:
    """The one line a Ctrl-C leaves on stderr, wherever it lands."""
    sys.stderr.write("interrupted\n")
    sys.stderr.flush()


def _interrupted() -> NoReturn:
    say_interrupted()
    raise SystemExit(INTERRUPTED)


def _terminate(_signum: int, _frame: object) -> None:
    """SIGTERM (``kill``, a batch scheduler's stop) as a Ctrl-C: a sweep keeps what finished
    and says how to resume, where the default ended it at once with no word (QA)."""
    raise KeyboardInterrupt


def main() -> None:
    """Console entry point: load the CLI and run it, a Ctrl-C (or SIGTERM) at any moment exiting
    with 130."""
    import signal

    signal.signal(signal.SIGTERM, _terminate)
    # numpy's OpenBLAS starts a thread per CPU at import, and they spin for a while: ~0.1 s of
    # CPU per command that a sweep's workers then compete with. colossim's arrays are small (a
    # BLAS call splits across threads only far beyond them), so results are the same either
    # way (the engine digest is identical with 1 and 2 threads); a user's own setting is kept.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        from colossim.cli.app import main as run_cli

        run_cli()
    except KeyboardInterrupt:
        _interrupted()
