"""Agreement between annotators and the rule that merges their versions of a paragraph (pure functions).

Agreement is pairwise span F1, micro-averaged over the paragraphs both annotators of a pair finished, once with
exact matching (same start, end and label) and once with overlap matching (same label, characters shared; each
span matched at most once). F1 is symmetric, so it does not matter who of the two is taken as the reference.

The merge rule, per paragraph:

1. the adjudicator finished it: the adjudicator's version wins ("adjudicated");
2. one annotator finished it: that version ("single");
3. every annotator's version is the same: that version ("agreed");
4. a strict majority of the annotators made the same version: that version ("majority");
5. otherwise the paragraph is flagged ("conflict") and left out of the merged corpus until someone adjudicates it.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from itertools import combinations

from pipeline.scheme import LABELS, Span

# versions[annotator][paragraph key] = that annotator's spans of the paragraph
Versions = dict[str, dict[Hashable, list[Span]]]
RULES = ("adjudicated", "single", "agreed", "majority", "conflict")


def exact_matches(a: Iterable[Span], b: Iterable[Span]) -> int:
    """Spans that both sides have with the same start, end and label."""
    return len({tuple(s) for s in a} & {tuple(s) for s in b})


def overlap_matches(a: Iterable[Span], b: Iterable[Span]) -> int:
    """Pairs of spans with the same label that share a character, each span in at most one pair.

    Within one annotator's version spans do not overlap, so taking spans in text order and pairing each with the
    first free overlapping span of the other side finds the largest such matching.
    """
    free = sorted(tuple(s) for s in b)
    matched = 0
    for start, end, label in sorted(tuple(s) for s in a):
        for i, (s, e, lab) in enumerate(free):
            if lab == label and s < end and start < e:
                del free[i]
                matched += 1
                break
    return matched


def f1(matched: int, n_a: int, n_b: int) -> float | None:
    """``2·matched / (n_a + n_b)``; None when neither side has a span, where agreement is undefined."""
    return 2 * matched / (n_a + n_b) if n_a + n_b else None


def pair_agreement(a: dict[Hashable, list[Span]], b: dict[Hashable, list[Span]], labels: Iterable[str] = LABELS) -> dict:
    """Span F1 of two annotators over the paragraphs both finished: overall and per label, exact and overlap."""
    shared = sorted(set(a) & set(b), key=str)
    counts = {"exact": 0, "overlap": 0, "a": 0, "b": 0}
    per_label = {label: dict.fromkeys(counts, 0) for label in labels}
    for key in shared:
        spans_a, spans_b = a[key], b[key]
        for bucket, sa, sb in [(counts, spans_a, spans_b)] + [
            (per_label[label], [s for s in spans_a if s[2] == label], [s for s in spans_b if s[2] == label]) for label in per_label
        ]:
            bucket["exact"] += exact_matches(sa, sb)
            bucket["overlap"] += overlap_matches(sa, sb)
            bucket["a"] += len(sa)
            bucket["b"] += len(sb)

    def scores(c: dict) -> dict:
        return {
            "exact_f1": f1(c["exact"], c["a"], c["b"]),
            "overlap_f1": f1(c["overlap"], c["a"], c["b"]),
            "spans_a": c["a"],
            "spans_b": c["b"],
        }

    return {"paragraphs": len(shared), **scores(counts), "per_label": {label: scores(c) for label, c in per_label.items()}}


def agreement(versions: Versions, labels: Iterable[str] = LABELS) -> list[dict]:
    """``pair_agreement`` for every pair of annotators, in name order, each with its two names."""
    labels = tuple(labels)
    return [{"a": x, "b": y, **pair_agreement(versions[x], versions[y], labels)} for x, y in combinations(sorted(versions), 2)]


def merge(paragraph_versions: dict[str, list[Span]], adjudicator: str | None = None) -> tuple[list[Span] | None, str]:
    """One paragraph's merged spans and the rule that decided them (see the module's docstring); None on conflict."""
    if adjudicator and adjudicator in paragraph_versions:
        return sorted(paragraph_versions[adjudicator]), "adjudicated"
    annotators = {name: spans for name, spans in paragraph_versions.items() if name != adjudicator}
    if not annotators:
        raise ValueError("no version to merge")
    if len(annotators) == 1:
        return sorted(next(iter(annotators.values()))), "single"
    votes: dict[tuple[Span, ...], int] = {}
    for spans in annotators.values():
        version = tuple(sorted(tuple(s) for s in spans))
        votes[version] = votes.get(version, 0) + 1
    best, n = max(votes.items(), key=lambda item: item[1])
    if n == len(annotators):
        return list(best), "agreed"
    if 2 * n > len(annotators):
        return list(best), "majority"
    return None, "conflict"


def conflicts(versions: Versions, adjudicator: str | None = None) -> list[Hashable]:
    """Paragraphs that annotators finished differently, whatever the merge made of them (adjudicator aside)."""
    keys: dict[Hashable, set[tuple[Span, ...]]] = {}
    for name, paragraphs in versions.items():
        if name == adjudicator:
            continue
        for key, spans in paragraphs.items():
            keys.setdefault(key, set()).add(tuple(sorted(tuple(s) for s in spans)))
    return sorted((key for key, seen in keys.items() if len(seen) > 1), key=str)


def prf(matched: int, predicted: int, gold: int) -> dict:
    """Precision, recall and F1 of ``matched`` spans out of ``predicted`` against ``gold`` (0.0 when undefined)."""
    p = matched / predicted if predicted else 0.0
    r = matched / gold if gold else 0.0
    return {"p": p, "r": r, "f": 2 * p * r / (p + r) if p + r else 0.0}


def prediction_scores(pairs: Iterable[tuple[list[Span], list[Span]]], labels: Iterable[str] = LABELS) -> dict:
    """A model's spans against gold spans, paragraph by paragraph (``(gold, predicted)`` pairs): precision,
    recall and F1, micro and per label, once with exact matching and once with overlap matching (same label,
    a character shared, each span matched at most once: a fair count of "found it, boundary wrong")."""
    labels = tuple(labels)
    keys = ("micro", *labels)
    counts = {key: {"exact": 0, "overlap": 0, "gold": 0, "predicted": 0} for key in keys}
    for gold, predicted in pairs:
        for key in keys:
            g = gold if key == "micro" else [s for s in gold if s[2] == key]
            p = predicted if key == "micro" else [s for s in predicted if s[2] == key]
            c = counts[key]
            c["exact"] += exact_matches(g, p)
            c["overlap"] += overlap_matches(g, p)
            c["gold"] += len(g)
            c["predicted"] += len(p)

    def row(c: dict) -> dict:
        return {**prf(c["exact"], c["predicted"], c["gold"]), "support": c["gold"], "predicted": c["predicted"],
                "overlap": prf(c["overlap"], c["predicted"], c["gold"])}

    return {"micro": row(counts["micro"]), "per_label": {label: row(counts[label]) for label in labels}}
