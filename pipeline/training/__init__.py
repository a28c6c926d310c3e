"""Training and evaluation: annotations to DocBin splits by document (``convert``), spaCy training from a config
(``train``), scores per label on a split or on raw gold texts (``evaluate``)."""
