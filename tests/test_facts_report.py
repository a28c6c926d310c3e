"""The batch HTML report: index, charts, tables, highlighted reports with scores, summary; nothing from elsewhere."""

from __future__ import annotations

import io
import re

from bs4 import BeautifulSoup

from pipeline.facts.report import ReportWriter, compact, with_scores, write_report
from pipeline.tagging.formats import LOW_SCORE, render_html

from .test_facts_markup import record

REPORTS = [
    record(
        "2023年[襄阳市|GPE]政府工作报告\n总投资120亿元的[汉江雅口航运枢纽工程|PROJECT]首台机组发电，[比亚迪|ENTERPRISE]扩产。\n"
        "总量稳居[全省第二|RANKING]。",
        source="reports/xiangyang.txt",
        scores={"比亚迪": 0.87, "襄阳市": 0.99, "全省第二": 0.95, "汉江雅口航运枢纽工程": 0.7},
    ),
    record(
        "2024年[曲靖市|GPE]政府工作报告\n[比亚迪曲靖刀片电池项目|PROJECT]建成投产，总投资30亿元；[比亚迪股份有限公司|ENTERPRISE]增资。",
        source="reports/qujing.txt",
    ),
    record("空白报告，没有实体。", source="reports/empty.txt"),
]


def page() -> BeautifulSoup:
    out = io.StringIO()
    assert write_report(REPORTS, out) == 3
    return BeautifulSoup(out.getvalue(), "html.parser")


def test_index_links_every_report_and_counts_labels():
    soup = page()
    rows = soup.select("#index tbody tr")
    assert [[td.get_text() for td in row.find_all("td")][:4] for row in rows] == [
        ["1", "xiangyang", "襄阳市", "2023"],
        ["2", "qujing", "曲靖市", "2024"],
        ["3", "empty", "", ""],
    ]
    for row in rows:
        target = row.a["href"][1:]
        assert soup.find(id=target) is not None and target.startswith("report-")
    header = [th.get_text() for th in soup.select("#index thead th")]
    counts = dict(zip(header, [td.get_text() for td in rows[0].find_all("td")]))
    assert (counts["PROJECT"], counts["ENTERPRISE"], counts["RANKING"], counts["GPE"]) == ("1", "1", "1", "1")


def test_tables_of_rankings_projects_and_enterprises():
    soup = page()
    ranking = [td.get_text() for td in soup.select("#rankings tbody tr")[0].find_all("td")]
    assert ranking[:4] == ["xiangyang", "襄阳市", "全省第二", "2"]
    projects = [[td.get_text() for td in tr.find_all("td")] for tr in soup.select("#projects tbody tr")]
    assert [(p[1], p[2], p[3]) for p in projects] == [
        ("汉江雅口航运枢纽工程", "投产", "120.00"),
        ("比亚迪曲靖刀片电池项目", "投产", "30.00"),
    ]
    sort_keys = [tr.find_all("td")[3]["data-sort"] for tr in soup.select("#projects tbody tr")]
    assert sort_keys == ["12000000000.0", "3000000000.0"]  # sorted by the amount, not by its text
    groups = soup.select("#enterprises tbody tr")
    assert len(groups) == 1
    cells = groups[0].find_all("td")
    assert cells[0].get_text() == "比亚迪股份有限公司" and cells[2].get_text() == "2"
    assert [a["href"] for a in cells[5].find_all("a")] == ["#report-1", "#report-2"]


def test_charts_are_inline_svg():
    soup = page()
    charts = soup.select("#charts figure")
    assert len(charts) == 3 and all(fig.find("svg") for fig in charts)
    stage_bars = [t.get_text() for t in charts[1].select("rect title")]
    assert stage_bars == ["投产: 2.00 projects"]


def test_reports_are_highlighted_with_scores_where_the_model_gave_them():
    soup = page()
    first = soup.find(id="report-1")
    marks = first.select("mark.entity")
    assert [(m.span.get_text(), m.get("data-score")) for m in marks] == [
        ("GPE", "0.99"),
        ("PROJECT", "0.70"),
        ("ENTERPRISE", "0.87"),
        ("RANKING", "0.95"),
    ]
    assert all(m.get("data-score") is None for m in soup.find(id="report-2").select("mark.entity"))
    assert soup.find(id="summary") is not None


def test_nothing_is_loaded_from_elsewhere():
    out = io.StringIO()
    write_report(REPORTS, out)
    html = out.getvalue()
    soup = BeautifulSoup(html, "html.parser")
    assert not soup.select("script[src], link[href], img[src], iframe")
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", html)
    assert "@import" not in html and "url(" not in html


def test_empty_batch_is_a_valid_page():
    out = io.StringIO()
    writer = ReportWriter(out)
    writer.finish()
    soup = BeautifulSoup(out.getvalue(), "html.parser")
    assert soup.find(id="index") is not None and not soup.select("#index tbody tr")


def test_entities_the_model_is_unsure_of_are_dimmed():
    record = {"source": "a.txt", "text": "晋江市投资恒安集团", "entities": [
        {"start": 0, "end": 3, "label": "GPE", "text": "晋江市", "score": LOW_SCORE - 0.01},
        {"start": 5, "end": 9, "label": "ENTERPRISE", "text": "恒安集团", "score": LOW_SCORE},
    ]}
    marks = BeautifulSoup(with_scores(compact(render_html(record, "r")), record), "html.parser").select("mark.entity")
    assert [(m.get("data-score"), m.has_attr("data-low")) for m in marks] == [("0.49", True), ("0.50", False)]
