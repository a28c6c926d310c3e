"""The tokenizer every stage shares: one token per character, as the corpus' DocBins, the rules and the default
model use it, so that no entity boundary ever falls inside a token."""

import spacy
from spacy.language import Language


def blank_nlp() -> Language:
    """An empty Chinese pipeline with the character tokenizer."""
    return spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "char"}}})
