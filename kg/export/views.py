"""Export one view of the graph (a networkx graph the dashboard draws) as GraphML, node-link JSON or HTML bytes.

The views are Explore's neighbourhood (a slice of ``kg.read.projection``'s graph) and the concept map
(:func:`concept_graph` of a ``kg.read.concepts.ConceptMap``). GraphML takes only strings, numbers and
booleans, so :func:`graphml_bytes` writes a sequence of plain values as one ``|``-joined string,
anything else structured as JSON text, and leaves ``None`` out. The HTML is the view's own pyvis page
(``kg.read.viz``): vis.js in line and no remote link or script, so the file opens offline.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Mapping

import networkx as nx

from kg.errors import ExportError
from kg.query.formats import XML_UNSAFE
from kg.read.concepts import ConceptMap

logger = logging.getLogger(__name__)

VIEW_FORMATS: tuple[str, ...] = ("graphml", "json", "html")
VIEW_SUFFIXES = {"graphml": ".graphml", "json": ".json", "html": ".html"}
VIEW_MIME = {"graphml": "application/graphml+xml", "json": "application/json", "html": "text/html"}
SEPARATOR = "|"  # joins a sequence of plain values in GraphML
_PLAIN = (str, int, float, bool)
_REMOTE_RE = re.compile(r"<(?:script|link)\b[^>]*(?:src|href)=\"(?:https?:)?//", re.IGNORECASE)


def _text(value: str) -> str:
    return XML_UNSAFE.sub("", value)


def _graphml_value(value: object) -> str | int | float | bool | None:
    """``value`` as a type GraphML carries, or None to leave the attribute out."""
    if value is None:
        return None
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, list | tuple | set | frozenset) and all(isinstance(v, _PLAIN) for v in value):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return _text(SEPARATOR.join(str(v) for v in items))
    return _text(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str))


def _clean(attrs: Mapping[str, object]) -> dict[str, str | int | float | bool]:
    out = {}
    for name, value in attrs.items():
        plain = _graphml_value(value)
        if plain is not None:
            out[str(name)] = plain
    return out


def graphml_safe(g: nx.Graph) -> nx.Graph:
    """A copy of ``g`` whose graph, node and edge attributes are all strings, numbers or booleans."""
    h = g.__class__()
    h.graph.update(_clean(g.graph))
    h.add_nodes_from((n, _clean(d)) for n, d in g.nodes(data=True))
    if g.is_multigraph():
        h.add_edges_from((u, v, k, _clean(d)) for u, v, k, d in g.edges(keys=True, data=True))
    else:
        h.add_edges_from((u, v, _clean(d)) for u, v, d in g.edges(data=True))
    return h


def graphml_bytes(g: nx.Graph) -> bytes:
    """``g`` as GraphML (UTF-8), readable by ``networkx.read_graphml``, Gephi and yEd."""
    buffer = io.BytesIO()
    try:
        nx.write_graphml(graphml_safe(g), buffer, encoding="utf-8")
    except (nx.NetworkXError, ValueError, TypeError) as e:
        raise ExportError(f"cannot write the view as GraphML: {e}") from e
    return buffer.getvalue()


def json_bytes(g: nx.Graph) -> bytes:
    """``g`` as node-link JSON (``networkx.node_link_data`` with ``edges="links"``), UTF-8."""
    data = nx.node_link_data(g, edges="links")
    return json.dumps(data, ensure_ascii=False, indent=1, default=str).encode("utf-8")


def html_bytes(page: str) -> bytes:
    """The view's pyvis page as a standalone file; refused when it would load a script or style from the network."""
    if found := _REMOTE_RE.search(page):
        raise ExportError(f"the view's page loads {found.group()!r}... from the network; it would not open offline")
    return page.encode("utf-8")


def view_files(g: nx.Graph, page: str) -> dict[str, bytes]:
    """Every format of one view: ``g`` as GraphML and JSON, ``page`` (its drawn HTML) as HTML."""
    return {"graphml": graphml_bytes(g), "json": json_bytes(g), "html": html_bytes(page)}


def concept_graph(cmap: ConceptMap) -> nx.MultiDiGraph:
    """The concept map as a graph: its entities, and one edge per relation or co-occurrence (both may join a pair).

    Node attributes are the map's node fields (``label``, ``type``, ``community``, ``papers``, ``pagerank``,
    ``hop``, ...); edge attributes its edge fields (``kind``, ``predicate``, ``confidence``, ``shared``,
    ``papers`` and ``evidence``). ``centre`` is a graph attribute when the map has one.
    """
    g = nx.MultiDiGraph()
    if cmap.centre:
        g.graph["centre"] = cmap.centre
    g.graph["candidates"] = cmap.candidates
    for n in cmap.nodes:
        g.add_node(n["iri"], **{k: v for k, v in n.items() if k not in ("iri", "tip", "href")})
    for e in cmap.edges:
        key = f'{e.get("kind", "")}:{e.get("predicate", "")}'
        g.add_edge(e["source"], e["target"], key=key,
                   **{k: v for k, v in e.items() if k not in ("source", "target", "tip")})
    logger.debug("concept map as a graph: %d nodes, %d edges", g.number_of_nodes(), g.number_of_edges())
    return g
