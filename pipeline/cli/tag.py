"""``govner tag``: reports in, entities out (JSONL, CSV, HTML, DuckDB). A thin command over
``pipeline.tagging.tag``; records go to stdout or the outputs, every message to stderr."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from wasabi import table

from pipeline.cli.console import OneLinePrinter, app, count, run_cli
from pipeline.tagging.tag import tag


@app.command("tag")
def tag_cli(
    inputs: list[str] = typer.Argument(
        ..., help="Report files (.txt, .docx, .pdf, .html), folders (searched recursively) and globs such as 'reports/**/*.pdf'"
    ),
    model: str | None = typer.Option(None, "--model", "-m", help="Model folder or installed model package (default: the shipped model)"),
    output: list[Path] = typer.Option(
        [], "--output", "-o", help="Output file, format by suffix: .jsonl, .csv (for Excel), .html; repeat for several (default: stdout)"
    ),
    fmt: str | None = typer.Option(
        None, "--format", "-f", help="jsonl, csv or html: for standard output (default jsonl) or an output without a known suffix"
    ),
    summary: Path | None = typer.Option(None, "--summary", help="Also write a CSV: per label, which names occur in how many reports"),
    n_process: int = typer.Option(1, "--n-process", "-n", help="Processes for the model"),
    keep_going: bool = typer.Option(
        True,
        "--keep-going/--fail-fast",
        help="--keep-going (default): a file that cannot be read is reported and counted, the rest is still tagged. "
        "--fail-fast: stop at the first such file and write nothing. Either way the exit code is 0 only when every file was tagged.",
    ),
    t2s: bool = typer.Option(
        False, "--t2s", help="Let the model read traditional characters as simplified; offsets still point into the text as read"
    ),
    progress: bool | None = typer.Option(
        None, "--progress/--no-progress", help="Progress bar with files and characters per second (default: on a terminal)"
    ),
    min_score: float = typer.Option(
        0.0, "--min-score", help="Leave out entities whose score (the model's confidence, 0-1) is lower; BENCHMARKS.md has its calibration"
    ),
) -> None:
    """Tag reports with the shipped or a given model: JSONL, CSV for Excel, HTML with highlighting, a batch summary."""
    say = OneLinePrinter(no_print=True)  # to standard error: standard output may carry the records
    result = run_cli(
        tag, inputs=inputs, model=model, outputs=output, fmt=fmt, n_process=n_process, keep_going=keep_going,
        summary_path=summary, t2s=t2s, progress=progress, min_score=min_score,
    )
    for error in result["errors"]:
        print(say.fail(error), file=sys.stderr)
    rate = result["characters"] / max(result["seconds"], 1e-9)
    written = [*output, *([summary] if summary else [])]
    done = ", ".join([count(result["files"], "file"), count(result["entities"], "entity"), count(result["characters"], "character")])
    done += f" in {result['seconds']:.1f} s"
    print(say.good(f"{done} ({rate:,.0f} characters/s)" + (f" → {', '.join(map(str, written))}" if written else "")), file=sys.stderr)
    rows = [(label, c["reports"], c["mentions"], c["names"]) for label, c in result["per_label"].items()]
    print(table(rows, header=("label", "reports", "mentions", "names"), aligns=("l", "r", "r", "r")), file=sys.stderr)
    if result["errors"]:
        print(say.fail(f"{len(result['errors'])} input(s) could not be tagged"), file=sys.stderr)
        raise typer.Exit(1)
