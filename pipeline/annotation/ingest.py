"""Stage 1: reports → paragraphs with stable ids and offsets into the text as read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from pipeline.errors import GovnerError
from pipeline.scheme import paragraph_id
from pipeline.text.files import write_jsonl
from pipeline.text.readers import read_report

BLANK_LINE = re.compile(r"\n[ \t\u3000]*\n")


def split_paragraphs(text: str) -> Iterator[tuple[int, str]]:
    """Yield ``(offset, paragraph)``: blank lines separate paragraphs, else every line is one."""
    separator = BLANK_LINE if BLANK_LINE.search(text) else re.compile(r"\n")
    start = 0
    for m in [*separator.finditer(text), None]:
        end = m.start() if m else len(text)
        chunk = text[start:end]
        stripped = chunk.strip()
        if stripped:
            yield start + (len(chunk) - len(chunk.lstrip())), stripped
        if m:
            start = m.end()


def ingest_file(path: Path) -> list[dict]:
    """Paragraph records of one report, in Doccano's JSONL shape with no labels yet."""
    text = read_report(path)
    return [
        {
            "text": para,
            "label": [],
            "doc_id": path.stem,
            "para_id": paragraph_id(para),
            "para_index": i,
            "source": str(path),
            "offset": offset,
        }
        for i, (offset, para) in enumerate(split_paragraphs(text))
    ]


def ingest(paths: list[Path], output: Path) -> dict:
    """Ingest reports into one JSONL file; nothing is written unless every file reads."""
    records: list[dict] = []
    for path in paths:
        records.extend(ingest_file(path))
    if not records:
        raise GovnerError(f"{', '.join(map(str, paths))}: no paragraphs found")
    write_jsonl(output, records)
    return {"files": len(paths), "paragraphs": len(records), "output": str(output)}
