"""Output formats of ``govner tag``: JSONL (the contract), CSV for spreadsheets, HTML with displaCy, a batch summary.

Writers take one record at a time, so a batch of any size streams through them; several writers can share
one pass over the reports. Every offset written is an offset into the record's ``text``, the text as read.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from spacy import displacy

from pipeline.errors import GovnerError
from pipeline.scheme import COLORS, LABELS
from pipeline.text.clean import Cleaned, clean
from pipeline.text.files import atomic_output

FORMATS = ("jsonl", "csv", "html", "duckdb")  # duckdb: the facts database of pipeline/facts (issue 13)
SUFFIX_FORMATS = {".jsonl": "jsonl", ".csv": "csv", ".html": "html", ".htm": "html", ".duckdb": "duckdb"}
CSV_FIELDS = ("source", "label", "text", "start", "end", "score", "sentence")
# Below this score the HTML report dims an entity: in the calibration table of BENCHMARKS.md, entities scored under
# it were right less often than not
LOW_SCORE = 0.5
SUMMARY_FIELDS = ("label", "text", "reports", "mentions")
SENTENCE_ENDS = "。！？；\n"
SENTENCE_WINDOW = 200
STYLE = (
    "body{font-family:sans-serif;max-width:60em;margin:auto;padding:1em}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}"
    "section{border-top:2px solid #888;margin-top:2em}"
)


def format_of(path: Path, default: str | None = None) -> str:
    """The format an output path asks for by its suffix, else ``default``."""
    fmt = SUFFIX_FORMATS.get(path.suffix.lower(), default)
    if fmt is None:
        raise GovnerError(f"{path}: cannot tell the format from the suffix (use .jsonl, .csv, .html or .duckdb, or --format)")
    if fmt not in FORMATS:
        raise GovnerError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    return fmt


def name_of(text: str) -> str:
    """An entity's text without the line breaks and spaces that page layout left inside it."""
    return "".join(text.split())


def labels_in(labels: set[str]) -> list[str]:
    """The scheme's labels in the scheme's order, then any others a model has."""
    return [*LABELS, *sorted(labels - set(LABELS))]


class BatchSummary:
    """Per label and name: in how many reports it occurs and how often, over the whole batch."""

    def __init__(self) -> None:
        self.reports = 0
        self.names: dict[tuple[str, str], list[int]] = {}
        self.label_reports: Counter = Counter()

    def add(self, record: dict) -> None:
        self.reports += 1
        self.label_reports.update({e["label"] for e in record["entities"]})
        for key, mentions in Counter((e["label"], name_of(e["text"])) for e in record["entities"]).items():
            counts = self.names.setdefault(key, [0, 0])
            counts[0] += 1
            counts[1] += mentions

    def rows(self) -> list[tuple[str, str, int, int]]:
        """``(label, name, reports, mentions)``, by label, the most widespread names first."""
        order = {label: i for i, label in enumerate(labels_in({label for label, _ in self.names}))}
        rows = [(label, name, reports, mentions) for (label, name), (reports, mentions) in self.names.items()]
        return sorted(rows, key=lambda r: (order[r[0]], -r[2], -r[3], r[1]))

    def per_label(self) -> dict[str, dict[str, int]]:
        """For each label: mentions, distinct names, and reports with at least one."""
        table = {label: {"reports": self.label_reports[label], "mentions": 0, "names": 0} for label in labels_in(set(self.label_reports))}
        for (label, _), (_, mentions) in self.names.items():
            table[label]["mentions"] += mentions
            table[label]["names"] += 1
        return table


def sentence_around(cleaned: Cleaned, start: int, end: int) -> str:
    """The sentence that holds an original span, as the model saw it (lines joined), for reading a CSV row."""
    start, end = cleaned.from_original(start, end)
    text = cleaned.text
    low, high = max(0, start - SENTENCE_WINDOW), min(len(text), end + SENTENCE_WINDOW)
    left = max(low - 1, *(text.rfind(c, low, start) for c in SENTENCE_ENDS)) + 1
    rights = [i + 1 for i in (text.find(c, end, high) for c in SENTENCE_ENDS) if i >= 0]
    return text[left : min(rights, default=high)].strip()


class JsonlWriter:
    """One JSON object a line: the contract ``{"source", "text", "entities"}``."""

    def __init__(self, f: IO[str], summary: BatchSummary) -> None:
        self.f = f

    def write(self, record: dict) -> None:
        self.f.write(json.dumps(record, ensure_ascii=False) + "\n")

    def finish(self) -> None:
        """Nothing follows the last record."""


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LINE_BREAKS = re.compile(r"\r\n|[\r\n\u2028\u2029]")


def csv_cell(value: str) -> str:
    """A text cell as Excel should show it: on one line (line breaks inside a name or sentence, as PDFs leave them,
    become spaces) and never read as a formula (a cell starting with = + - @ gets a leading apostrophe, which
    Excel hides). The exact text stays in the JSONL output; ``start``/``end`` point into it."""
    value = LINE_BREAKS.sub(" ", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


class CsvWriter:
    """One row per entity, with the sentence around it; text cells through ``csv_cell``."""

    def __init__(self, f: IO[str], summary: BatchSummary) -> None:
        self.writer = csv.writer(f)
        self.writer.writerow(CSV_FIELDS)

    def write(self, record: dict) -> None:
        cleaned = clean(record["text"]) if record["entities"] else None
        for ent in record["entities"]:
            sentence = sentence_around(cleaned, ent["start"], ent["end"])
            row = [csv_cell(record["source"]), ent["label"], csv_cell(ent["text"]), ent["start"], ent["end"], ent.get("score", "")]
            row.append(csv_cell(sentence))
            self.writer.writerow(row)

    def finish(self) -> None:
        """Nothing follows the last row."""


def _table(header: tuple[str, ...], rows: list[tuple]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def render_html(record: dict, anchor: str) -> str:
    """One report: a per-label summary (how many, which names), then the text with displaCy highlighting."""
    names: dict[str, Counter] = {}
    for ent in record["entities"]:
        names.setdefault(ent["label"], Counter())[name_of(ent["text"])] += 1
    rows = []
    for label in labels_in(set(names)):
        found = names.get(label, Counter())
        rows.append((label, sum(found.values()), "、".join(f"{n} ×{c}" if c > 1 else n for n, c in found.most_common())))
    ents = [{"start": e["start"], "end": e["end"], "label": e["label"]} for e in record["entities"]]
    body = displacy.render(
        {"text": record["text"], "ents": ents, "title": None}, style="ent", manual=True, page=False, options={"colors": COLORS}
    )
    heading = f"<h2>{html.escape(record['source'])}</h2>"
    return f'<section id="{anchor}">{heading}{_table(("label", "entities", "names"), rows)}{body}</section>'


class HtmlWriter:
    """A page: each report highlighted with its own summary, then the summary of the batch."""

    def __init__(self, f: IO[str], summary: BatchSummary) -> None:
        self.f = f
        self.summary = summary
        self.count = 0
        f.write(f'<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><title>govner</title><style>{STYLE}</style></head><body>\n')
        f.write('<p><a href="#summary">Summary of the batch</a></p>\n')

    def write(self, record: dict) -> None:
        self.count += 1
        self.f.write(render_html(record, f"report-{self.count}") + "\n")

    def finish(self) -> None:
        per_label = [(label, c["reports"], c["mentions"], c["names"]) for label, c in self.summary.per_label().items()]
        self.f.write(f'<section id="summary"><h2>Summary of the batch: {self.summary.reports} reports</h2>')
        self.f.write(_table(("label", "reports", "mentions", "names"), per_label))
        self.f.write(_table(SUMMARY_FIELDS, self.summary.rows()))
        self.f.write("</section></body></html>\n")


WRITERS = {"jsonl": JsonlWriter, "csv": CsvWriter, "html": HtmlWriter}


@contextmanager
def _text_output(output: Path | IO[str], encoding: str) -> Iterator[IO[str]]:
    """A path written atomically (no newline translation, so offsets hold on every platform), or an open stream."""
    if not isinstance(output, Path):
        yield output
        return
    with atomic_output(output, "wb") as raw:
        f = io.TextIOWrapper(raw, encoding=encoding, newline="")
        yield f
        f.flush()
        f.detach()


@contextmanager
def open_writer(fmt: str, output: Path | IO[str], summary: BatchSummary) -> Iterator[JsonlWriter | CsvWriter | HtmlWriter]:
    """A writer of ``fmt``; the output is finished (and a path moved into place) only when the block succeeds."""
    # --- facts (issue 13): .duckdb is a database filled in one transaction, not a text stream ---
    if fmt == "duckdb":
        if not isinstance(output, Path):
            raise GovnerError("duckdb output needs a file name (-o results.duckdb), not standard output")
        from pipeline.facts.database import DuckDbWriter

        db = DuckDbWriter(output, summary)
        try:
            yield db
            db.finish()
        except BaseException:
            db.abort()
            raise
        return
    # --- end facts ---
    with _text_output(output, "utf-8-sig" if fmt == "csv" else "utf-8") as f:  # Excel reads UTF-8 only with a BOM
        writer = writer_class(fmt)(f, summary)
        yield writer
        writer.finish()


def writer_class(fmt: str):
    """The writer of a text format. HTML is the browsable report of ``pipeline/facts/report.py`` (issue 13), which
    keeps ``HtmlWriter``'s sections (each report highlighted with its summary, then the batch summary) and adds an
    index, charts and the tables of rankings, projects and enterprises."""
    if fmt == "html":
        from pipeline.facts.report import ReportWriter

        return ReportWriter
    return WRITERS[fmt]


def write_summary(path: Path, summary: BatchSummary) -> None:
    """The batch summary as CSV: which names occur in how many reports."""
    with _text_output(path, "utf-8-sig") as f:
        writer = csv.writer(f)
        writer.writerow(SUMMARY_FIELDS)
        writer.writerows((label, csv_cell(name), reports, mentions) for label, name, reports, mentions in summary.rows())
