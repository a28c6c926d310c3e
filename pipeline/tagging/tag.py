"""Stage 6: tag reports with a trained model; offsets point into the text as read.

A batch streams: each file is read when the model is ready for it and each record is written as soon as it
is tagged, so memory stays flat however many files a folder holds. A file that cannot be read is reported
and counted at the end while the rest of the batch is still tagged; the exit code says whether all succeeded.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import time
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

import spacy
from spacy.language import Language
from tqdm import tqdm

from pipeline.components import crf, features, rules  # noqa: F401  (register the factories that configs name)
from pipeline.errors import GovnerError, ModelError, OutputError
from pipeline.resources import DEFAULT_MODEL
from pipeline.tagging.formats import BatchSummary, format_of, open_writer, write_summary
from pipeline.text.clean import clean
from pipeline.text.readers import READABLE_SUFFIXES, read_report, reader_for, safe_name

# Pieces of at most 1,000 characters, 8 to a batch: batches of about 8,000 characters were the fastest on CPU
# (and 4x leaner than 64 pieces of 2,000); see BENCHMARKS.md
MAX_CHUNK = 1000
BATCH_SIZE = 8
SENTENCE_ENDS = "。！？；"
GLOB_CHARS = re.compile(r"[*?\[]")
PARAGRAPH = re.compile(r"(?:[^\n]|\n(?![ \t\u3000]*\n))+")  # up to a blank line
STOPPED = "stopped at the first failure; --keep-going tags the rest"
MODEL_FAILED: dict = {"error": "the model failed on a piece of this text"}  # first in the entities of such a text


def chunks(text: str) -> Iterator[tuple[int, int]]:
    """Pieces for the model: each paragraph (text between blank lines, as the model was trained on paragraphs),
    and within a paragraph pieces of at most MAX_CHUNK characters, cut after the last line end that fits, else
    after the last sentence end, else at MAX_CHUNK; whitespace around a piece is left out."""
    for para in PARAGRAPH.finditer(text):
        start, end = para.span()
        while start < end:
            stop = min(end, start + MAX_CHUNK)
            if stop < end:
                cut = text.rfind("\n", start, stop) + 1 or max(text.rfind(c, start, stop) for c in SENTENCE_ENDS) + 1
                stop = cut if cut > start else stop
            piece = text[start:stop]
            if piece.strip():
                yield start + len(piece) - len(piece.lstrip()), start + len(piece.rstrip())
            start = stop


def trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without whitespace (spaces, line breaks) at its edges: no entity starts or ends with one."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


class Tagger:
    """Callable on a text; returns entity records ``{"start", "end", "label", "text", "score"}`` into that text
    (``score``, the model's confidence in [0, 1], only from a model that gives one: ``govner_crf`` does)."""

    def __init__(self, nlp: Language, batch_size: int = BATCH_SIZE, t2s: bool = False, min_score: float = 0.0) -> None:
        """``min_score``: leave out entities the model is less sure of (only for a model that gives scores)."""
        if not 0.0 <= min_score <= 1.0:
            raise GovnerError(f"--min-score {min_score}: a score is between 0 and 1")
        if min_score and not any(getattr(proc, "gives_scores", False) for _, proc in nlp.pipeline):
            raise GovnerError("--min-score: this model gives no entity scores (a govner_crf model does; spaCy's ner does not)")
        self.min_score = min_score
        self.nlp = nlp
        nlp.default_error_handler = skip_failed_doc  # spaCy's nlp.set_error_handler, for the components that take one
        for _, component in nlp.pipeline:
            with contextlib.suppress(AttributeError):  # a Cython component such as spaCy's ner keeps spaCy's handler
                component.set_error_handler(skip_failed_doc)
        self.batch_size = batch_size
        self.t2s = t2s

    @classmethod
    def load(cls, model: str | Path | None = None, t2s: bool = False, min_score: float = 0.0) -> Tagger:
        """The pipeline saved in ``model``, a folder or the name of an installed model package (default: the
        shipped model); ``t2s`` lets it read traditional characters; ``min_score`` as in ``Tagger``."""
        name = model or DEFAULT_MODEL
        if isinstance(name, str) and Path(name).exists():
            name = Path(name)
        try:
            nlp = spacy.load(name)
        except (OSError, ValueError, KeyError, ImportError) as err:  # missing, a broken config, an unknown language
            first = next((line.strip() for line in str(err).splitlines() if line.strip()), type(err).__name__)
            raise ModelError(f"{name}: cannot load model ({first})") from None
        return cls(nlp, t2s=t2s, min_score=min_score)

    def __call__(self, text: str) -> list[dict]:
        entities = next(self.pipe([text]))
        if model_failed(entities):
            raise GovnerError("the model failed on this text")
        return entities

    def pipe(self, texts: Iterable[Any], n_process: int = 1, as_tuples: bool = False) -> Iterator[Any]:
        """Entities for each text, in order; with ``as_tuples``, ``(text, context)`` in and ``(entities, context)`` out.

        The model sees the cleaned text in chunks; each entity is mapped back into the text as given. With
        ``n_process`` > 1 the texts go to that many forked copies of this tagger (where the platform forks).
        """
        if n_process > 1 and "fork" in multiprocessing.get_all_start_methods():
            yield from self._pipe_forked(texts, n_process, as_tuples)
            return
        state: dict[int, tuple] = {}
        pending: deque[tuple[int, int, bool, str]] = deque()  # per piece sent: text number, offset, whether its last, text

        def pieces() -> Iterator[str]:
            for i, item in enumerate(texts):
                text, context = item if as_tuples else (item, None)
                cleaned = clean(text, self.t2s)
                spans = list(chunks(cleaned.text)) or [(0, 0)]
                state[i] = (text, cleaned, [], context)
                for j, (start, end) in enumerate(spans):
                    pending.append((i, start, j == len(spans) - 1, cleaned.text[start:end]))
                    yield cleaned.text[start:end]

        def finished(i: int) -> Any:
            _, _, found, context = state.pop(i)
            return (found, context) if as_tuples else found

        # plain strings, not spaCy's as_tuples: with n_process > 1 that would tokenize in this process. A piece the
        # model fails on is left out by the error handler; the docs that come back say which (their text differs)
        for doc in self.nlp.pipe(pieces(), n_process=n_process, batch_size=self.batch_size):
            i, offset, last, piece = pending.popleft()
            while piece != doc.text:
                state[i][2].insert(0, MODEL_FAILED)
                if last:
                    yield finished(i)
                i, offset, last, piece = pending.popleft()
            text, cleaned, found, _ = state[i]
            for ent in doc.ents:
                start, end = trimmed(text, *cleaned.to_original(offset + ent.start_char, offset + ent.end_char))
                if end > start:
                    entity = {"start": start, "end": end, "label": ent.label_, "text": text[start:end]}
                    if ent._.score is not None:  # govner_crf's confidence; spaCy's neural ner gives none
                        entity["score"] = round(ent._.score, 4)  # the score shown is the score filtered on
                    if entity.get("score", 1.0) >= self.min_score:
                        found.append(entity)
            if last:
                yield finished(i)
        while pending:
            i, _, last, _ = pending.popleft()
            state[i][2].insert(0, MODEL_FAILED)
            if last:
                yield finished(i)


    def _pipe_forked(self, texts: Iterable[Any], n_process: int, as_tuples: bool) -> Iterator[Any]:
        """``pipe`` in ``n_process`` forked workers that share this loaded model: each gets a few texts at a time
        and sends back only their entities (spaCy's own ``n_process`` sends every character's token back, which
        cost more than tagging). At most ``WINDOW`` batches are out at once, so memory stays flat."""
        global _WORKER_TAGGER
        _WORKER_TAGGER = self
        pending: deque[tuple[Any, list]] = deque()
        items = (item if as_tuples else (item, None) for item in texts)
        with multiprocessing.get_context("fork").Pool(n_process) as pool:
            while True:
                while len(pending) < WINDOW * n_process:
                    batch = list(itertools.islice(items, WORKER_BATCH))
                    if not batch:
                        break
                    pending.append((pool.apply_async(_tag_in_worker, ([text for text, _ in batch],)), [c for _, c in batch]))
                if not pending:
                    return
                result, contexts = pending.popleft()
                for entities, context in zip(result.get(), contexts):  # a failure mark comes back as an equal copy
                    yield (entities, context) if as_tuples else entities


# forked workers of Tagger.pipe: the tagger they inherit, texts per batch, batches out per worker
_WORKER_TAGGER: Tagger | None = None
WORKER_BATCH = 16
WINDOW = 4


def _tag_in_worker(texts: list[str]) -> list[list]:
    return list(_WORKER_TAGGER.pipe(texts))


def skip_failed_doc(name: str, proc: Any, docs: list, err: Exception) -> None:
    """spaCy's error handler for the tagger: a piece the model fails on is left out (the Tagger marks its text)."""


def model_failed(entities: list) -> bool:
    """Whether the model failed on some piece of the text these entities came from (the mark may have come
    back from a worker process: equal, not the same object)."""
    return bool(entities) and entities[0] == MODEL_FAILED


def walk(folder: Path, problems: list[str]) -> list[Path]:
    """Readable report files under ``folder`` (not hidden, symlinked files followed, symlinked folders not:
    no loops); a sub-folder that cannot be listed and a link that leads nowhere are problems, not skipped."""
    found = []

    def unreadable(err: OSError) -> None:
        problems.append(f"{safe_name(Path(err.filename or folder))}: cannot list folder ({err.strerror or err})")

    for root, dirs, names in os.walk(folder, onerror=unreadable):
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "~$")))
        for name in sorted(names):
            path = here / name
            if name.startswith((".", "~$")) or path.suffix.lower() not in READABLE_SUFFIXES:
                continue
            if path.is_file():
                found.append(path)
            elif path.is_symlink():
                problems.append(f"{safe_name(path)}: a link that leads to no file (broken, or a loop)")
    return sorted(found)


def expand_inputs(inputs: Iterable[str], exclude: Iterable[Path] = ()) -> tuple[list[Path], list[str]]:
    """Files to tag, in order and once each (by real path): files as given, folders searched recursively,
    globs expanded (folders and globs yield readable types only), never a file of ``exclude`` (the run's own
    outputs); and a problem line for every input that yields nothing and every folder that cannot be read."""
    files: dict[Path, Path] = {}
    problems: list[str] = []
    skip = {Path(p).resolve() for p in exclude}
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = walk(path, problems)
        elif path.exists() or not GLOB_CHARS.search(item):
            found = [path]  # a missing file is reported by its reader, in its place
        else:
            matches = map(Path, glob.glob(item, recursive=True))
            found = sorted(p for p in matches if p.suffix.lower() in READABLE_SUFFIXES and p.is_file())
        found = [p for p in found if p.resolve() not in skip]
        if not found:
            problems.append(f"{item}: no readable files ({', '.join(READABLE_SUFFIXES)})")
        for p in found:
            files.setdefault(p.resolve(), p)
    return list(files.values()), problems


def check_outputs(inputs: Iterable[str], outputs: list[Path]) -> None:
    """Refuse outputs that would destroy what the run reads or writes: an output that is an input file, or
    two outputs that are one file (``-o t.csv --summary t.csv``)."""
    seen: dict[Path, Path] = {}
    for output in outputs:
        real = output.resolve()
        if real in seen:
            raise OutputError(f"{output}: named twice as an output (also as {seen[real]}); each output needs its own file")
        seen[real] = output
    for item in inputs:
        path = Path(item)
        if path.is_file() and path.resolve() in seen:
            raise OutputError(f"{path}: is an input and an output; writing it would destroy the report")


def tag_files(paths: Iterable[Path], tagger: Tagger, n_process: int = 1) -> Iterator[dict]:
    """One record per file, in order: ``{"source", "text", "entities"}``, or ``{"source", "error"}`` when it
    cannot be read. Files are read only as the model needs them."""

    def texts() -> Iterator[tuple[str, tuple[Path, str, str | None]]]:
        for path in paths:
            try:
                text, error = read_report(path), None
            except GovnerError as err:
                text, error = "", str(err)
            except Exception as err:  # one broken file must not stop the batch, whatever its reader raises
                text, error = "", f"{path}: cannot read ({type(err).__name__}: {err})"
            yield text, (path, text, error)

    for entities, (path, text, error) in tagger.pipe(texts(), n_process=n_process, as_tuples=True):
        if not error and model_failed(entities):
            error = f"{safe_name(path)}: {MODEL_FAILED['error']}"
        yield {"source": str(path), "error": error} if error else {"source": str(path), "text": text, "entities": entities}


def _problem(path: Path) -> str | None:
    """Why a file cannot be read, as far as its name and size tell, or None."""
    try:
        reader_for(path)
    except GovnerError as err:
        return str(err)
    return None


def tag(
    inputs: list[str],
    model: str | Path | Tagger | None = None,
    outputs: list[Path] | None = None,
    fmt: str | None = None,
    n_process: int = 1,
    keep_going: bool = True,
    summary_path: Path | None = None,
    t2s: bool = False,
    progress: bool | None = None,
    stdout: IO[str] | None = None,
    min_score: float = 0.0,
) -> dict:
    """Tag files, folders and globs into each output (format by suffix) or ``stdout`` in ``fmt``; return counts.

    ``model`` is a model folder or package name (default: the shipped model; ``t2s`` and ``min_score`` as in
    Tagger.load) or a loaded Tagger.
    Outputs are written atomically
    when the batch ends. With ``keep_going`` off, the first file that cannot be read stops the batch and nothing
    is written; when no file can be read at all, nothing is written either (and no model is loaded).
    """
    written = [*(outputs or []), *([summary_path] if summary_path else [])]
    check_outputs(inputs, written)
    targets: list[tuple[str, Path | IO[str]]] = [(format_of(path, fmt), path) for path in outputs or []]
    stream = None if targets else stdout or sys.stdout
    files, errors = expand_inputs(inputs, exclude=written)
    if errors and not keep_going:
        raise GovnerError(f"{errors[0]} ({STOPPED})")
    unreadable = [_problem(path) for path in files]
    if all(unreadable):
        problems = errors + [str(problem) for problem in unreadable]
        if len(problems) == 1:
            raise GovnerError(problems[0])
        raise GovnerError(f"{', '.join(inputs)}: no file could be tagged, nothing written", details=problems)
    tagger = model if isinstance(model, Tagger) else Tagger.load(model, t2s, min_score)
    summary = BatchSummary()
    counts = {"files": 0, "entities": 0, "characters": 0}
    started = time.perf_counter()
    with ExitStack() as stack:
        if stream is not None:  # with --fail-fast, records reach standard output only when the whole batch succeeded
            held = stack.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8")) if not keep_going else stream
            targets = [(format_of(Path("-"), fmt or "jsonl"), held)]
        finishing = stack.enter_context(ExitStack())  # closed below, before the held records are copied out
        writers = [finishing.enter_context(open_writer(f, output, summary)) for f, output in targets]
        bar = stack.enter_context(tqdm(total=len(files), unit="file", file=sys.stderr, disable=None if progress is None else not progress))
        for record in tag_files(files, tagger, n_process):
            bar.update()
            if "error" in record:
                if not keep_going:
                    raise GovnerError(f"{record['error']} ({STOPPED})")
                errors.append(record["error"])
                continue
            counts["files"] += 1
            counts["entities"] += len(record["entities"])
            counts["characters"] += len(record["text"])
            summary.add(record)
            for writer in writers:
                writer.write(record)
            bar.set_postfix_str(f"{counts['characters'] / (time.perf_counter() - started):,.0f} chars/s", refresh=False)
        if not counts["files"]:
            raise GovnerError(f"{', '.join(inputs)}: no file could be tagged, nothing written", details=errors)
        if summary_path:  # inside the block: if it cannot be written, neither is any other output
            write_summary(summary_path, summary)
        finishing.close()  # every writer finished, every file moved into place
        if stream is not None and not keep_going:
            held.seek(0)
            shutil.copyfileobj(held, stream)
    return {**counts, "seconds": time.perf_counter() - started, "errors": errors, "per_label": summary.per_label()}
