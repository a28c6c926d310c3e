"""The command line's shared parts: the Typer apps, one-line messages, the error edge.

Library functions return dicts and never print; a command calls one by keyword through ``run_cli``, which is
the one place where a ``GovnerError`` is printed (once, on standard error) and turned into exit code 1, so
that standard output carries only records.
"""

from __future__ import annotations

import logging
import signal
import sys
from importlib import metadata
from unittest.mock import patch

import typer
from wasabi import Printer

from pipeline.errors import GovnerError


class OneLinePrinter(Printer):
    """wasabi's Printer, except that a message stays on one line: wasabi wraps at 80 columns, which would
    split an error naming a long file path over several lines."""

    def text(self, *args, **kwargs):
        with patch("wasabi.printer.wrap", lambda text, indent=0: str(text)):
            return super().text(*args, **kwargs)


msg = OneLinePrinter()

app = typer.Typer(
    name="govner",
    help="Entities in Chinese government work reports: ingest, pre-annotate, Doccano, train, evaluate, tag.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def show_version(value: bool) -> None:
    if value:
        print(f"govner {metadata.version('govner')}")
        raise typer.Exit()


def stop_on_sigterm() -> None:
    """Let SIGTERM end a command the way Ctrl-C does, through the ``finally`` and ``except`` blocks, so that no
    hidden ``.part`` file of an unfinished output is left behind (the default action would kill it on the spot)."""

    def terminate(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=show_version, is_eager=True, help="Print govner's version and exit"),
) -> None:
    """Entities in Chinese government work reports: ingest, pre-annotate, Doccano, train, evaluate, tag."""
    stop_on_sigterm()


corpus_app = typer.Typer(help="Check, count and build the annotated corpus.", no_args_is_help=True)
doccano_app = typer.Typer(help="Run a local Doccano and move annotations in and out of it.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")
app.add_typer(doccano_app, name="doccano")


def count(n: int, noun: str) -> str:
    """``1 file``, ``2 files``, ``1,024 entities``: a number with its noun, in the plural when it is not one."""
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{n:,} {noun if n == 1 else plural}"


def say_error(message: str, warning: bool = False) -> None:
    """One line on standard error, with wasabi's sign and colour only where standard error is a terminal."""
    printer = OneLinePrinter(no_print=True, pretty=sys.stderr.isatty())
    print(printer.warn(message) if warning else printer.fail(message), file=sys.stderr)


def run_cli(func, *args, **kwargs):
    """Call a library function, turning a GovnerError into its lines on standard error and exit code 1: the
    one place where the library's errors are printed (standard output may carry records)."""
    try:
        return func(*args, **kwargs)
    except GovnerError as err:
        for line in err.details:
            say_error(line)
        say_error(str(err))
        raise typer.Exit(1) from None


def log_to_stderr() -> None:
    """Show the library's progress messages (the ``govner`` logger: CRF training, a Doccano install) on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("ℹ %(message)s"))
    logging.getLogger("govner").addHandler(handler)
    logging.getLogger("govner").setLevel(logging.INFO)
