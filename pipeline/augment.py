"""Training-data augmentation: copies of each paragraph with its names swapped for other names of the label.

A model trained on a few hundred paragraphs learns the names it saw as much as the contexts that make them
entities, and real reports are full of names the corpus never shows. Swapping an entity for another one of
the same label (晋江市 → 龙岩市新罗区, 恒安集团 → 福耀玻璃工业集团股份有限公司) keeps the context and changes
the name, so the model has to read the context. A config turns it on for the training corpus:

    [corpora.train.augmenter]
    @augmenters = "govner.entity_swap.v1"
    source = ${paths.train}
    copies = 1
    share = 0.5
    seed = ${system.seed}

``source``: the DocBin whose entities are the names to draw from (the training split, never dev or test).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, DocBin
from spacy.training import Example
from spacy.util import registry
from spacy.vocab import Vocab

from ._util import require_file


def name_pool(docs: list[Doc]) -> dict[str, list[str]]:
    """Label → its distinct entity texts, in a fixed order (so that a seed always draws the same names)."""
    pool: dict[str, set[str]] = {}
    for doc in docs:
        for ent in doc.ents:
            pool.setdefault(ent.label_, set()).add(ent.text)
    return {label: sorted(names) for label, names in pool.items()}


def swap_entities(
    text: str, spans: list[tuple[int, int, str]], pool: dict[str, list[str]], share: float, rng: random.Random
) -> tuple[str, list[tuple[int, int, str]]]:
    """The text with about ``share`` of its entities replaced by other names of their label, and the new spans."""
    pieces, new_spans, at, shift = [], [], 0, 0
    for start, end, label in sorted(spans):
        name = text[start:end]
        if rng.random() < share and pool.get(label):
            name = rng.choice(pool[label])
        pieces.append(text[at:start] + name)
        new_spans.append((start + shift, start + shift + len(name), label))
        shift += len(name) - (end - start)
        at = end
    return "".join(pieces) + text[at:], new_spans


@registry.augmenters("govner.entity_swap.v1")
def create_entity_swap(source: str, copies: int, share: float, seed: int) -> Callable[[Language, Example], Iterator[Example]]:
    docs = list(DocBin().from_disk(require_file(Path(source))).get_docs(Vocab()))  # only the names are needed
    pool = name_pool(docs)
    rng = random.Random(seed)

    def augment(nlp: Language, example: Example) -> Iterator[Example]:
        yield example
        reference = example.reference
        spans = [(e.start_char, e.end_char, e.label_) for e in reference.ents]
        for _ in range(copies if spans else 0):
            text, new_spans = swap_entities(reference.text, spans, pool, share, rng)
            predicted = nlp.make_doc(text)
            gold = predicted.copy()
            ents = [gold.char_span(s, e, label=label) for s, e, label in new_spans]
            if all(ents):  # a segmenter may cut inside a swapped name: that copy is not made (the original stays)
                gold.ents = ents
                yield Example(predicted, gold)

    return augment
