"""Doccano in the loop: push paragraphs with suggestions, pull every annotator's work, report agreement, merge.

Doccano 1.8.4 leaves gaps that this module fills:

- its import silently drops overlapping spans and accepts out-of-range ones, so every span is checked here first;
- a paragraph is known by a content hash kept in its metadata, so pushing the same paragraphs again adds nothing;
- with collaborative mode off (needed to keep annotators apart) spans belong to whoever made them, so each
  annotator's suggestions are created as that annotator, and the names already served are kept in the metadata;
- offsets here are code points while Doccano's browser editor counts UTF-16 units, so texts with characters
  outside the Basic Multilingual Plane are refused rather than silently shifted.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
import typer
from doccano_client import DoccanoClient
from doccano_client.exceptions import DoccanoAPIError
from doccano_client.models.data_download import Option as ExportOption
from doccano_client.repositories.base import verbose_raise_for_status
from tqdm import tqdm

from . import agreement as agree
from ._util import PACKAGE_ROOT, GovnerError, atomic_output, doccano_app, jsonl_files, msg, read_jsonl, run_cli
from .doccano_server import HOME_OPTION, URL_ENV, credentials, password_for, resolve_url
from .pre_annotate import suggest, suggester
from .rules import DEFAULT_PATTERNS
from .scheme import COLORS, LABELS, RecordError, Span, check_record, describe, reserved_key_problems, span_problems

DEFAULT_PROJECT = "govner"
DEFAULT_OUTPUT = Path("corpus/doccano")
GUIDELINES = (PACKAGE_ROOT / "docs" / "annotation-guidelines.md", PACKAGE_ROOT.parent / "shared" / "annotation-scheme.md")
HASH_KEY, SUGGESTED_KEY = "govner_hash", "govner_suggested"
INTERNAL_KEYS = (HASH_KEY, SUGGESTED_KEY)
# keys Doccano's import or export gives a meaning of its own; a paragraph may not carry them as metadata
NOT_META = ("text", "label", "entities", *INTERNAL_KEYS)
PAGE_SIZE = 500
TASK_TIMEOUT = 600.0


class Doccano:
    """A logged-in doccano-client, plus the calls it lacks: listing with a page size, PATCH, bounded task waits."""

    def __init__(self, url: str, username: str, password: str) -> None:
        self.url = url.rstrip("/")
        self.username = username
        self.client = DoccanoClient(self.url)
        try:
            self.client.login(username, password)
        except DoccanoAPIError as err:
            if err.response is not None and err.response.status_code in (400, 401, 403):
                raise GovnerError(f"{self.url}: Doccano refused the login of {username!r} (wrong user name or password?)") from None
            raise GovnerError(f"{self.url}: login failed ({err})") from None
        except requests.RequestException:
            raise GovnerError(f"{self.url}: Doccano does not answer; start it with `govner doccano up` or check --url") from None
        self.base = self.client._base_repository  # doccano-client 1.2.8 keeps its logged-in session here
        self.user = self.client.get_profile()

    def pages(self, resource: str, **params: Any) -> Iterator[dict]:
        """Every item of a paged list, PAGE_SIZE at a time (the server's default page holds 5)."""
        offset = 0
        while True:
            page = self.base.get(resource, params={**params, "limit": PAGE_SIZE, "offset": offset}).json()
            yield from page["results"]
            offset += len(page["results"])
            if not page["next"] or not page["results"]:
                return

    def patch(self, resource: str, payload: dict) -> dict:
        response = self.base._session.patch(f"{self.base.api_url}/{resource}", json=payload)
        return verbose_raise_for_status(response).json()

    def wait(self, task_id: str, what: str, timeout: float = TASK_TIMEOUT) -> Any:
        """The result of a celery task; fails clearly when it errs or never ends (the worker is not running)."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.client._task_status_repository.get(task_id)
            if status.ready:
                if status.error:
                    raise GovnerError(f"{self.url}: Doccano's {what} failed: {status.error}")
                return status.result
            if time.monotonic() > deadline:
                raise GovnerError(
                    f"{self.url}: Doccano's {what} did not finish in {timeout:.0f} s; is its worker (`doccano task`) running?"
                )
            time.sleep(0.3)


@contextmanager
def doccano_errors(url: str, doing: str, progress: Callable[[], str] | None = None) -> Iterator[None]:
    """Turn a dropped connection or a server error into one line that says what happened and what to do."""
    try:
        yield
    except (requests.RequestException, DoccanoAPIError) as err:
        status = getattr(getattr(err, "response", None), "status_code", None)
        why = f"HTTP {status}" if status else "no answer"
        done = f"; {progress()}" if progress else ""
        raise GovnerError(
            f"{url}: Doccano stopped answering during {doing} ({why}){done}; "
            "nothing was written locally; run the same command again to finish"
        ) from None


def content_hash(record: dict) -> str:
    """A paragraph's identity in Doccano: its document and its text, not its position, so re-ingesting keeps it."""
    return hashlib.sha1(json.dumps([str(record.get("doc_id", "")), record["text"]], ensure_ascii=False).encode("utf-8")).hexdigest()


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


def load_paragraphs(paths: list[Path]) -> list[dict]:
    """Paragraph records with their spans as sorted lists; every problem of every file is reported, nothing skipped."""
    records, problems = [], []
    for path in jsonl_files(paths):
        for line, record in read_jsonl(path):
            where = f"{path}:{line}"
            try:
                spans, _, found = check_record(record, where)
            except RecordError as err:
                problems.append(str(err))
                continue
            text = record["text"]
            problems.extend(reserved_key_problems(record, where))
            if why := bmp_problem(text):
                problems.append(f"{where}: text {why}")
            problems.extend(found)
            rest = {k: v for k, v in record.items() if k not in ("entities", *INTERNAL_KEYS)}
            records.append({**rest, "label": sorted([list(s) for s in spans])})
    if problems:
        raise GovnerError(f"{paths[0]}: {len(problems)} problem(s), nothing pushed", details=problems)
    return records


def add_suggestions(records: list[dict], model: Path | None, patterns: Path) -> tuple[list[dict], list[str]]:
    """Records with rule (or model) suggestions added; a suggestion that breaks the scheme is dropped with a warning."""
    tagger = suggester(model, patterns)
    out, warnings = [], []
    for before, after in zip(records, suggest(records, tagger)):
        given = {tuple(s) for s in before["label"]}
        bad = {tuple(span) for span, _ in span_problems(after["text"], [tuple(s) for s in after["label"]]) if tuple(span) not in given}
        for span in sorted(bad):
            warnings.append(f"{after.get('doc_id', '')}#{after.get('para_index', '')}: suggestion {describe(after['text'], span)} dropped")
        out.append({**after, "label": [s for s in after["label"] if tuple(s) not in bad]})
    return out, warnings


def guideline_text(path: Path | None) -> str:
    """The guideline pushed with the project: ``path``, else the first of GUIDELINES that exists, else none."""
    if path:
        if not path.is_file():
            raise GovnerError(f"{path}: no such guideline file")
        return path.read_text(encoding="utf-8")
    for candidate in GUIDELINES:
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    return ""


def find_project(dc: Doccano, name: str):
    """The project called ``name`` that this user can see, or None; two of the same name are an error."""
    found = [p for p in dc.client.list_projects() if p.name == name]
    if len(found) > 1:
        raise GovnerError(f"{dc.url}: {len(found)} projects are called {name!r}; rename one")
    if not found:
        return None
    project = found[0]
    if project.project_type.value != "SequenceLabeling":
        raise GovnerError(f"{dc.url}: project {name!r} is a {project.project_type.value} project, not sequence labeling")
    if project.collaborative_annotation:
        raise GovnerError(
            f"{dc.url}: project {name!r} shares annotations between users; turn collaborative mode off to keep annotators apart"
        )
    if project.allow_overlapping:
        raise GovnerError(f"{dc.url}: project {name!r} allows overlapping spans, which the scheme forbids; turn that off")
    return project


def ensure_project(dc: Doccano, name: str, guideline: str) -> tuple[Any, bool]:
    """Reuse the project called ``name`` (updating its guideline) or create it; ``(project, created)``."""
    project = find_project(dc, name)
    if project is None:
        project = dc.client.create_project(
            name=name,
            project_type="SequenceLabeling",
            description="Entities in Chinese government work reports (govner)",
            guideline=guideline,
            collaborative_annotation=False,
            allow_overlapping=False,
            grapheme_mode=False,
        )
        created = True
    else:
        created = False
        if guideline and project.guideline != guideline:
            dc.patch(f"projects/{project.id}", {"guideline": guideline, "resourcetype": "SequenceLabelingProject"})
    return project, created


def ensure_labels(dc: Doccano, project_id: int) -> dict[str, int]:
    """The scheme's labels with their colours and keys 1–5 (where free); ``{label: id}``."""
    existing = {t.text: t for t in dc.client.span_type.list(project_id)}
    keys = {t.suffix_key for t in existing.values()}
    for i, label in enumerate(LABELS, 1):
        if label not in existing:
            key = str(i) if str(i) not in keys else None
            existing[label] = dc.client.span_type.create(project_id, label, suffix_key=key, color=COLORS[label])
    return {label: existing[label].id for label in LABELS}


def annotator_sessions(dc: Doccano, passwords: dict[str, str]) -> dict[str, Doccano]:
    """A logged-in session for each annotator, creating the users that do not exist yet (when the pusher may)."""
    sessions = {}
    for name, password in passwords.items():
        if name == dc.username:
            sessions[name] = dc
            continue
        if not any(user.username == name for user in dc.client.search_users(name)):
            if not dc.user.is_staff:
                raise GovnerError(f"{dc.url}: there is no Doccano user {name!r}, and {dc.username!r} may not create one")
            try:
                dc.client.create_user(name, password)
            except DoccanoAPIError as err:
                raise GovnerError(f"{dc.url}: creating user {name!r} failed: {err.response.text[:300]}") from None
        sessions[name] = Doccano(dc.url, name, password)
    return sessions


def ensure_members(dc: Doccano, project_id: int, names: list[str]) -> None:
    """Make every annotator a member of the project (as annotator, unless they already have a role)."""
    members = {m.username for m in dc.client.member.list(project_id)}
    for name in names:
        if name not in members:
            dc.client.member.add(project_id, name, "annotator")


def server_examples(dc: Doccano, project_id: int) -> dict[str, list[dict]]:
    """The project's examples by content hash (those pushed from elsewhere, without one, are not ours to match)."""
    by_hash: dict[str, list[dict]] = {}
    for example in dc.pages(f"projects/{project_id}/examples"):
        key = (example.get("meta") or {}).get(HASH_KEY)
        if key:
            by_hash.setdefault(key, []).append(example)
    for examples in by_hash.values():
        examples.sort(key=lambda e: e["id"])
    return by_hash


def import_rows(records: list[dict], pusher_suggests: bool, pusher: str, annotators: list[str]) -> list[dict]:
    """Rows for Doccano's JSONL import: every row with the same metadata keys, or the whole import fails."""
    metas = [{k: v for k, v in r.items() if k not in NOT_META} for r in records]
    keys = sorted(set().union(*metas)) if metas else []
    rows = []
    for record, meta in zip(records, metas):
        served = sorted(annotators) if not record["label"] else [pusher] if pusher_suggests else []
        rows.append({
            "text": record["text"],
            "label": record["label"] if pusher_suggests else [],
            **{k: meta.get(k, "") for k in keys},
            HASH_KEY: content_hash(record),
            SUGGESTED_KEY: served,
        })  # fmt: skip
    return rows


def import_batch(dc: Doccano, project_id: int, rows: list[dict]) -> None:
    """Upload one batch through Doccano's import (one celery task) and wait for it; any row error fails the push."""
    with tempfile.TemporaryDirectory(prefix="govner-push-") as tmp:
        path = Path(tmp) / "batch.jsonl"
        path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
        upload_id = dc.client._data_import_repository.upload(str(path))
    task_id = dc.client._data_import_repository.ingest(
        project_id, [upload_id], "SequenceLabeling", "JSONL", column_data="text", column_label="label"
    )
    result = dc.wait(task_id, "import")
    errors = (result or {}).get("error") or []
    if errors:
        lines = [f"{e.get('filename')}:{e.get('line')}: {e.get('message')}" for e in errors]
        raise GovnerError(f"{dc.url}: Doccano rejected {len(errors)} row(s) of the import", details=lines)


def serve_suggestions(
    session: Doccano, project_id: int, example_id: int, spans: list[list], label_ids: dict[str, int], fresh: bool = False
) -> tuple[int, int]:
    """Create as this annotator the suggestions they lack; one that clashes with their own work is left out.

    On an example this push created (``fresh``) the annotator has nothing yet, so their spans are not listed first.
    """
    have = set() if fresh else {(s.start_offset, s.end_offset, s.label) for s in session.client.span.list(project_id, example_id)}
    created = skipped = 0
    for start, end, label in spans:
        if (start, end, label_ids[label]) in have:
            continue
        try:
            session.client.span.create(project_id, example_id, start, end, label_ids[label])
            created += 1
        except DoccanoAPIError as err:
            if err.response is None or err.response.status_code != 400:
                raise
            skipped += 1  # overlaps a span the annotator made: theirs wins
    return created, skipped


def push(
    paths: list[Path],
    url: str,
    login: tuple[str, str],
    project: str = DEFAULT_PROJECT,
    annotators: dict[str, str] | None = None,
    model: Path | None = None,
    patterns: Path = DEFAULT_PATTERNS,
    guideline: Path | None = None,
    with_suggestions: bool = True,
    batch_size: int = 500,
) -> dict:
    """Upload paragraphs (and their suggestions, for every annotator) that the project does not have yet.

    ``annotators`` maps each annotator to a password (the pusher's own entry may say anything); by default the
    pusher alone. Everything is checked before the first upload; nothing is written locally.
    """
    records = load_paragraphs(paths)
    warnings: list[str] = []
    if with_suggestions:
        records, warnings = add_suggestions(records, model, patterns)
    unique: dict[str, dict] = {}
    for record in records:
        unique.setdefault(content_hash(record), record)
    text = guideline_text(guideline)
    dc = Doccano(url, *login)
    passwords = dict(annotators or {dc.username: login[1]})
    progress = {"imported": 0, "to_import": 0, "suggested": 0}

    def report() -> str:
        return f"{progress['imported']} of {progress['to_import']} new paragraphs imported, suggestions served on {progress['suggested']}"

    with doccano_errors(dc.url, "the push", report):
        sessions = annotator_sessions(dc, passwords)
        names = sorted(sessions)
        proj, created = ensure_project(dc, project, text)
        label_ids = ensure_labels(dc, proj.id)
        ensure_members(dc, proj.id, names)
        before = server_examples(dc, proj.id)
        new = [r for h, r in unique.items() if h not in before]
        progress["to_import"] = len(new)
        rows = import_rows(new, dc.username in sessions, dc.username, names)
        with tqdm(total=len(rows), desc="import", unit="paragraph", disable=None) as bar:
            for i in range(0, len(rows), batch_size):
                import_batch(dc, proj.id, rows[i : i + batch_size])
                progress["imported"] += len(rows[i : i + batch_size])
                bar.update(len(rows[i : i + batch_size]))
        after = server_examples(dc, proj.id) if rows else before
        extra = [e["id"] for h in unique if h not in before for e in after.get(h, [])[1:]]
        if extra:  # a retried import task can add a batch twice; the copies have no annotation yet
            dc.client.example.bulk_delete(proj.id, extra)
        missing = [h for h in unique if h not in after]
        if missing:
            raise GovnerError(f"{dc.url}: {len(missing)} paragraph(s) did not arrive in project {project!r}; run the push again")
        created_for = Counter({dc.username: sum(len(row["label"]) for row in rows)} if dc.username in sessions else {})
        spans_skipped = 0
        todo = [(h, after[h][0]) for h in unique if set(names) - set(after[h][0]["meta"].get(SUGGESTED_KEY) or [])]
        with tqdm(total=len(todo), desc="suggestions", unit="paragraph", disable=None) as bar:
            for h, example in todo:
                served = set(example["meta"].get(SUGGESTED_KEY) or [])
                for name in names:
                    if name not in served and unique[h]["label"]:
                        fresh = h not in before
                        c, s = serve_suggestions(sessions[name], proj.id, example["id"], unique[h]["label"], label_ids, fresh)
                        created_for[name] += c
                        spans_skipped += s
                dc.patch(
                    f"projects/{proj.id}/examples/{example['id']}",
                    {"meta": {**example["meta"], SUGGESTED_KEY: sorted(served | set(names))}},
                )
                progress["suggested"] += 1
                bar.update(1)
        total = dc.client.example.count(proj.id)
    return {
        "url": dc.url,
        "project": project,
        "project_id": proj.id,
        "created_project": created,
        "paragraphs": len(unique),
        "repeated": len(records) - len(unique),
        "imported": len(new),
        "already_there": len(unique) - len(new),
        "suggested_spans": sum(len(r["label"]) for r in unique.values()),
        "annotators": names,
        "spans_created": sum(created_for.values()),
        "suggestions": {name: created_for[name] for name in names},
        "spans_skipped": spans_skipped,
        "duplicates_removed": len(extra),
        "examples_in_project": total,
        "warnings": warnings,
    }


def export_zip(dc: Doccano, project_id: int, confirmed_only: bool, folder: Path) -> Path:
    """Doccano's JSONL export of the project: a zip with one ``<username>.jsonl`` per member."""
    repo = dc.client._data_export_repository
    task_id = repo.schedule_download(project_id, ExportOption(name="JSONL"), only_approved=confirmed_only)
    dc.wait(task_id, "export")
    return repo.download(project_id, task_id, str(folder))


def read_export(path: Path) -> dict[str, list[dict]]:
    """``{username: records}`` from an export zip."""
    out: dict[str, list[dict]] = {}
    with zipfile.ZipFile(path) as zf:
        for name in sorted(zf.namelist()):
            if not name.endswith(".jsonl"):
                continue
            lines = zf.read(name).decode("utf-8").splitlines()
            out[Path(name).stem] = [json.loads(line) for line in lines if line.strip()]
    return out


def from_export(record: dict) -> tuple[dict, list[Span]]:
    """A paragraph record as pushed (metadata back at the top level, Doccano's own keys gone) and its spans."""
    base = {k: v for k, v in record.items() if k not in ("id", "label", "Comments", *INTERNAL_KEYS) and v is not None}
    return base, sorted(tuple(s) for s in record.get("label") or [])


def _dump(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def write_keeping_previous(output: Path, files: dict[str, str]) -> list[str]:
    """Write each file atomically; one that exists with other content is first copied under ``previous/<time>/``."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    kept = []
    for rel, content in files.items():
        path = output / rel
        if path.exists() and path.read_text(encoding="utf-8") != content:
            backup = output / "previous" / stamp / rel
            n = 1
            while backup.exists():
                backup = output / "previous" / f"{stamp}-{n}" / rel
                n += 1
            with atomic_output(backup) as f:
                f.write(path.read_text(encoding="utf-8"))
            kept.append(str(backup))
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            with atomic_output(path) as f:
                f.write(content)
    return kept


def pull(
    url: str,
    login: tuple[str, str],
    project: str = DEFAULT_PROJECT,
    output: Path = DEFAULT_OUTPUT,
    adjudicator: str | None = None,
    confirmed_only: bool = True,
    annotators: list[str] | None = None,
) -> dict:
    """Download every annotator's work, report agreement, merge; write per-annotator, merged and review files.

    Everything is downloaded and checked before the first file is written.
    """
    dc = Doccano(url, *login)
    with doccano_errors(dc.url, "the pull"):
        proj = find_project(dc, project)
        if proj is None:
            raise GovnerError(f"{dc.url}: no project called {project!r} (push to it first)")
        with tempfile.TemporaryDirectory(prefix="govner-pull-") as tmp:
            exported = read_export(export_zip(dc, proj.id, confirmed_only, Path(tmp)))
    wanted = set(annotators or []) | ({adjudicator} if adjudicator and annotators else set())
    # unconfirmed, every member's file holds every paragraph: count only those who made a span somewhere
    exported = {
        user: records
        for user, records in exported.items()
        if records and (not wanted or user in wanted) and (confirmed_only or wanted or any(r.get("label") for r in records))
    }
    if not exported:
        which = "confirmed " if confirmed_only else ""
        raise GovnerError(
            f"{dc.url}: project {project!r} has no {which}paragraphs yet" + (" (pass --all for unconfirmed ones)" if confirmed_only else "")
        )
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
            f"{dc.url}: {len(problems)} paragraph(s) cannot be pulled with code-point offsets, nothing written", details=problems
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
    pairs = agree.agreement({u: v for u, v in versions.items() if u != adjudicator})
    disagreements = agree.conflicts(versions, adjudicator)
    report = {
        "url": dc.url,
        "project": project,
        "confirmed_only": confirmed_only,
        "adjudicator": adjudicator,
        "annotators": {user: len(v) for user, v in sorted(versions.items())},
        "pairs": pairs,
        "merge": dict(rules),
        "disagreements": [
            {"doccano_id": k, "doc_id": bases[k].get("doc_id"), "para_index": bases[k].get("para_index")} for k in disagreements
        ],
        "conflicts": [r["doccano_id"] for r in conflicted],
    }
    files = {
        f"annotators/{user}.jsonl": _dump([{**bases[k], "label": [list(s) for s in v[k]]} for k in sorted(v)])
        for user, v in versions.items()
    }
    files["merged.jsonl"] = _dump(merged)
    files["review/conflicts.jsonl"] = _dump(conflicted)
    files["agreement.json"] = json.dumps(report, ensure_ascii=False, indent=2) + "\n"
    kept = write_keeping_previous(output, files)
    return {**report, "output": str(output), "merged": len(merged), "conflicted": len(conflicted), "kept": kept, "warnings": warnings}


def _fmt(value: float | None) -> str:
    return "  –  " if value is None else f"{value:.3f}"


def print_agreement(result: dict) -> None:
    for pair in result["pairs"]:
        scores = f"span F1 exact {_fmt(pair['exact_f1'])}, overlap {_fmt(pair['overlap_f1'])}"
        msg.text(f"{pair['a']} ↔ {pair['b']}: {pair['paragraphs']} shared paragraphs, {scores}")
        rows = [(label, _fmt(s["exact_f1"]), _fmt(s["overlap_f1"]), s["spans_a"], s["spans_b"]) for label, s in pair["per_label"].items()]
        msg.table(rows, header=("label", "exact F1", "overlap F1", pair["a"], pair["b"]), divider=True)
    if not result["pairs"]:
        msg.info("One annotator only: no agreement to compute")


ANNOTATOR_HELP = "Annotator (repeatable); password from DOCCANO_PASSWORD_<NAME> or a prompt. Default: you"


@doccano_app.command("push")
def push_cli(
    paths: list[Path] = typer.Argument(..., help="Paragraph JSONL (from govner ingest) or Doccano JSONL, files or folders"),
    project: str = typer.Option(DEFAULT_PROJECT, "--project", "-p", help="Doccano project (created when missing)"),
    annotator: list[str] = typer.Option([], "--annotator", "-a", help=ANNOTATOR_HELP),
    model: Path | None = typer.Option(None, "--model", "-m", help="Suggest with this model instead of the rules"),
    patterns: Path = typer.Option(DEFAULT_PATTERNS, "--patterns", help="Rule patterns file"),
    guideline: Path | None = typer.Option(None, "--guideline", help="Guideline text (default docs/annotation-guidelines.md or the scheme)"),
    with_suggestions: bool = typer.Option(True, "--suggest/--no-suggest", help="Add suggestions, or push the spans in the files only"),
    batch_size: int = typer.Option(500, "--batch-size", min=1, help="Paragraphs per import task"),
    url: str | None = typer.Option(None, "--url", envvar=URL_ENV, help="Doccano to use (default: the one `govner doccano up` started)"),
    home: Path = HOME_OPTION,
) -> None:
    """Upload paragraphs with pre-annotations for every annotator; pushing the same paragraphs again adds nothing."""
    target = run_cli(resolve_url, url, home)
    login = run_cli(credentials)
    passwords = {name: (login[1] if name == login[0] else run_cli(password_for, name)) for name in annotator}
    result = run_cli(push, paths, target, login, project, passwords or None, model, patterns, guideline, with_suggestions, batch_size)
    for warning in result["warnings"]:
        msg.warn(warning)
    made = "created" if result["created_project"] else "reused"
    msg.good(
        f"{result['imported']} new paragraphs, {result['already_there']} already there, in project {project!r} ({made}, "
        f"{result['examples_in_project']} examples) at {result['url']}"
    )
    served = ", ".join(f"{name} {n}" for name, n in result["suggestions"].items())
    msg.text(
        f"Suggested spans added, per annotator: {served}"
        + (f", {result['spans_skipped']} left out (they clash with an annotator's own)" if result["spans_skipped"] else "")
    )


@doccano_app.command("pull")
def pull_cli(
    project: str = typer.Option(DEFAULT_PROJECT, "--project", "-p", help="Doccano project"),
    output: Path = typer.Option(DEFAULT_OUTPUT, "--output", "-o", help="Folder for merged.jsonl, annotators/, review/, agreement.json"),
    adjudicator: str | None = typer.Option(None, "--adjudicator", help="User whose version of a paragraph wins"),
    include_all: bool = typer.Option(
        False, "--all", help="Take unconfirmed paragraphs too, as each annotator left them (suggestions included)"
    ),
    annotator: list[str] = typer.Option([], "--annotator", "-a", help="Only these annotators (repeatable). Default: everyone"),
    url: str | None = typer.Option(None, "--url", envvar=URL_ENV, help="Doccano to use (default: the one `govner doccano up` started)"),
    home: Path = HOME_OPTION,
) -> None:
    """Download annotations, report agreement, merge them into corpus JSONL (previous files are kept)."""
    target = run_cli(resolve_url, url, home)
    login = run_cli(credentials)
    result = run_cli(pull, target, login, project, output, adjudicator, not include_all, annotator or None)
    for warning in result["warnings"]:
        msg.warn(warning)
    print_agreement(result)
    rules = ", ".join(f"{n} {rule}" for rule, n in sorted(result["merge"].items()) if rule != "conflict")
    msg.good(f"{result['merged']} paragraphs merged ({rules}) → {Path(result['output']) / 'merged.jsonl'}")
    if result["conflicted"]:
        msg.warn(f"{result['conflicted']} conflicting paragraphs left out → {Path(result['output']) / 'review' / 'conflicts.jsonl'}")
        for item in result["disagreements"][:10]:
            if item["doccano_id"] in result["conflicts"]:
                msg.text(f"  conflict: {item['doc_id']} paragraph {item['para_index']} (Doccano example {item['doccano_id']})")
    for path in result["kept"]:
        msg.info(f"previous version kept: {path}")
