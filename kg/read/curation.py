"""What the Curate page reads: every entity, with the name a correction must use for it."""

from __future__ import annotations

import networkx as nx

from kg.iri import entity_key
from kg.read.projection import ENTITY_KINDS


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
    """Every entity of a ``paper_entity_graph``: iri, label, type, papers, confidence, alt, name (for corrections).

    Sorted by label, case-insensitively.
    """
    found = [{"iri": n, "label": d["label"], "type": d["kind"], "papers": int(d.get("papers", 0)),
              "confidence": d.get("confidence", 0.0), "alt": tuple(d.get("alt", ())),
              "name": correction_name(d["label"], d.get("alt", ()), d.get("key", ""))}
             for n, d in g.nodes(data=True) if d.get("kind") in ENTITY_KINDS]
    return sorted(found, key=lambda r: (r["label"].casefold(), r["type"], r["iri"]))
