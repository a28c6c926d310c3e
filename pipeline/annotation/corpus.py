"""The annotated corpus: build it from authoring markup, check it against the scheme, count it."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from pathlib import Path

from pipeline.annotation.markup import MarkupError, parse_document
from pipeline.errors import GovnerError
from pipeline.resources import CHECKOUT, CONFIGS
from pipeline.scheme import LABELS, RecordError, check_record, paragraph_id, reserved_key_problems, spans_of
from pipeline.text.files import jsonl_files, read_jsonl, write_jsonl

CORPUS = CHECKOUT / "corpus"
META_KEYS = ("doc_id", "title", "province", "level", "kind", "style", "year")
LEVELS = ("province", "city", "county", "county-city", "district", "park")
KINDS = ("congress-report", "midyear-summary", "topic-summary", "newspaper")
QUOTED = re.compile(r"“[^“”\n]*”|《[^《》\n]*》|\"[^\"\n]*\"")
SENTENCE = re.compile(r"[^。！？；\n]+[。！？；]?")
NGRAM = 8
# scheme v1.1, checked mechanically: a scope left outside its ranking, a congress split from its place, a body
# named by a level word alone, one span over a list, a name cut at a line break
SCOPES = ("全球", "全国", "全省", "全市", "全州", "全县", "全区", "县域", "省内", "市内", "同类城市", "中部地区", "西部地区", "东部地区")
CONGRESS = re.compile(r"^第[一二三四五六七八九十]+届人民代表大会")
LEVEL_BODY = re.compile(r"^(?:省|市|县|区|州|自治区|自治州|旗)[\u4e00-\u9fff]{1,6}(?:局|委|厅|办|部)$")
BRACKETED = re.compile(r"[（(][^（()）]*[）)]")  # 县（市、区） is one scope, not a list
CONTINUATION = re.compile(r"[\u4e00-\u9fff]{1,6}")  # the start of the next line, up to a punctuation mark
LIST_LABELS = {"PROJECT": "each line or work of a list is its own PROJECT", "RANKING": "a run of rankings is one span each"}


def build(src: Path, out: Path) -> dict:
    """Authoring files (``src/*.txt`` with ``[[text|LABEL]]``) → ``annotated/<doc_id>.jsonl`` and ``raw/<doc_id>.txt``."""
    built = 0
    for path in sorted(src.glob("*.txt")):
        try:
            doc = parse_document(path)
        except MarkupError as err:
            raise GovnerError(str(err)) from None
        meta = {key: doc["meta"].get(key, "") for key in META_KEYS}
        missing = [k for k in META_KEYS if not meta[k]]
        if missing:
            raise GovnerError(f"{path}: header lacks {', '.join(missing)}")
        records, offset = [], 0
        for i, para in enumerate(doc["paragraphs"]):
            ids = {"doc_id": meta["doc_id"], "para_id": paragraph_id(para["text"]), "para_index": i, "offset": offset}
            records.append({**para, **ids, **{k: meta[k] for k in META_KEYS[1:]}})
            offset += len(para["text"]) + 2
        raw = "\n\n".join(p["text"] for p in doc["paragraphs"]) + "\n"
        (out / "raw").mkdir(parents=True, exist_ok=True)
        (out / "raw" / f"{meta['doc_id']}.txt").write_text(raw, encoding="utf-8")
        write_jsonl(out / "annotated" / f"{meta['doc_id']}.jsonl", records)
        built += 1
    if not built:
        raise GovnerError(f"{src}: no authoring files (*.txt)")
    return {"documents": built}


def load_corpus(path: Path) -> list[tuple[str, dict]]:
    """``(where, record)`` for every paragraph, where is ``file:line``."""
    return [(f"{file}:{line}", record) for file in jsonl_files([path]) for line, record in read_jsonl(file)]


def check_records(rows: list[tuple[str, dict]], raw_dir: Path | None) -> list[str]:
    """Errors: spans that break the scheme, metadata that Doccano's import would reject, paragraphs that are
    not where ``offset`` says in ``raw_dir`` (the shipped corpus' layout, where the metadata is required too)."""
    errors = []
    raws: dict[str, str] = {}
    first_keys: tuple[str, set] | None = None
    for where, record in rows:
        try:
            _, _, problems = check_record(record, where)
        except RecordError as err:
            errors.append(str(err))
            continue
        errors.extend(problems)
        text = record["text"]
        errors.extend(reserved_key_problems(record, where))
        keys = set(record) - {"label", "entities"}
        if first_keys is None:
            first_keys = (where, keys)
        elif keys != first_keys[1]:
            differ = sorted(keys ^ first_keys[1])
            errors.append(f"{where}: keys {differ} differ from {first_keys[0]} (Doccano's import fails on mixed metadata)")
        if raw_dir is None:
            continue
        if missing := [k for k in META_KEYS if not record.get(k)]:
            errors.append(f"{where}: missing {', '.join(missing)}")
        raw_path = raw_dir / f"{record.get('doc_id')}.txt"
        if not raw_path.exists():
            errors.append(f"{where}: no raw text {raw_path}")
            continue
        raw = raws.setdefault(str(raw_path), raw_path.read_text(encoding="utf-8"))
        offset = record.get("offset", -1)
        if raw[offset : offset + len(text)] != text:
            errors.append(f"{where}: text is not at offset {offset} of {raw_path}")
    return errors


def inconsistencies(rows: list[tuple[str, dict]]) -> list[str]:
    """Warnings: one string with several labels, and a labelled string left unlabelled elsewhere (quotes excepted)."""
    labels: dict[str, Counter] = defaultdict(Counter)
    places: dict[tuple[str, str], list[str]] = defaultdict(list)
    for where, record in rows:
        text = record["text"]
        for start, end, label in spans_of(record):
            labels[text[start:end]][label] += 1
            places[(text[start:end], label)].append(where)
    warnings = []
    for string, counts in sorted(labels.items()):
        if len(counts) > 1:
            usual = counts.most_common(1)[0][0]
            for label in counts:
                if label != usual:
                    warnings.append(f"{places[(string, label)][0]}: {string!r} is {label} here, {usual} in {counts[usual]} other place(s)")
    # rank positions (第二) recur as plain ordinals and firsts (全省第一个), so only names are followed up
    names = sorted((s for s, c in labels.items() if len(s) >= 2 and "RANKING" not in c), key=len, reverse=True)
    for where, record in rows:
        text = record["text"]
        covered = [(s, e) for s, e, _ in spans_of(record)] + [m.span() for m in QUOTED.finditer(text)]
        for name in names:
            start = text.find(name)
            while start >= 0:
                end = start + len(name)
                if not any(s < end and start < e for s, e in covered):
                    warnings.append(f"{where}: {name!r} at {start} is unlabelled, labelled {labels[name].most_common(1)[0][0]} elsewhere")
                    covered.append((start, end))
                start = text.find(name, start + 1)
    return warnings


def head_words() -> dict[str, set[str]]:
    """Label → the head words that end its names (``configs/rules/heads.tsv``, the scheme's table and more)."""
    heads: dict[str, set[str]] = defaultdict(set)
    for line in (CONFIGS / "rules" / "heads.tsv").read_text(encoding="utf-8").splitlines():
        if "\t" in line and not line.startswith("#"):
            word, label = line.split("\t")[:2]
            heads[label].add(word)
    return heads


def scheme_problems(rows: list[tuple[str, dict]]) -> list[str]:
    """Warnings for what scheme v1.1 decided and a program can see: a scope word right before a ranking
    (全省[第二]), a place tagged alone before 第N届人民代表大会, a body named by a level word alone (市发改委),
    a PROJECT or RANKING span over a list (、 inside), and a span that ends at a line break where the next line
    goes straight on to a head word of its label (the name goes on: [先进制]\n造学院)."""
    heads = head_words()
    warnings = []
    for where, record in rows:
        text = record["text"]
        for start, end, label in spans_of(record):
            name = text[start:end]
            if label == "RANKING" and text[:start].endswith(SCOPES):
                warnings.append(f"{where}: ranking {name!r} leaves out the scope right before it (scheme v1.1)")
            if label == "GPE" and CONGRESS.match(text[end:]):
                warnings.append(f"{where}: {name!r} before a congress: the congress with its place is one ORG (scheme v1.1)")
            if label == "ORG" and LEVEL_BODY.match(name):
                warnings.append(f"{where}: {name!r} is a body named by a level word alone, untagged (scheme v1.1)")
            if label in LIST_LABELS and "、" in BRACKETED.sub("", name):
                warnings.append(f"{where}: {name!r} spans a list: {LIST_LABELS[label]} (scheme v1.1)")
            going_on = CONTINUATION.match(text, end + 1) if text[end : end + 1] == "\n" else None
            long_heads = [word for word in heads[label] if len(word) > 1]
            if going_on and not name.endswith(tuple(long_heads)) and any(word in going_on.group() for word in long_heads):
                warnings.append(f"{where}: {name!r} ends at a line break, but the next line goes on to a {label} head word (scheme v1.1)")
    return warnings


def is_page_furniture(record: dict) -> bool:
    """A running header or footer of a PDF-style document: it repeats by nature, as it does in real PDFs."""
    text = record["text"]
    return record.get("style") == "pdf" and len(text) <= 40 and "\n" not in text and not text.endswith("。")


def prose_problems(rows: list[tuple[str, dict]]) -> list[str]:
    """Warnings: a sentence that occurs twice, two paragraphs sharing over half of their character 8-grams."""
    rows = [(where, record) for where, record in rows if not is_page_furniture(record)]
    warnings = []
    first_seen: dict[str, str] = {}
    for where, record in rows:
        for m in SENTENCE.finditer(record["text"]):
            sentence = m.group().strip()
            if len(sentence) >= 12:
                if sentence in first_seen:
                    warnings.append(f"{where}: sentence {sentence[:30]!r} also at {first_seen[sentence]}")
                else:
                    first_seen[sentence] = where
    # each paragraph's 8-grams as hashes, and an index hash → paragraphs: the hashes and the index are all that is
    # held (a paragraph's own set is made again when it is compared), a third of the memory of the strings
    def grams(text: str) -> set[int]:
        return {hash(text[i : i + NGRAM]) for i in range(len(text) - NGRAM + 1)}

    sizes: list[int] = []
    index: dict[int, list[int]] = defaultdict(list)
    for i, (_, record) in enumerate(rows):
        own = grams(record["text"])
        sizes.append(len(own))
        for gram in own:
            index[gram].append(i)
    for i, (where, record) in enumerate(rows):
        if sizes[i] < 4:
            continue
        shared = Counter(j for gram in grams(record["text"]) for j in index[gram] if j > i)
        for j, n in shared.items():
            if n > 0.5 * min(sizes[i], sizes[j]):
                warnings.append(f"{where}: shares {n} character 8-grams with {rows[j][0]}")
    return warnings


def check(path: Path, raw_dir: Path | None = None, strict: bool = False) -> dict:
    """Errors (the scheme's contract) and warnings (inconsistencies, repeated prose) of a corpus."""
    rows = load_corpus(path)
    raw_dir = raw_dir or (path.parent if path.is_file() else path).parent / "raw"
    errors = check_records(rows, raw_dir if raw_dir.exists() else None)
    warnings = [] if errors else scheme_problems(rows) + inconsistencies(rows) + prose_problems(rows)
    if errors or (strict and warnings):
        problems = errors + warnings
        raise GovnerError(f"{problems[0]} ({len(errors)} error(s), {len(warnings)} warning(s) in all)", details=problems[1:])
    return {"paragraphs": len(rows), "warnings": warnings}


def stats(path: Path, splits_path: Path | None = None) -> dict:
    """Documents, characters, entities per label and per split, provinces, levels, kinds and styles."""
    rows = load_corpus(path)
    splits = {}
    if splits_path and splits_path.exists():
        splits = {doc: split for split, docs in json.loads(splits_path.read_text(encoding="utf-8")).items() for doc in docs}
    docs: dict[str, dict] = {}
    per_split: dict[str, Counter] = defaultdict(Counter)
    labels: Counter = Counter()
    chars = 0
    for _, record in rows:
        docs.setdefault(record["doc_id"], record)
        chars += len(record["text"])
        for _, _, label in spans_of(record):
            labels[label] += 1
            per_split[splits.get(record["doc_id"], "unsplit")][label] += 1
    def count(key: str) -> dict:
        return dict(Counter(d.get(key, "") for d in docs.values()).most_common())

    return {
        "documents": len(docs),
        "paragraphs": len(rows),
        "characters": chars,
        "entities": sum(labels.values()),
        "per_label": {label: labels[label] for label in LABELS},
        "per_split": {split: {label: c[label] for label in LABELS} for split, c in sorted(per_split.items())},
        "provinces": count("province"),
        "levels": count("level"),
        "kinds": count("kind"),
        "styles": count("style"),
    }
