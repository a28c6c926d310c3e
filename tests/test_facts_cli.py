"""``govner tag … -o results.duckdb`` and ``govner facts``: thin commands, one-line errors, nothing half-written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app  # every sub-command registered, facts included
from pipeline.components.tokens import blank_nlp
from pipeline.facts.database import query

NAMES = {"晋江市": "GPE", "安踏体育": "ENTERPRISE", "恒安集团": "ENTERPRISE", "全省第一": "RANKING", "安踏体育物流园项目": "PROJECT"}
REPORT = (
    "2023年晋江市政府工作报告\n\n晋江市经济总量居全省第一，安踏体育、恒安集团营收增长。\n\n总投资20亿元的安踏体育物流园项目开工建设。\n"
)

runner = CliRunner()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    """A real, small pipeline: one token per character like the shipped model, names found by an EntityRuler."""
    nlp = blank_nlp()
    nlp.add_pipe("entity_ruler").add_patterns([{"label": label, "pattern": name} for name, label in NAMES.items()])
    path = tmp_path_factory.mktemp("model") / "ruler"
    nlp.to_disk(path)
    return path


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "jinjiang-2023.txt").write_text(REPORT, encoding="utf-8")
    (folder / "jinjiang-2024.txt").write_text(REPORT.replace("2023年", "2024年"), encoding="utf-8")
    return folder


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def test_tag_writes_the_database_and_tagging_again_replaces_rows(tmp_path: Path, reports: Path, model_dir: Path):
    db = tmp_path / "results.duckdb"
    result = invoke("tag", reports, "-m", model_dir, "-o", db, "--no-progress")
    assert result.exit_code == 0, result.output
    sql = "SELECT r.year, k.subject, k.position, k.scope, k.measure FROM rankings k JOIN reports r USING (report_id) ORDER BY r.year"
    assert query(db, sql)["rows"] == [(2023, "晋江市", 1, "全省", "经济总量"), (2024, "晋江市", 1, "全省", "经济总量")]
    assert query(db, "SELECT name, investment_yuan, stage, enterprise FROM projects")["rows"][0] == (
        "安踏体育物流园项目",
        2e9,
        "开工",
        "安踏体育",
    )
    result = invoke("tag", reports / "jinjiang-2024.txt", "-m", model_dir, "-o", db, "--no-progress")
    assert result.exit_code == 0, result.output
    assert query(db, "SELECT count(*), count(DISTINCT report_id) FROM reports")["rows"] == [(2, 2)]
    assert query(db, "SELECT count(*) FROM entities")["rows"] == [(12,)]
    assert query(db, "SELECT canonical, reports, mentions FROM enterprise_groups ORDER BY canonical")["rows"] == [
        ("安踏体育", 2, 2),
        ("恒安集团", 2, 2),
    ]


def test_facts_build_sql_report_and_export(tmp_path: Path, reports: Path, model_dir: Path):
    tags = tmp_path / "tags.jsonl"
    assert invoke("tag", reports, "-m", model_dir, "-o", tags, "--no-progress").exit_code == 0
    db, html = tmp_path / "facts.duckdb", tmp_path / "facts.html"
    result = invoke("facts", "build", tags, "-o", db, "--html", html)
    assert result.exit_code == 0, result.output
    assert "2 reports added" in result.output and html.stat().st_size > 0
    result = invoke("facts", "sql", db, "SELECT canonical, reports FROM enterprise_groups ORDER BY canonical", "--csv")
    assert result.exit_code == 0 and result.output.splitlines() == ["canonical,reports", "安踏体育,2", "恒安集团,2"]
    result = invoke("facts", "report", db, "-o", tmp_path / "again.html")
    assert result.exit_code == 0 and "2 reports" in result.output
    result = invoke("facts", "export", db, "-o", tmp_path / "parquet")
    assert result.exit_code == 0 and (tmp_path / "parquet" / "projects.parquet").is_file()


def test_jsonl_and_database_in_one_pass(tmp_path: Path, reports: Path, model_dir: Path):
    tags, db = tmp_path / "tags.jsonl", tmp_path / "results.duckdb"
    assert invoke("tag", reports, "-m", model_dir, "-o", tags, "-o", db, "--no-progress").exit_code == 0
    records = [json.loads(line) for line in tags.read_text(encoding="utf-8").splitlines()]
    rows = query(db, "SELECT label, start_offset, end_offset FROM entities e JOIN reports r USING (report_id) ORDER BY r.year, e.entity")
    assert rows["rows"] == [(e["label"], e["start"], e["end"]) for r in records for e in r["entities"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("tag", "{reports}", "-m", "{model}", "--format", "duckdb"), "duckdb output needs a file name"),
        (("facts", "build", "{tmp}/missing.jsonl", "-o", "{tmp}/x.duckdb"), "missing.jsonl: no such file or folder"),
        (("facts", "build", "{tmp}/tags.jsonl", "-o", "{tmp}/x.db"), "x.db: the database file must end in .duckdb"),
        (("facts", "sql", "{tmp}/missing.duckdb", "SELECT 1"), "missing.duckdb: no such database"),
        (("facts", "report", "{tmp}/missing.duckdb", "-o", "{tmp}/r.html"), "missing.duckdb: no such database"),
    ],
)
def test_bad_input_is_one_line(tmp_path: Path, reports: Path, model_dir: Path, args: tuple, message: str):
    (tmp_path / "tags.jsonl").write_text('{"source": "a", "text": "abc", "entities": []}\n', encoding="utf-8")
    filled = [a.format(reports=reports, model=model_dir, tmp=tmp_path) for a in args]
    result = runner.invoke(app, filled)
    assert result.exit_code != 0
    assert message in result.output
    assert not (tmp_path / "x.duckdb").exists() and not (tmp_path / "r.html").exists()
