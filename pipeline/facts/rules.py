"""The fact rules of ``configs/facts/*.tsv``, read and compiled once; the place gazetteer; numbers in words.

Why: every rule the fact extractors apply (which word is a ranking verb, which verb says a project is built, which
ending makes a name an enterprise) is a row of a data file, so that a user can add a phrasing without touching code.
This module only reads, checks and compiles those rows (``configs/facts/README.md`` describes them); a bad row is a
GovnerError naming file and line. The gazetteer is the tagger's own (``configs/rules/places.txt``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import regex

from pipeline.errors import GovnerError
from pipeline.resources import CONFIGS

FACTS_DIR = CONFIGS / "facts"
PLACES_FILE = CONFIGS / "rules" / "places.txt"

# columns each table takes after its name, per file
SCHEMA: dict[str, dict[str, int]] = {
    "common.tsv": {"self": 1, "lead": 1, "place_suffix": 1, "town": 1, "place_stop": 1},
    "rankings.tsv": {
        "rank": 3,
        "scope": 2,
        "implied": 2,
        "verb": 1,
        "membership": 1,
        "adverb": 1,
        "opener": 1,
        "evaluation": 1,
        "not_measure": 1,
        "measure_kind": 2,
    },
    "projects.tsv": {"investment": 2, "money": 2, "capacity_prefix": 1, "capacity_unit": 1, "stage": 3},
    "enterprises.tsv": {
        "legal": 1,
        "weak": 1,
        "branch": 1,
        "generic": 1,
        "ratio": 2,
        "name_suffix": 1,
        "not_name": 1,
    },
}

# a number in Arabic or Chinese numerals: 3, 1.5, 2,600, 三, 十二, 一百二十, 两, 百
NUM = r"(?:\d+(?:[.,]\d+)*|[零〇一二两三四五六七八九十百千万]+)"
CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}


def parse_number(text: str) -> float | int | None:
    """``3`` → 3, ``1.5`` → 1.5, ``2,600`` → 2600, ``十二`` → 12, ``一百二十`` → 120, ``百`` → 100, ``两`` → 2; else None."""
    text = text.strip()
    if not text:
        return None
    if regex.fullmatch(r"\d+(?:,\d{3})*(?:\.\d+)?", text):
        value = float(text.replace(",", ""))
        return int(value) if value.is_integer() else value
    if not all(c in CN_DIGITS or c in CN_UNITS for c in text):
        return None
    total, section, digit = 0, 0, None
    for c in text:
        if c in CN_DIGITS:
            digit = CN_DIGITS[c] if digit is None else digit * 10 + CN_DIGITS[c]  # 二〇二三: digits one by one
        elif c == "万":
            section = (section + (digit or 0)) or 1
            total += section * 10000
            section, digit = 0, None
        else:
            section += (1 if digit is None else digit) * CN_UNITS[c]
            digit = None
    return total + section + (digit or 0)


def read_table_file(path: Path, schema: dict[str, int]) -> dict[str, list[tuple[int, list[str]]]]:
    """``{table: [(line, columns)]}`` of a rules file; an unknown table or a wrong number of columns is an error."""
    if not path.is_file():
        raise GovnerError(f"{path}: no such rules file")
    tables: dict[str, list[tuple[int, list[str]]]] = {name: [] for name in schema}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, *columns = line.split("\t")
        if name not in schema:
            raise GovnerError(f"{path}:{n}: unknown table {name!r} (expected one of {', '.join(schema)})")
        if len(columns) != schema[name] or not all(c.strip() for c in columns):
            raise GovnerError(f"{path}:{n}: table {name!r} takes {schema[name]} tab-separated column(s), got {len(columns)}")
        tables[name].append((n, [c.strip() for c in columns]))
    return tables


def compile_rule(path: Path, line: int, pattern: str, flags: int = 0) -> regex.Pattern:
    """A rule's pattern, with ``{NUM}`` as the named group ``n``; a pattern that does not compile is an error."""
    try:
        return regex.compile(pattern.replace("{NUM}", f"(?P<n>{NUM})"), flags)
    except regex.error as err:
        raise GovnerError(f"{path}:{line}: bad pattern {pattern!r} ({err})") from None


def alternation(path: Path, rows: list[tuple[int, list[str]]], column: int = 0, anchor: str = "") -> regex.Pattern:
    """One pattern matching any row's pattern, the longest where several match at the same place (POSIX)."""
    for line, columns in rows:
        compile_rule(path, line, columns[column])
    body = "|".join(f"(?:{columns[column]})" for _, columns in rows) or "(?!)"
    return regex.compile(anchor.replace("X", f"(?:{body})") if anchor else body, regex.POSIX)


@cache
def tables(name: str, folder: str | None = None) -> dict[str, list[tuple[int, list[str]]]]:
    """The tables of one rules file of ``configs/facts`` (or of ``folder``), read once."""
    return read_table_file(Path(folder or FACTS_DIR) / name, SCHEMA[name])


@dataclass(frozen=True)
class Common:
    self_ref: regex.Pattern
    lead: regex.Pattern
    suffixes: list[regex.Pattern]
    town: regex.Pattern
    place_stop: regex.Pattern


@lru_cache(maxsize=1)
def common() -> Common:
    path, t = FACTS_DIR / "common.tsv", tables("common.tsv")
    return Common(
        self_ref=alternation(path, t["self"]),
        lead=alternation(path, t["lead"], anchor="^(?:X)"),
        suffixes=[compile_rule(path, line, c[0]) for line, c in t["place_suffix"]],
        town=alternation(path, t["town"]),
        place_stop=alternation(path, t["place_stop"], anchor="^(?:X)$"),
    )


class Places:
    """The gazetteer: longest place name at a position, every place in a text, and the full form of a short name."""

    def __init__(self, names: list[str]) -> None:
        self.names = set(names)
        self.longest = max(map(len, names), default=0)
        self.by_prefix: dict[str, list[str]] = {}
        for name in names:
            self.by_prefix.setdefault(name[:2], []).append(name)

    @classmethod
    def load(cls, path: Path = PLACES_FILE) -> Places:
        if not path.is_file():
            raise GovnerError(f"{path}: no gazetteer")
        lines = path.read_text(encoding="utf-8").splitlines()
        return cls([line.strip() for line in lines if line.strip() and not line.startswith("#")])

    def at(self, text: str, i: int = 0) -> str | None:
        """The longest place name that starts at ``text[i]``."""
        for size in range(min(self.longest, len(text) - i), 1, -1):
            if text[i : i + size] in self.names:
                return text[i : i + size]
        return None

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """Every place name in ``text``, longest first from the left, not overlapping."""
        found, i = [], 0
        while i < len(text):
            name = self.at(text, i)
            if name:
                found.append((i, i + len(name), name))
                i += len(name)
            else:
                i += 1
        return found

    def is_full(self, name: str) -> bool:
        """Whether a gazetteer name ends in an administrative suffix (长汀县, 宁夏回族自治区), i.e. is not a bare short name."""
        rules = common()
        return (
            any(name[:i] in self.names and rule.fullmatch(name[i:]) for i in range(2, len(name)) for rule in rules.suffixes)
            or (len(name) >= 3 and name[-1] in "省市县区旗盟")
            or (len(name) == 2 and name[-1] == "县")
        )  # 宾县; not 矿区, 郊区

    def full(self, name: str) -> str:
        """The full form of a short place name (长汀 → 长汀县, 宁夏 → 宁夏回族自治区); other names as they are."""
        if name not in self.names or self.is_full(name):
            return name
        candidates = [c for c in self.by_prefix.get(name[:2], []) if c.startswith(name) and c != name]
        for rule in common().suffixes:  # the order of the rules is the order of preference
            for candidate in sorted(candidates, key=len):
                if rule.fullmatch(candidate[len(name) :]):
                    return candidate
        return name


@lru_cache(maxsize=1)
def places() -> Places:
    return Places.load()


def strip_lead(text: str) -> str:
    """``text`` without the time, modal and framing words at its start (今年以来, 力争, 其中 …), however many."""
    lead = common().lead
    while True:
        text = text.lstrip('，、；：,;: \u3000“”"‘’「」—-')
        m = lead.match(text)
        if not m or not m.group():
            return text
        text = text[m.end() :]
