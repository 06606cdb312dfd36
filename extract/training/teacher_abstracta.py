"""The transformer teacher on our own annotations: its sentences, and the unlabelled abstracts it labels.

Training reads the DocBins ``python -m extract.training.annotation prepare`` writes (one doc per title and
abstract, gold in ``doc.spans["abstracta"]``), split into sentences by the running pipeline's sentencizer, the
splitter that labelling uses too. The text to label is the abstracts corpus less every paper named in
``annotation/uids.txt`` (dev, the train pool and all the rest of the list) and less the seed corpus's papers (by
title): silver never holds a paper we measure on, fit on or show a user as "what any new paper gets".
"""

from __future__ import annotations

import gzip
import json
import logging
import random
from pathlib import Path

from extract.training.teacher import Sentence
from kg.errors import InputError

log = logging.getLogger(__name__)

SPANS_KEY = "abstracta"


def docbin_sentences(path: Path, context: int = 0) -> list[Sentence]:
    """The non-empty sentences of the docs in ``path`` with their gold spans (a span that crosses a sentence
    boundary is left out), each with up to ``context`` words of its doc on either side."""
    from spacy.tokens import DocBin

    from extract.pipeline import build_pipeline

    if not path.is_file():
        raise InputError(f"{path} does not exist; write it with: python -m extract.training.annotation prepare")
    nlp = build_pipeline()
    split = nlp.get_pipe("abx_sentencizer")
    out = []
    for doc in DocBin().from_disk(path).get_docs(nlp.vocab):
        doc = split(doc)
        spans = list(doc.spans[SPANS_KEY]) if SPANS_KEY in doc.spans else []
        words = [t.text for t in doc]
        for sent in doc.sents:
            inside = frozenset((s.start - sent.start, s.end - sent.start, s.label_) for s in spans
                               if s.start >= sent.start and s.end <= sent.end)
            left = tuple(words[max(0, sent.start - context): sent.start]) if context else ()
            right = tuple(words[sent.end: sent.end + context]) if context else ()
            if len(sent):
                out.append(Sentence(tuple(words[sent.start: sent.end]), SPANS_KEY, inside, left, right))
    return out


def write_unlabelled(corpus: Path, uids: Path, seeds: Path, out: Path, *, seed: int = 42) -> dict[str, int]:
    """Write ``out``: one ``{"text": ...}`` line per title and per abstract of the corpus's papers, shuffled (by
    paper, ``seed``), less the papers of ``uids`` and those whose title a seed-corpus paper has."""
    from extract.training.annotation.source import read_uids
    from kg.ingest.readers import read_file
    from kg.iri import paper_key

    listed = set(read_uids(uids))
    seed_titles = {paper_key(p.title) for p in read_file(seeds).papers}  # a paper's identity by its title
    papers, dropped = [], {"listed": 0, "seed": 0, "empty": 0}
    with gzip.open(corpus, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            title, abstract = (row.get("title") or "").strip(), (row.get("abstract") or "").strip()
            if row.get("uid") in listed:
                dropped["listed"] += 1
            elif paper_key(title) in seed_titles:
                dropped["seed"] += 1
            elif not title or not abstract:
                dropped["empty"] += 1
            else:
                papers.append((title, abstract))
    random.Random(seed).shuffle(papers)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        for title, abstract in papers:
            fh.write(json.dumps({"text": title}) + "\n")
            fh.write(json.dumps({"text": abstract}) + "\n")
    log.info("%d papers written to %s; left out %s", len(papers), out, dropped)
    return {"papers": len(papers), **dropped}


def unlabelled_from_args(argv: list[str]) -> dict[str, int]:
    """``python -m extract.training abstracta-unlabelled OUT.jsonl``: write the text the teacher labels."""
    import argparse

    from extract.training.annotation.source import CORPUS_FILE, data_dir, uids_file
    from kg.config import SEEDS_DIR

    p = argparse.ArgumentParser(prog="extract.training abstracta-unlabelled",
                                description="titles and abstracts for the teacher to label "
                                            "(no annotated or seed paper)")
    p.add_argument("output", type=Path)
    p.add_argument("--data", default=None, help="data folder (else $ABSTRACTA_DATA)")
    p.add_argument("--uids", default=None, help="uids.txt (else $ABSTRACTA_ANNOTATION/uids.txt)")
    p.add_argument("--seeds", type=Path, default=SEEDS_DIR / "000_1ff9c41d867ee307.txt")
    p.add_argument("--seed", type=int, default=42, help="shuffling seed")
    args = p.parse_args(argv)
    return write_unlabelled(data_dir(args.data) / CORPUS_FILE, uids_file(args.uids), args.seeds, args.output,
                            seed=args.seed)
