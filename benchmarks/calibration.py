"""Calibration of the entity scores: in bins of score, how many of the entities a model finds are right.

For each way ``govner_crf`` can turn its marginals into an entity's score (``span_confidence``: min, mean,
product; the config's ``confidence``), the shipped model (or ``--model``) tags the in-house test split and the
real reports of ``shared/dev-real`` as ``govner tag`` does, and every entity found is right when its span and
label are exactly a gold one. Reported per bin: entities and the share right; per way: the expected calibration
error (ECE, the mean gap between score and share right, weighted by the bin's entities), the Brier score and the
area under the ROC curve (how well the score ranks right above wrong). Then, for the config's way, what
``--min-score`` leaves: precision, recall and F1 at a few thresholds. The tables go into BENCHMARKS.md between
the calibration markers.

    .venv/bin/python benchmarks/calibration.py
    .venv/bin/python benchmarks/calibration.py --model /tmp/model --real ../shared/dev-real --no-write
"""

from __future__ import annotations

import argparse
import json
import sys
from itertools import pairwise
from pathlib import Path

from bench_md import ROOT, md_table, write_block
from sklearn.metrics import roc_auc_score

from pipeline.annotation.agreement import prediction_scores
from pipeline.resources import DEFAULT_MODEL
from pipeline.tagging.tag import Tagger
from pipeline.training.evaluate import gold_records

WAYS = ("min", "mean", "product")
EDGES = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)
THRESHOLDS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95)


def test_split() -> list[tuple[str, str, list]]:
    """The paragraphs of the test documents of ``corpus/spacy/splits.json``, raw, with their gold spans."""
    splits = json.loads((ROOT / "corpus" / "spacy" / "splits.json").read_text(encoding="utf-8"))
    docs = sorted(splits["test"])
    return [r for doc in docs for r in gold_records(ROOT / "corpus" / "annotated" / f"{doc}.jsonl")]


def scored_entities(tagger: Tagger, records: list[tuple[str, str, list]]) -> tuple[list[tuple[float, bool]], list]:
    """Every entity found, as ``(score, right)``; and the (gold, found) pairs for scoring thresholds."""
    found = list(tagger.pipe(text for _, text, _ in records))
    entities, pairs = [], []
    for (_, _, gold), ents in zip(records, found):
        gold_set = {tuple(g) for g in gold}
        entities += [(e["score"], (e["start"], e["end"], e["label"]) in gold_set) for e in ents]
        pairs.append((gold, [(e["start"], e["end"], e["label"], e["score"]) for e in ents]))
    return entities, pairs


def calibration(entities: list[tuple[float, bool]]) -> dict:
    """Per bin of score: entities, share right, mean score; and ECE, Brier score and ROC AUC over all."""
    bins = []
    for low, high in pairwise(EDGES):
        inside = [(s, r) for s, r in entities if low <= s < high or (high == 1.0 and s == 1.0)]
        right = sum(r for _, r in inside)
        mean = sum(s for s, _ in inside) / len(inside) if inside else None
        bins.append({"bin": f"{low:.2f}–{high:.2f}", "entities": len(inside), "right": right / len(inside) if inside else None,
                     "mean_score": mean})
    n = len(entities)
    ece = sum(b["entities"] / n * abs(b["right"] - b["mean_score"]) for b in bins if b["entities"]) if n else None
    brier = sum((s - r) ** 2 for s, r in entities) / n if n else None
    labels = {r for _, r in entities}
    auc = roc_auc_score([r for _, r in entities], [s for s, _ in entities]) if len(labels) == 2 else None
    return {"bins": bins, "entities": n, "right": sum(r for _, r in entities) / n if n else None, "ece": ece, "brier": brier, "auc": auc}


def thresholds(pairs: list) -> list[dict]:
    """Micro precision, recall and F1 of the entities scored at least each threshold."""
    rows = []
    for t in THRESHOLDS:
        kept = [(gold, [(s, e, label) for s, e, label, score in found if score >= t]) for gold, found in pairs]
        micro = prediction_scores(kept)["micro"]
        rows.append({"threshold": t, "p": micro["p"], "r": micro["r"], "f": micro["f"]})
    return rows


def run(model: str | Path, real: Path | None) -> dict:
    tagger = Tagger.load(model)
    crf = next((proc for _, proc in tagger.nlp.pipeline if getattr(proc, "gives_scores", False)), None)
    if crf is None:
        raise SystemExit(f"{model}: this model gives no entity scores")
    sets = {"test split": test_split()}
    if real is not None and real.exists():
        sets["dev-real"] = gold_records(real)
    chosen = crf.cfg.get("confidence", "min")
    results: dict = {"model": str(model), "chosen": chosen, "ways": {}, "thresholds": {}}
    for way in WAYS:
        crf.cfg["confidence"] = way
        results["ways"][way] = {}
        for name, records in sets.items():
            entities, pairs = scored_entities(tagger, records)
            results["ways"][way][name] = calibration(entities)
            if way == chosen:
                results["thresholds"][name] = thresholds(pairs)
    crf.cfg["confidence"] = chosen
    return results


def pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}"


def markdown(results: dict, command: str) -> list[str]:
    names = list(next(iter(results["ways"].values())))
    lines = ["", f"Produced by `{command}`. Model: `{results['model']}`; its config scores entities by **{results['chosen']}**.", ""]
    lines += ["Share of entities right (exact span and label) in each bin of score:", ""]
    head = ["score", *[f"{way}: {name} (n / % right)" for way in results["ways"] for name in names]]
    rows = []
    for i, edge in enumerate(next(iter(next(iter(results["ways"].values())).values()))["bins"]):
        cells = [edge["bin"]]
        for way in results["ways"].values():
            for name in names:
                b = way[name]["bins"][i]
                cells.append(f"{b['entities']} / {pct(b['right'])}")
        rows.append(cells)
    lines += [*md_table(head, rows), ""]
    summary = [(way, name, c["entities"], pct(c["right"]), f"{c['ece']:.3f}", f"{c['brier']:.3f}", f"{c['auc']:.3f}" if c["auc"] else "–")
               for way, per in results["ways"].items() for name, c in per.items()]
    lines += [*md_table(("score", "texts", "entities", "% right", "ECE", "Brier", "ROC AUC"), summary), ""]
    lines += [f"What `govner tag --min-score T` leaves ({results['chosen']}): micro P / R / F1 in %.", ""]
    t_rows = [(row["threshold"], *[" / ".join(pct(r[k]) for k in "prf") for r in (results["thresholds"][n][i] for n in names)])
              for i, row in enumerate(next(iter(results["thresholds"].values())))]
    lines += [*md_table(("T", *names), t_rows), ""]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="model folder or package (default: the shipped model)")
    parser.add_argument("--real", type=Path, default=ROOT.parent / "shared" / "dev-real", help="real reports by others, gold JSONL")
    parser.add_argument("--no-write", action="store_true", help="print, leave BENCHMARKS.md alone")
    args = parser.parse_args()
    results = run(args.model, args.real)
    command = "python benchmarks/calibration.py" + "".join(f" {a}" for a in sys.argv[1:])
    lines = markdown(results, command)
    print("\n".join(lines))
    (ROOT / "benchmarks" / "calibration.json").write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    if not args.no_write:
        print(f"→ {write_block('calibration', lines, heading='## Entity scores: calibration')}", file=sys.stderr)


if __name__ == "__main__":
    main()
