"""Stage 5: precision, recall and F1 of a model, micro and per label.

Two kinds of gold data. A DocBin from ``govner convert`` (the in-house splits) is scored by spaCy's own scorer
on the cleaned text the model trained on. Doccano JSONL (``label`` or ``entities``), or ``gold.jsonl`` with
``spans`` dicts as in ``shared/dev-real``, is scored the way a user meets the model: each raw text goes through
``govner tag``'s tagger (cleaning, chunks, offsets mapped back) and its entities are matched against the gold
spans exactly and by overlap (``agreement.prediction_scores``).
"""

from __future__ import annotations

from pathlib import Path

import spacy
from spacy.training import Example

from pipeline.annotation.agreement import prediction_scores
from pipeline.components import crf, features, rules  # noqa: F401  (register the factories that configs name)
from pipeline.errors import GovnerError
from pipeline.scheme import LABELS, RecordError, Span, check_record
from pipeline.text.files import jsonl_files, read_jsonl
from pipeline.training.docbins import docbin_files, read_docs


def gold_records(data: Path) -> list[tuple[str, str, list[Span]]]:
    """``(where, text, spans)`` of every record of a JSONL file or folder (a folder holding ``doccano.jsonl``,
    like ``shared/dev-real``, is read as that file); a span that breaks the scheme is an error, never skipped."""
    if data.is_dir() and (data / "doccano.jsonl").is_file():
        data = data / "doccano.jsonl"
    records = []
    for file in jsonl_files([data]):
        for line, record in read_jsonl(file):
            where = f"{file}:{line}"
            if "spans" in record and "label" not in record and "entities" not in record:
                record = {"text": record.get("text"), "label": [[s["start"], s["end"], s["label"]] for s in record["spans"]]}
            try:
                spans, _, problems = check_record(record, where)
            except RecordError as err:
                raise GovnerError(str(err)) from None
            if problems:
                raise GovnerError(problems[0], details=problems[1:])
            records.append((where, record["text"], [tuple(s) for s in spans]))
    return records


def evaluate_records(model: Path, data: Path) -> dict:
    """Scores of the tagger on raw gold texts: exact and overlap, micro and per label."""
    from pipeline.tagging.tag import Tagger  # the tagger, as `govner tag` runs it

    records = gold_records(data)
    tagger = Tagger.load(model)
    found = tagger.pipe(text for _, text, _ in records)
    pairs = [(gold, [(e["start"], e["end"], e["label"]) for e in entities]) for (_, _, gold), entities in zip(records, found)]
    return {"model": str(model), "data": str(data), "paragraphs": len(records), **prediction_scores(pairs)}


def evaluate(model: Path, data: Path) -> dict:
    """Scores as a plain dict: ``micro`` and ``per_label`` with ``p``, ``r``, ``f`` and the support (and
    ``overlap`` scores for JSONL gold data)."""
    if data.suffix != ".spacy" and (data.is_dir() or data.suffix == ".jsonl"):
        return evaluate_records(model, data)
    docbin_files(data)  # a DocBin file, or a folder of shards
    try:
        nlp = spacy.load(model)
    except OSError as err:
        raise GovnerError(f"{model}: cannot load model ({err})") from None
    docs = list(read_docs(data, nlp.vocab))
    if not docs:
        raise GovnerError(f"{data}: no documents")
    examples = [Example(nlp.make_doc(doc.text), doc) for doc in docs]
    scores = nlp.evaluate(examples)
    support = {label: 0 for label in LABELS}
    for doc in docs:
        for ent in doc.ents:
            support[ent.label_] = support.get(ent.label_, 0) + 1
    per_type = scores.get("ents_per_type") or {}
    return {
        "model": str(model),
        "data": str(data),
        "paragraphs": len(docs),
        "micro": {**{k: scores[f"ents_{k}"] or 0.0 for k in "prf"}, "support": sum(support.values())},
        "per_label": {
            label: {**{k: per_type.get(label, {}).get(k, 0.0) for k in ("p", "r", "f")}, "support": support.get(label, 0)}
            for label in sorted(set(support) | set(per_type), key=lambda x: (x not in LABELS, LABELS.index(x) if x in LABELS else 0, x))
        },
        "chars_per_second": scores.get("speed", 0.0),
    }


def score_table(scores: dict) -> list[tuple]:
    """Rows of the per-label table, micro average last."""
    def row(label: str, s: dict) -> tuple:
        overlap = (f"{s['overlap']['f'] * 100:.1f}",) if "overlap" in s else ()
        return (label, *(f"{s[k] * 100:.1f}" for k in "prf"), *overlap, s["support"])

    return [*(row(label, s) for label, s in scores["per_label"].items()), row("MICRO", scores["micro"])]


def score_header(scores: dict) -> tuple[str, ...]:
    return ("label", "P", "R", "F", *(("overlap F",) if "overlap" in scores["micro"] else ()), "gold")
