"""Stage 3: Doccano JSONL → spaCy DocBin files, split by document, every bad span reported."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from sklearn.model_selection import train_test_split
from spacy.language import Language
from spacy.tokens import Doc

from pipeline.components.tokens import blank_nlp
from pipeline.errors import GovnerError
from pipeline.scheme import RecordError, check_record, describe
from pipeline.text.clean import clean
from pipeline.text.files import atomic_output, jsonl_files, read_jsonl
from pipeline.training.docbins import SplitWriter

SPLITS = ("train", "dev", "test")


def record_to_doc(nlp: Language, record: dict, where: str) -> tuple[Doc, list[str]]:
    """A Doc of the cleaned text with the record's spans as entities, and a line for every span that does not fit.

    A span that does not fit is not dropped quietly: its tokens are marked missing, so training neither
    learns it nor learns that its characters are outside an entity.
    """
    try:
        spans, bad, problems = check_record(record, where)
    except RecordError as err:
        raise GovnerError(str(err)) from None
    text = record["text"]
    cleaned = clean(text)
    doc = nlp.make_doc(cleaned.text)
    ents, unsure = [], set()
    for span in spans:
        start, end, label = span
        if tuple(span) in bad:
            if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
                unsure.update(_tokens(doc.char_span(*cleaned.from_original(start, end), alignment_mode="expand")))
            continue
        ent = doc.char_span(*cleaned.from_original(start, end), label=label)
        if ent is None:
            problems.append(f"{where}: span {describe(text, span)} does not fit the token boundaries")
            unsure.update(_tokens(doc.char_span(*cleaned.from_original(start, end), alignment_mode="expand")))
        else:
            ents.append(ent)
    unsure -= {i for ent in ents for i in range(ent.start, ent.end)}
    doc.set_ents(ents, missing=[doc[i : i + 1] for i in sorted(unsure)], default="outside")
    return doc, problems


def _tokens(span) -> range:
    return range(span.start, span.end) if span is not None else range(0)


def split_documents(doc_ids: list[str], dev: float, test: float, seed: int, keep: dict[str, str] | None = None) -> dict[str, str]:
    """Assign whole documents to train/dev/test (seeded), so no document's paragraphs cross splits.

    Documents in ``keep`` (an earlier assignment) stay where they were, so that a corpus that grows never
    moves a test document into training; only the new documents are split, with the same shares.
    """
    kept = {i: s for i, s in (keep or {}).items() if i in set(doc_ids) and s in SPLITS}
    ids = sorted(set(doc_ids) - set(kept))
    if kept and not ids:
        return kept
    n_test, n_dev = round(len(ids) * test), round(len(ids) * dev)
    if test > 0:
        n_test = max(1, n_test)
    if dev > 0:
        n_dev = max(1, n_dev)
    if n_test + n_dev >= len(ids):
        raise GovnerError(f"{len(ids)} documents are too few for a dev share of {dev} and a test share of {test}")
    rest, test_ids = train_test_split(ids, test_size=n_test, random_state=seed) if n_test else (ids, [])
    train_ids, dev_ids = train_test_split(rest, test_size=n_dev, random_state=seed) if n_dev else (rest, [])
    return kept | {i: s for s, part in zip(SPLITS, (train_ids, dev_ids, test_ids)) for i in part}


def earlier_splits(path: Path) -> dict[str, str]:
    """Document → split from a ``splits.json`` that ``convert`` wrote before ({} when there is none)."""
    if not path.exists():
        return {}
    try:
        return {doc: split for split, docs in json.loads(path.read_text(encoding="utf-8")).items() for doc in docs}
    except (ValueError, AttributeError, TypeError) as err:
        raise GovnerError(f"{path}: not a splits file ({err}); delete it or pass --reshuffle") from None


def iter_docs(paths: list[Path]) -> Iterator[tuple[str, Doc, list[str]]]:
    """``(doc_id, Doc, problems)`` for every record of the files, one at a time."""
    nlp = blank_nlp()
    for path in jsonl_files(paths):
        for line, record in read_jsonl(path):
            doc, found = record_to_doc(nlp, record, f"{path}:{line}")
            yield str(record.get("doc_id", path.stem)), doc, found


def refuse_problems(problems: list[str], skip_invalid: bool) -> None:
    if problems and not skip_invalid:
        raise GovnerError(
            f"{problems[0].split(': span')[0]}: {len(problems)} invalid span(s), nothing written "
            "(fix them, or pass --skip-invalid to leave them out as missing annotation)",
            details=problems,
        )


def load_docs(paths: list[Path], skip_invalid: bool = False) -> tuple[list[tuple[str, Doc]], list[str]]:
    """``(doc_id, Doc)`` for every record of the files, and the problems found; fails on any unless skipping."""
    docs, problems = [], []
    for doc_id, doc, found in iter_docs(paths):
        problems.extend(found)
        docs.append((doc_id, doc))
    refuse_problems(problems, skip_invalid)
    return docs, problems


def convert(
    paths: list[Path],
    output_dir: Path,
    dev: float = 0.15,
    test: float = 0.15,
    seed: int = 0,
    skip_invalid: bool = False,
    reshuffle: bool = False,
) -> dict:
    """Write ``train/dev/test.spacy`` and ``splits.json`` to ``output_dir``; return counts per split. Documents
    that an earlier ``splits.json`` in ``output_dir`` assigns keep their split unless ``reshuffle``.

    Two passes over the files, so that no more than one ``Doc`` is held at a time: the first checks every
    record and collects the document ids to split, the second adds each paragraph to its split, which holds at most
    a shard of paragraphs in memory (``training/docbins.py``)."""
    doc_ids, problems = [], []
    for doc_id, _, found in iter_docs(paths):
        doc_ids.append(doc_id)
        problems.extend(found)
    refuse_problems(problems, skip_invalid)
    keep = {} if reshuffle else earlier_splits(output_dir / "splits.json")
    assignment = split_documents(doc_ids, dev, test, seed, keep)
    writers = {split: SplitWriter(output_dir / f"{split}.spacy") for split in SPLITS}
    entities: dict[str, Counter] = {split: Counter() for split in SPLITS}
    try:
        for doc_id, doc, _ in iter_docs(paths):
            split = assignment[doc_id]
            writers[split].add(doc)
            entities[split].update(ent.label_ for ent in doc.ents)
        for writer in writers.values():
            writer.finish()
    finally:
        for writer in writers.values():
            writer.abort()
    splits = {split: sorted(i for i, s in assignment.items() if s == split) for split in SPLITS}
    with atomic_output(output_dir / "splits.json") as f:
        json.dump(splits, f, ensure_ascii=False, indent=2)
    return {
        "splits": {s: {"documents": len(splits[s]), "paragraphs": writers[s].paragraphs, "entities": dict(entities[s])} for s in SPLITS},
        "problems": problems,
        "kept": sum(1 for doc_id in assignment if doc_id in keep),
        "output": str(output_dir),
    }
