"""What a saved model's config keeps of the training run: nothing of where its data came from."""

from pathlib import Path

from thinc.api import Config

from pipeline.training.train import forget_absolute_paths


def test_a_saved_config_keeps_no_training_data_or_absolute_path(tmp_path: Path):
    config = tmp_path / "config.cfg"
    config.write_text(
        '[paths]\ntrain = "corpus/spacy/train.spacy"\ndev = "/tmp/run/dev.spacy"\ngazetteer = "configs/rules/places.txt"\n'
        'vectors = "/home/someone/vectors"\n\n[nlp]\nlang = "zh"\n',
        encoding="utf-8",
    )
    forget_absolute_paths(config)
    paths = dict(Config().from_disk(config, interpolate=False)["paths"])
    assert paths == {"train": None, "dev": None, "gazetteer": "configs/rules/places.txt", "vectors": None}
