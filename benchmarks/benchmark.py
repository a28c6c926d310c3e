"""Model benchmark: baselines, segmenters, configs, a learning curve and speed, on the corpus' test split
and on real reports written by others (``shared/dev-real``, for choosing only: never trained on).

Writes the tables into BENCHMARKS.md (between the model-benchmark markers) and the raw numbers into
benchmarks/results.json. Every figure in the README's model section comes from one run of this script:

    .venv/bin/python benchmarks/benchmark.py            # everything (about an hour on 2 cores)
    .venv/bin/python benchmarks/benchmark.py --only rules crf --no-speed   # a part of it

Scores are exact-span, exact-label precision / recall / F1 on the document-level test split of
``corpus/spacy/splits.json`` (as ``govner convert`` keeps it), and on ``shared/dev-real`` through the tagger
that ``govner tag`` runs (raw text, cleaning, offsets mapped back), exact and overlap; the neural candidates all
get the same step budget and stop early when the dev score has not improved for ``patience`` steps.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import spacy
from bench_md import md_table, write_block
from spacy.tokens import Doc, DocBin

from pipeline.annotation.agreement import prediction_scores
from pipeline.annotation.pre_annotate import rules_nlp
from pipeline.components.crf import bio_spans, bio_tags
from pipeline.components.features import char_words
from pipeline.scheme import LABELS
from pipeline.tagging.tag import Tagger
from pipeline.text.clean import clean
from pipeline.training.convert import SPLITS, earlier_splits, load_docs, split_documents
from pipeline.training.evaluate import gold_records

ROOT = Path(__file__).resolve().parent.parent
REAL = {"path": ROOT.parent / "shared" / "dev-real"}  # --real; real reports by others, for choosing only

Spans = set[tuple[int, int, str]]

# name → (config, overrides, what it shows); the first is govner's default
CRF = "configs/ner.cfg"
CANDIDATES = {
    "govner CRF (default)": (CRF, {}, "char CRF: chars ±2, bigrams, gazetteer, jieba words (the word, its position and part of speech), "
                             "LAC classes, head words; name-swapped and noisy (PDF/web) copies"),
    "govner CRF, no extraction noise": (CRF, {"corpora.train.augmenter.then.share": 0}, "ablation"),
    "govner CRF, no name swapping": (CRF, {"corpora.train.augmenter.first.copies": 0}, "ablation"),
    "govner CRF, no part of speech": (CRF, {"components.govner_crf.pos": False}, "ablation"),
    "govner CRF, no head words": (CRF, {"initialize.components.govner_crf.heads": ""}, "ablation"),
    "govner CRF, no word ids": (CRF, {"components.govner_crf.word_ids": False}, "ablation"),
    "govner CRF, + character kinds": (CRF, {"components.govner_crf.shapes": True}, "variant: Han/digit/Latin/punctuation around it"),
    "govner CRF, + list position": (CRF, {"components.govner_crf.lists": True},
                                    "variant: the delimiters (、 和 等 …) around its stretch of text"),
    "govner CRF, window 3": (CRF, {"components.govner_crf.window": 3}, "variant: three neighbours either side"),
    "govner CNN, char + bigrams": ("configs/ner-cnn.cfg", {}, "neural: char and bigram embeddings, CNN, transition NER"),
    "govner CNN, char + bigrams + LAC vectors": ("configs/ner-cnn.cfg", {"components.tok2vec.model.embed.include_static_vectors": True},
                                                 "neural: as above plus LAC's 128-d character vectors (static)"),
    "govner CNN, char only": ("configs/baselines/ner-char.cfg", {}, "neural: characters alone"),
    "govner CNN, char only, pretrained": ("configs/baselines/ner-char.cfg", {},
                                          "neural: as above, tok2vec from `spacy pretrain` on the train+dev text"),
    "govner CNN, char + jieba words": ("configs/ner-words.cfg", {}, "neural: char plus the jieba word and its B/I/E/S"),
    "spaCy stock zh ner": ("configs/baselines/stock-zh-ner.cfg", {}, "`spacy init config --lang zh --pipeline ner`"),
    "jieba segmenter": ("configs/baselines/ner-jieba.cfg", {}, "stock config, jieba word tokens"),
    "pkuseg segmenter": ("configs/baselines/ner-pkuseg.cfg", {}, "stock config, pkuseg trained on the corpus"),
}
DEFAULT = next(iter(CANDIDATES))


# ---------------------------------------------------------------- data


def prepare(work: Path, seed: int = 0) -> dict[str, list[tuple[str, Doc]]]:
    """The corpus as ``{split: [(doc_id, Doc)]}``, split exactly as ``govner convert`` splits it."""
    docs, _ = load_docs([ROOT / "corpus" / "annotated"])
    keep = earlier_splits(ROOT / "corpus" / "spacy" / "splits.json")
    assignment = split_documents([doc_id for doc_id, _ in docs], 0.15, 0.15, seed, keep)
    parts: dict[str, list[tuple[str, Doc]]] = {split: [] for split in SPLITS}
    for doc_id, doc in docs:
        parts[assignment[doc_id]].append((doc_id, doc))
    for split, items in parts.items():
        write_docbin(work / f"{split}.spacy", [doc for _, doc in items])
    return parts


def write_docbin(path: Path, docs: list[Doc]) -> Path:
    db = DocBin(store_user_data=False)
    for doc in docs:
        db.add(doc)
    db.to_disk(path)
    return path


def gold_spans(doc: Doc) -> Spans:
    return {(e.start_char, e.end_char, e.label_) for e in doc.ents}


# ---------------------------------------------------------------- scoring


def score_predictor(predict: Callable[[list[str]], list[Spans]], docs: list[Doc]) -> dict:
    """Exact span and label precision, recall and F1 (and overlap), per label and micro-averaged."""
    return prediction_scores(zip((sorted(gold_spans(d)) for d in docs), (sorted(p) for p in predict([d.text for d in docs]))))


def spacy_predictor(nlp) -> Callable[[list[str]], list[Spans]]:
    return lambda texts: [{(e.start_char, e.end_char, e.label_) for e in doc.ents} for doc in nlp.pipe(texts)]


def tagger_predictor(tagger: Tagger) -> Callable[[list[str]], list[Spans]]:
    return lambda texts: [{(e["start"], e["end"], e["label"]) for e in ents} for ents in tagger.pipe(texts)]


def raw_predictor(predict: Callable[[list[str]], list[Spans]]) -> Callable[[list[str]], list[Spans]]:
    """A predictor on cleaned text made to take raw text, as ``govner tag`` does: clean, predict, map back."""

    def run(texts: list[str]) -> list[Spans]:
        cleaned = [clean(t) for t in texts]
        return [{(*c.to_original(s, e), label) for s, e, label in spans} for c, spans in zip(cleaned, predict([c.text for c in cleaned]))]

    return run


def real_scores(predict: Callable[[list[str]], list[Spans]]) -> dict:
    """Exact and overlap scores on shared/dev-real (raw texts through ``predict``); {} where it is absent."""
    if not REAL["path"].exists():
        return {}
    records = gold_records(REAL["path"])
    found = predict([text for _, text, _ in records])
    return prediction_scores([(gold, sorted(pred)) for (_, _, gold), pred in zip(records, found)])


# ---------------------------------------------------------------- CRF baseline


def char_features(text: str) -> list[dict]:
    positions = [position for _, position in char_words(text)]
    feats = []
    for i, ch in enumerate(text):
        f = {"c": ch, "w": positions[i], "digit": ch.isdigit()}
        for d in (-2, -1, 1, 2):
            j = i + d
            f[f"c{d}"] = text[j] if 0 <= j < len(text) else "#"
        f["b-1"] = (text[i - 1] if i else "#") + ch
        f["b+1"] = ch + (text[i + 1] if i + 1 < len(text) else "#")
        feats.append(f)
    return feats


def crf_baseline(train: list[Doc], test: list[Doc]) -> dict:
    import sklearn_crfsuite

    crf = sklearn_crfsuite.CRF(algorithm="lbfgs", c1=0.05, c2=0.05, max_iterations=150, all_possible_transitions=True)
    crf.fit([char_features(d.text) for d in train], [bio_tags(d) for d in train])
    predict = lambda texts: [set(bio_spans(list(crf.predict_single(char_features(t))))) for t in texts]  # noqa: E731
    return {**score_predictor(predict, test), "real": real_scores(raw_predictor(predict))}


# ---------------------------------------------------------------- segmenters


def pkuseg_model(train: list[Doc], work: Path) -> Path:
    """Train spacy-pkuseg on jieba's words, cut again at every entity edge so that no word crosses an entity."""
    import rjieba
    import spacy_pkuseg

    lines = []
    for doc in train:
        cuts = {0, len(doc.text)} | {e.start_char for e in doc.ents} | {e.end_char for e in doc.ents}
        for line_start, line in _lines(doc.text):
            words, pos = [], line_start
            for word in rjieba.cut(line, hmm=False):
                piece = pos
                for k in range(pos + 1, pos + len(word)):
                    if k in cuts:
                        words.append(doc.text[piece:k])
                        piece = k
                words.append(doc.text[piece : pos + len(word)])
                pos += len(word)
            lines.append(" ".join(w for w in words if w.strip()))
    corpus = work / "pkuseg-train.txt"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = work / "pkuseg-model"
    out.mkdir(exist_ok=True)
    spacy_pkuseg.train(str(corpus), str(corpus), str(out), train_iter=10)
    return out


def lac_vectors(work: Path) -> Path:
    """LAC's character vectors as a spaCy vectors folder (scripts/lac_embeddings.py fetches the PyPI sdist once)."""
    out = work / "lac-vectors"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "lac_embeddings.py"), "vectors", str(out)], check=True)
    return out


def pretrained_tok2vec(config: Path, texts: list[str], work: Path) -> Path:
    """``spacy pretrain`` with the config's [pretraining] block on the texts; the weights of its last epoch."""
    raw, out = work / "pretrain-text.jsonl", work / "pretrain"
    raw.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8")
    args = [sys.executable, "-m", "spacy", "pretrain", str(config), str(out), "--paths.raw_text", str(raw)]
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, env=single_threaded())
    if proc.returncode != 0:
        raise RuntimeError(f"spacy pretrain {config} failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    return out / "model-last.bin"


def single_threaded() -> dict[str, str]:
    """The environment with BLAS pinned to one thread, so that two jobs share the two cores fairly."""
    return {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _lines(text: str):
    start = 0
    for line in text.split("\n"):
        if line.strip():
            yield start, line
        start += len(line) + 1


def misaligned(docs: list[Doc], nlp) -> dict:
    """Gold entities whose edges fall inside a token of the segmenter: the model can never predict them."""
    lost, total = Counter(), Counter()
    for doc in docs:
        tokens = nlp.make_doc(doc.text)
        for e in doc.ents:
            total[e.label_] += 1
            if tokens.char_span(e.start_char, e.end_char) is None:
                lost[e.label_] += 1
    return {"lost": sum(lost.values()), "total": sum(total.values()), "per_label": dict(lost)}


# ---------------------------------------------------------------- training and speed


@dataclass
class Job:
    """One training: config, training data, output folder, overrides, and what to make first, if anything
    (a maker returns a path for one setting, e.g. the pkuseg model or the pretrained tok2vec weights)."""

    config: Path
    train: Path
    out: Path
    overrides: dict = field(default_factory=dict)
    prepare: tuple[str, Callable[[Path], Path]] | None = None

    def run(self, dev: Path) -> dict:
        start, extra = time.time(), {}
        if self.prepare:
            setting, make = self.prepare
            extra[setting] = str(make(self.config))
        prepared = time.time() - start
        return {**train_candidate(self.config, self.train, dev, self.out, {**self.overrides, **extra}), "prepare_seconds": prepared}


def train_candidate(config: Path, train: Path, dev: Path, out: Path, overrides: dict) -> dict:
    """Train in a subprocess; return the wall time, the peak resident memory and the model folder."""
    args = [sys.executable, "-m", "pipeline", "train", "--config", str(config), "--data", str(train.parent), "-o", str(out)]
    args += [f"--set=paths.train={train}", f"--set=paths.dev={dev}"]
    args += [f"--set={k}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in overrides.items()]
    start = time.time()
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=single_threaded())
    peak = [0]

    def watch() -> None:
        p = psutil.Process(proc.pid)
        while proc.poll() is None:
            with contextlib.suppress(psutil.Error):
                peak[0] = max(peak[0], sum(c.memory_info().rss for c in [p, *p.children(recursive=True)]))
            time.sleep(0.5)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    log, _ = proc.communicate()
    watcher.join()
    out.mkdir(parents=True, exist_ok=True)
    (out / "train.log").write_text(log, encoding="utf-8")
    if proc.returncode != 0:
        raise RuntimeError(f"training {config} failed:\n{log[-3000:]}")
    model = out / "model-best"
    size = sum(f.stat().st_size for f in model.rglob("*") if f.is_file())
    return {"seconds": time.time() - start, "peak_mb": peak[0] / 2**20, "model": str(model), "model_mb": size / 2**20}


def score_of(run: dict, test: list[Doc]) -> float:
    return score_predictor(spacy_predictor(spacy.load(run["model"])), test)["micro"]["f"]


def real_score_of(run: dict) -> float | None:
    real = real_scores(tagger_predictor(Tagger(spacy.load(run["model"]))))
    return real["micro"]["f"] if real else None


def speed(model: Path, texts: list[str], n_process: int) -> float:
    """Characters per second of ``govner tag``'s Tagger over the texts (model loading not counted)."""
    tagger = Tagger(spacy.load(model))
    tagger("预热。")
    start = time.time()
    for _ in tagger.pipe(texts, n_process=n_process):
        pass
    return sum(map(len, texts)) / (time.time() - start)


def speed_texts(min_chars: int = 1_000_000) -> list[str]:
    """Report texts from corpus/raw, repeated until there is at least ``min_chars`` of them."""
    raws = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpus" / "raw").glob("*.txt"))]
    texts = []
    while sum(map(len, texts)) < min_chars:
        texts.extend(raws)
    return texts


# ---------------------------------------------------------------- report


def table(rows: dict[str, dict], key: str | None = None) -> list[str]:
    """Systems by micro F, best first: on the test split, or (``key="real"``) on dev-real with the overlap F too."""
    rows = {name: s[key] if key else s for name, s in rows.items() if not key or s.get(key)}
    overlap = " micro F overlap |" if key else ""
    head = "| system | what | micro P | micro R | micro F |" + overlap + " " + " | ".join(f"{label} F" for label in LABELS) + " |"
    lines = [head, "|" + "---|" * (5 + bool(key) + len(LABELS))]
    for name, s in sorted(rows.items(), key=lambda item: -item[1]["micro"]["f"]):
        m = s["micro"]
        what = CANDIDATES[name][2] if name in CANDIDATES else "baseline"
        per = " | ".join(f"{s['per_label'][label]['f'] * 100:.1f}" for label in LABELS)
        extra = f" {m['overlap']['f'] * 100:.1f} |" if key else ""
        lines.append(f"| {name} | {what} | {m['p'] * 100:.1f} | {m['r'] * 100:.1f} | **{m['f'] * 100:.1f}** |{extra} {per} |")
    return lines


def write_markdown(results: dict) -> None:
    first, *parts = results["commands"]
    again = "".join(f", then the parts it names by `{c}`" for c in parts)
    lines = ["", f"Produced by `{first}`{again}, on {results['machine']} ({results['date']}).", ""]
    lines += [f"Test split: {results['test_docs']} documents, {results['test_paragraphs']} paragraphs, {results['test_entities']} "
              f"entities (train {results['train_docs']}, dev {results['dev_docs']} documents). Exact span and label.", ""]
    lines += ["### Systems on real reports by others (shared/dev-real)", "",
              f"{results.get('real_texts', 0)} excerpts, {results.get('real_entities', 0)} entities, read as `govner tag` reads them "
              "(raw text, cleaning, offsets mapped back); never trained on. A part run (the later commands above) replaces "
              "only the rows it names: compare rows from the same run.", "",
              *table(results["scores"], "real"), ""]
    lines += ["### Systems on the test split", "", *table(results["scores"]), ""]
    def section(title: str, head: tuple[str, ...], rows: list[tuple], intro: str = "") -> None:
        lines.extend([f"### {title}", "", *([intro, ""] if intro else []), *md_table(head, rows), ""])

    if results.get("training"):
        section("Cost", ("system", "made first s", "training s", "peak training MB", "model MB"),
                [(n, f"{t.get('prepare_seconds', 0):.0f}", f"{t['seconds']:.0f}", f"{t['peak_mb']:.0f}", f"{t['model_mb']:.1f}")
                 for n, t in results["training"].items()],
                "Made first: the pkuseg model trained on the corpus, LAC's vectors converted, or `spacy pretrain` "
                "(20 epochs over the train and dev text); not counted in the training time.")
    if results.get("misaligned"):
        section("Entity spans lost to segmentation (all splits)", ("segmenter", "lost", "of", "per label"),
                [(n, m["lost"], m["total"], m["per_label"]) for n, m in results["misaligned"].items()])
    if results.get("curve"):
        section("Learning curve (default config)", ("share of training documents", "documents", "test micro F", "dev-real micro F"),
                [(share, c["documents"], f"{c['f'] * 100:.1f}", f"{(c.get('real') or 0) * 100:.1f}")
                 for share, c in results["curve"].items()])
    if results.get("speed"):
        section("Tagging speed (characters per second, same text, same run)", ("model", "1 process", "2 processes"),
                [(n, f"{s['1']:,.0f}", f"{s['2']:,.0f}") for n, s in results["speed"].items()],
                f"Text: {results['speed_chars']:,} characters of reports.")
    if results.get("reproducible") is not None:
        lines += [f"Reproducibility: two trainings of the default config with seed 0 gave micro F "
                  f"{results['reproducible'][0] * 100:.2f} and {results['reproducible'][1] * 100:.2f}.", ""]
    write_block("model-benchmark", lines, heading="## Models")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="rules, crf, candidate names (substring), curve, speed, repro")
    parser.add_argument("--skip", nargs="*", help="leave out the parts whose names contain one of these")
    parser.add_argument("--steps", type=int, default=4000, help="max training steps of every neural candidate (they may stop early)")
    parser.add_argument("--install", action="store_true", help="copy the default candidate to models/govner-zh")
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--jobs", type=int, default=2, help="trainings at a time")
    parser.add_argument("--real", type=Path, default=REAL["path"], help="gold JSONL of real reports by others (default ../shared/dev-real)")
    args = parser.parse_args()
    REAL["path"] = args.real
    def wanted(name: str) -> bool:
        if any(o.lower() in name.lower() for o in args.skip or ()):
            return False
        return not args.only or any(o.lower() in name.lower() for o in args.only)

    work = Path(tempfile.mkdtemp(prefix="govner-bench-"))
    parts = prepare(work)
    test = [doc for _, doc in parts["test"]]
    train = [doc for _, doc in parts["train"]]
    saved = ROOT / "benchmarks" / "results.json"
    old = json.loads(saved.read_text()) if args.only and saved.exists() else {}  # a part run keeps the rest
    results = {
        **old,
        "machine": f"{os.cpu_count()} CPU cores",
        "date": time.strftime("%Y-%m-%d"),
        **{f"{split}_docs": len({doc_id for doc_id, _ in parts[split]}) for split in SPLITS},
        **{f"{split}_paragraphs": len(parts[split]) for split in SPLITS},
        "test_entities": sum(len(d.ents) for d in test),
        **({"real_texts": len(gold_records(REAL["path"])), "real_entities": sum(len(g) for *_, g in gold_records(REAL["path"]))}
           if REAL["path"].exists() else {}),
    }
    results.setdefault("scores", {})
    results.setdefault("training", {})
    results.setdefault("misaligned", {})
    if wanted("rules"):
        rules = tagger_predictor(Tagger(rules_nlp()))
        results["scores"]["rules only (configs/rules)"] = {**score_predictor(rules, test), "real": real_scores(rules)}
    if wanted("crf") and wanted("sklearn-crfsuite"):
        results["scores"]["CRF, char features (sklearn-crfsuite)"] = crf_baseline(train, test)
    overrides = {"training.max_steps": args.steps}  # for the neural candidates; the CRF configs fit in one go
    unlabelled = [doc.text for split in ("train", "dev") for _, doc in parts[split]]
    # what some candidates need made first (in the worker, timed apart): setting → maker
    preparations: dict[str, tuple[str, Callable[[Path], Path]]] = {
        "pkuseg": ("initialize.tokenizer.pkuseg_model", lambda config: pkuseg_model(train, work)),
        "LAC vectors": ("paths.vectors", lambda config: lac_vectors(work)),
        "pretrained": ("paths.init_tok2vec", lambda config: pretrained_tok2vec(config, unlabelled, work)),
    }
    jobs: dict[str, Job] = {}
    for name, (config, settings, _) in CANDIDATES.items():
        if wanted(name):
            extra = {**({} if config == CANDIDATES[DEFAULT][0] else overrides), **settings}
            made_first = next((maker for key, maker in preparations.items() if key in name), None)
            jobs[name] = Job(ROOT / config, work / "train.spacy", work / f"candidate-{len(jobs)}", extra, made_first)
    docs_by_id: dict[str, list[Doc]] = {}
    for doc_id, doc in parts["train"]:
        docs_by_id.setdefault(doc_id, []).append(doc)
    ids = sorted(docs_by_id)
    random.Random(0).shuffle(ids)
    shares = (0.25, 0.5, 0.75) if wanted("curve") else ()
    for share in shares:
        path = write_docbin(work / f"train-{share}.spacy", [d for i in ids[: round(len(ids) * share)] for d in docs_by_id[i]])
        jobs[f"curve {share}"] = Job(ROOT / "configs/ner.cfg", path, work / f"curve-{share}")
    for i in (1, 2) if wanted("repro") else ():
        jobs[f"repro {i}"] = Job(ROOT / "configs/ner.cfg", work / "train.spacy", work / f"repro-{i}")
    # two trainings at a time, one core each (BLAS threads pinned to 1 in train_candidate)
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {name: pool.submit(job.run, work / "dev.spacy") for name, job in jobs.items()}
        runs = {name: f.result() for name, f in futures.items()}
    for name, run in runs.items():
        nlp = spacy.load(run["model"])
        scores = {**score_predictor(spacy_predictor(nlp), test), "real": real_scores(tagger_predictor(Tagger(nlp)))}
        if name in CANDIDATES:
            results["training"][name] = run
            results["scores"][name] = scores
            segmenter = getattr(nlp.tokenizer, "segmenter", None)
            if segmenter:
                results["misaligned"][segmenter] = misaligned([d for p in parts.values() for _, d in p], nlp)
    if shares:
        results["curve"] = {
            f"{s:.0%}": {"documents": round(len(ids) * s), "f": score_of(run, test), "real": real_score_of(run)}
            for s in shares
            for run in [runs[f"curve {s}"]]
        }
        if DEFAULT in runs:
            default = results["scores"][DEFAULT]
            real = (default.get("real") or {}).get("micro", {}).get("f")
            results["curve"]["100%"] = {"documents": len(ids), "f": default["micro"]["f"], "real": real}
    if wanted("repro"):
        results["reproducible"] = [score_of(runs[f"repro {i}"], test) for i in (1, 2)]
    if args.install and DEFAULT in runs:
        target = ROOT / "models" / "govner-zh"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(runs[DEFAULT]["model"], target)
    if wanted("speed") and not args.no_speed:
        texts = speed_texts()
        results["speed_chars"] = sum(map(len, texts))
        results["speed"] = {}
        for name in (DEFAULT, "govner CNN, char + bigrams", "spaCy stock zh ner"):
            model = Path(results["training"].get(name, {}).get("model", ""))
            if model.exists():
                results["speed"][name] = {str(n): speed(model, texts, n) for n in (1, 2)}
    command = "python benchmarks/benchmark.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    results["commands"] = [*(results.get("commands", []) if args.only else []), command]  # a part run adds its own
    (ROOT / "benchmarks" / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    write_markdown(results)
    print(json.dumps({k: v["micro"]["f"] for k, v in results["scores"].items()}, indent=2))


if __name__ == "__main__":
    main()
