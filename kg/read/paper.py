"""Read-side queries for the dashboard: plain Python data out, nothing lazy.

Every function consumes its pyoxigraph results before returning (results are
bound to the thread that ran the query), so callers may cache and pass the
values between threads freely.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

import networkx as nx
import pyoxigraph as ox

from kg.errors import StoreError
from kg.iri import entity_key
from kg.store.generations import Generation
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
    confidence: float = 0.0  # of the paper-entity link the span supports


@dataclass(frozen=True, slots=True)
class Claim:
    """A result sentence of the abstract and the numbers it states."""

    text: str
    kind: str
    start: int
    end: int
    quantities: tuple[dict, ...] = ()  # value, unit, qualifier, text
    confidence: float = 0.0


@dataclass(frozen=True, slots=True)
class PaperDetail:
    """Everything the paper page shows."""

    iri: str
    title: str
    abstract: str
    code: tuple[str, ...] = ()
    spans: tuple[Span, ...] = ()
    claims: tuple[Claim, ...] = ()
    entities: tuple[dict, ...] = ()  # iri, label, type, predicate, confidence (of the link), entity_confidence
    hidden: int = 0  # spans, claims and entities left out for being below the confidence threshold


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


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _conf(value: str | None) -> float:
    """A stored confidence as a float; a missing one counts as 0 (shown only with no threshold)."""
    return float(value) if value not in (None, "") else 0.0


def passes(confidence: float, threshold: float) -> bool:
    """``confidence >= threshold``, forgiving the float noise of a slider (0.1 + 0.2 and so on)."""
    return confidence + 1e-9 >= threshold


def _iris(values) -> str:  # noqa: ANN001 - iterable of IRI strings
    """IRIs as SPARQL terms, each validated by pyoxigraph."""
    try:
        return " ".join(str(ox.NamedNode(v)) for v in values)
    except ValueError as e:
        raise StoreError(f"not a valid IRI: {e}") from e


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
_SPANS = f"""SELECT ?section ?start ?end ?e ?label ?type ?pred ?conf WHERE {{
    $PAPER abx:hasEvidence ?ev . ?ev rdf:predicate ?pred ; rdf:object ?e ; abx:section ?section ;
        abx:charStart ?start ; abx:charEnd ?end .
    OPTIONAL {{ ?ev abx:confidence ?conf }}
    OPTIONAL {{ ?e skos:prefLabel ?label }} OPTIONAL {{ ?e a ?type {_TYPED} }} }}"""
_QUANTITIES = """SELECT ?c ?v ?u ?q ?t ?s WHERE { $PAPER abx:hasClaim ?c . ?c abx:hasQuantity ?n .
    ?n schema:value ?v . OPTIONAL { ?n schema:unitText ?u } OPTIONAL { ?n abx:qualifier ?q }
    OPTIONAL { ?n abx:surfaceForm ?t } OPTIONAL { ?n abx:charStart ?s } }"""
_CLAIMS = """SELECT ?c ?text ?kind ?start ?end ?conf WHERE { $PAPER abx:hasClaim ?c .
    ?c abx:sentenceText ?text ; abx:claimKind ?kind ; abx:charStart ?start ; abx:charEnd ?end .
    OPTIONAL { ?c abx:confidence ?conf } }"""
_LINK_FILTER = f"FILTER(?pred IN ({', '.join('abx:' + p for p in LINK_PREDICATES)}))"
_ENTITIES = f"""SELECT ?e ?label ?type ?pred ?econf (MAX(?c) AS ?conf) WHERE {{ $PAPER ?pred ?e . {_LINK_FILTER}
    ?e a ?type ; skos:prefLabel ?label . {_TYPED} OPTIONAL {{ ?e abx:confidence ?econf }}
    OPTIONAL {{ $PAPER abx:hasEvidence ?ev . ?ev rdf:object ?e ; abx:confidence ?c }}
}} GROUP BY ?e ?label ?type ?pred ?econf"""


def _claims(store: ox.Store, paper_iri: str) -> tuple[Claim, ...]:
    quantities: dict[str, list[tuple[int, dict]]] = {}
    for r in _rows(store, _QUANTITIES, paper_iri):
        quantities.setdefault(r["c"], []).append((int(r["s"] or 0), {
            "value": r["v"], "unit": r["u"] or "", "qualifier": r["q"] or "", "text": r["t"] or r["v"]}))
    claims = [Claim(r["text"], r["kind"], int(r["start"]), int(r["end"]),
                    tuple(q for _, q in sorted(quantities.get(r["c"], []), key=lambda x: x[0])), _conf(r["conf"]))
              for r in _rows(store, _CLAIMS, paper_iri)]
    return tuple(sorted(claims, key=lambda c: c.start))


def paper_detail(store: ox.Store, paper_iri: str, min_confidence: float = 0.0) -> PaperDetail | None:
    """Title, abstract, code links, evidence spans, claims and linked entities of a paper.

    Spans, claims and entities whose confidence is below ``min_confidence`` are
    left out (``hidden`` counts them). None when there is no such paper.
    Raises StoreError when ``paper_iri`` is not an IRI.
    """
    head = _rows(store, _HEAD, paper_iri)
    if not head:
        return None
    spans = sorted((Span(r["section"], int(r["start"]), int(r["end"]), r["e"], r["label"] or _local(r["e"]),
                         _local(r["type"]) if r["type"] else "Concept", _local(r["pred"]), _conf(r["conf"]))
                    for r in _rows(store, _SPANS, paper_iri)),
                   key=lambda s: (s.section != "title", s.start, s.end, s.label))
    entities = sorted(({"iri": r["e"], "label": r["label"], "type": _local(r["type"]), "predicate": _local(r["pred"]),
                        "confidence": _conf(r["conf"]), "entity_confidence": _conf(r["econf"])}
                       for r in _rows(store, _ENTITIES, paper_iri)),
                      key=lambda e: (LINK_PREDICATES.index(e["predicate"]), e["type"], e["label"].casefold()))
    claims = _claims(store, paper_iri)
    kept = ([s for s in spans if passes(s.confidence, min_confidence)],
            [c for c in claims if passes(c.confidence, min_confidence)],
            [e for e in entities if passes(e["confidence"], min_confidence)])
    hidden = len(spans) + len(claims) + len(entities) - sum(map(len, kept))
    return PaperDetail(
        paper_iri, head[0]["title"] or "", head[0]["abstract"] or "",
        code=tuple(sorted({r["c"] for r in _rows(store, _CODE, paper_iri)})), spans=tuple(kept[0]),
        claims=tuple(kept[1]), entities=tuple(kept[2]), hidden=hidden)


def top_entities(source: nx.DiGraph | ox.Store, type_name: str, n: int = 10,
                 min_confidence: float = 0.0) -> list[dict]:
    """The ``n`` entities of ``type_name`` (e.g. "Method") in most papers: {label, iri, papers}.

    Only links of confidence ``min_confidence`` or more count. ``source`` is a
    graph from ``link_graph`` (already filtered or not) or a store.
    """
    if type_name not in ENTITY_TYPES:
        raise ValueError(f"unknown entity type {type_name!r}; choose one of {', '.join(ENTITY_TYPES)}")
    g = link_graph(source) if isinstance(source, ox.Store) else source
    g = at_confidence(g, min_confidence)
    top = sorted(((d["label"], node, g.in_degree(node)) for node, d in g.nodes(data=True) if d["kind"] == type_name),
                 key=lambda t: (-t[2], t[0].casefold(), t[1]))
    return [{"label": label, "iri": iri, "papers": count} for label, iri, count in top[: max(0, int(n))]]


_SEARCH = f"""SELECT ?e ?label ?type ?count ?alt WHERE {{ ?e a ?type ; skos:prefLabel ?label ;
    abx:paperCount ?count . {_TYPED} OPTIONAL {{ ?e skos:altLabel ?alt }} }}"""


def match_rank(text: str, labels: list[str], papers: int) -> tuple:
    """Exact match first, then prefix, then substring; more papers first."""
    t = text.casefold()
    best = min((0 if lb.casefold() == t else 1 if lb.casefold().startswith(t) else 2) for lb in labels)
    return best, -papers


def search_entities(source: nx.Graph | ox.Store, text: str, limit: int = 20) -> list[dict]:
    """Entities whose label (or, in the store, an alternative label) contains ``text``.

    ``source`` is a graph from ``kg.read.projection.paper_entity_graph`` or a store.
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
    ranked = sorted(found.values(), key=lambda h: (match_rank(text, h["_labels"], h["papers"]), h["label"].casefold()))
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


# ------------------------------------------------------ confidence-weighted projection

_LINKS = f"""SELECT ?paper ?pred ?e WHERE {{ ?paper a abx:Paper ; ?pred ?e . {_LINK_FILTER}
    ?e a ?type . {_TYPED} }}"""
_LINK_SUPPORT = """SELECT ?paper ?e (MAX(?c) AS ?conf) (COUNT(DISTINCT ?ev) AS ?n)
    (GROUP_CONCAT(DISTINCT ?rule; separator="|") AS ?rules) WHERE {
    ?paper abx:hasEvidence ?ev . ?ev rdf:object ?e .
    OPTIONAL { ?ev abx:confidence ?c } OPTIONAL { ?ev abx:rule ?rule } } GROUP BY ?paper ?e"""
_ENTITY_NODES = f"""SELECT ?e ?label ?type ?count ?conf ?key WHERE {{ ?e a ?type ; skos:prefLabel ?label . {_TYPED}
    OPTIONAL {{ ?e abx:paperCount ?count }} OPTIONAL {{ ?e abx:confidence ?conf }}
    OPTIONAL {{ ?e abx:canonicalKey ?key }} }}"""
_ALT_LABELS = "SELECT ?e ?alt WHERE { ?e skos:altLabel ?alt }"
_VARIANTS = "SELECT ?e ?base ?label WHERE { ?e abx:variantOf ?base . OPTIONAL { ?base skos:prefLabel ?label } }"


def link_graph(store: ox.Store) -> nx.DiGraph:
    """Papers and entities, one edge per typed paper-entity link, with what backs each link.

    Node attributes as in ``kg.read.projection.paper_entity_graph`` (``label``,
    ``kind``, ``papers``); entities also get ``confidence``, ``alt`` (other
    surface forms), ``variant_of`` (labels of the entities they vary) and
    ``key`` (canonical key). Edge attributes: ``predicate``, ``confidence``
    (the highest over the link's evidence; 0 when none is recorded),
    ``evidence`` (how many records) and ``rules`` (the extractor rules behind them).
    """
    g = nx.DiGraph()
    for r in _rows(store, "SELECT ?p ?title WHERE { ?p a abx:Paper ; dcterms:title ?title }"):
        g.add_node(r["p"], label=r["title"], kind="Paper", papers=1)
    alt: dict[str, list[str]] = {}
    for r in _rows(store, _ALT_LABELS):
        alt.setdefault(r["e"], []).append(r["alt"])
    variant_of: dict[str, list[str]] = {}
    for r in _rows(store, _VARIANTS):
        variant_of.setdefault(r["e"], []).append(r["label"] or _local(r["base"]))
    for r in _rows(store, _ENTITY_NODES):
        if r["e"] in g:  # an entity with two entity types: the first row wins, as in the projection
            continue
        g.add_node(r["e"], label=r["label"], kind=_local(r["type"]), papers=int(r["count"] or 0),
                   confidence=_conf(r["conf"]), key=r["key"] or "",
                   alt=tuple(sorted(set(alt.get(r["e"], ())), key=str.casefold)),
                   variant_of=tuple(sorted(set(variant_of.get(r["e"], ())), key=str.casefold)))
    support = {(r["paper"], r["e"]): r for r in _rows(store, _LINK_SUPPORT)}
    for r in _rows(store, _LINKS):
        if r["paper"] not in g or r["e"] not in g:
            continue
        s = support.get((r["paper"], r["e"]), {})
        g.add_edge(r["paper"], r["e"], predicate=_local(r["pred"]), confidence=_conf(s.get("conf")),
                   evidence=int(s.get("n") or 0),
                   rules=tuple(sorted(x for x in (s.get("rules") or "").split("|") if x)))
    return g


def at_confidence(g: nx.DiGraph, threshold: float) -> nx.DiGraph:
    """``g`` without the links below ``threshold``, nor the entities left with no link.

    Each entity's ``papers`` becomes the number of papers still linked to it
    (``papers_all`` keeps the count at any confidence). Papers always stay.
    ``g`` itself is returned, unchanged, when ``threshold`` is 0 or less.
    """
    if threshold <= 0:
        return g
    edges = [(u, v, d) for u, v, d in g.edges(data=True) if passes(d.get("confidence", 0.0), threshold)]
    incoming = Counter(v for _, v, _ in edges)
    outgoing = {u for u, _, _ in edges}
    h = nx.DiGraph()
    h.add_nodes_from((n, d) if d.get("kind") == "Paper"
                     else (n, {**d, "papers_all": d.get("papers", incoming[n]), "papers": incoming[n]})
                     for n, d in g.nodes(data=True)
                     if d.get("kind") == "Paper" or incoming[n] or n in outgoing)
    h.add_edges_from(edges)
    return h


def confidence_counts(store: ox.Store, threshold: float) -> dict[str, int]:
    """How many evidence records, claims and results have confidence ``threshold`` or more."""
    t = f"{max(0.0, float(threshold)) - 1e-9:.10f}"
    out = {}
    for name, cls in (("evidence", "Evidence"), ("claims", "Claim"), ("results", "Result")):
        rows = _rows(store, f"""SELECT (COUNT(?x) AS ?n) WHERE {{ ?x a abx:{cls} .
            OPTIONAL {{ ?x abx:confidence ?c }} FILTER(COALESCE(?c, 0) >= {t}) }}""")
        out[name] = int(rows[0]["n"]) if rows else 0
    return out


def link_table(g: nx.DiGraph, sub: nx.DiGraph, centre: str | None = None) -> list[dict]:
    """One row per link of ``sub``: paper, predicate, entity, type, confidence, evidence, rules, and the IRIs.

    Links of the centre come first, then by confidence (highest first).
    """
    rows = []
    for u, v, d in sub.edges(data=True):
        rows.append({"paper": g.nodes[u]["label"], "predicate": d.get("predicate", ""),
                     "entity": g.nodes[v]["label"], "type": g.nodes[v].get("kind", ""),
                     "confidence": round(float(d.get("confidence", 0.0)), 4), "evidence": int(d.get("evidence", 0)),
                     "rules": ", ".join(d.get("rules", ())), "paper_iri": u, "entity_iri": v})
    rows.sort(key=lambda r: (centre not in (r["paper_iri"], r["entity_iri"]), -r["confidence"],
                             r["entity"].casefold(), r["paper"].casefold()))
    return rows


# ------------------------------------------------------------------ evidence

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
        for r in _rows(store, _EVIDENCE % " ".join(f"({_iris([p])} {_iris([e])})" for p, e in chunk)):
            rec = records.setdefault(r["ev"], {**r, "rules": set()})
            if r["rule"]:
                rec["rules"].add(r["rule"])
        for r in _rows(store, _TEXTS % _iris(sorted({p for p, _ in chunk}))):
            texts[r["paper"]] = (r["title"] or "", r["abstract"] or "")
    out: dict[tuple[str, str], list[Evidence]] = {link: [] for link in links}
    for r in records.values():
        start, end = int(r["start"] or 0), int(r["end"] or 0)
        title, abstract = texts.get(r["paper"], ("", ""))
        sentence, surface = r["sentence"] or "", r["surface"] or ""
        out[(r["paper"], r["e"])].append(Evidence(
            r["paper"], r["e"], _local(r["pred"] or ""), r["section"] or "", start, end, surface, sentence,
            _mark(title if r["section"] == "title" else abstract, sentence, start, end, surface),
            tuple(sorted(r["rules"])), float(r["score"]) if r["score"] else None, _conf(r["conf"])))
    for found in out.values():
        found.sort(key=lambda ev: (ev.section != "title", ev.start, ev.end))
    return out


# -------------------------------------------------------------- curation


def correction_name(label: str, alt: tuple[str, ...] | list[str], key: str) -> str:
    """The name to write in the corrections file so that it means this entity.

    Corrections compare names by canonical key, so the preferred label is used
    when it normalises to the entity's key (it usually does), else a surface
    form that does, else the key itself.
    """
    if not key:
        return label
    for name in (label, *alt, key):
        if entity_key(name) == key:
            return name
    return label


def entity_catalogue(g: nx.DiGraph) -> list[dict]:
    """Every entity of a ``link_graph``: iri, label, type, papers, confidence, alt, name (for corrections).

    Sorted by label, case-insensitively.
    """
    rows = [{"iri": n, "label": d["label"], "type": d["kind"], "papers": int(d.get("papers", 0)),
             "confidence": d.get("confidence", 0.0), "alt": tuple(d.get("alt", ())),
             "name": correction_name(d["label"], d.get("alt", ()), d.get("key", ""))}
            for n, d in g.nodes(data=True) if d.get("kind") in ENTITY_TYPES]
    return sorted(rows, key=lambda r: (r["label"].casefold(), r["type"], r["iri"]))


# ----------------------------------------------------------------- results

_RESULTS = """SELECT ?r ?paper ?title ?sentence ?value ?unit ?qualifier ?direction ?conf ?btext WHERE {
    ?paper abx:hasClaim ?c ; dcterms:title ?title . ?c abx:hasResult ?r . ?r schema:value ?value .
    OPTIONAL { ?c abx:sentenceText ?sentence } OPTIONAL { ?r schema:unitText ?unit }
    OPTIONAL { ?r abx:qualifier ?qualifier } OPTIONAL { ?r abx:direction ?direction }
    OPTIONAL { ?r abx:confidence ?conf } OPTIONAL { ?r abx:baselineText ?btext } }"""
_RESULT_ROLES = """SELECT ?r ?role ?label WHERE { ?r a abx:Result ; ?role ?x .
    FILTER(?role IN (abx:resultMethod, abx:resultDataset, abx:resultMetric, abx:baseline, abx:condition))
    ?x skos:prefLabel ?label }"""
_ROLES = {"resultMethod": "method", "resultDataset": "dataset", "resultMetric": "metric",
          "baseline": "baseline", "condition": "condition"}
RESULT_EXTRA = ("paper_iri", "datasets", "metrics")  # in every row beside the columns: the labels one by one
RESULT_COLUMNS = ("metric", "value", "unit", "qualifier", "method", "dataset", "condition", "baseline",
                  "direction", "confidence", "paper", "claim")


def _number(text: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return float("nan")


def results(store: ox.Store, min_confidence: float = 0.0, *, dataset: str | None = None,
            metric: str | None = None) -> list[dict]:
    """Structured results (``abx:Result``) as leaderboard rows, confidence ``min_confidence`` or more.

    Each row has the ``RESULT_COLUMNS`` (several entities of one role are
    joined by ", "; ``baseline`` falls back to the baseline text) plus
    ``paper_iri``. ``dataset`` and ``metric`` keep the rows naming that entity
    label. Sorted by metric (rows without one last), then value, highest first.
    """
    return filter_results(all_results(store), min_confidence, dataset=dataset, metric=metric)


def all_results(store: ox.Store) -> list[dict]:
    """Every leaderboard row, sorted as ``results`` sorts them (what ``kg.store.snapshot`` keeps)."""
    roles: dict[str, dict[str, set[str]]] = {}
    for r in _rows(store, _RESULT_ROLES):
        roles.setdefault(r["r"], {}).setdefault(_ROLES[_local(r["role"])], set()).add(r["label"])
    rows = []
    for r in {r["r"]: r for r in _rows(store, _RESULTS)}.values():
        found = roles.get(r["r"], {})
        joined = {role: ", ".join(sorted(found.get(role, ()), key=str.casefold)) for role in _ROLES.values()}
        rows.append({**joined, "baseline": joined["baseline"] or (r["btext"] or ""),
                     "value": _number(r["value"]), "unit": r["unit"] or "", "qualifier": r["qualifier"] or "",
                     "direction": r["direction"] or "", "confidence": round(_conf(r["conf"]), 4),
                     "paper": r["title"] or "", "claim": r["sentence"] or "", "paper_iri": r["paper"],
                     "datasets": sorted(found.get("dataset", ())), "metrics": sorted(found.get("metric", ()))})
    rows.sort(key=lambda x: (not x["metric"], x["metric"].casefold(),
                             -x["value"] if x["value"] == x["value"] else float("inf"),
                             x["paper"].casefold(), x["condition"].casefold()))
    return [{k: row[k] for k in (*RESULT_COLUMNS, *RESULT_EXTRA)} for row in rows]


def filter_results(rows: list[dict], min_confidence: float = 0.0, *, dataset: str | None = None,
                   metric: str | None = None) -> list[dict]:
    """The ``rows`` of ``all_results`` at confidence ``min_confidence`` or more naming ``dataset`` and ``metric``."""
    return [r for r in rows if passes(r["confidence"], min_confidence)
            and (not dataset or dataset in r["datasets"]) and (not metric or metric in r["metrics"])]


def result_facets(rows: list[dict]) -> dict[str, list[str]]:
    """The datasets and metrics named by leaderboard rows, sorted: {"dataset": [...], "metric": [...]}."""
    return {role: sorted({name for row in rows for name in row[role].split(", ") if name}, key=str.casefold)
            for role in ("dataset", "metric")}


# ------------------------------------------------------------- entity-entity relations

# FILTER EXISTS keeps the type test a per-row lookup; as a plain pattern Oxigraph may scan every statement
_STATEMENTS = "SELECT DISTINCT ?s WHERE { %s FILTER EXISTS { ?s a abx:RelationStatement } }"
# Details by IRI, with no OPTIONAL: Oxigraph evaluates an OPTIONAL's inner pattern over the whole graph
# (every abx:rule, every label) before joining, which takes minutes on 55k papers. Every property read
# here is required by kg/shapes.ttl; labels and titles come in their own lookups.
_STATEMENT_CORE = """SELECT ?s ?h ?pred ?t ?conf ?ev ?paper WHERE { VALUES ?s { %s }
    ?s rdf:subject ?h ; rdf:predicate ?pred ; rdf:object ?t ; abx:confidence ?conf ; abx:supportedBy ?ev .
    ?ev prov:wasDerivedFrom ?paper . %s }"""
_EVIDENCE_TEXT = ("SELECT ?ev ?sentence ?score WHERE { VALUES ?ev { %s } "
                  "?ev abx:sentenceText ?sentence ; abx:score ?score }")
_EVIDENCE_RULES = "SELECT ?ev ?rule WHERE { VALUES ?ev { %s } ?ev abx:rule ?rule }"
_LABELS = "SELECT ?x ?l WHERE { VALUES ?x { %s } { ?x skos:prefLabel ?l } UNION { ?x dcterms:title ?l } }"
_BATCH = 200  # IRIs per lookup query


def _lookup(store: ox.Store, query: str, iris: list[str]) -> list[dict[str, str | None]]:
    out: list[dict[str, str | None]] = []
    for i in range(0, len(iris), _BATCH):
        out += _rows(store, query % _iris(iris[i:i + _BATCH]))
    return out


def _relation_rows(store: ox.Store, where: str, min_confidence: float, evidence: str = "") -> list[dict]:
    """Statements matched by ``where`` (binding ``?s``) with their evidence; ``evidence`` restricts ``?ev``."""
    ids = sorted({r["s"] for r in _rows(store, _STATEMENTS % where)})
    core: list[dict] = []
    for i in range(0, len(ids), _BATCH):
        core += _rows(store, _STATEMENT_CORE % (_iris(ids[i:i + _BATCH]), evidence))
    evs = sorted({r["ev"] for r in core})
    text = {r["ev"]: r for r in _lookup(store, _EVIDENCE_TEXT, evs)}
    rules: dict[str, set[str]] = {}
    for r in _lookup(store, _EVIDENCE_RULES, evs):
        rules.setdefault(r["ev"], set()).add(r["rule"])
    named = sorted({r[k] for r in core for k in ("h", "t", "paper")})
    labels = {r["x"]: r["l"] for r in _lookup(store, _LABELS, named)}
    found: dict[str, dict] = {}
    for r in core:
        row = found.setdefault(r["s"], {
            "subject": r["h"], "subject_label": labels.get(r["h"]) or _local(r["h"]), "predicate": _local(r["pred"]),
            "object": r["t"], "object_label": labels.get(r["t"]) or _local(r["t"]), "confidence": _conf(r["conf"]),
            "evidence": {}})
        t = text.get(r["ev"], {})
        row["evidence"][r["ev"]] = {"paper": r["paper"], "title": labels.get(r["paper"]) or "",
                                    "sentence": t.get("sentence") or "", "score": _conf(t.get("score")),
                                    "rules": tuple(sorted(rules.get(r["ev"], ())))}
    rows = [{**row, "evidence": tuple(sorted(row["evidence"].values(), key=lambda e: (-e["score"], e["paper"])))}
            for row in found.values() if passes(row["confidence"], min_confidence)]
    rows.sort(key=lambda x: (-x["confidence"], x["predicate"], x["subject_label"].casefold(),
                             x["object_label"].casefold()))
    return rows


def entity_relations(store: ox.Store, entity_iri: str, min_confidence: float = 0.0) -> list[dict]:
    """The relation statements an entity takes part in (as subject or object), surest first.

    Each row: ``subject``, ``subject_label``, ``predicate`` (local name: usedFor,
    evaluatedOn, ...), ``object``, ``object_label``, ``confidence`` and ``evidence``
    (one dict per sentence: ``paper``, ``title``, ``sentence``, ``score``, ``rules``).
    Raises StoreError when ``entity_iri`` is not an IRI.
    """
    e = _iris([entity_iri])
    return _relation_rows(store, f"{{ ?s rdf:subject {e} }} UNION {{ ?s rdf:object {e} }}", min_confidence)


def paper_relations(store: ox.Store, paper_iri: str, min_confidence: float = 0.0) -> list[dict]:
    """The relation statements a paper's sentences support, as :func:`entity_relations` (evidence from
    this paper only). Raises StoreError when ``paper_iri`` is not an IRI."""
    p = _iris([paper_iri])
    return _relation_rows(store, f"?ev prov:wasDerivedFrom {p} . ?s abx:supportedBy ?ev .", min_confidence,
                          evidence=f"?ev prov:wasDerivedFrom {p} .")
