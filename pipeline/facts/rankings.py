"""Normalised rankings: what a RANKING entity says, as fields a database can sort and group.

Why: 第3位, 第三名 and 全省第三 are the same fact to a researcher, and 百强县第24位 is a position on a named list.
Contract (``docs/facts.md``): for every RANKING entity, ``position`` (第3位 → 3, 首位/榜首 → 1), ``top`` (前三 → 3),
``tier`` (the size of the list it is on: 百强 → 100, 500强 → 500), ``qualitative`` (a named tier: 前列, 第一方阵),
``scope`` (全国, 全省, 行业, 中部地区, or a named place), ``peers`` (the class ranked against: 县域, 开发区),
``list_name`` (the named list or evaluation, from the span or from 在…考评中 in its sentence), ``measure`` (what is
ranked: 增速, 总量, 营商环境评价) and its ``measure_kind`` (growth or total), and ``subject``: the place,
organisation, enterprise or project of its clause, else the report's own place. Every word list is a row of
``configs/facts/rankings.tsv`` or ``common.tsv``; ``parse_ranking`` reads the span alone and is pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import regex

from pipeline.facts.context import SUBJECT_LABELS, Context, Ent, self_reference_end
from pipeline.facts.rules import FACTS_DIR, alternation, common, compile_rule, parse_number, places, strip_lead, tables

QUOTES = '“”"‘’「」『』《》'
YEAR_PREFIX = regex.compile(r"^(?:19|20)\d\d(?:年度|年)?")
ZAI = regex.compile(r"在([^，。；！？,;]{2,40}?)中")
FIGURE_UNITS = "元|吨|家|个|项|亩|人|户|辆|台|座|公里|千瓦|头|只|列|条|所|次|天|斤|万|亿"
FIGURE = regex.compile(rf"\d[\d.,]*\s*(?:%|％|[万亿千百]*[\p{{Han}}]{{0,2}}?(?:{FIGURE_UNITS}))?[、]?")
HEAD_STOP = regex.compile(r"达到|突破|完成|增长|实现|超过|超|达|为|比|较|同比|下降|提高|\d")
RANKING_FIELDS = ("position", "top", "tier", "qualitative", "scope", "peers", "list_name")


@dataclass(frozen=True)
class RankingRules:
    rank: list[tuple[str, str, regex.Pattern]]
    scope: list[tuple[str, regex.Pattern]]
    implied: list[tuple[str, regex.Pattern]]
    verb_at_end: regex.Pattern
    verb_at_start: regex.Pattern
    membership: regex.Pattern
    adverb_at_end: regex.Pattern
    adverb_at_start: regex.Pattern
    evaluation: regex.Pattern
    not_measure: regex.Pattern
    measure_kind: list[tuple[str, regex.Pattern]]


@lru_cache(maxsize=1)
def rules() -> RankingRules:
    path, t = FACTS_DIR / "rankings.tsv", tables("rankings.tsv")
    quotes = f"[{QUOTES}]*"
    return RankingRules(
        rank=[(field, value, compile_rule(path, line, pattern)) for line, (field, value, pattern) in t["rank"]],
        scope=[(value, compile_rule(path, line, f"^(?:{pattern})", regex.POSIX)) for line, (value, pattern) in t["scope"]],
        implied=[(value, compile_rule(path, line, f"^(?:{pattern})")) for line, (value, pattern) in t["implied"]],
        verb_at_end=alternation(path, t["verb"], anchor=f"(?:X){quotes}$"),
        verb_at_start=alternation(path, [*t["opener"], *t["verb"], *t["adverb"]], anchor="^(?:X)"),
        membership=alternation(path, t["membership"], anchor="^(?:X)$"),
        adverb_at_end=alternation(path, t["adverb"], anchor="(?:X)$"),
        adverb_at_start=alternation(path, t["adverb"], anchor="^(?:X)"),
        evaluation=alternation(path, t["evaluation"], anchor="(?:X)$"),
        not_measure=alternation(path, t["not_measure"]),
        measure_kind=[(kind, compile_rule(path, line, pattern)) for line, (kind, pattern) in t["measure_kind"]],
    )


def unquote(text: str) -> str:
    return "".join(c for c in text if c not in QUOTES)


def scope_at(text: str, full=None) -> tuple[str | None, str]:
    """The scope a text starts with (全省县域 → 全省; 哈尔滨所辖县 → 哈尔滨市), and the rest of the text; ``full``
    writes a place in full (default: as the gazetteer has it)."""
    r = rules()
    for value, pattern in r.scope:
        if m := pattern.match(text):
            return (m.group() if value == "{0}" else value), text[m.end() :]
    if place := places().at(text):
        return (full or places().full)(place), text[len(place) :]
    return None, text


def implied_scope(text: str) -> str | None:
    """The scope that peers such as 国家级经开区 or 副省级城市 imply when none is written."""
    for value, pattern in rules().implied:
        if pattern.match(text):
            return value
    return None


def clean_list_name(text: str) -> str:
    return YEAR_PREFIX.sub("", unquote(text)).strip()


def parse_ranking(span: str, full=None) -> dict:
    """The fields a ranking span gives by itself (see the module docstring); absent fields are None.

    >>> parse_ranking("全国县域经济“百强县”第24位")["position"], parse_ranking("全省前三")["top"]
    (24, 3)
    """
    text = "".join(span.split())
    fields: dict = dict.fromkeys(RANKING_FIELDS)
    taken: list[tuple[int, int, str]] = []
    rank_start = len(text)
    for field, value, pattern in rules().rank:
        for m in pattern.finditer(text):
            if any(m.start() < b and a < m.end() for a, b, _ in taken):
                continue
            number = parse_number(m.group("n")) if "{n}" in value and m.group("n") else None
            if value == "{n}" and number is None:
                continue
            taken.append((*m.span(), field))
            if field != "tier":
                rank_start = min(rank_start, m.start())
            if fields[field] is None:
                fields[field] = number if value == "{n}" else (int(value) if value.isdigit() else value)
    head = text[:rank_start]
    is_list = any(c in head for c in QUOTES) or any(a < rank_start and field == "tier" for a, _, field in taken)
    if fields["tier"] is not None and not is_list:  # a tier after the position (第3位百强?) is not a list
        fields["tier"] = None
    if is_list and head:
        fields["list_name"] = clean_list_name(head)
        scope, _ = scope_at(fields["list_name"], full)
        fields["scope"] = scope or implied_scope(fields["list_name"])
    else:
        scope, rest = scope_at(YEAR_PREFIX.sub("", unquote(head)), full)
        fields["peers"] = rest or None
        fields["scope"] = scope or (implied_scope(rest) if rest else None)
    return fields


def _zai_phrases(ctx: Context, start: int, end: int) -> list[tuple[int, int, str]]:
    """``在 X 中`` phrases of a stretch of text: (start, end, X)."""
    return [(start + m.start(), start + m.end(), m.group(1)) for m in ZAI.finditer(ctx.text[start:end])]


def _valid_measure(text: str) -> str | None:
    text = unquote(text).strip("，、；：,;: ")
    if len(regex.findall(r"\p{Han}", text)) >= 2 and not regex.search(r"\d", text) and len(text) <= 24:
        return None if rules().not_measure.search(text) else text
    return None


def _strip_adverbs(text: str) -> str:
    r = rules()
    while (m := r.adverb_at_end.search(text)) and m.group():
        text = text[: m.start()]
    return text


def _remove(text: str, offset: int, spans: list[tuple[int, int]]) -> str:
    """``text`` (starting at ``offset``) with the given spans blanked to spaces, then spaces dropped."""
    chars = list(text)
    for a, b in spans:
        for i in range(max(a - offset, 0), min(b - offset, len(chars))):
            chars[i] = " "
    return "".join(chars)


def _after_subjects(ctx: Context, start: int, end: int, zai: list[tuple[int, int, str]]) -> str:
    """The words of ``text[start:end]`` after its last entity and its last self-reference, 在…中 phrases removed."""
    spans = [(a, b) for a, b, _ in zai if a >= start and b <= end]
    text = _remove(ctx.text[start:end], start, [*spans, *((e.start, e.end) for e in ctx.within(start, end, ("RANKING",)))])
    subjects = ctx.within(start, end, SUBJECT_LABELS)
    cut = max([e.end - start for e in subjects if not any(a <= e.start < b for a, b in spans)], default=0)
    cut = max(cut, self_reference_end(text))
    return "".join(text[cut:].split())


def _measure(ctx: Context, ent: Ent, fields: dict, clauses: list[tuple[int, int]], k: int, zai, sentence_list: bool) -> str | None:
    """What the ranking's clause ranks: the words before its verb (增速位居 → 增速), without subjects, figures, time
    words and adverbs; for a clause that opens with the verb, the head of the clause before (成交额4120亿元，居…)."""
    r = rules()
    clause_start = clauses[k][0]
    pre = ctx.text[clause_start : ent.start]
    m = r.verb_at_end.search(pre)
    if not m:
        return None
    tier_only = fields["tier"] is not None and fields["position"] is None and fields["top"] is None and fields["qualitative"] is None
    verb = unquote(m.group())
    if tier_only and r.membership.match(verb):
        return None
    seg = _after_subjects(ctx, clause_start, clause_start + m.start(), zai)
    figures = list(FIGURE.finditer(seg))
    if figures:
        seg = seg[figures[-1].end() :]
    seg = _strip_adverbs(strip_lead(seg))
    if measure := _valid_measure(seg):
        return measure
    whole = _strip_adverbs(strip_lead(_remove(pre[: m.start()], clause_start, [(a, b) for a, b, _ in zai]).strip()))
    if whole or tier_only or sentence_list or k == 0:
        return None
    prev = _after_subjects(ctx, *clauses[k - 1], zai)  # a subjectless clause ranks what the clause before it measured
    prev = strip_lead(prev)
    if r.verb_at_start.match(prev):  # 在…中继续进位: the clause before says what happened, not what is measured
        return None
    if (stop := HEAD_STOP.search(prev)) is not None:
        prev = prev[: stop.start()]
    if (verb_in := regex.search(f"(?:{'|'.join(_verbs())})", prev)) is not None:
        prev = prev[: verb_in.start()]
    return _valid_measure(_strip_adverbs(prev))


@lru_cache(maxsize=1)
def _verbs() -> list[str]:
    return [row[1][0] for row in tables("rankings.tsv")["verb"]]


def measure_kind(measure: str | None) -> str | None:
    """growth (增速, 增幅, 降幅) or total (总量, 规模, 产量) — the first row of ``measure_kind`` that the measure matches."""
    if not measure:
        return None
    for kind, pattern in rules().measure_kind:
        if pattern.search(measure):
            return kind
    return None


def _starts_with(ctx: Context, start: int, end: int, zai) -> Ent | str | None:
    """What a clause opens with: a subject entity, ``"marker"`` (a verb, adverb or 在: no subject of its own), or None."""
    raw = ctx.text[start:end]
    lead = strip_lead(raw)
    offset = start + len(raw) - len(lead)
    for e in ctx.within(start, end, SUBJECT_LABELS):
        if e.start == offset and not any(a <= e.start < b for a, b, _ in zai):
            return e
    if rules().verb_at_start.match(lead):
        return "marker"
    return None


def _subject(ctx: Context, ent: Ent, clauses: list[tuple[int, int]], k: int, zai) -> tuple[str | None, str | None, str]:
    """(subject, its label, where it came from: clause, carried (a clause without a subject continues the one
    before), topic (the place the sentence opens with), report (the report's own place))."""
    start = clauses[k][0]
    inside_zai = [(a, b) for a, b, _ in zai]
    candidates = [e for e in ctx.within(start, ent.start, SUBJECT_LABELS) if not any(a <= e.start < b for a, b in inside_zai)]
    if candidates:
        nearest = candidates[-1]
        ranks = ctx.within(start, clauses[k][1], ("RANKING",))
        first_rank = ranks[0].start if ranks else ent.start
        listed = [e for e in candidates if e.end <= first_rank]
        if len(ranks) > 1 and len(listed) == len(ranks) and regex.search("分列|分别", ctx.text[listed[-1].end : first_rank]):
            nearest = listed[ranks.index(ent)]  # 荣成市、龙口市分列第12位和第16位
        between = _remove(ctx.text[nearest.end : ent.start], nearest.end, inside_zai)
        if not self_reference_end(between):
            return _display(ctx, nearest), nearest.label, "clause"
        return ctx.place, "GPE", "report"
    opening = _starts_with(ctx, start, ent.start, zai)
    if opening == "marker":
        for j in range(k - 1, -1, -1):
            opening = _starts_with(ctx, *clauses[j], zai)
            if isinstance(opening, Ent):
                return _display(ctx, opening), opening.label, "carried"
            if opening != "marker":
                break
    if not common().self_ref.match(strip_lead(ctx.text[start : ent.start])):
        for a, b in clauses[:k]:  # [晋江市]规上工业增加值增长9.1%，增速位居全省第二: the place the sentence opens with
            if strip_lead(ctx.text[a:b]).strip("，,：: "):
                topic = _starts_with(ctx, a, b, zai)
                if isinstance(topic, Ent) and topic.label == "GPE":
                    return _display(ctx, topic), topic.label, "topic"
                break
    return ctx.place, "GPE", "report"


def _display(ctx: Context, e: Ent) -> str:
    return ctx.full(e.name) if e.label == "GPE" else e.name


def ranking_facts(ctx: Context, ent: Ent, earlier: list[dict] | None = None) -> dict:
    """All fields of one RANKING entity in its report; ``earlier`` holds the facts of the rankings before it in the
    same sentence (a bare position after 入选“…百强” is a position on that list)."""
    fields = parse_ranking(ctx.text[ent.start : ent.end], ctx.full)
    s_start, s_end = ctx.sentence(ent.start)
    clauses = ctx.clauses(s_start, s_end)
    k = next((i for i, (a, b) in enumerate(clauses) if a <= ent.start < b), len(clauses) - 1)
    zai = _zai_phrases(ctx, s_start, ent.start)
    sentence_list = False
    if zai:
        _, b, phrase = zai[-1]
        same_clause = b > clauses[k][0]
        own = fields["scope"] is not None or fields["list_name"] is not None
        framed = [parse_ranking(ctx.text[e.start : e.end]) for e in ctx.within(b, ent.start, ("RANKING",))]
        others = any(f["scope"] is not None or f["list_name"] is not None for f in framed)
        # 在全省营商环境评价中，宾县排名县(市)组第三: the evaluation frames the bare rankings after it, up to one that
        # names its own frame (not 稳居全省县域第一方阵, nor 列第37位 after 入选全国先进制造业百强市)
        if same_clause or not (own or others):
            phrase = unquote(phrase)
            if rules().evaluation.search(phrase):
                if fields["list_name"] is None:
                    fields["list_name"] = clean_list_name(phrase)
                    sentence_list = True
                    if fields["scope"] is None:
                        fields["scope"] = scope_at(fields["list_name"], ctx.full)[0] or implied_scope(fields["list_name"])
            elif fields["scope"] is None:
                scope, rest = scope_at(phrase, ctx.full)
                fields["scope"] = scope
                fields["peers"] = fields["peers"] or rest or None
    if (
        fields["scope"] is None
        and fields["list_name"] is None
        and (fields["position"] is not None or fields["top"] is not None)
        and (listed := [f for f in earlier or [] if f["list_name"] and f["position"] is None and f["top"] is None])
    ):
        for key in ("list_name", "tier", "scope"):
            fields[key] = listed[-1][key]
        sentence_list = True
    measure = _measure(ctx, ent, fields, clauses, k, zai, sentence_list)
    subject, subject_label, subject_source = _subject(ctx, ent, clauses, k, zai)
    return {
        **fields,
        "measure": measure,
        "measure_kind": measure_kind(measure),
        "subject": subject,
        "subject_label": subject_label,
        "subject_source": subject_source,
    }
