"""Cleaning that the model sees, with a map back to the text as read.

Every edit is a deletion or a one-for-one substitution, so the map from cleaned to original positions is
monotonic and any entity found in the cleaned text points back at exactly the characters it came from.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

CJK = r"\u3400-\u9fff\uf900-\ufaff"
HALF_TO_FULL = str.maketrans({",": "，", ";": "；", ":": "：", "(": "（", ")": "）", "?": "？", "!": "！"})
# half-width punctuation next to Chinese text (not 1,000 or 3:2 between digits)
HALF_PUNCT = re.compile(rf"(?<=[{CJK}])[,;:()?!]|[,;:()?!](?=[{CJK}])")
STRAY_SPACE = re.compile(rf"(?<=[{CJK}，、。；：])[ \t\u3000]+(?=[{CJK}])")
LINE_END = re.compile(r"[ \t\u3000]*\n[ \t\u3000]*")
SENTENCE_END = set("。！？；：…”」』）)!?;:")
HEADING = re.compile(r"[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）]|\d+[.、．]|第[一二三四五六七八九十]+[章节部分]|[—-]\s*\d")


@dataclass(frozen=True)
class Cleaned:
    """The cleaned text and, for each of its characters, the offset of that character in the original."""

    text: str
    index: tuple[int, ...]
    original_length: int

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a cleaned span back into the text as read."""
        if start >= end:
            raise ValueError(f"empty span {start}:{end}")
        return self.index[start], self.index[end - 1] + 1

    def from_original(self, start: int, end: int) -> tuple[int, int]:
        """Map an original span into the cleaned text (characters deleted inside it are skipped)."""
        return bisect.bisect_left(self.index, start), bisect.bisect_left(self.index, end)


def _full_lines(text: str) -> int:
    """Lines at least this long were broken by page layout, not by the author."""
    lengths = sorted(len(line.strip()) for line in text.split("\n") if line.strip())
    if len(lengths) < 4:
        return 10**9
    return max(12, int(lengths[int(len(lengths) * 0.75)] * 0.7))


def clean(text: str) -> Cleaned:
    """Join lines broken inside sentences, drop stray spaces between Chinese characters, unify punctuation width."""
    deleted = bytearray(len(text))
    chars = list(text)
    full = _full_lines(text)
    line_start = 0
    for m in LINE_END.finditer(text):
        line = text[line_start : m.start()].strip()
        nxt = text[m.end() : m.end() + 1]
        joins = line and len(line) >= full and line[-1] not in SENTENCE_END and nxt and not nxt.isspace()
        if joins and not HEADING.match(text, m.end()):
            deleted[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
        line_start = m.end()
    for m in STRAY_SPACE.finditer(text):
        deleted[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
    for m in HALF_PUNCT.finditer(text):
        chars[m.start()] = m.group().translate(HALF_TO_FULL)
    keep = [i for i in range(len(text)) if not deleted[i]]
    return Cleaned("".join(chars[i] for i in keep), tuple(keep), len(text))
