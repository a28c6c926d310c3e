"""``govner facts``: build the facts database from tagged JSONL, query it, export it, and write its HTML report.

Why: tagging is the slow step; facts can be rebuilt from its JSONL (or from annotations) and read without Python.
Contract: thin commands that call the library by keyword and answer bad input with one line (``run_cli``);
``govner tag … -o results.duckdb`` writes the same database in the same pass as tagging.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import typer
from wasabi import table

from pipeline.cli.console import app, msg, run_cli
from pipeline.errors import GovnerError
from pipeline.facts.database import export, query, read_records, write_database
from pipeline.facts.inputs import read_tagged
from pipeline.facts.report import write_report
from pipeline.text.files import atomic_output

facts_app = typer.Typer(
    help="Facts from tagged reports: normalised rankings, project facts and enterprise groups in a DuckDB database and an HTML report.",
    no_args_is_help=True,
)
app.add_typer(facts_app, name="facts")


def build(inputs: list[Path], output: Path, html: Path | None = None) -> dict:
    """Facts of tagged (or annotated) JSONL into the database ``output``, and optionally its HTML report."""
    if output.suffix.lower() != ".duckdb":
        raise GovnerError(f"{output}: the database file must end in .duckdb")
    result = write_database(read_tagged(inputs), output)
    if html:
        result["html"] = str(html)
        result["html_reports"] = report(output, html)["reports"]
    return result


def report(database: Path, output: Path) -> dict:
    """The browsable HTML report of every report in a facts database."""
    records = read_records(database)
    with atomic_output(output) as f:
        n = write_report(records, f)
    return {"reports": n, "output": str(output), "bytes": output.stat().st_size}


@facts_app.command("build")
def build_cli(
    inputs: list[Path] = typer.Argument(..., help="JSONL from `govner tag` (or annotated Doccano JSONL), files or folders"),
    output: Path = typer.Option(..., "--output", "-o", help="Database file (.duckdb); reports already in it are replaced"),
    html: Path | None = typer.Option(None, "--html", help="Also write the HTML report of the whole database"),
) -> None:
    """Build (or update) the facts database from tagged reports."""
    result = run_cli(build, inputs=inputs, output=output, html=html)
    msg.good(f"{result['added']} reports added; {result['reports']} in {output}, {result['enterprise_groups']} enterprise groups")
    if html:
        msg.good(f"HTML report of {result['html_reports']} reports → {html}")


@facts_app.command("report")
def report_cli(
    database: Path = typer.Argument(..., help="Facts database (.duckdb)"),
    output: Path = typer.Option(..., "--output", "-o", help="HTML file to write"),
) -> None:
    """Write the browsable HTML report (one self-contained file) of a facts database."""
    result = run_cli(report, database=database, output=output)
    msg.good(f"{result['reports']} reports → {output} ({result['bytes'] / 1e6:.1f} MB)")


@facts_app.command("sql")
def sql_cli(
    database: Path = typer.Argument(..., help="Facts database (.duckdb)"),
    statement: str = typer.Argument(..., help='One SQL statement (read-only), e.g. "SELECT * FROM rankings LIMIT 5"'),
    as_csv: bool = typer.Option(False, "--csv", help="Print CSV instead of a table"),
) -> None:
    """Run one SQL query on a facts database and print the rows."""
    result = run_cli(query, path=database, sql=statement)
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(result["columns"])
        writer.writerows(result["rows"])
    elif result["columns"]:
        print(table([tuple("" if v is None else v for v in row) for row in result["rows"]], header=result["columns"]))


@facts_app.command("export")
def export_cli(
    database: Path = typer.Argument(..., help="Facts database (.duckdb)"),
    output: Path = typer.Option(..., "--output", "-o", help="Folder for one Parquet file per table"),
) -> None:
    """Export every table of a facts database as Parquet files."""
    result = run_cli(export, path=database, folder=output)
    msg.good(f"{len(result['files'])} tables → {output}")
