"""The evidence behind paper-entity links: where and how each link was read."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from kg.read.sparql import conf, iris, local, rows


@dataclass(frozen=True, slots=True)
class Evidence:
    """One evidence record of a paper-entity link: where and how the link was read."""

    paper: str
    entity: str
    predicate: str
    section: str
    start: int  # character offsets of the span in the section text
    end: int
    surface: str
    sentence: str
    mark: tuple[int, int] | None  # the span's offsets within ``sentence`` (None: not found in it)
    rules: tuple[str, ...]
    score: float | None
    confidence: float


_EVIDENCE = """SELECT ?paper ?e ?ev ?pred ?section ?start ?end ?surface ?sentence ?score ?conf ?rule WHERE {
    VALUES (?paper ?e) { %s }
    ?paper abx:hasEvidence ?ev . ?ev rdf:object ?e .
    OPTIONAL { ?ev rdf:predicate ?pred } OPTIONAL { ?ev abx:section ?section }
    OPTIONAL { ?ev abx:charStart ?start } OPTIONAL { ?ev abx:charEnd ?end }
    OPTIONAL { ?ev abx:surfaceForm ?surface } OPTIONAL { ?ev abx:sentenceText ?sentence }
    OPTIONAL { ?ev abx:score ?score } OPTIONAL { ?ev abx:confidence ?conf } OPTIONAL { ?ev abx:rule ?rule } }"""
_TEXTS = """SELECT ?paper ?title ?abstract WHERE { VALUES ?paper { %s } ?paper dcterms:title ?title .
    OPTIONAL { ?paper dcterms:abstract ?abstract } }"""
_MAX_VALUES = 400  # links per VALUES block


def _mark(section_text: str | None, sentence: str, start: int, end: int, surface: str) -> tuple[int, int] | None:
    """Where the span [start, end) of the section text falls in ``sentence`` (None if it does not)."""
    if section_text:
        pos = section_text.find(sentence) if sentence else -1
        while pos >= 0:
            if pos <= start and end <= pos + len(sentence):
                return start - pos, end - pos
            pos = section_text.find(sentence, pos + 1)
    at = sentence.find(surface) if surface else -1
    return (at, at + len(surface)) if at >= 0 else None


def link_evidence(store: ox.Store, links: list[tuple[str, str]] | tuple[tuple[str, str], ...]
                  ) -> dict[tuple[str, str], list[Evidence]]:
    """The evidence records of each (paper IRI, entity IRI) link, title first, then in text order.

    Raises StoreError when an IRI is invalid.
    """
    links = list(dict.fromkeys(links))
    records: dict[str, dict] = {}
    texts: dict[str, tuple[str, str]] = {}
    for i in range(0, len(links), _MAX_VALUES):
        chunk = links[i:i + _MAX_VALUES]
        for r in rows(store, _EVIDENCE % " ".join(f"({iris([p])} {iris([e])})" for p, e in chunk)):
            rec = records.setdefault(r["ev"], {**r, "rules": set()})
            if r["rule"]:
                rec["rules"].add(r["rule"])
        for r in rows(store, _TEXTS % iris(sorted({p for p, _ in chunk}))):
            texts[r["paper"]] = (r["title"] or "", r["abstract"] or "")
    out: dict[tuple[str, str], list[Evidence]] = {link: [] for link in links}
    for r in records.values():
        start, end = int(r["start"] or 0), int(r["end"] or 0)
        title, abstract = texts.get(r["paper"], ("", ""))
        sentence, surface = r["sentence"] or "", r["surface"] or ""
        out[(r["paper"], r["e"])].append(Evidence(
            r["paper"], r["e"], local(r["pred"] or ""), r["section"] or "", start, end, surface, sentence,
            _mark(title if r["section"] == "title" else abstract, sentence, start, end, surface),
            tuple(sorted(r["rules"])), float(r["score"]) if r["score"] else None, conf(r["conf"])))
    for found in out.values():
        found.sort(key=lambda ev: (ev.section != "title", ev.start, ev.end))
    return out
