"""Choosing the paragraphs to annotate next: pure choice with hand-worked scores, then `govner select` with the
shipped model on report files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import pipeline
from pipeline.annotation.selection import choose, select, similarity, text_key, trigrams, uncertainty
from pipeline.cli import app
from pipeline.errors import GovnerError

RECORDS = [{"text": t} for t in ("甲乙丙丁戊", "甲乙丙丁戊己", "庚辛壬癸子", "丑寅卯辰巳", "午未申酉戌")]


def test_highest_scores_first_without_repeats_near_duplicates_or_excluded():
    scores = [0.9, 0.8, 0.7, 0.6, 0.5]
    # 甲乙丙丁戊己 shares 3 of 4 trigrams with 甲乙丙丁戊: similarity 3/4 >= 0.5, a near-duplicate
    assert similarity(trigrams(RECORDS[0]["text"]), trigrams(RECORDS[1]["text"])) == 0.75
    assert choose(RECORDS, 3, scores) == [0, 2, 3]
    assert choose(RECORDS, 3, scores, diverse=False) == [0, 1, 2]
    assert choose(RECORDS, 3, scores, exclude={text_key("甲乙 丙丁\n戊")}) == [1, 2, 3]  # known whatever its whitespace
    assert choose([*RECORDS, {"text": "庚辛壬癸子"}], 9, [*scores, 1.0]) == [5, 0, 3, 4]  # a repeated text once
    shuffled = choose(RECORDS, 5, None, diverse=False, seed=1)  # no scores: a seeded shuffle
    assert shuffled == choose(RECORDS, 5, None, diverse=False, seed=1) and sorted(shuffled) == [0, 1, 2, 3, 4]


def test_uncertainty_is_higher_where_the_shipped_model_hesitates():
    tagger = pipeline.load()
    plain = "今年以来全县经济运行总体平稳，各项工作有序推进。"
    names = "推进瓦窑沟至杏林湾快速路、南岭东片区城市更新、鹭岛澜庭二期及翔鹭新材料等项目。"
    assert 0 <= uncertainty(tagger, plain) < uncertainty(tagger, names)


def reports(folder: Path) -> Path:
    folder.mkdir()
    (folder / "a.txt").write_text(
        "今年以来全县经济运行总体平稳。\n\n推进瓦窑沟至杏林湾快速路、南岭东片区城市更新、鹭岛澜庭二期等项目。\n\n"
        "县政府召开常务会议研究部署安全生产工作。\n\n翔鹭新材料、闽龙化纤签约落地，华辰光电扩产。\n", encoding="utf-8")
    return folder


def test_select_writes_the_most_uncertain_paragraphs_with_suggestions_and_never_twice(tmp_path: Path):
    folder = reports(tmp_path / "reports")
    first = select([str(folder)], tmp_path / "b1.jsonl", n=2, exclude=[])
    rows = [json.loads(line) for line in (tmp_path / "b1.jsonl").read_text(encoding="utf-8").splitlines()]
    assert first["selected"] == 2 and first["paragraphs"] == 4 and len(rows) == 2
    assert rows[0]["uncertainty"] >= rows[1]["uncertainty"]
    text = (folder / "a.txt").read_text(encoding="utf-8")
    for row in rows:  # offsets into the report, suggestions inside the paragraph
        assert text[row["offset"] : row["offset"] + len(row["text"])] == row["text"]
        assert all(0 <= s < e <= len(row["text"]) for s, e, _ in row["label"])
    second = select([str(folder)], tmp_path / "b2.jsonl", n=5, exclude=[tmp_path / "b1.jsonl"])
    again = [json.loads(line)["text"] for line in (tmp_path / "b2.jsonl").read_text(encoding="utf-8").splitlines()]
    assert second["annotated_already"] == 2 and len(again) == 2 and not {r["text"] for r in rows} & set(again)
    with pytest.raises(GovnerError, match="nothing to select"):
        select([str(folder)], tmp_path / "b3.jsonl", n=5, exclude=[tmp_path / "b1.jsonl", tmp_path / "b2.jsonl"])
    assert not (tmp_path / "b3.jsonl").exists()


def test_select_command_line(tmp_path: Path):
    folder = reports(tmp_path / "reports")
    out = tmp_path / "batch.jsonl"
    result = CliRunner().invoke(app, ["select", str(folder), "-n", "3", "-o", str(out), "--select", "random", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3 and "3 paragraphs of 4 selected" in result.output
    bad = CliRunner().invoke(app, ["select", str(folder), "-n", "3", "-o", str(out), "--select", "loudest"])
    assert bad.exit_code == 1 and "--select 'loudest': choose from uncertain, random" in bad.output
