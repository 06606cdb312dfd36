"""Gold and predicted entity spans as ``(start, end, label)`` sets, and their exact-match P/R/F."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from spacy.tokens import Doc
from spacy.vocab import Vocab

from extract.training.annotated import AnnotatedDoc
from extract.training.scoring import PRF


def tokens_doc(vocab: Vocab, sentences: Sequence[Sequence[str]]) -> Doc:
    """A ``Doc`` of the gold tokens, one space between tokens, sentence starts set."""
    words = [w for s in sentences for w in s]
    spaces = [True] * len(words)
    if spaces:
        spaces[-1] = False
    sent_starts: list[bool] = []
    for s in sentences:
        sent_starts.extend([True] + [False] * (len(s) - 1))
    return Doc(vocab, words=words, spaces=spaces, sent_starts=sent_starts)


def _offsets(doc: AnnotatedDoc) -> list[int]:
    out, n = [], 0
    for s in doc.sentences:
        out.append(n)
        n += len(s)
    return out


def gold_spans(doc: AnnotatedDoc) -> set[tuple[int, int, str]]:
    """The document's entities as ``(doc_token_start, doc_token_end_exclusive, label)``."""
    base = _offsets(doc)
    return {(base[e.sent] + e.start, base[e.sent] + e.end, e.label) for e in doc.entities}


def score_spans(gold: Iterable[set[tuple]], pred: Iterable[set[tuple]]) -> tuple[PRF, dict[str, PRF]]:
    """Exact-match micro P/R/F over per-document sets of ``(start, end, label)``.

    >>> micro, per = score_spans([{(0, 2, "A"), (3, 4, "B")}], [{(0, 2, "A"), (3, 4, "A")}])
    >>> (micro.tp, micro.fp, micro.fn), (per["A"].tp, per["A"].fp, per["B"].fn)
    ((1, 1, 1), (1, 1, 1))
    """
    c: Counter[tuple[str, str]] = Counter()
    for g, p in zip(gold, pred, strict=True):
        for s in p & g:
            c[("tp", s[-1])] += 1
        for s in p - g:
            c[("fp", s[-1])] += 1
        for s in g - p:
            c[("fn", s[-1])] += 1
    labels = sorted({lab for _, lab in c})
    per = {lab: PRF(c[("tp", lab)], c[("fp", lab)], c[("fn", lab)]) for lab in labels}
    micro = PRF(sum(x.tp for x in per.values()), sum(x.fp for x in per.values()), sum(x.fn for x in per.values()))
    return micro, per


def predicted_spans(doc: Doc, spans_key: str | None = None) -> set[tuple[int, int, str]]:
    spans = doc.ents if spans_key is None else doc.spans.get(spans_key, [])
    return {(s.start, s.end, s.label_) for s in spans}
