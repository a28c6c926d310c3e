"""End to end with the shipped model: tag the in-house corpus into a facts database and the HTML report in one pass,
run the SQL examples of docs/facts.md on it, tag reports again without duplicating rows, and open the report in
headless Chromium (Debian's ``chromium``, driven by Playwright) checking console errors, index links and size."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from pipeline.facts.database import COLUMNS, query
from pipeline.tagging.tag import tag

from .browser import chromium

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "corpus" / "raw"
DOCS = ROOT / "docs" / "facts.md"
# the report carries every report's text with its markup: a bound per character shown, not a fixed size, as the corpus grows
MAX_BYTES_PER_CHARACTER = 12

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tagged(tmp_path_factory) -> dict:
    """``govner tag corpus/raw -o results.duckdb -o report.html`` with the shipped model, once for this module."""
    out = tmp_path_factory.mktemp("facts")
    db, html = out / "results.duckdb", out / "report.html"
    result = tag([str(RAW)], outputs=[db, html], progress=False)
    assert not result["errors"]
    return {"db": db, "html": html, "files": result["files"]}


def sql_examples() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)


def test_the_docs_sql_examples_return_sensible_rows(tagged: dict):
    db = tagged["db"]
    examples = sql_examples()
    assert len(examples) == 5
    top, per_place, xiangyang, moves, started = (query(db, sql) for sql in examples)

    assert top["columns"][:3] == ["canonical", "reports", "mentions"] and len(top["rows"]) == 10
    reports = [row[1] for row in top["rows"]]
    assert reports == sorted(reports, reverse=True) and reports[0] >= 5  # some enterprises recur across the corpus

    assert any(row[3] and row[3] > 0 for row in per_place["rows"])  # investment in 亿元 per place and stage
    assert {row[1] for row in per_place["rows"]} - {None} <= {
        "谋划",
        "签约",
        "落地",
        "获批",
        "开工",
        "在建",
        "竣工",
        "建成",
        "投产",
        "投用",
    }

    assert xiangyang["rows"] and 2023 in {row[0] for row in xiangyang["rows"]}  # its own report, and others that rank it
    assert any(row[1] in ("全省第二", "全省第一") for row in xiangyang["rows"])

    assert moves["rows"] and all(row[1] and row[3] for row in moves["rows"])
    assert started["rows"] and started["rows"][0][3] is not None  # the largest projects started have an amount


def test_the_readme_sql_examples_are_the_docs_ones_and_return_rows(tagged: dict):
    """The README shows three of the docs' queries, compacted: each must run and give what the docs' version gives."""
    readme = re.findall(r"```sql\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    statements = [s.strip() for block in readme for s in block.split(";") if s.strip().replace("\n", "").strip("- ")]
    assert len(statements) == 3
    docs = sql_examples()[:3]
    for shown, full in zip(statements, docs):
        assert query(tagged["db"], shown)["rows"] == query(tagged["db"], full)["rows"] != []


def test_tagging_again_does_not_duplicate(tagged: dict, tmp_path: Path):
    db = tmp_path / "results.duckdb"
    shutil.copy(tagged["db"], db)
    counts = {table: query(db, f"SELECT count(*) FROM {table}")["rows"][0][0] for table in COLUMNS}
    assert counts["reports"] == tagged["files"]
    again = sorted(RAW.glob("*.txt"))[:3]
    tag([str(p) for p in again], outputs=[db], progress=False)
    assert {table: query(db, f"SELECT count(*) FROM {table}")["rows"][0][0] for table in COLUMNS} == counts


def test_the_html_report_in_headless_chromium(tagged: dict, tmp_path: Path):
    html = tagged["html"]
    characters = sum(len(p.read_text(encoding="utf-8")) for p in RAW.glob("*.txt"))
    assert html.stat().st_size < MAX_BYTES_PER_CHARACTER * characters
    browser_path = chromium()
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(html.as_uri(), wait_until="load")
            assert page.title().startswith(f"govner: {tagged['files']} reports")

            links = page.eval_on_selector_all("#index tbody a", "links => links.map(a => a.getAttribute('href'))")
            assert len(links) == tagged["files"]
            missing = page.evaluate("ids => ids.filter(id => !document.getElementById(id.slice(1)))", links)
            assert missing == []
            for href in (links[0], links[len(links) // 2], links[-1]):
                page.click(f'#index a[href="{href}"]')
                page.wait_for_function("h => location.hash === h", arg=href)
                top = page.evaluate("id => document.getElementById(id).getBoundingClientRect().top", href[1:])
                assert 0 <= top < 900, (href, top)  # the report is on screen
                page.evaluate("window.scrollTo(0, 0)")

            # projects sort by investment: the first click sorts ascending, empty amounts last
            page.click("#projects thead th:nth-child(4)")
            values = page.eval_on_selector_all("#projects tbody tr td:nth-child(4)", "tds => tds.map(t => t.dataset.sort)")
            amounts = [float(v) for v in values if v]
            assert amounts == sorted(amounts) and values[: len(amounts)] == [v for v in values if v]

            assert page.locator("#charts svg").count() == 3
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(tmp_path / "report.png"))
            page.evaluate("document.getElementById('projects').scrollIntoView()")
            page.screenshot(path=str(tmp_path / "projects.png"))
        finally:
            browser.close()
    assert errors == []
    assert all(url.startswith(("file:", "data:", "about:")) for url in requests), [u for u in requests if not u.startswith("file:")]
    assert (tmp_path / "report.png").stat().st_size > 10_000
