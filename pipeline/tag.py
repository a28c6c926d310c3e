"""Stage 6: tag reports with a trained model; offsets point into the text as read."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import spacy
import typer
from spacy.language import Language
from wasabi import msg

from . import rules  # noqa: F401  (models may contain the govner_rules component)
from ._util import DEFAULT_MODEL, GovnerError, app, run_cli
from .clean import clean
from .formats import FORMATS, write_records
from .readers import read_report

MAX_CHUNK = 2000
CHUNK_BREAK = re.compile(r"\n+|(?<=[。！？；])")


def chunks(text: str) -> Iterator[tuple[int, int]]:
    """Pieces of at most MAX_CHUNK characters, cut at line ends and else at sentence ends."""
    start = 0
    while start < len(text):
        end = min(len(text), start + MAX_CHUNK)
        if end < len(text):
            cuts = [m.end() for m in CHUNK_BREAK.finditer(text, start, end) if m.end() > start]
            end = cuts[-1] if cuts else end
        newline = text.find("\n", start, end)
        if newline > start:
            end = newline + 1
        if text[start:end].strip():
            yield start, end
        start = end


class Tagger:
    """Callable on a text; returns entity records ``{"start", "end", "label", "text"}`` into that text."""

    def __init__(self, nlp: Language, batch_size: int = 64) -> None:
        self.nlp = nlp
        self.batch_size = batch_size

    @classmethod
    def load(cls, model: Path | None = None) -> Tagger:
        path = Path(model) if model else DEFAULT_MODEL
        try:
            return cls(spacy.load(path))
        except OSError as err:
            raise GovnerError(f"{path}: cannot load model ({err})") from None

    def __call__(self, text: str) -> list[dict]:
        return next(self.pipe([text]))

    def pipe(self, texts: Iterable[str], n_process: int = 1) -> Iterator[list[dict]]:
        """Entities for each text, in order; long texts are cut into chunks that the model sees one by one."""
        state: dict[int, tuple] = {}

        def pieces() -> Iterator[tuple[str, tuple[int, int, bool]]]:
            for i, text in enumerate(texts):
                cleaned = clean(text)
                spans = list(chunks(cleaned.text)) or [(0, 0)]
                state[i] = (text, cleaned, [])
                for j, (start, end) in enumerate(spans):
                    yield cleaned.text[start:end], (i, start, j == len(spans) - 1)

        for doc, (i, offset, last) in self.nlp.pipe(pieces(), as_tuples=True, n_process=n_process, batch_size=self.batch_size):
            text, cleaned, found = state[i]
            for ent in doc.ents:
                start, end = cleaned.to_original(offset + ent.start_char, offset + ent.end_char)
                found.append({"start": start, "end": end, "label": ent.label_, "text": text[start:end]})
            if last:
                del state[i]
                yield found


def tag_files(paths: list[Path], tagger: Tagger, n_process: int = 1) -> Iterator[dict]:
    """One record per file: ``{"source", "text", "entities"}``, or ``{"source", "error"}`` when it cannot be read."""
    readable: list[tuple[Path, str]] = []
    for path in paths:
        try:
            readable.append((path, read_report(path)))
        except GovnerError as err:
            yield {"source": str(path), "error": str(err)}
    for (path, text), entities in zip(readable, tagger.pipe((t for _, t in readable), n_process=n_process)):
        yield {"source": str(path), "text": text, "entities": entities}


def tag(paths: list[Path], model: Path | None = None, fmt: str = "jsonl", output: Path | None = None, n_process: int = 1) -> dict:
    """Tag files and write them in ``fmt`` to ``output`` (stdout when None); return counts and per-file errors."""
    if fmt not in FORMATS:
        raise GovnerError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    tagger = Tagger.load(model)
    errors: list[str] = []
    counts = {"files": 0, "entities": 0}

    def ok_records() -> Iterator[dict]:
        for record in tag_files(paths, tagger, n_process):
            if "error" in record:
                errors.append(record["error"])
                continue
            counts["files"] += 1
            counts["entities"] += len(record["entities"])
            yield record

    write_records(ok_records(), fmt, output if output else sys.stdout)
    return {**counts, "errors": errors}


@app.command("tag")
def tag_cli(
    paths: list[Path] = typer.Argument(..., help="Report files"),
    model: Path | None = typer.Option(None, "--model", "-m", help="Model folder (default: the shipped model)"),
    fmt: str = typer.Option("jsonl", "--format", "-f", help="jsonl, csv or html"),
    output: Path | None = typer.Option(None, "--output", "-o", help="Output file (default: standard output)"),
    n_process: int = typer.Option(1, "--n-process", "-n", help="Processes for the model"),
) -> None:
    """Tag reports with the shipped or a given model."""
    result = run_cli(tag, paths, model, fmt, output, n_process)
    for error in result["errors"]:
        msg.fail(error)
    if output:
        msg.good(f"{result['files']} files, {result['entities']} entities → {output}")
    if result["errors"]:
        raise typer.Exit(1)
