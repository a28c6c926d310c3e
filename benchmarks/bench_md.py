"""BENCHMARKS.md is written by several benchmark scripts, each owning one block between its own markers
(``<!-- name:start -->`` … ``<!-- name:end -->``); a script replaces its block and leaves the rest alone."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "BENCHMARKS.md"


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def write_block(name: str, lines: list[str], path: Path = BENCHMARKS, heading: str = "") -> Path:
    """Put ``lines`` between the markers of ``name`` in ``path`` (appended, under ``heading``, the first time)."""
    start, end = markers(name)
    block = "\n".join([start, *lines, end])
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if start in old and end in old:
        new = old[: old.index(start)] + block + old[old.index(end) + len(end) :]
    else:
        new = old.rstrip("\n") + "\n\n" + (f"{heading}\n\n" if heading else "") + block + "\n"
    path.write_text(new, encoding="utf-8")
    return path


def md_table(head: tuple[str, ...] | list[str], rows: list[tuple] | list[list]) -> list[str]:
    """A Markdown table."""
    return ["| " + " | ".join(map(str, head)) + " |", "|" + "---|" * len(head), *("| " + " | ".join(map(str, r)) + " |" for r in rows)]
