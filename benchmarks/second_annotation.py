"""Agreement between the corpus and a blind second annotation of a sample of its paragraphs.

``corpus/second-annotation/*.txt`` holds paragraphs annotated a second time by an annotator who saw only the
plain text, the scheme and the guidelines: each block is ``### <doc_id> <para_index>`` and the paragraph in
the authoring markup (``[[晋江市|GPE]]``). This script checks that each block's text is the corpus paragraph's
text exactly, then prints span F1 between the two versions, exact and overlap, overall and per label
(``pipeline.annotation.agreement.pair_agreement``), and how many documents the sample comes from:

    .venv/bin/python benchmarks/second_annotation.py
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from pipeline.annotation.agreement import pair_agreement
from pipeline.annotation.markup import parse_markup
from pipeline.scheme import spans_of

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"^### (\S+) (\d+)\n", re.M)


def versions(path: Path) -> tuple[dict, dict]:
    """``(corpus, second)``: paragraph key → spans, for every block of one batch of the second annotation."""
    corpus, second = {}, {}
    parts = BLOCK.split(path.read_text(encoding="utf-8"))[1:]
    for doc_id, index, marked in zip(parts[::3], parts[1::3], parts[2::3]):
        text, spans = parse_markup(marked.rstrip("\n"), f"{path} {doc_id} {index}")
        rows = (ROOT / "corpus" / "annotated" / f"{doc_id}.jsonl").read_text(encoding="utf-8").splitlines()
        record = json.loads(rows[int(index)])
        if record["text"] != text:
            sys.exit(f"{path}: {doc_id} paragraph {index}: the text differs from the corpus")
        corpus[(doc_id, int(index))] = spans_of(record)
        second[(doc_id, int(index))] = [tuple(s) for s in spans]
    return corpus, second


def summary(corpus: dict, second: dict) -> tuple[str, dict]:
    result = pair_agreement(corpus, second)
    line = (f"{result['paragraphs']} paragraphs of {len({doc for doc, _ in corpus})} documents, {result['spans_a']} spans in the corpus, "
            f"{result['spans_b']} in the second annotation: exact F1 {result['exact_f1']:.3f}, overlap F1 {result['overlap_f1']:.3f}")
    return line, result


def main() -> None:
    batches = {path.name: versions(path) for path in sorted((ROOT / "corpus" / "second-annotation").glob("*.txt"))}
    corpus = {key: spans for pair in batches.values() for key, spans in pair[0].items()}
    second = {key: spans for pair in batches.values() for key, spans in pair[1].items()}
    line, result = summary(corpus, second)
    print(line)
    for label, s in result["per_label"].items():
        print(f"  {label}: exact {s['exact_f1'] or 0:.3f}, overlap {s['overlap_f1'] or 0:.3f} ({s['spans_a']} / {s['spans_b']} spans)")
    for name, pair in batches.items():  # each batch was drawn from the documents of its time
        print(f"{name}: {summary(*pair)[0]}")


if __name__ == "__main__":
    main()
