"""Active learning, simulated on the in-house corpus: does annotating what the model is unsure of pay?

Start from the paragraphs of 10% of the training documents; in each of ``--rounds`` rounds add ``--batch``
paragraphs of the other training documents (their gold annotation stands in for the annotator), chosen by each
strategy, retrain, and score on the test split (exact span and label, micro F1) and on ``shared/dev-real`` (as
``govner tag`` reads it). Strategies:

- ``random`` (three seeds);
- ``uncertain``: the paragraphs with the highest mean entropy of the CRF's tag marginals per character
  (``pipeline.annotation.selection.uncertainty``, what ``govner select`` uses), no diversity step;
- ``uncertain + diverse``: the same, passing over near-duplicates of a paragraph already chosen in the round
  (``pipeline.annotation.selection.choose``), exactly as ``govner select`` chooses.

Every model is the default config's CRF (its features, gazetteer, classes and head words) fitted with crfsuite on
the chosen paragraphs alone, without the config's augmenters (the same for every strategy). Writes the learning
curves as a PNG plot (``docs/active-learning.png``), the raw numbers (``benchmarks/active_learning.json``) and a
table into BENCHMARKS.md between the active-learning markers.

    .venv/bin/python benchmarks/active_learning.py                  # 8 rounds of 50, about 15 minutes on 2 cores
    .venv/bin/python benchmarks/active_learning.py --rounds 2 --batch 20 --no-write
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from itertools import pairwise
from pathlib import Path

from bench_md import ROOT, md_table, write_block
from spacy.training import Example
from thinc.api import Config

from pipeline.annotation.agreement import prediction_scores
from pipeline.annotation.selection import choose, uncertainty
from pipeline.components.tokens import blank_nlp
from pipeline.tagging.tag import Tagger
from pipeline.training.convert import earlier_splits, load_docs
from pipeline.training.evaluate import gold_records

STRATEGIES = {"random 0": ("random", 0), "random 1": ("random", 1), "random 2": ("random", 2),
              "uncertain": ("uncertain", 0), "uncertain + diverse": ("diverse", 0)}
PLOT = ROOT / "docs" / "active-learning.png"
RESULTS = ROOT / "benchmarks" / "active_learning.json"


def corpus(seed_share: float, seed: int = 0) -> dict:
    """Seed, pool and test paragraphs as ``{"text", "spans"}``, by the document split of corpus/spacy/splits.json."""
    docs, _ = load_docs([ROOT / "corpus" / "annotated"])
    split = earlier_splits(ROOT / "corpus" / "spacy" / "splits.json")
    train_ids = sorted({doc_id for doc_id, _ in docs if split.get(doc_id) == "train"})
    seed_ids = set(random.Random(seed).sample(train_ids, max(1, round(len(train_ids) * seed_share))))
    parts: dict = {"seed": [], "pool": [], "test": [], "seed_documents": len(seed_ids)}
    for doc_id, doc in docs:
        where = split.get(doc_id)
        part = "test" if where == "test" else ("seed" if doc_id in seed_ids else "pool") if where == "train" else None
        if part:
            parts[part].append({"text": doc.text, "spans": sorted((e.start_char, e.end_char, e.label_) for e in doc.ents)})
    return parts


def crf_config() -> dict:
    """The CRF's settings and data files of configs/ner.cfg."""
    config = Config().from_disk(ROOT / "configs" / "ner.cfg")
    component = {k: v for k, v in config["components"]["govner_crf"].items() if k != "factory"}
    data = {k: str(ROOT / config["paths"][k]) for k in ("gazetteer", "clusters", "heads")}
    return {"component": component, "data": data}


def fit(paragraphs: list[dict], settings: dict) -> Tagger:
    """A tagger whose CRF is fitted on ``paragraphs`` (gold spans)."""
    nlp = blank_nlp()
    crf = nlp.add_pipe("govner_crf", config=settings["component"])

    def examples():
        for p in paragraphs:
            doc = nlp.make_doc(p["text"])
            yield Example.from_dict(doc, {"entities": [(s, e, label) for s, e, label in p["spans"]]})

    crf.initialize(examples, nlp=nlp, **settings["data"])
    return Tagger(nlp)


def scores(tagger: Tagger, test: list[dict], real: list[tuple]) -> dict:
    """Micro F1 on the test split (its cleaned paragraphs, as trained on) and on dev-real (raw, as tagged)."""
    crf = tagger.nlp.get_pipe("govner_crf")
    found = [[(s, e, label) for s, e, label, _, _ in crf.predict(p["text"])] for p in test]
    out = {"test": prediction_scores(zip((p["spans"] for p in test), found))["micro"]["f"]}
    if real:
        tagged = tagger.pipe(text for _, text, _ in real)
        pairs = [(gold, [(e["start"], e["end"], e["label"]) for e in ents]) for (_, _, gold), ents in zip(real, tagged)]
        out["real"] = prediction_scores(pairs)["micro"]["f"]
    return out


def run_strategy(name: str, parts: dict, real: list[tuple], rounds: int, batch: int, first: dict) -> list[dict]:
    """The learning curve of one strategy: one point per round, after the shared first model (``first``)."""
    kind, seed = STRATEGIES[name]
    settings = crf_config()
    labelled = list(parts["seed"])
    pool = list(parts["pool"])
    curve = [first]
    tagger = fit(labelled, settings)
    for r in range(1, rounds + 1):
        started = time.perf_counter()
        if kind == "random":
            picked = choose(pool, batch, None, diverse=False, seed=seed * 1000 + r)
        else:
            values = [uncertainty(tagger, p["text"]) for p in pool]
            picked = choose(pool, batch, values, diverse=kind == "diverse")
        chosen = [pool[i] for i in picked]
        labelled += chosen
        taken = set(picked)
        pool = [p for i, p in enumerate(pool) if i not in taken]
        tagger = fit(labelled, settings)
        point = {"round": r, "paragraphs": r * batch, "characters": curve[-1]["characters"] + sum(len(p["text"]) for p in chosen),
                 **scores(tagger, parts["test"], real), "seconds": time.perf_counter() - started}
        curve.append(point)
        print(f"{name}: round {r}: test {point['test']:.3f} real {point.get('real', 0):.3f} ({point['seconds']:.0f} s)", file=sys.stderr)
    return curve


def paragraphs_to_reach(curve: list[dict], target: float) -> float | None:
    """Added paragraphs at which a curve first reaches ``target`` (linear between rounds), None if it never does."""
    for a, b in pairwise(curve):
        if b["test"] >= target:
            if a["test"] >= target:
                return a["paragraphs"]
            return a["paragraphs"] + (target - a["test"]) / (b["test"] - a["test"]) * (b["paragraphs"] - a["paragraphs"])
    return None


def summarise(results: dict) -> dict:
    curves = results["curves"]
    randoms = [c for name, c in curves.items() if name.startswith("random")]
    keys = [k for k in ("test", "real", "characters") if k in randoms[0][-1]]
    mean_random = [{**randoms[0][i], **{k: sum(c[i][k] for c in randoms) / len(randoms) for k in keys}} for i in range(len(randoms[0]))]
    target = mean_random[-1]["test"]
    total = mean_random[-1]["paragraphs"]
    reach = {name: paragraphs_to_reach(c, target) for name, c in curves.items() if not name.startswith("random")}
    return {"random_mean": mean_random, "target": target, "total": total, "reach": reach,
            "share": {n: (r / total if r is not None else None) for n, r in reach.items()}}


def plot(results: dict, summary: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, key, title in zip(axes, ("test", "real"), ("in-house test split", "dev-real (real reports by others)")):
        for name, curve in results["curves"].items():
            if key not in curve[-1]:
                continue
            style = {"color": "#999", "lw": 0.8, "ls": "--"} if name.startswith("random") else {"lw": 2, "marker": "o", "ms": 3}
            ax.plot([p["paragraphs"] for p in curve], [100 * p[key] for p in curve], label=name, **style)
        if key in summary["random_mean"][-1]:
            ax.plot([p["paragraphs"] for p in summary["random_mean"]], [100 * p[key] for p in summary["random_mean"]], color="black",
                    lw=2, label="random (mean of 3)")
        ax.set_title(title)
        ax.set_xlabel("paragraphs added to the seed documents")
        ax.set_ylabel("micro F1 (%)")
        ax.grid(alpha=0.3)
    axes[0].axhline(100 * summary["target"], color="black", lw=0.6, ls=":")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    PLOT.parent.mkdir(exist_ok=True)
    fig.savefig(PLOT, dpi=110)


def markdown(results: dict, summary: dict, command: str) -> list[str]:
    curves = results["curves"]
    lines = ["", f"Produced by `{command}` ({results['seconds'] / 60:.0f} min). Seed: {results['seed_paragraphs']} paragraphs of "
             f"{results['seed_documents']} training documents; pool: {results['pool_paragraphs']} paragraphs; {results['rounds']} rounds "
             f"of {results['batch']}. Micro F1 (%), test split / dev-real:", ""]
    head = ["paragraphs added", *curves, "random (mean)"]
    rows = []
    for i, point in enumerate(summary["random_mean"]):
        cells = [point["paragraphs"]]
        for curve in [*curves.values(), summary["random_mean"]]:
            p = curve[i]
            cells.append(f"{100 * p['test']:.1f}" + (f" / {100 * p['real']:.1f}" if "real" in p else ""))
        rows.append(cells)
    lines += [*md_table(head, rows), ""]
    chars = ", ".join(f"{name} {curve[-1]['characters']:,}" for name, curve in curves.items())
    lines += [f"Characters annotated at the end (seed included): {chars}.", ""]
    for name, share in summary["share"].items():
        reach = summary["reach"][name]
        what = "never, in these rounds" if share is None else f"{reach:.0f} paragraphs, {100 * share:.0f}% of random's {summary['total']}"
        lines.append(f"- **{name}** reaches random's final test F ({100 * summary['target']:.1f}) with {what}.")
    lines += ["", f"![learning curves]({PLOT.relative_to(ROOT)})", ""]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--batch", type=int, default=50, help="paragraphs added per round")
    parser.add_argument("--seed-share", type=float, default=0.1, help="share of the training documents to start from")
    parser.add_argument("--real", type=Path, default=ROOT.parent / "shared" / "dev-real", help="real reports by others, gold JSONL")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--no-write", action="store_true", help="print; leave BENCHMARKS.md and the plot alone")
    args = parser.parse_args()
    started = time.perf_counter()
    parts = corpus(args.seed_share)
    real = gold_records(args.real) if args.real.exists() else []
    first_tagger = fit(parts["seed"], crf_config())
    seed_chars = sum(len(p["text"]) for p in parts["seed"])
    first = {"round": 0, "paragraphs": 0, "characters": seed_chars, **scores(first_tagger, parts["test"], real)}
    with ProcessPoolExecutor(args.jobs) as pool:
        futures = {name: pool.submit(run_strategy, name, parts, real, args.rounds, args.batch, first) for name in STRATEGIES}
        curves = {name: f.result() for name, f in futures.items()}
    results = {"curves": curves, "rounds": args.rounds, "batch": args.batch, "seed_paragraphs": len(parts["seed"]),
               "seed_documents": parts["seed_documents"], "pool_paragraphs": len(parts["pool"]),
               "seconds": time.perf_counter() - started}
    summary = summarise(results)
    command = "python benchmarks/active_learning.py" + "".join(f" {a}" for a in sys.argv[1:])
    lines = markdown(results, summary, command)
    print("\n".join(lines))
    if not args.no_write:
        RESULTS.write_text(json.dumps({**results, "summary": summary}, indent=1), encoding="utf-8")
        plot(results, summary)
        write_block("active-learning", lines, heading="## Active learning (simulated)")


if __name__ == "__main__":
    main()
