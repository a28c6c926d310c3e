"""Every reader on a file of its kind, made here: encodings, Word, PDF, web pages, and the files that must fail."""

import codecs
import os
from pathlib import Path

import docx
import pytest

from pipeline.errors import GovnerError
from pipeline.text.clean import clean
from pipeline.text.readers import read_report

from .documents import make_pdf

REPORT = (
    "2023年泉州市政府工作报告\n"
    "各位代表：现在，我代表市人民政府向大会报告工作。\n"
    "全市生产总值达到12,102亿元，增长3.5%，连续24年居全省首位。\n"
    "恒安集团、九牧集团、盼盼食品等18个增资扩产项目集中开工。\n"
)
TRADITIONAL = "2023年泉州市政府工作報告\n恆安集團、九牧集團等十八個增資擴產項目集中開工，經濟總量居全省首位。\n"


# a report of two pages: running header, a line broken inside the word 安踏体育, a page number
PDF_PAGES = [
    [
        "2022年晋江市政府工作报告",
        "全市经济总量连续二十八年居全省县域经济首位，一批名企名品走向世界，安踏体",
        "育营收超过490亿元，恒安集团、七匹狼入选中国民营企业500强。",
        "— 1 —",
    ],
    ["2022年晋江市政府工作报告", "晋江经济开发区获批省级高新技术产业园区。", "— 2 —"],
]


def make_docx(path: Path) -> Path:
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "页眉：不属于正文"
    document.add_heading("2023年泉州市政府工作报告", level=1)
    document.add_paragraph("各位代表：恒安集团、九牧集团等18个增资扩产项目集中开工。")
    table = document.add_table(rows=2, cols=2)
    for (row, col), text in {(0, 0): "企业", (0, 1): "营收", (1, 0): "安踏体育", (1, 1): "536亿元"}.items():
        table.cell(row, col).text = text
    document.add_paragraph("晋江市规上工业增加值增长9.1%。")
    document.save(path)
    return path


HTML = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>标题不算正文</title>
<style>p {{ color: red }}</style><script>var x = "不是正文";</script></head>
<body><!-- 注释不算 --><div class="nav"><a href="/">首页</a></div>
<h1>2023年{name}政府工作报告</h1>
<p>各位代表：<b>恒安集团</b>、<a href="#">九牧
集团</a>等项目集中开工&amp;投产。<br>第二行。</p>
<table><tr><td>安踏体育</td><td>536亿元</td></tr></table>
</body></html>"""


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "gb18030", "gbk"]
)
def test_text_files_decode_in_every_encoding(tmp_path: Path, encoding: str):
    text = REPORT + ("𠮷野家扩店。\n" if encoding in ("gb18030", "utf-8", "utf-16") else "")  # 𠮷: four bytes in GB18030
    assert read_report(write(tmp_path / "r.txt", text.encode(encoding))) == text


def test_utf16_without_mark_and_big5_are_detected(tmp_path: Path):
    assert read_report(write(tmp_path / "le.txt", REPORT.encode("utf-16-le"))) == REPORT
    assert read_report(write(tmp_path / "big5.txt", TRADITIONAL.encode("big5"))) == TRADITIONAL


def test_text_is_the_whole_file_as_decoded(tmp_path: Path):
    text = "  晋江市\r\n\r\n\t全省第\n一。\f\n"
    assert read_report(write(tmp_path / "r.txt", codecs.BOM_UTF8 + text.encode())) == text


def test_docx_body_and_tables_in_order_without_header(tmp_path: Path):
    text = read_report(make_docx(tmp_path / "r.docx"))
    assert text.split("\n") == [
        "2023年泉州市政府工作报告",
        "各位代表：恒安集团、九牧集团等18个增资扩产项目集中开工。",
        "企业\t营收",
        "安踏体育\t536亿元",
        "晋江市规上工业增加值增长9.1%。",
    ]


def test_pdf_text_layer_with_the_break_inside_a_word(tmp_path: Path):
    text = read_report(write(tmp_path / "r.pdf", make_pdf(PDF_PAGES)))
    assert text.split("\n") == [line for page in PDF_PAGES for line in page]
    assert "安踏体\n育" in text
    assert "安踏体育营收" in clean(text).text


def test_scanned_pdf_asks_for_ocr(tmp_path: Path):
    with pytest.raises(GovnerError, match=r"scan\.pdf: PDF has no text layer \(a scan\?\); run OCR first"):
        read_report(write(tmp_path / "scan.pdf", make_pdf([[], []])))


def test_damaged_pdf_is_named(tmp_path: Path):
    with pytest.raises(GovnerError, match=r"cut\.pdf: not a readable PDF"):
        read_report(write(tmp_path / "cut.pdf", make_pdf(PDF_PAGES)[:300]))


def test_html_is_the_text_a_browser_shows(tmp_path: Path):
    page = HTML.format(name="朱镕基故居所在地").encode("gbk")  # 镕 is GBK, not GB2312: the page exceeds its declaration
    assert read_report(write(tmp_path / "r.html", page)).split("\n") == [
        "首页",
        "2023年朱镕基故居所在地政府工作报告",
        "各位代表：恒安集团、九牧 集团等项目集中开工&投产。",
        "第二行。",
        "安踏体育\t536亿元",
    ]


def test_short_page_trusts_its_declared_encoding_widened(tmp_path: Path):
    """Detection guesses wrong on a few characters; the page's declared GB2312, read as GB18030, does not."""
    page = '<meta charset="gb2312"><p>朱镕基故居</p>'.encode("gbk")
    assert read_report(write(tmp_path / "short.htm", page)) == "朱镕基故居"


@pytest.mark.parametrize(
    ("name", "data", "problem"),
    [
        ("empty.txt", b"", "file is empty"),
        ("blank.txt", " \n\u3000\n".encode(), "file has no text"),
        ("binary.txt", bytes(range(256)) * 64, "binary data"),
        ("random.txt", os.urandom(4096), "binary data"),
        ("pdf.txt", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\nrest", "is a PDF file"),
        ("broken.docx", b"PK\x03\x04 not really a zip", "not a readable Word file"),
        ("picture.jpg", b"\xff\xd8\xff\xe0", "unsupported file type '.jpg'"),
        ("blank.html", b"<html><body><script>x()</script></body></html>", "file has no text"),
    ],
)
def test_unreadable_files_fail_with_one_line_naming_them(tmp_path: Path, name: str, data: bytes, problem: str):
    with pytest.raises(GovnerError) as err:
        read_report(write(tmp_path / name, data))
    assert str(err.value).startswith(f"{tmp_path / name}: {problem}") and "\n" not in str(err.value)


def test_missing_file_and_folder(tmp_path: Path):
    with pytest.raises(GovnerError, match="no such file"):
        read_report(tmp_path / "missing.txt")
    with pytest.raises(GovnerError, match="not a file"):
        read_report(tmp_path)


def test_twenty_megabyte_gb18030_file(tmp_path: Path):
    text = REPORT * (20_000_000 // len(REPORT.encode("gb18030")) + 1)
    path = write(tmp_path / "big.txt", text.encode("gb18030"))
    assert path.stat().st_size > 20_000_000
    read = read_report(path)
    assert read == text
    cleaned = clean(read)
    last = read.rindex("盼盼食品")
    start, end = cleaned.from_original(last, last + 4)
    assert cleaned.text[start:end] == "盼盼食品" and cleaned.to_original(start, end) == (last, last + 4)
