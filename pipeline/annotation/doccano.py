"""Doccano in the loop: push paragraphs with suggestions, pull every annotator's work, report agreement, merge.

This module carries the steps out; what each step does is decided by the pure functions of ``doccano_plan.py``,
and every server call goes through the adapter in ``doccano_api.py``. Doccano 1.8.4 leaves gaps that it fills:

- its import silently drops overlapping spans and accepts out-of-range ones, so every span is checked here first;
- a paragraph is known by a hash of its document id and text, so pushing the same paragraphs again adds nothing;
- with collaborative mode off (needed to keep annotators apart) spans belong to whoever made them, so each
  annotator's suggestions are created as that annotator, and who was served is kept in the metadata;
- offsets here are code points while Doccano's browser editor counts UTF-16 units, so texts with characters
  outside the Basic Multilingual Plane are refused rather than silently shifted;
- a server is not trusted with file names: the export is saved under govner's name, every user name that becomes
  a file must be a plain name, and every file written lies inside the output folder.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from pathlib import Path

from tqdm import tqdm

from pipeline.annotation.doccano_api import Doccano, doccano_errors
from pipeline.annotation.doccano_plan import (
    INTERNAL_KEYS,
    LEGACY_KEYS,
    backup_name,
    bmp_problem,
    by_hash,
    check_users,
    clean_suggestions,
    dump_jsonl,
    extra_copies,
    import_rows,
    inside,
    labels_to_fix,
    meta_served,
    plan_pull,
    read_export,
    select_exported,
    spans_to_create,
    suggestion_work,
    unique_records,
    unwrap_markdown,
)
from pipeline.annotation.doccano_server import password_problem
from pipeline.annotation.pre_annotate import suggest, suggester
from pipeline.annotation.selection import DEFAULT_EXCLUDE, known_keys, paragraphs, select_records, text_key
from pipeline.components.rules import DEFAULT_PATTERNS
from pipeline.errors import GovnerError
from pipeline.resources import resource
from pipeline.scheme import COLORS, LABELS, RecordError, check_record, reserved_key_problems
from pipeline.tagging.tag import Tagger
from pipeline.text.files import atomic_output, jsonl_files, read_jsonl
from pipeline.text.readers import READABLE_SUFFIXES

DEFAULT_PROJECT = "govner"
DEFAULT_OUTPUT = Path("corpus/doccano")
GUIDELINE = resource("docs", "annotation-guidelines.md")
DESCRIPTION = "Entities in Chinese government work reports (govner)"


def is_reports(path: Path) -> bool:
    """A report (.txt, .docx, .pdf, .html) or a folder without JSONL in it: ingested into paragraphs, as
    ``govner ingest`` does, instead of read as paragraph JSONL."""
    if path.is_dir():
        return not any(path.rglob("*.jsonl"))
    return path.suffix.lower() in READABLE_SUFFIXES


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
            problems.extend(reserved_key_problems(record, where))
            if why := bmp_problem(record["text"]):
                problems.append(f"{where}: text {why}")
            problems.extend(found)
            rest = {k: v for k, v in record.items() if k not in ("entities", *INTERNAL_KEYS)}
            records.append({**rest, "label": sorted([list(s) for s in spans])})
    if problems:
        raise GovnerError(f"{paths[0]}: {len(problems)} problem(s), nothing pushed", details=problems)
    return records


def add_suggestions(records: list[dict], model: Path | None, patterns: Path) -> tuple[list[dict], list[str]]:
    """Records with rule (or model) suggestions added, trimmed of edge whitespace; one that still breaks the scheme
    is dropped with a warning."""
    return clean_suggestions(records, suggest(records, suggester(model, patterns)))


def select_for_project(
    records: list[dict], before: dict[str, list[dict]], model: Path | None, strategy: str, n: int
) -> tuple[list[dict], list[str]]:
    """The ``n`` records ``govner select`` would choose, leaving out every paragraph the project (``before``) or the
    in-house corpus has already, with the model's suggestions (trimmed, checked as ``add_suggestions`` does)."""
    keys = {text_key(e.get("text") or "") for found in before.values() for e in found}
    if DEFAULT_EXCLUDE.is_dir():
        keys |= known_keys([DEFAULT_EXCLUDE])
    chosen = select_records([{**r, "label": []} for r in records], Tagger.load(model), n, strategy, keys)  # default: shipped model
    if not chosen:
        raise GovnerError(f"nothing to select: all {len(records):,} paragraphs are in the project or the corpus already")
    return clean_suggestions([{**c, "label": []} for c in chosen], chosen)


def guideline_text(path: Path | None) -> str:
    """The guideline pushed with the project (``path``, else govner's own), its Markdown lines unwrapped."""
    source = path or GUIDELINE
    if not source.is_file():
        if path is None:
            return ""
        raise GovnerError(f"{path}: no such guideline file")
    return unwrap_markdown(source.read_text(encoding="utf-8")).strip()  # Doccano strips it, and it is compared at each push


def find_project(dc: Doccano, name: str) -> dict | None:
    """The project called ``name`` that this user can see, or None; two of the same name are an error."""
    found = dc.projects_named(name)
    if len(found) > 1:
        raise GovnerError(f"{dc.url}: {len(found)} projects are called {name!r}; rename one")
    if not found:
        return None
    project = found[0]
    if project["type"] != "SequenceLabeling":
        raise GovnerError(f"{dc.url}: project {name!r} is a {project['type']} project, not sequence labeling")
    if project["collaborative"]:
        raise GovnerError(
            f"{dc.url}: project {name!r} shares annotations between users; turn collaborative mode off to keep annotators apart"
        )
    if project["overlapping"]:
        raise GovnerError(f"{dc.url}: project {name!r} allows overlapping spans, which the scheme forbids; turn that off")
    return project


def ensure_project(dc: Doccano, name: str, guideline: str) -> tuple[int, bool]:
    """Reuse the project called ``name`` (updating its guideline) or create it; ``(project id, created)``."""
    project = find_project(dc, name)
    if project is None:
        return dc.create_project(name, DESCRIPTION, guideline), True
    if guideline and project["guideline"] != guideline:
        dc.set_guideline(project["id"], guideline)
    return project["id"], False


def ensure_labels(dc: Doccano, project_id: int) -> dict[str, int]:
    """The scheme's labels with its colours (set again where they differ) and keys 1–5 where free; ``{label: id}``."""
    existing = dc.labels(project_id)
    create, recolour = labels_to_fix(existing, LABELS, COLORS)
    ids = {label: info["id"] for label, info in existing.items()}
    for label, key, color, ink in create:
        ids[label] = dc.create_label(project_id, label, key, color, ink)
    for _, label_id, color, ink in recolour:
        dc.recolour_label(project_id, label_id, color, ink)
    return {label: ids[label] for label in LABELS}


def annotator_sessions(dc: Doccano, passwords: dict[str, str]) -> dict[str, Doccano]:
    """A logged-in session for each annotator, creating the users that do not exist yet (when the pusher may)."""
    sessions = {}
    for name, password in passwords.items():
        if name == dc.username:
            sessions[name] = dc
            continue
        if not dc.user_exists(name):
            if not dc.is_staff:
                raise GovnerError(f"{dc.url}: there is no Doccano user {name!r}, and {dc.username!r} may not create one")
            if problem := password_problem(name, password):
                raise GovnerError(f"{dc.url}: the password given for new user {name!r} is too weak: {problem}")
            dc.create_user(name, password)
        sessions[name] = Doccano(dc.url, name, password)
    return sessions


def ensure_members(dc: Doccano, project_id: int, names: list[str]) -> None:
    """Make every annotator a member of the project (as annotator, unless they already have a role)."""
    members = dc.members(project_id)
    for name in names:
        if name not in members:
            dc.add_member(project_id, name, "annotator")


def import_batch(dc: Doccano, project_id: int, rows: list[dict]) -> None:
    """Upload one batch through Doccano's import and wait for it; any row error fails the push."""
    errors = dc.import_jsonl(project_id, dump_jsonl(rows))
    if errors:
        raise GovnerError(f"{dc.url}: Doccano rejected {len(errors)} row(s) of the import", details=errors)


def serve_suggestions(
    session: Doccano, project_id: int, example_id: int, spans: list[list], label_ids: dict[str, int], fresh: bool = False
) -> tuple[int, int]:
    """Create as this annotator the suggestions they lack; one that clashes with their own work is left out.

    On an example this push created (``fresh``) the annotator has nothing yet, so their spans are not listed first.
    ``(created, skipped)``.
    """
    have = set() if fresh else session.spans(project_id, example_id)
    created = skipped = 0
    for start, end, label_id in spans_to_create(spans, have, label_ids):
        if session.create_span(project_id, example_id, start, end, label_id):
            created += 1
        else:
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
    select: str | None = None,
    select_n: int = 200,
) -> dict:
    """Upload paragraphs (and their suggestions, for every annotator) that the project does not have yet.

    ``annotators`` maps each annotator to a password (the pusher's own entry may say anything); by default the
    pusher alone. With ``select`` ("uncertain" or "random"), only ``select_n`` of the paragraphs go up, chosen as
    ``govner select`` chooses (never one the project or the in-house corpus has already), with ``model``'s
    suggestions. Everything is checked before the first upload; nothing is written locally.
    """
    reports = [path for path in paths if is_reports(path)]
    jsonl = [path for path in paths if path not in reports]
    records = (load_paragraphs(jsonl) if jsonl else []) + (paragraphs([str(r) for r in reports]) if reports else [])
    warnings: list[str] = []
    if with_suggestions and not select:
        records, warnings = add_suggestions(records, model, patterns)
    text = guideline_text(guideline)
    dc = Doccano(url, *login)
    passwords = dict(annotators or {dc.username: login[1]})
    progress = {"imported": 0, "to_import": 0, "suggested": 0}

    def report() -> str:
        return f"{progress['imported']} of {progress['to_import']} new paragraphs imported, suggestions served on {progress['suggested']}"

    with doccano_errors(dc.url, "the push", report):
        sessions = annotator_sessions(dc, passwords)
        names = sorted(sessions)
        project_id, created = ensure_project(dc, project, text)
        label_ids = ensure_labels(dc, project_id)
        ensure_members(dc, project_id, names)
        before = by_hash(dc.examples(project_id))
        if select:
            records, warnings = select_for_project(records, before, model, select, select_n)
        unique = unique_records(records)
        new = [r for h, r in unique.items() if h not in before]
        progress["to_import"] = len(new)
        rows = import_rows(new, dc.username in sessions, dc.username, names)
        with tqdm(total=len(rows), desc="import", unit="paragraph", disable=None) as bar:
            for i in range(0, len(rows), batch_size):
                import_batch(dc, project_id, rows[i : i + batch_size])
                progress["imported"] += len(rows[i : i + batch_size])
                bar.update(len(rows[i : i + batch_size]))
        examples = dc.examples(project_id) if rows else [e for found in before.values() for e in found]
        after = by_hash(examples)
        extra = extra_copies(list(unique), before, after)
        if extra:
            dc.delete_examples(project_id, extra)
        missing = [h for h in unique if h not in after]
        if missing:
            raise GovnerError(f"{dc.url}: {len(missing)} paragraph(s) did not arrive in project {project!r}; run the push again")
        created_for = Counter({dc.username: sum(len(row["label"]) for row in rows)} if dc.username in sessions else {})
        spans_skipped = 0
        work = suggestion_work(unique, after, names)
        with tqdm(total=len(work), desc="suggestions", unit="paragraph", disable=None) as bar:
            for h, example, todo in work:
                for name in todo:
                    if unique[h]["label"]:
                        c, s = serve_suggestions(sessions[name], project_id, example["id"], unique[h]["label"], label_ids, h not in before)
                        created_for[name] += c
                        spans_skipped += s
                dc.set_meta(project_id, example["id"], meta_served(example.get("meta") or {}, set(names)))
                progress["suggested"] += 1
                bar.update(1)
        served = {example["id"] for _, example, _ in work}
        for example in examples:  # earlier versions kept govner_hash / govner_suggested there: give them the new name
            meta = example.get("meta") or {}
            if example["id"] not in served and example["id"] not in extra and any(k in meta for k in LEGACY_KEYS):
                dc.set_meta(project_id, example["id"], meta_served(meta, set()))
        total = dc.count_examples(project_id)
    return {
        "url": dc.url,
        "project": project,
        "project_id": project_id,
        "created_project": created,
        "selected": len(records) if select else None,
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


def write_keeping_previous(output: Path, files: dict[str, str]) -> list[str]:
    """Write each file atomically inside ``output``; one that exists with other content is first copied under
    ``previous/<time>/``. Every path is checked to lie inside ``output`` before anything is written."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    targets = {rel: inside(output, rel) for rel in files}
    kept = []
    for rel, content in files.items():
        path = targets[rel]
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old == content:
            continue
        if old is not None:
            backup = inside(output, backup_name(rel, stamp, lambda candidate: (output / candidate).exists()))
            with atomic_output(backup) as f:
                f.write(old)
            kept.append(str(backup))
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
        found = find_project(dc, project)
        if found is None:
            raise GovnerError(f"{dc.url}: no project called {project!r} (push to it first)")
        if adjudicator or annotators:
            check_users(dc.url, project, dc.members(found["id"]), adjudicator, annotators)
        with tempfile.TemporaryDirectory(prefix="govner-pull-") as tmp:
            exported = read_export(dc.export(found["id"], confirmed_only, Path(tmp)), where=dc.url)
    wanted = set(annotators or []) | ({adjudicator} if adjudicator and annotators else set())
    exported = select_exported(exported, wanted, confirmed_only)
    if not exported:
        which = "confirmed " if confirmed_only else ""
        raise GovnerError(
            f"{dc.url}: project {project!r} has no {which}paragraphs yet" + (" (pass --all for unconfirmed ones)" if confirmed_only else "")
        )
    plan = plan_pull(dc.url, project, exported, adjudicator, confirmed_only)
    kept = write_keeping_previous(output, plan["files"])
    return {
        **plan["report"],
        "output": str(output),
        "merged": plan["merged"],
        "conflicted": plan["conflicted"],
        "kept": kept,
        "warnings": plan["warnings"],
    }
