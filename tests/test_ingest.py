from pathlib import Path

import pytest

from pipeline.annotation.ingest import ingest, ingest_file, split_paragraphs
from pipeline.errors import GovnerError
from pipeline.scheme import paragraph_id


def test_split_on_blank_lines_keeps_offsets():
    text = "标题\n\n  第一段，有两行\n接着写。\n\n\n第二段。\n"
    paras = list(split_paragraphs(text))
    assert [p for _, p in paras] == ["标题", "第一段，有两行\n接着写。", "第二段。"]
    for offset, para in paras:
        assert text[offset : offset + len(para)] == para


def test_split_on_lines_when_no_blank_line():
    text = "一行是一段。\n第二段。"
    assert list(split_paragraphs(text)) == [(0, "一行是一段。"), (7, "第二段。")]


def test_ingest_file_records(tmp_path: Path):
    path = tmp_path / "jinjiang.txt"
    text = "\ufeff晋江市政府工作报告\n\n晋江市规上工业增加值增长9.1%。\n"
    path.write_text(text, encoding="utf-8")
    records = ingest_file(path)
    assert [r["para_index"] for r in records] == [0, 1]
    decoded = text.lstrip("\ufeff")
    for r in records:
        assert decoded[r["offset"] : r["offset"] + len(r["text"])] == r["text"]
        assert r["doc_id"] == "jinjiang" and r["para_id"] == paragraph_id(r["text"]) and "id" not in r
    assert paragraph_id("同一段") == paragraph_id("同一段") != paragraph_id("另一段")


def test_ingest_errors_name_the_file(tmp_path: Path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(GovnerError, match=r"empty\.txt: file is empty"):
        ingest([empty], tmp_path / "out.jsonl")
    with pytest.raises(GovnerError, match=r"missing\.txt: no such file"):
        ingest([tmp_path / "missing.txt"], tmp_path / "out.jsonl")
    assert not (tmp_path / "out.jsonl").exists()
