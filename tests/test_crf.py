import importlib.util
import struct
from pathlib import Path

import numpy as np
import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.training import Example

from pipeline.components.crf import (
    Lexicons,
    bio_spans,
    bio_tags,
    char_features,
    gazetteer_positions,
    head_positions,
    list_context,
    name_lengths,
    read_classes,
    read_heads,
    span_confidence,
)
from pipeline.components.features import char_words
from pipeline.components.tokens import blank_nlp
from pipeline.errors import GovnerError
from pipeline.resources import CHECKOUT
from pipeline.scheme import span_edge_problem, trim_span
from pipeline.training.convert import record_to_doc

from .mini_corpus import records

BASE = {"window": 2, "bigrams": True, "words": False}
CLASSES = "# made by hand\n晋\t1\t10\n江\t2\t20\n晋江市\t7\t70\n投资\t5\t50\n"


def features(text: str, cfg: dict, lex: Lexicons | None = None) -> list[dict[str, str | float]]:
    """``char_features`` read back as one dict per character (``name:value`` attributes; ``bias`` weighs 1.0)."""
    return [dict(attr.split(":", 1) if ":" in attr else (attr, 1.0) for attr in item) for item in char_features(text, cfg, lex)]


def lac_embeddings():
    """scripts/lac_embeddings.py, which is a script, not part of the package."""
    spec = importlib.util.spec_from_file_location("lac_embeddings", CHECKOUT / "scripts" / "lac_embeddings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bio_round_trip():
    doc, _ = record_to_doc(blank_nlp(), records()[0], "x")
    assert bio_spans(bio_tags(doc)) == [(e.start_char, e.end_char, e.label_) for e in doc.ents]
    assert bio_spans(["I-GPE", "I-GPE", "O", "B-ORG", "B-ORG"]) == [(0, 2, "GPE"), (3, 4, "ORG"), (4, 5, "ORG")]


def test_features_see_neighbours_and_gazetteer():
    names = frozenset({"晋江市", "晋江"})
    assert gazetteer_positions("在晋江市投资", names, name_lengths(names, at=0)) == ["", "B", "I", "E", "", ""]
    f = features("在晋江市投资", BASE, Lexicons(places=names))[2]
    assert (f["c"], f["c-1"], f["c+2"], f["b+"], f["g"], f["g-1"]) == ("江", "晋", "投", "江市", "I", "B")


def test_features_see_embedding_classes(tmp_path: Path):
    (tmp_path / "classes.tsv").write_text(CLASSES, encoding="utf-8")
    classes = read_classes(tmp_path / "classes.tsv")
    assert classes["晋江市"] == ("7", "70") and "# made by hand" not in classes
    feats = features("在晋江市投资", BASE | {"words": True}, Lexicons(classes=classes))  # jieba: 在 / 晋江市 / 投资
    f = feats[2]  # 江
    assert (f["k0"], f["k1"], f["k0-1"], f["k1-1"], f["k0+1"]) == ("2", "20", "1", "10", "")
    assert (f["kw0"], f["kw1"], feats[1]["kw0"], feats[4]["kw1"]) == ("7I", "70I", "7B", "50B")
    assert feats[0]["kw0"] == "" and feats[0]["k0-1"] == ""  # a one-character word; the padding has no class
    assert "k0" not in features("在晋江市投资", BASE | {"words": True})[2]


def test_features_see_part_of_speech_shapes_lists_and_heads():
    text = "推进兴泉铁路、福厦高铁和G15扩容等工程"
    cfg = BASE | {"words": True, "pos": True, "shapes": True, "lists": True}
    heads = {"铁路": "PROJECT", "高铁": "PROJECT", "工程": "PROJECT"}
    feats = features(text, cfg, Lexicons(heads=heads))
    assert feats[0]["p"] == "vB" and feats[1]["p"] == "vE"  # 推进: a verb in jieba's dictionary
    assert feats[12]["t"] == "HLD"  # 和 G 1: Han, Latin, digit
    assert feats[8]["e"] == "、和" and feats[3]["e"] == "^、" and feats[18]["e"] == "等$"  # 厦 / 泉 / 工
    assert [feats[i]["h"] for i in (5, 10, 19)] == ["PROJECT"] * 3 and feats[4]["h"] == ""
    heads = {"局": "ORG", "商务局": "ORG2", "商务": "ORG3"}
    assert name_lengths(heads, at=-1) == {"局": (3, 1), "务": (2,)} and name_lengths(heads, at=0) == {"局": (1,), "商": (3, 2)}
    assert head_positions("市商务局", heads, name_lengths(heads, at=-1)) == ["", "", "ORG3", "ORG2"]
    assert list_context("甲、乙", None) == [("^", "、"), ("^", "$"), ("、", "$")]


def test_shipped_head_words_mark_a_title_after_a_body_apart_from_the_body():
    """configs/rules/heads.tsv: 委 ends an ORG (…省委), but 常委 right after it is a title, and so is 厅长 after …厅."""
    heads = read_heads(CHECKOUT / "configs" / "rules" / "heads.tsv")
    text = "青州省委常委、交通运输厅厅长"
    marks = head_positions(text, heads, name_lengths(heads, at=-1))
    assert (marks[3], marks[5], marks[11], marks[13]) == ("ORG", "TITLE", "ORG", "TITLE")
    assert heads["委员会"] == "ORG" and heads["委员"] == "TITLE"


def test_lac_table_is_read_from_paddle_tensor_files():
    lac = lac_embeddings()
    data = np.arange(600, dtype="<f4")
    desc = bytes([0x08, 0x05, 0x10, 0xAC, 0x02, 0x10, 0x02])  # float32, dims [300, 2] (300 is a two-byte varint)
    table = lac.paddle_tensor(struct.pack("<IQIi", 0, 0, 0, len(desc)) + desc + data.tobytes())
    assert table.shape == (300, 2) and table[299, 1] == 599.0
    int64 = bytes([0x08, 0x03, 0x10, 0x02, 0x10, 0x02])
    with pytest.raises(ValueError, match="not float32"):
        lac.paddle_tensor(struct.pack("<IQIi", 0, 0, 0, len(int64)) + int64 + bytes(32))
    rows = dict(lac.with_aliases(["万", "OOV", "万元"], {"萬": "万", "與": "与"}))
    assert rows == {"万": 0, "万元": 2, "萬": 0}


def read_classes_text(text: str) -> dict:
    return {row[0]: tuple(row[1:]) for row in (line.split("\t") for line in text.splitlines() if not line.startswith("#"))}


def test_trains_saves_and_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    nlp = blank_nlp()
    (tmp_path / "classes.tsv").write_text(CLASSES, encoding="utf-8")
    nlp.add_pipe("govner_crf", config={"max_iterations": 50})
    nlp.config["initialize"]["components"]["govner_crf"] = {
        "gazetteer": "configs/rules/places.txt", "clusters": str(tmp_path / "classes.tsv"), "heads": "configs/rules/heads.tsv"
    }
    docs = [record_to_doc(nlp, r, "x")[0] for r in records()]
    nlp.initialize(lambda: [Example(nlp.make_doc(d.text), d) for d in docs])
    nlp.to_disk(tmp_path / "m")
    (tmp_path / "classes.tsv").unlink()  # the model must not need the files it was made from
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    loaded = spacy.load(tmp_path / "m")
    lex = loaded.get_pipe("govner_crf").lex
    assert "晋江" in lex.places and lex.heads["有限公司"] == "ENTERPRISE"
    assert lex.classes == read_classes_text(CLASSES)  # saved into the model
    found = {(e.text, e.label_) for e in loaded(records()[0]["text"]).ents}
    assert ("晋江市", "GPE") in found and ("全省第二", "RANKING") in found


def test_a_missing_resource_file_is_named():
    nlp = blank_nlp()
    nlp.add_pipe("govner_crf")
    doc = record_to_doc(nlp, records()[0], "x")[0]
    with pytest.raises(GovnerError, match=r"^nowhere\.tsv: no such clusters file$"):
        nlp.get_pipe("govner_crf").initialize(lambda: [Example(nlp.make_doc(doc.text), doc)], clusters="nowhere.tsv")


def test_a_damaged_model_file_is_refused(tmp_path: Path):
    nlp = blank_nlp()
    nlp.add_pipe("govner_crf", config={"max_iterations": 5})
    docs = [record_to_doc(nlp, r, "x")[0] for r in records()]
    nlp.initialize(lambda: [Example(nlp.make_doc(d.text), d) for d in docs])
    nlp.to_disk(tmp_path / "m")
    model = tmp_path / "m" / "govner_crf" / "crf.model"
    model.write_bytes(model.read_bytes()[: model.stat().st_size // 2])  # truncated: crfsuite would crash on it
    with pytest.raises(GovnerError, match=r"crf\.model: damaged"):
        spacy.load(tmp_path / "m")


@given(st.text(alphabet=st.sampled_from([*"晋江市商务局投资项目 \n\r\t、，,:：ab12", "\u3000", "😀"]), max_size=40))
@settings(max_examples=300, deadline=None)
def test_every_character_gets_its_word_and_its_features(text: str):
    words = char_words(text)
    assert len(words) == len(text)
    i = 0
    while i < len(text):  # the words, read back position by position, give the text again
        word, position = words[i]
        assert text[i : i + len(word)] == word and position == ("S" if len(word) == 1 else "B")
        assert [p for _, p in words[i : i + len(word)]][1:] == (["I"] * (len(word) - 2) + ["E"] if len(word) > 1 else [])
        i += len(word)
    feats = char_features(text, BASE | {"words": True, "pos": True, "shapes": True, "lists": True})
    assert [f"c:{ch}" in item and "bias" in item for ch, item in zip(text, feats)] == [True] * len(text)
    assert len(feats) == len(text) and len({len(item) for item in feats}) <= 1  # every character, every feature


def test_span_confidence_from_marginals():
    marginals, after = [0.9, 0.8, 0.95], 0.7  # worked by hand
    assert span_confidence(marginals, after, "min") == 0.7
    assert span_confidence(marginals, None, "min") == 0.8  # at the end of the text nothing follows
    assert span_confidence(marginals, after, "mean") == pytest.approx((0.9 + 0.8 + 0.95 + 0.7) / 4)
    assert span_confidence(marginals, after, "product") == pytest.approx(0.9 * 0.8 * 0.95 * 0.7)
    with pytest.raises(ValueError, match="unknown confidence"):
        span_confidence(marginals, after, "max")


class RunOnTagger:
    """A crfsuite tagger stand-in that tags every character of the text but the first as one PROJECT, as a CRF
    does that runs a name on past the end of its sentence; each of its tags has marginal 0.9."""

    def tag(self, xseq: list) -> list[str]:
        return ["O"] + ["B-PROJECT"] + ["I-PROJECT"] * (len(xseq) - 2)

    def marginal(self, tag: str, i: int) -> float:
        return 0.9


def test_no_span_runs_across_a_sentence_end():
    crf = blank_nlp().add_pipe("govner_crf")
    crf.tagger, crf.labels = RunOnTagger(), ("O", "B-PROJECT", "I-PROJECT")
    text = "建成数据中心。海港二期！三期？四期；五期"
    spans = [(text[start:end], label) for start, end, label, _, _ in crf.predict(text)]
    assert spans == [("成数据中心", "PROJECT"), ("海港二期", "PROJECT"), ("三期", "PROJECT"), ("四期", "PROJECT"), ("五期", "PROJECT")]
    # the piece before a cut ends where the next character went on with it: its end is as unsure as that tag
    first = crf.predict(text)[0]
    assert first[4] == pytest.approx(0.1)


@pytest.mark.parametrize(
    "text, kept",
    [
        ("(福州至永泰段)", "福州至永泰段"),  # the brackets it did not open, either side
        ("京台高速(福州至永泰段)", "京台高速(福州至永泰段)"),  # a section it opened keeps its bracket
        ("“红土青年说”宣讲团，", "“红土青年说”宣讲团"),  # quotes stay, the comma goes
        (" 晋江市\n", "晋江市"),
        ("、。", ""),
    ],
)
def test_trim_span_keeps_what_the_scheme_allows(text: str, kept: str):
    start, end = trim_span(text, 0, len(text))
    assert text[start:end] == kept


@given(st.text(alphabet="晋江市()（）“”，、 \n", max_size=12))
def test_a_trimmed_span_is_empty_or_well_formed(text: str):
    start, end = trim_span(text, 0, len(text))
    assert 0 <= start <= end <= len(text)
    assert start == end or span_edge_problem(text[start:end]) is None


def test_predicted_spans_leave_out_a_bracket_they_did_not_open():
    crf = blank_nlp().add_pipe("govner_crf")
    crf.tagger, crf.labels = RunOnTagger(), ("O", "B-PROJECT", "I-PROJECT")
    spans = [("（延安至九寨沟高速公路甘肃段）"[s:e]) for s, e, _, _, _ in crf.predict("（延安至九寨沟高速公路甘肃段）")]
    assert spans == ["延安至九寨沟高速公路甘肃段"]
