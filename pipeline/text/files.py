"""Files in and out: JSONL records read with their line numbers, outputs written atomically.

Contract: a bad line is an ``InputError`` naming file and line, never skipped; an output appears only complete
(written to a hidden ``.part`` file beside it and moved into place when the block succeeds), with the
permissions of the umask; a folder that cannot be written or a full disk is an ``OutputError`` naming the output.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from pipeline.errors import InputError, OutputError


def require_file(path: Path, name: str | None = None) -> Path:
    """Fail with the file's name (``name``, else the path) if it is missing, not a file, or empty."""
    name = name or str(path)
    if not path.exists():
        raise InputError(f"{name}: no such file")
    if not path.is_file():
        raise InputError(f"{name}: not a file")
    if path.stat().st_size == 0:
        raise InputError(f"{name}: file is empty")
    return path


def jsonl_files(paths: list[Path]) -> list[Path]:
    """Files as given, and the ``*.jsonl`` files of folders; a folder without any is an error."""
    files = []
    for path in paths:
        if not path.exists():
            raise InputError(f"{path}: no such file or folder")
        if path.is_dir():
            found = sorted(path.glob("*.jsonl"))
            if not found:
                raise InputError(f"{path}: no .jsonl files")
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
                raise InputError(f"{path}:{n}: invalid JSON ({err.msg})") from None
            except (ValueError, RecursionError) as err:  # a 5,000-digit number, arrays nested thousands deep
                raise InputError(f"{path}:{n}: JSON this tool does not read ({type(err).__name__}: {str(err)[:80]})") from None
            if not isinstance(record, dict):
                raise InputError(f"{path}:{n}: expected a JSON object, got {type(record).__name__}")
            seen = True
            yield n, record
    if not seen:
        raise InputError(f"{path}: no records")


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
        raise OutputError(f"{path}: cannot write ({err.strerror or err})") from None
    os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp makes it 0600; an output file follows the umask like any other
    try:
        with os.fdopen(fd, mode, encoding=encoding if "b" not in mode else None) as f:
            yield f
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        if err.errno in OUTPUT_ERRNOS:
            raise OutputError(f"{path}: cannot write ({err.strerror or err})") from None
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
