"""govner as a user installs it: a non-editable wheel in a fresh virtual environment, used from a folder
outside the checkout, and the shipped model as a spaCy package that installs and loads by name.

The fresh environment gets the wheel itself with ``--no-deps`` and sees the test environment's third-party
packages through a ``.pth`` line (not its ``.pth`` files, so the editable govner there stays invisible):
what is checked is govner's own packaging, not a second download of spaCy.
"""

from __future__ import annotations

import json
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import spacy

from pipeline.resources import CHECKOUT, DEFAULT_MODEL

pytestmark = pytest.mark.slow

REPORT = "2024年晋江市政府工作报告\n晋江市规上工业增加值增长9.1%，增速位居全省第二。\n"


def spans(entities: list[dict]) -> set[tuple]:
    """``(text, label, start, end)`` of entity records (their score aside)."""
    return {(e["text"], e["label"], e["start"], e["end"]) for e in entities}


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, f"{args}: {result.stdout[-2000:]}{result.stderr[-2000:]}"
    return result


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the wheel built from the checkout; returns its folder."""
    work = tmp_path_factory.mktemp("wheel")
    run(sys.executable, "-m", "pip", "wheel", CHECKOUT, "--no-deps", "-q", "-w", work / "dist", cwd=work)
    (wheel,) = (work / "dist").glob("govner-*.whl")
    venv = work / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=work)
    python = venv / "bin" / "python"
    purelib = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=work).stdout.strip())
    run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", wheel, cwd=work)
    (purelib / "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n" + "\n".join(site.getsitepackages()) + "\n")
    return venv


def test_the_wheel_tags_a_report_from_any_folder(fresh: Path, tmp_path: Path):
    (tmp_path / "report.txt").write_text(REPORT, encoding="utf-8")
    where = run(fresh / "bin" / "python", "-c", "import pipeline.resources as r; print(r.DEFAULT_MODEL)", cwd=tmp_path).stdout.strip()
    assert where.startswith(str(fresh)) and "_data" in where  # the wheel's own copy, not the checkout's
    out = run(fresh / "bin" / "govner", "tag", "report.txt", cwd=tmp_path).stdout
    (record,) = [json.loads(line) for line in out.splitlines()]
    assert ("晋江市", "GPE", 5, 8) in spans(record["entities"])
    assert any(e["label"] == "RANKING" and e["text"] == "全省第二" for e in record["entities"])
    # the rules and the guideline that pre-annotation and Doccano need come with the wheel too
    check = "from pipeline.components.rules import DEFAULT_PATTERNS; from pipeline.resources import resource; " \
            "print(DEFAULT_PATTERNS.exists(), resource('scripts', 'install_doccano.sh').exists(), " \
            "resource('docs', 'annotation-guidelines.md').exists())"
    assert run(fresh / "bin" / "python", "-c", check, cwd=tmp_path).stdout.split() == ["True", "True", "True"]


def test_the_shipped_model_loads_from_another_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    nlp = spacy.load(DEFAULT_MODEL)
    assert [(e.text, e.label_) for e in nlp("晋江市规上工业增加值增长9.1%").ents][:1] == [("晋江市", "GPE")]
    config = (DEFAULT_MODEL / "config.cfg").read_text(encoding="utf-8")
    assert "/tmp" not in config and str(Path.home()) not in config  # no temporary or absolute path shipped
    assert nlp.meta["labels"]["govner_crf"] == sorted(nlp.meta["labels"]["govner_crf"])  # the same however trained


def test_spacy_package_installs_and_loads_by_name(fresh: Path, tmp_path: Path):
    (tmp_path / "packages").mkdir()
    run(sys.executable, "-m", "spacy", "package", DEFAULT_MODEL, tmp_path / "packages", "--name", "govner_test",
        "--version", "0.0.1", "--force", cwd=tmp_path)
    (sdist,) = (tmp_path / "packages").glob("*/dist/*.tar.gz")
    run(sys.executable, "-m", "pip", "--python", fresh / "bin" / "python", "install", "-q", "--no-deps", sdist, cwd=tmp_path)
    code = "import spacy; nlp = spacy.load('zh_govner_test'); print([e.text for e in nlp('晋江市规上工业增加值增长9.1%').ents][:1])"
    assert run(fresh / "bin" / "python", "-c", code, cwd=tmp_path).stdout.strip() == "['晋江市']"
    (tmp_path / "report.txt").write_text(REPORT, encoding="utf-8")
    out = run(fresh / "bin" / "govner", "tag", "report.txt", "--model", "zh_govner_test", cwd=tmp_path).stdout
    assert ("晋江市", "GPE", 5, 8) in spans(json.loads(out)["entities"])
