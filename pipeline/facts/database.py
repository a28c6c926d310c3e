"""The facts database: reports, paragraphs, entities, rankings, project facts and enterprise groups in DuckDB.

Why: researchers ask questions across many reports (top enterprises by reports, projects by stage and investment
per place, a place's rankings by year); an embedded database answers them in SQL without a server. Contract
(``docs/facts.md`` documents every column): one file, the tables of ``COLUMNS``; a report's rows are keyed by
``report_id`` (its path made absolute), so tagging a report again replaces its rows and never duplicates them;
enterprise groups are recomputed over the whole database whenever reports are added. A batch is one transaction:
if it fails, the database is as it was (and a new file is removed). ``export`` writes every table as Parquet.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import duckdb

from pipeline.errors import GovnerError
from pipeline.facts.enterprises import core_name, group_enterprises
from pipeline.facts.extract import report_facts

SCHEMA_VERSION = "1"
LABEL_COLUMNS = {"PROJECT": "n_project", "ENTERPRISE": "n_enterprise", "RANKING": "n_ranking", "ORG": "n_org", "GPE": "n_gpe"}

# table → [(column, type)]; every column is described in docs/facts.md
COLUMNS: dict[str, list[tuple[str, str]]] = {
    "reports": [
        ("report_id", "VARCHAR"),
        ("source", "VARCHAR"),
        ("name", "VARCHAR"),
        ("place", "VARCHAR"),
        ("year", "INTEGER"),
        ("characters", "INTEGER"),
        ("entities", "INTEGER"),
        *((column, "INTEGER") for column in LABEL_COLUMNS.values()),
        ("tagged_at", "TIMESTAMP"),
        ("text", "VARCHAR"),
    ],
    "paragraphs": [
        ("report_id", "VARCHAR"),
        ("paragraph", "INTEGER"),
        ("start_offset", "INTEGER"),
        ("end_offset", "INTEGER"),
        ("text", "VARCHAR"),
    ],
    "entities": [
        ("report_id", "VARCHAR"),
        ("entity", "INTEGER"),
        ("paragraph", "INTEGER"),
        ("label", "VARCHAR"),
        ("text", "VARCHAR"),
        ("name", "VARCHAR"),
        ("start_offset", "INTEGER"),
        ("end_offset", "INTEGER"),
        ("score", "DOUBLE"),
    ],
    "rankings": [
        ("report_id", "VARCHAR"),
        ("entity", "INTEGER"),
        ("text", "VARCHAR"),
        ("name", "VARCHAR"),
        ("position", "INTEGER"),
        ("top", "INTEGER"),
        ("tier", "INTEGER"),
        ("qualitative", "VARCHAR"),
        ("scope", "VARCHAR"),
        ("peers", "VARCHAR"),
        ("list_name", "VARCHAR"),
        ("measure", "VARCHAR"),
        ("measure_kind", "VARCHAR"),
        ("subject", "VARCHAR"),
        ("subject_label", "VARCHAR"),
        ("subject_source", "VARCHAR"),
        ("year", "INTEGER"),
        ("sentence", "VARCHAR"),
    ],
    "projects": [
        ("report_id", "VARCHAR"),
        ("entity", "INTEGER"),
        ("text", "VARCHAR"),
        ("name", "VARCHAR"),
        ("investment_yuan", "DOUBLE"),
        ("investment_kind", "VARCHAR"),
        ("investment_text", "VARCHAR"),
        ("capacity_value", "DOUBLE"),
        ("capacity_unit", "VARCHAR"),
        ("capacity_text", "VARCHAR"),
        ("stage", "VARCHAR"),
        ("stage_text", "VARCHAR"),
        ("place", "VARCHAR"),
        ("place_source", "VARCHAR"),
        ("enterprise", "VARCHAR"),
        ("enterprise_source", "VARCHAR"),
        ("year", "INTEGER"),
        ("sentence", "VARCHAR"),
    ],
    "enterprise_groups": [
        ("group_id", "INTEGER"),
        ("canonical", "VARCHAR"),
        ("variants", "VARCHAR[]"),
        ("reports", "INTEGER"),
        ("mentions", "INTEGER"),
        ("places", "VARCHAR[]"),
        ("report_ids", "VARCHAR[]"),
    ],
    "enterprise_mentions": [
        ("report_id", "VARCHAR"),
        ("entity", "INTEGER"),
        ("name", "VARCHAR"),
        ("core", "VARCHAR"),
        ("group_id", "INTEGER"),
    ],
}
REPORT_TABLES = ("reports", "paragraphs", "entities", "rankings", "projects")


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path))
    except (duckdb.Error, OSError) as err:
        raise GovnerError(f"{path}: cannot open as a DuckDB database ({str(err).splitlines()[0]})") from None


def _check_version(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    found = con.execute("SELECT value FROM govner_meta WHERE key = 'schema_version'").fetchone()
    if found and found[0] != SCHEMA_VERSION:
        raise GovnerError(f"{path}: a govner facts database of schema {found[0]}, this govner writes schema {SCHEMA_VERSION}")


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    """Insert rows column by column (one statement, not one per row: DuckDB's executemany is slow)."""
    if not rows:
        return
    columns = COLUMNS[table]
    selects = ", ".join(f"unnest(${i + 1}::{kind}[])" for i, (_, kind) in enumerate(columns))
    values = [[row.get(name) for row in rows] for name, _ in columns]
    con.execute(f"INSERT INTO {table} SELECT {selects}", values)


class FactsDatabase:
    """A facts database open for one batch: ``add`` reports, then ``finish`` (commit) or ``abort`` (roll back)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if self.path.exists() and not self.path.is_file():
            raise GovnerError(f"{self.path}: not a file")
        self.existed = self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.con = _connect(self.path)
        try:
            self.con.execute("CREATE TABLE IF NOT EXISTS govner_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
            _check_version(self.con, self.path)
            self.con.execute("INSERT OR IGNORE INTO govner_meta VALUES ('schema_version', ?)", [SCHEMA_VERSION])
            for table, columns in COLUMNS.items():
                body = ", ".join(f'"{name}" {kind}' for name, kind in columns)
                self.con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({body})")
            self.con.begin()
        except BaseException:
            self.con.close()
            raise
        self.added = 0

    def add(self, facts: dict) -> None:
        """Write one report's facts (from ``report_facts``), replacing any earlier rows of the same report."""
        rid = facts["report"]["report_id"]
        for table in (*REPORT_TABLES, "enterprise_mentions"):
            self.con.execute(f"DELETE FROM {table} WHERE report_id = ?", [rid])
        report = dict(facts["report"])
        for label, column in LABEL_COLUMNS.items():
            report[column] = report["counts"].get(label, 0)
        report["tagged_at"] = dt.datetime.now().replace(microsecond=0)
        _insert(self.con, "reports", [report])
        for table in ("paragraphs", "entities", "rankings", "projects"):
            _insert(self.con, table, facts[table])
        self.added += 1

    def regroup(self) -> int:
        """Group the ENTERPRISE mentions of every report in the database again; return the number of groups."""
        rows = self.con.execute(
            "SELECT e.report_id, e.entity, e.name, r.place FROM entities e JOIN reports r USING (report_id) "
            "WHERE e.label = 'ENTERPRISE' ORDER BY e.report_id, e.entity"
        ).fetchall()
        mentions = [{"report_id": r[0], "entity": r[1], "name": r[2], "place": r[3]} for r in rows]
        groups, of_mention = group_enterprises(mentions)
        self.con.execute("DELETE FROM enterprise_groups")
        self.con.execute("DELETE FROM enterprise_mentions")
        _insert(self.con, "enterprise_groups", groups)
        _insert(
            self.con,
            "enterprise_mentions",
            [{**m, "core": core_name(m["name"]), "group_id": g} for m, g in zip(mentions, of_mention)],
        )
        return len(groups)

    def finish(self) -> dict:
        """Regroup enterprises, commit and close; return counts."""
        try:
            groups = self.regroup()
            self.con.commit()
            reports = self.con.execute("SELECT count(*) FROM reports").fetchone()[0]
        except BaseException:
            self.abort()
            raise
        self.con.close()
        return {"added": self.added, "reports": reports, "enterprise_groups": groups, "output": str(self.path)}

    def abort(self) -> None:
        """Roll back the batch and close; a database file this batch created is removed."""
        with contextlib.suppress(duckdb.Error):
            self.con.rollback()
        self.con.close()
        if not self.existed:
            for leftover in (self.path, self.path.with_name(self.path.name + ".wal")):
                leftover.unlink(missing_ok=True)


class DuckDbWriter:
    """``govner tag … -o results.duckdb``: a writer of ``pipeline.tagging.formats`` that puts each tagged report's facts
    into the database as it comes."""

    def __init__(self, path: Path, summary=None) -> None:
        self.db = FactsDatabase(path)

    def write(self, record: dict) -> None:
        self.db.add(report_facts(record))

    def finish(self) -> None:
        self.db.finish()

    def abort(self) -> None:
        self.db.abort()


def write_database(records: Iterable[tuple[dict, str | None]], output: Path) -> dict:
    """Facts of records ``(record, key or None)`` into the database at ``output``; return counts."""
    db = FactsDatabase(output)
    try:
        for record, key in records:
            db.add(report_facts(record, key))
    except BaseException:
        db.abort()
        raise
    return db.finish()


def open_existing(path: Path, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """A connection to a facts database that must exist."""
    if not path.is_file():
        raise GovnerError(f"{path}: no such database")
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except (duckdb.Error, OSError) as err:
        raise GovnerError(f"{path}: cannot open as a DuckDB database ({str(err).splitlines()[0]})") from None
    try:
        tables = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if "govner_meta" not in tables:
            raise GovnerError(f"{path}: not a govner facts database (no govner_meta table)")
        _check_version(con, path)
    except BaseException:
        con.close()
        raise
    return con


def query(path: Path, sql: str) -> dict:
    """Run one SQL statement on a facts database (read-only); return ``{"columns", "rows"}``."""
    con = open_existing(path)
    try:
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description or []]
        rows = cursor.fetchall() if columns else []
    except duckdb.Error as err:
        raise GovnerError(f"{path}: {str(err).splitlines()[0]}") from None
    finally:
        con.close()
    return {"columns": columns, "rows": rows}


def export(path: Path, folder: Path) -> dict:
    """Every table of a facts database as ``folder/<table>.parquet``; return the files written."""
    con = open_existing(path)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        for table in COLUMNS:
            target = folder / f"{table}.parquet"
            tmp = folder / f".{table}.parquet.part"
            escaped = str(tmp).replace("'", "''")
            con.execute(f"COPY {table} TO '{escaped}' (FORMAT PARQUET)")
            tmp.replace(target)
            written.append(str(target))
    finally:
        con.close()
    return {"files": written}


def read_records(path: Path) -> Iterable[dict]:
    """The reports of a facts database as ``govner tag`` records (text and entities with scores), in report order."""
    con = open_existing(path)
    try:
        reports = con.execute("SELECT report_id, source, text FROM reports ORDER BY source, report_id").fetchall()
        for rid, source, text in reports:
            ents = con.execute(
                "SELECT start_offset, end_offset, label, text, score FROM entities WHERE report_id = ? ORDER BY entity", [rid]
            ).fetchall()
            entities = [
                {"start": s, "end": e, "label": label, "text": t, **({"score": score} if score is not None else {})}
                for s, e, label, t, score in ents
            ]
            yield {"source": source, "text": text, "entities": entities}
    finally:
        con.close()
