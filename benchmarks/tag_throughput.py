"""Tagging throughput: characters per second and peak memory of ``govner tag`` on a folder of 1,000 reports.

The reports are the corpus texts under corpus/raw/*.txt when there are any, else made by a small seeded
generator, and they are written as users have them: UTF-8 and GB18030 text, Word files, PDFs (text layer,
lines broken at the page width, running headers, page numbers) and web pages. Each setting tags the whole
folder in a fresh process into JSONL, CSV and HTML at once (the README's use), while this process samples
the memory of that process and its workers. The table goes into BENCHMARKS.md between the tag-throughput
markers.

    .venv/bin/python benchmarks/tag_throughput.py                      # the shipped model, 1 and 2 processes
    .venv/bin/python benchmarks/tag_throughput.py --model /tmp/model --files 10000 --no-write
"""

from __future__ import annotations

import argparse
import html
import json
import os
import random
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import docx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_md import write_block  # noqa: E402

from pipeline.resources import DEFAULT_MODEL  # noqa: E402
from tests.documents import make_pdf  # noqa: E402

KINDS = ["txt"] * 6 + ["gb18030", "docx", "pdf", "html"]  # one file in ten of each other kind
PAGE_WIDTH, PAGE_LINES = 36, 38


def corpus_texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpus" / "raw").glob("*.txt"))]


def generated_texts(n: int, seed: int = 0) -> list[str]:
    """Report-like texts: a title, numbered sections, sentences naming places, enterprises, projects, rankings."""
    rng = random.Random(seed)
    places = ["晋江市", "泉州市", "石狮市", "南安市", "惠安县", "德化县", "三明市", "龙岩市", "襄阳市", "樊城区"]
    firms = ["恒安集团", "安踏体育", "九牧集团", "盼盼食品", "紫金矿业", "福建联合石化", "华峰化学", "七匹狼"]
    projects = ["百万吨乙烯改扩建项目", "集成电路产业园二期项目", "高端纤维项目", "冷链物流基地项目", "智能工厂项目"]
    ranks = ["全省第一", "全省第二", "全国百强县第4位", "全省前列", "中国民营企业500强"]
    sentences = [
        "{p}地区生产总值增长{n}.{d}%，增速位居{r}。",
        "{f}、{g}等{n}个增资扩产项目集中开工，总投资{n}亿元。",
        "推进{j}建设，{p}工业投资增长{n}%。",
        "{f}入选“{r}”，营收突破{n}亿元。",
        "{p}人民政府牵头服务{f}，{j}完成投资{n}亿元。",
    ]
    out = []
    for i in range(n):
        place = rng.choice(places)
        parts = [f"{2022 + i % 3}年{place}政府工作报告", "各位代表：现在，我代表市人民政府向大会报告工作，请予审议。"]
        for section in "一二三四五六":
            parts.append(f"{section}、重点工作")
            for _ in range(rng.randint(3, 6)):
                parts.append("".join(
                    rng.choice(sentences).format(p=rng.choice(places), f=rng.choice(firms), g=rng.choice(firms), j=rng.choice(projects),
                                                 r=rng.choice(ranks), n=rng.randint(2, 300), d=rng.randint(0, 9))
                    for _ in range(rng.randint(2, 5))
                ))
        out.append("\n\n".join(parts) + "\n")
    return out


def pdf_pages(text: str) -> list[list[str]]:
    """The text laid out as a printed report: lines cut at the page width, the title atop each page, a page number."""
    paragraphs = [p.strip() for p in text.split("\n") if p.strip()]
    lines = [p[i : i + PAGE_WIDTH] for p in paragraphs for i in range(0, len(p), PAGE_WIDTH)]
    body = PAGE_LINES - 2
    return [[paragraphs[0], *lines[i : i + body], f"— {n} —"] for n, i in enumerate(range(0, len(lines), body), 1)]


def write_report(path: Path, kind: str, text: str) -> Path:
    if kind == "docx":
        document = docx.Document()
        for paragraph in text.split("\n\n"):
            document.add_paragraph(paragraph.strip())
        document.save(path.with_suffix(".docx"))
        return path.with_suffix(".docx")
    if kind == "pdf":
        path.with_suffix(".pdf").write_bytes(make_pdf(pdf_pages(text)))
        return path.with_suffix(".pdf")
    if kind == "html":
        body = "".join(f"<p>{html.escape(p.strip())}</p>\n" for p in text.split("\n\n"))
        path.with_suffix(".html").write_text(f'<html><head><meta charset="utf-8"></head><body>\n{body}</body></html>', encoding="utf-8")
        return path.with_suffix(".html")
    path.with_suffix(".txt").write_bytes(text.encode("gb18030" if kind == "gb18030" else "utf-8"))
    return path.with_suffix(".txt")


def make_folder(folder: Path, files: int) -> tuple[str, dict[str, int]]:
    texts = corpus_texts()
    source = f"{len(texts)} corpus texts (corpus/raw), repeated" if texts else "the seeded generator in this script"
    texts = texts or generated_texts(100)
    kinds: dict[str, int] = {}
    for i in range(files):
        kind = KINDS[i % len(KINDS)]
        kinds[kind] = kinds.get(kind, 0) + 1
        sub = folder / f"{i // 100:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        write_report(sub / f"report-{i:05d}", kind, texts[i % len(texts)])
    return source, kinds


def worker(folder: str, model: str, n_process: int, out: str) -> None:
    """Tag in this (fresh) process and print the counts as JSON."""
    from pipeline.tagging.tag import Tagger, tag

    started = time.perf_counter()
    tagger = Tagger.load(Path(model))
    loaded = time.perf_counter() - started
    baseline = psutil.Process().memory_info().rss
    outputs = [Path(out) / f"tags.{fmt}" for fmt in ("jsonl", "csv", "html")]
    result = tag([folder], tagger, outputs, n_process=n_process, progress=False)
    print(json.dumps({**{k: result[k] for k in ("files", "characters", "entities", "seconds")}, "errors": len(result["errors"]),
                      "load_seconds": loaded, "baseline_rss": baseline}))


def measure(folder: Path, model: Path, n_process: int) -> dict:
    """Run a worker process; sample its memory, and that of its children, every 50 ms."""
    with tempfile.TemporaryDirectory(prefix="govner-tag-out-") as out:
        cmd = [sys.executable, __file__, "--worker", str(folder), str(model), str(n_process), out]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        watched = psutil.Process(proc.pid)
        peak_main = peak_all = 0
        while proc.poll() is None:
            try:
                main = watched.memory_info().rss
                children = sum(c.memory_info().rss for c in watched.children(recursive=True))
            except psutil.Error:
                continue
            peak_main, peak_all = max(peak_main, main), max(peak_all, main + children)
            time.sleep(0.05)
        output = proc.stdout.read() if proc.stdout else ""
        if proc.returncode != 0:
            raise SystemExit(f"worker failed with exit code {proc.returncode}")
        sizes = {p.suffix: p.stat().st_size for p in Path(out).iterdir()}
    return {**json.loads(output.strip().splitlines()[-1]), "peak_main": peak_main, "peak_all": peak_all, "output_bytes": sizes}


def markdown(runs: dict[int, dict], info: dict) -> str:
    mb = 1024 * 1024
    lines = [
        "## Tagging throughput",
        "",
        f"`{info['command']}` on {info['date']}, {info['machine']}. Model: `{info['model']}` (pipeline: {info['pipeline']}"
        f"{'; ' + info['describe'] if info['describe'] else ''}).",
        "",
        f"Folder: {info['files']:,} reports ({', '.join(f'{n} {k}' for k, n in info['kinds'].items())}), "
        f"{info['characters']:,} characters as read, from {info['source']}. One run tags the whole folder into JSONL, CSV "
        f"and HTML at once; characters per second count the text as read, from the first file read to the last record "
        f"written (model loading apart). Memory is the resident set size, sampled every 50 ms: of the main process, "
        f"and of the main process and its model workers together (pages they share are counted in each).",
        "",
        "| processes | characters/s | files/s | tagging (s) | model load (s) | RSS after load (MB) | peak RSS main (MB) "
        "| peak RSS all (MB) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n, r in runs.items():
        rates = f"{r['characters'] / r['seconds']:,.0f} | {r['files'] / r['seconds']:,.1f}"
        memory = f"{r['baseline_rss'] / mb:,.0f} | {r['peak_main'] / mb:,.0f} | {r['peak_all'] / mb:,.0f}"
        lines.append(f"| {n} | {rates} | {r['seconds']:.1f} | {r['load_seconds']:.1f} | {memory} |")
    return "\n".join([*lines, ""])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="model folder (default: the shipped model)")
    parser.add_argument("--files", type=int, default=1000, help="reports in the folder")
    parser.add_argument("--n-process", type=int, nargs="+", default=[1, 2], help="settings of --n-process to measure")
    parser.add_argument("--describe", default="", help="what the model is, for the table (e.g. how it was trained)")
    parser.add_argument("--no-write", action="store_true", help="print the table, leave BENCHMARKS.md alone")
    args = parser.parse_args()
    if not (args.model / "meta.json").exists():
        raise SystemExit(f"{args.model}: no model there (train one, or pass --model)")
    with tempfile.TemporaryDirectory(prefix="govner-tag-bench-") as tmp:
        folder = Path(tmp) / "reports"
        source, kinds = make_folder(folder, args.files)
        runs = {n: measure(folder, args.model.resolve(), n) for n in args.n_process}
    first = next(iter(runs.values()))
    info = {
        "command": "python benchmarks/tag_throughput.py " + shlex.join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{os.cpu_count()} CPU cores, Python {sys.version.split()[0]}",
        "model": args.model.name if args.model == DEFAULT_MODEL else str(args.model),
        "describe": args.describe,
        "pipeline": ", ".join(json.loads((args.model / "meta.json").read_text(encoding="utf-8")).get("pipeline", [])),
        "files": args.files,
        "kinds": kinds,
        "characters": first["characters"],
        "source": source,
    }
    block = markdown(runs, info)
    print(block)
    print(json.dumps(runs, indent=2))
    if not args.no_write:
        print(f"→ {write_block('tag-throughput', block.splitlines())}")


if __name__ == "__main__":
    main()
