"""The ``govner`` command: every stage module registers its sub-command on the shared app."""

from . import convert, corpus, doccano, evaluate, ingest, pre_annotate, tag, train  # noqa: F401
from ._util import app

__all__ = ["app"]
