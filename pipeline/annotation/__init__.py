"""Annotation: reports to paragraphs (``ingest``), suggestions (``pre_annotate``), what to annotate next
(``selection``), Doccano (``doccano`` commands, ``doccano_api`` adapter, ``doccano_plan`` pure planning,
``doccano_server`` the local server), agreement and merging (``agreement``) and the corpus (``corpus``, ``markup``)."""
