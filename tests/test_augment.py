import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from spacy.tokens import DocBin
from spacy.training import Corpus

from pipeline.components.augment import (
    HALF,
    create_chain,
    create_entity_swap,
    create_extraction_noise,
    name_pool,
    noisy_copy,
    swap_entities,
)
from pipeline.components.tokens import blank_nlp
from pipeline.errors import GovnerError
from pipeline.scheme import LABELS
from pipeline.text.clean import clean
from pipeline.training.convert import record_to_doc

from .mini_corpus import records

# undoes the substitutions noise may make inside a name: half-width punctuation, full-width digits
WIDTH = str.maketrans({**{half: full for full, half in HALF.items()}, **{chr(ord(d) + 0xFEE0): d for d in "0123456789"}})


def mini_docs():
    nlp = blank_nlp()
    return nlp, [record_to_doc(nlp, r, "x")[0] for r in records()]


def test_pool_holds_each_name_once_per_label():
    _, docs = mini_docs()
    pool = name_pool(docs)
    assert pool["GPE"].count("三明市") == 1 and "三明市" not in pool["ORG"]
    assert pool["ENTERPRISE"] == sorted(pool["ENTERPRISE"])


@given(share=st.floats(0, 1), seed=st.integers(0, 2**16))
def test_swapped_spans_point_at_names_of_their_label(share: float, seed: int):
    _, docs = mini_docs()
    pool = name_pool(docs)
    for doc in docs:
        spans = [(e.start_char, e.end_char, e.label_) for e in doc.ents]
        text, new = swap_entities(doc.text, spans, pool, share, random.Random(seed))
        assert [label for *_, label in new] == [label for *_, label in spans]
        for (s, e, label), (old_s, old_e, _) in zip(new, spans):
            assert text[s:e] in pool[label] or text[s:e] == doc.text[old_s:old_e]
        # the text between the entities is untouched
        gaps = lambda t, sp: [t[a:b] for a, b in zip([0] + [e for _, e, _ in sp], [s for s, _, _ in sp] + [len(t)])]  # noqa: E731
        assert gaps(text, new) == gaps(doc.text, spans)


def test_share_zero_changes_nothing_and_share_one_draws_every_name():
    _, docs = mini_docs()
    doc = docs[1]
    spans = [(e.start_char, e.end_char, e.label_) for e in doc.ents]
    assert swap_entities(doc.text, spans, name_pool(docs), 0.0, random.Random(0)) == (doc.text, spans)
    only = {label: [f"新{label}"] for label in LABELS}
    text, new = swap_entities(doc.text, spans, only, 1.0, random.Random(0))
    assert [text[s:e] for s, e, _ in new] == [f"新{label}" for *_, label in spans]


def test_training_corpus_yields_the_paragraph_and_a_swapped_copy(tmp_path: Path):
    nlp, docs = mini_docs()
    db = DocBin(docs=docs)
    db.to_disk(tmp_path / "train.spacy")
    augment = create_entity_swap(str(tmp_path / "train.spacy"), copies=1, share=1.0, seed=0)
    examples = list(Corpus(tmp_path / "train.spacy", augmenter=augment)(nlp))
    assert len(examples) == 2 * len(docs)
    for original, copy in zip(examples[::2], examples[1::2]):
        assert original.reference.text in {d.text for d in docs}
        assert copy.reference.text != original.reference.text
        assert [e.label_ for e in copy.reference.ents] == [e.label_ for e in original.reference.ents]
        assert copy.predicted.text == copy.reference.text and not copy.predicted.ents


def test_gazetteer_places_join_the_gpe_names_drawn_from(tmp_path: Path):
    nlp, docs = mini_docs()
    DocBin(docs=docs).to_disk(tmp_path / "train.spacy")
    (tmp_path / "places.txt").write_text("# two places the corpus never names\n龙港\n龙港市\n", encoding="utf-8")
    augment = create_entity_swap(str(tmp_path / "train.spacy"), copies=1, share=1.0, seed=0, places=str(tmp_path / "places.txt"))
    corpus_places = {e.text for d in docs for e in d.ents if e.label_ == "GPE"}
    drawn, elsewhere = set(), set()
    for _ in range(40):  # every GPE is swapped (share 1.0): over many copies both gazetteer places come up
        for example in Corpus(tmp_path / "train.spacy", augmenter=augment)(nlp):
            drawn |= {e.text for e in example.reference.ents if e.label_ == "GPE"}
            elsewhere |= {e.text for e in example.reference.ents if e.label_ != "GPE"}
    assert {"龙港", "龙港市"} <= drawn and drawn <= corpus_places | {"龙港", "龙港市"}
    assert not elsewhere & {"龙港", "龙港市"}  # the places stand only for places


def test_a_missing_name_source_is_named(tmp_path: Path):
    with pytest.raises(GovnerError, match=r"nowhere\.spacy: no such file$"):
        create_entity_swap(str(tmp_path / "nowhere.spacy"), copies=1, share=0.5, seed=0)


@given(seed=st.integers(0, 2**16))
def test_noisy_copies_keep_every_name_on_its_characters(seed: int):
    _, docs = mini_docs()
    rng = random.Random(seed)
    for doc in docs:
        spans = [(e.start_char, e.end_char, e.label_) for e in doc.ents]
        noisy, new = noisy_copy(doc.text, spans, rng)
        assert [label for *_, label in new] == [label for *_, label in spans]
        for (s, e, _), (old_s, old_e, _) in zip(new, spans):
            # the name, with at most line breaks and spaces put inside it (and punctuation/digit width changed)
            squeezed = "".join(ch for ch in noisy[s:e] if not ch.isspace())
            assert squeezed.translate(WIDTH) == doc.text[old_s:old_e].translate(WIDTH)
            assert not noisy[s].isspace() and not noisy[e - 1].isspace()
        # cleaning undoes the noise far enough that the names come back whole
        cleaned = clean(noisy)
        assert all(cleaned.text[slice(*cleaned.from_original(s, e))].replace(" ", "") for s, e, _ in new)


def test_noise_copies_go_through_the_cleaner(tmp_path: Path):
    nlp, docs = mini_docs()
    DocBin(docs=docs).to_disk(tmp_path / "train.spacy")
    augment = create_chain(
        first=create_entity_swap(str(tmp_path / "train.spacy"), copies=1, share=1.0, seed=0),
        then=create_extraction_noise(share=1.0, seed=3),
    )
    examples = list(Corpus(tmp_path / "train.spacy", augmenter=augment)(nlp))
    assert len(examples) > 2 * len(docs)  # each paragraph, its swapped copy, and noisy copies of both
    for example in examples:
        ref = example.reference
        assert ref.text == clean(ref.text).text  # what the model trains on is already clean text
        assert all(not e.text[0].isspace() and not e.text[-1].isspace() for e in ref.ents)
