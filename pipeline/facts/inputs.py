"""Tagged reports from files: ``govner tag`` JSONL, or annotated Doccano JSONL put back together into documents.

Why: ``govner facts build`` turns tagging done earlier (or annotations, for gold-standard facts) into a database
without tagging again. Contract: a JSONL line is either a ``govner tag`` record (``{"source", "text",
"entities"}``, entities ``{"start", "end", "label", "text"}``, optional ``"score"``) or a Doccano paragraph of the
corpus shape (``{"text", "label", "doc_id", "offset"}``: ``offset`` is where the paragraph starts in its document);
paragraphs of one ``doc_id`` become one record, gaps filled with line breaks. A record whose spans do not fit its
text is an error naming file and line.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pipeline.errors import GovnerError
from pipeline.scheme import spans_of
from pipeline.text.files import jsonl_files, read_jsonl


def _check_record(path: Path, n: int, record: dict) -> dict:
    text, entities = record.get("text"), record.get("entities")
    if not isinstance(text, str) or not isinstance(entities, list):
        raise GovnerError(f"{path}:{n}: a govner tag record needs 'text' (a string) and 'entities' (a list)")
    for e in entities:
        if not isinstance(e, dict) or not {"start", "end", "label"} <= set(e):
            raise GovnerError(f"{path}:{n}: an entity needs start, end and label, got {e!r}")
        if not (isinstance(e["start"], int) and isinstance(e["end"], int) and 0 <= e["start"] < e["end"] <= len(text)):
            raise GovnerError(f"{path}:{n}: entity {e['start']}:{e['end']} is outside the text ({len(text)} characters)")
        if "text" in e and text[e["start"] : e["end"]] != e["text"]:
            found = text[e["start"] : e["end"]]
            raise GovnerError(f"{path}:{n}: entity {e['start']}:{e['end']} says {e['text']!r}, the text there is {found!r}")
    return {
        "source": str(record.get("source") or f"{path}:{n}"),
        "text": text,
        "entities": [{**e, "text": text[e["start"] : e["end"]]} for e in entities],
    }


def _is_doccano(record: dict) -> bool:
    return "doc_id" in record and "offset" in record and "text" in record


def _document(doc_id: str, paragraphs: list[tuple[Path, int, dict]]) -> dict:
    """One document from its paragraphs, each at its offset."""
    text, entities = "", []
    for path, n, para in sorted(paragraphs, key=lambda p: p[2]["offset"]):
        offset = para["offset"]
        if not isinstance(offset, int) or offset < len(text):
            raise GovnerError(f"{path}:{n}: paragraph of {doc_id} at offset {offset!r} overlaps the one before it")
        text += "\n" * (offset - len(text)) + para["text"]
        try:
            spans = spans_of(para)
        except ValueError as err:
            raise GovnerError(f"{path}:{n}: {err}") from None
        for start, end, label in spans:
            if not 0 <= start < end <= len(para["text"]):
                raise GovnerError(f"{path}:{n}: span {start}:{end} is outside the paragraph")
            entities.append({"start": offset + start, "end": offset + end, "label": label})
    entities.sort(key=lambda e: (e["start"], e["end"]))
    return {"source": doc_id, "text": text, "entities": [{**e, "text": text[e["start"] : e["end"]]} for e in entities]}


def read_tagged(paths: list[Path]) -> Iterator[tuple[dict, str | None]]:
    """``(record, key)`` for every report in the JSONL files (and folders of them) given: ``key`` is the doc_id of an
    annotated document, None for a ``govner tag`` record (its key is its source path)."""
    for path in jsonl_files(paths):
        documents: dict[str, list[tuple[Path, int, dict]]] = {}
        for n, record in read_jsonl(path):
            if _is_doccano(record):
                documents.setdefault(str(record["doc_id"]), []).append((path, n, record))
            elif "entities" in record and "text" in record and not documents:
                yield _check_record(path, n, record), None
            else:
                raise GovnerError(
                    f"{path}:{n}: neither a govner tag record (source, text, entities) "
                    "nor an annotated paragraph (text, label, doc_id, offset)"
                )
        for doc_id, paragraphs in documents.items():
            yield _document(doc_id, paragraphs), doc_id
