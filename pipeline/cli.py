"""The ``govner`` command: every stage module registers its sub-command on the shared app."""

from . import convert, corpus, doccano, evaluate, ingest, pre_annotate, selection, tag, train  # noqa: F401
from .console import app
from .facts import cli as facts_cli  # noqa: F401  (govner facts …, issue 13)

__all__ = ["app"]
