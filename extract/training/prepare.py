"""Benchmark corpora as spaCy ``DocBin`` files, and the unlabelled abstracts for ``spacy pretrain``.

Data flow: :mod:`extract.training.corpora` readers -> spaCy ``Doc`` objects built from the gold tokens
(:func:`corpus_to_docs`) -> ``DocBin`` files under the git-ignored ``build/corpus/`` (:func:`prepare_corpora`),
which :func:`extract.training.ner.train_main` hands to spaCy's training loop.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

import spacy
from spacy.tokens import Doc, DocBin, Span
from spacy.util import filter_spans
from spacy.vocab import Vocab

from extract.training.annotated import AnnotatedDoc
from extract.training.corpora import TDMSCI_TO_SCIER, Corpus, data_dir, map_labels, read_split
from extract.training.spans import gold_spans, tokens_doc

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
BUILD_DIR = REPO_ROOT / "build"
CORPUS_DIR = BUILD_DIR / "corpus"

# Long full-text documents (SciER papers) are cut into chunks of this many
# sentences, about one abstract's worth, so batches shuffle and stay small.
DEFAULT_MAX_SENTS = 10

# name of a DocBin under build/corpus/ -> (split key, label mapping or None, sentences per doc, spans key).
# Spans key None: entities are doc.ents (a plain spaCy "ner"); otherwise all gold entities (nested ones
# included) go to doc.spans[key] for the abx_keyed_ner head of that scheme (extract.components.keyed_ner).
DATASETS: dict[str, tuple[str, dict[str, str | None] | None, int | None, str | None]] = {
    "scierc_train": ("scierc:train", None, None, None),
    "scierc_dev": ("scierc:dev", None, None, None),
    "scier_train": ("scier:train", None, DEFAULT_MAX_SENTS, None),
    "scier_dev": ("scier:dev", None, DEFAULT_MAX_SENTS, None),
    "tdmsci_train_scier": ("tdmsci:train", dict(TDMSCI_TO_SCIER), None, None),
    "k_scierc_train": ("scierc:train", None, None, "scierc"),
    "k_scierc_dev": ("scierc:dev", None, None, "scierc"),
    "k_scier_train": ("scier:train", None, DEFAULT_MAX_SENTS, "scier"),
    "k_scier_dev": ("scier:dev", None, DEFAULT_MAX_SENTS, "scier"),
    "k_tdmsci_train": ("tdmsci:train", dict(TDMSCI_TO_SCIER), None, "scier"),
}


def _chunks(doc: AnnotatedDoc, max_sents: int | None) -> list[AnnotatedDoc]:
    """Split a document into pieces of at most ``max_sents`` sentences (entities re-indexed)."""
    if max_sents is None or len(doc.sentences) <= max_sents:
        return [doc]
    out = []
    for k, first in enumerate(range(0, len(doc.sentences), max_sents)):
        last = first + max_sents
        ents = tuple(e._replace(sent=e.sent - first) for e in doc.entities if first <= e.sent < last)
        rels = tuple(r._replace(sent=r.sent - first) for r in doc.relations if first <= r.sent < last)
        out.append(AnnotatedDoc(f"{doc.doc_id}#{k}", doc.sentences[first:last], ents, rels))
    return out


def annotated_to_doc(vocab: Vocab, doc: AnnotatedDoc, spans_key: str | None = None) -> tuple[Doc, int]:
    """A spaCy ``Doc`` of the gold tokens with the gold entities; also how many nested ones were dropped.

    Without ``spans_key`` the entities are ``doc.ents``, which cannot overlap: the
    longest (then first) are kept. With it, all of them go to ``doc.spans[spans_key]``
    (an empty group still marks the doc as annotated in that scheme) and none is dropped.
    """
    sdoc = tokens_doc(vocab, doc.sentences)
    spans = [Span(sdoc, s, e, label=lab) for s, e, lab in sorted(gold_spans(doc))]
    sdoc.user_data["doc_id"] = doc.doc_id
    if spans_key is not None:
        sdoc.spans[spans_key] = spans
        return sdoc, 0
    kept = filter_spans(spans)
    sdoc.ents = kept
    return sdoc, len(spans) - len(kept)


def corpus_to_docs(
    vocab: Vocab,
    corpus: Corpus | Iterable[AnnotatedDoc],
    *,
    max_sents: int | None = None,
    spans_key: str | None = None,
) -> list[Doc]:
    docs, dropped = [], 0
    for ad in corpus:
        for piece in _chunks(ad, max_sents):
            sdoc, n = annotated_to_doc(vocab, piece, spans_key)
            docs.append(sdoc)
            dropped += n
    if dropped:
        log.info("%s: %d nested entities not representable as doc.ents", getattr(corpus, "name", "corpus"), dropped)
    return docs


def load_dataset(name: str, data: Path | None = None) -> tuple[Corpus, int | None, str | None]:
    key, mapping, max_sents, spans_key = DATASETS[name]
    corpus = read_split(key, data)
    if mapping is not None:
        corpus = map_labels(corpus, mapping)
    return corpus, max_sents, spans_key


def prepare_corpora(out_dir: Path = CORPUS_DIR, data: Path | None = None, names: Iterable[str] = DATASETS) -> dict:
    """Write one ``DocBin`` per dataset to ``out_dir``; return a summary per file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    vocab = spacy.blank("en").vocab
    summary = {}
    for name in names:
        corpus, max_sents, spans_key = load_dataset(name, data)
        docs = corpus_to_docs(vocab, corpus, max_sents=max_sents, spans_key=spans_key)
        DocBin(docs=docs, store_user_data=False).to_disk(out_dir / f"{name}.spacy")
        summary[name] = {
            "source": corpus.summary(),
            "docs": len(docs),
            "ents_in_docbin": sum(len(d.ents) if spans_key is None else len(d.spans[spans_key]) for d in docs),
        }
        log.info("%s: %s", name, summary[name])
    return summary


def merge_docbins(names: Sequence[str], out_path: Path, corpus_dir: Path = CORPUS_DIR) -> Path:
    """Concatenate prepared DocBins (e.g. SciER train + mapped TDMSci) into one file."""
    merged = DocBin()
    for name in names:
        merged.merge(DocBin().from_disk(corpus_dir / f"{name}.spacy"))
    merged.to_disk(out_path)
    return out_path


# ------------------------------------------------------------------ unlabelled text for `spacy pretrain`

ABSTRACTS_FILE = Path("abstracts") / "ml_conference_abstracts.jsonl.gz"
EVAL_SPLITS = ("scierc:dev", "scierc:test", "scier:dev", "scier:test", "scier:test_ood")


def prepare_pretrain_text(out_path: Path = BUILD_DIR / "pretrain" / "raw.jsonl", *, probe_chars: int = 40) -> dict:
    """Write the unlabelled abstracts as ``{"text": title + abstract}`` lines for ``spacy pretrain``.

    Shuffled with a fixed seed; an abstract sharing any ``probe_chars``-long normalised
    (lower-case alphanumeric) string with a dev/test sentence of SciERC or SciER is left
    out, so no evaluation text is seen, even unlabelled. The output stays under the
    git-ignored ``build/``: the abstracts must not be redistributed.
    """
    import gzip
    import random
    import re

    def norm(text: str) -> str:
        return re.sub(r"[^a-z0-9]", "", text.lower())

    probes = set()
    for key in EVAL_SPLITS:
        for doc in read_split(key):
            for sent in doc.sentences:
                n = norm("".join(sent))
                if len(n) >= probe_chars:
                    probes.add(n[:probe_chars])
    with gzip.open(data_dir() / ABSTRACTS_FILE, "rt", encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh if line.strip()]
    random.Random(0).shuffle(records)
    kept = dropped = 0
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with out_path.open("w", encoding="utf-8") as out:
        for rec in records:
            text = rec["title"].strip() + "\n\n" + rec["abstract"].strip()
            n = norm(text)
            if any(n[i : i + probe_chars] in probes for i in range(max(1, len(n) - probe_chars + 1))):
                dropped += 1
                continue
            out.write(json.dumps({"text": text}) + "\n")
            kept += 1
    return {"abstracts": len(records), "kept": kept, "dropped_overlapping_eval": dropped, "path": str(out_path)}
