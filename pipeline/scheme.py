"""The label scheme of ``annotation-scheme.md`` (v1.1): labels, colours, and what a span may not look like."""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata

LABELS: tuple[str, ...] = ("PROJECT", "ENTERPRISE", "RANKING", "ORG", "GPE")

COLORS: dict[str, str] = {
    # Doccano draws these at 60 % opacity on white; so drawn, each pair is ΔE00 ≥ 30 apart (pipeline/annotation/doccano_colors.py)
    "PROJECT": "#ff4b0f",
    "ENTERPRISE": "#0fa587",
    "RANKING": "#ffd22d",
    "ORG": "#0069ff",
    "GPE": "#ffa5ff",
}


def paragraph_id(text: str) -> str:
    """A stable id from the paragraph's content (the ``para_id`` of a record), so the same paragraph is
    recognised wherever it reappears."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def span_edge_problem(span_text: str) -> str | None:
    """Why a span's text is malformed at its edges (whitespace or punctuation), or None."""
    if not span_text:
        return "is empty"
    for edge, ch in (("starts", span_text[0]), ("ends", span_text[-1])):
        if ch.isspace():
            return f"{edge} with whitespace"
        if _bad_edge(edge, ch, span_text):
            return f"{edge} with punctuation {ch!r}"
    return None


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The bounds of ``text[start:end]`` without the whitespace and punctuation the scheme lets no span start or
    end with: a model's span that ran on into a bracket it did not open, (福州至永泰段) → 福州至永泰段, or into
    the comma after a name. start == end when nothing is left."""
    while start < end and _bad_edge("starts", text[start], text[start:end]):
        start += 1
    while start < end and _bad_edge("ends", text[end - 1], text[start:end]):
        end -= 1
    return start, end


def _bad_edge(edge: str, ch: str, span_text: str) -> bool:
    return ch.isspace() or (unicodedata.category(ch).startswith("P") and not _allowed_edge_punct(edge, ch, span_text))


CLOSING = {")": "(", "）": "（"}


def _allowed_edge_punct(edge: str, ch: str, span_text: str) -> bool:
    """Quotes are part of a span when a quoted list name or team name starts or ends it (scheme: hard cases);
    a closing bracket ends a span whose bracketed section it closes (v1.1: 京台高速(福州至永泰段))."""
    if ch in "“”\"":
        return True
    return edge == "ends" and ch in CLOSING and CLOSING[ch] in span_text


Span = tuple[int, int, str]
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def spans_of(record: dict) -> list[Span]:
    """The spans of a Doccano record: ``label`` as ``[[start, end, label]]`` or ``entities`` as dicts (newer exports)."""
    if "entities" in record and "label" in record:
        raise ValueError("has both 'label' and 'entities': which spans are meant is ambiguous (keep one)")
    if "entities" in record:
        return [(e["start_offset"], e["end_offset"], e["label"]) for e in record["entities"]]
    raw = record.get("label", [])
    if not isinstance(raw, list):
        raise ValueError(f"'label' must be a list of [start, end, label], got {type(raw).__name__}")
    spans = []
    for item in raw:
        if not (isinstance(item, list | tuple) and len(item) == 3):
            raise ValueError(f"bad span {item!r}: expected [start, end, label]")
        spans.append((item[0], item[1], item[2]))
    return spans


def span_problems(text: str, spans: list[Span]) -> list[tuple[Span, str]]:
    """Every span that breaks the scheme's contract, with the reason: range, label, edges, overlap."""
    problems: list[tuple[Span, str]] = []
    valid: list[Span] = []
    for span in spans:
        start, end, label = span
        if not (type(start) is int and type(end) is int):  # bool is an int to isinstance; 1.0 and "1" are no offsets
            problems.append((span, "has an offset that is not an integer"))
        elif not 0 <= start < end <= len(text):
            problems.append((span, f"is out of range for a text of {len(text)} characters"))
        elif label not in LABELS:
            problems.append((span, f"has unknown label {label!r} (scheme: {', '.join(LABELS)})"))
        elif problem := span_edge_problem(text[start:end]):
            problems.append((span, problem))
        else:
            valid.append(span)
    valid.sort()
    for prev, span in itertools.pairwise(valid):
        if span[0] < prev[1]:
            problems.append((span, f"overlaps {list(prev)}"))
    return problems


def describe(text: str, span: Span) -> str:
    """``[start, end, LABEL] '文本'`` for messages."""
    start, end, label = span
    shown = text[start:end] if isinstance(start, int) and isinstance(end, int) else ""
    return f"[{start}, {end}, {label}] {shown!r}"


class RecordError(ValueError):
    """A record that cannot be read at all (no text, malformed labels); its message names the place."""


def check_record(record: dict, where: str) -> tuple[list[Span], set[Span], list[str]]:
    """The record's spans, those that break the contract, and one message per broken span (``where: span …``)."""
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise RecordError(f"{where}: record has no 'text'")
    if surrogate := LONE_SURROGATE.search(text):
        code = f"U+{ord(surrogate.group()):04X}"
        raise RecordError(f"{where}: text holds a lone surrogate ({code}) at {surrogate.start()}, which is not valid Unicode")
    try:
        spans = spans_of(record)
    except (ValueError, KeyError, TypeError) as err:
        raise RecordError(f"{where}: {err}") from None
    problems = span_problems(text, spans)
    return spans, {tuple(span) for span, _ in problems}, [f"{where}: span {describe(text, span)} {why}" for span, why in problems]


# keys Doccano's import or export gives a meaning of its own (an ``id`` overwrites Doccano's example id)
RESERVED_KEYS = ("id", "filename", "upload_name", "example_uuid", "#line_number", "Comments")


def reserved_key_problems(record: dict, where: str) -> list[str]:
    """One message per key that a record headed for Doccano must not carry."""
    return [f"{where}: key {key!r} is reserved by Doccano's import/export; rename it" for key in RESERVED_KEYS if key in record]
