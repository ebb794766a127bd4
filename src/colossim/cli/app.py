"""The ``colossim`` command: thin typer commands over the library API.

Exit codes: 0 ok, 1 run failure, 2 bad input, 130 interrupted (Ctrl-C: ``cli.entry`` while the
CLI loads, ``cli.command.ColossimGroup`` while typer runs a command). Expected errors
(``ColossimError``) print a message and no traceback; ``--debug`` shows it. Commands import
their heavy modules inside the function, so ``colossim --help`` starts fast.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import typer

from colossim.cli import compare, estimate, info, report, run, sweep
from colossim.cli.command import ColossimCommand, ColossimGroup

app = typer.Typer(
    name="colossim",
    help="Simulate gigawatt-scale AI training clusters: jobs, racks, power, fabric, policies.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=ColossimGroup,  # flags bare in --help; a Ctrl-C while typer parses says so
)

_debug = {"on": False}


def _print_version(asked: bool) -> None:
    if asked:
        from colossim import __version__

        typer.echo(f"colossim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: bool = typer.Option(
        False, "--debug", envvar="COLOSSIM_DEBUG", help="Show tracebacks for errors."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True,
        help="Print colossim's version and exit.",
    ),
) -> None:
    _debug["on"] = debug
    if warnings.showwarning is not _show_warning:
        _show_warning.default = warnings.showwarning  # type: ignore[attr-defined]
        warnings.showwarning = _show_warning


def _show_warning(message: Warning | str, category: type[Warning], filename: str,
                  lineno: int, file: Any = None, line: str | None = None) -> None:
    """colossim's own warnings as one ``warning:`` line on stderr, not Python's two lines
    pointing into colossim's source; other warnings as Python shows them."""
    from colossim.errors import ColossimWarning

    if issubclass(category, ColossimWarning):
        from colossim.cli.render import print_warning

        print_warning(str(message))
    else:
        _show_warning.default(message, category, filename, lineno, file, line)  # type: ignore[attr-defined]


def guarded(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn expected errors into a message on stderr and the error's exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from colossim.errors import ColossimError

        try:
            return command(*args, **kwargs)
        except ColossimError as exc:
            from colossim.cli.render import print_error

            if _debug["on"]:  # the traceback too, but the same message and exit code
                import traceback

                traceback.print_exc()
            print_error(exc)
            raise typer.Exit(exc.exit_code) from None

    return wrapper


def register(name: str, command: Callable[..., Any]) -> None:
    """Add a command to the app behind the error guard (later features call this too)."""
    app.command(name, cls=ColossimCommand)(guarded(command))


register("run", run.run)
register("compare", compare.compare)
register("estimate", estimate.estimate)
register("validate", info.validate)
register("policies", info.policies)
register("scenarios", info.scenarios)
register("schema", info.schema)
register("report", report.report)
register("sweep", sweep.sweep)


def main() -> None:
    """Run the CLI (the console entry point is ``cli.entry.main``, which also covers a Ctrl-C
    while this module loads)."""
    app()
