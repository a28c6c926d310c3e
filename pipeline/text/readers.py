"""Read a report file into the text as read: the string every output offset points into.

Reports reach users as text files in many encodings, Word files, PDF downloads and web pages. Each format
has one small reader; for ``.docx``, ``.pdf`` and ``.html`` the text as read is the plain text a person
reads (no markup), for ``.txt`` it is the whole file as decoded.

The contract, for any file however damaged or hostile: ``read_report`` returns clean text or raises a
GovnerError of one line that names the file and the problem, never another exception, so that a batch can
report the file and go on with the next. File names are printed with ``safe_name`` (no raw line breaks, no
undecodable bytes). Clean text holds no lone surrogate (a PDF's text layer can): each becomes U+FFFD, so the
text returned is still the one string all offsets point into. Resources are bounded: a Word file is refused
before it is unpacked when it would unpack to more than MAX_UNPACKED bytes or a part compresses better than
MAX_RATIO:1 (a zip bomb); a web page is read as it streams past, with no tree and no recursion, however deep
its nesting; a text file is decoded once and not copied again.
"""

from __future__ import annotations

import codecs
import io
import itertools
import logging
import os
import re
import warnings
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import charset_normalizer
from lxml import etree

from pipeline.errors import GovnerError
from pipeline.text.files import require_file

MB = 1 << 20
# byte-order marks, longest first: the UTF-32 LE mark starts with the UTF-16 LE one
BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# declared encodings that real pages exceed: GB2312/GBK pages use GB18030 characters, Big5 pages HKSCS ones
WIDER = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "big5": "big5hkscs"}
SIGNATURES = ((b"%PDF-", "a PDF file (name it .pdf)"), (b"PK\x03\x04", "a ZIP archive (a .docx named wrongly?)"))
CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
SURROGATE = re.compile("[\ud800-\udfff]")
# what a one-line message must not print raw: control characters, line and paragraph separators, direction
# overrides, and surrogates (a name's bytes that were not UTF-8 are kept by the file system as U+DC80..U+DCFF)
UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# the encoding is detected on the first lines of a text file, then the whole file is decoded once in it
DETECTION_SAMPLE = MB
UTF8_LEAD = re.compile(rb"[\xc2-\xf4]")
# the encodings of lines that are not UTF-8 in a file that is: on a line or two, detection among all encodings
# guesses Korean or Central European as often as not
LEGACY_CHINESE = ["gb18030", "big5hkscs"]
UTF8_EVIDENCE = 32  # multi-byte UTF-8 characters before the first invalid byte that show a file is UTF-8
MAX_REPLACED = 1 / 100  # share of characters that may be U+FFFD in a text of mixed encodings
# a Word report unpacks to a few MB (tens with its pictures); Word's XML compresses about 10:1, a zip bomb 1,000:1
MAX_UNPACKED = 256 * MB
MAX_RATIO = 100
# elements whose text a reader does not see, elements that start a new line, and ruby annotations (pinyin
# above the characters, not part of the sentence: their text is left out)
HIDDEN = {"script", "style", "noscript", "template", "head", "title", "iframe", "object", "svg", "canvas"}
BLOCKS = {
    "address", "article", "aside", "blockquote", "caption", "dd", "details", "dialog", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "thead", "tfoot",
    "tr", "ul",
}
CELLS = {"td", "th"}
RUBY = {"rt", "rp"}
SPACES = re.compile(r"[ \t\r\n\f\v]+")
LINE_EDGES = re.compile(r"[ \t]*\n[ \t\n]*")


def _printable(text: str) -> str:
    return UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return ESCAPES.get(match.group()) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def safe_name(path: str | bytes | os.PathLike) -> str:
    """The file name as a one-line message can print it: bytes that were not UTF-8 as ``\\xNN``, line breaks
    and other control or text-direction characters as escapes; everything else (Chinese too) as it is."""
    return _printable(os.fsdecode(path))


def _what(err: BaseException) -> str:
    """An exception as a short printable phrase: its type and first 200 characters, on one line."""
    text = _printable(str(err))
    return f"{type(err).__name__}: {text[:200]}{'…' if len(text) > 200 else ''}" if text else type(err).__name__


def decode_text(data: bytes, where: Path, declared: str | None = None) -> str:
    """Decode by byte-order mark, then the declared encoding, then UTF-8, else the most likely encoding; a text
    whose lines are in different encodings is decoded line by line (see ``_by_line``)."""
    text = _decode(data, safe_name(where), declared)
    sample = text[:100_000]
    if len(CONTROL.findall(sample)) > len(sample) / 100:
        raise GovnerError(f"{safe_name(where)}: binary data, not text")
    return text


def _decode(data: bytes, name: str, declared: str | None) -> str:
    tries = [encoding for bom, encoding in BOMS if data.startswith(bom)][:1]
    if declared:
        tries.append(WIDER.get(declared.lower(), declared))
    utf8_end = 0  # how far the bytes are UTF-8
    for encoding in [*tries, "utf-8"]:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as err:
            utf8_end = err.start if encoding == "utf-8" else utf8_end
            continue
        except LookupError:
            continue
        if "\x00" not in text:  # UTF-8 accepts NUL bytes; text with them is UTF-16 without a mark, or binary
            return text
        del text
    for signature, what in SIGNATURES:
        if data.startswith(signature):
            raise GovnerError(f"{name}: is {what}, not text")
    sample = _sample(data, utf8_end)
    if _is_utf8_up_to(data, utf8_end):  # UTF-8, then not: lines in a Chinese legacy encoding, or damage
        return _by_line(data, name, _detect(sample, LEGACY_CHINESE) or _least_damaged(sample), utf8_end)
    other = _detect(sample)
    if other:
        try:
            return data.decode(other)
        except UnicodeDecodeError:
            pass
    return _by_line(data, name, _least_damaged(sample) or other, utf8_end)


def _is_utf8_up_to(data: bytes, end: int) -> bool:
    """Whether the bytes before ``end`` hold enough multi-byte UTF-8 characters to show the file is UTF-8 there."""
    return sum(1 for _ in itertools.islice(UTF8_LEAD.finditer(data, 0, end), UTF8_EVIDENCE)) == UTF8_EVIDENCE


def _lines(data: bytes, start: int = 0) -> Iterator[bytes]:
    """The lines of ``data`` from the one holding byte ``start``, each with its line break, one copy at a time."""
    start = data.rfind(b"\n", 0, start) + 1
    while start < len(data):
        end = data.find(b"\n", start) + 1 or len(data)
        yield data[start:end]
        start = end


def _sample(data: bytes, utf8_end: int) -> bytes:
    """About the first MB of the lines from byte ``utf8_end`` on that are not UTF-8, whole lines, so that no
    character is cut; for UTF-16 without a mark (NUL bytes), just the first MB, cut at an even byte."""
    if b"\x00" in data[:DETECTION_SAMPLE]:
        return data[: DETECTION_SAMPLE & ~1]
    sample, size = [], 0
    for line in _lines(data, utf8_end):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            sample.append(line)
            size += len(line)
            if size >= DETECTION_SAMPLE:
                break
    return b"".join(sample)


def _detect(data: bytes, among: list[str] | None = None) -> str | None:
    """The most likely encoding of ``data`` (charset-normalizer), of those ``among`` if given, or None."""
    best = charset_normalizer.from_bytes(data, cp_isolation=among).best() if data else None
    return best.encoding if best else None


def _least_damaged(sample: bytes) -> str | None:
    """The Chinese legacy encoding in which ``sample`` decodes with fewest bytes that do not fit, if they are
    rare enough for a damaged text (detection refuses an encoding that any byte does not fit)."""
    damage = {encoding: sample.decode(encoding, "replace").count("\ufffd") for encoding in LEGACY_CHINESE}
    best = min(damage, key=damage.get)
    return best if damage[best] <= len(sample) * MAX_REPLACED / 2 else None  # two bytes a character, about


def _by_line(data: bytes, name: str, other: str | None, utf8_end: int) -> str:
    """A text in more than one encoding (files joined from several sources), or damaged: each line in UTF-8 where
    it is UTF-8 (or nearly: a damaged byte or two become U+FFFD), else in ``other``, the encoding of the rest, where
    bytes that do not fit become U+FFFD too. When more than 1 character in 100 would, the file is refused, saying
    what was found."""
    parts, replaced = [], 0
    for line in _lines(data):
        try:
            parts.append(line.decode("utf-8"))
            continue
        except UnicodeDecodeError:
            pass
        decoded = line.decode("utf-8", "replace")
        bad = decoded.count("\ufffd")
        if other and bad * 20 > len(decoded):  # more than a damaged byte or two: the line is in the other encoding
            as_other = line.decode(other, "replace")
            if as_other.count("\ufffd") < bad:
                decoded, bad = as_other, as_other.count("\ufffd")
        parts.append(decoded)
        replaced += bad
    text = "".join(parts)
    del parts
    if replaced <= len(text) * MAX_REPLACED:
        return text
    if not _is_utf8_up_to(data, utf8_end):
        raise GovnerError(f"{name}: binary data, not text in any known encoding")
    line = data.count(b"\n", 0, utf8_end) + 1
    raise GovnerError(f"{name}: mixes encodings: UTF-8 up to byte {utf8_end:,} (line {line:,}), then neither UTF-8 nor "
                      f"{other or 'GB18030 or Big5'} ({replaced:,} of {len(text):,} characters would be lost)")


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


def _check_unpacked_size(name: str, data: bytes) -> None:
    """Refuse a ZIP archive that would unpack to too much, from the sizes its directory declares: zipfile never
    unpacks a part beyond its declared size, so these sizes bound what python-docx can unpack."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except Exception as err:  # zipfile raises several kinds of error on damaged archives
        raise GovnerError(f"{name}: not a readable Word file ({_what(err)})") from None
    total = sum(part.file_size for part in parts)
    if total > MAX_UNPACKED:
        raise GovnerError(f"{name}: Word file would unpack to {total / MB:,.0f} MB (limit {MAX_UNPACKED // MB} MB): "
                          f"refused as a zip bomb")
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > MB and ratio > MAX_RATIO:
            raise GovnerError(f"{name}: Word file part {_printable(part.filename)} compresses {ratio:,.0f}:1 "
                              f"(limit {MAX_RATIO}:1): refused as a zip bomb")


def read_docx(path: Path, data: bytes) -> str:
    """Body paragraphs and tables; running headers and footers are page furniture and left out."""
    import docx

    _check_unpacked_size(safe_name(path), data)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as err:  # python-docx and zipfile raise many kinds of error on damaged files
        raise GovnerError(f"{safe_name(path)}: not a readable Word file ({_what(err)})") from None
    return "\n".join(_docx_blocks(document))


def read_pdf(path: Path, data: bytes) -> str:
    """The text layer, pages joined by a line break; a PDF without one was scanned and needs OCR first. A PDF
    encrypted with an owner password only (printing or copying restricted) opens: its user password is empty."""
    from pypdf import PdfReader

    pypdf_log = logging.getLogger("pypdf")
    level = pypdf_log.level
    pypdf_log.setLevel(logging.CRITICAL)  # pypdf logs what it repairs ("EOF marker not found"), without the file's name
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise GovnerError(f"{safe_name(path)}: PDF is password-protected")
            pages = [(page.extract_text() or "").strip("\n") for page in reader.pages]
    except GovnerError:
        raise
    except Exception as err:  # pypdf raises many kinds of error on damaged files
        raise GovnerError(f"{safe_name(path)}: not a readable PDF ({_what(err)})") from None
    finally:
        pypdf_log.setLevel(level)
    if not any(page.strip() for page in pages):
        raise GovnerError(f"{safe_name(path)}: PDF has no text layer (a scan?); run OCR first, e.g. ocrmypdf --language chi_sim")
    return "\n".join(pages)


class _VisibleText:
    """An lxml parser target that keeps the text a browser shows as the page streams past: whitespace collapsed,
    block elements on lines of their own, table cells after a tab. No tree is built: memory does not grow with
    the number of elements, nor the stack with their nesting."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.run: list[str] = []  # the pieces of the current text node, which the parser hands over in parts
        self.hidden = 0  # open elements whose content is not shown
        self.ruby = 0  # open ruby annotations: their text is left out, their elements are not

    def flush(self) -> None:
        if self.run:
            self.out.append(SPACES.sub(" ", "".join(self.run)))
            self.run.clear()

    def start(self, tag: str, attrib) -> None:
        self.flush()
        self.ruby += tag in RUBY
        if self.hidden or tag in HIDDEN:
            self.hidden += tag in HIDDEN
        elif tag == "br" or tag in BLOCKS:
            self.out.append("\n")
        elif tag in CELLS:
            self.out.append("\t")

    def end(self, tag: str) -> None:
        self.flush()
        self.ruby -= tag in RUBY
        if tag in HIDDEN:
            self.hidden -= 1
        elif tag in BLOCKS and not self.hidden:
            self.out.append("\n")

    def data(self, text: str) -> None:
        if not (self.hidden or self.ruby):
            self.run.append(text)

    def comment(self, *args) -> None:  # comments, processing instructions and doctypes end a text node
        self.flush()

    pi = doctype = comment

    def close(self) -> str:
        self.flush()
        return "".join(self.out)


def read_html(path: Path, data: bytes) -> str:
    """The text a browser shows: no markup, scripts or styles; one line per block element."""
    declared = META_CHARSET.search(data[:4096])
    text = decode_text(data, path, declared.group(1).decode("ascii", "replace") if declared else None)
    parser = etree.HTMLParser(target=_VisibleText(), recover=True)
    try:
        parser.feed(text.removeprefix("\ufeff"))
        del text
        shown = parser.close()
    except Exception as err:  # lxml fails on a few pathological documents
        raise GovnerError(f"{safe_name(path)}: not a readable web page ({_what(err)})") from None
    return LINE_EDGES.sub("\n", shown.replace("\u00a0", " ")).strip(" \t\n")


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
    name = safe_name(path)
    try:
        require_file(path, name)
    except OSError as err:
        raise GovnerError(f"{name}: cannot read ({err.strerror or _what(err)})") from None
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise GovnerError(f"{name}: unsupported file type {_printable(repr(path.suffix))} (readable: {', '.join(READABLE_SUFFIXES)})")
    return reader


def read_report(path: Path) -> str:
    """Return the text as read of a report; raise GovnerError naming the file when it cannot be read, and no other
    exception whatever the file holds."""
    reader = reader_for(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise GovnerError(f"{safe_name(path)}: cannot read ({err.strerror or _what(err)})") from None
    try:
        text = reader(path, data)
    except GovnerError:
        raise
    except RecursionError:
        raise GovnerError(f"{safe_name(path)}: nested too deeply to read") from None
    except MemoryError:
        raise GovnerError(f"{safe_name(path)}: too large to read in memory ({len(data) / MB:,.0f} MB)") from None
    except Exception as err:  # a reader's library can fail in ways no one foresaw; the batch goes on
        raise GovnerError(f"{safe_name(path)}: cannot read ({_what(err)})") from None
    del data
    if SURROGATE.search(text):  # pairs (two code points) become the one character they encode, lone ones U+FFFD
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    if not text or text.isspace():
        raise GovnerError(f"{safe_name(path)}: file has no text")
    return text
