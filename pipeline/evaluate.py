"""Stage 5: precision, recall and F1 of a model on a DocBin, micro and per label."""

from __future__ import annotations

import json
from pathlib import Path

import spacy
import typer
from spacy.tokens import DocBin
from spacy.training import Example

from . import crf, features, rules  # noqa: F401  (register the factories that configs name)
from ._util import DEFAULT_MODEL, GovnerError, app, msg, require_file, run_cli
from .scheme import LABELS


def evaluate(model: Path, data: Path) -> dict:
    """Scores as a plain dict: ``micro`` and ``per_label`` with ``p``, ``r``, ``f`` and the support."""
    require_file(data)
    try:
        nlp = spacy.load(model)
    except OSError as err:
        raise GovnerError(f"{model}: cannot load model ({err})") from None
    try:
        docs = list(DocBin().from_bytes(data.read_bytes()).get_docs(nlp.vocab))
    except (ValueError, KeyError) as err:
        raise GovnerError(f"{data}: not a DocBin file ({err})") from None
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
        "documents": len(docs),
        "micro": {**{k: scores[f"ents_{k}"] or 0.0 for k in "prf"}, "support": sum(support.values())},
        "per_label": {
            label: {**{k: per_type.get(label, {}).get(k, 0.0) for k in ("p", "r", "f")}, "support": support.get(label, 0)}
            for label in sorted(set(support) | set(per_type), key=lambda x: (x not in LABELS, LABELS.index(x) if x in LABELS else 0, x))
        },
        "chars_per_second": scores.get("speed", 0.0),
    }


def score_table(scores: dict) -> list[tuple]:
    """Rows of the per-label table, micro average last."""
    rows = [(label, *(f"{s[k] * 100:.1f}" for k in "prf"), s["support"]) for label, s in scores["per_label"].items()]
    micro = scores["micro"]
    rows.append(("MICRO", *(f"{micro[k] * 100:.1f}" for k in "prf"), micro["support"]))
    return rows


@app.command("evaluate")
def evaluate_cli(
    data: Path = typer.Argument(..., help="DocBin file with gold entities (from govner convert)"),
    model: Path = typer.Option(DEFAULT_MODEL, "--model", "-m", help="Model folder"),
    as_json: bool = typer.Option(False, "--json", help="Print the scores as JSON"),
    output: Path | None = typer.Option(None, "--output", "-o", help="Also write the JSON scores here"),
) -> None:
    """Score a model: precision, recall, F1, micro and per label."""
    scores = run_cli(evaluate, model, data)
    if output:
        output.write_text(json.dumps(scores, ensure_ascii=False, indent=2), encoding="utf-8")
    if as_json:
        print(json.dumps(scores, ensure_ascii=False, indent=2))
    else:
        msg.table(score_table(scores), header=("label", "P", "R", "F", "gold"), aligns=("l", "r", "r", "r", "r"))
