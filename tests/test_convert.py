import json
from pathlib import Path

import pytest
from spacy.tokens import DocBin

from pipeline.components.tokens import blank_nlp
from pipeline.errors import GovnerError
from pipeline.training.convert import convert, record_to_doc, split_documents

from .mini_corpus import records


def write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_record_to_doc_keeps_every_span():
    nlp = blank_nlp()
    for r in records():
        doc, problems = record_to_doc(nlp, r, "x")
        assert problems == []
        assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == [tuple(s) for s in r["label"]]


def test_cleaning_moves_spans_with_the_text():
    text = "全年新增企业120家,扎实推进晋江经济 开发区建设。"
    start = text.index("晋江")
    record = {"text": text, "label": [[start, start + 8, "ORG"]]}
    doc, problems = record_to_doc(blank_nlp(), record, "x")
    assert problems == []
    assert doc.text == "全年新增企业120家，扎实推进晋江经济开发区建设。"
    assert [(e.text, e.label_) for e in doc.ents] == [("晋江经济开发区", "ORG")]


def test_split_is_by_document_and_seeded():
    ids = [f"d{i}" for i in range(20) for _ in range(3)]
    a = split_documents(ids, 0.15, 0.15, seed=1)
    assert a == split_documents(ids, 0.15, 0.15, seed=1)
    assert sorted(a) == sorted(set(ids))
    assert sum(s == "test" for s in a.values()) == 3 and sum(s == "dev" for s in a.values()) == 3


def test_convert_writes_splits(tmp_path: Path):
    result = convert([write(tmp_path / "a.jsonl", records())], tmp_path / "out", dev=0.2, test=0.2, seed=0)
    splits = json.loads((tmp_path / "out" / "splits.json").read_text())
    assert sorted(d for docs in splits.values() for d in docs) == sorted({r["doc_id"] for r in records()})
    total = 0
    for split in ("train", "dev", "test"):
        docs = list(DocBin().from_disk(tmp_path / "out" / f"{split}.spacy").get_docs(blank_nlp().vocab))
        assert len(docs) == result["splits"][split]["paragraphs"] == 3 * len(splits[split])
        total += sum(len(d.ents) for d in docs)
    assert total == sum(len(r["label"]) for r in records())


@pytest.mark.parametrize(
    ("span", "why"),
    [
        ([5, 99, "GPE"], "out of range"),
        ([0, 2, "PLACE"], "unknown label"),
        ([0, 3, "GPE"], "ends with punctuation"),
        ([1, 2, "GPE"], "overlaps"),
    ],
)
def test_invalid_spans_are_reported_with_line(tmp_path: Path, span, why):
    rows = records()
    rows[4] = {**rows[4], "text": "晋江，规上工业增长。", "label": [[0, 2, "GPE"], span] if why == "overlaps" else [span]}
    path = write(tmp_path / "bad.jsonl", rows)
    with pytest.raises(GovnerError) as err:
        convert([path], tmp_path / "out")
    assert f"{path}:5" in str(err.value)
    assert any(why in d and f"{path}:5" in d for d in err.value.details)
    assert not (tmp_path / "out").exists()


def test_skip_invalid_marks_span_missing(tmp_path: Path):
    rows = records()
    rows[0] = {**rows[0], "label": [[0, 3, "GPE"], [1, 4, "ORG"]]}
    result = convert([write(tmp_path / "bad.jsonl", rows)], tmp_path / "out", skip_invalid=True)
    assert len(result["problems"]) == 1 and "overlaps" in result["problems"][0]
    # the overlapping span's characters are missing (neither entity nor outside), the valid one stays an entity
    text = rows[0]["text"]
    nlp = blank_nlp()
    docs = [d for split in ("train", "dev", "test") for d in DocBin().from_disk(tmp_path / "out" / f"{split}.spacy").get_docs(nlp.vocab)]
    (doc,) = [d for d in docs if d.text == text]
    assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == [(0, 3, "GPE")]
    assert [t.ent_iob_ for t in doc[:5]] == ["B", "I", "I", "", "O"]  # 3 is missing: it was inside the ORG span only


def test_documents_keep_their_split_when_the_corpus_grows(tmp_path: Path):
    rows = records()
    first = convert([write(tmp_path / "a.jsonl", rows)], tmp_path / "out")
    before = json.loads((tmp_path / "out" / "splits.json").read_text(encoding="utf-8"))
    grown = rows + [{**r, "doc_id": f"new-{i}"} for i, r in enumerate(rows)]
    result = convert([write(tmp_path / "b.jsonl", grown)], tmp_path / "out")
    after = json.loads((tmp_path / "out" / "splits.json").read_text(encoding="utf-8"))
    assert result["kept"] == sum(len(docs) for docs in before.values()) == first["kept"] + len({r["doc_id"] for r in rows})
    for split, docs in before.items():
        assert set(docs) <= set(after[split])  # no old document moved
    assert {d for docs in after.values() for d in docs} == {r["doc_id"] for r in grown}
    reshuffled = convert([write(tmp_path / "b.jsonl", grown)], tmp_path / "out", reshuffle=True)
    assert reshuffled["kept"] == 0


def test_a_large_split_is_written_as_shards_that_read_as_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from spacy.training import Corpus

    from pipeline.training import docbins

    source = write(tmp_path / "gold.jsonl", records())
    convert([source], tmp_path / "whole", dev=0, test=0)
    assert (tmp_path / "whole" / "train.spacy").is_file()  # a corpus of this size: one DocBin, as always
    monkeypatch.setattr(docbins, "SHARD_PARAGRAPHS", 2)
    result = convert([source], tmp_path / "sharded", dev=0, test=0)
    folder = tmp_path / "sharded" / "train.spacy"
    n = len(records())
    assert folder.is_dir() and len(list(folder.glob("*.spacy"))) == (n + 1) // 2 and result["splits"]["train"]["paragraphs"] == n
    nlp = blank_nlp()

    def spans(path: Path) -> list[tuple]:
        return [(d.text, [(e.start_char, e.end_char, e.label_) for e in d.ents]) for d in docbins.read_docs(path, nlp.vocab)]

    assert spans(folder) == spans(tmp_path / "whole" / "train.spacy")
    assert len(list(Corpus(folder)(nlp))) == n  # spaCy's own reader takes the folder as the split
    assert oct(folder.stat().st_mode & 0o777) == oct(0o777 & ~docbins.current_umask())
    monkeypatch.setattr(docbins, "SHARD_PARAGRAPHS", 5000)
    convert([source], tmp_path / "sharded", dev=0, test=0)  # smaller again: the folder becomes a file
    assert folder.is_file() and spans(folder) == spans(tmp_path / "whole" / "train.spacy")
