"""Stage 2: suggest entities before a person annotates: rules by default, a trained model with --model."""

from __future__ import annotations

from pathlib import Path

from spacy.language import Language

from pipeline.components.rules import DEFAULT_PATTERNS
from pipeline.components.tokens import blank_nlp
from pipeline.errors import GovnerError
from pipeline.scheme import RecordError, check_record, reserved_key_problems, spans_of
from pipeline.tagging.tag import Tagger
from pipeline.text.files import read_jsonl, write_jsonl


def rules_nlp(patterns: Path = DEFAULT_PATTERNS) -> Language:
    """A pipeline with the rule recogniser only."""
    nlp = blank_nlp()
    nlp.add_pipe("govner_rules", config={"patterns": str(patterns)})
    return nlp


def suggester(model: Path | None, patterns: Path = DEFAULT_PATTERNS) -> Tagger:
    """The model's tagger when a model is given, else the rules'."""
    return Tagger.load(model) if model else Tagger(rules_nlp(patterns))


def suggest(records: list[dict], tagger: Tagger, annotated_too: bool = False) -> list[dict]:
    """Records with suggestions added. Spans already there (a person's) are always kept as they are; a record
    that has any gets no suggestions unless ``annotated_too``, and then only ones that overlap none of them."""
    out = []
    for record, found in zip(records, tagger.pipe(r["text"] for r in records)):
        kept = [list(s) for s in spans_of(record)]
        taken = [(s, e) for s, e, _ in kept]
        for ent in found if annotated_too or not kept else ():
            if all(ent["end"] <= s or ent["start"] >= e for s, e in taken):
                kept.append([ent["start"], ent["end"], ent["label"]])
        record = {k: v for k, v in record.items() if k != "entities"}
        out.append({**record, "label": sorted(kept)})
    return out


def pre_annotate(
    input_path: Path, output: Path, model: Path | None = None, patterns: Path = DEFAULT_PATTERNS, annotated_too: bool = False
) -> dict:
    """Read paragraph JSONL, add suggestions, write Doccano JSONL; returns counts."""
    records = []
    for line, record in read_jsonl(input_path):
        try:
            _, _, problems = check_record(record, f"{input_path}:{line}")
        except RecordError as err:
            raise GovnerError(str(err)) from None
        problems += reserved_key_problems(record, f"{input_path}:{line}")
        if problems:
            raise GovnerError(problems[0], details=problems[1:])
        records.append(record)
    tagger = suggester(model, patterns)
    annotated = suggest(records, tagger, annotated_too)
    write_jsonl(output, annotated)
    return {"paragraphs": len(annotated), "entities": sum(len(r["label"]) for r in annotated), "output": str(output)}
