"""Cleaning that the model sees, with a map back to the text as read.

Every edit is a deletion or a one-for-one substitution, so the map from cleaned to original positions is
monotonic and any entity found in the cleaned text points back at exactly the characters it came from.

The edits: lines broken inside a sentence are joined (PDF extraction breaks lines, and words, where the page
did); spaces between Chinese characters go; the carriage return of a CRLF goes; Kangxi radicals and CJK
compatibility ideographs (⼯ ⽐ 﨑, which PDF printers emit for ordinary characters) become the ideographs
they stand for (their NFKC form, where that is one character); half-width punctuation next to Chinese text
becomes full-width and full-width digits and letters half-width, as in the training corpus; optionally
traditional characters become simplified (OpenCC ``t2s``).

Page furniture is not deleted wholesale. Running headers (the report's title, repeated on every page) hold
entities that the corpus annotates (``2022年[晋江市]政府工作报告``), so deleting them would lose entities;
instead they stay lines of their own, never joined to the sentence before or after them. A sentence broken
by a page break is joined across page numbers ("— 3 —", "第 3 页") and blank lines, which are deleted as part
of the join since they hold no entity. When a running header stands between the two halves, the break is
kept: joining them would move the header, and the map to the original must stay monotonic.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from array import array
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

CJK = r"\u3400-\u9fff\uf900-\ufaff"
HALF_TO_FULL = {",": "，", ";": "；", ":": "：", "(": "（", ")": "）", "?": "？", "!": "！"}
# half-width punctuation next to Chinese text (not 1,000 or 3:2 between digits)
HALF_PUNCT = re.compile(rf"(?<=[{CJK}])[,;:()?!]|[,;:()?!](?=[{CJK}])")
FULL_WIDTH = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff05]+")  # digits, letters, %
FULL_TO_HALF = {full: full - 0xFEE0 for full in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B), 0xFF05]}
STRAY_SPACE = re.compile(rf"(?<=[{CJK}，、。；：])[ \t\u3000]+(?=[{CJK}])")
SENTENCE_END = set("。！？；：…”」』）)!?;:")
FULL_STOPS = set("。！？；….!?;")  # a line ending in one is a sentence, not a running header
NUMERAL = "[一二三四五六七八九十]"
HEADING = re.compile(rf"{NUMERAL}+、|[（(]{NUMERAL}+[)）]|\d+[.、．]|第{NUMERAL}+[章节部分]|[—-]\s*\d")
DASHES = r"[-—–－_·•\s]*"
# "— 3 —", "- 3 -", "3", "3/20", "第 3 页", "第3页 共20页"
PAGE_NUMBER = re.compile(
    rf"{DASHES}(?:第\s*\d{{1,4}}\s*页(?:\s*[,，/／]?\s*共\s*\d{{1,4}}\s*页)?|\d{{1,4}}(?:\s*[/／]\s*\d{{1,4}})?){DASHES}"
)
DIGITS = re.compile(r"\d+")
HEADER_MAX = 40
BLANK, PAGE, HEADER, BODY = range(4)


class OffsetMap(Sequence[int]):
    """Cleaned position → original position, kept as runs of characters kept together, so that its memory
    grows with the number of edits, not with the length of the text (reports can be 20 MB)."""

    def __init__(self, runs: list[tuple[int, int]]) -> None:
        self.starts, self.origins, length = array("q"), array("q"), 0  # per run: cleaned start, original start
        for start, end in runs:
            if end > start:
                self.starts.append(length)
                self.origins.append(start)
                length += end - start
        self.length = length

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self.length))]
        if i < 0:
            i += self.length
        if not 0 <= i < self.length:
            raise IndexError(i)
        run = bisect.bisect_right(self.starts, i) - 1
        return self.origins[run] + i - self.starts[run]

    def __iter__(self) -> Iterator[int]:
        ends = [*self.starts[1:], self.length]
        for start, end, origin in zip(self.starts, ends, self.origins):
            yield from range(origin, origin + end - start)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]

    def position(self, original: int) -> int:
        """The first cleaned position whose original offset is ``original`` or later."""
        run = bisect.bisect_right(self.origins, original) - 1
        if run < 0:
            return 0
        end = self.starts[run + 1] if run + 1 < len(self.starts) else self.length
        return min(self.starts[run] + original - self.origins[run], end)


@dataclass(frozen=True)
class Cleaned:
    """The cleaned text and, for each of its characters, the offset of that character in the original."""

    text: str
    index: OffsetMap
    original_length: int

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a cleaned span back into the text as read."""
        if start >= end:
            raise ValueError(f"empty span {start}:{end}")
        return self.index[start], self.index[end - 1] + 1

    def from_original(self, start: int, end: int) -> tuple[int, int]:
        """Map an original span into the cleaned text (characters deleted inside it are skipped)."""
        return self.index.position(start), self.index.position(end)


def _lines(text: str) -> list[tuple[int, int, str]]:
    """Each line as (start, end, text) without the whitespace around it."""
    lines, offset = [], 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        start = offset + len(raw) - len(raw.lstrip()) if stripped else offset
        lines.append((start, start + len(stripped), stripped))
        offset += len(raw) + 1
    return lines


def _kinds(lines: list[tuple[int, int, str]]) -> list[int]:
    """Blank line, page number, running header (a short line repeated, page numbers aside, not a sentence) or body."""
    shapes = [DIGITS.sub("#", line) if 0 < len(line) <= HEADER_MAX else "" for _, _, line in lines]
    repeated = Counter(shapes)
    kinds = []
    for (_, _, line), shape in zip(lines, shapes):
        if not line:
            kinds.append(BLANK)
        elif shape and PAGE_NUMBER.fullmatch(line):
            kinds.append(PAGE)
        elif shape and repeated[shape] > 1 and line[-1] not in FULL_STOPS:
            kinds.append(HEADER)
        else:
            kinds.append(BODY)
    return kinds


def _full_length(lengths: list[int]) -> int:
    """Lines at least this long were broken by page layout, not by the author."""
    if not lengths:
        return 10**9
    lengths = sorted(lengths)
    if len(lengths) < 4:  # a paragraph of a few lines: a line as long as the longest, and as a printed page's
        return max(20, int(lengths[-1] * 0.9))
    return max(12, int(lengths[int(len(lengths) * 0.75)] * 0.7))


def _ends_sentence(line: str) -> bool:
    return line[-1] in SENTENCE_END or (line[-1] == "." and not line[-2:-1].isdigit())


def _joins(text: str) -> list[tuple[int, int]]:
    """Spans to delete so that lines broken inside a sentence join, across page numbers but not headers."""
    lines = _lines(text)
    kinds = _kinds(lines)
    full = _full_length([len(line) for (_, _, line), kind in zip(lines, kinds) if kind == BODY])
    deletions = []
    for i, (_, end, line) in enumerate(lines):
        if kinds[i] != BODY or len(line) < full or _ends_sentence(line):
            continue
        j = i + 1
        while j < len(lines) and kinds[j] in (BLANK, PAGE):
            j += 1
        between = kinds[i + 1 : j]
        # blank lines alone mark a paragraph; around a page number they are page layout
        if j < len(lines) and kinds[j] == BODY and (not between or PAGE in between) and not HEADING.match(lines[j][2]):
            deletions.append((end, lines[j][0]))
    return deletions


# Kangxi radicals, CJK radicals supplement, compatibility ideographs (and their supplement) → NFKC, one for one
COMPATIBLE = {
    code: normal
    for first, last in ((0x2E80, 0x2FDF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))
    for code in range(first, last + 1)
    if len(normal := unicodedata.normalize("NFKC", chr(code))) == 1 and normal != chr(code)
}
CRLF = re.compile(r"\r(?=\n)")


@lru_cache(maxsize=1)
def _t2s():
    from opencc import OpenCC

    return OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → simplified with OpenCC, length kept: a line whose conversion changes length goes char by char."""
    converter = _t2s()
    out = []
    for line in text.split("\n"):
        converted = converter.convert(line)
        if len(converted) != len(line):
            converted = "".join(c if len(s := converter.convert(c)) != 1 else s for c in line)
        out.append(converted)
    return "\n".join(out)


def clean(text: str, t2s: bool = False) -> Cleaned:
    """Join lines broken inside sentences, drop stray spaces between Chinese characters, unify punctuation width."""
    chars = FULL_WIDTH.sub(lambda m: m.group().translate(FULL_TO_HALF), text.translate(COMPATIBLE))
    chars = HALF_PUNCT.sub(lambda m: HALF_TO_FULL[m.group()], chars)
    if t2s:
        chars = to_simplified(chars)
    deletions = sorted([*_joins(text), *(m.span() for m in STRAY_SPACE.finditer(chars)), *(m.span() for m in CRLF.finditer(text))])
    runs, kept_from = [], 0
    for start, end in deletions:
        runs.append((kept_from, start))
        kept_from = max(kept_from, end)
    runs.append((kept_from, len(text)))
    runs = [(start, end) for start, end in runs if end > start]
    return Cleaned("".join(chars[start:end] for start, end in runs), OffsetMap(runs), len(text))
