"""``govner doccano up|down|status|push|pull``: a local Doccano and the annotations that go in and out of it.
Thin commands over ``pipeline.annotation.doccano`` and ``doccano_server``; credentials come from the environment or
a hidden prompt, never from the command line."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.annotation.doccano import DEFAULT_OUTPUT, DEFAULT_PROJECT, pull, push
from pipeline.annotation.doccano_server import (
    DEFAULT_HOME,
    DEFAULT_PORT,
    HOME_ENV,
    URL_ENV,
    credentials,
    down,
    password_for,
    resolve_url,
    status,
    up,
)
from pipeline.cli.console import doccano_app, log_to_stderr, msg, run_cli
from pipeline.components.rules import DEFAULT_PATTERNS


def _fmt(value: float | None) -> str:
    return "  –  " if value is None else f"{value:.3f}"


def print_agreement(result: dict) -> None:
    for pair in result["pairs"]:
        scores = f"span F1 exact {_fmt(pair['exact_f1'])}, overlap {_fmt(pair['overlap_f1'])}"
        msg.text(f"{pair['a']} ↔ {pair['b']}: {pair['paragraphs']} shared paragraphs, {scores}")
        rows = [(label, _fmt(s["exact_f1"]), _fmt(s["overlap_f1"]), s["spans_a"], s["spans_b"]) for label, s in pair["per_label"].items()]
        msg.table(rows, header=("label", "exact F1", "overlap F1", pair["a"], pair["b"]), divider=True)
    if not result["pairs"]:
        msg.info("One annotator only: no agreement to compute")


ANNOTATOR_HELP = "Annotator (repeatable); password from DOCCANO_PASSWORD_<NAME> or a prompt. Default: you"
URL_HELP = "Doccano to use (default: the one `govner doccano up` started)"
HOME_HELP = "Folder of the local server (to find its address when no --url is given)"
_HOME_OPTION = typer.Option(DEFAULT_HOME, "--home", envvar=HOME_ENV, help="Folder of the local server's database, media and logs")


@doccano_app.command("up")
def up_cli(
    home: Path = _HOME_OPTION,
    port: int = typer.Option(DEFAULT_PORT, "--port", help="Port on 127.0.0.1"),
    venv: Path | None = typer.Option(
        None, "--venv", help="The server's virtual environment (default $GOVNER_DOCCANO_VENV or ~/.cache/govner/doccano-venv)"
    ),
) -> None:
    """Install (once) and start a local Doccano on 127.0.0.1; the admin comes from DOCCANO_USERNAME/DOCCANO_PASSWORD."""
    log_to_stderr()  # the one-time install says what it does
    result = run_cli(up, home=home, port=port, venv=venv)
    if result["already_running"]:
        msg.info(f"Doccano is already running at {result['url']}")
    else:
        msg.good(f"Doccano is running at {result['url']} (data in {result['home']}; stop it with `govner doccano down`)")


@doccano_app.command("down")
def down_cli(home: Path = _HOME_OPTION) -> None:
    """Stop the local Doccano; its data stays for the next `up`."""
    result = run_cli(down, home=home)
    if result["stopped"]:
        msg.good(f"Stopped Doccano at {result['url']}")
    else:
        msg.info(f"No Doccano was started in {result['home']}")


@doccano_app.command("status")
def status_cli(
    home: Path = _HOME_OPTION,
    url: str | None = typer.Option(None, "--url", envvar=URL_ENV, help="Check this Doccano instead of the local one"),
) -> None:
    """Say whether Doccano runs and answers."""
    result = run_cli(status, home=home, url=url)
    if result["url"] is None:
        msg.info(f"No Doccano was started in {result['home']}")
        raise typer.Exit(1)
    if result["answers"]:
        msg.good(f"Doccano answers at {result['url']}")
        return
    dead = [name for name, alive in result["processes"].items() if not alive]
    msg.fail(f"Doccano at {result['url']} does not answer" + (f" ({', '.join(dead)} not running)" if dead else ""), exits=1)


@doccano_app.command("push")
def push_cli(
    paths: list[Path] = typer.Argument(
        ..., help="Paragraph JSONL (from govner ingest) or Doccano JSONL, files or folders; or reports (.txt .docx .pdf .html, "
        "folders of them), ingested first"
    ),
    project: str = typer.Option(DEFAULT_PROJECT, "--project", "-p", help="Doccano project (created when missing)"),
    annotator: list[str] = typer.Option([], "--annotator", "-a", help=ANNOTATOR_HELP),
    model: Path | None = typer.Option(None, "--model", "-m", help="Suggest with this model instead of the rules"),
    patterns: Path = typer.Option(DEFAULT_PATTERNS, "--patterns", help="Rule patterns file"),
    guideline: Path | None = typer.Option(None, "--guideline", help="Guideline text (default: govner's annotation guidelines)"),
    with_suggestions: bool = typer.Option(True, "--suggest/--no-suggest", help="Add suggestions, or push the spans in the files only"),
    batch_size: int = typer.Option(500, "--batch-size", min=1, help="Paragraphs per import task"),
    select: str | None = typer.Option(
        None, "--select", help="uncertain or random: push only -n paragraphs, chosen as `govner select` chooses, with the suggestions of "
        "--model (default here: the shipped model)"
    ),
    n: int = typer.Option(200, "-n", help="With --select: how many paragraphs to push"),
    url: str | None = typer.Option(None, "--url", envvar=URL_ENV, help=URL_HELP),
    home: Path = typer.Option(DEFAULT_HOME, "--home", envvar=HOME_ENV, help=HOME_HELP),
) -> None:
    """Upload paragraphs with pre-annotations for every annotator; pushing the same paragraphs again adds nothing."""
    target = run_cli(resolve_url, url=url, home=home)
    login = run_cli(credentials)
    passwords = {name: (login[1] if name == login[0] else run_cli(password_for, username=name)) for name in annotator}
    result = run_cli(
        push,
        paths=paths,
        url=target,
        login=login,
        project=project,
        annotators=passwords or None,
        model=model,
        patterns=patterns,
        guideline=guideline,
        with_suggestions=with_suggestions,
        batch_size=batch_size,
        select=select,
        select_n=n,
    )
    for warning in result["warnings"]:
        msg.warn(warning)
    made = "created" if result["created_project"] else "reused"
    msg.good(
        f"{result['imported']} new paragraphs, {result['already_there']} already there, in project {project!r} ({made}, "
        f"{result['examples_in_project']} examples) at {result['url']}"
    )
    served = ", ".join(f"{name} {n}" for name, n in result["suggestions"].items())
    msg.text(
        f"Suggested spans added, per annotator: {served}"
        + (f", {result['spans_skipped']} left out (they clash with an annotator's own)" if result["spans_skipped"] else "")
    )


@doccano_app.command("pull")
def pull_cli(
    project: str = typer.Option(DEFAULT_PROJECT, "--project", "-p", help="Doccano project"),
    output: Path = typer.Option(DEFAULT_OUTPUT, "--output", "-o", help="Folder for merged.jsonl, annotators/, review/, agreement.json"),
    adjudicator: str | None = typer.Option(None, "--adjudicator", help="User whose version of a paragraph wins"),
    include_all: bool = typer.Option(
        False, "--all", help="Take unconfirmed paragraphs too, as each annotator left them (suggestions included)"
    ),
    annotator: list[str] = typer.Option([], "--annotator", "-a", help="Only these annotators (repeatable). Default: everyone"),
    url: str | None = typer.Option(None, "--url", envvar=URL_ENV, help=URL_HELP),
    home: Path = typer.Option(DEFAULT_HOME, "--home", envvar=HOME_ENV, help=HOME_HELP),
) -> None:
    """Download annotations, report agreement, merge them into corpus JSONL (previous files are kept)."""
    target = run_cli(resolve_url, url=url, home=home)
    login = run_cli(credentials)
    result = run_cli(
        pull,
        url=target,
        login=login,
        project=project,
        output=output,
        adjudicator=adjudicator,
        confirmed_only=not include_all,
        annotators=annotator or None,
    )
    for warning in result["warnings"]:
        msg.warn(warning)
    print_agreement(result)
    rules = ", ".join(f"{n} {rule}" for rule, n in sorted(result["merge"].items()) if rule != "conflict")
    msg.good(f"{result['merged']} paragraphs merged ({rules}) → {Path(result['output']) / 'merged.jsonl'}")
    if result["conflicted"]:
        msg.warn(f"{result['conflicted']} conflicting paragraphs left out → {Path(result['output']) / 'review' / 'conflicts.jsonl'}")
        for item in result["disagreements"][:10]:
            if item["doccano_id"] in result["conflicts"]:
                msg.text(f"  conflict: {item['doc_id']} paragraph {item['para_index']} (Doccano example {item['doccano_id']})")
    for path in result["kept"]:
        msg.info(f"previous version kept: {path}")
