"""``govner convert``, ``train`` and ``evaluate``: corpus to DocBin splits, a model from a config, its scores.
Thin commands over ``pipeline.training``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from pipeline.cli.console import app, count, log_to_stderr, msg, run_cli
from pipeline.resources import DEFAULT_MODEL
from pipeline.training.convert import convert
from pipeline.training.evaluate import evaluate, score_header, score_table
from pipeline.training.train import DEFAULT_CONFIG, extra_splits, parse_overrides, train


@app.command("convert")
def convert_cli(
    paths: list[Path] = typer.Argument(..., help="Doccano JSONL files or folders of them"),
    output_dir: Path = typer.Option(..., "--output", "-o", help="Folder for train/dev/test .spacy files"),
    dev: float = typer.Option(0.15, help="Share of documents for the dev split"),
    test: float = typer.Option(0.15, help="Share of documents for the test split"),
    seed: int = typer.Option(0, help="Seed of the document split"),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="Report invalid spans, leave them out as missing"),
    reshuffle: bool = typer.Option(False, "--reshuffle", help="Split every document anew, ignoring the splits.json already there"),
) -> None:
    """Convert Doccano JSONL to DocBin train/dev/test splits (documents already split keep their split)."""
    result = run_cli(
        convert, paths=paths, output_dir=output_dir, dev=dev, test=test, seed=seed, skip_invalid=skip_invalid, reshuffle=reshuffle
    )
    if result["kept"]:
        msg.info(f"{count(result['kept'], 'document')} kept the split of {output_dir / 'splits.json'} (--reshuffle to split anew)")
    for problem in result["problems"]:
        msg.warn(problem)
    for split, counts in result["splits"].items():
        n_ents = sum(counts["entities"].values())
        what = [count(counts["documents"], "document"), count(counts["paragraphs"], "paragraph"), count(n_ents, "entity")]
        msg.good(f"{split}: {', '.join(what)}")


@app.command("train")
def train_cli(
    config: Path = typer.Option(DEFAULT_CONFIG, "--config", "-c", help="spaCy training config"),
    output: Path = typer.Option(..., "--output", "-o", help="Folder for model-best and model-last"),
    data: Path = typer.Option(Path("corpus/spacy"), "--data", help="Folder with train.spacy and dev.spacy"),
    override: list[str] = typer.Option([], "--set", help="Config override, e.g. training.max_steps=200"),
    gpu_id: int = typer.Option(-1, "--gpu-id", help="GPU id, or -1 for CPU"),
    extra: list[Path] = typer.Option(
        [], "--extra", help="Your own annotations (e.g. corpus/doccano/merged.jsonl) to train on with the corpus; their test "
        "documents are held out in spacy/ beside the file"
    ),
) -> None:
    """Train a NER pipeline from a config file."""
    log_to_stderr()  # the CRF's progress (features, L-BFGS iterations)
    overrides = run_cli(parse_overrides, items=override)
    best = run_cli(
        train, config=config, output=output, train_path=data / "train.spacy", dev_path=data / "dev.spacy",
        overrides=overrides, use_gpu=gpu_id, extra=extra or None,
    )
    msg.good(f"Best model: {best}")
    if extra:
        held = extra_splits(extra) / "test.spacy"
        msg.info(f"Your held-out documents: govner evaluate {data / 'test.spacy'} {held} --model {best}")


@app.command("evaluate")
def evaluate_cli(
    data: list[Path] = typer.Argument(
        ..., help="Gold data: DocBins (from govner convert), or Doccano JSONL (files or folders) of raw texts; several side by side"
    ),
    model: Path = typer.Option(DEFAULT_MODEL, "--model", "-m", help="Model folder"),
    as_json: bool = typer.Option(False, "--json", help="Print the scores as JSON (with several data sets: keyed by each)"),
    output: Path | None = typer.Option(None, "--output", "-o", help="Also write the JSON scores here"),
) -> None:
    """Score a model: precision, recall, F1, micro and per label, on each gold data set given."""
    results = {str(d): run_cli(evaluate, model=model, data=d) for d in data}
    scores = results[str(data[0])] if len(data) == 1 else results
    if output:
        output.write_text(json.dumps(scores, ensure_ascii=False, indent=2), encoding="utf-8")
    if as_json:
        print(json.dumps(scores, ensure_ascii=False, indent=2))
        return
    for name, result in results.items():
        header = score_header(result)
        msg.table(score_table(result), header=header, aligns=("l", *"r" * (len(header) - 1)), title=name if len(data) > 1 else None)
