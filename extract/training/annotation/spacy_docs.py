"""Guide records + corpus text -> spaCy ``Doc`` objects for training the ``abstracta`` NER head.

Each paper gives two docs, its title and its abstract (the pipeline runs them apart), tokenised
by the running pipeline's own tokenizer, with the entity mentions as ``doc.spans["abstracta"]``
(outermost span where two overlap). A mention that does not fall on token boundaries is widened
to them; how many were is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc, DocBin
from spacy.util import filter_spans

from extract.pipeline import keep_coined_names_whole
from extract.training.annotation.source import Paper

log = logging.getLogger(__name__)

SPANS_KEY = "abstracta"


def tokenizer_nlp() -> Language:
    """A blank pipeline with the running extractor's tokenizer rules."""
    nlp = spacy.blank("en")
    keep_coined_names_whole(nlp)
    return nlp


def record_docs(nlp: Language, record: Mapping[str, Any], paper: Paper) -> tuple[list[Doc], int]:
    """The title and abstract docs of one paper, and how many mentions had to be widened."""
    docs, widened = [], 0
    for section in ("title", "abstract"):
        doc = nlp.make_doc(paper.section(section))
        spans = []
        for e in record["entities"]:
            for sec, start, end in e["mentions"]:
                if sec != section:
                    continue
                span = doc.char_span(start, end, label=e["type"])
                if span is None:
                    span = doc.char_span(start, end, label=e["type"], alignment_mode="expand")
                    widened += 1
                if span is not None and len(span):
                    spans.append(span)
        doc.spans[SPANS_KEY] = filter_spans(spans)
        doc.user_data["uid"] = paper.uid
        doc.user_data["section"] = section
        docs.append(doc)
    return docs, widened


def write_docbin(records: Iterable[Mapping[str, Any]], papers: Mapping[str, Paper], out: Path) -> dict[str, int]:
    """Write the docs of ``records`` to ``out`` (a ``.spacy`` file); counts of docs, spans, widened."""
    nlp = tokenizer_nlp()
    docs, widened = [], 0
    for rec in records:
        d, w = record_docs(nlp, rec, papers[rec["uid"]])
        docs.extend(d)
        widened += w
    out.parent.mkdir(parents=True, exist_ok=True)
    DocBin(docs=docs, store_user_data=True).to_disk(out)
    counts = {"docs": len(docs), "spans": sum(len(d.spans[SPANS_KEY]) for d in docs), "widened": widened}
    log.info("%s: %s", out, counts)
    return counts
