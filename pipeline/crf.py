"""A linear-chain CRF over characters, as the spaCy pipeline component ``govner_crf``.

On a few hundred annotated paragraphs a CRF on character n-gram features beats spaCy's neural NER by a wide
margin here (BENCHMARKS.md), trains in seconds and tags faster. It is still an ordinary spaCy component: a
config file picks it and sets its features, ``spacy train`` trains it (all at once, in ``initialize``, where
spaCy hands it every training example; the update steps after that leave it as it is and only evaluate),
and ``spacy.load`` brings it back with the model's own ``crf.model`` file.
"""

import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import pycrfsuite
import srsly
from spacy.language import Language
from spacy.scorer import get_ner_prf
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import filter_spans

from ._util import PACKAGE_ROOT, GovnerError
from .features import char_words


def gazetteer_positions(text: str, names: frozenset[str], lengths: tuple[int, ...]) -> list[str]:
    """B/I/E/S of the longest gazetteer name covering each character ("" outside every name)."""
    positions = [""] * len(text)
    i = 0
    while i < len(text):
        n = next((n for n in lengths if text[i : i + n] in names), 0)
        if n:
            positions[i : i + n] = ["S"] if n == 1 else ["B", *["I"] * (n - 2), "E"]
            i += n
        else:
            i += 1
    return positions


def char_features(
    text: str,
    window: int,
    bigrams: bool,
    words: bool,
    gazetteer: frozenset[str] = frozenset(),
    lengths: tuple[int, ...] = (),
    classes: dict[str, tuple[str, ...]] | None = None,
) -> list[dict[str, str | float]]:
    """Features of every character: itself, its neighbours, the bigrams around it, its place in a jieba word
    and in a gazetteer name, and the embedding classes of the character, its neighbours and its word."""
    n = len(text)
    padded = "\x02" * window + text + "\x03" * window
    segmented = char_words(text) if words else None
    positions = [position for _, position in segmented] if segmented else None
    classes = classes or {}
    levels = len(next(iter(classes.values()), ()))
    none = ("",) * levels
    places = gazetteer_positions(text, gazetteer, lengths or name_lengths(gazetteer)) if gazetteer else None
    feats = []
    for i in range(n):
        j = i + window
        f: dict[str, str | float] = {"c": text[i], "bias": 1.0}
        for d in range(1, window + 1):
            f[f"c-{d}"] = padded[j - d]
            f[f"c+{d}"] = padded[j + d]
        if bigrams:
            f["b-"] = padded[j - 1 : j + 1]
            f["b+"] = padded[j : j + 2]
            f["b--"] = padded[j - 2 : j] if window >= 2 else ""
            f["b++"] = padded[j + 1 : j + 3] if window >= 2 else ""
        if positions is not None:
            f["w"] = positions[i]
        if places is not None:
            f["g"] = places[i]
            f["g-1"] = places[i - 1] if i else ""
            f["g+1"] = places[i + 1] if i + 1 < n else ""
        for c in range(levels):
            f[f"k{c}"] = classes.get(text[i], none)[c]
            f[f"k{c}-1"] = classes.get(padded[j - 1], none)[c]
            f[f"k{c}+1"] = classes.get(padded[j + 1], none)[c]
            if segmented:
                word, position = segmented[i]
                f[f"kw{c}"] = classes[word][c] + position if len(word) > 1 and word in classes else ""
        feats.append(f)
    return feats


def bio_tags(doc: Doc) -> list[str]:
    """B-/I-/O per character of ``doc.text`` from ``doc.ents``."""
    tags = ["O"] * len(doc.text)
    for ent in doc.ents:
        tags[ent.start_char] = f"B-{ent.label_}"
        for i in range(ent.start_char + 1, ent.end_char):
            tags[i] = f"I-{ent.label_}"
    return tags


def bio_spans(tags: list[str]) -> list[tuple[int, int, str]]:
    """Character spans from B-/I-/O tags; an I- without its B- starts a span, as the CRF rarely emits it."""
    spans, start, label = [], None, None
    for i, tag in enumerate([*tags, "O"]):
        if start is not None and not (tag.startswith("I-") and tag[2:] == label):
            spans.append((start, i, label))
            start = None
        if start is None and tag != "O":
            start, label = i, tag[2:]
    return spans


def find_file(name: str, what: str) -> Path:
    """A path as given, or relative to the project root (so configs work from any folder)."""
    path = Path(name)
    if not path.exists() and (PACKAGE_ROOT / path).exists():
        path = PACKAGE_ROOT / path
    if not path.exists():
        raise GovnerError(f"{name}: no such {what} file")
    return path


def name_lengths(names: frozenset[str]) -> tuple[int, ...]:
    """The lengths the names come in, longest first: the only substrings worth looking up."""
    return tuple(sorted({len(name) for name in names}, reverse=True))


def read_names(path: Path) -> frozenset[str]:
    """One name a line; lines starting with # are comments."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def read_classes(path: Path) -> dict[str, tuple[str, ...]]:
    """Token → its classes, one ``token<TAB>class[<TAB>class…]`` a line (one column per clustering, coarse
    to fine); lines starting with # are comments."""
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").split("\n") if "\t" in line and not line.startswith("#")]
    return {row[0]: tuple(row[1:]) for row in rows}


class CharCRF:
    """Predicts ``doc.ents`` with a CRF over the characters of ``doc.text`` (any tokenizer)."""

    def __init__(self, name: str, cfg: dict, gazetteer: str, clusters: str) -> None:
        """``cfg``: window, bigrams and words (the features) and c1, c2, max_iterations (crfsuite's training);
        ``gazetteer`` and ``clusters``: files, read now and saved into the model."""
        self.name = name
        self.cfg = cfg
        self.names = read_names(find_file(gazetteer, "gazetteer")) if gazetteer else frozenset()
        self.lengths = name_lengths(self.names)  # once, not for every text tagged
        self.classes = read_classes(find_file(clusters, "clusters")) if clusters else {}
        self.model_bytes = b""
        self.tagger: pycrfsuite.Tagger | None = None

    def features(self, text: str) -> list[dict]:
        cfg = self.cfg
        return char_features(text, cfg["window"], cfg["bigrams"], cfg["words"], self.names, self.lengths, self.classes)

    def __call__(self, doc: Doc) -> Doc:
        if self.tagger is None:
            raise ValueError(f"{self.name}: the CRF is not trained; run `govner train` with a config that includes it")
        text = doc.text
        tags = self.tagger.tag(self.features(text))
        spans = [doc.char_span(s, e, label=label, alignment_mode="contract") for s, e, label in bio_spans(tags)]
        doc.ents = filter_spans([s for s in spans if s is not None and len(s)])
        return doc

    def initialize(self, get_examples: Callable[[], Iterable[Example]], *, nlp: Language | None = None) -> None:
        """Fit the CRF on every training example spaCy provides."""
        trainer = pycrfsuite.Trainer(verbose=False)
        for example in get_examples():
            trainer.append(self.features(example.reference.text), bio_tags(example.reference))
        trainer.set_params({k: self.cfg[k] for k in ("c1", "c2", "max_iterations")} | {"feature.possible_transitions": True})
        with tempfile.TemporaryDirectory() as tmp:  # crfsuite's trainer writes only to a file
            trainer.train(str(Path(tmp) / "crf.model"))
            self._load((Path(tmp) / "crf.model").read_bytes())

    def update(self, examples: Iterable[Example], *, drop: float = 0.0, sgd=None, losses: dict | None = None) -> dict:
        """Nothing to learn step by step: the CRF was fitted whole in ``initialize``."""
        losses = {} if losses is None else losses
        losses.setdefault(self.name, 0.0)
        return losses

    def score(self, examples: Iterable[Example], **kwargs) -> dict:
        return get_ner_prf(examples)

    def _load(self, model: bytes) -> None:
        self.model_bytes = model
        self.tagger = pycrfsuite.Tagger()
        self.tagger.open_inmemory(model)

    def to_disk(self, path: Path, exclude: tuple = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / "crf.model").write_bytes(self.model_bytes)
        (path / "gazetteer.txt").write_text("\n".join(sorted(self.names)) + "\n", encoding="utf-8")
        if self.classes:
            rows = ("\t".join((token, *classes)) + "\n" for token, classes in self.classes.items())
            (path / "clusters.tsv").write_text("".join(rows), encoding="utf-8")
        srsly.write_json(path / "cfg", self.cfg)

    def from_disk(self, path: Path, exclude: tuple = ()) -> "CharCRF":
        path = Path(path)
        self.cfg = srsly.read_json(path / "cfg")
        self.names = read_names(path / "gazetteer.txt")
        self.lengths = name_lengths(self.names)
        self.classes = read_classes(path / "clusters.tsv") if (path / "clusters.tsv").exists() else {}
        self._load((path / "crf.model").read_bytes())
        return self


@Language.factory(
    "govner_crf",
    default_config={
        "window": 2, "bigrams": True, "words": False, "gazetteer": "", "clusters": "", "c1": 0.05, "c2": 0.05, "max_iterations": 150
    },
    default_score_weights={"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0, "ents_per_type": None},
)
def make_crf(
    nlp: Language,
    name: str,
    window: int,
    bigrams: bool,
    words: bool,
    gazetteer: str,
    clusters: str,
    c1: float,
    c2: float,
    max_iterations: int,
) -> CharCRF:
    cfg = {"window": window, "bigrams": bigrams, "words": words, "c1": c1, "c2": c2, "max_iterations": max_iterations}
    return CharCRF(name, cfg, gazetteer, clusters)
