"""Context features for character tokens, written into token attributes that the tok2vec embeds.

The model reads one token per character, so no entity boundary is ever lost to a word segmenter; but a
character alone says little, and a CNN sees only a few neighbours. Two components add what Chinese NER
models usually get from bigram and word embeddings, at the cost of a dictionary look-up per character:

- ``govner_ngrams``: the bigram starting at the character (``lemma_``) and the one ending at it (``tag_``);
  configs embed them with ``attrs = ["NORM", "LEMMA", "TAG"]``.
- ``govner_words``: the jieba word the character belongs to (``lemma_``) and its position in it, B/I/E/S
  (``tag_``): the lattice idea at spaCy's cost.

Both must be listed in ``[training] annotating_components`` so that training sees the same features.
"""

import rjieba
from spacy.language import Language
from spacy.tokens import Doc


class CharNgrams:
    """Sets ``lemma_`` to the bigram that starts at each character and ``tag_`` to the one that ends there."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        chars = [t.text for t in doc]
        for i, token in enumerate(doc):
            token.lemma_ = chars[i] + (chars[i + 1] if i + 1 < len(chars) else "</s>")
            token.tag_ = (chars[i - 1] if i else "<s>") + chars[i]
        return doc


def char_words(text: str) -> list[tuple[str, str]]:
    """For each character: the jieba word it belongs to and its position in that word (B/I/E/S).

    jieba's segmentation (its dictionary, no HMM for unknown words) as rjieba computes it: jieba-rs, the Rust
    port, cuts every paragraph of the corpus exactly as jieba does, 18 times faster."""
    out = []
    for word in rjieba.cut(text, hmm=False):
        n = len(word)
        out.extend((word, "S" if n == 1 else "B" if i == 0 else "E" if i == n - 1 else "I") for i in range(n))
    return out


class WordFeatures:
    """Sets ``lemma_`` (the jieba word) and ``tag_`` (B/I/E/S) on every character token."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        words = char_words(doc.text)
        for token in doc:
            token.lemma_, token.tag_ = words[token.idx]
        return doc


@Language.factory("govner_ngrams")
def make_char_ngrams(nlp: Language, name: str) -> CharNgrams:
    return CharNgrams(name)


@Language.factory("govner_words")
def make_word_features(nlp: Language, name: str) -> WordFeatures:
    return WordFeatures(name)
