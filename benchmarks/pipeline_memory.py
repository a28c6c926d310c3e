"""Peak memory of the commands that read a whole corpus or batch, per MB of input.

Makes a Doccano JSONL file of about ``--mb`` MB from the corpus' own records (each copy a document of its own),
and a folder of report texts of about the same size, then runs, each in a fresh process under GNU time,
``govner convert``, ``govner corpus check`` and ``govner tag -o out.jsonl``, and prints the peak resident set
size per MB of input as a Markdown table (for BENCHMARKS.md):

    .venv/bin/python benchmarks/pipeline_memory.py --mb 20
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOVNER = [sys.executable, "-m", "pipeline"]


def make_inputs(folder: Path, megabytes: float) -> tuple[Path, Path]:
    """``corpus.jsonl`` and ``reports/`` of about ``megabytes`` each, made from the shipped corpus."""
    records = [json.loads(line) for path in sorted((ROOT / "corpus" / "annotated").glob("*.jsonl")) for line in path.open(encoding="utf-8")]
    raws = [path.read_text(encoding="utf-8") for path in sorted((ROOT / "corpus" / "raw").glob("*.txt"))]
    jsonl, reports = folder / "corpus.jsonl", folder / "reports"
    reports.mkdir()
    limit = megabytes * 2**20
    with jsonl.open("w", encoding="utf-8") as f:
        copy = 0
        while f.tell() < limit:
            for record in records:
                f.write(json.dumps({**record, "doc_id": f"{record['doc_id']}-{copy}"}, ensure_ascii=False) + "\n")
            copy += 1
    size, n = 0, 0
    while size < limit:
        text = raws[n % len(raws)]
        (reports / f"r{n:05d}.txt").write_text(text, encoding="utf-8")
        size += len(text.encode("utf-8"))
        n += 1
    return jsonl, reports


def peak(args: list[str], cwd: Path) -> tuple[float, float]:
    """Peak resident set size in MB (GNU time's %M) and wall seconds of one command."""
    start = time.time()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", *args], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{proc.stderr[-2000:]}")
    return int(proc.stderr.strip().splitlines()[-1]) / 1024, time.time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=20, help="size of each input in MB")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        jsonl, reports = make_inputs(work, args.mb)
        mb_jsonl = jsonl.stat().st_size / 2**20
        mb_reports = sum(p.stat().st_size for p in reports.iterdir()) / 2**20
        runs = {
            "govner convert": ([*GOVNER, "convert", str(jsonl), "-o", str(work / "spacy"), "--reshuffle"], mb_jsonl),
            "govner corpus check": ([*GOVNER, "corpus", "check", str(jsonl)], mb_jsonl),
            "govner tag -o out.jsonl": ([*GOVNER, "tag", str(reports), "-o", str(work / "out.jsonl"), "--no-progress"], mb_reports),
        }
        print(f"Inputs made from the corpus: {mb_jsonl:.1f} MB of Doccano JSONL, {mb_reports:.1f} MB of report texts.\n")
        print("| command | input (MB) | peak RSS (MB) | **peak MB per MB of input** | seconds |")
        print("|---|---|---|---|---|")
        for name, (command, size) in runs.items():
            mb, seconds = peak(command, ROOT)
            print(f"| `{name}` | {size:.1f} | {mb:,.0f} | **{mb / size:.1f}** | {seconds:.0f} |")


if __name__ == "__main__":
    main()
