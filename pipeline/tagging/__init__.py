"""Tagging: the tagger that ``govner tag`` and ``pipeline.load()`` run (``tag``) and the outputs it writes
(``formats``: JSONL, CSV, HTML; DuckDB through ``pipeline.facts``)."""
