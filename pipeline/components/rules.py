"""The rule-based recogniser: gazetteers and regular expressions kept in data files under configs/rules/.

Registered as the spaCy factory ``govner_rules`` so a config can put it in any pipeline, before or after
a trained ``ner``. Candidates that overlap are resolved as the scheme says: the longer, outer span wins.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import regex as re
import srsly
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from pipeline.errors import GovnerError
from pipeline.resources import CONFIGS
from pipeline.scheme import LABELS

DEFAULT_PATTERNS = CONFIGS / "rules" / "patterns.jsonl"


@dataclass
class RegexRule:
    """A match of ``regex`` (its ``ent`` group when it has one) is a ``label`` span; with ``after``, a span
    labelled ``after`` that the regex continues right where it ends grows into a ``label`` span."""

    label: str
    regex: re.Pattern
    group: str | int
    after: str | None = None


def load_rules(path: Path) -> tuple[dict[str, list[str]], list[RegexRule]]:
    """Read a patterns file: ``{"label", "regex"}`` lines, and ``{"label", "phrases": FILE}`` gazetteer lines."""
    phrases: dict[str, list[str]] = {}
    regexes: list[RegexRule] = []
    if not path.exists():
        raise GovnerError(f"{path}: no such patterns file")
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            label = entry["label"]
        except (json.JSONDecodeError, KeyError, TypeError):
            raise GovnerError(f"{path}:{n}: expected a JSON object with a label") from None
        if label not in LABELS:
            raise GovnerError(f"{path}:{n}: unknown label {label!r}")
        if "phrases" in entry:
            words = (path.parent / entry["phrases"]).read_text(encoding="utf-8").splitlines()
            phrases.setdefault(label, []).extend(w.strip() for w in words if w.strip() and not w.startswith("#"))
        elif "regex" in entry:
            try:
                compiled = re.compile(entry["regex"])
            except re.error as err:
                raise GovnerError(f"{path}:{n}: bad regex ({err})") from None
            group = "ent" if "ent" in compiled.groupindex else 0
            regexes.append(RegexRule(label, compiled, group, entry.get("after")))
        else:
            raise GovnerError(f"{path}:{n}: needs 'regex' or 'phrases'")
    return phrases, regexes


class RuleRecognizer:
    """Finds rule matches and writes them to ``doc.ents`` (keeping entities already there when asked)."""

    def __init__(self, nlp: Language, name: str, patterns: str, overwrite_ents: bool) -> None:
        self.name = name
        self.patterns = Path(patterns) if patterns else DEFAULT_PATTERNS
        self.overwrite_ents = overwrite_ents
        self.make_doc = nlp.make_doc
        self.vocab = nlp.vocab
        self._load()

    def _load(self) -> None:
        phrases, self.regexes = load_rules(self.patterns)
        self.matcher = PhraseMatcher(self.vocab)
        for label, words in phrases.items():
            self.matcher.add(label, [self.make_doc(w) for w in words])

    def candidates(self, doc: Doc) -> list[Span]:
        text = doc.text  # built from the tokens on every access: read it once
        found: dict[tuple[int, int, str], Span] = {}
        for match_id, start, end in self.matcher(doc):
            span = Span(doc, start, end, label=doc.vocab.strings[match_id])
            found[(span.start_char, span.end_char, span.label_)] = span
        for rule in self.regexes:
            if rule.after is None:
                for m in rule.regex.finditer(text):
                    self._add(doc, found, m.start(rule.group), m.end(rule.group), rule.label)
        for _ in range(3):  # chains grow one link at a time: 龙岩市 → 龙岩市新罗区 → 龙岩市新罗区西陂街道
            grown = False
            for rule in self.regexes:
                for span in [s for s in found.values() if rule.after == s.label_]:
                    m = rule.regex.match(text, span.end_char)
                    if m and m.end() > span.end_char:
                        grown |= self._add(doc, found, span.start_char, m.end(), rule.label)
            if not grown:
                break
        return list(found.values())

    @staticmethod
    def _add(doc: Doc, found: dict, start: int, end: int, label: str) -> bool:
        span = doc.char_span(start, end, label=label, alignment_mode="contract")
        if span is None or not len(span) or (span.start_char, span.end_char, label) in found:
            return False
        found[(span.start_char, span.end_char, label)] = span
        return True

    def __call__(self, doc: Doc) -> Doc:
        spans = self.candidates(doc)
        if self.overwrite_ents:
            doc.ents = filter_spans(spans)
        else:
            taken = {i for ent in doc.ents for i in range(ent.start, ent.end)}
            free = [s for s in filter_spans(spans) if not any(i in taken for i in range(s.start, s.end))]
            doc.ents = filter_spans([*doc.ents, *free])
        return doc

    def to_disk(self, path: Path, exclude: tuple = ()) -> None:
        """Copy the patterns file and its gazetteers into the model, so a packaged model carries its rules."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        lines = self.patterns.read_text(encoding="utf-8").splitlines()
        for line in lines:
            entry = json.loads(line) if line.strip() else {}
            if "phrases" in entry:
                (path / entry["phrases"]).write_bytes((self.patterns.parent / entry["phrases"]).read_bytes())
        (path / "patterns.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        srsly.write_json(path / "cfg", {"overwrite_ents": self.overwrite_ents})

    def from_disk(self, path: Path, exclude: tuple = ()) -> "RuleRecognizer":
        path = Path(path)
        self.patterns = path / "patterns.jsonl"
        self.overwrite_ents = srsly.read_json(path / "cfg")["overwrite_ents"]
        self._load()
        return self


@Language.factory("govner_rules", default_config={"patterns": "", "overwrite_ents": True})
def make_rules(nlp: Language, name: str, patterns: str, overwrite_ents: bool) -> RuleRecognizer:
    return RuleRecognizer(nlp, name, patterns, overwrite_ents)
