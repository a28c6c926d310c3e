"""A linear-chain CRF over characters, as the spaCy pipeline component ``govner_crf``.

On the corpus' few thousand annotated paragraphs a CRF on character features beats spaCy's neural NER by a wide
margin, on the in-house test split and on real reports by others alike (BENCHMARKS.md), trains in minutes and
tags faster. It is still an ordinary spaCy component: a
config file picks it and sets its features, ``spacy train`` trains it (all at once, in ``initialize``, where
spaCy hands it every training example; the update steps after that leave it as it is and only evaluate),
and ``spacy.load`` brings it back with the model's own ``crf.model`` file.
"""

import hashlib
import logging
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import jieba
import pycrfsuite
import srsly
from spacy.language import Language
from spacy.scorer import get_ner_prf
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import filter_spans

from .errors import GovnerError, ModelError
from .features import char_words
from .resources import resource


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


# what ends a list item: the punctuation, and the conjunctions when jieba cuts them as words of their own
DELIMITERS = {"、": "、", "，": "，", ",": "，", "。": "。", "；": "；", ";": "；", "：": "：", ":": "：", "\n": "n",
              "（": "(", "(": "(", "）": ")", ")": ")", "“": "q", "”": "q", "《": "q", "》": "q"}
CONJUNCTIONS = {"和": "和", "及": "及", "以及": "及", "与": "与", "等": "等", "、": "、"}


def shape(ch: str) -> str:
    """The kind of a character: Han, digit, Latin, space, punctuation, other."""
    if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf":
        return "H"
    if ch.isdigit():
        return "D"
    if ch.isascii() and ch.isalpha():
        return "L"
    if ch.isspace():
        return "S"
    return "P" if unicodedata.category(ch).startswith("P") else "O"


def list_context(text: str, segmented: list[tuple[str, str]] | None) -> list[tuple[str, str]]:
    """For each character, what opens and what closes the stretch of text it stands in: a list delimiter
    (、，。；： brackets, quotes, a line end, or 和/及/与/等 as jieba words) or the text's edge. Items of an
    enumeration stand between 、 and 、, the last one between 、 and 等 or 和."""
    n = len(text)
    kinds = [""] * n
    for i, ch in enumerate(text):
        kinds[i] = DELIMITERS.get(ch, "")
    if segmented:
        i = 0
        while i < n:
            word = segmented[i][0]
            if word in CONJUNCTIONS and text[i : i + len(word)] == word:
                kinds[i : i + len(word)] = [CONJUNCTIONS[word]] * len(word)
            i += len(word)
    left, right = [""] * n, [""] * n
    last = "^"
    for i in range(n):
        left[i] = last
        if kinds[i]:
            last = kinds[i]
    last = "$"
    for i in range(n - 1, -1, -1):
        right[i] = last
        if kinds[i]:
            last = kinds[i]
    return list(zip(left, right))


@lru_cache(maxsize=1)
def word_tags() -> dict[str, str]:
    """jieba's own dictionary: word → its part of speech (ns place, nt organisation, nz other proper noun …)."""
    tags = {}
    with jieba.get_dict_file() as f:
        for line in f:
            parts = line.decode("utf-8").split()
            if len(parts) == 3:
                tags[parts[0]] = parts[2]
    return tags


@dataclass
class Lexicons:
    """The data files a CRF reads (given at ``initialize``, saved into the model): place names, embedding
    classes of characters and words, and head words (the words that end names of a kind) with their kind."""

    places: frozenset[str] = frozenset()
    classes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    heads: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.place_lengths = name_lengths(self.places)  # once, not for every text tagged
        self.head_lengths = name_lengths(frozenset(self.heads))


def head_positions(text: str, heads: dict[str, str], lengths: tuple[int, ...]) -> list[str]:
    """The kind of the longest head word that ends at each character ("" where none does)."""
    out = [""] * len(text)
    for i in range(len(text)):
        for n in lengths:
            if n <= i + 1 and text[i + 1 - n : i + 1] in heads:
                out[i] = heads[text[i + 1 - n : i + 1]]
                break
    return out


def char_features(text: str, cfg: dict, lex: Lexicons | None = None) -> list[dict[str, str | float]]:
    """Features of every character: itself, its neighbours, the bigrams around it, and as the config asks,
    its place in a jieba word (and the word's part of speech), in a gazetteer name, the embedding classes of
    the character, its neighbours and its word, the kinds of characters around it, the delimiters around its
    stretch of text (its place in an enumeration) and the head word ending at it."""
    lex = lex or Lexicons()
    window = cfg["window"]
    n = len(text)
    padded = "\x02" * window + text + "\x03" * window
    segmented = char_words(text) if cfg.get("words") else None
    tags = word_tags() if segmented and cfg.get("pos") else None
    levels = len(next(iter(lex.classes.values()), ()))
    none = ("",) * levels
    places = gazetteer_positions(text, lex.places, lex.place_lengths) if lex.places else None
    heads = head_positions(text, lex.heads, lex.head_lengths) if lex.heads else None
    shapes = "".join(shape(ch) for ch in padded) if cfg.get("shapes") else None
    lists = list_context(text, segmented) if cfg.get("lists") else None
    feats = []
    for i in range(n):
        j = i + window
        f: dict[str, str | float] = {"c": text[i], "bias": 1.0}
        for d in range(1, window + 1):
            f[f"c-{d}"] = padded[j - d]
            f[f"c+{d}"] = padded[j + d]
        if cfg.get("bigrams"):
            f["b-"] = padded[j - 1 : j + 1]
            f["b+"] = padded[j : j + 2]
            f["b--"] = padded[j - 2 : j] if window >= 2 else ""
            f["b++"] = padded[j + 1 : j + 3] if window >= 2 else ""
        if segmented:
            word, position = segmented[i]
            f["w"] = position
            if tags is not None:
                f["p"] = tags.get(word, "x") + position
        if places is not None:
            f["g"] = places[i]
            f["g-1"] = places[i - 1] if i else ""
            f["g+1"] = places[i + 1] if i + 1 < n else ""
        if heads is not None:
            f["h"] = heads[i]
            f["h+1"] = heads[i + 1] if i + 1 < n else ""
        if shapes is not None:
            f["t"] = shapes[j - 1 : j + 2]
        if lists is not None:
            f["e"] = lists[i][0] + lists[i][1]
        for c in range(levels):
            f[f"k{c}"] = lex.classes.get(text[i], none)[c]
            f[f"k{c}-1"] = lex.classes.get(padded[j - 1], none)[c]
            f[f"k{c}+1"] = lex.classes.get(padded[j + 1], none)[c]
            if segmented:
                word, position = segmented[i]
                f[f"kw{c}"] = lex.classes[word][c] + position if len(word) > 1 and word in lex.classes else ""
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
    """A path as given, or one of govner's shipped files (``configs/rules/places.txt``, from a checkout or a wheel),
    so that the shipped configs train from any folder."""
    path = Path(name)
    if not path.exists() and not path.is_absolute() and resource(*path.parts).exists():
        path = resource(*path.parts)
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


def write_classes(path: Path, classes: dict[str, tuple[str, ...]]) -> None:
    path.write_text("".join("\t".join((token, *values)) + "\n" for token, values in classes.items()), encoding="utf-8")


logger = logging.getLogger("govner")


class ProgressTrainer(pycrfsuite.Trainer):
    """crfsuite's trainer, reporting every tenth L-BFGS iteration to the ``govner`` logger instead of printing."""

    def message(self, text: str) -> None:
        if text.startswith("***** Iteration #"):
            iteration = int(text.split("#")[1].split()[0])
            if iteration % 10 == 0:
                logger.info("govner_crf: iteration %d", iteration)


class CharCRF:
    """Predicts ``doc.ents`` with a CRF over the characters of ``doc.text`` (any tokenizer).

    Like spaCy's own components, the config gives its shape (which features, crfsuite's settings), and
    ``initialize`` gives its data (the gazetteer, class and head-word files, then the training examples);
    ``to_disk`` writes all of it into the model folder and ``from_disk`` reads it back, so a saved model
    loads from any folder and needs no file outside itself.
    """

    def __init__(self, name: str, cfg: dict) -> None:
        """``cfg``: window, bigrams, words, pos, shapes, lists (the features) and c1, c2, max_iterations
        (crfsuite's training)."""
        self.name = name
        self.cfg = cfg
        self.lex = Lexicons()
        self.model_bytes = b""
        self.tagger: pycrfsuite.Tagger | None = None

    def features(self, text: str) -> list[dict]:
        return char_features(text, self.cfg, self.lex)

    def __call__(self, doc: Doc) -> Doc:
        if self.tagger is None:
            raise ValueError(f"{self.name}: the CRF is not trained; run `govner train` with a config that includes it")
        text = doc.text
        tags = self.tagger.tag(self.features(text))
        spans = [doc.char_span(s, e, label=label, alignment_mode="contract") for s, e, label in bio_spans(tags)]
        doc.ents = filter_spans([s for s in spans if s is not None and len(s)])
        return doc

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]],
        *,
        nlp: Language | None = None,
        gazetteer: str = "",
        clusters: str = "",
        heads: str = "",
    ) -> None:
        """Read the data files (paths from ``[initialize.components.<name>]``; "" for none), then fit the CRF
        on every training example spaCy provides."""
        self.lex = Lexicons(
            places=read_names(find_file(gazetteer, "gazetteer")) if gazetteer else frozenset(),
            classes=read_classes(find_file(clusters, "clusters")) if clusters else {},
            heads={word: kinds[0] for word, kinds in read_classes(find_file(heads, "head words")).items()} if heads else {},
        )
        trainer = ProgressTrainer(verbose=True)
        started = time.perf_counter()
        for n, example in enumerate(get_examples(), 1):
            trainer.append(self.features(example.reference.text), bio_tags(example.reference))
            if n % 1000 == 0:
                logger.info("%s: features of %d paragraphs (%.0f s)", self.name, n, time.perf_counter() - started)
        logger.info("%s: fitting the CRF (L-BFGS, at most %d iterations)", self.name, self.cfg["max_iterations"])
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
        (path / "gazetteer.txt").write_text("".join(name + "\n" for name in sorted(self.lex.places)), encoding="utf-8")
        write_classes(path / "clusters.tsv", self.lex.classes)
        write_classes(path / "heads.tsv", {word: (kind,) for word, kind in sorted(self.lex.heads.items())})
        srsly.write_json(path / "cfg", {**self.cfg, "crf_sha256": hashlib.sha256(self.model_bytes).hexdigest()})

    def from_disk(self, path: Path, exclude: tuple = ()) -> "CharCRF":
        path = Path(path)
        try:
            cfg = srsly.read_json(path / "cfg")
            model = (path / "crf.model").read_bytes()
        except (OSError, ValueError) as err:
            raise ModelError(f"{path}: cannot read the CRF ({err})") from None
        expected = cfg.pop("crf_sha256", None)
        if not model or (expected and hashlib.sha256(model).hexdigest() != expected):
            raise ModelError(f"{path / 'crf.model'}: damaged (its checksum differs from the one saved with it)")
        self.cfg = cfg
        heads = path / "heads.tsv"
        clusters = path / "clusters.tsv"
        self.lex = Lexicons(
            places=read_names(path / "gazetteer.txt"),
            classes=read_classes(clusters) if clusters.exists() else {},
            heads={word: kinds[0] for word, kinds in read_classes(heads).items()} if heads.exists() else {},
        )
        self._load(model)
        return self


@Language.factory(
    "govner_crf",
    default_config={
        "window": 2, "bigrams": True, "words": False, "pos": False, "shapes": False, "lists": False,
        "c1": 0.05, "c2": 0.05, "max_iterations": 150,
    },
    default_score_weights={"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0, "ents_per_type": None},
)
def make_crf(
    nlp: Language, name: str, window: int, bigrams: bool, words: bool, pos: bool, shapes: bool, lists: bool,
    c1: float, c2: float, max_iterations: int,
) -> CharCRF:
    cfg = {"window": window, "bigrams": bigrams, "words": words, "pos": pos, "shapes": shapes, "lists": lists,
           "c1": c1, "c2": c2, "max_iterations": max_iterations}
    return CharCRF(name, cfg)
