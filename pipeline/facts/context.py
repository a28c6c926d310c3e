"""One tagged report as the fact extractors read it: cleaned text, entities, sentences, clauses, place and year.

Why: rankings and projects are read from the words around an entity, and those words must be read the way a person
reads them, with lines broken by PDF extraction joined. So facts are computed on ``clean(text)`` (the text the model
saw) and every entity is mapped into it; offsets stored in the database stay offsets into the text as read (the
contract of ``govner tag``). Sentences end at 。！？； and line ends; clauses at ，：; a 、 list stays in its clause.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pipeline.facts.rules import common, places
from pipeline.text.clean import clean

SENTENCE_END = re.compile(r"[。！？；!?;\n…]|(?<=[\u4e00-\u9fff%）)”])\.(?=[\u4e00-\u9fff“（(])")
CLAUSE_END = re.compile(r"[，,：:]")
YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
TITLE_LINES = 3
SUBJECT_LABELS = ("GPE", "ORG", "ENTERPRISE", "PROJECT")


@dataclass(frozen=True)
class Ent:
    """An entity: its index in the report's list, cleaned offsets, label, name (no whitespace) and optional score."""

    index: int
    start: int
    end: int
    label: str
    name: str
    score: float | None = None


def name_of(text: str) -> str:
    """A name without the line breaks and spaces that layout left inside it."""
    return "".join(text.split())


class Context:
    """A report record (``{"source", "text", "entities"}``) prepared for reading facts."""

    def __init__(self, record: dict) -> None:
        self.source = str(record.get("source", ""))
        self.original = record["text"]
        self.cleaned = clean(self.original)
        self.text = self.cleaned.text
        ents = []
        for i, e in enumerate(record["entities"]):
            start, end = self.cleaned.from_original(e["start"], e["end"])
            if end <= start:
                continue
            ents.append(Ent(i, start, end, e["label"], name_of(self.text[start:end]), e.get("score")))
        self.entities = sorted(ents, key=lambda e: e.start)
        self.starts = [e.start for e in self.entities]
        ends = [m.end() for m in SENTENCE_END.finditer(self.text)]
        self.sentence_ends = [*ends, len(self.text)] if not ends or ends[-1] != len(self.text) else ends
        self.written = sorted({e.name for e in self.entities if e.label == "GPE"}, key=len)
        self.place = report_place(self)
        self.year = report_year(self)
        gazetteer = places()
        named = [gazetteer.at(e.name) for e in self.entities if e.label in ("GPE", "ORG")]  # 吴忠金积工业园区 names 吴忠
        self.gpe_places = {self.full(p) for p in named if p} | ({self.place} if self.place else set())

    def full(self, name: str) -> str:
        """The full form of a place name as this report writes it (神木 → 神木市 where the report says 神木市, though
        the gazetteer still lists 神木县), else as the gazetteer has it (长汀 → 长汀县)."""
        rules = common()
        for written in self.written:
            if written != name and written.startswith(name) and any(r.fullmatch(written[len(name) :]) for r in rules.suffixes):
                return written
        return places().full(name)

    def sentence(self, pos: int) -> tuple[int, int]:
        """The sentence around a cleaned position."""
        i = bisect.bisect_right(self.sentence_ends, pos)
        start = self.sentence_ends[i - 1] if i else 0
        return start, self.sentence_ends[min(i, len(self.sentence_ends) - 1)]

    def clauses(self, start: int, end: int) -> list[tuple[int, int]]:
        """The clauses of ``text[start:end]`` (a sentence), in order."""
        bounds = [start, *(m.end() for m in CLAUSE_END.finditer(self.text, start, end)), end]
        return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]

    def clause(self, pos: int) -> tuple[int, int]:
        """The clause around a cleaned position."""
        for a, b in self.clauses(*self.sentence(pos)):
            if a <= pos < b:
                return a, b
        return self.sentence(pos)

    def within(self, start: int, end: int, labels: tuple[str, ...] | None = None) -> list[Ent]:
        """Entities that lie inside ``[start, end)``, in order."""
        i = bisect.bisect_left(self.starts, start)
        found = []
        for e in self.entities[i:]:
            if e.start >= end:
                break
            if e.end <= end and (labels is None or e.label in labels):
                found.append(e)
        return found

    def masked(self, start: int, end: int, keep: Ent | None = None) -> str:
        """``text[start:end]`` with every entity inside it (but ``keep``) blanked out, offsets kept."""
        chars = list(self.text[start:end])
        for e in self.within(start, end):
            if e is not keep:
                chars[e.start - start : e.end - start] = "□" * (e.end - e.start)
        return "".join(chars)

    def sentence_text(self, pos: int) -> str:
        a, b = self.sentence(pos)
        return self.text[a:b].strip()


def _title_lines(text: str) -> list[tuple[int, int]]:
    """The first few non-empty lines: where a report names its place and year."""
    lines, offset = [], 0
    for line in text.split("\n"):
        if line.strip():
            lines.append((offset, offset + len(line)))
            if len(lines) == TITLE_LINES:
                break
        offset += len(line) + 1
    return lines


def report_place(ctx: Context) -> str | None:
    """The report's own place: the first GPE of its title lines, else the place an ORG there starts with
    (准格尔旗人民政府 → 准格尔旗), else its most frequent GPE; in full form (长汀 → 长汀县)."""
    gazetteer = places()
    lines = _title_lines(ctx.text)
    end = lines[-1][1] if lines else 0
    head = [e for e in ctx.entities if e.start < end]
    for e in head:
        if e.label == "GPE":
            return ctx.full(e.name)
    for e in head:
        if e.label == "ORG" and (place := gazetteer.at(e.name)):
            return ctx.full(place)
    counts = Counter(ctx.full(e.name) for e in ctx.entities if e.label == "GPE")
    return counts.most_common(1)[0][0] if counts else None


def report_year(ctx: Context) -> int | None:
    """The report's year: the first year written in its title (its first line), else in its file name, else in
    the lines after the title, else in its text (a news piece dated 2024 may open with 2023年 figures)."""
    lines = _title_lines(ctx.text)
    candidates = [ctx.text[a:b] for a, b in lines[:1]] + [Path(ctx.source).name] + [ctx.text[a:b] for a, b in lines[1:]] + [ctx.text]
    for candidate in candidates:
        if m := YEAR.search(candidate):
            return int(m.group(1))
    return None


def self_reference_end(text: str) -> int:
    """Where the last word meaning "the report's own place" (全市, 我省) ends in ``text``, or 0."""
    ends = [m.end() for m in common().self_ref.finditer(text)]
    return ends[-1] if ends else 0
