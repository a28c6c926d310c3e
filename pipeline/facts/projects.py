"""Project facts: how much a PROJECT costs, what it will make, how far along it is, where and whose it is.

Why: a researcher asks which projects a county started and with how much investment; the answer is in the words
around each PROJECT entity. Contract (``docs/facts.md``): for every PROJECT entity, ``investment_yuan`` with its
``investment_kind`` (total, planned, completed, agreed, added, unspecified; 总投资30亿元的 before the name or
总投资/完成投资 … in its clause after it), ``capacity_value``/``capacity_unit`` (年产30万吨 → 300000 吨, in its name
or after a 年产/装机 word in its clause), ``stage`` (签约 … 投用, from the verbs of its clause; the most advanced
one wins, 建设/推进 only when nothing else is said), ``place`` (a place in its name, else a GPE of its clause, else
the report's place) and ``enterprise`` (an enterprise named at the start of its name, else an ENTERPRISE of its
clause), and the report's ``year``. Every word list is a row of ``configs/facts/projects.tsv``, ``enterprises.tsv``
or ``common.tsv``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import regex

from pipeline.facts.context import Context, Ent
from pipeline.facts.enterprises import core_name, enterprise_rules
from pipeline.facts.rules import FACTS_DIR, NUM, alternation, common, compile_rule, parse_number, places, strip_lead, tables

# 约, 达, 超 … between an investment word and its amount
AMOUNT_HEDGE = r"(?:约|达|超|超过|近|逾|达到|共|计|合计|为)?"
CN_NUM_CHARS = set("零〇一二两三四五六七八九十百千")
COUNT = regex.compile(r"等[\d一二三四五六七八九十百]+[个项批]")  # 等47个项目: the amount after it is theirs together


@dataclass(frozen=True)
class ProjectRules:
    investment: regex.Pattern  # the investment words (总投资, 完成投资 …)
    kinds: dict[str, str]
    money: dict[str, float]
    amount: regex.Pattern
    capacity: regex.Pattern
    capacity_prefix: regex.Pattern
    stages: list[tuple[str, bool, regex.Pattern]]
    order: dict[str, int]


@lru_cache(maxsize=1)
def rules() -> ProjectRules:
    path, t = FACTS_DIR / "projects.tsv", tables("projects.tsv")
    kinds = {}
    for _, (kind, pattern) in t["investment"]:
        for word in pattern.split("|"):
            kinds.setdefault(word, kind)
    investment = alternation(path, [(line, [c[1]]) for line, c in t["investment"]])
    money = {unit: float(mult) for _, (mult, pattern) in t["money"] for unit in pattern.split("|")}
    currency = "|".join(sorted(money, key=len, reverse=True))
    amount = regex.compile(
        rf"(?P<word>{investment.pattern}){AMOUNT_HEDGE}(?P<num>\d+(?:\.\d+)?)(?P<unit>{currency}|亿美元|万美元|美元|亿欧元|万欧元|欧元|亿港元|万港元|港元)",
        regex.POSIX,
    )
    units = alternation(path, t["capacity_unit"])
    prefix = alternation(path, t["capacity_prefix"])
    hedge = "(?:达到|达|为|约|超过|超|突破|共计|共|累计)?"
    capacity = regex.compile(
        rf"(?:(?P<prefix>{prefix.pattern}){hedge})?(?P<num>{NUM})?(?P<mult>[万亿])?(?P<unit>{units.pattern})(?!级)(?P<per>/年)?",
        regex.POSIX,
    )
    stages, order = [], {}
    for line, (stage, weak, pattern) in t["stage"]:
        if weak not in ("yes", "no"):
            from pipeline.errors import GovnerError

            raise GovnerError(f"{path}:{line}: the weak column is yes or no, got {weak!r}")
        order.setdefault(stage, len(order))
        stages.append((stage, weak == "yes", compile_rule(path, line, f"(?:{pattern})(?!后)", regex.POSIX)))
    return ProjectRules(investment, kinds, money, amount, capacity, prefix, stages, order)


def parse_amount(num: str, unit: str) -> float | None:
    """An amount in yuan (``30``, ``亿元`` → 3e9); None for another currency."""
    mult = rules().money.get(unit)
    value = parse_number(num)
    return None if mult is None or value is None else round(float(value) * mult, 2)


def _investment_of(match: regex.Match) -> dict:
    word = match.group("word")
    return {
        "investment_yuan": parse_amount(match.group("num"), match.group("unit")),
        "investment_kind": rules().kinds.get(word, "unspecified"),
        "investment_text": match.group(),
    }


def find_investment(before: str, after: str) -> dict | None:
    """The investment of a project from the text right before its name (``总投资30亿元的``) or after it in its clause
    (``总投资30亿元``, ``完成投资1.1亿元``): not past another project, nor a count (等12个项目总投资 is theirs)."""
    r = rules()
    tail = regex.search(rf"(?:{r.amount.pattern})的$", before, regex.POSIX)
    if tail:
        return _investment_of(tail)
    m = r.amount.search(after)
    if m and not COUNT.search(after[: m.start()]):
        return _investment_of(m)
    return None


def find_capacity(name: str, after: str = "") -> dict | None:
    """A capacity in a project's name (any number with a unit: 100兆瓦, 年产30万吨) or, after a 年产/装机 word,
    in its clause; Chinese numerals count only with 万/亿 (百万只, not 两条)."""
    for text, needs_prefix in ((name, False), (after, True)):
        for m in rules().capacity.finditer(text):
            num, mult = m.group("num"), m.group("mult")
            if (needs_prefix and not m.group("prefix")) or not (num or mult):
                continue
            if num and set(num) <= CN_NUM_CHARS and not mult:  # 两条, 三台: words, not capacities
                continue
            value = parse_number(num) if num else 1
            if value is None:
                continue
            value = round(float(value) * {"万": 1e4, "亿": 1e8}.get(mult or "", 1), 4)
            return {"capacity_value": value, "capacity_unit": m.group("unit"), "capacity_text": m.group()}
    return None


def find_stage(clause: str) -> tuple[str | None, str | None]:
    """(stage, the verbs that say it) of a clause with the project and other entities blanked out."""
    r = rules()
    strong, weak = [], []
    for stage, is_weak, pattern in r.stages:
        for m in pattern.finditer(clause):
            if clause[m.end() : m.end() + 1] == "的":  # 引进的[项目]完成签约: an attribute, not what happened to it
                continue
            (weak if is_weak else strong).append((m.start(), m.end(), stage, m.group()))
    found = strong or weak
    if not found:
        return None, None
    found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    kept, end = [], -1
    for f in found:  # the longest verb wins where two overlap (主体完工 over 完工)
        if f[0] >= end:
            kept.append(f)
            end = f[1]
    best = max(kept, key=lambda f: r.order[f[2]])
    return best[2], "、".join(dict.fromkeys(f[3] for f in kept))


def _not_name(text: str) -> bool:
    return bool(enterprise_rules().not_name.search(text)) or bool(regex.search(r"\d", text))


def _is_place(text: str) -> bool:
    gazetteer = places()
    return gazetteer.at(text) == text or bool(common().town.fullmatch(text))


def _places_in(ctx: Context, name: str, start: int = 0) -> list[tuple[int, int, str]]:
    """Places named in a project's name from ``start``: a town at its start, full names (长汀县) anywhere, short
    names (长汀) only where the report itself names that place (清水沟 is no 清水县 unless the report speaks of it)."""
    gazetteer, rules_ = places(), common()
    found = []
    if start == 0 and (m := rules_.town.match(name)):
        known = gazetteer.at(name)
        if known is None or len(m.group()) > len(known):
            found.append((0, m.end(), m.group()))
            start = m.end()
    for a, b, place in gazetteer.find(name[start:]):
        a, b = a + start, b + start
        if rules_.place_stop.match(place):
            continue
        if name[b : b + 1] in ("市", "县", "区", "旗") and place + name[b] not in gazetteer.names:
            place, b = place + name[b], b + 1  # 神木市 as written, where the gazetteer has only 神木县
        if gazetteer.is_full(place) or ctx.full(place) in ctx.gpe_places:
            found.append((a, b, place))
    return found


def enterprise_in_name(ctx: Context, name: str) -> str | None:
    """The enterprise a project's name starts with: the words before a place inside it (比亚迪襄阳… → 比亚迪), a
    known ENTERPRISE of the report (哈药集团宾西… → 哈药集团), the words before its capacity (久泰年产… → 久泰), or a
    name ending in an industry word (犇星化工… → 犇星化工); never a place, a facility or a park."""
    er = enterprise_rules()
    inner = [p for p in _places_in(ctx, name) if p[0] > 0]
    if inner:
        before = name[: inner[0][0]]
        if 2 <= len(before) <= 8 and not _not_name(before) and not _is_place(before):
            return before
    for e in ctx.entities:
        if e.label != "ENTERPRISE":
            continue
        common_len = 0
        for x, y in zip(e.name, name):
            if x != y:
                break
            common_len += 1
        if common_len >= max(2, len(core_name(e.name))) and common_len < len(name):
            suffix = er.name_suffix.match(name, common_len)  # 伊泰集团 known, 伊泰化工… named: 伊泰化工
            if suffix and regex.match("园|产业园|工业园|基地", name[suffix.end() :]):
                suffix = None  # 犇星化工新材料产业园: 犇星化工's park
            return name[: suffix.end() if suffix else common_len]
    m = rules().capacity.search(name)
    if m and (m.group("prefix") or m.group("num")):
        before = name[: m.start()]
        if 2 <= len(before) <= 10 and not _not_name(before) and not _is_place(before):
            return before
    for m in er.name_suffix.finditer(name):
        part, rest = name[: m.start()], name[m.end() :]
        if len(part) < 2 or len(part) > 8:
            continue
        if er.name_suffix.fullmatch(part) or _not_name(part) or _is_place(part) or regex.search("^园|产业园|工业园|园区", rest):
            break
        return name[: m.end()]
    return None


def project_facts(ctx: Context, ent: Ent) -> dict:
    """All fields of one PROJECT entity in its report (see the module docstring)."""
    name = ent.name
    c_start, c_end = ctx.clause(ent.start)
    before = ctx.masked(c_start, ent.start)
    after = ctx.masked(ent.end, c_end)
    facts: dict = {
        "investment_yuan": None,
        "investment_kind": None,
        "investment_text": None,
        "capacity_value": None,
        "capacity_unit": None,
        "capacity_text": None,
    }
    after = _cut_at_project(ctx, ent, c_end, after)
    investment = find_investment(before, after)
    s_end = ctx.sentence(ent.start)[1]
    alone = not ctx.within(ent.end, c_end, ("PROJECT",)) and not COUNT.search(after)
    if investment is None and alone and c_end < s_end and not ctx.within(c_end, ctx.clause(c_end)[1], ("PROJECT",)):
        # [项目]开工，总投资30亿元: a clause that opens with the investment belongs to the one project before it
        nxt = strip_lead(ctx.masked(*ctx.clause(c_end)))
        if (m := rules().amount.match(nxt)) is not None:
            investment = _investment_of(m)
    if investment:
        facts.update(investment)
    capacity = find_capacity(name, after)
    if capacity:
        facts.update(capacity)
    stage, stage_text = find_stage(ctx.masked(c_start, c_end))
    enterprise, enterprise_source = enterprise_in_name(ctx, name), "name"
    if enterprise is None:
        near = sorted(ctx.within(c_start, c_end, ("ENTERPRISE",)), key=lambda e: (e.start > ent.start, abs(e.start - ent.start)))
        enterprise, enterprise_source = (near[0].name, "clause") if near else (None, None)
    in_name = _places_in(ctx, name, len(enterprise) if enterprise_source == "name" and enterprise else 0)
    if in_name:
        place, place_source = ctx.full(in_name[0][2]), "name"
    else:
        gpes = sorted(ctx.within(c_start, c_end, ("GPE",)), key=lambda e: abs(e.start - ent.start))
        place, place_source = (ctx.full(gpes[0].name), "clause") if gpes else (ctx.place, "report")
    return {
        **facts,
        "stage": stage,
        "stage_text": stage_text,
        "place": place,
        "place_source": place_source,
        "enterprise": enterprise,
        "enterprise_source": enterprise_source,
        "year": ctx.year,
    }


def _cut_at_project(ctx: Context, ent: Ent, c_end: int, after: str) -> str:
    """The clause after a project, up to the next PROJECT (whose words are its own)."""
    nxt = [e for e in ctx.within(ent.end, c_end, ("PROJECT",))]
    return after[: nxt[0].start - ent.end] if nxt else after
