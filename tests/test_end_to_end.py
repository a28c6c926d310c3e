"""The whole pipeline through the real command line, on real files in a temporary folder."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .mini_corpus import DOCS, records

ROOT = Path(__file__).resolve().parent.parent


def govner(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True, text=True, cwd=ROOT)
    if ok:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("e2e")
    for doc_id in DOCS:
        text = "\n\n".join(r["text"] for r in records() if r["doc_id"] == doc_id) + "\n"
        (work / f"{doc_id}.txt").write_text(text, encoding="utf-8")
    gold = work / "gold.jsonl"
    gold.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records()), encoding="utf-8")
    return work


@pytest.mark.slow
def test_ingest_pre_annotate_convert_train_evaluate_tag(work: Path):
    reports = sorted(str(p) for p in work.glob("*.txt"))
    govner("ingest", *reports, "-o", str(work / "raw.jsonl"))
    paragraphs = [json.loads(line) for line in (work / "raw.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(paragraphs) == len(records())
    for p in paragraphs:
        source = Path(p["source"]).read_text(encoding="utf-8")
        assert source[p["offset"] : p["offset"] + len(p["text"])] == p["text"]

    govner("pre-annotate", str(work / "raw.jsonl"), "-o", str(work / "pre.jsonl"))
    suggested = [json.loads(line) for line in (work / "pre.jsonl").read_text(encoding="utf-8").splitlines()]
    found = {(r["text"][s:e], label) for r in suggested for s, e, label in r["label"]}
    assert {("晋江市", "GPE"), ("全省第二", "RANKING"), ("中国民营企业500强", "RANKING")} <= found

    govner("convert", str(work / "gold.jsonl"), "-o", str(work / "spacy"), "--dev", "0.2", "--test", "0.2")
    assert json.loads((work / "spacy" / "splits.json").read_text())["test"]
    # train and dev on all data: the test checks that the loop learns, not how well it generalises
    govner("convert", str(work / "gold.jsonl"), "-o", str(work / "all"), "--dev", "0", "--test", "0")
    govner(
        "train", "--config", "configs/ner.cfg", "--data", str(work / "all"), "-o", str(work / "model"),
        "--set", "training.max_steps=300", "--set", "training.eval_frequency=100",
        "--set", "paths.dev=" + str(work / "all" / "train.spacy"),
    )
    model = work / "model" / "model-best"
    scores = json.loads(govner("evaluate", str(work / "all" / "train.spacy"), "--model", str(model), "--json").stdout)
    assert set(scores["per_label"]) == {"PROJECT", "ENTERPRISE", "RANKING", "ORG", "GPE"}
    assert scores["micro"]["support"] == sum(len(r["label"]) for r in records())
    assert scores["micro"]["f"] > 0.5

    # raw gold JSONL is scored through the tagger, exactly and by overlap, the same numbers as tagging gives
    raw_scores = json.loads(govner("evaluate", str(work / "gold.jsonl"), "--model", str(model), "--json").stdout)
    from pipeline import load
    from pipeline.annotation.agreement import prediction_scores

    tagger = load(model)
    pairs = [([tuple(s) for s in r["label"]], [(e["start"], e["end"], e["label"]) for e in tagger(r["text"])]) for r in records()]
    expected = prediction_scores(pairs)["micro"]
    assert [raw_scores["micro"][k] for k in ("p", "r", "f", "support")] == pytest.approx([expected[k] for k in ("p", "r", "f", "support")])
    assert raw_scores["micro"]["overlap"] == pytest.approx(expected["overlap"])
    assert raw_scores["paragraphs"] == len(records()) and raw_scores["micro"]["overlap"]["f"] >= raw_scores["micro"]["f"] > 0.5

    out = govner("tag", str(work / "doc-jinjiang.txt"), "--model", str(model)).stdout
    (record,) = [json.loads(line) for line in out.splitlines()]
    assert record["text"] == (work / "doc-jinjiang.txt").read_text(encoding="utf-8")
    for ent in record["entities"]:
        assert record["text"][ent["start"] : ent["end"]] == ent["text"]
    without_scores = [{k: v for k, v in e.items() if k != "score"} for e in record["entities"]]
    assert {"text": "晋江市", "label": "GPE", "start": 0, "end": 3} in without_scores


def test_shipped_model_tags_the_readme_example():
    """The README's Python example, read from the README: the shipped model gives exactly the output it shows."""
    import ast

    from pipeline import load

    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    call = next(i for i, line in enumerate(lines) if line.startswith("tagger(\""))
    text = ast.literal_eval(lines[call][len("tagger(") : -1])
    shown = ast.literal_eval(lines[call + 1].lstrip("# "))
    assert load()(text) == shown and shown and all(0 <= e["score"] <= 1 for e in shown)


@pytest.mark.slow
def test_train_with_a_users_own_annotations_and_evaluate_them_held_out(work: Path):
    govner("convert", str(work / "gold.jsonl"), "-o", str(work / "corpus"), "--dev", "0.2", "--test", "0.2")
    user = work / "doccano"
    user.mkdir()
    mine = [{**r, "doc_id": "user-" + r["doc_id"]} for r in records()]  # a user's own documents, annotated in Doccano
    (user / "merged.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in mine), encoding="utf-8")
    args = ["train", "--config", "configs/ner.cfg", "--data", str(work / "corpus"), "-o", str(work / "adapted"),
            "--extra", str(user / "merged.jsonl"), "--set", "training.max_steps=100", "--set", "training.eval_frequency=50"]
    result = govner(*args)
    splits = json.loads((user / "spacy" / "splits.json").read_text(encoding="utf-8"))
    assert sorted(d for part in splits.values() for d in part) == sorted({r["doc_id"] for r in mine}) and splits["test"]
    assert f"govner evaluate {work / 'corpus' / 'test.spacy'} {user / 'spacy' / 'test.spacy'}" in result.stdout + result.stderr

    from pipeline.components.tokens import blank_nlp
    from pipeline.training.docbins import read_docs

    def texts(path: Path) -> list[str]:  # a DocBin file, or a folder of them (the combined splits)
        return [d.text for d in read_docs(path, blank_nlp().vocab)]

    for part in ("train", "dev"):  # the corpus' documents and the user's of that split, nothing of the user's test
        assert sorted(texts(work / "adapted" / "data" / f"{part}.spacy")) == sorted(
            texts(work / "corpus" / f"{part}.spacy") + texts(user / "spacy" / f"{part}.spacy"))
    held = set(texts(user / "spacy" / "test.spacy"))
    assert held == {r["text"] for r in mine if r["doc_id"] in splits["test"]}

    govner(*args)  # trained again: the user's documents keep their split
    assert json.loads((user / "spacy" / "splits.json").read_text(encoding="utf-8")) == splits
    both = json.loads(govner("evaluate", str(work / "corpus" / "test.spacy"), str(user / "spacy" / "test.spacy"),
                             "--model", str(work / "adapted" / "model-best"), "--json").stdout)
    assert set(both) == {str(work / "corpus" / "test.spacy"), str(user / "spacy" / "test.spacy")}
    assert both[str(user / "spacy" / "test.spacy")]["paragraphs"] == len(held)
