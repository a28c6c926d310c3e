"""The DocBin splits of a corpus, written without ever holding a large split in memory.

Why: spaCy's ``DocBin`` keeps every paragraph's token arrays until it is written (about 30 bytes per character
with the attributes kept here), so one DocBin per split made ``govner convert`` need gigabytes for a corpus of a
hundred megabytes. Contract: a split is always at ``<split>.spacy``: one DocBin file while it has at most
``SHARD_PARAGRAPHS`` paragraphs (every corpus this project ships), else a folder of that name holding DocBin
shards of that many paragraphs each, which spaCy's ``Corpus`` (``paths.train`` in a config) reads as one, as
``docbin_files`` and ``read_docs`` do here. A split replaces the one before it only when it is complete.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from spacy.tokens import Doc, DocBin
from spacy.vocab import Vocab

from pipeline.errors import GovnerError, InputError
from pipeline.text.files import current_umask, require_file

# what training reads back: the characters, the spaces after them, and the entities (or their absence: missing);
# spaCy's default attributes (tags, heads, lemmas …) would triple the memory of a split for nothing
DOCBIN_ATTRS = ["ORTH", "SPACY", "ENT_IOB", "ENT_TYPE"]
SHARD_PARAGRAPHS = 5000


class SplitWriter:
    """Collects one split's Docs, a shard at a time, into a temporary folder beside ``path``; ``finish`` puts
    the split in place (a file, or a folder of shards), ``abort`` leaves the old one as it was."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent))
        self.shards: list[Path] = []
        self.docs = DocBin(attrs=DOCBIN_ATTRS, store_user_data=False)
        self.paragraphs = 0

    def add(self, doc: Doc) -> None:
        self.docs.add(doc)
        self.paragraphs += 1
        if len(self.docs) >= SHARD_PARAGRAPHS:
            self._flush()

    def _flush(self, even_empty: bool = False) -> None:
        if len(self.docs) or even_empty:
            shard = self.tmp / f"{len(self.shards):05d}.spacy"
            self.docs.to_disk(shard)
            self.shards.append(shard)
            self.docs = DocBin(attrs=DOCBIN_ATTRS, store_user_data=False)

    def finish(self) -> None:
        self._flush(even_empty=not self.shards)  # an empty split is still a (empty) DocBin file
        if self.path.is_dir():
            shutil.rmtree(self.path)
        if len(self.shards) == 1:
            os.chmod(self.shards[0], 0o666 & ~current_umask())
            os.replace(self.shards[0], self.path)
            shutil.rmtree(self.tmp)
        else:
            os.chmod(self.tmp, 0o777 & ~current_umask())  # mkdtemp makes it 0700; a split follows the umask
            for shard in self.shards:
                os.chmod(shard, 0o666 & ~current_umask())
            self.path.unlink(missing_ok=True)
            os.replace(self.tmp, self.path)

    def abort(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def docbin_files(path: Path) -> list[Path]:
    """The DocBin files of a split: the file itself, or the shards of its folder in order."""
    if path.is_dir():
        shards = sorted(path.glob("*.spacy"))
        if not shards:
            raise InputError(f"{path}: a folder without DocBin shards (*.spacy)")
        return shards
    return [require_file(path)]


def read_docs(path: Path, vocab: Vocab) -> Iterator[Doc]:
    """Every Doc of a split, one shard in memory at a time."""
    for file in docbin_files(path):
        try:
            docs = DocBin().from_bytes(file.read_bytes())
        except (ValueError, KeyError) as err:
            raise GovnerError(f"{file}: not a DocBin file ({err})") from None
        yield from docs.get_docs(vocab)


def combine(parts: list[Path], output: Path) -> Path:
    """One split made of the DocBin files of several (the corpus' and a user's), as a folder of their shards:
    copied, never loaded."""
    if output.exists():
        shutil.rmtree(output) if output.is_dir() else output.unlink()
    output.mkdir(parents=True)
    n = 0
    for part in parts:
        for file in docbin_files(part):
            shutil.copyfile(file, output / f"{n:05d}.spacy")
            n += 1
    return output
