"""govner: entities in Chinese government work reports."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.tagging.tag import Tagger


def load(model: str | Path | None = None) -> Tagger:
    """The tagger of the shipped model (or of ``model``, a folder or an installed model package's name):
    ``load()("…")`` returns entity records."""
    from pipeline.tagging.tag import Tagger

    return Tagger.load(model)
