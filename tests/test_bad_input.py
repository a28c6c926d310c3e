"""Every command meets bad input with one clear line on standard error naming the file (and line), a non-zero
exit, nothing on standard output, and no output file."""

import json
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from pipeline.cli import app


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def one_error(result: Result) -> str:
    """The error line of a failed command, on standard error with nothing on standard output; lines before it
    may only be the details it counts (one per invalid span), each naming the same file."""
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    *details, line = result.stderr.splitlines()
    assert all(d.split(": ")[0].split(":")[0] == line.split(": ")[0].split(":")[0] for d in details), result.stderr
    assert len(details) == (int(line.split(": ")[1].split()[0]) if "invalid span(s)" in line else 0), result.stderr
    return line


@pytest.fixture
def bad(tmp_path: Path) -> dict[str, Path]:
    files = {
        "missing": tmp_path / "missing.jsonl",
        "empty": tmp_path / "empty.jsonl",
        "invalid": tmp_path / "invalid.jsonl",
        "past_end": tmp_path / "past_end.jsonl",
    }
    files["empty"].write_text("")
    files["invalid"].write_text('{"text": "晋江市", "label": []}\n{"text": "broken\n', encoding="utf-8")
    rows = [
        {"text": "晋江市经济增长。", "label": [[0, 3, "GPE"]], "doc_id": "a"},
        {"text": "石狮市。", "label": [[0, 9, "GPE"]], "doc_id": "b"},
    ]
    files["past_end"].write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return files


EXPECTED = {"missing": "no such file", "empty": "empty", "invalid": ":2: invalid JSON", "past_end": ":2: "}


def commands(path: Path, out: Path) -> dict[str, list[str]]:
    return {
        "pre-annotate": ["pre-annotate", str(path), "-o", str(out)],
        "convert": ["convert", str(path), "-o", str(out)],
        "corpus check": ["corpus", "check", str(path)],
    }


@pytest.mark.parametrize("kind", list(EXPECTED))
@pytest.mark.parametrize("command", ["pre-annotate", "convert", "corpus check"])
def test_jsonl_commands(bad, tmp_path: Path, kind: str, command: str):
    out = tmp_path / "out"
    line = one_error(run(*commands(bad[kind], out)[command]))
    assert str(bad[kind]) in line and EXPECTED[kind] in line
    assert not out.exists()
    assert not list(tmp_path.glob(".*.part"))


@pytest.mark.parametrize("kind", ["missing", "empty"])
def test_report_commands(tmp_path: Path, kind: str):
    report = tmp_path / f"{kind}.txt"
    if kind == "empty":
        report.write_text("")
    out = tmp_path / "out.jsonl"
    for args in (["ingest", str(report), "-o", str(out)], ["tag", str(report), "-m", str(tmp_path / "no-model"), "-o", str(out)]):
        line = one_error(run(*args))
        assert line.startswith(f"{report}: ") and line.endswith("no such file" if kind == "missing" else "file is empty")
        assert not out.exists()


def test_train_and_evaluate_name_missing_files(tmp_path: Path):
    assert one_error(run("train", "--data", str(tmp_path), "-o", str(tmp_path / "m"))) == f"{tmp_path / 'train.spacy'}: no such file"
    assert one_error(run("evaluate", str(tmp_path / "test.spacy"))) == f"{tmp_path / 'test.spacy'}: no such file"
    (tmp_path / "junk.spacy").write_text("not a docbin")
    line = one_error(run("evaluate", str(tmp_path / "junk.spacy"), "-m", str(tmp_path / "no-model")))
    assert line.startswith(f"{tmp_path / 'no-model'}: ")


def test_outputs_never_destroy_inputs(tmp_path: Path):
    report = tmp_path / "report.txt"
    report.write_text("晋江市经济增长。\n", encoding="utf-8")
    line = one_error(run("tag", str(report), "-o", str(report)))
    assert line == f"{report}: is an input and an output; writing it would destroy the report"
    assert report.read_text(encoding="utf-8") == "晋江市经济增长。\n"
    line = one_error(run("tag", str(report), "-o", str(tmp_path / "t.csv"), "--summary", str(tmp_path / "t.csv")))
    assert "named twice as an output" in line and not (tmp_path / "t.csv").exists()


def test_output_files_follow_the_umask(tmp_path: Path):
    import os

    from pipeline._util import write_jsonl

    old = os.umask(0o022)
    try:
        write_jsonl(tmp_path / "a.jsonl", [{"x": 1}])
        os.umask(0o077)
        write_jsonl(tmp_path / "b.jsonl", [{"x": 1}])
    finally:
        os.umask(old)
    assert (tmp_path / "a.jsonl").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "b.jsonl").stat().st_mode & 0o777 == 0o600
