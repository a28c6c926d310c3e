"""Shared pieces of the command line: the Typer apps, one-line errors, JSONL I/O and atomic writes."""

from __future__ import annotations

import errno
import json
import os
import signal
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import IO
from unittest.mock import patch

import typer
from wasabi import Printer


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



class GovnerError(Exception):
    """An error the user can fix; its text is the one-line message (file, line, problem).

    ``details`` holds one line per further problem (every invalid span, say), printed before the message.
    """

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.details = details or []


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


def require_file(path: Path) -> Path:
    """Fail with the file's name if it is missing, not a file, or empty."""
    if not path.exists():
        raise GovnerError(f"{path}: no such file")
    if not path.is_file():
        raise GovnerError(f"{path}: not a file")
    if path.stat().st_size == 0:
        raise GovnerError(f"{path}: file is empty")
    return path


def jsonl_files(paths: list[Path]) -> list[Path]:
    """Files as given, and the ``*.jsonl`` files of folders; a folder without any is an error."""
    files = []
    for path in paths:
        if not path.exists():
            raise GovnerError(f"{path}: no such file or folder")
        if path.is_dir():
            found = sorted(path.glob("*.jsonl"))
            if not found:
                raise GovnerError(f"{path}: no .jsonl files")
            files.extend(found)
        else:
            files.append(path)
    return files


def read_jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    """Yield ``(line_number, record)``; a bad line is an error naming file and line, never skipped."""
    require_file(path)
    with path.open(encoding="utf-8-sig") as f:
        seen = False
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise GovnerError(f"{path}:{n}: invalid JSON ({err.msg})") from None
            except (ValueError, RecursionError) as err:  # a 5,000-digit number, arrays nested thousands deep
                raise GovnerError(f"{path}:{n}: JSON this tool does not read ({type(err).__name__}: {str(err)[:80]})") from None
            if not isinstance(record, dict):
                raise GovnerError(f"{path}:{n}: expected a JSON object, got {type(record).__name__}")
            seen = True
            yield n, record
    if not seen:
        raise GovnerError(f"{path}: no records")


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# what makes writing an output fail, as opposed to a bug: no permission, read-only or full disk, quota, too big
OUTPUT_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.ENOENT, errno.ENOTDIR}


@contextmanager
def atomic_output(path: Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Write to a temporary file beside ``path`` and move it into place only when the block succeeds; a folder
    that cannot be written or a full disk is one line naming ``path``, and no partial file is left behind."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as err:
        raise GovnerError(f"{path}: cannot write ({err.strerror or err})") from None
    os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp makes it 0600; an output file follows the umask like any other
    try:
        with os.fdopen(fd, mode, encoding=encoding if "b" not in mode else None) as f:
            yield f
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        if err.errno in OUTPUT_ERRNOS:
            raise GovnerError(f"{path}: cannot write ({err.strerror or err})") from None
        raise
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_jsonl(path: Path, records: Iterable[dict]) -> int:
    """Write records atomically, one JSON object a line; return how many."""
    n = 0
    with atomic_output(path) as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            n += 1
    return n
