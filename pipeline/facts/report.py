"""The batch HTML report: one static page a person browses, with everything it needs inside it.

Why: a folder of tagged reports should open in a browser as something readable, not as a wall of highlights.
Contract: ``ReportWriter`` is the ``.html`` writer of ``govner tag`` (``pipeline.tagging.formats``) and of ``govner facts
report``. The page has an index of the reports (counts per label, links), charts drawn as inline SVG (entities per
label per report, projects by stage, investment by place), tables of the rankings, the projects (sortable by
investment, as every table is by any column) and the enterprise groups (with links to the reports they recur in),
then each report's text with its entities highlighted (scores shown when the model gave them), then the batch
summary. No script, style or font comes from elsewhere: the file works offline and from a USB stick. Reports are
streamed through a temporary file, so memory holds the facts, not the texts.
"""

from __future__ import annotations

import html
import re
import shutil
import tempfile
from collections import Counter, defaultdict
from typing import IO

from pipeline.facts.enterprises import group_enterprises
from pipeline.facts.extract import report_facts
from pipeline.scheme import COLORS
from pipeline.tagging.formats import LOW_SCORE, SUMMARY_FIELDS, BatchSummary, labels_in, render_html

STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;max-width:72em;margin:auto;padding:0 1em 3em;
line-height:1.5;color:#222}
nav{position:sticky;top:0;background:#fff;border-bottom:1px solid #ccc;padding:.4em 0;z-index:2}
nav a{margin-right:1.2em}
h1{font-size:1.5em}h2{font-size:1.25em}
section{border-top:2px solid #888;margin-top:2em;scroll-margin-top:3em}
section[id^="report-"]{content-visibility:auto;contain-intrinsic-size:auto 2400px}
.scroll{overflow-x:auto;max-height:32em;overflow-y:auto}
table{border-collapse:collapse;margin:.5em 0;font-size:.92em}
td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3;position:sticky;top:0}
table.sortable th{cursor:pointer}
table.sortable th[data-order=asc]::after{content:" ▲"}table.sortable th[data-order=desc]::after{content:" ▼"}
td.num{text-align:right;font-variant-numeric:tabular-nums}
mark.entity{padding:.45em .6em;margin:0 .25em;line-height:1;border-radius:.35em}
mark.entity>span{font-size:.8em;font-weight:bold;line-height:1;border-radius:.35em;vertical-align:middle;margin-left:.5rem}
mark.entity[data-score]::after{content:attr(data-score);font-size:.6em;vertical-align:super;margin-left:.2em;color:#555}
mark.entity[data-low]{opacity:.45;outline:1px dashed #777}
.chart{margin:1em 0}.chart text{font-size:12px}
.legend span{display:inline-block;margin-right:1em}.legend i{display:inline-block;width:.9em;height:.9em;margin-right:.3em}
.muted{color:#777}
"""

SCRIPT = """
(function(){
  function key(cell){
    var v = cell.getAttribute('data-sort');
    if (v === null) v = cell.textContent.trim();
    var n = parseFloat(v);
    return {empty: v === '', n: isNaN(n) ? null : n, s: v};
  }
  document.querySelectorAll('table.sortable').forEach(function(table){
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function(th){
      th.addEventListener('click', function(){
        var idx = th.cellIndex, body = table.tBodies[0];
        var asc = th.getAttribute('data-order') !== 'asc';
        Array.prototype.forEach.call(heads, function(h){ h.removeAttribute('data-order'); });
        th.setAttribute('data-order', asc ? 'asc' : 'desc');
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function(a, b){
          var x = key(a.cells[idx]), y = key(b.cells[idx]);
          if (x.empty !== y.empty) return x.empty ? 1 : -1;
          var c = (x.n !== null && y.n !== null) ? x.n - y.n : x.s.localeCompare(y.s, 'zh');
          return asc ? c : -c;
        });
        rows.forEach(function(r){ body.appendChild(r); });
      });
    });
  });
})();
"""

STAGE_ORDER = ["谋划", "签约", "落地", "获批", "开工", "在建", "竣工", "建成", "投产", "投用"]


def esc(value) -> str:
    return "" if value is None else html.escape(str(value))


def cell(value, sort=None, num: bool = False, raw: bool = False) -> str:
    """A table cell; ``sort`` is the value the page sorts by (a number for amounts)."""
    attrs = f' data-sort="{esc(sort)}"' if sort is not None else ""
    cls = ' class="num"' if num else ""
    return f"<td{cls}{attrs}>{value if raw else esc(value)}</td>"


def table(header: list[str], rows: list[str], caption: str = "") -> str:
    """A sortable table from header names and pre-rendered ``<tr>`` rows."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return f'<div class="scroll"><table class="sortable">{cap}<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


def yi(yuan: float | None) -> str:
    """An amount in 亿元, as people read it in these reports."""
    return "" if yuan is None else f"{yuan / 1e8:,.2f}"


def bar_chart(title: str, items: list[tuple[str, float]], unit: str, color: str = "#4c78a8") -> str:
    """A horizontal bar chart as inline SVG (one bar per item, value written at its end)."""
    if not items:
        return f'<figure class="chart"><figcaption>{esc(title)}</figcaption><p class="muted">nothing to show</p></figure>'
    top = max(v for _, v in items) or 1
    bar_h, label_w, width = 20, 220, 420
    height = bar_h * len(items) + 10
    parts = []
    for i, (label, value) in enumerate(items):
        y = 5 + i * bar_h
        w = max(1.0, width * value / top)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{esc(label)}</text>'
            f'<rect x="{label_w}" y="{y + 2}" width="{w:.1f}" height="{bar_h - 5}" fill="{color}">'
            f"<title>{esc(label)}: {value:,.2f} {esc(unit)}</title></rect>"
            f'<text x="{label_w + w + 4:.1f}" y="{y + 14}">{value:,.4g}</text>'
        )
    svg = f'<svg role="img" aria-label="{esc(title)}" width="{label_w + width + 80}" height="{height}" xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'
    return f'<figure class="chart"><figcaption>{esc(title)} ({esc(unit)})</figcaption>{svg}</figure>'


def stacked_chart(title: str, rows: list[tuple[str, Counter]], labels: list[str]) -> str:
    """Entities per label per report: one stacked horizontal bar per report, as inline SVG."""
    if not rows:
        return ""
    top = max(sum(c.values()) for _, c in rows) or 1
    bar_h, label_w, width = 16, 260, 420
    parts = []
    for i, (name, counts) in enumerate(rows):
        y = 5 + i * bar_h
        x = float(label_w)
        parts.append(f'<text x="{label_w - 6}" y="{y + 12}" text-anchor="end">{esc(name)}</text>')
        for label in labels:
            n = counts.get(label, 0)
            if not n:
                continue
            w = width * n / top
            color = COLORS.get(label, "#999")
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 2}" width="{w:.1f}" height="{bar_h - 4}" fill="{color}">'
                f"<title>{esc(name)} {label}: {n}</title></rect>"
            )
            x += w
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 12}">{sum(counts.values())}</text>')
    legend = "".join(f'<span><i style="background:{COLORS.get(label, "#999")}"></i>{label}</span>' for label in labels)
    svg = f'<svg role="img" aria-label="{esc(title)}" width="{label_w + width + 60}" height="{bar_h * len(rows) + 10}" xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'
    return f'<figure class="chart"><figcaption>{esc(title)}</figcaption><div class="legend">{legend}</div>{svg}</figure>'


MARK_STYLE = re.compile(
    r'<mark class="entity" style="background: ([^;"]+); '
    r'padding: 0\.45em 0\.6em; margin: 0 0\.25em; line-height: 1; border-radius: 0\.35em;">'
)
LABEL_STYLE = (
    '<span style="font-size: 0.8em; font-weight: bold; line-height: 1; border-radius: 0.35em; vertical-align: middle; margin-left: 0.5rem">'
)


def compact(section: str) -> str:
    """displaCy's marks with their repeated inline styles moved into the page's style sheet (a third of the size)."""
    return MARK_STYLE.sub(r'<mark class="entity" style="background:\1">', section).replace(LABEL_STYLE, "<span>")


def with_scores(section: str, record: dict) -> str:
    """displaCy's marks with the model's score of each entity (``data-score``, shown after the name), in order;
    an entity scored under ``LOW_SCORE`` is dimmed (``data-low``)."""
    ents = sorted(record["entities"], key=lambda e: e["start"])
    if not any(e.get("score") is not None for e in ents):
        return section
    pieces = section.split('<mark class="entity"')
    if len(pieces) - 1 != len(ents):
        return section
    out = [pieces[0]]
    for ent, piece in zip(ents, pieces[1:]):
        score = ent.get("score")
        attr = f' data-score="{score:.2f}" title="score {score:.3f}"' if score is not None else ""
        attr += " data-low" if score is not None and score < LOW_SCORE else ""
        out.append(f'<mark class="entity"{attr}{piece}')
    return "".join(out)


class ReportWriter:
    """The browsable batch report (see the module docstring); a writer of ``pipeline.tagging.formats``."""

    def __init__(self, f: IO[str], summary: BatchSummary | None = None) -> None:
        self.f = f
        self.summary = summary if summary is not None else BatchSummary()
        self.own_summary = summary is None
        self.sections = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed by finish)
        self.reports: list[dict] = []
        self.rankings: list[dict] = []
        self.projects: list[dict] = []
        self.mentions: list[dict] = []

    def write(self, record: dict) -> None:
        if self.own_summary:
            self.summary.add(record)
        n = len(self.reports) + 1
        anchor = f"report-{n}"
        facts = report_facts(record, key=anchor)
        report = facts["report"]
        self.reports.append({**{k: v for k, v in report.items() if k != "text"}, "anchor": anchor, "n": n})
        self.rankings.extend(facts["rankings"])
        self.projects.extend(facts["projects"])
        self.mentions.extend(
            {"report_id": anchor, "name": e["name"], "place": report["place"]} for e in facts["entities"] if e["label"] == "ENTERPRISE"
        )
        self.sections.write(with_scores(compact(render_html(record, anchor)), record) + "\n")

    def finish(self) -> None:
        try:
            self._write_page()
        finally:
            self.sections.close()

    # the page, top to bottom
    def _write_page(self) -> None:
        f = self.f
        f.write('<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8">')
        f.write('<meta name="viewport" content="width=device-width, initial-scale=1">')
        f.write(f"<title>govner: {len(self.reports)} reports</title><style>{STYLE}</style></head><body>\n")
        f.write(
            '<nav><a href="#index">Reports</a><a href="#charts">Charts</a><a href="#rankings">Rankings</a>'
            '<a href="#projects">Projects</a><a href="#enterprises">Enterprises</a><a href="#summary">Summary of the batch</a></nav>\n'
        )
        f.write(f"<h1>govner: {len(self.reports)} reports, {sum(r['entities'] for r in self.reports):,} entities</h1>\n")
        for part in (self._index(), self._charts(), self._rankings(), self._projects(), self._enterprises()):
            f.write(part + "\n")
        self.sections.seek(0)
        shutil.copyfileobj(self.sections, f)
        f.write(self._summary())
        f.write(f"<script>{SCRIPT}</script></body></html>\n")

    def _labels(self) -> list[str]:
        return labels_in({label for r in self.reports for label in r["counts"]})

    def _link(self, anchor: str) -> str:
        report = self._by_anchor().get(anchor)
        name = report["name"] if report else anchor
        return f'<a href="#{esc(anchor)}">{esc(name)}</a>'

    def _by_anchor(self) -> dict[str, dict]:
        if not hasattr(self, "_anchors"):
            self._anchors = {r["anchor"]: r for r in self.reports}
        return self._anchors

    def _index(self) -> str:
        labels = self._labels()
        rows = []
        for r in self.reports:
            counts = "".join(cell(r["counts"].get(label, 0), num=True) for label in labels)
            link = cell(self._link(r["anchor"]), sort=r["name"], raw=True)
            size = cell(format(r["characters"], ","), sort=r["characters"], num=True)
            rows.append(
                f"<tr>{cell(r['n'], num=True)}{link}{cell(r['place'])}{cell(r['year'], num=True)}"
                f"{counts}{cell(r['entities'], num=True)}{size}</tr>"
            )
        header = ["#", "report", "place", "year", *labels, "entities", "characters"]
        return f'<section id="index"><h2>Reports ({len(self.reports)})</h2>{table(header, rows)}</section>'

    def _charts(self) -> str:
        labels = self._labels()
        per_report = [(r["name"], Counter(r["counts"])) for r in self.reports]
        stages = Counter(p["stage"] or "(none)" for p in self.projects)
        stage_items = [(s, stages[s]) for s in [*STAGE_ORDER, *sorted(set(stages) - set(STAGE_ORDER))] if stages.get(s)]
        by_place: dict[str, float] = defaultdict(float)
        for p in self.projects:
            if p["investment_yuan"] and p["place"]:
                by_place[p["place"]] += p["investment_yuan"] / 1e8
        places = sorted(by_place.items(), key=lambda kv: -kv[1])[:20]
        return (
            '<section id="charts"><h2>Charts</h2>'
            + stacked_chart("Entities per label per report", per_report, labels)
            + bar_chart("Projects by stage", stage_items, "projects", "#f4a261")
            + bar_chart("Project investment by place (20 largest)", places, "亿元", "#2a9d8f")
            + "</section>"
        )

    def _rankings(self) -> str:
        rows = []
        for r in self.rankings:
            rows.append(
                "<tr>"
                + cell(self._link(r["report_id"]), sort=self._by_anchor()[r["report_id"]]["name"], raw=True)
                + cell(r["subject"])
                + cell(r["name"])
                + "".join(cell(r[k], num=True) for k in ("position", "top", "tier"))
                + "".join(cell(r[k]) for k in ("qualitative", "scope", "peers", "list_name", "measure", "measure_kind"))
                + cell(r["year"], num=True)
                + "</tr>"
            )
        header = ["report", "subject", "ranking", "position", "top", "tier"]
        header += ["qualitative", "scope", "peers", "list", "measure", "kind", "year"]
        return f'<section id="rankings"><h2>Rankings ({len(rows)})</h2>{table(header, rows)}</section>'

    def _projects(self) -> str:
        rows = []
        ordered = sorted(self.projects, key=lambda p: -(p["investment_yuan"] or -1))
        for p in ordered:
            capacity = "" if p["capacity_value"] is None else f"{p['capacity_value']:,.10g} {p['capacity_unit']}"
            rows.append(
                "<tr>"
                + cell(self._link(p["report_id"]), sort=self._by_anchor()[p["report_id"]]["name"], raw=True)
                + cell(p["name"])
                + cell(p["stage"], sort=STAGE_ORDER.index(p["stage"]) if p["stage"] in STAGE_ORDER else None)
                + cell(yi(p["investment_yuan"]), sort=p["investment_yuan"] if p["investment_yuan"] is not None else "", num=True)
                + cell(p["investment_kind"])
                + cell(capacity, sort=p["capacity_value"] if p["capacity_value"] is not None else "", num=True)
                + cell(p["place"])
                + cell(p["enterprise"])
                + cell(p["year"], num=True)
                + "</tr>"
            )
        header = ["report", "project", "stage", "investment (亿元)", "kind", "capacity", "place", "enterprise", "year"]
        invested = sum(p["investment_yuan"] or 0 for p in self.projects) / 1e8
        return (
            f'<section id="projects"><h2>Projects ({len(rows)})</h2><p>{sum(1 for p in self.projects if p["investment_yuan"])} with an '
            f"investment in yuan, {invested:,.1f} 亿元 together. Click a column to sort.</p>{table(header, rows)}</section>"
        )

    def _enterprises(self) -> str:
        groups, _ = group_enterprises(self.mentions)
        rows = []
        for g in groups:
            links = " ".join(self._link(a) for a in g["report_ids"])
            rows.append(
                "<tr>"
                + cell(g["canonical"])
                + cell("、".join(g["variants"]))
                + cell(g["reports"], num=True)
                + cell(g["mentions"], num=True)
                + cell("、".join(g["places"]))
                + cell(links, raw=True)
                + "</tr>"
            )
        header = ["enterprise", "variants", "reports", "mentions", "places", "in reports"]
        return f'<section id="enterprises"><h2>Enterprises ({len(rows)} groups)</h2>{table(header, rows)}</section>'

    def _summary(self) -> str:
        per_label = self.summary.per_label()
        rows = [(label, c["reports"], c["mentions"], c["names"]) for label, c in per_label.items()]
        head = "".join(f"<th>{h}</th>" for h in ("label", "reports", "mentions", "names"))
        body = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>" for row in rows)
        names_head = "".join(f"<th>{h}</th>" for h in SUMMARY_FIELDS)
        names_body = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>" for row in self.summary.rows())
        return (
            f'<section id="summary"><h2>Summary of the batch: {self.summary.reports} reports</h2>'
            f"<table><tr>{head}</tr>{body}</table>"
            f'<div class="scroll"><table><tr>{names_head}</tr>{names_body}</table></div></section>\n'
        )


def write_report(records, f: IO[str]) -> int:
    """Write the report of ``records`` (an iterable of ``govner tag`` records) to ``f``; return how many."""
    writer = ReportWriter(f)
    n = 0
    for record in records:
        writer.write(record)
        n += 1
    writer.finish()
    return n
