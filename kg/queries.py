"""Read-side queries for the dashboard: plain Python data out, nothing lazy.

Every function consumes its pyoxigraph results before returning (results are
bound to the thread that ran the query), so callers may cache and pass the
values between threads freely.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import networkx as nx
import pyoxigraph as ox

from kg.errors import StoreError
from kg.store import Generation
from kg.vocab import PREFIXES

logger = logging.getLogger(__name__)

ENTITY_TYPES = ("Method", "Dataset", "Task", "Metric", "Concept")
LINK_PREDICATES = ("proposes", "uses", "evaluatesOn", "addresses", "reportsMetric", "mentions")
_TYPED = f"FILTER(?type IN ({', '.join('abx:' + t for t in ENTITY_TYPES)}))"


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


@dataclass(frozen=True, slots=True)
class Claim:
    """A result sentence of the abstract and the numbers it states."""

    text: str
    kind: str
    start: int
    end: int
    quantities: tuple[dict, ...] = ()  # value, unit, qualifier, text


@dataclass(frozen=True, slots=True)
class PaperDetail:
    """Everything the paper page shows."""

    iri: str
    title: str
    abstract: str
    code: tuple[str, ...] = ()
    spans: tuple[Span, ...] = ()
    claims: tuple[Claim, ...] = ()
    entities: tuple[dict, ...] = ()  # iri, label, type, predicate


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _rows(store: ox.Store, query: str, p: str | None = None) -> list[dict[str, str | None]]:
    """Run ``query`` with our prefixes, as a list of {variable: value or None}.

    ``$PAPER`` in the query is replaced by the IRI ``p`` (validated by pyoxigraph).
    """
    if p is not None:
        try:
            query = query.replace("$PAPER", str(ox.NamedNode(p)))
        except ValueError as e:
            raise StoreError(f"{p!r} is not a valid IRI") from e
    result = store.query(query, prefixes=PREFIXES)
    names = [v.value for v in result.variables]
    return [{n: (sol[n].value if sol[n] is not None else None) for n in names} for sol in result]


def open_generation(gen: Generation) -> ox.Store:
    """Open one published generation read-only.

    Raises:
        StoreError: the database cannot be opened.
    """
    try:
        return ox.Store.read_only(str(gen.db_path))
    except OSError as e:
        raise StoreError(f"cannot open the graph in {gen.db_path}: {e}") from e


def papers(store: ox.Store) -> list[dict]:
    """Every paper as {iri, title}, sorted by title."""
    rows = _rows(store, "SELECT ?iri ?title WHERE { ?iri a abx:Paper ; dcterms:title ?title }")
    return sorted(rows, key=lambda r: ((r["title"] or "").casefold(), r["iri"]))


_HEAD = """SELECT ?title ?abstract WHERE { $PAPER a abx:Paper ; dcterms:title ?title .
    OPTIONAL { $PAPER dcterms:abstract ?abstract } } LIMIT 1"""
_CODE = "SELECT ?c WHERE { $PAPER schema:codeRepository ?c }"
_SPANS = f"""SELECT ?section ?start ?end ?e ?label ?type ?pred WHERE {{
    $PAPER abx:hasEvidence ?ev . ?ev rdf:predicate ?pred ; rdf:object ?e ; abx:section ?section ;
        abx:charStart ?start ; abx:charEnd ?end .
    OPTIONAL {{ ?e skos:prefLabel ?label }} OPTIONAL {{ ?e a ?type {_TYPED} }} }}"""
_QUANTITIES = """SELECT ?c ?v ?u ?q ?t ?s WHERE { $PAPER abx:hasClaim ?c . ?c abx:hasQuantity ?n .
    ?n schema:value ?v . OPTIONAL { ?n schema:unitText ?u } OPTIONAL { ?n abx:qualifier ?q }
    OPTIONAL { ?n abx:surfaceForm ?t } OPTIONAL { ?n abx:charStart ?s } }"""
_CLAIMS = """SELECT ?c ?text ?kind ?start ?end WHERE { $PAPER abx:hasClaim ?c .
    ?c abx:sentenceText ?text ; abx:claimKind ?kind ; abx:charStart ?start ; abx:charEnd ?end }"""
_ENTITIES = f"""SELECT ?e ?label ?type ?pred WHERE {{ $PAPER ?pred ?e .
    FILTER(?pred IN ({", ".join("abx:" + p for p in LINK_PREDICATES)}))
    ?e a ?type ; skos:prefLabel ?label . {_TYPED} }}"""


def _claims(store: ox.Store, paper_iri: str) -> tuple[Claim, ...]:
    quantities: dict[str, list[tuple[int, dict]]] = {}
    for r in _rows(store, _QUANTITIES, paper_iri):
        quantities.setdefault(r["c"], []).append((int(r["s"] or 0), {
            "value": r["v"], "unit": r["u"] or "", "qualifier": r["q"] or "", "text": r["t"] or r["v"]}))
    claims = [Claim(r["text"], r["kind"], int(r["start"]), int(r["end"]),
                    tuple(q for _, q in sorted(quantities.get(r["c"], []), key=lambda x: x[0])))
              for r in _rows(store, _CLAIMS, paper_iri)]
    return tuple(sorted(claims, key=lambda c: c.start))


def paper_detail(store: ox.Store, paper_iri: str) -> PaperDetail | None:
    """Title, abstract, code links, evidence spans, claims and linked entities of a paper.

    None when there is no such paper. Raises StoreError when ``paper_iri`` is not an IRI.
    """
    head = _rows(store, _HEAD, paper_iri)
    if not head:
        return None
    spans = sorted((Span(r["section"], int(r["start"]), int(r["end"]), r["e"], r["label"] or _local(r["e"]),
                         _local(r["type"]) if r["type"] else "Concept", _local(r["pred"]))
                    for r in _rows(store, _SPANS, paper_iri)),
                   key=lambda s: (s.section != "title", s.start, s.end, s.label))
    entities = sorted(({"iri": r["e"], "label": r["label"], "type": _local(r["type"]), "predicate": _local(r["pred"])}
                       for r in _rows(store, _ENTITIES, paper_iri)),
                      key=lambda e: (LINK_PREDICATES.index(e["predicate"]), e["type"], e["label"].casefold()))
    return PaperDetail(
        paper_iri, head[0]["title"] or "", head[0]["abstract"] or "",
        code=tuple(sorted({r["c"] for r in _rows(store, _CODE, paper_iri)})), spans=tuple(spans),
        claims=_claims(store, paper_iri), entities=tuple(entities))


def top_entities(store: ox.Store, type_name: str, n: int = 10) -> list[dict]:
    """The ``n`` entities of ``type_name`` (e.g. "Method") in most papers: {label, iri, papers}."""
    if type_name not in ENTITY_TYPES:
        raise ValueError(f"unknown entity type {type_name!r}; choose one of {', '.join(ENTITY_TYPES)}")
    rows = _rows(store, f"""SELECT ?iri ?label ?count WHERE {{ ?iri a abx:{type_name} ;
        skos:prefLabel ?label ; abx:paperCount ?count }} ORDER BY DESC(?count) LCASE(STR(?label)) LIMIT {int(n)}""")
    return [{"label": r["label"], "iri": r["iri"], "papers": int(r["count"])} for r in rows]


_SEARCH = f"""SELECT ?e ?label ?type ?count ?alt WHERE {{ ?e a ?type ; skos:prefLabel ?label ;
    abx:paperCount ?count . {_TYPED} OPTIONAL {{ ?e skos:altLabel ?alt }} }}"""


def _rank(text: str, labels: list[str], papers: int) -> tuple:
    """Exact match first, then prefix, then substring; more papers first."""
    t = text.casefold()
    best = min((0 if lb.casefold() == t else 1 if lb.casefold().startswith(t) else 2) for lb in labels)
    return best, -papers


def search_entities(source: nx.Graph | ox.Store, text: str, limit: int = 20) -> list[dict]:
    """Entities whose label (or, in the store, an alternative label) contains ``text``.

    ``source`` is a graph from ``kg.analytics.paper_entity_graph`` or a store.
    Returns {iri, label, type, papers}; an empty ``text`` gives the most-mentioned entities.
    """
    text = (text or "").strip()
    found: dict[str, dict] = {}
    if isinstance(source, nx.Graph):
        for node, data in source.nodes(data=True):
            if data.get("kind") in ENTITY_TYPES and text.casefold() in data.get("label", "").casefold():
                found[node] = {"iri": node, "label": data["label"], "type": data["kind"],
                               "papers": int(data.get("papers", 0)), "_labels": [data["label"]]}
    else:
        for r in _rows(source, _SEARCH):
            labels = [lb for lb in (r["label"], r["alt"]) if lb]
            if not any(text.casefold() in lb.casefold() for lb in labels):
                continue
            hit = found.setdefault(r["e"], {"iri": r["e"], "label": r["label"], "type": _local(r["type"]),
                                            "papers": int(r["count"]), "_labels": []})
            hit["_labels"].extend(lb for lb in labels if text.casefold() in lb.casefold())
    ranked = sorted(found.values(), key=lambda h: (_rank(text, h["_labels"], h["papers"]), h["label"].casefold()))
    return [{k: v for k, v in h.items() if k != "_labels"} for h in ranked[: max(0, limit)]]


def neighbour_table(g: nx.DiGraph, sub: nx.DiGraph, centre: str) -> list[dict]:
    """Rows for the nodes of ``sub`` other than ``centre``: label, type, hops, link, degree, iri.

    ``link`` is the predicate joining a node to the centre (blank beyond one hop);
    ``degree`` counts its links in the whole graph ``g``.
    """
    if centre not in g:
        return []
    dist = nx.single_source_shortest_path_length(sub.to_undirected(as_view=True), centre)
    rows = []
    for node, data in sub.nodes(data=True):
        if node == centre:
            continue
        edge = g.get_edge_data(node, centre) or g.get_edge_data(centre, node) or {}
        rows.append({"label": data.get("label", node), "type": data.get("kind", ""),
                     "hops": dist.get(node), "link": edge.get("predicate", ""),
                     "degree": g.degree(node), "iri": node})
    rows.sort(key=lambda r: (r["hops"] is None, r["hops"] or 0, -r["degree"], r["label"].casefold()))
    return rows


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
