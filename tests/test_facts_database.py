"""The facts database: tables as documented, re-tagging replaces rows, a failed batch leaves nothing, bad input is one line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from pipeline.errors import GovnerError
from pipeline.facts.database import COLUMNS, FactsDatabase, export, query, read_records, write_database
from pipeline.facts.inputs import read_tagged

from .test_facts_markup import record

DOCS = Path(__file__).resolve().parent.parent / "docs" / "facts.md"

XIANGYANG = (
    "2023年[襄阳市|GPE]政府工作报告\n\n"
    "全市地区生产总值增长6.4%，总量稳居[全省第二|RANKING]。\n\n"
    "总投资120亿元的[汉江雅口航运枢纽工程|PROJECT]首台机组发电，[比亚迪|ENTERPRISE]、[骆驼集团|ENTERPRISE]扩大产能。"
)
LIUYANG = (
    "2025年[浏阳市|GPE]政府工作报告\n\n"
    "[比亚迪股份有限公司|ENTERPRISE]在浏阳布局的[浏阳储能产业园项目|PROJECT]开工，计划投资30亿元。\n\n"
    "营商环境评价保持[长沙市第一方阵|RANKING]。"
)


def records(tmp_path: Path) -> list[tuple[dict, None]]:
    return [
        (record(XIANGYANG, source=str(tmp_path / "xiangyang.txt"), scores={"比亚迪": 0.91}), None),
        (record(LIUYANG, source=str(tmp_path / "liuyang.txt")), None),
    ]


def rows(db: Path, sql: str) -> list[tuple]:
    return query(db, sql)["rows"]


def test_tables_hold_the_facts_of_each_report(tmp_path: Path):
    db = tmp_path / "facts.duckdb"
    result = write_database(records(tmp_path), db)
    assert result["added"] == 2 and result["reports"] == 2
    assert rows(db, "SELECT name, place, year, n_project, n_enterprise, n_ranking, n_gpe FROM reports ORDER BY name") == [
        ("liuyang", "浏阳市", 2025, 1, 1, 1, 1),
        ("xiangyang", "襄阳市", 2023, 1, 2, 1, 1),
    ]
    assert rows(db, "SELECT count(*) FROM paragraphs") == [(6,)]
    assert rows(db, "SELECT name, score, paragraph FROM entities WHERE label = 'ENTERPRISE' ORDER BY report_id, entity") == [
        ("比亚迪股份有限公司", None, 1),
        ("比亚迪", 0.91, 2),
        ("骆驼集团", None, 2),
    ]
    assert rows(db, "SELECT subject, position, qualitative, scope, measure, year FROM rankings ORDER BY year") == [
        ("襄阳市", 2, None, "全省", "总量", 2023),
        ("浏阳市", None, "第一方阵", "长沙市", "营商环境评价", 2025),
    ]
    assert rows(db, "SELECT name, investment_yuan, investment_kind, stage, place, year FROM projects ORDER BY year") == [
        ("汉江雅口航运枢纽工程", 1.2e10, "total", "投产", "襄阳市", 2023),
        ("浏阳储能产业园项目", 3e9, "planned", "开工", "浏阳市", 2025),
    ]
    assert rows(db, "SELECT canonical, variants, reports, places FROM enterprise_groups ORDER BY group_id") == [
        ("比亚迪股份有限公司", ["比亚迪股份有限公司", "比亚迪"], 2, ["浏阳市", "襄阳市"]),  # a tie: the longer, legal name
        ("骆驼集团", ["骆驼集团"], 1, ["襄阳市"]),
    ]
    offsets = rows(db, "SELECT r.text, e.start_offset, e.end_offset, e.text FROM entities e JOIN reports r USING (report_id)")
    assert all(text[start:end] == span for text, start, end, span in offsets)


def test_tagging_a_report_again_replaces_its_rows(tmp_path: Path):
    db = tmp_path / "facts.duckdb"
    write_database(records(tmp_path), db)
    counts = {table: rows(db, f"SELECT count(*) FROM {table}")[0][0] for table in COLUMNS}
    write_database(records(tmp_path)[:1], db)  # the same report again
    assert {table: rows(db, f"SELECT count(*) FROM {table}")[0][0] for table in COLUMNS} == counts
    changed = record(XIANGYANG.replace("[骆驼集团|ENTERPRISE]", "骆驼集团"), source=str(tmp_path / "xiangyang.txt"))
    write_database([(changed, None)], db)  # tagged again with a different result
    assert rows(db, "SELECT count(*) FROM entities WHERE report_id LIKE '%xiangyang.txt'") == [(4,)]
    assert rows(db, "SELECT canonical FROM enterprise_groups") == [("比亚迪股份有限公司",)]


def test_every_column_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    for table, columns in COLUMNS.items():
        section = text.split(f"### `{table}`")[1].split("###")[0]
        documented = set(re.findall(r"`([a-z_]+)`", section))
        assert {name for name, _ in columns} <= documented, table


def test_a_failed_batch_leaves_no_new_database(tmp_path: Path):
    db = tmp_path / "facts.duckdb"

    def failing():
        yield records(tmp_path)[0]
        raise GovnerError("stopped")

    with pytest.raises(GovnerError):
        write_database(failing(), db)
    assert not db.exists() and not db.with_name("facts.duckdb.wal").exists()


def test_a_failed_batch_leaves_an_existing_database_as_it_was(tmp_path: Path):
    db = tmp_path / "facts.duckdb"
    write_database(records(tmp_path), db)
    before = rows(db, "SELECT report_id, text FROM reports ORDER BY report_id")

    def failing():
        yield record(XIANGYANG.replace("总量", "规模"), source=str(tmp_path / "xiangyang.txt")), None
        raise GovnerError("stopped")

    with pytest.raises(GovnerError):
        write_database(failing(), db)
    assert rows(db, "SELECT report_id, text FROM reports ORDER BY report_id") == before


def test_bad_databases_are_one_line_errors(tmp_path: Path):
    not_db = tmp_path / "notes.duckdb"
    not_db.write_text("not a database", encoding="utf-8")
    with pytest.raises(GovnerError, match=r"notes\.duckdb: cannot open as a DuckDB database"):
        FactsDatabase(not_db)
    with pytest.raises(GovnerError, match=r"missing\.duckdb: no such database"):
        query(tmp_path / "missing.duckdb", "SELECT 1")
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).execute("CREATE TABLE t (x INT)").close()
    with pytest.raises(GovnerError, match="not a govner facts database"):
        query(other, "SELECT 1")
    db = tmp_path / "facts.duckdb"
    write_database(records(tmp_path), db)
    with pytest.raises(GovnerError, match=r"facts\.duckdb: .*no_such_table"):
        query(db, "SELECT * FROM no_such_table")
    con = duckdb.connect(str(db))
    con.execute("UPDATE govner_meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(GovnerError, match="schema 99"):
        FactsDatabase(db)


def test_export_and_read_back(tmp_path: Path):
    db = tmp_path / "facts.duckdb"
    write_database(records(tmp_path), db)
    files = export(db, tmp_path / "parquet")["files"]
    assert sorted(Path(f).name for f in files) == sorted(f"{table}.parquet" for table in COLUMNS)
    con = duckdb.connect()
    assert con.execute(f"SELECT count(*) FROM '{tmp_path / 'parquet' / 'rankings.parquet'}'").fetchone() == (2,)
    back = list(read_records(db))
    assert [(r["source"], len(r["entities"])) for r in back] == [(str(tmp_path / "liuyang.txt"), 4), (str(tmp_path / "xiangyang.txt"), 5)]
    assert {e.get("score") for e in back[1]["entities"]} == {None, 0.91}


def test_inputs_from_tag_jsonl_and_from_annotated_paragraphs(tmp_path: Path):
    tagged = tmp_path / "tags.jsonl"
    tagged.write_text(json.dumps(records(tmp_path)[0][0], ensure_ascii=False) + "\n", encoding="utf-8")
    annotated = tmp_path / "gold.jsonl"
    paragraphs = [
        {"text": "2023年襄阳市政府工作报告", "label": [[5, 8, "GPE"]], "doc_id": "xy", "offset": 0},
        {"text": "总量稳居全省第二。", "label": [[4, 8, "RANKING"]], "doc_id": "xy", "offset": 16},
    ]
    annotated.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in paragraphs), encoding="utf-8")
    found = list(read_tagged([tagged, annotated]))
    assert [key for _, key in found] == [None, "xy"]
    gold = found[1][0]
    assert gold["text"] == "2023年襄阳市政府工作报告\n\n总量稳居全省第二。"
    assert [(e["start"], e["text"]) for e in gold["entities"]] == [(5, "襄阳市"), (20, "全省第二")]
    db = tmp_path / "gold.duckdb"
    write_database(found, db)
    assert rows(db, "SELECT report_id, subject, position FROM rankings ORDER BY report_id") == [
        (str((tmp_path / "xiangyang.txt").resolve()), "襄阳市", 2),
        ("xy", "襄阳市", 2),
    ]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"source": "a", "text": "abc", "entities": [{"start": 0, "end": 5, "label": "GPE"}]}', "outside the text"),
        ('{"source": "a", "text": "abc", "entities": [{"start": 0, "end": 2, "label": "GPE", "text": "xy"}]}', "the text there is 'ab'"),
        ('{"hello": 1}', "neither a govner tag record"),
        ("[1, 2]", "expected a JSON object"),
    ],
)
def test_bad_input_lines_are_named(tmp_path: Path, line: str, problem: str):
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(GovnerError, match=rf"bad\.jsonl:1: .*{re.escape(problem)}"):
        list(read_tagged([path]))
