"""Synthetic files for the tests and the benchmarks: a PDF whose text layer is Chinese, written by hand (no PDF
library needed), and a Doccano export zip. Here, not in a test module, so that a benchmark or another test file
can use them without importing tests."""

import io
import json
import zipfile


def make_pdf(pages: list[list[str]]) -> bytes:
    """A PDF whose pages show the given lines in the Adobe CJK font STSong-Light (UniGB-UCS2-H, no font file
    needed), as reportlab writes Chinese; a page with no lines is drawn only, like a scan without OCR."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    cid = add(
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) "
        b"/Ordering (GB1) /Supplement 2 >> /FontDescriptor << /Type /FontDescriptor /FontName /STSong-Light "
        b"/Flags 6 /FontBBox [0 -200 1000 900] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >> >>"
    )
    font = add(b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [%d 0 R] >>" % cid)
    parent = len(objects) + 1 + 2 * len(pages)
    kids = []
    for lines in pages:
        ops = [b"BT /F1 12 Tf 14 TL 50 800 Td", *(b"<%s> Tj T*" % line.encode("utf-16-be").hex().encode() for line in lines), b"ET"]
        stream = b"\n".join(ops) if lines else b"0.5 g 50 50 495 742 re f"
        content = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        kids.append(
            add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                % (parent, font, content))
        )
    add(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids)))
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % parent)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref)
    return bytes(out)


def doccano_export(members: dict[str, list[dict]]) -> bytes:
    """A Doccano export zip: one JSONL member per annotator (``admin.jsonl``: records)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, records in members.items():
            zf.writestr(name, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return buffer.getvalue()
