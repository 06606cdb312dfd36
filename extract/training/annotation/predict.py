"""The extractor's output for annotated papers, as guide records with confidences (to be scored)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from extract.training.annotation.score import norm
from extract.training.annotation.source import Paper as CorpusPaper
from kg.graph.triples import link_confidence
from kg.model import EntityType, Extraction, Paper, Role

GUIDE_ROLE = {EntityType.METHOD: "used", EntityType.DATASET: "used", EntityType.TASK: "addressed",
              EntityType.METRIC: "reported"}


def to_record(ex: Extraction) -> dict[str, Any]:
    """One extraction as a guide record; an entity's confidence is its link's in the graph
    (:func:`kg.graph.triples.link_confidence`)."""
    groups: dict[tuple[str, str], list] = {}
    for m in ex.mentions:
        if m.label == EntityType.CONCEPT:
            continue
        groups.setdefault((m.label.value, norm(m.long_form or m.span.text)), []).append(m)
    entities = []
    for (etype, _), ms in groups.items():
        named = max(ms, key=lambda m: (m.long_form is None, len(m.span.text)))
        entity: dict[str, Any] = {
            "name": named.long_form or named.span.text,
            "type": etype,
            "role": "proposed" if any(m.role == Role.PROPOSES for m in ms) else GUIDE_ROLE[ms[0].label],
            "mentions": sorted({(m.span.section.value, m.span.start, m.span.end) for m in ms}),
            "confidence": round(link_confidence(ms), 4),
        }
        shorts = {m.span.text for m in ms if m.long_form}
        if shorts:
            entity["abbreviation"] = min(shorts, key=len)
        entities.append(entity)
    claims, results = [], []
    for c in ex.claims:
        if c.sentence.section.value != "abstract":
            continue
        claims.append({"section": "abstract", "start": c.sentence.start, "end": c.sentence.end,
                       "kind": c.kind, "confidence": c.score})
        for r in c.results:
            q = r.quantity
            results.append({"value": q.value, "unit": q.unit or None, "text": q.text,
                            "metric": r.metric, "dataset": r.dataset, "method": r.method,
                            "baseline": r.baseline, "condition": r.condition,
                            "span": ["abstract", q.start, q.end], "confidence": r.confidence(c.score)})
    return {"uid": ex.paper.key, "entities": entities, "claims": claims, "results": results,
            "code_urls": [{"url": link.url, "span": [link.span.section.value, link.span.start, link.span.end]}
                          for link in ex.code_links]}


def predict(papers: Iterable[CorpusPaper], extractor: Any = None) -> Iterator[dict[str, Any]]:
    """Run the shipped extractor (or ``extractor``) over ``papers``, in order."""
    if extractor is None:
        from extract.extractor import Extractor

        extractor = Extractor()
    inputs = [Paper(key=p.uid, title=p.title, abstract=p.abstract) for p in papers]
    for ex in extractor.extract_many(inputs):
        yield to_record(ex)
