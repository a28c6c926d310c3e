from pathlib import Path

import pytest

from pipeline.annotation.pre_annotate import rules_nlp, suggest
from pipeline.components.rules import load_rules
from pipeline.errors import GovnerError
from pipeline.tagging.tag import Tagger


@pytest.fixture(scope="module")
def nlp():
    return rules_nlp()


def ents(nlp, text: str) -> list[tuple[str, str]]:
    return [(e.text, e.label_) for e in nlp(text).ents]


def test_scheme_examples(nlp):
    assert ents(nlp, "晋江市规上工业增加值增长9.1%，增速位居全省第二。") == [("晋江市", "GPE"), ("全省第二", "RANKING")]
    assert ("中国民营企业500强", "RANKING") in ents(nlp, "恒安集团、安踏体育入选“中国民营企业500强”。")
    assert ("福建三钢闽光股份有限公司", "ENTERPRISE") in ents(nlp, "服务福建三钢闽光股份有限公司等企业。")


def test_chains_and_bodies_grow_into_one_span(nlp):
    assert ents(nlp, "在龙岩市新罗区西陂街道开展试点。") == [("龙岩市新罗区西陂街道", "GPE")]
    assert ents(nlp, "晋江市商务局牵头。") == [("晋江市商务局", "ORG")]


def test_firsts_are_not_rankings(nlp):
    assert not [e for e in ents(nlp, "成为全省第3个千亿县。") if e[1] == "RANKING"]


def test_suggestions_keep_existing_spans(nlp):
    record = {"text": "晋江市增速位居全省第二。", "label": [[0, 2, "ORG"]]}
    (untouched,) = suggest([record], Tagger(nlp))
    assert untouched["label"] == [[0, 2, "ORG"]]  # a person's spans are left as they are, nothing added
    (out,) = suggest([record], Tagger(nlp), annotated_too=True)
    assert [0, 2, "ORG"] in out["label"]
    assert all(not (s < 2 and e > 0) for s, e, label in out["label"] if label != "ORG")
    assert [7, 11, "RANKING"] in out["label"]


def test_bad_patterns_file_names_the_line(tmp_path: Path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"label": "GPE", "regex": "镇"}\n{"label": "PLACE", "regex": "村"}\n', encoding="utf-8")
    with pytest.raises(GovnerError, match=r"p\.jsonl:2: unknown label"):
        load_rules(path)


def test_rules_travel_with_a_saved_pipeline(nlp, tmp_path: Path):
    nlp.to_disk(tmp_path / "m")
    import spacy

    loaded = spacy.load(tmp_path / "m")
    assert ents(loaded, "晋江市商务局牵头。") == [("晋江市商务局", "ORG")]
