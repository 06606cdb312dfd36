"""Our own in-domain annotations, made by the guide in ``docs/annotation-guide.md``.

Annotators (people or helper sessions given ``docs/annotator-brief.md``) return names and
strings; :mod:`.align` finds them in the paper's title and abstract, computes offsets and
rejects what does not fit; :mod:`.store` keeps the checked records as uid + offsets + strings
(never the abstracts' text, which has no licence); :mod:`.source` reads the abstracts from the
data folder given by ``--data`` or ``$ABSTRACTA_DATA``. ``python -m extract.training.annotation``
makes batches, checks an annotator's file and ingests it.

May import anything in ``extract`` and kg (the graph's link confidence, the extraction codec); never
imported by the running extractor.
"""
