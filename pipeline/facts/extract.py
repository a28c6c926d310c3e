"""The facts of one tagged report: its row, paragraphs, entities, rankings and project facts, as plain dicts.

Why: the database, the HTML report and the benchmark all need the same facts from the same record, computed once
and in one place. Contract: ``report_facts(record)`` takes a record of ``govner tag``'s JSONL contract
(``{"source", "text", "entities"}``, entities ``{"start", "end", "label", "text"}`` with an optional ``"score"``) and
returns ``{"report", "paragraphs", "entities", "rankings", "projects"}``; offsets are into the record's ``text``.
Rows that name an entity carry its index in the record's ``entities`` list.
"""

from __future__ import annotations

import bisect
from pathlib import Path

from pipeline.annotation.ingest import split_paragraphs
from pipeline.facts.context import Context, name_of
from pipeline.facts.projects import project_facts
from pipeline.facts.rankings import ranking_facts


def report_id(source: str) -> str:
    """The key of a report in the database: its path made absolute, so tagging it again replaces its rows."""
    return Path(source).expanduser().resolve().as_posix() if source else ""


def report_facts(record: dict, key: str | None = None) -> dict:
    """Every fact of one report (see the module docstring); ``key`` overrides the report id."""
    ctx = Context(record)
    rid = key if key is not None else report_id(ctx.source)
    paragraphs = [
        {"report_id": rid, "paragraph": i, "start_offset": start, "end_offset": start + len(text), "text": text}
        for i, (start, text) in enumerate(split_paragraphs(record["text"]))
    ]
    para_starts = [p["start_offset"] for p in paragraphs]
    entities = []
    for i, e in enumerate(record["entities"]):
        score = e.get("score")
        entities.append(
            {
                "report_id": rid,
                "entity": i,
                "paragraph": max(bisect.bisect_right(para_starts, e["start"]) - 1, 0) if paragraphs else None,
                "label": e["label"],
                "text": e["text"],
                "name": name_of(e["text"]),
                "start_offset": e["start"],
                "end_offset": e["end"],
                "score": float(score) if score is not None else None,
            }
        )
    rankings, projects = [], []
    by_sentence: dict[tuple[int, int], list[dict]] = {}
    for ent in ctx.entities:
        if ent.label == "RANKING":
            sentence = ctx.sentence(ent.start)
            earlier = by_sentence.setdefault(sentence, [])
            facts = ranking_facts(ctx, ent, earlier)
            earlier.append(facts)
            rankings.append(_row(rid, ent.index, record, {**facts, "year": ctx.year, "sentence": ctx.sentence_text(ent.start)}))
        elif ent.label == "PROJECT":
            projects.append(_row(rid, ent.index, record, {**project_facts(ctx, ent), "sentence": ctx.sentence_text(ent.start)}))
    counts = {label: sum(e["label"] == label for e in record["entities"]) for label in {e["label"] for e in record["entities"]}}
    report = {
        "report_id": rid,
        "source": ctx.source,
        "name": Path(ctx.source).stem if ctx.source else rid,
        "place": ctx.place,
        "year": ctx.year,
        "characters": len(record["text"]),
        "entities": len(record["entities"]),
        "counts": counts,
        "text": record["text"],
    }
    return {"report": report, "paragraphs": paragraphs, "entities": entities, "rankings": rankings, "projects": projects}


def _row(rid: str, index: int, record: dict, facts: dict) -> dict:
    e = record["entities"][index]
    return {"report_id": rid, "entity": index, "text": e["text"], "name": name_of(e["text"]), **facts}
