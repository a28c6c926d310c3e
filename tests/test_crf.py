from pathlib import Path

import spacy
from spacy.training import Example

from pipeline.convert import blank_nlp, record_to_doc
from pipeline.crf import bio_spans, bio_tags, char_features, gazetteer_positions

from .mini_corpus import records


def test_bio_round_trip():
    doc, _ = record_to_doc(blank_nlp(), records()[0], "x")
    assert bio_spans(bio_tags(doc)) == [(e.start_char, e.end_char, e.label_) for e in doc.ents]
    assert bio_spans(["I-GPE", "I-GPE", "O", "B-ORG", "B-ORG"]) == [(0, 2, "GPE"), (3, 4, "ORG"), (4, 5, "ORG")]


def test_features_see_neighbours_and_gazetteer():
    names = frozenset({"晋江市", "晋江"})
    assert gazetteer_positions("在晋江市投资", names, (3, 2)) == ["", "B", "I", "E", "", ""]
    f = char_features("在晋江市投资", 2, True, False, names)[2]
    assert (f["c"], f["c-1"], f["c+2"], f["b+"], f["g"], f["g-1"]) == ("江", "晋", "投", "江市", "I", "B")


def test_trains_saves_and_loads(tmp_path: Path):
    nlp = blank_nlp()
    nlp.add_pipe("govner_crf", config={"gazetteer": "configs/rules/places.txt", "max_iterations": 50})
    docs = [record_to_doc(nlp, r, "x")[0] for r in records()]
    nlp.initialize(lambda: [Example(nlp.make_doc(d.text), d) for d in docs])
    nlp.to_disk(tmp_path / "m")
    loaded = spacy.load(tmp_path / "m")
    assert "晋江" in loaded.get_pipe("govner_crf").names
    found = {(e.text, e.label_) for e in loaded(records()[0]["text"]).ents}
    assert ("晋江市", "GPE") in found and ("全省第二", "RANKING") in found
