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

    from pipeline.text.files import write_jsonl

    old = os.umask(0o022)
    try:
        write_jsonl(tmp_path / "a.jsonl", [{"x": 1}])
        os.umask(0o077)
        write_jsonl(tmp_path / "b.jsonl", [{"x": 1}])
    finally:
        os.umask(old)
    assert (tmp_path / "a.jsonl").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "b.jsonl").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"text": "晋江市。", "label": [[0, 3, "GPE"]], "entities": []}', "has both 'label' and 'entities'"),
        ('{"text": "晋江市。", "label": [[false, true, "GPE"]]}', "not an integer"),
        ('{"text": "晋江市。", "label": [[0.0, 3, "GPE"]]}', "not an integer"),
        ('{"text": "晋江市。", "label": [["0", "3", "GPE"]]}', "not an integer"),
        ('{"text": "晋江\\ud800市。", "label": []}', "lone surrogate (U+D800) at 2"),
        ('{"text": "晋江市。", "n": ' + "9" * 5000 + "}", "JSON this tool does not read"),
        ('{"text": "晋江市。", "n": ' + "[" * 100000 + "]" * 100000 + "}", "JSON this tool does not read"),
    ],
)
@pytest.mark.parametrize("command", ["pre-annotate", "convert", "corpus check"])
def test_records_that_would_lose_spans_or_crash_are_refused(tmp_path: Path, line: str, expected: str, command: str):
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n", encoding="utf-8", errors="surrogatepass")
    out = tmp_path / "out"
    result = run(*commands(path, out)[command])
    error = one_error(result)  # convert puts each invalid span on a line of its own before the count
    assert error.startswith(f"{path}:1") and expected in result.stderr, result.stderr
    assert not out.exists()


def test_pre_annotate_never_changes_a_persons_spans(tmp_path: Path):
    path = tmp_path / "in.jsonl"
    rows = [{"text": "晋江市经济总量居全省第一。", "label": [[0, 2, "GPE"]]}, {"text": "石狮市经济增长。", "label": []}]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert run("pre-annotate", str(path), "-o", str(tmp_path / "a.jsonl")).exit_code == 0
    a = [json.loads(x) for x in (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()]
    assert a[0]["label"] == [[0, 2, "GPE"]]  # kept as the person left it, no suggestion added
    assert [0, 3, "GPE"] in a[1]["label"]  # an unannotated paragraph gets the rules' suggestions
    assert run("pre-annotate", str(path), "-o", str(tmp_path / "b.jsonl"), "--suggest-annotated").exit_code == 0
    b = [json.loads(x) for x in (tmp_path / "b.jsonl").read_text(encoding="utf-8").splitlines()]
    assert b[0]["label"][0] == [0, 2, "GPE"] and len(b[0]["label"]) > 1  # suggestions beside, never over it


def test_fail_fast_to_standard_output_prints_no_record_before_the_error(tmp_path: Path):
    good, bad = tmp_path / "a.txt", tmp_path / "b.txt"
    good.write_text("晋江市经济增长。\n", encoding="utf-8")
    bad.write_text("", encoding="utf-8")
    line = one_error(run("tag", str(good), str(bad), "--fail-fast", "--no-progress"))  # stdout stays empty
    assert line.startswith(f"{bad}: file is empty")
    result = run("tag", str(good), "--fail-fast", "--no-progress")
    assert result.exit_code == 0 and json.loads(result.stdout)["source"] == str(good)


def test_an_output_that_cannot_be_written_is_one_line_and_takes_the_others_with_it(tmp_path: Path):
    report = tmp_path / "report.txt"
    report.write_text("晋江市经济增长。\n", encoding="utf-8")
    locked = tmp_path / "not-a-folder"
    locked.write_text("a file where a folder should be")
    line = one_error(run("tag", str(report), "-o", str(tmp_path / "tags.jsonl"), "--summary", str(locked / "names.csv"), "--no-progress"))
    assert line.startswith(f"{locked / 'names.csv'}: cannot write")
    assert not (tmp_path / "tags.jsonl").exists() and not list(tmp_path.glob(".*.part"))


def test_sigterm_leaves_no_part_file(tmp_path: Path):
    import os
    import signal

    from pipeline.cli.console import stop_on_sigterm
    from pipeline.text.files import atomic_output

    previous = signal.getsignal(signal.SIGTERM)
    stop_on_sigterm()
    try:
        with pytest.raises(SystemExit) as stopped, atomic_output(tmp_path / "out.jsonl") as f:
            f.write("half a record")
            os.kill(os.getpid(), signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert stopped.value.code == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("broken", "expected"), [("[nlp]\nlang = \"xx-none\"\n", "not a usable training config"),
                                                  ("[nlp]\n", "not a usable training config")])
def test_a_broken_training_config_is_one_line(tmp_path: Path, broken: str, expected: str):
    from spacy.tokens import DocBin

    for split in ("train", "dev"):
        DocBin().to_disk(tmp_path / f"{split}.spacy")
    (tmp_path / "bad.cfg").write_text(broken, encoding="utf-8")
    line = one_error(run("train", "-c", str(tmp_path / "bad.cfg"), "--data", str(tmp_path), "-o", str(tmp_path / "m")))
    assert line.startswith(f"{tmp_path / 'bad.cfg'}: {expected}")


def test_a_model_with_a_broken_config_is_one_line(tmp_path: Path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.cfg").write_text('[nlp]\nlang = "xx-none"\npipeline = []\n', encoding="utf-8")
    (model / "meta.json").write_text('{"lang": "xx-none", "name": "x", "version": "0.0.0"}', encoding="utf-8")
    report = tmp_path / "r.txt"
    report.write_text("晋江市。", encoding="utf-8")
    assert one_error(run("tag", str(report), "-m", str(model))).startswith(f"{model}: cannot load model (")


def test_the_library_raises_one_error_type_in_kinds(tmp_path: Path):
    from pipeline.errors import GovnerError, InputError, ModelError, OutputError
    from pipeline.tagging.tag import Tagger, check_outputs
    from pipeline.text.files import require_file

    with pytest.raises(InputError):
        require_file(tmp_path / "missing.txt")
    with pytest.raises(ModelError):
        Tagger.load(tmp_path / "no-model")
    report = tmp_path / "r.txt"
    report.write_text("晋江市", encoding="utf-8")
    with pytest.raises(OutputError):
        check_outputs([str(report)], [report])
    assert all(issubclass(kind, GovnerError) for kind in (InputError, ModelError, OutputError))
