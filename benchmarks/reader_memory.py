"""Peak memory of the readers per MB of input: how much a large report costs to read, format by format.

Each file is generated here, in a temporary folder (nothing is committed): report-like Chinese text as UTF-8
and GB18030 text, a web page, a Word file and a PDF with a text layer. Each is read by ``read_report`` in a
fresh process, which reports its peak resident set size during the read minus its resident set size just
before it (every reader library imported, a small file of the kind read once), so the number is what reading
that one file costs. The table goes to benchmarks/reader-memory.md (``--write``); ``--compare`` measures
another version of pipeline/text/readers.py on the same files, for a before/after table.

    .venv/bin/python benchmarks/reader_memory.py                          # 64 MB text and HTML, 8 MB of text in Word and PDF
    .venv/bin/python benchmarks/reader_memory.py --mb 100 --small-mb 16 --write
    .venv/bin/python benchmarks/reader_memory.py --compare /tmp/old-readers.py --write
"""

from __future__ import annotations

import argparse
import contextlib
import html
import importlib.util
import io
import itertools
import json
import platform
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the synthetic PDF of tests/documents.py
MB = 1024 * 1024
KINDS = ("txt", "gb18030", "html", "docx", "pdf")


def paragraphs(seed: int = 0) -> list[str]:
    """A thousand report-like paragraphs, seeded: places, enterprises, projects, rankings and figures."""
    rng = random.Random(seed)
    places = ["晋江市", "泉州市", "石狮市", "南安市", "惠安县", "襄阳市", "樊城区", "三明市"]
    firms = ["恒安集团", "安踏体育", "九牧集团", "盼盼食品", "紫金矿业", "七匹狼"]
    projects = ["百万吨乙烯改扩建项目", "集成电路产业园二期项目", "冷链物流基地项目", "智能工厂项目"]
    ranks = ["全省第一", "全省第二", "全国百强县第4位", "中国民营企业500强"]
    sentences = [
        "{p}地区生产总值增长{n}.{d}%，增速位居{r}。",
        "{f}等{n}个增资扩产项目集中开工，总投资{n}亿元。",
        "推进{j}建设，{p}工业投资增长{n}%。",
        "{f}入选“{r}”，营收突破{n}亿元。",
    ]
    return [
        "".join(rng.choice(sentences).format(p=rng.choice(places), f=rng.choice(firms), j=rng.choice(projects),
                                             r=rng.choice(ranks), n=rng.randint(2, 300), d=rng.randint(0, 9))
                for _ in range(rng.randint(2, 6)))
        for _ in range(1000)
    ]


def text_of(size: int, encoding: str = "utf-8") -> list[str]:
    """Paragraphs, repeated, whose text in ``encoding`` takes about ``size`` bytes."""
    base = paragraphs()
    per_round = sum(len(p.encode(encoding)) + 1 for p in base)
    return base * max(1, round(size / per_round))


def make_docx(lines: list[str]) -> bytes:
    """A Word file of one paragraph per line: python-docx's blank document with its body replaced."""
    import docx

    blank = io.BytesIO()
    docx.Document().save(blank)
    body = "".join(f"<w:p><w:r><w:t>{html.escape(line)}</w:t></w:r></w:p>" for line in lines)
    out = io.BytesIO()
    with zipfile.ZipFile(blank) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "word/document.xml":
                head, tail = data.decode().split("<w:body>")
                data = f"{head}<w:body>{body}{tail[tail.index('<w:sectPr'):]}".encode()
            dst.writestr(item.filename, data)
    return out.getvalue()


def make_pdf(lines: list[str], per_page: int = 40, width: int = 36) -> bytes:
    """A PDF whose pages show the lines, cut at ``width`` characters, ``per_page`` lines a page."""
    from tests.documents import make_pdf as pdf_of_pages

    cut = [line[i : i + width] for line in lines for i in range(0, len(line), width)]
    return pdf_of_pages([cut[i : i + per_page] for i in range(0, len(cut), per_page)])


def make_file(folder: Path, kind: str, size: int) -> Path:
    """A file of ``kind`` of about ``size`` bytes (for Word and PDF: of about ``size`` bytes of UTF-8 text)."""
    if kind == "docx":
        path, data = folder / "report.docx", make_docx(text_of(size))
    elif kind == "pdf":
        path, data = folder / "report.pdf", make_pdf(text_of(size))
    elif kind == "html":
        body = "".join(f"<p>{html.escape(p)}</p>\n" for p in text_of(size))
        path, data = folder / "report.html", f'<html><head><meta charset="utf-8"></head><body>\n{body}</body></html>'.encode()
    else:
        encoding = "gb18030" if kind == "gb18030" else "utf-8"
        path, data = folder / f"report-{kind}.txt", "".join(f"{p}\n" for p in text_of(size, encoding)).encode(encoding)
    path.write_bytes(data)
    return path


def memory(field: str) -> int:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process in bytes, from Linux's /proc; elsewhere ru_maxrss for both.
    Not ru_maxrss on Linux: it keeps the high-water mark of the process before its execve, here the parent's."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    return int(re.search(rf"^{field}:\s+(\d+) kB", status, re.M).group(1)) * 1024


def worker(path: str, kind: str, readers: str | None) -> None:
    """Read one file in this fresh process, with pipeline/text/readers.py or another version of it (``readers``, a file);
    print characters, seconds and memory as JSON."""
    sys.path.insert(0, str(ROOT))
    import bs4  # noqa: F401  every reader's library, so that importing one is not counted as reading
    import docx  # noqa: F401
    import lxml.etree  # noqa: F401
    import pypdf  # noqa: F401

    if readers:
        spec = importlib.util.spec_from_file_location("pipeline.readers_compared", readers)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        read_report = module.read_report
    else:
        from pipeline.text.readers import read_report

    warm_up = Path(path).parent / "warm-up"
    warm_up.mkdir()
    read_report(make_file(warm_up, kind, 4096))  # what a first read loads once (detectors, caches) is not counted
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # Linux: the peak starts again from here
    before = memory("VmRSS")
    started = time.perf_counter()
    text = read_report(Path(path))
    seconds = time.perf_counter() - started
    print(json.dumps({"characters": len(text), "utf8": len(text.encode()), "seconds": seconds, "before": before, "peak": memory("VmHWM")}))


def measure(kind: str, size: int, readers: Path | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix="govner-reader-memory-") as folder:
        path = make_file(Path(folder), kind, size)
        command = [sys.executable, __file__, "--worker", str(path), kind, *([str(readers)] if readers else [])]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{kind}: the reader failed: {done.stderr.strip().splitlines()[-1:]}")
        return {"kind": kind, "bytes": path.stat().st_size, **json.loads(done.stdout)}


def per_mb(run: dict) -> tuple[float, float, float]:
    """Peak MB, and peak MB per MB of file and per MB of text (as UTF-8)."""
    peak = max(0, run["peak"] - run["before"]) / MB
    return peak, peak / (run["bytes"] / MB), peak / (run["utf8"] / MB)


def table(runs: list[dict], before: list[dict]) -> str:
    """One row per file; with ``before`` (the same files read by another version of the readers), its numbers too."""
    head = "| input | file (MB) | characters | text as UTF-8 (MB) | read (s) | peak (MB) | **peak MB per MB of file** "
    head += "| peak MB per MB of text |"
    lines = [head + (" before: read (s) | before: peak MB per MB of file |" if before else ""), "|---" * (8 + 2 * bool(before)) + "|"]
    names = {"txt": "text, UTF-8", "gb18030": "text, GB18030", "html": "web page, UTF-8", "docx": "Word", "pdf": "PDF text layer"}
    for r, old in itertools.zip_longest(runs, before):
        peak, file, text = per_mb(r)
        lines.append(
            f"| {names[r['kind']]} | {r['bytes'] / MB:,.1f} | {r['characters']:,} | {r['utf8'] / MB:,.1f} | {r['seconds']:.1f} "
            f"| {peak:,.0f} | **{file:.1f}** | {text:.1f} |" + (f" {old['seconds']:.1f} | {per_mb(old)[1]:.1f} |" if old else "")
        )
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 3 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=64, help="size of the text files and the web page, in MB")
    parser.add_argument("--small-mb", type=float, default=8, help="MB of text in the Word file and the PDF (slow to read)")
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    parser.add_argument("--compare", type=Path, help="another version of pipeline/text/readers.py (an older one) to measure too")
    parser.add_argument("--write", action="store_true", help="also write the table to benchmarks/reader-memory.md")
    args = parser.parse_args()
    runs, before = [], []
    for kind in args.kinds:
        size = int((args.small_mb if kind in ("docx", "pdf") else args.mb) * MB)
        runs.append(measure(kind, size))
        if args.compare:
            before.append(measure(kind, size, args.compare))
        print(table(runs, before).splitlines()[-1], flush=True)
    command = "python benchmarks/reader_memory.py " + " ".join(sys.argv[1:])
    text = (
        f"# Reader memory\n\n`{command.strip()}` on {date.today()}, Python {platform.python_version()}, {platform.machine()}.\n\n"
        "Each file is read by `read_report` in a fresh process, after a small file of its kind (so that what a first read\n"
        "loads once is not counted); peak is the peak resident set size during the read (Linux `VmHWM`, reset before it)\n"
        "minus the resident set size just before it, so it includes the file's bytes themselves. Times vary with the\n"
        "machine's load. The files are made by the script: report-like Chinese paragraphs\n"
        "(UTF-8 and GB18030 text, a web page of `<p>` elements, a Word file of plain paragraphs, a PDF in the Adobe\n"
        "font STSong-Light at 36 characters a line). Word files are compressed, so the per-text column compares better.\n"
        + ("The *before* columns read the same files with `--compare`'s readers.\n" if before else "")
        + f"\n{table(runs, before)}\n"
    )
    print("\n" + text)
    if args.write:
        (ROOT / "benchmarks" / "reader-memory.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
