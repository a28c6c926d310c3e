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
import math
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
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.util import filter_spans

from pipeline.components.features import char_words
from pipeline.errors import GovnerError, ModelError
from pipeline.resources import resource
from pipeline.scheme import trim_span


def gazetteer_positions(text: str, names: frozenset[str], lengths: dict[str, tuple[int, ...]]) -> list[str]:
    """B/I/E/S of the longest gazetteer name covering each character ("" outside every name); ``lengths``:
    the lengths of the names that start with each character (``name_lengths(names, at=0)``)."""
    positions = [""] * len(text)
    i = 0
    while i < len(text):
        n = next((n for n in lengths.get(text[i], ()) if text[i : i + n] in names), 0)
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
    classes of characters and words, and head words (the words that end names of a kind, and the titles that
    follow a body's name but are not part of it) with their kind."""

    places: frozenset[str] = frozenset()
    classes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    heads: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.place_lengths = name_lengths(self.places, at=0)  # once, not for every text tagged
        self.head_lengths = name_lengths(self.heads, at=-1)


def head_positions(text: str, heads: dict[str, str], lengths: dict[str, tuple[int, ...]]) -> list[str]:
    """The kind of the longest head word that ends at each character ("" where none does); ``lengths``: the
    lengths of the head words that end with each character (``name_lengths(heads, at=-1)``)."""
    out = [""] * len(text)
    for i, ch in enumerate(text):
        for n in lengths.get(ch, ()):
            if n <= i + 1 and text[i + 1 - n : i + 1] in heads:
                out[i] = heads[text[i + 1 - n : i + 1]]
                break
    return out


def char_features(text: str, cfg: dict, lex: Lexicons | None = None) -> list[tuple[str, ...]]:
    """Features of every character, as crfsuite attributes (``name:value``, weight 1): itself, its neighbours,
    the bigrams around it, and as the config asks, its place in a jieba word (and the word's part of speech),
    in a gazetteer name, the embedding classes of the character, its neighbours and its word, the kinds of
    characters around it, the delimiters around its stretch of text (its place in an enumeration) and the
    head word ending at it.

    Built a column (one feature for every character) at a time: the same attributes as one dict per character
    would give crfsuite, at a third of the cost, which is most of what tagging costs."""
    lex = lex or Lexicons()
    window = cfg["window"]
    n = len(text)
    padded = "\x02" * window + text + "\x03" * window

    def column(name: str, values: Iterable[str]) -> list[str]:
        prefix = name + ":"
        return [prefix + value for value in values]

    def shifted(values: list[str], by: int) -> list[str]:
        """``values`` moved ``by`` places (the value of character i + by at i), "" past either edge."""
        return values[by:] + [""] * by if by > 0 else [""] * -by + values[:by]

    columns = [column("c", text), ["bias"] * n]
    for d in range(1, window + 1):
        columns += [column(f"c-{d}", padded[window - d : window - d + n]), column(f"c+{d}", padded[window + d : window + d + n])]
    if cfg.get("bigrams"):
        pairs = [padded[k : k + 2] for k in range(len(padded) - 1)]
        columns += [column("b-", pairs[window - 1 : window - 1 + n]), column("b+", pairs[window : window + n])]
        far = window >= 2
        columns += [column("b--", pairs[window - 2 : window - 2 + n] if far else [""] * n),
                    column("b++", pairs[window + 1 : window + 1 + n] if far else [""] * n)]
    segmented = char_words(text) if cfg.get("words") else None
    if segmented:
        columns.append(column("w", (position for _, position in segmented)))
        if cfg.get("word_ids"):
            columns.append(column("wi", (word + position if len(word) > 1 else "" for word, position in segmented)))
        if cfg.get("pos"):
            tags = word_tags()
            columns.append(column("p", (tags.get(word, "x") + position for word, position in segmented)))
    if lex.places:
        places = gazetteer_positions(text, lex.places, lex.place_lengths)
        columns += [column("g", places), column("g-1", shifted(places, -1)), column("g+1", shifted(places, 1))]
    if lex.heads:
        heads = head_positions(text, lex.heads, lex.head_lengths)
        columns += [column("h", heads), column("h+1", shifted(heads, 1))]
    if cfg.get("shapes"):
        kinds = "".join(shape(ch) for ch in padded)
        columns.append(column("t", (kinds[j - 1 : j + 2] for j in range(window, window + n))))
    if cfg.get("lists"):
        columns.append(column("e", (left + right for left, right in list_context(text, segmented))))
    levels = len(next(iter(lex.classes.values()), ()))
    if levels:  # the embedding classes of the character, its neighbours and its word, one column set per level
        none = ("",) * levels
        chars = [lex.classes.get(ch, none) for ch in padded]
        words = [lex.classes[word] if len(word) > 1 and word in lex.classes else None for word, _ in segmented or ()]
        for c in range(levels):
            own = [classes[c] for classes in chars]
            columns += [column(f"k{c}", own[window : window + n]), column(f"k{c}-1", own[window - 1 : window - 1 + n]),
                        column(f"k{c}+1", own[window + 1 : window + 1 + n])]
            if segmented:
                columns.append(column(f"kw{c}", (w[c] + position if w else "" for w, (_, position) in zip(words, segmented))))
    return list(zip(*columns)) if n else []


# The model's confidence in an entity, in [0, 1] (``ent._.score``); None from a component that gives none
if not Span.has_extension("score"):
    Span.set_extension("score", default=None)


def span_confidence(marginals: list[float], after: float | None, how: str = "min") -> float:
    """An entity's score from the CRF's marginal probabilities: ``marginals`` of its own tag at each of its
    characters (B-X, then I-X …) and ``after``, that of the character after it *not* continuing it (1 − P(I-X);
    None at the end of the text). ``min``: the least sure of these decisions, an upper bound of the probability
    that the whole span is right; ``mean``; ``product``. The config's ``confidence`` picks one; BENCHMARKS.md has the
    calibration of each (``benchmarks/calibration.py``)."""
    values = [*marginals, *([] if after is None else [after])]
    if how == "min":
        return min(values)
    if how == "mean":
        return sum(values) / len(values)
    if how == "product":
        product = 1.0
        for value in values:
            product *= value
        return product
    raise ValueError(f"unknown confidence {how!r}")


# characters that end a sentence, which no entity of the scheme contains; a span the CRF runs across one is cut there
SENTENCE_ENDS = frozenset("。！？；")


def sentence_pieces(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """``spans`` cut at every sentence end inside them, the sentence end itself left out (looked for only inside the
    spans, not over the whole text)."""
    pieces = []
    for start, end, label in spans:
        for i in range(start, end):
            if text[i] in SENTENCE_ENDS:
                pieces.append((start, i, label))
                start = i + 1
        pieces.append((start, end, label))
    return [(start, end, label) for start, end, label in pieces if start < end]


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


def name_lengths(names: Iterable[str], at: int) -> dict[str, tuple[int, ...]]:
    """For each character, the lengths of the names that start (``at=0``) or end (``at=-1``) with it, longest
    first: the only substrings worth looking up there."""
    lengths: dict[str, set[int]] = {}
    for name in names:
        if name:
            lengths.setdefault(name[at], set()).add(len(name))
    return {ch: tuple(sorted(ns, reverse=True)) for ch, ns in lengths.items()}


def read_names(path: Path) -> frozenset[str]:
    """One name a line; lines starting with # are comments."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def read_classes(path: Path) -> dict[str, tuple[str, ...]]:
    """Token → its classes, one ``token<TAB>class[<TAB>class…]`` a line (one column per clustering, coarse
    to fine); lines starting with # are comments."""
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").split("\n") if "\t" in line and not line.startswith("#")]
    return {row[0]: tuple(row[1:]) for row in rows}


def read_heads(path: Path) -> dict[str, str]:
    """Head word → its kind (a label, or TITLE), one ``word<TAB>kind`` a line, in the format of ``read_classes``."""
    return {word: kinds[0] for word, kinds in read_classes(path).items()}


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

    gives_scores = True  # every entity gets ``ent._.score``

    def __init__(self, name: str, cfg: dict) -> None:
        """``cfg``: window, bigrams, words, pos, shapes, lists (the features), c1, c2, max_iterations
        (crfsuite's training) and confidence (how ``span_confidence`` scores an entity)."""
        self.name = name
        self.cfg = cfg
        self.lex = Lexicons()
        self.model_bytes = b""
        self.tagger: pycrfsuite.Tagger | None = None
        self.labels: tuple[str, ...] = ()

    def features(self, text: str) -> list[tuple[str, ...]]:
        return char_features(text, self.cfg, self.lex)

    def __call__(self, doc: Doc) -> Doc:
        if self.tagger is None:
            raise ValueError(f"{self.name}: the CRF is not trained; run `govner train` with a config that includes it")
        spans = []
        for start, end, label, marginals, after in self.predict(doc.text):
            span = doc.char_span(start, end, label=label, alignment_mode="contract")
            if span is not None and len(span):
                span._.score = span_confidence(marginals, after, self.cfg.get("confidence", "min"))
                spans.append(span)
        doc.ents = filter_spans(spans)
        return doc

    def predict(self, text: str) -> list[tuple[int, int, str, list[float], float | None]]:
        """The spans the CRF finds in ``text``, each with the marginals ``span_confidence`` reads: of its own tag
        at each of its characters, and of the next character not continuing it (None at the end of the text)."""
        tagger = self.tagger
        tags = tagger.tag(self.features(text))
        found = []
        for start, end, label in sentence_pieces(text, bio_spans(tags)):
            start, end = trim_span(text, start, end)
            if start == end:
                continue
            marginals = [tagger.marginal(tags[i], i) for i in range(start, end)]
            inside = f"I-{label}"
            after = (1.0 - tagger.marginal(inside, end) if inside in self.labels else 1.0) if end < len(text) else None
            found.append((start, end, label, marginals, after))
        return found

    def entropies(self, text: str) -> list[float]:
        """The entropy (in nats) of the CRF's marginal distribution over the tags at each character of ``text``:
        0 where the model is sure, up to log(number of tags) where it cannot choose."""
        tagger = self.tagger
        tagger.set(self.features(text))
        out = []
        for i in range(len(text)):
            probabilities = [tagger.marginal(label, i) for label in self.labels]
            out.append(-sum(p * math.log(p) for p in probabilities if p > 0))
        return out

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
            heads=read_heads(find_file(heads, "head words")) if heads else {},
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
        self.labels = tuple(sorted(self.tagger.labels()))  # sorted: meta.json lists them the same way every time

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
            heads=read_heads(heads) if heads.exists() else {},
        )
        self._load(model)
        return self


@Language.factory(
    "govner_crf",
    default_config={
        "window": 2, "bigrams": True, "words": False, "pos": False, "shapes": False, "lists": False, "word_ids": False,
        "c1": 0.05, "c2": 0.05, "max_iterations": 150, "confidence": "min",
    },
    default_score_weights={"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0, "ents_per_type": None},
)
def make_crf(
    nlp: Language, name: str, window: int, bigrams: bool, words: bool, pos: bool, shapes: bool, lists: bool, word_ids: bool,
    c1: float, c2: float, max_iterations: int, confidence: str,
) -> CharCRF:
    cfg = {"window": window, "bigrams": bigrams, "words": words, "pos": pos, "shapes": shapes, "lists": lists, "word_ids": word_ids,
           "c1": c1, "c2": c2, "max_iterations": max_iterations, "confidence": confidence}
    return CharCRF(name, cfg)
