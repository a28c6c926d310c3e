"""Read a report file into the text as read: the string every output offset points into.

Reports reach users as text files in many encodings, Word files, PDF downloads and web pages. Each format
has one small reader; for ``.docx``, ``.pdf`` and ``.html`` the text as read is the plain text a person
reads (no markup), for ``.txt`` it is the whole file as decoded. Any failure is a GovnerError naming the
file, so a batch can report it and go on with the next file.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import charset_normalizer
from bs4 import BeautifulSoup, NavigableString, Tag

from ._util import GovnerError

# byte-order marks, longest first: the UTF-32 LE mark starts with the UTF-16 LE one
BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# declared encodings that real pages exceed: GB2312/GBK pages use GB18030 characters, Big5 pages HKSCS ones
WIDER = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "big5": "big5hkscs"}
SIGNATURES = ((b"%PDF-", "a PDF file (name it .pdf)"), (b"PK\x03\x04", "a ZIP archive (a .docx named wrongly?)"))
CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
# elements whose text a reader does not see, and elements that start a new line
HIDDEN = {"script", "style", "noscript", "template", "head", "title", "iframe", "object", "svg", "canvas"}
BLOCKS = {
    "address", "article", "aside", "blockquote", "caption", "dd", "details", "dialog", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "thead", "tfoot",
    "tr", "ul",
}
CELLS = {"td", "th"}
SPACES = re.compile(r"[ \t\r\n\f\v]+")


def decode_text(data: bytes, where: Path, declared: str | None = None) -> str:
    """Decode by byte-order mark, then the declared encoding, then UTF-8, else the most likely encoding."""
    text = _decode(data, where, declared)
    sample = text[:100_000]
    if len(CONTROL.findall(sample)) > len(sample) / 100:
        raise GovnerError(f"{where}: binary data, not text")
    return text


def _decode(data: bytes, where: Path, declared: str | None) -> str:
    tries = [encoding for bom, encoding in BOMS if data.startswith(bom)][:1]
    if declared:
        tries.append(WIDER.get(declared.lower(), declared))
    for encoding in [*tries, "utf-8"]:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if "\x00" not in text:  # UTF-8 accepts NUL bytes; text with them is UTF-16 without a mark, or binary
            return text
    for signature, what in SIGNATURES:
        if data.startswith(signature):
            raise GovnerError(f"{where}: is {what}, not text")
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise GovnerError(f"{where}: binary data, not text in any known encoding")
    return str(best)


def read_txt(path: Path, data: bytes) -> str:
    """The whole file as decoded: UTF-8 with or without BOM, UTF-16/32 with BOM, else as detected (GB18030, Big5, …)."""
    return decode_text(data, path)


def _docx_blocks(container) -> Iterator[str]:
    """Paragraphs and table rows in document order; a table row is its cells joined by tabs."""
    from docx.table import Table

    for block in container.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells = []
                for cell in row.cells:
                    if not cells or cell is not cells[-1][0]:  # a merged cell is returned once per grid column
                        cells.append((cell, "\n".join(_docx_blocks(cell))))
                yield "\t".join(text for _, text in cells)
        else:
            yield block.text


def read_docx(path: Path, data: bytes) -> str:
    """Body paragraphs and tables; running headers and footers are page furniture and left out."""
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as err:  # python-docx and zipfile raise many kinds of error on damaged files
        raise GovnerError(f"{path}: not a readable Word file ({type(err).__name__}: {err})") from None
    return "\n".join(_docx_blocks(document))


def read_pdf(path: Path, data: bytes) -> str:
    """The text layer, pages joined by a line break; a PDF without one was scanned and needs OCR first."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise GovnerError(f"{path}: PDF is password-protected")
        pages = [(page.extract_text() or "").strip("\n") for page in reader.pages]
    except GovnerError:
        raise
    except Exception as err:  # pypdf raises many kinds of error on damaged files
        raise GovnerError(f"{path}: not a readable PDF ({type(err).__name__}: {err})") from None
    if not any(page.strip() for page in pages):
        raise GovnerError(f"{path}: PDF has no text layer (a scan?); run OCR first, e.g. ocrmypdf --language chi_sim")
    return "\n".join(pages)


def _html_text(node: Tag, out: list[str]) -> None:
    """Append the visible text of ``node``: whitespace collapsed, block elements on lines of their own."""
    for child in node.children:
        if isinstance(child, NavigableString):
            if type(child) is NavigableString:  # not a comment, CDATA or doctype
                out.append(SPACES.sub(" ", str(child)))
        elif isinstance(child, Tag) and child.name not in HIDDEN:
            if child.name == "br":
                out.append("\n")
            elif child.name in BLOCKS:
                out.append("\n")
                _html_text(child, out)
                out.append("\n")
            else:
                if child.name in CELLS:
                    out.append("\t")
                _html_text(child, out)


def read_html(path: Path, data: bytes) -> str:
    """The text a browser shows: no markup, scripts or styles; one line per block element."""
    declared = META_CHARSET.search(data[:4096])
    text = decode_text(data, path, declared.group(1).decode("ascii", "replace") if declared else None)
    try:
        soup = BeautifulSoup(text, "lxml")
    except Exception as err:  # lxml fails on a few pathological documents
        raise GovnerError(f"{path}: not a readable web page ({type(err).__name__}: {err})") from None
    out: list[str] = []
    _html_text(soup, out)
    lines = (line.strip(" \t\u00a0") for line in "".join(out).replace("\u00a0", " ").split("\n"))
    return "\n".join(line for line in lines if line)


READERS: dict[str, Callable[[Path, bytes], str]] = {
    ".txt": read_txt,
    ".docx": read_docx,
    ".pdf": read_pdf,
    ".html": read_html,
    ".htm": read_html,
}
READABLE_SUFFIXES = tuple(READERS)


def reader_for(path: Path) -> Callable[[Path, bytes], str]:
    """The reader of a report file; GovnerError when the file is missing, empty or of a type no reader knows."""
    if not path.exists():
        raise GovnerError(f"{path}: no such file")
    if not path.is_file():
        raise GovnerError(f"{path}: not a file")
    if path.stat().st_size == 0:
        raise GovnerError(f"{path}: file is empty")
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise GovnerError(f"{path}: unsupported file type {path.suffix!r} (readable: {', '.join(READABLE_SUFFIXES)})")
    return reader


def read_report(path: Path) -> str:
    """Return the text as read of a report; raise GovnerError naming the file when it cannot be read."""
    reader = reader_for(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise GovnerError(f"{path}: cannot read ({err.strerror})") from None
    text = reader(path, data)
    if not text.strip():
        raise GovnerError(f"{path}: file has no text")
    return text
