"""Test helper (and its test): a report written with inline entity markup, ``[晋江市|GPE]增速位居[全省第二|RANKING]``, as a record."""

from __future__ import annotations

import re

MARK = re.compile(r"\[([^\[\]|]+)\|([A-Z]+)\]")


def record(marked: str, source: str = "2023年测试市政府工作报告.txt", scores: dict[str, float] | None = None) -> dict:
    """The ``govner tag`` record of a marked-up text: plain text and entities at their offsets."""
    text, entities, last = "", [], 0
    for m in MARK.finditer(marked):
        text += marked[last : m.start()]
        start = len(text)
        text += m.group(1)
        entity = {"start": start, "end": len(text), "label": m.group(2), "text": m.group(1)}
        if scores and m.group(1) in scores:
            entity["score"] = scores[m.group(1)]
        entities.append(entity)
        last = m.end()
    text += marked[last:]
    return {"source": source, "text": text, "entities": entities}


def test_markup_becomes_text_and_offsets():
    made = record("[晋江市|GPE]增速位居[全省第二|RANKING]。", source="a.txt", scores={"晋江市": 0.9})
    assert made["text"] == "晋江市增速位居全省第二。"
    assert [(e["start"], e["end"], e["label"], e.get("score")) for e in made["entities"]] == [(0, 3, "GPE", 0.9), (7, 11, "RANKING", None)]
