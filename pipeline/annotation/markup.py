"""Inline authoring markup for corpus documents: ``[[晋江市|GPE]]`` becomes text plus offsets.

Authors write documents with the markup; ``govner corpus build`` turns them into the Doccano JSONL that
is the corpus' source of truth. Kept free of spaCy so it runs anywhere.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.scheme import LABELS, span_edge_problem

SPAN_RE = re.compile(r"\[\[(.+?)\|([A-Z]+)\]\]", re.S)
META_RE = re.compile(r"^#\s*(\w+)\s*:\s*(.*?)\s*$")


class MarkupError(ValueError):
    """A markup problem, with the place it occurs."""


def parse_markup(marked: str, where: str = "") -> tuple[str, list[list]]:
    """Return the plain text and ``[start, end, label]`` spans (code-point offsets)."""
    plain: list[str] = []
    spans: list[list] = []
    pos = 0
    length = 0
    for m in SPAN_RE.finditer(marked):
        before = marked[pos : m.start()]
        plain.append(before)
        length += len(before)
        inner, label = m.group(1), m.group(2)
        if "[[" in inner or "]]" in inner or "|" in inner:
            raise MarkupError(f"{where}: nested or broken markup in {m.group(0)!r}")
        if label not in LABELS:
            raise MarkupError(f"{where}: unknown label {label!r} in {m.group(0)!r}")
        problem = span_edge_problem(inner)
        if problem:
            raise MarkupError(f"{where}: span {inner!r} {problem}")
        spans.append([length, length + len(inner), label])
        plain.append(inner)
        length += len(inner)
        pos = m.end()
    plain.append(marked[pos:])
    text = "".join(plain)
    for token in ("[[", "]]"):
        if token in text:
            raise MarkupError(f"{where}: unmatched {token!r} near {text[max(0, text.index(token) - 10):text.index(token) + 10]!r}")
    return text, spans


def parse_document(path: Path) -> dict:
    """Read one authoring file: ``# key: value`` header lines, then paragraphs separated by blank lines."""
    raw = path.read_text(encoding="utf-8")
    meta: dict[str, str] = {}
    lines = raw.split("\n")
    while lines and (META_RE.match(lines[0]) or not lines[0].strip()):
        m = META_RE.match(lines[0])
        if m:
            meta[m.group(1)] = m.group(2)
        lines.pop(0)
    body = "\n".join(lines).strip("\n")
    paragraphs = []
    for i, block in enumerate(re.split(r"\n[ \t]*\n", body)):
        block = block.strip("\n")
        if not block.strip():
            continue
        text, spans = parse_markup(block, f"{path} paragraph {i + 1}")
        paragraphs.append({"text": text, "label": spans})
    if not paragraphs:
        raise MarkupError(f"{path}: no paragraphs")
    return {"meta": meta, "paragraphs": paragraphs}
