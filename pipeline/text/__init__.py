"""Text in and out: reading reports of every format (``readers``), cleaning them for the model with offsets kept
(``clean``), and the file helpers every stage writes through (``files``: JSONL, atomic outputs)."""
