"""What a push or pull does, decided without a server: pure functions from data to data, tested without Doccano.

``doccano.py`` asks the server (through the adapter in ``doccano_api.py``) what is there, hands it to these
functions, and carries out what they return. The contracts kept here:

- a paragraph is known by a hash of its document id and its text, both of which Doccano keeps exactly, so pushing
  the same paragraphs again adds nothing, and nothing internal has to be shown to annotators to achieve it;
- the annotators who already got suggestions on a paragraph are kept in its metadata under a name that tells an
  annotator what it is (``suggestions_given_to``), so a suggestion an annotator deleted is never served again;
- a suggestion is trimmed of the whitespace (line breaks included) at its edges; one that still breaks the scheme is
  dropped with a warning;
- every user name that becomes a file name is a plain file name, and every file lies inside the output folder;
- offsets are code points here and UTF-16 units in Doccano's browser editor, so texts with characters outside the
  Basic Multilingual Plane are refused rather than silently shifted;
- the guideline is sent without the hard line breaks of its Markdown source, which Doccano would show as breaks.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from collections import Counter
from pathlib import Path

from pipeline.annotation import agreement as agree
from pipeline.annotation.doccano_colors import text_color
from pipeline.errors import GovnerError
from pipeline.scheme import Span, describe, span_problems

SUGGESTED_KEY = "suggestions_given_to"  # shown to annotators in Doccano's metadata panel, so named for them
LEGACY_KEYS = ("govner_hash", "govner_suggested")  # what earlier versions kept in the metadata; read, then removed
INTERNAL_KEYS = (SUGGESTED_KEY, *LEGACY_KEYS)
# keys of a record that are not its metadata in Doccano: Doccano's import fields and govner's own bookkeeping
NOT_META = ("text", "label", "entities", *INTERNAL_KEYS)
EXPORT_DROPPED = ("id", "label", "Comments", *INTERNAL_KEYS)


# ---- paragraphs and their identity ----


def content_hash(record: dict) -> str:
    """A paragraph's identity in Doccano: its document and its text, not its position, so re-ingesting keeps it."""
    return hashlib.sha1(json.dumps([str(record.get("doc_id", "")), record["text"]], ensure_ascii=False).encode("utf-8")).hexdigest()


def example_hash(example: dict) -> str:
    """The content hash of an example as Doccano lists it (``doc_id`` lives in its metadata)."""
    return content_hash({"doc_id": (example.get("meta") or {}).get("doc_id", ""), "text": example.get("text") or ""})


def served_to(meta: dict) -> set[str]:
    """The annotators who already got suggestions on an example (earlier versions kept them as ``govner_suggested``)."""
    return set(meta.get(SUGGESTED_KEY) or []) | set(meta.get("govner_suggested") or [])


def meta_served(meta: dict, names: set[str]) -> dict:
    """The example's metadata with ``names`` added to those served and the legacy keys gone."""
    kept = {k: v for k, v in meta.items() if k not in INTERNAL_KEYS}
    return {**kept, SUGGESTED_KEY: sorted(served_to(meta) | names)}


def outside_bmp(text: str) -> list[str]:
    """Characters that are one code point here and two UTF-16 units in the browser."""
    return sorted({ch for ch in text if ord(ch) > 0xFFFF})


def bmp_problem(text: str) -> str | None:
    chars = outside_bmp(text)
    if not chars:
        return None
    shown = ", ".join(f"U+{ord(c):05X} {c}" for c in chars[:5])
    return (
        f"has characters outside the Basic Multilingual Plane ({shown}), which Doccano's editor counts as two "
        "UTF-16 units, so offsets would drift; replace them or leave the paragraph out"
    )


def unique_records(records: list[dict]) -> dict[str, dict]:
    """The records by content hash, the first of each kept, in order."""
    unique: dict[str, dict] = {}
    for record in records:
        unique.setdefault(content_hash(record), record)
    return unique


# ---- suggestions ----


def trim_whitespace(text: str, span: Span) -> Span | None:
    """The span without the whitespace (line breaks included) at its edges; None when nothing else is left."""
    start, end, label = span
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
        return span
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end, label) if start < end else None


def clean_suggestions(before: list[dict], after: list[dict]) -> tuple[list[dict], list[str]]:
    """Records with suggestions (``after``) trimmed of edge whitespace; a suggestion that still breaks the scheme is
    dropped with one warning. Spans the records had already (``before``) are kept as they are (checked at load)."""
    out, warnings = [], []
    for old, new in zip(before, after):
        text = new["text"]
        given = {tuple(s) for s in old["label"]}
        spans, trimmed = [], []
        for span in (tuple(s) for s in new["label"]):
            if span in given:
                spans.append(span)
            elif (cut := trim_whitespace(text, span)) is not None:
                trimmed.append(cut)
        trimmed = [s for s in dict.fromkeys(trimmed) if s not in given]
        bad = {tuple(span) for span, _ in span_problems(text, spans + trimmed) if tuple(span) not in given}
        where = f"{new.get('doc_id', '')}#{new.get('para_index', '')}"
        warnings.extend(f"{where}: suggestion {describe(text, span)} dropped" for span in sorted(bad))
        out.append({**new, "label": sorted([list(s) for s in spans + trimmed if s not in bad])})
    return out, warnings


# ---- push ----


def import_rows(records: list[dict], pusher_suggests: bool, pusher: str, annotators: list[str]) -> list[dict]:
    """Rows for Doccano's JSONL import: every row with the same metadata keys, or the whole import fails.

    A paragraph without suggestions counts as served to everyone; with them, to the pusher when the pusher is an
    annotator (the import creates the spans as the pusher), else to no one yet.
    """
    metas = [{k: v for k, v in r.items() if k not in NOT_META} for r in records]
    keys = sorted(set().union(*metas)) if metas else []
    rows = []
    for record, meta in zip(records, metas):
        served = sorted(annotators) if not record["label"] else [pusher] if pusher_suggests else []
        rows.append({
            "text": record["text"],
            "label": record["label"] if pusher_suggests else [],
            **{k: meta.get(k, "") for k in keys},
            SUGGESTED_KEY: served,
        })  # fmt: skip
    return rows


def by_hash(examples: list[dict]) -> dict[str, list[dict]]:
    """Examples by content hash, oldest first."""
    out: dict[str, list[dict]] = {}
    for example in examples:
        out.setdefault(example_hash(example), []).append(example)
    for found in out.values():
        found.sort(key=lambda e: e["id"])
    return out


def extra_copies(hashes: list[str], before: dict[str, list[dict]], after: dict[str, list[dict]]) -> list[int]:
    """Ids of the second and later copies of paragraphs this push imported (a retried import task can add a
    batch twice; the copies have no annotation yet). Copies that were there before the push are not ours to touch."""
    return [e["id"] for h in hashes if h not in before for e in after.get(h, [])[1:]]


def suggestion_work(unique: dict[str, dict], after: dict[str, list[dict]], names: list[str]) -> list[tuple[str, dict, list[str]]]:
    """``(hash, example, annotators to serve)`` for every pushed paragraph that some annotator has not been served."""
    work = []
    for h in unique:
        example = after[h][0]
        todo = [name for name in names if name not in served_to(example.get("meta") or {})]
        if todo:
            work.append((h, example, todo))
    return work


def spans_to_create(spans: list[list], have: set[tuple[int, int, int]], label_ids: dict[str, int]) -> list[tuple[int, int, int]]:
    """``(start, end, label id)`` of the suggestions an annotator does not have yet."""
    wanted = [(start, end, label_ids[label]) for start, end, label in spans]
    return [s for s in wanted if s not in have]


def labels_to_fix(existing: dict[str, dict], labels: tuple[str, ...], colors: dict[str, str]) -> tuple[list[tuple], list[tuple]]:
    """``(to create, to recolour)``: ``(label, shortcut key or None, colour, text colour)`` for each label the project
    lacks, keys 1–5 where free; ``(label, id, colour, text colour)`` for each whose colours are not the scheme's
    (earlier pushes used colours too alike as Doccano draws them)."""
    keys = {t.get("key") for t in existing.values()}
    create, recolour = [], []
    for i, label in enumerate(labels, 1):
        color = colors[label]
        ink = text_color(color)
        if label not in existing:
            create.append((label, str(i) if str(i) not in keys else None, color, ink))
        elif (str(existing[label].get("color")).lower(), str(existing[label].get("text_color")).lower()) != (color.lower(), ink):
            recolour.append((label, existing[label]["id"], color, ink))
    return create, recolour


# ---- guideline ----

_FENCE = re.compile(r"^\s*(```|~~~)")
_BLOCK = re.compile(r"^\s*(#{1,6}\s|[-*_]{3,}\s*$|\||<|>|[-*+]\s|\d+[.)]\s)")
_STANDALONE = re.compile(r"^\s*(#|[-*_]{3,}\s*$|\||<)")
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")


def _quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _unquote(line: str) -> str:
    return re.sub(r"^\s*>\s?", "", line) if _quoted(line) else line


def unwrap_markdown(text: str) -> str:
    """Markdown with the lines of each paragraph and list item joined, for renderers that keep single line breaks.

    Headings, list items, table rows, block quotes, HTML and rules start a line of their own; fenced code is kept
    as it is; a line ending in two spaces or a backslash keeps its break. Lines are joined with a space, or with
    nothing between two CJK characters. Indented code blocks are not recognised (the guideline has none).
    """
    out: list[str] = []
    fenced = joinable = False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
            out.append(line)
            joinable = False
            continue
        if fenced or not line.strip():
            out.append(line)
            joinable = False
            continue
        body = _unquote(line) if joinable and _quoted(out[-1]) else line
        if joinable and body.strip() and not _BLOCK.match(body):
            prev, cont = out[-1].rstrip(), body.strip()
            out[-1] = prev + ("" if _CJK.match(prev[-1]) and _CJK.match(cont[0]) else " ") + cont
        else:
            out.append(line)
            body = _unquote(line)
        joinable = bool(body.strip()) and not _STANDALONE.match(body) and not line.endswith(("  ", "\\"))
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


# ---- pull ----

_BAD_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


def plain_name(name: str) -> bool:
    """Whether ``name`` can be a file name as it is: not empty, no folder part, no control characters, not . or .."""
    return bool(name) and name not in (".", "..") and not _BAD_NAME.search(name)


def inside(folder: Path, relative: str) -> Path:
    """``folder / relative``, refused unless it lies inside ``folder`` (no ``..``, no absolute path, no link out)."""
    base = folder.resolve()
    path = (base / relative).resolve()
    if Path(relative).is_absolute() or ".." in Path(relative).parts or base not in path.parents:
        raise GovnerError(f"{folder}: refusing to write {relative!r}, which is not inside it")
    return folder / relative


def read_export(path: Path, where: str | None = None) -> dict[str, list[dict]]:
    """``{username: records}`` from Doccano's JSONL export zip, one ``<username>.jsonl`` a member at its top level.

    The names come from the server, and each becomes a file name, so anything but a plain name is refused.
    Messages start with ``where`` (the server's address), else the zip's name.
    """
    where = where or path.name
    out: dict[str, list[dict]] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            for name in sorted(zf.namelist()):
                if name.endswith("/"):
                    continue
                user = name[: -len(".jsonl")] if name.endswith(".jsonl") else None
                if user is None or not plain_name(user):
                    raise GovnerError(
                        f"{where}: Doccano's export holds {name!r}, whose user name is not a plain file name; nothing written"
                    )
                lines = zf.read(name).decode("utf-8").splitlines()
                out[user] = [json.loads(line) for line in lines if line.strip()]
    except (zipfile.BadZipFile, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise GovnerError(f"{where}: Doccano's export cannot be read ({err}); nothing written") from None
    return out


def check_users(url: str, project: str, members: set[str], adjudicator: str | None, annotators: list[str] | None) -> None:
    """Every user named for the pull is a member of the project (a typo would otherwise merge silently without them)."""
    for role, name in [("adjudicator", adjudicator), *(("annotator", a) for a in annotators or [])]:
        if name and name not in members:
            raise GovnerError(f"{url}: {role} {name!r} is not a member of project {project!r} (no such Doccano user?)")


def select_exported(exported: dict[str, list[dict]], wanted: set[str], confirmed_only: bool) -> dict[str, list[dict]]:
    """The members' files that count. Unconfirmed, every member's file holds every paragraph: without a list of
    annotators, count only those who made a span somewhere."""
    return {
        user: records
        for user, records in exported.items()
        if records and (not wanted or user in wanted) and (confirmed_only or wanted or any(r.get("label") for r in records))
    }


def from_export(record: dict) -> tuple[dict, list[Span]]:
    """A paragraph record as pushed (metadata back at the top level, Doccano's own keys gone) and its spans."""
    base = {k: v for k, v in record.items() if k not in EXPORT_DROPPED and v is not None}
    return base, sorted(tuple(s) for s in record.get("label") or [])


def dump_jsonl(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def plan_pull(url: str, project: str, exported: dict[str, list[dict]], adjudicator: str | None, confirmed_only: bool) -> dict:
    """Agreement, merge and the files to write, from the members' exported records.

    Returns ``{"report", "files", "merged", "conflicted", "warnings"}``; ``files`` maps paths relative to the
    output folder to their content. Raises when a paragraph cannot be pulled with code-point offsets.
    """
    bases: dict[int, dict] = {}
    versions: agree.Versions = {}
    problems, warnings = [], []
    for user, records in exported.items():
        versions[user] = {}
        for record in records:
            base, spans = from_export(record)
            key = record["id"]
            if why := bmp_problem(base.get("text", "")):
                problems.append(f"{project}#{key}: text {why}")
                continue
            warnings.extend(
                f"{project}#{key} ({user}): span {describe(base['text'], span)} {why}" for span, why in span_problems(base["text"], spans)
            )
            bases[key] = base
            versions[user][key] = spans
    if problems:
        raise GovnerError(
            f"{url}: {len(problems)} paragraph(s) cannot be pulled with code-point offsets, nothing written", details=problems
        )
    merged, conflicted, rules = [], [], Counter()
    for key in sorted(bases):
        of_paragraph = {user: v[key] for user, v in versions.items() if key in v}
        spans, rule = agree.merge(of_paragraph, adjudicator)
        rules[rule] += 1
        if spans is None:
            conflicted.append(
                {**bases[key], "label": [], "doccano_id": key, "versions": {u: [list(s) for s in v] for u, v in of_paragraph.items()}}
            )
        else:
            merged.append({**bases[key], "label": [list(s) for s in spans], "annotators": sorted(of_paragraph), "merge": rule})
    disagreements = agree.conflicts(versions, adjudicator)
    report = {
        "url": url,
        "project": project,
        "confirmed_only": confirmed_only,
        "adjudicator": adjudicator,
        "annotators": {user: len(v) for user, v in sorted(versions.items())},
        "pairs": agree.agreement({u: v for u, v in versions.items() if u != adjudicator}),
        "merge": dict(rules),
        "disagreements": [
            {"doccano_id": k, "doc_id": bases[k].get("doc_id"), "para_index": bases[k].get("para_index")} for k in disagreements
        ],
        "conflicts": [r["doccano_id"] for r in conflicted],
    }
    files = {
        f"annotators/{user}.jsonl": dump_jsonl([{**bases[k], "label": [list(s) for s in v[k]]} for k in sorted(v)])
        for user, v in versions.items()
    }
    files["merged.jsonl"] = dump_jsonl(merged)
    files["review/conflicts.jsonl"] = dump_jsonl(conflicted)
    files["agreement.json"] = json.dumps(report, ensure_ascii=False, indent=2) + "\n"
    return {"report": report, "files": files, "merged": len(merged), "conflicted": len(conflicted), "warnings": warnings}


def backup_name(rel: str, stamp: str, taken) -> str:
    """Where a replaced file is kept: ``previous/<stamp>/<rel>``, or ``<stamp>-<n>`` when that is ``taken``."""
    candidate, n = f"previous/{stamp}/{rel}", 1
    while taken(candidate):
        candidate, n = f"previous/{stamp}-{n}/{rel}", n + 1
    return candidate
