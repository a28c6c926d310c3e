"""Output formats of ``govner tag``: JSONL (the contract), CSV for spreadsheets, HTML with displaCy."""

from __future__ import annotations

import csv
import html
import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from spacy import displacy

from ._util import atomic_output
from .scheme import COLORS, LABELS

FORMATS = ("jsonl", "csv", "html")
CSV_FIELDS = ("source", "label", "text", "start", "end", "sentence")
SENTENCE_ENDS = "。！？；\n"


def sentence_around(text: str, start: int, end: int) -> str:
    """The sentence that holds the span, for reading a CSV row without the report open."""
    left = max(text.rfind(c, 0, start) for c in SENTENCE_ENDS) + 1
    rights = [i for i in (text.find(c, end) for c in SENTENCE_ENDS) if i >= 0]
    right = min(rights) + 1 if rights else len(text)
    return text[left:right].strip()


def write_jsonl(records: Iterable[dict], f: IO) -> None:
    for record in records:
        f.write(json.dumps(record, ensure_ascii=False) + "\n")


def write_csv(records: Iterable[dict], f: IO) -> None:
    writer = csv.writer(f)
    writer.writerow(CSV_FIELDS)
    for record in records:
        for ent in record["entities"]:
            sentence = sentence_around(record["text"], ent["start"], ent["end"])
            writer.writerow([record["source"], ent["label"], ent["text"], ent["start"], ent["end"], sentence])


def render_html(record: dict) -> str:
    """One report: a per-label summary, then the text with displaCy highlighting."""
    counts = Counter(ent["label"] for ent in record["entities"])
    summary = "".join(f"<li>{label}: {counts.get(label, 0)}</li>" for label in LABELS)
    ents = [{"start": e["start"], "end": e["end"], "label": e["label"]} for e in record["entities"]]
    body = displacy.render(
        {"text": record["text"], "ents": ents, "title": None},
        style="ent",
        manual=True,
        page=False,
        options={"colors": COLORS, "ents": list(LABELS)},
    )
    return f"<section><h2>{html.escape(record['source'])}</h2><ul>{summary}</ul>{body}</section>"


def write_html(records: Iterable[dict], f: IO) -> None:
    f.write('<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><title>govner</title></head><body>\n')
    for record in records:
        f.write(render_html(record) + "\n")
    f.write("</body></html>\n")


WRITERS = {"jsonl": write_jsonl, "csv": write_csv, "html": write_html}


def write_records(records: Iterable[dict], fmt: str, output: Path | IO) -> None:
    """Write to a path atomically (CSV with a BOM so Excel reads UTF-8), or to an open stream."""
    if isinstance(output, Path):
        encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
        with atomic_output(output, encoding=encoding) as f:
            WRITERS[fmt](records, f)
    else:
        WRITERS[fmt](records, output)
