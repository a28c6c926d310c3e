"""Tagging files, folders and globs into JSONL, CSV and HTML, with offsets exact in every format."""

import codecs
import csv
import io
import json
import os
import re
from pathlib import Path

import pytest
import spacy
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spacy.tokens import Doc
from typer.testing import CliRunner

import pipeline
from pipeline.annotation.pre_annotate import rules_nlp
from pipeline.cli.console import app
from pipeline.components.tokens import blank_nlp
from pipeline.errors import GovnerError
from pipeline.tagging import tag as tag_module
from pipeline.tagging.formats import csv_cell
from pipeline.tagging.tag import MAX_CHUNK, Tagger, chunks, expand_inputs, tag, tag_files
from pipeline.text.clean import clean
from pipeline.text.readers import read_report

from .documents import make_pdf
from .test_readers import HTML, PDF_PAGES, REPORT, make_docx

NAMES = {"晋江市": "GPE", "安踏体育": "ENTERPRISE", "恒安集团": "ENTERPRISE", "全省第一": "RANKING", "晋江经济开发区": "ORG"}


def ruler_nlp():
    """A real, small pipeline: one token per character like the shipped model, names found by an EntityRuler."""
    nlp = blank_nlp()
    nlp.add_pipe("entity_ruler").add_patterns([{"label": label, "pattern": name} for name, label in NAMES.items()])
    return nlp


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(ruler_nlp())


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "ruler"
    ruler_nlp().to_disk(path)
    return path


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """A folder of reports as users have them, with the files that must fail or be passed over."""
    folder = tmp_path / "reports"
    (folder / "2023" / "web").mkdir(parents=True)
    jinjiang = "2022年晋江市政府工作报告\n晋江市经济总量居全省第一，安踏体育、恒安集团营收增长。\n"
    (folder / "a-utf8.txt").write_text(jinjiang, encoding="utf-8")
    (folder / "2023" / "b-gb18030.txt").write_bytes(jinjiang.encode("gb18030"))
    (folder / "2023" / "c-utf16.txt").write_bytes(jinjiang.encode("utf-16"))
    make_docx(folder / "2023" / "d.docx")
    (folder / "2023" / "e.pdf").write_bytes(make_pdf(PDF_PAGES))
    (folder / "2023" / "web" / "f.html").write_bytes(HTML.format(name="晋江市").encode("gb18030"))
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (folder / "picture.jpg").write_bytes(b"\xff\xd8\xff")  # not a report type: passed over in a folder
    (folder / ".hidden.txt").write_text("晋江市", encoding="utf-8")
    (folder / "2023" / "~$d.docx").write_bytes(b"lock")  # Word's lock file beside an open document
    return folder


GOOD = ["2023/b-gb18030.txt", "2023/c-utf16.txt", "2023/d.docx", "2023/e.pdf", "2023/web/f.html", "a-utf8.txt"]  # sorted
BAD = ["binary.txt", "empty.txt"]


def check_records(records: list[dict]) -> None:
    """The JSONL contract: the text as read, and every entity's text at its offsets in it."""
    for record in records:
        assert record["text"] == read_report(Path(record["source"]))
        for ent in record["entities"]:
            assert 0 <= ent["start"] < ent["end"] <= len(record["text"])
            assert record["text"][ent["start"] : ent["end"]] == ent["text"]
            assert "".join(ent["text"].split()) in NAMES


def marks(html_page: str) -> list[list[tuple[str, str]]]:
    """Per report section: the (text, label) of every displaCy mark, in order."""
    soup = BeautifulSoup(html_page, "html.parser")
    out = []
    for section in soup.select("section[id^=report-]"):
        found = []
        for mark in section.select("mark.entity"):
            found.append((str(mark.contents[0])[5:-5], mark.span.get_text()))  # displaCy writes "\n    {text}\n    <span>"
        out.append(found)
    return out


def test_mixed_folder_into_every_format(tmp_path: Path, mixed: Path, tagger: Tagger):
    out = {fmt: tmp_path / f"tags.{fmt}" for fmt in ("jsonl", "csv", "html")}
    result = tag([str(mixed)], tagger, list(out.values()), summary_path=tmp_path / "summary.csv", progress=False)
    assert result["files"] == len(GOOD) and len(result["errors"]) == len(BAD)
    assert [e.split(": ")[0] for e in result["errors"]] == [str(mixed / name) for name in BAD]
    assert "binary data" in result["errors"][0] and "file is empty" in result["errors"][1]

    records = [json.loads(line) for line in out["jsonl"].read_text(encoding="utf-8").splitlines()]
    assert [r["source"] for r in records] == [str(mixed / name) for name in GOOD]
    check_records(records)
    pdf = records[GOOD.index("2023/e.pdf")]
    assert any(e["text"] == "安踏体\n育" and e["label"] == "ENTERPRISE" for e in pdf["entities"])  # joined for the model
    assert {e["text"] for e in records[GOOD.index("2023/web/f.html")]["entities"]} == {"晋江市", "安踏体育", "恒安集团"}
    assert result["entities"] == sum(len(r["entities"]) for r in records)

    raw = out["csv"].read_bytes()
    assert raw.startswith(codecs.BOM_UTF8) and b"\r\n" in raw  # what Excel expects
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    expected = [(r["source"], e) for r in records for e in r["entities"]]
    assert len(rows) == len(expected)
    texts = {r["source"]: r["text"] for r in records}
    for row, (source, ent) in zip(rows, expected):
        assert (row["source"], row["label"], row["text"]) == (source, ent["label"], csv_cell(ent["text"]))
        assert csv_cell(texts[source][int(row["start"]) : int(row["end"])]) == row["text"]  # offsets into the text as read
        assert "".join(row["text"].split()) in row["sentence"]

    page = out["html"].read_text(encoding="utf-8")
    assert marks(page) == [[(e["text"], e["label"]) for e in r["entities"]] for r in records]
    assert page.count("<th>names</th>") == len(records) + 1 and 'id="summary"' in page

    summary = list(csv.DictReader(io.StringIO((tmp_path / "summary.csv").read_text(encoding="utf-8-sig"))))
    names = [["".join(e["text"].split()) for e in r["entities"]] for r in records]
    assert {(row["label"], row["text"]): (int(row["reports"]), int(row["mentions"])) for row in summary} == {
        (label, name): (sum(name in found for found in names), sum(found.count(name) for found in names)) for name, label in NAMES.items()
    }
    assert summary[0]["label"] == "ENTERPRISE" and summary[-1]["label"] == "GPE"  # the scheme's order
    per_label = {label: (c["reports"], c["mentions"]) for label, c in result["per_label"].items()}
    assert per_label["ORG"] == (1, 1) and per_label["PROJECT"] == (0, 0)  # 晋江经济开发区, in the PDF only


def test_command_line_exit_codes_and_outputs(tmp_path: Path, mixed: Path, model_dir: Path):
    runner = CliRunner()
    out_csv, out_html = tmp_path / "tags.csv", tmp_path / "tags.html"
    result = runner.invoke(app, ["tag", str(mixed), "-m", str(model_dir), "-o", str(out_csv), "-o", str(out_html), "--no-progress"])
    assert result.exit_code == 1, result.output
    assert out_csv.exists() and out_html.exists()
    assert f"{mixed / 'empty.txt'}: file is empty" in result.stderr and "6 files" in result.stderr

    good = [str(mixed / name) for name in GOOD]
    result = runner.invoke(app, ["tag", *good, "-m", str(model_dir)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]  # records alone on standard output
    assert [r["source"] for r in records] == good
    check_records(records)

    result = runner.invoke(app, ["tag", good[0], "-m", str(model_dir), "-f", "csv"])
    assert result.exit_code == 0 and result.stdout.startswith("source,label,text,start,end,score,sentence")


def test_fail_fast_writes_nothing(tmp_path: Path, mixed: Path, tagger: Tagger):
    out = tmp_path / "tags.csv"
    with pytest.raises(GovnerError, match=rf"{re.escape(str(mixed / 'binary.txt'))}: binary data.*--keep-going tags the rest"):
        tag([str(mixed)], tagger, [out], keep_going=False, progress=False)
    assert not out.exists() and not list(tmp_path.glob(".*.part"))


def test_no_readable_file_loads_no_model_and_writes_nothing(tmp_path: Path):
    out = tmp_path / "tags.jsonl"
    (tmp_path / "empty.txt").write_bytes(b"")
    with pytest.raises(GovnerError, match="no file could be tagged") as err:
        tag([str(tmp_path / "missing.txt"), str(tmp_path / "empty.txt")], tmp_path / "no-model", [out])
    assert err.value.details == [f"{tmp_path / 'missing.txt'}: no such file", f"{tmp_path / 'empty.txt'}: file is empty"]
    assert not out.exists()


def test_folders_globs_and_files_expand_once_each(mixed: Path):
    files, problems = expand_inputs([str(mixed / "2023"), str(mixed / "**" / "*.txt"), str(mixed / "a-utf8.txt"), str(mixed / "*.doc")])
    assert files == [mixed / name for name in [*GOOD, *BAD]]
    assert problems == [f"{mixed / '*.doc'}: no readable files (.txt, .docx, .pdf, .html, .htm)"]
    assert expand_inputs([str(mixed / "missing.txt")]) == ([mixed / "missing.txt"], [])  # its reader names it


def test_files_stream_through_the_model(tmp_path: Path, tagger: Tagger, monkeypatch):
    """However long the batch, only a model batch of files is held at once: memory stays flat."""
    paths = []
    for i in range(300):
        paths.append(tmp_path / f"{i}.txt")
        paths[-1].write_text(f"第{i}号：晋江市经济总量居全省第一。", encoding="utf-8")
    read, in_flight = [], []
    monkeypatch.setattr(tag_module, "read_report", lambda path: read.append(path) or path.read_text(encoding="utf-8"))

    class Counting(io.StringIO):
        def write(self, s: str) -> int:
            in_flight.append(len(read) - len(in_flight))
            return super().write(s)

    result = tag([str(p) for p in paths], tagger, stdout=Counting(), progress=False)
    assert result["files"] == 300 and len(in_flight) == 300
    assert max(in_flight) <= tagger.batch_size + 1 < 300


def test_n_process_gives_the_same_records(mixed: Path, model_dir: Path):
    files = [mixed / name for name in GOOD]
    tagger = Tagger.load(model_dir)
    assert list(tag_files(files, tagger, n_process=2)) == list(tag_files(files, tagger))


def test_saved_rules_pipeline_as_model(tmp_path: Path):
    rules_nlp().to_disk(tmp_path / "rules")
    (tmp_path / "r.txt").write_text(REPORT, encoding="utf-8")
    (record,) = tag_files([tmp_path / "r.txt"], Tagger.load(tmp_path / "rules"))
    assert {"start": 5, "end": 8, "label": "GPE", "text": "泉州市"} in record["entities"]


def test_python_api(model_dir: Path):
    tagger = pipeline.load(model_dir)
    text = "晋江市经济总量连续二十八年居全省县域经济首位，位居全省\n第一。"
    assert tagger(text) == [
        {"start": 0, "end": 3, "label": "GPE", "text": "晋江市"},
        {"start": 25, "end": 30, "label": "RANKING", "text": "全省\n第一"},
    ]
    assert list(tagger.pipe([text, "恒安集团"])) == [tagger(text), tagger("恒安集团")]


def test_traditional_characters_with_t2s(model_dir: Path):
    text = "晉江市經濟總量居全省第一，恆安集團增產。"
    assert Tagger.load(model_dir)(text) == [{"start": 8, "end": 12, "label": "RANKING", "text": "全省第一"}]
    found = Tagger.load(model_dir, t2s=True)(text)
    assert [(e["text"], e["label"]) for e in found] == [("晉江市", "GPE"), ("全省第一", "RANKING"), ("恆安集團", "ENTERPRISE")]


class NameTokenizer:
    """The names as tokens and the runs between them: fast on 20 MB, where one token per character is not."""

    def __init__(self, vocab) -> None:
        self.vocab = vocab
        self.split = re.compile(f"({'|'.join(NAMES)})").split

    def __call__(self, text: str) -> Doc:
        words = [w for w in self.split(text) if w]
        return Doc(self.vocab, words=words, spaces=[False] * len(words))


def test_twenty_megabyte_file(tmp_path: Path):
    nlp = spacy.blank("zh")
    nlp.tokenizer = NameTokenizer(nlp.vocab)
    nlp.add_pipe("entity_ruler").add_patterns([{"label": label, "pattern": name} for name, label in NAMES.items()])
    paragraph = "晋江市经济总量居全省第一，" + "规上工业增加值增长，" * 40 + "安踏体\n育营收增长。\n"
    text = paragraph * (20_000_000 // len(paragraph.encode()) + 1) + "最后是恒安集团。"
    path = tmp_path / "big.txt"
    path.write_text(text, encoding="utf-8")
    assert path.stat().st_size > 20_000_000
    (record,) = tag_files([path], Tagger(nlp))
    assert len(record["entities"]) == 3 * text.count(paragraph) + 1
    assert record["entities"][-1] == {"start": len(text) - 5, "end": len(text) - 1, "label": "ENTERPRISE", "text": "恒安集团"}
    assert all(record["text"][e["start"] : e["end"]] == e["text"] for e in record["entities"][:1000])


def test_chunks_cover_the_text_within_the_limit():
    line = "晋江市经济总量居全省第一。" * 300  # one line far longer than a chunk
    text = f"  标题\n\n{line}\n" + "短行。\n" * 500 + "无标点" * 1000
    pieces = list(chunks(text))
    assert all(0 < end - start <= MAX_CHUNK for start, end in pieces)
    assert all(text[a:b].strip() == text[a:b] for a, b in pieces)
    assert "".join("".join(text[a:b].split()) for a, b in pieces) == "".join(text.split())  # only whitespace between
    assert all(text[b - 1] == "。" for a, b in pieces if "\n" not in text[a:b] and len(text[a:b]) > MAX_CHUNK - 20 and b < len(text) - 3000)


# texts like extracted reports, with names broken by line ends and page numbers
PIECES = [*NAMES, "安踏体\n育", "晋江\n市", "全省第\n\n— 3 —\n\n一", "2022年晋江市政府工作报告", "，", "。", "\n", "\n\n", " ", "—2—"]
texts = st.lists(st.one_of(st.sampled_from(PIECES), st.text("晋江市安踏体育的和在，。,;：\n \u3000", max_size=8)), max_size=60).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts)
def test_every_entity_points_into_the_text_as_read(tagger: Tagger, text: str):
    entities = tagger(text)
    cleaned = clean(text)
    seen = [cleaned.text[a:b] for a, b in chunks(cleaned.text)]
    assert len(entities) == sum(piece.count(name) for piece in seen for name in NAMES)  # every name the model saw
    for ent in entities:
        assert text[ent["start"] : ent["end"]] == ent["text"]
        start, end = cleaned.from_original(ent["start"], ent["end"])
        assert NAMES[cleaned.text[start:end]] == ent["label"]  # what the model saw, mapped back exactly


SENTENCES = ["比亚迪襄阳产业园二期项目开工建设。", "晋江市经济总量居全省第一。", "恒安集团、安踏体育营收增长。"]
BREAKS = ["\n\n", "\r\n\r\n", "\r\n", "\n \n", "\n\u3000\u3000", "\n\n\n"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["各位代表：", "一、工作回顾", "（一）", "2024年", ""]), st.sampled_from(BREAKS),
                          st.sampled_from(SENTENCES)), min_size=1, max_size=4))
def test_the_shipped_model_keeps_names_whole_after_blank_lines_and_crlf(parts: list[tuple[str, str, str]]):
    """A paragraph after a blank line (LF or CRLF) is tagged as it is alone: no lost first character, and no
    entity starts or ends with whitespace or a line break."""
    tagger = shipped_tagger()
    text = "".join(head + brk + sentence for head, brk, sentence in parts)
    found = tagger(text)
    for ent in found:
        assert ent["text"] == ent["text"].strip() and text[ent["start"] : ent["end"]] == ent["text"]
    for sentence in {s for _, brk, s in parts if brk.replace("\r", "").count("\n") >= 2 and "\u3000" not in brk}:
        alone = {e["text"] for e in tagger(sentence)}
        assert alone <= {e["text"] for e in found}, (text, alone)


_SHIPPED: list[Tagger] = []


def shipped_tagger() -> Tagger:
    if not _SHIPPED:
        _SHIPPED.append(pipeline.load())
    return _SHIPPED[0]


def test_a_file_the_model_fails_on_is_one_error_and_the_rest_is_tagged(tmp_path: Path):
    nlp = ruler_nlp()

    @spacy.Language.component("fails_on_marker")
    def fails_on_marker(doc: Doc) -> Doc:
        if "炸" in doc.text:
            raise ValueError("boom")
        return doc

    nlp.add_pipe("fails_on_marker")
    good, bad = tmp_path / "a.txt", tmp_path / "b.txt"
    good.write_text("晋江市经济总量居全省第一。\n", encoding="utf-8")
    bad.write_text("晋江市经济总量居全省第一。\n\n炸\n", encoding="utf-8")
    failed = f"{bad}: the model failed on a piece of this text"
    for n_process in (1, 2):  # in two worker processes the failure mark comes back as a copy
        records = list(tag_module.tag_files([bad, good, bad], Tagger(nlp), n_process=n_process))
        assert [r.get("error") for r in records] == [failed, None, failed]
        assert [e["text"] for e in records[1]["entities"]] == ["晋江市", "全省第一"]
    with pytest.raises(GovnerError, match="the model failed"):
        Tagger(nlp)("炸")


def test_inputs_once_by_real_path_without_the_runs_outputs_and_with_every_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "reports"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("晋江市。", encoding="utf-8")
    (folder / "old-tags.html").write_text("<p>晋江市</p>", encoding="utf-8")
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    files, problems = expand_inputs([str(folder), str(folder / "sub" / ".." / "a.txt")], exclude=[folder / "old-tags.html"])
    assert files == [folder / "a.txt"]
    assert problems == [f"{folder / 'loop.txt'}: a link that leads to no file (broken, or a loop)"]
    locked = folder / "locked"
    locked.mkdir()
    real_scandir = os.scandir

    def scandir(path):  # a folder this user may not list (as root no chmod prevents it, so the refusal is staged)
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    _, problems = expand_inputs([str(folder)])
    assert f"{locked}: cannot list folder (Permission denied)" in problems


def test_csv_cells_stay_on_one_line_and_are_never_formulas(tmp_path: Path):
    assert csv_cell("福州大学先进制\n造学院") == "福州大学先进制 造学院" and csv_cell("a\r\nb") == "a b"
    assert [csv_cell(v) for v in ("=1+1", "+86", "-3", "@SUM(A1)", "晋江市")] == ["'=1+1", "'+86", "'-3", "'@SUM(A1)", "晋江市"]
    report = tmp_path / "=cmd.txt"
    report.write_text("晋江\n市经济总量居全省第一。\n", encoding="utf-8")
    out = tmp_path / "tags.csv"
    tag([str(report)], Tagger(ruler_nlp()), outputs=[out], progress=False)
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[1][0] == "'" + str(report) if str(report).startswith("=") else rows[1][0] == str(report)
    assert all("\n" not in cell and "\r" not in cell for row in rows for cell in row)


def test_a_neural_pipeline_tags_too():
    """spaCy's own ner is a Cython component that takes no error handler: the tagger must still work with it."""
    nlp = blank_nlp()
    nlp.add_pipe("ner").add_label("GPE")
    nlp.initialize()
    found = Tagger(nlp)("晋江市经济总量居全省第一。")
    assert isinstance(found, list) and all(e["text"] == "晋江市经济总量居全省第一。"[e["start"] : e["end"]] for e in found)


def test_crf_scores_every_entity_and_min_score_keeps_the_surer_ones():
    text = "2024年晋江市推进恒安集团年产30万吨生活用纸项目，晋江经济开发区获评全省第一，石狮市商务局牵头服务华峰化学。"
    found = shipped_tagger()(text)
    assert found and all(0.0 <= e["score"] <= 1.0 for e in found)
    cut = sorted(e["score"] for e in found)[len(found) // 2]
    kept = Tagger(shipped_tagger().nlp, min_score=cut)(text)
    assert kept == [e for e in found if e["score"] >= cut] and 0 < len(kept) < len(found)


def test_min_score_needs_a_model_that_gives_scores():
    nlp = blank_nlp()
    nlp.add_pipe("ner").add_label("GPE")
    nlp.initialize()
    assert all("score" not in e for e in Tagger(nlp)("晋江市经济总量居全省第一。"))
    with pytest.raises(GovnerError, match="gives no entity scores"):
        Tagger(nlp, min_score=0.5)
    with pytest.raises(GovnerError, match="between 0 and 1"):
        Tagger(ruler_nlp(), min_score=1.5)
