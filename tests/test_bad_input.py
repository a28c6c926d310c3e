"""Every command meets bad input with one clear line naming the file (and line), a non-zero exit, no output file."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True, text=True, cwd=ROOT)


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
    result = run(*commands(bad[kind], out)[command])
    assert result.returncode != 0
    lines = [line for line in result.stdout.splitlines() if "✘" in line]
    assert len(lines) == 1, result.stdout
    assert str(bad[kind]) in lines[0] and EXPECTED[kind] in lines[0]
    assert not out.exists()
    assert not list(tmp_path.glob(".*.part"))


@pytest.mark.parametrize("kind", ["missing", "empty"])
def test_report_commands(tmp_path: Path, kind: str):
    report = tmp_path / f"{kind}.txt"
    if kind == "empty":
        report.write_text("")
    out = tmp_path / "out.jsonl"
    for args in (["ingest", str(report), "-o", str(out)], ["tag", str(report), "-m", str(tmp_path / "no-model"), "-o", str(out)]):
        result = run(*args)
        assert result.returncode != 0
        assert f"{report}" in result.stdout and ("no such file" in result.stdout or "empty" in result.stdout)
        assert not out.exists()


def test_train_and_evaluate_name_missing_files(tmp_path: Path):
    result = run("train", "--data", str(tmp_path), "-o", str(tmp_path / "m"))
    assert result.returncode != 0 and f"{tmp_path / 'train.spacy'}: no such file" in result.stdout
    result = run("evaluate", str(tmp_path / "test.spacy"))
    assert result.returncode != 0 and f"{tmp_path / 'test.spacy'}: no such file" in result.stdout
    (tmp_path / "junk.spacy").write_text("not a docbin")
    result = run("evaluate", str(tmp_path / "junk.spacy"), "-m", str(tmp_path / "no-model"))
    assert result.returncode != 0 and "no-model" in result.stdout
