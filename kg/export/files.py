"""Export the stored graph: RDF serialisations, GraphML, GEXF and CSV."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import pyoxigraph as ox

from kg.errors import ExportError
from kg.query.formats import XML_UNSAFE
from kg.read.projection import paper_entity_graph
from kg.store import generations as kg_store

RDF_FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}
GRAPH_FORMATS = ("graphml", "gexf", "csv")
FORMATS: tuple[str, ...] = (*RDF_FORMATS, *GRAPH_FORMATS)
SUFFIXES = {"turtle": ".ttl", "ntriples": ".nt", "jsonld": ".jsonld", "rdfxml": ".rdf",
            "graphml": ".graphml", "gexf": ".gexf", "csv": ".csv"}


def _write_replacing(path: Path, write: Callable[[Path], object]) -> None:
    tmp = path.with_name(path.name + ".part")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_csv(g: nx.DiGraph, path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["paper", "paper_title", "predicate", "entity", "entity_label", "entity_type"])
        for u, v, data in sorted(g.edges(data=True)):
            w.writerow([u, g.nodes[u]["label"], data["predicate"], v, g.nodes[v]["label"], g.nodes[v]["kind"]])


def _check_xml_safe(store: ox.Store) -> None:
    for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
        if isinstance(q.object, ox.Literal) and (m := XML_UNSAFE.search(q.object.value)):
            raise ExportError(f"the literal of {q.subject} {q.predicate} holds U+{ord(m.group()):04X}, which "
                              f"RDF/XML cannot carry; export as turtle or ntriples instead")


def export(store: ox.Store, fmt: str, out: str | Path) -> Path:
    """Write the graph in ``fmt`` to ``out`` (replaced atomically).

    RDF formats hold the whole graph (default graph). GraphML and GEXF hold
    the paper-entity projection; CSV holds its edge list.

    Raises:
        ExportError: unknown format, unwritable destination, or RDF/XML of a graph XML cannot carry.
    """
    out = Path(out)
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    if not out.parent.exists():
        raise ExportError(f"cannot write {out}: folder {out.parent} does not exist; create it first")
    try:
        if fmt == "rdfxml":
            _check_xml_safe(store)
        if fmt in RDF_FORMATS:
            kg_store.dump(store, out, RDF_FORMATS[fmt])
        else:
            g = paper_entity_graph(store, support=False)  # GraphML and GEXF take no tuples
            writer = {"graphml": nx.write_graphml, "gexf": nx.write_gexf, "csv": _write_csv}[fmt]
            _write_replacing(out, lambda p: writer(g, p))
    except OSError as e:
        raise ExportError(f"cannot write {out}: {e}") from e
    return out
