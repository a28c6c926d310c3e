"""Read a report file into the text as read: the string every output offset points into."""

from __future__ import annotations

from pathlib import Path

from ._util import GovnerError

READABLE_SUFFIXES = (".txt",)


def read_report(path: Path) -> str:
    """Return the decoded text of a report; raise GovnerError naming the file when it cannot be read."""
    if not path.exists():
        raise GovnerError(f"{path}: no such file")
    if not path.is_file():
        raise GovnerError(f"{path}: not a file")
    data = path.read_bytes()
    if not data:
        raise GovnerError(f"{path}: file is empty")
    if path.suffix.lower() not in READABLE_SUFFIXES:
        raise GovnerError(f"{path}: unsupported file type {path.suffix!r} (readable: {', '.join(READABLE_SUFFIXES)})")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise GovnerError(f"{path}: not valid UTF-8 at byte {err.start}") from None
    if not text.strip():
        raise GovnerError(f"{path}: file has no text")
    return text
