"""The paper page's read model: the papers list, one paper's spans, claims and entities, and text segments."""

from __future__ import annotations

import logging
import re
import urllib.parse
from dataclasses import dataclass

import pyoxigraph as ox

from kg.model import EntityType
from kg.read.sparql import LINK_FILTER, LINK_PREDICATES, TYPED, conf, local, passes, rows

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Span:
    """An entity mention in a paper's title or abstract (character offsets into that section)."""

    section: str  # "title" | "abstract"
    start: int
    end: int
    entity: str
    label: str
    type: str
    predicate: str
    confidence: float = 0.0  # of the paper-entity link the span supports


@dataclass(frozen=True, slots=True)
class ClaimView:
    """A stored claim as the paper page shows it: the sentence, its kind and the numbers it states.

    Read back from the graph; ``kg.model.Claim`` is what the extractor makes.
    """

    text: str
    kind: str
    start: int
    end: int
    quantities: tuple[dict, ...] = ()  # value, unit, qualifier, text
    confidence: float = 0.0
    iri: str = ""  # the claim's IRI in the graph


@dataclass(frozen=True, slots=True)
class PaperDetail:
    """Everything the paper page shows."""

    iri: str
    title: str
    abstract: str
    code: tuple[str, ...] = ()
    spans: tuple[Span, ...] = ()
    claims: tuple[ClaimView, ...] = ()
    entities: tuple[dict, ...] = ()  # iri, label, type, predicate, confidence (of the link), entity_confidence
    hidden: int = 0  # spans, claims and entities left out for being below the confidence threshold
    authors: tuple[str, ...] = ()  # dcterms:creator, in name order (the graph keeps no author order)
    date: str = ""  # dcterms:date, as the input gave it (ISO when it parsed)
    year: int | None = None  # schema:datePublished
    identifier: str = ""  # dcterms:identifier: arXiv:<id>, a DOI or whatever id the input had
    url: str = ""  # schema:url
    source: str = ""  # dcterms:source: the input file the paper was read from
    links: tuple[tuple[str, str], ...] = ()  # (label, URL) to read the paper: arXiv abstract and PDF, DOI, URL


_DOI_RE = re.compile(r"(?:doi:\s*|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)", re.IGNORECASE)


def paper_links(identifier: str, url: str = "") -> tuple[tuple[str, str], ...]:
    """Where to read a paper: (label, URL) from its identifier (arXiv id or DOI), else its URL.

    >>> paper_links("arXiv:2205.13147")
    (('arXiv abstract', 'https://arxiv.org/abs/2205.13147'), ('PDF', 'https://arxiv.org/pdf/2205.13147'))
    >>> paper_links("doi:10.1000/xyz-1")
    (('DOI', 'https://doi.org/10.1000/xyz-1'),)
    >>> paper_links("", "https://example.org/p")
    (('Paper', 'https://example.org/p'),)
    """
    found: list[tuple[str, str]] = []
    if identifier.startswith("arXiv:") and len(identifier) > len("arXiv:"):
        bare = urllib.parse.quote(identifier.removeprefix("arXiv:"), safe="/.")
        found += [("arXiv abstract", f"https://arxiv.org/abs/{bare}"), ("PDF", f"https://arxiv.org/pdf/{bare}")]
    elif m := _DOI_RE.fullmatch(identifier.strip()):
        found.append(("DOI", f"https://doi.org/{urllib.parse.quote(m.group(1), safe='/.-_;()')}"))
    if url and url not in {u for _, u in found} and not (found and found[0][0] == "arXiv abstract"
                                                         and "arxiv.org/abs/" in url):
        found.append(("Paper", url))
    return tuple(found)


def papers(store: ox.Store) -> list[dict]:
    """Every paper as {iri, title}, sorted by title."""
    found = rows(store, "SELECT ?iri ?title WHERE { ?iri a abx:Paper ; dcterms:title ?title }")
    return sorted(found, key=lambda r: ((r["title"] or "").casefold(), r["iri"]))


_HEAD = """SELECT ?title ?abstract WHERE { $PAPER a abx:Paper ; dcterms:title ?title .
    OPTIONAL { $PAPER dcterms:abstract ?abstract } } LIMIT 1"""
_CODE = "SELECT ?c WHERE { $PAPER schema:codeRepository ?c }"
_META = """SELECT ?p ?v WHERE { VALUES ?p { dcterms:creator dcterms:date schema:datePublished dcterms:identifier
    schema:url dcterms:source } $PAPER ?p ?v }"""
_SPANS = f"""SELECT ?section ?start ?end ?e ?label ?type ?pred ?conf WHERE {{
    $PAPER abx:hasEvidence ?ev . ?ev rdf:predicate ?pred ; rdf:object ?e ; abx:section ?section ;
        abx:charStart ?start ; abx:charEnd ?end .
    OPTIONAL {{ ?ev abx:confidence ?conf }}
    OPTIONAL {{ ?e skos:prefLabel ?label }} OPTIONAL {{ ?e a ?type {TYPED} }} }}"""
_QUANTITIES = """SELECT ?c ?v ?u ?q ?t ?s WHERE { $PAPER abx:hasClaim ?c . ?c abx:hasQuantity ?n .
    ?n schema:value ?v . OPTIONAL { ?n schema:unitText ?u } OPTIONAL { ?n abx:qualifier ?q }
    OPTIONAL { ?n abx:surfaceForm ?t } OPTIONAL { ?n abx:charStart ?s } }"""
_CLAIMS = """SELECT ?c ?text ?kind ?start ?end ?conf WHERE { $PAPER abx:hasClaim ?c .
    ?c abx:sentenceText ?text ; abx:claimKind ?kind ; abx:charStart ?start ; abx:charEnd ?end .
    OPTIONAL { ?c abx:confidence ?conf } }"""
_ENTITIES = f"""SELECT ?e ?label ?type ?pred ?econf (MAX(?c) AS ?conf) WHERE {{ $PAPER ?pred ?e . {LINK_FILTER}
    ?e a ?type ; skos:prefLabel ?label . {TYPED} OPTIONAL {{ ?e abx:confidence ?econf }}
    OPTIONAL {{ $PAPER abx:hasEvidence ?ev . ?ev rdf:object ?e ; abx:confidence ?c }}
}} GROUP BY ?e ?label ?type ?pred ?econf"""


def _claims(store: ox.Store, paper_iri: str) -> tuple[ClaimView, ...]:
    quantities: dict[str, list[tuple[int, dict]]] = {}
    for r in rows(store, _QUANTITIES, paper_iri):
        quantities.setdefault(r["c"], []).append((int(r["s"] or 0), {
            "value": r["v"], "unit": r["u"] or "", "qualifier": r["q"] or "", "text": r["t"] or r["v"]}))
    claims = [ClaimView(r["text"], r["kind"], int(r["start"]), int(r["end"]),
                        tuple(q for _, q in sorted(quantities.get(r["c"], []), key=lambda x: x[0])), conf(r["conf"]),
                        r["c"])
              for r in rows(store, _CLAIMS, paper_iri)]
    return tuple(sorted(claims, key=lambda c: c.start))


def _metadata(store: ox.Store, paper_iri: str) -> dict:
    """Authors, date, year, identifier, URL and source of a paper, as PaperDetail's fields (absent: empty)."""
    values: dict[str, list[str]] = {}
    for r in rows(store, _META, paper_iri):
        values.setdefault(local(r["p"]), []).append(r["v"] or "")
    first = {name: min(found) for name, found in values.items()}
    year = first.get("datePublished", "")
    meta = {"authors": tuple(sorted(values.get("creator", []))), "date": first.get("date", ""),
            "year": int(year[:4]) if year[:4].isdigit() else None, "identifier": first.get("identifier", ""),
            "url": first.get("url", ""), "source": first.get("source", "")}
    return {**meta, "links": paper_links(meta["identifier"], meta["url"])}


def paper_detail(store: ox.Store, paper_iri: str, min_confidence: float = 0.0) -> PaperDetail | None:
    """Title, abstract, metadata, code links, evidence spans, claims and linked entities of a paper.

    Spans, claims and entities whose confidence is below ``min_confidence`` are
    left out (``hidden`` counts them). None when there is no such paper.
    Raises StoreError when ``paper_iri`` is not an IRI.
    """
    head = rows(store, _HEAD, paper_iri)
    if not head:
        return None
    spans = sorted((Span(r["section"], int(r["start"]), int(r["end"]), r["e"], r["label"] or local(r["e"]),
                         local(r["type"]) if r["type"] else EntityType.CONCEPT.value, local(r["pred"]),
                         conf(r["conf"]))
                    for r in rows(store, _SPANS, paper_iri)),
                   key=lambda s: (s.section != "title", s.start, s.end, s.label))
    entities = sorted(({"iri": r["e"], "label": r["label"], "type": local(r["type"]), "predicate": local(r["pred"]),
                        "confidence": conf(r["conf"]), "entity_confidence": conf(r["econf"])}
                       for r in rows(store, _ENTITIES, paper_iri)),
                      key=lambda e: (LINK_PREDICATES.index(e["predicate"]), e["type"], e["label"].casefold()))
    claims = _claims(store, paper_iri)
    kept = ([s for s in spans if passes(s.confidence, min_confidence)],
            [c for c in claims if passes(c.confidence, min_confidence)],
            [e for e in entities if passes(e["confidence"], min_confidence)])
    hidden = len(spans) + len(claims) + len(entities) - sum(map(len, kept))
    return PaperDetail(
        paper_iri, head[0]["title"] or "", head[0]["abstract"] or "",
        code=tuple(sorted({r["c"] for r in rows(store, _CODE, paper_iri)})), spans=tuple(kept[0]),
        claims=tuple(kept[1]), entities=tuple(kept[2]), hidden=hidden, **_metadata(store, paper_iri))


def segments(text: str, spans: list[Span] | tuple[Span, ...]) -> list[tuple[str, tuple[Span, ...]]]:
    """Cut ``text`` at every span boundary: [(piece, spans covering it)], in order.

    Overlapping, nested and adjacent spans are all handled: each piece is
    covered by a fixed set of spans, so markup built from the pieces never
    interleaves. Spans outside the text or empty are ignored.
    """
    valid = [s for s in spans if 0 <= s.start < s.end <= len(text)]
    if len(valid) != len(spans):
        logger.warning("ignored %d span(s) outside a %d-character text", len(spans) - len(valid), len(text))
    cuts = sorted({0, len(text), *(s.start for s in valid), *(s.end for s in valid)})
    return [(text[a:b], tuple(s for s in valid if s.start <= a and b <= s.end))
            for a, b in zip(cuts, cuts[1:], strict=False)]
