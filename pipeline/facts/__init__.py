"""Facts from tagged reports: normalised rankings, project facts and enterprises across reports.

Why: people tag government work reports to answer questions across many of them; entities alone leave that work to a
spreadsheet. This package turns the entities of ``govner tag`` into facts (``extract.report_facts``), groups
enterprise names across reports (``enterprises``), stores everything in DuckDB (``database``; ``govner tag … -o
results.duckdb``, ``govner facts``) and writes the browsable HTML report (``report``). Its rules are data files in
``configs/facts/``; ``docs/facts.md`` documents every field and column.
"""

from pipeline.facts.extract import report_facts

__all__ = ["report_facts"]
