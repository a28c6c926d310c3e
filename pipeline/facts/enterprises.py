"""Enterprises across reports: the mentions of one enterprise, under all its names, as one group.

Why: one report writes 宁德时代新能源科技股份有限公司, the next 宁德时代, a third 寧德時代; a researcher counting the
reports an enterprise recurs in needs them as one. Contract (``docs/facts.md``): ``group_enterprises`` takes
ENTERPRISE mentions (report, name, the report's place) and returns groups with a canonical name (the variant in the
most reports, then with the most mentions, then the longest), the variants, the reports and the places; every
mention gets its group. Names are compared by their *core*: simplified characters, legal endings (股份有限公司, 集团)
and generic words (科技) off, a branch (长沙银行浏阳支行 → 长沙银行) cut back to its enterprise. Two names are one
enterprise when their cores are equal, equal but for a leading place only one of them has (犇星化工, 湖北犇星化工),
close by rapidfuzz's ratio (long names differing by a character or two), one is the start of the other (宁德时代,
宁德时代新能源) or its abbreviation (陕汽, 陕西汽车) — the last two only where they point at one group alone.
``docs/facts.md`` says what this gets wrong. Word lists are rows of ``configs/facts/enterprises.tsv``.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Set
from dataclasses import dataclass
from functools import lru_cache

import regex
from rapidfuzz import fuzz, process

from pipeline.facts.rules import FACTS_DIR, alternation, places, tables
from pipeline.text.clean import to_simplified

QUOTES = '“”"‘’「」『』《》 \u3000'


@dataclass(frozen=True)
class EnterpriseRules:
    legal: regex.Pattern
    weak: regex.Pattern
    branch: regex.Pattern
    generic: regex.Pattern
    ratio: int
    min_length: int
    name_suffix: regex.Pattern
    not_name: regex.Pattern


@lru_cache(maxsize=1)
def enterprise_rules() -> EnterpriseRules:
    path, t = FACTS_DIR / "enterprises.tsv", tables("enterprises.tsv")
    ratio, min_length = t["ratio"][0][1] if t["ratio"] else ["90", "6"]
    if not (ratio.isdigit() and min_length.isdigit()):
        from pipeline.errors import GovnerError

        raise GovnerError(f"{path}:{t['ratio'][0][0]}: ratio takes two whole numbers (threshold, minimum length)")
    return EnterpriseRules(
        legal=alternation(path, t["legal"], anchor="(?:X)$"),
        weak=alternation(path, t["weak"], anchor="(?:X)$"),
        branch=alternation(path, t["branch"], anchor="(?:X)$"),
        generic=alternation(path, t["generic"], anchor="^(?:X)$"),
        ratio=int(ratio),
        min_length=int(min_length),
        name_suffix=alternation(path, t["name_suffix"]),
        not_name=alternation(path, t["not_name"]),
    )


def surface(name: str) -> str:
    """A name as written, without whitespace and quotes."""
    return "".join(c for c in name if c not in QUOTES and not c.isspace())


def split_place(core: str) -> tuple[str | None, str]:
    """(leading place, rest) of a core, when at least three characters remain (湖北犇星化工 → 湖北, 犇星化工);
    a place that is most of the name stays (长沙银行, 吴忠仪表)."""
    gazetteer = places()
    place = gazetteer.at(core)
    if place:
        rest = core[len(place) :]
        for suffix in ("省", "市", "县", "区"):
            if rest.startswith(suffix) and gazetteer.at(place + suffix) is None:
                place, rest = place + suffix, rest[1:]
        if len(rest) >= 3:
            return place, rest
    return None, core


def core_name(name: str, weak: bool = True) -> str:
    """The part of an enterprise name that identifies it (宁德时代新能源科技股份有限公司 → 宁德时代新能源);
    ``weak=False`` leaves generic words (科技) on."""
    r = enterprise_rules()
    core = to_simplified(surface(name))
    for _ in range(4):
        before = core
        if (m := r.branch.search(core)) and len(core) - len(m.group()) >= 2:
            core = core[: m.start()]
            tail = [p for p in places().find(core) if p[1] == len(core)]
            if tail and tail[-1][0] >= 2:
                core = core[: tail[-1][0]]
        while (m := r.legal.search(core)) and m.start() >= 2:
            core = core[: m.start()]
        if weak and (m := r.weak.search(core)) and m.start() >= 2:
            core = core[: m.start()]
        tail = [p for p in places().find(core) if p[1] == len(core) and p[0] >= 2]
        if tail and not r.branch.search(before):  # 国家电投湖南 (公司) → 国家电投
            core = core[: tail[-1][0]]
        if core == before:
            break
    return core


class _Groups:
    """Union-find over names."""

    def __init__(self, items: list[str]) -> None:
        self.parent = {item: item for item in items}

    def find(self, item: str) -> str:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _is_abbreviation(short: str, long: str) -> bool:
    """陕汽 of 陕西汽车, 陕煤 of 陕西煤业化工: the long name starts with a place (or 中国), and the short one is the
    first character of each of its two-character words."""
    if not 2 <= len(short) <= 3 or len(long) < 2 * len(short):
        return False
    if not (places().at(long) or long.startswith("中国")):  # 陕西汽车, not 海光信息 for 海信
        return False
    return all(long[2 * i] == c for i, c in enumerate(short))  # the first character of each two-character word


def link_names(cores: list[str], written: Set[str] = frozenset(), weak: Set[str] = frozenset()) -> dict[str, str]:
    """For each distinct core, the core that stands for its group (see the module docstring for the rules).

    ``written``: the names as written (simplified); a two-character core starts or abbreviates longer names only
    when it was written so (华为, 陕汽集团), not when stripping left it (阳光集团 → 阳光 is not 阳光电源).
    ``weak``: cores that only a generic word's removal made (TCL科技 → TCL); they start no longer names either."""
    r = enterprise_rules()
    groups = _Groups(cores)
    split = {core: split_place(core) for core in cores}
    by_rest: dict[str, list[str]] = defaultdict(list)
    for core, (_, rest) in split.items():
        by_rest[rest].append(core)
    for members in by_rest.values():  # 犇星化工 and 湖北犇星化工, not 山西煤业化工 and 陕西煤业化工
        placed = {split[m][0] for m in members if split[m][0]}
        if len(placed) <= 1:
            for m in members[1:]:
                groups.union(members[0], m)
    long = [c for c in cores if len(c) >= r.min_length]
    by_first: dict[str, list[str]] = defaultdict(list)
    for core in long:
        by_first[core[0]].append(core)
    for bucket in by_first.values():
        if len(bucket) < 2:
            continue
        scores = process.cdist(bucket, bucket, scorer=fuzz.ratio, score_cutoff=r.ratio)
        for i, j in zip(*scores.nonzero()):
            if i < j:
                groups.union(bucket[i], bucket[j])
    # every core under its own name and, when it starts with a place, without it: (form, core, place left out)
    forms = {core: {(core, None), (split[core][1], split[core][0])} for core in cores}
    index = sorted((form, core, place) for core in cores for form, place in forms[core])
    keys_sorted = [form for form, _, _ in index]
    by_initial: dict[str, list[str]] = defaultdict(list)
    for core in cores:
        by_initial[core[:1]].append(core)
    for short in sorted(cores, key=len):
        keys = {(k, p) for k, p in forms[short] if (k in written or (len(k) >= 3 and k not in weak)) and not r.generic.match(k)}
        targets = set()
        for key, place in keys:  # 宁德时代 → 宁德时代新能源: every longer name that starts with it
            i = bisect.bisect_left(keys_sorted, key)
            while i < len(index) and index[i][0].startswith(key):
                form, core, other = index[i]
                if form != key and core != short and not (place and other and place != other):
                    targets.add(groups.find(core))
                i += 1
        if not targets and (short in written or short + "集团" in written):  # 陕汽 → 陕西汽车
            for core in by_initial.get(short[:1], []):
                if core != short and _is_abbreviation(short, core):
                    targets.add(groups.find(core))
        targets.discard(groups.find(short))
        if len(targets) == 1:
            groups.union(short, targets.pop())
    return {core: groups.find(core) for core in cores}


def group_enterprises(mentions: list[dict]) -> tuple[list[dict], list[int]]:
    """Groups of ENTERPRISE mentions ``{"report_id", "name", "place"}``: ``(groups, group index of each mention)``.

    Each group: ``group_id``, ``canonical``, ``variants`` (most mentioned first), ``reports``, ``mentions``,
    ``places`` and ``report_ids``; groups in the most widespread first.
    """
    names = [surface(m["name"]) for m in mentions]
    cores = [core_name(n) for n in names]
    weak = {c for n, c in zip(names, cores) if c != core_name(n, weak=False)}
    roots = link_names(sorted(set(cores)), {to_simplified(n) for n in names}, weak)
    members: dict[str, list[int]] = defaultdict(list)
    for i, core in enumerate(cores):
        members[roots[core]].append(i)
    groups = []
    for idx in members.values():
        variant_reports: dict[str, set] = defaultdict(set)
        variant_mentions: Counter = Counter()
        for i in idx:
            variant_reports[names[i]].add(mentions[i]["report_id"])
            variant_mentions[names[i]] += 1
        branch = enterprise_rules().branch
        variants = sorted(
            variant_mentions, key=lambda v: (-len(variant_reports[v]), -variant_mentions[v], bool(branch.search(v)), -len(v), v)
        )
        canonical = variants[0]
        if len(variants) > 1 and all(branch.search(v) for v in variants):  # 中国银行常州分行, 中国银行烟台分行 …
            canonical = Counter(cores[i] for i in idx).most_common(1)[0][0]
        report_ids = sorted({mentions[i]["report_id"] for i in idx})
        groups.append(
            {
                "canonical": canonical,
                "variants": variants,
                "reports": len(report_ids),
                "mentions": len(idx),
                "places": sorted({mentions[i]["place"] for i in idx if mentions[i].get("place")}),
                "report_ids": report_ids,
                "_members": idx,
            }
        )
    groups.sort(key=lambda g: (-g["reports"], -g["mentions"], g["canonical"]))
    of_mention = [0] * len(mentions)
    for gid, group in enumerate(groups, 1):
        group["group_id"] = gid
        for i in group.pop("_members"):
            of_mention[i] = gid
    return groups, of_mention
