"""``govner ingest``, ``pre-annotate``, ``select`` and ``govner corpus build|check|stats``: reports in, paragraphs
out, suggestions on them, the corpus checked. Thin commands over ``pipeline.annotation``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from pipeline.annotation.corpus import CORPUS, build, check, stats
from pipeline.annotation.ingest import ingest
from pipeline.annotation.pre_annotate import pre_annotate
from pipeline.annotation.selection import select
from pipeline.cli.console import app, corpus_app, count, msg, run_cli
from pipeline.components.rules import DEFAULT_PATTERNS


@app.command("ingest")
def ingest_cli(
    paths: list[Path] = typer.Argument(..., help="Report files (.txt)"),
    output: Path = typer.Option(..., "--output", "-o", help="JSONL file to write"),
) -> None:
    """Split reports into paragraphs with stable ids and offsets."""
    result = run_cli(ingest, paths=paths, output=output)
    msg.good(f"{count(result['paragraphs'], 'paragraph')} from {count(result['files'], 'file')} → {output}")


@app.command("pre-annotate")
def pre_annotate_cli(
    input_path: Path = typer.Argument(..., help="Paragraph JSONL from govner ingest"),
    output: Path = typer.Option(..., "--output", "-o", help="Doccano JSONL to write"),
    model: Path | None = typer.Option(None, "--model", "-m", help="Suggest with this model instead of the rules"),
    patterns: Path = typer.Option(DEFAULT_PATTERNS, "--patterns", help="Rule patterns file"),
    annotated_too: bool = typer.Option(
        False, "--suggest-annotated", help="Also add suggestions (never overlapping) to paragraphs that already have spans"
    ),
) -> None:
    """Pre-annotate paragraphs with rules or a model; a paragraph's existing spans are never changed."""
    result = run_cli(pre_annotate, input_path=input_path, output=output, model=model, patterns=patterns, annotated_too=annotated_too)
    msg.good(f"{count(result['entities'], 'suggested entity')} in {count(result['paragraphs'], 'paragraph')} → {output}")


@app.command("select")
def select_cli(
    inputs: list[str] = typer.Argument(..., help="Reports (.txt, .docx, .pdf, .html), folders, globs, or paragraph JSONL (govner ingest)"),
    output: Path = typer.Option(..., "--output", "-o", help="Doccano JSONL to write (then: govner doccano push FILE)"),
    n: int = typer.Option(200, "-n", help="Paragraphs to select"),
    model: str | None = typer.Option(None, "--model", "-m", help="Model folder or package (default: the shipped model)"),
    strategy: str = typer.Option("uncertain", "--select", help="uncertain (the model's least sure paragraphs first) or random"),
    exclude: list[Path] = typer.Option(
        None, "--exclude", help="JSONL files or folders of paragraphs annotated already (default: corpus/annotated, when present)"
    ),
    diverse: bool = typer.Option(True, "--diverse/--no-diverse", help="Pass over near-duplicates of a paragraph already chosen"),
    seed: int = typer.Option(0, "--seed", help="Seed of --select random"),
) -> None:
    """Choose the paragraphs worth annotating next and write them with the model's suggestions for Doccano."""
    result = run_cli(
        select, inputs=inputs, output=output, n=n, model=model, strategy=strategy, exclude=exclude or None, diverse=diverse, seed=seed
    )
    msg.good(
        f"{count(result['selected'], 'paragraph')} of {result['paragraphs']:,} selected ({result['annotated_already']} annotated "
        f"already), {count(result['suggested_spans'], 'suggested span')} → {output}"
    )


@corpus_app.command("build")
def build_cli(
    src: Path = typer.Option(CORPUS / "src", help="Folder of authoring files"),
    out: Path = typer.Option(CORPUS, help="Corpus folder to write annotated/ and raw/ into"),
) -> None:
    """Turn authoring markup into the corpus' Doccano JSONL and raw text."""
    result = run_cli(build, src=src, out=out)
    msg.good(f"Built {count(result['documents'], 'document')} into {out}")


@corpus_app.command("check")
def check_cli(
    path: Path = typer.Argument(CORPUS / "annotated", help="Annotated JSONL file or folder"),
    strict: bool = typer.Option(False, "--strict", help="Fail on warnings too"),
) -> None:
    """Validate the corpus against the scheme; list inconsistencies with file and line."""
    result = run_cli(check, path=path, strict=strict)
    for warning in result["warnings"]:
        msg.warn(warning)
    msg.good(f"{count(result['paragraphs'], 'paragraph')}: no errors, {count(len(result['warnings']), 'warning')}")


@corpus_app.command("stats")
def stats_cli(
    path: Path = typer.Argument(CORPUS / "annotated", help="Annotated JSONL file or folder"),
    splits: Path = typer.Option(CORPUS / "spacy" / "splits.json", help="splits.json from govner convert"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """Count documents, characters and entities per label, split, province and kind."""
    result = run_cli(stats, path=path, splits_path=splits)
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    msg.info(", ".join(f"{result[k]} {k}" for k in ("documents", "paragraphs", "characters", "entities")))
    msg.table(result["per_label"], header=("label", "entities"))
    for split, counts in result["per_split"].items():
        msg.text(f"{split}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for key in ("provinces", "levels", "kinds", "styles"):
        msg.text(f"{key} ({len(result[key])}): " + ", ".join(f"{k} {v}" for k, v in result[key].items()))
