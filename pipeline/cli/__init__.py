"""The ``govner`` command line: thin commands that call the library by keyword and print its results.

Why a package of its own: importing the library (``pipeline.tagging``, ``pipeline.training`` …) registers no
command and prints nothing; only this package knows Typer. Each module holds the commands of one part of the
pipeline and registers them on the shared app of ``console`` (which also turns a ``GovnerError`` into one line on
stderr): ``annotate`` (ingest, pre-annotate, select, corpus), ``doccano``, ``model`` (convert, train, evaluate),
``tag`` and ``facts``.
"""

from pipeline.cli import annotate, doccano, facts, model, tag  # noqa: F401  (each registers its commands on the app)
from pipeline.cli.console import app

__all__ = ["app"]
