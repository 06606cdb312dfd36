"""Training, benchmark corpora and evaluation of the NLP layer: what builds and scores the shipped models.

May import anything in ``extract`` (and training-only libraries such as torch); the runtime
(``extract.Extractor`` and what it imports) never imports this package. Commands:
``python -m extract.training --help``.
"""
