"""Turn the embedding table in Baidu's LAC package (PyPI ``LAC==2.1.2``, Apache-2.0) into govner resources.

LAC's source package carries ``LAC/lac_model/model/word_emb``: 58,224 rows of 128 floats, one per character
or frequent word of ``conf/word.dic``, learnt by Baidu on a large general corpus. Nothing here runs LAC or
PaddlePaddle: the table is read straight from the tarball (PaddlePaddle's tensor file is a small header and
raw float32 data), so the conversion is offline and quick. Two outputs:

    python scripts/lac_embeddings.py clusters configs/rules/lac-clusters.tsv   # for govner_crf (`clusters`)
    python scripts/lac_embeddings.py vectors /tmp/lac-vectors                  # spaCy vectors (`paths.vectors`)

The tarball comes from PyPI (a package registry, as pip would fetch it), is checked against its sha256
and kept in ``~/.cache/govner``; ``--sdist`` points to a copy you already have.
"""

from __future__ import annotations

import argparse
import hashlib
import struct
import sys
import tarfile
import urllib.request
from pathlib import Path

import numpy as np

SDIST_URL = (
    "https://files.pythonhosted.org/packages/c3/88/966e99c95cac93730a7f3cdf92a17e2a0e924bea61b9a86ae7995feaa4fe/LAC-2.1.2.tar.gz"
)
SDIST_SHA256 = "22fcde0d5082d2044205ea6f6a7a9cd1f0d63e7b21b2dd5c9c73f27e7c0a3ef1"
CACHE = Path.home() / ".cache" / "govner" / "LAC-2.1.2.tar.gz"
MEMBER = "LAC-2.1.2/LAC/lac_model/"


def fetch(path: Path = CACHE) -> Path:
    """The LAC sdist, downloaded once and checked against the sha256 PyPI publishes for it."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        with urllib.request.urlopen(SDIST_URL) as response, open(partial, "wb") as out:
            while chunk := response.read(1 << 20):
                out.write(chunk)
        partial.rename(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != SDIST_SHA256:
        raise SystemExit(f"{path}: sha256 {digest} is not LAC-2.1.2's {SDIST_SHA256}")
    return path


def paddle_tensor(data: bytes) -> np.ndarray:
    """A float32 matrix from PaddlePaddle's LoDTensor file: uint32 version, uint64 LoD level (0 here),
    uint32 tensor version, int32 size of a TensorDesc protobuf (field 1: data type, field 2: dims), data."""
    _, lod_level, _, desc_size = struct.unpack_from("<IQIi", data, 0)
    if lod_level != 0:
        raise ValueError(f"LoD level {lod_level}: not a plain embedding table")
    desc, offset = data[20 : 20 + desc_size], 20 + desc_size
    dims, i = [], 0
    while i < len(desc):
        field, i = varint(desc, i)
        value, i = varint(desc, i)
        if field >> 3 == 1 and value != 5:
            raise ValueError(f"data type {value}: not float32")
        if field >> 3 == 2:
            dims.append(value)
    return np.frombuffer(data, dtype="<f4", count=dims[0] * dims[1], offset=offset).reshape(dims)


def varint(buf: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[i]
        value |= (byte & 0x7F) << shift
        i, shift = i + 1, shift + 7
        if byte < 0x80:
            return value, i


def read_table(sdist: Path) -> tuple[list[str], np.ndarray, dict[str, str]]:
    """LAC's tokens (characters and words, row order), their vectors, and its full-width/traditional → plain map."""
    with tarfile.open(sdist) as tar:
        read = lambda name: tar.extractfile(MEMBER + name).read()  # noqa: E731
        vectors = paddle_tensor(read("model/word_emb"))
        tokens = [line.split("\t", 1)[1] for line in read("conf/word.dic").decode("utf-8").split("\n") if "\t" in line]
        q2b = dict(line.split("\t") for line in read("conf/q2b.dic").decode("utf-8").split("\n") if line.count("\t") == 1)
    if len(tokens) != len(vectors):
        raise ValueError(f"{len(tokens)} tokens for {len(vectors)} vectors")
    return tokens, vectors, q2b


def with_aliases(tokens: list[str], q2b: dict[str, str]) -> list[tuple[str, int]]:
    """(token, row) for LAC's tokens, plus the full-width and traditional forms LAC maps onto one of them."""
    rows = {token: i for i, token in enumerate(tokens) if token.strip() and token != "OOV"}
    aliases = {src: rows[dst] for src, dst in q2b.items() if dst in rows and src not in rows and src.strip()}
    return [*rows.items(), *aliases.items()]


def write_clusters(out: Path, tokens: list[str], vectors: np.ndarray, q2b: dict[str, str], k: int, seed: int) -> None:
    """k-means classes of the (unit-length) vectors: a CRF feature that lets rare characters and words borrow
    what the model learnt from frequent ones of the same class."""
    from sklearn.cluster import MiniBatchKMeans

    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-6)
    classes = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=4096).fit_predict(unit)
    lines = [f"# k-means ({k} classes, seed {seed}) of the 128-d embeddings in LAC 2.1.2 (Baidu, Apache-2.0); "
             "made by scripts/lac_embeddings.py"]
    lines += [f"{token}\t{classes[row]}" for token, row in with_aliases(tokens, q2b)]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_vectors(out: Path, tokens: list[str], vectors: np.ndarray, q2b: dict[str, str]) -> None:
    """A blank Chinese pipeline holding the character vectors (words are useless to character tokens)."""
    import spacy
    from spacy.vectors import Vectors

    entries = [(token, row) for token, row in with_aliases(tokens, q2b) if len(token) == 1]
    nlp = spacy.blank("zh")
    keys = [nlp.vocab.strings.add(token) for token, _ in entries]
    nlp.vocab.vectors = Vectors(strings=nlp.vocab.strings, data=vectors[[row for _, row in entries]], keys=keys)
    nlp.to_disk(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["clusters", "vectors"])
    parser.add_argument("out", type=Path)
    parser.add_argument("--sdist", type=Path, help="LAC-2.1.2.tar.gz already on disk (else fetched from PyPI)")
    parser.add_argument("--classes", type=int, default=256, help="k of the k-means (clusters only)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    tokens, vectors, q2b = read_table(fetch(args.sdist) if args.sdist else fetch())
    if args.what == "clusters":
        write_clusters(args.out, tokens, vectors, q2b, args.classes, args.seed)
    else:
        write_vectors(args.out, tokens, vectors, q2b)
    print(f"{args.out}: {args.what} from {len(tokens):,} LAC rows", file=sys.stderr)


if __name__ == "__main__":
    main()
