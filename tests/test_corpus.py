import json
from pathlib import Path

import pytest

from pipeline.annotation.corpus import build, check, inconsistencies, prose_problems, scheme_problems, stats
from pipeline.annotation.markup import MarkupError, parse_markup
from pipeline.errors import GovnerError

HEADER = "# doc_id: {id}\n# title: 报告\n# province: 福建\n# level: county\n# kind: newspaper\n# style: clean\n# year: 2024\n\n"


def write_src(folder: Path, doc_id: str, body: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{doc_id}.txt").write_text(HEADER.format(id=doc_id) + body, encoding="utf-8")


def test_markup_offsets_point_at_the_text():
    text, spans = parse_markup("[[晋江市|GPE]]增速位居[[全省第二|RANKING]]。")
    assert text == "晋江市增速位居全省第二。"
    assert [text[s:e] for s, e, _ in spans] == ["晋江市", "全省第二"]
    with pytest.raises(MarkupError, match="unknown label"):
        parse_markup("[[晋江市|PLACE]]")
    with pytest.raises(MarkupError, match="punctuation"):
        parse_markup("[[晋江市，|GPE]]")


def test_build_writes_jsonl_and_raw_that_agree(tmp_path: Path):
    write_src(tmp_path / "src", "d1", "[[德化县|GPE]]陶瓷产业增长。\n\n[[顺美陶瓷|ENTERPRISE]]投产。\n")
    build(tmp_path / "src", tmp_path)
    rows = [json.loads(x) for x in (tmp_path / "annotated" / "d1.jsonl").read_text(encoding="utf-8").splitlines()]
    raw = (tmp_path / "raw" / "d1.txt").read_text(encoding="utf-8")
    assert [r["para_index"] for r in rows] == [0, 1]
    for r in rows:
        assert raw[r["offset"] : r["offset"] + len(r["text"])] == r["text"]
        assert r["province"] == "福建" and "id" not in r
    assert check(tmp_path / "annotated")["paragraphs"] == 2


def test_check_flags_inconsistent_labels_and_unlabelled_names(tmp_path: Path):
    body = "[[德化县|GPE]]陶瓷产业增长。\n\n[[德化县|ORG]]出台政策。\n\n德化县新增企业。\n\n“德化县”品牌发布。\n"
    write_src(tmp_path / "src", "d1", body)
    build(tmp_path / "src", tmp_path)
    warnings = check(tmp_path / "annotated")["warnings"]
    assert any("'德化县' is ORG here, GPE" in w and "d1.jsonl:2" in w for w in warnings)
    unlabelled = [w for w in warnings if "unlabelled" in w]
    assert len(unlabelled) == 1 and "d1.jsonl:3" in unlabelled[0]  # the quoted one is a slogan, not a miss


def test_check_fails_on_a_broken_span_with_file_and_line(tmp_path: Path):
    path = tmp_path / "annotated" / "x.jsonl"
    path.parent.mkdir()
    rows = [{"text": "晋江市。", "label": [[0, 3, "GPE"]]}, {"text": "石狮市。", "label": [[0, 4, "GPE"]]}]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(GovnerError) as err:
        check(path)
    lines = [str(err.value), *err.value.details]
    assert any(f"{path}:2: span [0, 4, GPE]" in d and "punctuation" in d for d in lines)


def test_prose_checks_find_repeats():
    rows = [
        ("a:1", {"text": "全年新增规上工业企业一百二十家，工业投资增长百分之十五。"}),
        ("b:1", {"text": "全年新增规上工业企业一百二十家，工业投资增长百分之十五。"}),
        ("c:1", {"text": "完全不同的一段话，讲的是乡村振兴和农业农村现代化建设。"}),
    ]
    found = prose_problems(rows)
    assert any("b:1: sentence" in w and "a:1" in w for w in found)
    assert any("a:1: shares" in w and "b:1" in w for w in found)
    assert not any("c:1" in w for w in found)
    assert inconsistencies([("a:1", {"text": "晋江", "label": []})]) == []


def test_stats_counts_labels_and_documents(tmp_path: Path):
    write_src(tmp_path / "src", "d1", "[[德化县|GPE]]增速位居[[全省第二|RANKING]]。\n")
    write_src(tmp_path / "src", "d2", "[[石狮市|GPE]]出口增长。\n")
    build(tmp_path / "src", tmp_path)
    result = stats(tmp_path / "annotated")
    assert result["documents"] == 2 and result["entities"] == 3
    assert result["per_label"]["GPE"] == 2 and result["per_label"]["RANKING"] == 1
    assert result["provinces"] == {"福建": 2}


def test_check_warns_on_what_scheme_v1_1_decided():
    def row(marked: str) -> tuple[str, dict]:
        text, spans = parse_markup(marked)
        return ("f:1", {"text": text, "label": spans})

    cases = {
        "增速位居全省[[第二|RANKING]]。": "leaves out the scope",
        "——2024年1月9日在[[神木市|GPE]]第十九届人民代表大会第四次会议上": "congress with its place is one ORG",
        "[[市发改委|ORG]]牵头推进。": "level word alone",
        "加快[[兴泉铁路、福厦高铁|PROJECT]]建设。": "its own PROJECT",
        "位居[[全国百强县工业第12、营商环境第9|RANKING]]。": "one span each",
        "推进[[福州大学先进制|ORG]]\n造学院建设和人才培养工作，": "head word (scheme",
    }
    for marked, expected in cases.items():
        found = scheme_problems([row(marked)])
        assert len(found) == 1 and expected in found[0], (marked, found)
    fine = [
        "增速位居[[全省第二|RANKING]]。",
        "——2024年1月9日在[[神木市第十九届人民代表大会|ORG]]第四次会议上",
        "[[神木市发展和改革局|ORG]]牵头推进。",
        "居[[泉州各县（市、区）首位|RANKING]]。",
        "推进[[福州大学先进制\n造学院|ORG]]建设和人才培养工作，",
        "[[晋江市|GPE]]\n政府工作报告和人才培养工作，",
    ]
    assert scheme_problems([row(m) for m in fine]) == []


def test_a_complete_name_before_a_line_break_is_not_flagged():
    text, spans = parse_markup("[[河南港务集团有限公司|ENTERPRISE]]\n和格力电器有限公司，")
    assert scheme_problems([("f:1", {"text": text, "label": spans})]) == []
