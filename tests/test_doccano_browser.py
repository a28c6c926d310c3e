"""Pushed suggestions as an annotator sees them: Doccano's annotation page in headless Chromium.

Two paragraphs go up with their spans (a line break inside one entity and right before and after others, half-width
``, ; : ( )`` and all five labels). For each annotator who got them, the test logs in through Doccano's login page,
opens each example of the sequence-labeling page and reads back, from the drawing itself, which characters every
span is drawn under, its label and its colour.

How Doccano 1.8.4 (its ``v-annotator`` component) draws a paragraph: one ``<svg id="svgA:B">`` per row, where a row
is a line of the text (the text is split at each ``\\n``, the ``\\n`` itself drawn by no row) or a part of a line
wrapped to the page's width; ``A:B`` are the row's character offsets in the paragraph, and its ``<text id="A:B">``
holds ``text[A:B]``. Each span piece on a row is a ``<g>`` beside that ``<text>`` holding a ``<line>`` (the
underline: ``stroke`` is the label's colour, ``x1``/``x2`` are inset by half the ``stroke-width`` from the edges of the
first and last character under it) and, on the span's first row only, a ``<g>`` with a ``<circle>`` (``fill``: the
label's colour) and a ``<text>`` with the label's name. The test maps the underline's ends to characters with the
browser's own glyph positions (``getStartPositionOfChar`` / ``getEndPositionOfChar``), so a span drawn one character
off, or not on character edges at all, fails it.

Needs the Doccano server venv (``scripts/install_doccano.sh``), the playwright package and Debian's ``chromium``
(Playwright is pointed at it; nothing is downloaded). Without a browser it says why and is skipped (fails in CI).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest

from pipeline.annotation.doccano import push
from pipeline.scheme import COLORS, LABELS

from .browser import chromium, no_browser

READER = ("reader", "Lotus-pw-2024!")  # gets the suggestions through the API (the pusher gets them in the import)
EDGE = 0.5  # px: how far an underline's end may be from a character's edge (they match exactly in practice)

P1 = "2024年, 推进湄洲湾南岸\n石化基地二期建设(总投资120亿元); 石狮市商务局牵头: 服务华峰化学等企业。"
P2 = "晋江市(泉州市辖)规上工业增加值增长9.1%, 位居全省第二\n恒安集团(Hengan)入选: 中国民营企业500强; 德化县人民政府(牵头)."


def span(text: str, part: str, label: str) -> tuple[int, int, str]:
    start = text.index(part)
    return start, start + len(part), label


SPANS = {
    P1: [span(P1, "湄洲湾南岸\n石化基地二期", "PROJECT"), span(P1, "石狮市商务局", "ORG"), span(P1, "华峰化学", "ENTERPRISE")],
    P2: [
        span(P2, "晋江市", "GPE"),
        span(P2, "泉州市", "GPE"),
        span(P2, "全省第二", "RANKING"),  # ends right before the line break
        span(P2, "恒安集团(Hengan)", "ENTERPRISE"),  # starts right after it, ends with a half-width bracket
        span(P2, "中国民营企业500强", "RANKING"),
        span(P2, "德化县人民政府", "ORG"),
    ],
}

# Every row of the annotator, each character's horizontal extent and each span piece drawn on the row.
READ_ROWS = """() => [...document.querySelectorAll('svg[id^="svg"]')]
  .filter(svg => /^svg\\d+:\\d+$/.test(svg.id))
  .map(svg => {
    const text = svg.querySelector('text[id]');
    const chars = [];
    for (let i = 0; i < text.getNumberOfChars(); i++) {
      chars.push([text.getStartPositionOfChar(i).x, text.getEndPositionOfChar(i).x]);
    }
    const pieces = [...text.parentNode.querySelectorAll(':scope > g')].filter(g => g.querySelector(':scope > line')).map(g => {
      const line = g.querySelector(':scope > line');
      const circle = g.querySelector(':scope > g > circle');
      const name = g.querySelector(':scope > g > text');
      return {
        x1: parseFloat(line.getAttribute('x1')), x2: parseFloat(line.getAttribute('x2')),
        width: parseFloat(line.getAttribute('stroke-width')), stroke: line.getAttribute('stroke'),
        fill: circle && circle.getAttribute('fill'), label: name && name.textContent.trim(),
      };
    });
    return {id: text.id, text: text.textContent, chars, pieces};
  })"""
LABELLED_PIECES = "() => document.querySelectorAll('svg[id^=\"svg\"] g > g > circle').length"


def char_at(chars: list[list[float]], x: float, side: int) -> int | None:
    """The character whose start (side 0) or end (side 1) edge is at ``x``, or None when no edge is."""
    found = [i for i, edge in enumerate(chars) if abs(edge[side] - x) <= EDGE]
    return found[0] if len(found) == 1 else None


def drawn_spans(rows: list[dict]) -> tuple[str, list[dict], list[str]]:
    """The paragraph as the rows show it (line breaks left out), the spans as drawn, and what could not be read."""
    spans: list[dict] = []
    problems: list[str] = []
    previous_end = None
    shown = ""
    for row in rows:
        row_start, row_end = map(int, row["id"].split(":"))
        shown += row["text"]
        if row_end - row_start != len(row["text"]) or len(row["chars"]) != len(row["text"]):
            problems.append(f"row {row['id']} holds {len(row['text'])} characters: {row['text']!r}")
        for piece in row["pieces"]:
            inset = piece["width"] / 2  # the round line cap reaches the characters' edges
            first = char_at(row["chars"], piece["x1"] - inset, 0)
            last = char_at(row["chars"], piece["x2"] + inset, 1)
            if first is None or last is None or last < first:
                problems.append(f"row {row['id']}: an underline from x={piece['x1']} to {piece['x2']} is not on character edges: {piece}")
                continue
            start, end, text = row_start + first, row_start + last + 1, row["text"][first : last + 1]
            if piece["label"] is not None:
                spans.append(
                    {"start": start, "end": end, "label": piece["label"], "text": text, "colours": {piece["stroke"], piece["fill"]}}
                )
            elif spans and first == 0 and spans[-1]["end"] == previous_end and piece["stroke"] in spans[-1]["colours"]:
                # the rest of a span cut by a line break or a wrap: drawn on the next row, without its label
                spans[-1].update(end=end, text=spans[-1]["text"] + text)
                spans[-1]["colours"].add(piece["stroke"])
            else:
                problems.append(f"row {row['id']}: a piece without a label that continues no span: {piece}")
        previous_end = row_end
    return shown, spans, problems


def annotation_page_spans(browser, url: str, login: tuple[str, str], project_id: int, pages: int) -> dict[str, list[dict]]:
    """Log in through Doccano's login page as ``login`` and read the spans drawn on each example: by paragraph text."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{url}/auth", wait_until="networkidle")
        page.fill("input[name=username]", login[0])
        page.fill("input[name=password]", login[1])
        page.get_by_role("button", name="Login").last.click()  # the form's; the first is the header's
        page.wait_for_url("**/projects")
        found: dict[str, list[dict]] = {}
        for number in range(1, pages + 1):
            page.goto(f"{url}/projects/{project_id}/sequence-labeling?page={number}", wait_until="networkidle")
            page.wait_for_selector('svg[id^="svg"] text[id]')
            shown = page.evaluate("() => [...document.querySelectorAll('svg[id^=\"svg\"] text[id]')].map(t => t.textContent).join('')")
            paragraph = next((p for p in SPANS if p.replace("\n", "") == shown), None)
            assert paragraph is not None, f"page {number} of the annotation shows none of the pushed paragraphs: {shown!r}"
            # the spans come in their own request: wait for them, then let the checks below say what is missing
            with contextlib.suppress(PlaywrightTimeout):
                page.wait_for_function(f"() => ({LABELLED_PIECES})() >= {len(SPANS[paragraph])}", timeout=10_000)
            text, spans, problems = drawn_spans(page.evaluate(READ_ROWS))
            assert text == shown and not problems, problems
            assert paragraph not in found, f"page {number} shows a paragraph already seen"
            found[paragraph] = spans
        assert not errors, errors
        return found
    finally:
        context.close()


def expected(text: str, spans: list[tuple[int, int, str]]) -> list[tuple]:
    # The page draws a line break as the start of a new row, inside no row's text, so a span across one is highlighted
    # as its two pieces: its text on the page is the paragraph's text[start:end] without the "\n".
    return [(start, end, label, text[start:end].replace("\n", ""), {COLORS[label]}) for start, end, label in sorted(spans)]


def seen(spans: list[dict]) -> list[tuple]:
    return [
        (s["start"], s["end"], s["label"], s["text"], {c.lower() for c in s["colours"]}) for s in sorted(spans, key=lambda s: s["start"])
    ]


def test_the_test_paragraphs_cover_what_the_page_must_get_right():
    assert {label for spans in SPANS.values() for *_, label in spans} == set(LABELS)
    assert all(ch in P1 + P2 for ch in ",;:()")
    texts = [text[s:e] for text, spans in SPANS.items() for s, e, _ in spans]
    assert any("\n" in t for t in texts)  # a span across a line break
    assert P2[P2.index("全省第二") + 4] == "\n" and P2[P2.index("恒安集团") - 1] == "\n"  # spans touching one


@pytest.mark.doccano
@pytest.mark.slow
def test_pushed_suggestions_are_drawn_on_their_characters_in_doccano(live_doccano, tmp_path: Path):
    browser_path = chromium()
    server = live_doccano
    source = tmp_path / "paragraphs.jsonl"
    rows = [
        {"text": t, "label": [list(s) for s in spans], "doc_id": "browser", "para_index": i} for i, (t, spans) in enumerate(SPANS.items())
    ]
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    annotators = dict([server.admin, READER])
    result = push([source], server.url, server.admin, project="browser", annotators=annotators, with_suggestions=False)
    n_spans = sum(len(s) for s in SPANS.values())
    assert (result["paragraphs"], result["examples_in_project"], result["spans_skipped"]) == (2, 2, 0)
    assert result["suggestions"] == {server.admin[0]: n_spans, READER[0]: n_spans}

    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=browser_path, args=["--no-sandbox", "--disable-gpu"])
        except PlaywrightError as err:
            no_browser(f"{browser_path} does not start: {str(err).splitlines()[0]}")
        try:
            for login in (server.admin, READER):  # the pusher's spans come with the import, the reader's through the API
                found = annotation_page_spans(browser, server.url, login, result["project_id"], len(SPANS))
                assert set(found) == set(SPANS)
                for text, spans in SPANS.items():
                    assert seen(found[text]) == expected(text, spans), f"{login[0]}: {text!r}"
        finally:
            browser.close()
