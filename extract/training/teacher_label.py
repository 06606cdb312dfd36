"""A trained NER teacher put to use: its dev scores (alone or averaged), and silver labels for raw text."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path

from extract.training.teacher import SENTENCIZER, TeacherEnsemble, dev_sentences, evaluate
from extract.training.teacher_loop import _batches, _torch, read_texts
from kg.errors import ExtractionError

log = logging.getLogger(__name__)


def evaluate_dirs(paths: Sequence[Path], *, threads: int = 2) -> dict[str, dict]:
    """Dev scores (:data:`extract.training.teacher.DEV_SETS`) of the teacher in ``paths``, or of their ensemble
    when there are several."""
    torch = _torch()
    torch.set_num_threads(threads)
    teacher = TeacherEnsemble.load(paths)
    teacher.eval()
    return evaluate(teacher, dev_sentences(teacher.context))


def label_texts(
    teacher_dirs: Sequence[Path],
    raw: Path,
    out: Path,
    *,
    limit: int,
    skip: int = 0,
    batch_size: int = 64,
    threads: int = 2,
) -> dict:
    """Silver ``DocBin``: ``limit`` texts of a ``{"text": ...}`` JSONL, tokenised and split into sentences by
    our rule pipeline's tokenizer + sentencizer, each sentence tagged by the teachers in ``teacher_dirs`` (one, or
    several with their tag probabilities averaged: :class:`TeacherEnsemble`) in each scheme they were trained
    for (``doc.spans["scierc"]`` and ``doc.spans["scier"]``, or ``doc.spans["abstracta"]``), ready for the keyed
    NER heads."""
    from spacy.tokens import DocBin, Span

    from extract.pipeline import build_pipeline

    torch = _torch()
    torch.set_num_threads(threads)
    teacher = TeacherEnsemble.load(teacher_dirs)
    teacher.eval()
    nlp = build_pipeline()
    if SENTENCIZER not in nlp.pipe_names:
        raise ExtractionError(
            f"the rule pipeline has no {SENTENCIZER!r} (has {nlp.pipe_names}); restore it in extract/pipeline.py"
        )
    keep = [SENTENCIZER]
    schemes = list(teacher.tags)
    texts = read_texts(raw, limit=limit, skip=skip)
    t0 = time.perf_counter()
    db = DocBin(store_user_data=False)
    counts = {s: 0 for s in schemes}
    with nlp.select_pipes(enable=keep):
        docs = list(nlp.pipe(texts, batch_size=64))
    sents = [(d, s) for d in docs for s in d.sents]
    spans: dict[int, dict[str, list]] = {id(d): {s: [] for s in schemes} for d in docs}
    for k, batch in enumerate(_batches(sents, batch_size, None, key=lambda x: len(x[1]))):
        words = [[t.text for t in s] for _, s in batch]
        n = teacher.context
        contexts = [([t.text for t in d[max(0, s.start - n) : s.start]], [t.text for t in d[s.end : s.end + n]])
                    for d, s in batch] if n else None
        found_by_scheme = teacher.predict(words, schemes, contexts)
        for scheme in schemes:
            for (d, s), found in zip(batch, found_by_scheme[scheme], strict=True):
                for a, b, lab in found:
                    spans[id(d)][scheme].append(Span(d, s.start + a, s.start + b, label=lab))
        if k % 50 == 0:
            log.info("labelled %d batches (%.0f s)", k, time.perf_counter() - t0)
    for d in docs:
        clean = d.copy()
        for scheme in schemes:
            clean.spans[scheme] = [Span(clean, x.start, x.end, label=x.label_) for x in spans[id(d)][scheme]]
            counts[scheme] += len(spans[id(d)][scheme])
        db.add(clean)
    out.parent.mkdir(parents=True, exist_ok=True)
    db.to_disk(out)
    return {"texts": len(texts), "sentences": len(sents), "spans": counts, "seconds": round(time.perf_counter() - t0)}
