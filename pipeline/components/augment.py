"""Training-data augmentation: copies of each paragraph with its names swapped for other names of the label,
and copies with the noise that PDF and web extraction put into real reports.

A model trained on a few hundred paragraphs learns the names it saw as much as the contexts that make them
entities, and real reports are full of names the corpus never shows. Swapping an entity for another one of
the same label (晋江市 → 龙岩市新罗区, 恒安集团 → 福耀玻璃工业集团股份有限公司) keeps the context and changes
the name, so the model has to read the context. A config turns it on for the training corpus:

    [corpora.train.augmenter]
    @augmenters = "govner.entity_swap.v1"
    source = ${paths.train}
    copies = 1
    share = 0.5
    seed = ${system.seed}

``source``: the DocBin whose entities are the names to draw from (the training split, never dev or test).
``places``: optionally a gazetteer file (``${paths.gazetteer}``) whose names join the GPE names drawn from, so that
the copies show places, full and short (晋江市, 晋江), that the corpus never mentions.

Real reports reach the tagger as PDF text layers and web pages: lines broken at a fixed width inside sentences
and names, page numbers and running headers in the middle of a sentence, stray spaces, half-width punctuation
and full-width digits, indented paragraphs, repost and share lines. ``govner tag`` cleans much of it before the
model reads the text, but not all of it, and the cleaner's own choices leave traces. ``govner.extraction_noise.v1``
puts such noise into a copy of a training paragraph, runs the same cleaning ``govner tag`` runs, and keeps the
entities on exactly their characters (a break or a space inside a name stays inside its span, as the scheme
says), so the model trains on what it will see. ``govner.chain.v1`` applies one augmenter to the output of another.
"""

import random
from collections.abc import Callable, Iterator
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import registry
from spacy.vocab import Vocab

from pipeline.components.crf import find_file, read_names
from pipeline.text.clean import clean
from pipeline.training.docbins import read_docs

# page furniture and web-page lines without names in them (a name would need a label)
RUNNING_HEADERS = ("政府工作报告", "2024年政府工作报告", "工作报告（送审稿）", "上半年工作总结", "重点项目推进情况汇报")
PAGE_NUMBERS = ("— {n} —", "- {n} -", "{n}", "第 {n} 页", "第{n}页 共{m}页", "{n}/{m}")
WEB_LINES = ("【字体：大 中 小】 打印本页 关闭窗口", "分享到：", "扫一扫在手机打开当前页", "责任编辑：张 敏",
             "发布时间：2024-03-05 09:12  浏览次数：1286", "【打印】【关闭】", "本文转载自其他网站，不代表本站观点")
HALF = {"，": ",", "；": ";", "：": ":", "（": "(", "）": ")"}


def name_pool(docs: list[Doc]) -> dict[str, list[str]]:
    """Label → its distinct entity texts, in a fixed order (so that a seed always draws the same names)."""
    pool: dict[str, set[str]] = {}
    for doc in docs:
        for ent in doc.ents:
            pool.setdefault(ent.label_, set()).add(ent.text)
    return {label: sorted(names) for label, names in pool.items()}


def swap_entities(
    text: str, spans: list[tuple[int, int, str]], pool: dict[str, list[str]], share: float, rng: random.Random
) -> tuple[str, list[tuple[int, int, str]]]:
    """The text with about ``share`` of its entities replaced by other names of their label, and the new spans."""
    pieces, new_spans, at, shift = [], [], 0, 0
    for start, end, label in sorted(spans):
        name = text[start:end]
        if rng.random() < share and pool.get(label):
            name = rng.choice(pool[label])
        pieces.append(text[at:start] + name)
        new_spans.append((start + shift, start + shift + len(name), label))
        shift += len(name) - (end - start)
        at = end
    return "".join(pieces) + text[at:], new_spans


@registry.augmenters("govner.entity_swap.v1")
def create_entity_swap(
    source: str, copies: int, share: float, seed: int, places: str | None = None
) -> Callable[[Language, Example], Iterator[Example]]:
    docs = list(read_docs(Path(source), Vocab()))  # only the names are needed
    pool = name_pool(docs)
    if places:
        pool["GPE"] = sorted(set(pool.get("GPE", [])) | read_names(find_file(places, "gazetteer")))
    rng = random.Random(seed)

    def augment(nlp: Language, example: Example) -> Iterator[Example]:
        yield example
        reference = example.reference
        spans = [(e.start_char, e.end_char, e.label_) for e in reference.ents]
        for _ in range(copies if spans else 0):
            text, new_spans = swap_entities(reference.text, spans, pool, share, rng)
            predicted = nlp.make_doc(text)
            gold = predicted.copy()
            ents = [gold.char_span(s, e, label=label) for s, e, label in new_spans]
            if all(ents):  # a segmenter may cut inside a swapped name: that copy is not made (the original stays)
                gold.ents = ents
                yield Example(predicted, gold)

    return augment


def noisy_copy(text: str, spans: list[tuple[int, int, str]], rng: random.Random) -> tuple[str, list[tuple[int, int, str]]]:
    """The text as an extractor might give it, and the spans on the same characters.

    Insertions before a character inside a name (not before its first character) fall inside the name's span;
    page furniture goes only where no name is broken by it.
    """
    inside = [False] * (len(text) + 1)
    for start, end, _ in spans:
        for i in range(start + 1, end):
            inside[i] = True
    before: list[list[str]] = [[] for _ in range(len(text) + 1)]  # what goes in before character i
    chars = list(text)
    if rng.random() < 0.5:  # lines broken at a fixed width
        width = rng.randint(24, 44)
        for i in range(width, len(text), width):
            before[i].append("\n")
    if rng.random() < 0.4 and len(text) > 40:  # a page break in mid-sentence
        free = [i for i in range(10, len(text) - 10) if not inside[i]]
        if free:
            n = rng.randint(2, 40)
            page = rng.choice(PAGE_NUMBERS).format(n=n, m=n + rng.randint(1, 30))
            header = [rng.choice(RUNNING_HEADERS)] if rng.random() < 0.6 else []
            before[rng.choice(free)].append("\n" + "\n".join([page, *header]) + "\n")
    if rng.random() < 0.4:  # stray spaces
        for i in range(1, len(text)):
            if rng.random() < 0.02:
                before[i].append(rng.choice((" ", "  ", "\u3000")))
    if rng.random() < 0.4:  # half-width punctuation, full-width digits
        chars = [HALF.get(ch, ch) if rng.random() < 0.7 else ch for ch in chars]
        if rng.random() < 0.5:
            chars = [chr(ord(ch) + 0xFEE0) if ch.isascii() and ch.isdigit() else ch for ch in chars]
    head = ""
    if rng.random() < 0.25:  # a web page: indented, with a line of page chrome before or after
        head = "\u3000\u3000"
        line = rng.choice(WEB_LINES)
        if rng.random() < 0.5:
            head = line + "\n" + head
        else:
            before[len(text)].append("\n" + line)
    out, position = [head], [0] * (len(text) + 1)
    length = len(head)
    for i in range(len(text) + 1):
        for piece in before[i]:
            out.append(piece)
            length += len(piece)
        position[i] = length
        if i < len(text):
            out.append(chars[i])
            length += 1
    return "".join(out), [(position[s], position[e - 1] + 1, label) for s, e, label in spans]


@registry.augmenters("govner.extraction_noise.v1")
def create_extraction_noise(share: float, seed: int) -> Callable[[Language, Example], Iterator[Example]]:
    """With each example, for about ``share`` of them, a copy with extraction noise, cleaned as ``govner tag`` cleans."""
    rng = random.Random(seed)

    def augment(nlp: Language, example: Example) -> Iterator[Example]:
        yield example
        if rng.random() >= share:
            return
        reference = example.reference
        noisy, spans = noisy_copy(reference.text, [(e.start_char, e.end_char, e.label_) for e in reference.ents], rng)
        cleaned = clean(noisy)
        predicted = nlp.make_doc(cleaned.text)
        gold = predicted.copy()
        ents = [gold.char_span(*cleaned.from_original(s, e), label=label) for s, e, label in spans]
        if all(ents) and all(not (e.text[0].isspace() or e.text[-1].isspace()) for e in ents):
            gold.ents = ents
            yield Example(predicted, gold)

    return augment


@registry.augmenters("govner.chain.v1")
def create_chain(
    first: Callable[[Language, Example], Iterator[Example]], then: Callable[[Language, Example], Iterator[Example]]
) -> Callable[[Language, Example], Iterator[Example]]:
    """Every example ``first`` makes, passed through ``then`` (so names are swapped, then noise is added)."""

    def augment(nlp: Language, example: Example) -> Iterator[Example]:
        for made in first(nlp, example):
            yield from then(nlp, made)

    return augment
