"""SHACL validation of the graph against the shapes we ship (``kg/shapes.ttl``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph
from rdflib.namespace import RDF, SH

from kg.store.generations import ONTOLOGY_PATH

logger = logging.getLogger(__name__)

SHAPES_PATH = Path(__file__).resolve().parents[1] / "shapes.ttl"


@dataclass(frozen=True, slots=True)
class Validation:
    conforms: bool
    violations: int
    report: str


def validate_graph(data: Graph) -> Validation:
    """Validate ``data`` (the ontology is mixed in so subclass checks resolve)."""
    from pyshacl import validate

    shapes = Graph().parse(SHAPES_PATH, format="turtle")
    ontology = Graph().parse(ONTOLOGY_PATH, format="turtle")
    conforms, results, text = validate(data, shacl_graph=shapes, ont_graph=ontology, inference="none",
                                       abort_on_first=False, allow_warnings=False)
    count = len(set(results.subjects(RDF.type, SH.ValidationResult)))
    return Validation(bool(conforms), count, text)


def validate_store(store: ox.Store) -> Validation:
    """Validate the default graph of an open store."""
    data = Graph()
    data.parse(data=store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()), format="nt")
    return validate_graph(data)
