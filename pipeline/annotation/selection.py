"""Stage 2b: choose the paragraphs worth annotating next: those the model is least sure of, varied, never seen.

A user adapts the model to their own reports by annotating a few hundred of their paragraphs and retraining;
the paragraphs that teach most are the ones the model hesitates on. Contracts kept:

- a paragraph's uncertainty is the mean entropy of the CRF's marginal tag distribution over its characters (as
  the model sees it: cleaned), so long and short paragraphs compare; ``benchmarks/active_learning.py`` chose it
  against random choice on the corpus (BENCHMARKS.md);
- a batch is varied: a paragraph too like one already chosen (Jaccard similarity of character trigrams at least
  ``NEAR_DUPLICATE``) is passed over;
- a paragraph already annotated (any JSONL given with ``--exclude``, the corpus by default, or the Doccano
  project's examples) is never chosen again: paragraphs are known by a hash of their text without whitespace;
- the batch is Doccano JSONL with the model's suggestions, in the shape ``govner ingest`` and ``pre-annotate``
  write, so ``govner doccano push`` takes it as it is.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable
from pathlib import Path

from pipeline.annotation.ingest import ingest_file
from pipeline.annotation.pre_annotate import suggest
from pipeline.errors import GovnerError
from pipeline.resources import CHECKOUT
from pipeline.tagging.tag import Tagger, expand_inputs
from pipeline.text.clean import clean
from pipeline.text.files import jsonl_files, read_jsonl, write_jsonl

STRATEGIES = ("uncertain", "random")
NEAR_DUPLICATE = 0.5
DEFAULT_EXCLUDE = CHECKOUT / "corpus" / "annotated"  # the in-house corpus, when govner runs from a checkout


def text_key(text: str) -> str:
    """What identifies a paragraph across files, projects and re-ingests: its text without whitespace, hashed."""
    return hashlib.sha1("".join(text.split()).encode("utf-8")).hexdigest()


def trigrams(text: str) -> frozenset[str]:
    squeezed = "".join(text.split())
    return frozenset(squeezed[i : i + 3] for i in range(max(1, len(squeezed) - 2)))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity of two sets (1 for two empty ones)."""
    return len(a & b) / len(a | b) if a | b else 1.0


def uncertainty(tagger: Tagger, text: str) -> float:
    """The mean entropy of the model's tag distribution over the characters of ``text``, cleaned as it sees it."""
    crf = next((proc for _, proc in tagger.nlp.pipeline if hasattr(proc, "entropies")), None)
    if crf is None:
        raise GovnerError("--select uncertain needs a model with govner_crf (its marginals measure the uncertainty)")
    cleaned = clean(text, tagger.t2s).text
    entropies = crf.entropies(cleaned)
    return sum(entropies) / len(entropies) if entropies else 0.0


def choose(
    records: list[dict], n: int, scores: list[float] | None = None, exclude: Iterable[str] = (), diverse: bool = True, seed: int = 0
) -> list[int]:
    """Indexes of up to ``n`` records: the highest ``scores`` first (a seeded shuffle when None), skipping texts in
    ``exclude`` (``text_key``), repeated texts and, with ``diverse``, near-duplicates of a record already chosen."""
    order = list(range(len(records)))
    if scores is None:
        random.Random(seed).shuffle(order)
    else:
        order.sort(key=lambda i: -scores[i])
    seen = set(exclude)
    chosen: list[int] = []
    shingles: list[frozenset[str]] = []
    for i in order:
        if len(chosen) == n:
            break
        key = text_key(records[i]["text"])
        if key in seen:
            continue
        seen.add(key)
        grams = trigrams(records[i]["text"])
        if diverse and any(similarity(grams, other) >= NEAR_DUPLICATE for other in shingles):
            continue
        chosen.append(i)
        shingles.append(grams)
    return chosen


def known_keys(paths: Iterable[Path]) -> set[str]:
    """``text_key`` of every paragraph in these JSONL files and folders (annotated already)."""
    records = (record for file in jsonl_files(list(paths)) for _, record in read_jsonl(file))
    return {text_key(record["text"]) for record in records if isinstance(record.get("text"), str)}


def paragraphs(inputs: list[str]) -> list[dict]:
    """Paragraph records of reports (any readable format, folders, globs) and of paragraph JSONL files."""
    records: list[dict] = []
    files, problems = expand_inputs([i for i in inputs if not i.endswith(".jsonl")])
    if problems:
        raise GovnerError(problems[0], details=problems[1:])
    for path in files:
        records.extend(ingest_file(path))
    for jsonl in (Path(i) for i in inputs if i.endswith(".jsonl")):
        for _, record in read_jsonl(jsonl):
            records.append({k: v for k, v in record.items() if k not in ("label", "entities")} | {"label": []})
    if not records:
        raise GovnerError(f"{', '.join(inputs)}: no paragraphs found")
    return records


def select_records(
    records: list[dict], tagger: Tagger, n: int, strategy: str = "uncertain", exclude: Iterable[str] = (), diverse: bool = True,
    seed: int = 0,
) -> list[dict]:
    """The ``n`` records to annotate next, most uncertain first (``strategy`` "uncertain") or at random, each with
    the model's suggestions in ``label`` and its ``uncertainty``."""
    if strategy not in STRATEGIES:
        raise GovnerError(f"--select {strategy!r}: choose from {', '.join(STRATEGIES)}")
    if n < 1:
        raise GovnerError(f"-n {n}: select at least one paragraph")
    scores = [uncertainty(tagger, r["text"]) for r in records] if strategy == "uncertain" else None
    picked = choose(records, n, scores, exclude, diverse, seed)
    batch = suggest([records[i] for i in picked], tagger)
    if scores is not None:
        batch = [{**record, "uncertainty": round(scores[i], 4)} for record, i in zip(batch, picked)]
    return batch


def select(
    inputs: list[str],
    output: Path,
    n: int = 200,
    model: str | Path | None = None,
    strategy: str = "uncertain",
    exclude: list[Path] | None = None,
    diverse: bool = True,
    seed: int = 0,
) -> dict:
    """Ingest reports, choose ``n`` paragraphs to annotate (none of those in ``exclude``: JSONL files or folders,
    by default the in-house corpus when there is one), write them with the model's suggestions as Doccano JSONL."""
    records = paragraphs(inputs)
    excluded = [p for p in (exclude if exclude is not None else [DEFAULT_EXCLUDE]) if p != DEFAULT_EXCLUDE or p.is_dir()]
    keys = known_keys(excluded) if excluded else set()
    batch = select_records(records, Tagger.load(model), n, strategy, keys, diverse, seed)
    if not batch:
        raise GovnerError(f"{', '.join(inputs)}: nothing to select, all {len(records):,} paragraphs are annotated already")
    write_jsonl(output, batch)
    return {
        "paragraphs": len(records),
        "annotated_already": sum(text_key(r["text"]) in keys for r in records),
        "selected": len(batch),
        "suggested_spans": sum(len(r["label"]) for r in batch),
        "mean_uncertainty": sum(r.get("uncertainty", 0.0) for r in batch) / len(batch) if batch else 0.0,
        "output": str(output),
    }
