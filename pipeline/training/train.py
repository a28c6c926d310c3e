"""Stage 4: train a pipeline from a config file, with spaCy's own training loop."""

from __future__ import annotations

from pathlib import Path

import srsly
from spacy.cli.train import train as spacy_train
from spacy.util import get_lang_class, load_config
from thinc.api import Config

from pipeline.components import augment, crf, features, rules  # noqa: F401  (register the factories and augmenter that configs name)
from pipeline.errors import GovnerError, ModelError
from pipeline.resources import CONFIGS
from pipeline.text.files import require_file
from pipeline.training.docbins import combine, docbin_files

DEFAULT_CONFIG = CONFIGS / "ner.cfg"


def train(
    config: Path, output: Path, train_path: Path, dev_path: Path, overrides: dict | None = None, use_gpu: int = -1,
    extra: list[Path] | None = None,
) -> Path:
    """Train on ``train_path``, pick the best model on ``dev_path``; return the folder of the best model.

    ``extra``: a user's own annotations (Doccano JSONL, e.g. ``corpus/doccano/merged.jsonl`` from ``doccano pull``),
    split by document as ``govner convert`` splits the corpus (into ``spacy/`` beside the first file, where an
    earlier split is kept), their train and dev parts trained on with the corpus, their test part held out for
    ``govner evaluate``."""
    require_file(config)
    for path in (train_path, dev_path):
        docbin_files(path)  # a DocBin file, or a folder of shards
    if extra:
        train_path, dev_path = with_extra(train_path, dev_path, extra, output / "data")
    settings = {"paths.train": str(train_path), "paths.dev": str(dev_path), **(overrides or {})}
    check_config(config, settings)
    try:
        spacy_train(config, output, use_gpu=use_gpu, overrides=settings)
    except SystemExit as err:  # spaCy reports config errors with wasabi and exits
        raise GovnerError(f"{config}: training stopped (exit code {err.code}); see the messages above") from None
    except (ValueError, KeyError, ImportError) as err:  # a config with missing keys, an unknown language or factory
        first = next((line.strip() for line in str(err).splitlines() if line.strip()), type(err).__name__)
        raise ModelError(f"{config}: not a usable training config ({first})") from None
    for saved in (output / "model-best", output / "model-last"):
        forget_absolute_paths(saved / "config.cfg")
    return output / "model-best"


def extra_splits(extra: list[Path]) -> Path:
    """The folder where a user's annotations are split by document: ``spacy/`` beside the first file."""
    first = extra[0]
    return (first if first.is_dir() else first.parent) / "spacy"


def with_extra(train_path: Path, dev_path: Path, extra: list[Path], work: Path) -> tuple[Path, Path]:
    """Train and dev splits of the corpus with the user's own train and dev documents added (in ``work``, as
    folders of their DocBin files: copied, never loaded)."""
    from pipeline.training.convert import convert  # a stage of its own; only --extra needs it

    split = extra_splits(extra)
    convert(extra, split)
    return (combine([train_path, split / "train.spacy"], work / "train.spacy"),
            combine([dev_path, split / "dev.spacy"], work / "dev.spacy"))


REQUIRED_SECTIONS = ("paths", "nlp", "components", "corpora", "training", "initialize")


def check_config(config: Path, settings: dict) -> None:
    """One line for a config spaCy would refuse with a screenful (or a traceback): unreadable, without the
    sections a training config needs, with an override that does not fit, or naming an unknown language."""
    try:
        loaded = load_config(config, overrides={k: v for k, v in settings.items() if k.split(".")[0] in read_sections(config)})
    except (ValueError, KeyError, OSError) as err:
        first = next((line.strip() for line in str(err).splitlines() if line.strip()), type(err).__name__)
        raise ModelError(f"{config}: not a usable training config ({first})") from None
    if missing := [section for section in REQUIRED_SECTIONS if section not in loaded]:
        raise ModelError(f"{config}: not a usable training config (no [{'], ['.join(missing)}] section)")
    try:
        get_lang_class(loaded["nlp"].get("lang", ""))
    except (ImportError, KeyError, ValueError):
        raise ModelError(f"{config}: not a usable training config (unknown language {loaded['nlp'].get('lang')!r})") from None


def read_sections(config: Path) -> set[str]:
    return {line.strip()[1:-1].split(".")[0] for line in config.read_text(encoding="utf-8").splitlines() if line.startswith("[")}


def forget_absolute_paths(config_path: Path) -> None:
    """Set the training data paths and every absolute ``[paths]`` value of a saved model's config to null: the
    model needs none of them (its data is inside it), and a temporary folder, a home directory or the corpus it
    happened to be trained from has no business in a shipped model (however it was trained, the config is the same)."""
    if not config_path.exists():
        return
    config = Config().from_disk(config_path, interpolate=False)
    for key, value in config["paths"].items():
        if key in ("train", "dev") or (isinstance(value, str) and Path(value).is_absolute()):
            config["paths"][key] = None
    config.to_disk(config_path)


def parse_overrides(items: list[str]) -> dict[str, str]:
    """``section.key=value`` pairs from the command line, as spaCy's own ``--section.key value`` would give."""
    overrides = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise GovnerError(f"override {item!r}: expected section.key=value")
        try:
            overrides[key] = srsly.json_loads(value)
        except ValueError:
            overrides[key] = value
    return overrides
