"""Scoring the relation model: relations on gold or predicted entities, the threshold tuned on dev, NER entities."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from extract.relations.features import candidate_pairs
from extract.relations.model import RelationModel
from extract.training.annotated import AnnotatedDoc, Entity
from extract.training.scoring import PRF
from extract.training.spans import tokens_doc


def predict_doc(
    model: RelationModel, sentences: Sequence[Sequence[str]], entities: Iterable[Entity], threshold: float | None = None
) -> list[tuple[Entity, Entity, str, float]]:
    """Relations of a whole document: ``(head_entity, tail_entity, label, probability)``."""
    by_sent: dict[int, list[Entity]] = {}
    for e in entities:
        by_sent.setdefault(e.sent, []).append(e)
    out = []
    for s, ents in sorted(by_sent.items()):
        spans = [(e.start, e.end, e.label) for e in ents]
        for h, t, label, prob in model.predict_relations(sentences[s], spans, threshold):
            out.append((ents[h], ents[t], label, prob))
    return out


RelScores = PRF  # relation counts are scored like any other


def _prf(gold: set, pred: set) -> RelScores:
    return RelScores(len(gold & pred), len(pred - gold), len(gold - pred))


def gold_relation_sets(doc: AnnotatedDoc, labels: Sequence[str]) -> tuple[set, set]:
    """``(boundaries, strict)`` tuple sets of a document's gold relations (strict adds argument types)."""
    types: dict[tuple, str] = {}
    for e in doc.entities:
        types.setdefault((e.sent, e.start, e.end), e.label)
    wanted = set(labels)
    b, s = set(), set()
    for r in doc.relations:
        if r.label not in wanted:
            continue
        b.add((r.sent, r.h_start, r.h_end, r.t_start, r.t_end, r.label))
        s.add(
            (
                r.sent,
                r.h_start,
                r.h_end,
                types.get((r.sent, r.h_start, r.h_end)),
                r.t_start,
                r.t_end,
                types.get((r.sent, r.t_start, r.t_end)),
                r.label,
            )
        )
    return b, s


def _pred_sets(preds: Iterable[tuple[Entity, Entity, str, float]]) -> tuple[set, set]:
    b, s = set(), set()
    for h, t, label, _ in preds:
        b.add((h.sent, h.start, h.end, t.start, t.end, label))
        s.add((h.sent, h.start, h.end, h.label, t.start, t.end, t.label, label))
    return b, s


@dataclass
class EvalResult:
    boundaries: RelScores
    strict: RelScores
    per_label: dict[str, RelScores]
    n_docs: int
    n_pairs: int
    seconds: float
    # gold relations whose head and tail spans are both among the entities scored: what any relation
    # model could find on them (boundaries), the ceiling of its recall
    both_arguments_found: int = 0
    per_doc: tuple[RelScores, ...] = ()  # boundaries counts of each document, in input order

    def as_dict(self) -> dict:
        def row(x: RelScores) -> dict:
            return x.as_dict()

        return {
            "boundaries": row(self.boundaries),
            "strict": row(self.strict),
            "per_label": {k: row(v) for k, v in sorted(self.per_label.items())},
            "docs": self.n_docs,
            "pairs": self.n_pairs,
            "ms_per_doc": round(1000 * self.seconds / max(self.n_docs, 1), 3),
            "pairs_per_s": round(self.n_pairs / self.seconds) if self.seconds else None,
            "both_arguments_found": self.both_arguments_found,
            "gold": self.boundaries.tp + self.boundaries.fn,
        }

    def table(self) -> str:
        lines = [f"relations (boundaries+type): {self.boundaries}", f"relations strict (+entity types): {self.strict}"]
        for k, v in sorted(self.per_label.items()):
            lines.append(f"  {k:<15} {v}  (gold {v.tp + v.fn})")
        return "\n".join(lines)


def evaluate(
    model: RelationModel,
    docs: Sequence[AnnotatedDoc],
    predicted_entities: Sequence[Sequence[Entity]] | None = None,
    threshold: float | None = None,
) -> EvalResult:
    """Micro P/R/F of the relations predicted on gold entities, or on ``predicted_entities`` (one list per doc)."""
    ents_per_doc = [d.entities for d in docs] if predicted_entities is None else predicted_entities
    gold_b, gold_s, pred_b, pred_s = [], [], [], []
    n_pairs = 0
    reachable = 0
    seconds = 0.0
    for d, ents in zip(docs, ents_per_doc, strict=True):
        g = gold_relation_sets(d, model.labels)
        gold_b.append(g[0])
        gold_s.append(g[1])
        spans = {(e.sent, e.start, e.end) for e in ents}
        reachable += sum(1 for x in g[0] if (x[0], x[1], x[2]) in spans and (x[0], x[3], x[4]) in spans)
        t0 = time.perf_counter()
        preds = predict_doc(model, d.sentences, ents, threshold)
        seconds += time.perf_counter() - t0
        by_sent: dict[int, list] = {}
        for e in ents:
            by_sent.setdefault(e.sent, []).append(e)
        for es in by_sent.values():
            n_pairs += len(candidate_pairs([(e.start, e.end) for e in es], model.max_between))
        p = _pred_sets(preds)
        pred_b.append(p[0])
        pred_s.append(p[1])
    tot_b = [0, 0, 0]
    tot_s = [0, 0, 0]
    per: dict[str, list[int]] = {}
    per_doc = []
    for gb, gs, pb, ps in zip(gold_b, gold_s, pred_b, pred_s, strict=True):
        per_doc.append(_prf(gb, pb))
        for acc, x in ((tot_b, per_doc[-1]), (tot_s, _prf(gs, ps))):
            acc[0] += x.tp
            acc[1] += x.fp
            acc[2] += x.fn
        for x in gb | pb:
            c = per.setdefault(x[-1], [0, 0, 0])
            c[0 if (x in gb and x in pb) else 1 if x in pb else 2] += 1
    return EvalResult(
        RelScores(*tot_b),
        RelScores(*tot_s),
        {k: RelScores(*v) for k, v in per.items()},
        len(docs),
        n_pairs,
        seconds,
        reachable,
        tuple(per_doc),
    )


def tune_threshold(
    model: RelationModel,
    docs: Sequence[AnnotatedDoc],
    predicted_entities: Sequence[Sequence[Entity]] | None = None,
    grid: Iterable[float] = tuple(x / 100 for x in range(5, 81, 5)),
) -> tuple[float, dict[float, float]]:
    """The threshold with the best boundaries F1 on ``docs`` (ties: the higher threshold)."""
    scores = {t: evaluate(model, docs, predicted_entities, t).boundaries.f for t in grid}
    best = max(scores, key=lambda t: (round(scores[t], 6), t))
    return best, scores


# ------------------------------------------------------------------ predicted entities (end to end)


def ner_entities(nlp_path: str | Path, docs: Sequence[AnnotatedDoc]) -> list[list[Entity]]:
    """Entities predicted by a spaCy NER pipeline on the gold tokens of each document (sentence-relative)."""
    import spacy

    nlp = spacy.load(nlp_path)
    out = []
    sdocs = [tokens_doc(nlp.vocab, d.sentences) for d in docs]
    for d, sdoc in zip(docs, nlp.pipe(sdocs, batch_size=64), strict=True):
        starts = []
        k = 0
        for s in d.sentences:
            starts.append(k)
            k += len(s)
        ents = []
        for span in sdoc.ents:
            sent = max(i for i, st in enumerate(starts) if st <= span.start)
            s0, s1 = span.start - starts[sent], span.end - starts[sent]
            if s1 > len(d.sentences[sent]):  # crosses a sentence boundary
                continue
            ents.append(Entity(sent, s0, s1, span.label_))
        out.append(ents)
    return out


def entity_scores(docs: Sequence[AnnotatedDoc], pred: Sequence[Sequence[Entity]]) -> tuple[RelScores, RelScores]:
    """``(boundaries, typed)`` micro scores of predicted entities."""
    tb, tt = [0, 0, 0], [0, 0, 0]
    for d, p in zip(docs, pred, strict=True):
        g_t = {tuple(e) for e in d.entities}
        p_t = {tuple(e) for e in p}
        g_b = {e[:3] for e in g_t}
        p_b = {e[:3] for e in p_t}
        for acc, g, q in ((tb, g_b, p_b), (tt, g_t, p_t)):
            acc[0] += len(g & q)
            acc[1] += len(q - g)
            acc[2] += len(g - q)
    return RelScores(*tb), RelScores(*tt)
