"""The spaCy side: the components and registered functions that configs name (``govner_crf``, ``govner_rules``,
``govner_ngrams``, ``govner_words``, the ``govner.*`` augmenters) and the one-token-per-character tokenizer."""
