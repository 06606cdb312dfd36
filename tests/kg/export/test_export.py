"""Every export format parses back with its standard reader."""

from __future__ import annotations

import csv

import networkx as nx
import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from kg.errors import ExportError
from kg.export.files import FORMATS, export

RDF_READERS = {"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld", "rdfxml": "xml"}


@pytest.fixture(scope="module")
def reference(seed_store, tmp_path_factory) -> Graph:
    path = export(seed_store, "ntriples", tmp_path_factory.mktemp("ref") / "kg.nt")
    return Graph().parse(path, format="nt")


@pytest.mark.parametrize("fmt", list(RDF_READERS))
def test_rdf_formats_round_trip_to_the_same_graph(fmt, seed_store, reference, tmp_path):
    out = export(seed_store, fmt, tmp_path / f"kg.{fmt}")
    g = Graph().parse(out, format=RDF_READERS[fmt])
    assert len(g) == len(reference) > 5000
    assert isomorphic(g, reference)


@pytest.mark.parametrize(("fmt", "reader"), [("graphml", nx.read_graphml), ("gexf", nx.read_gexf)])
def test_network_formats_parse_with_networkx(fmt, reader, seed_store, tmp_path):
    g = reader(export(seed_store, fmt, tmp_path / f"kg.{fmt}"))
    kinds = {d["kind"] for _, d in g.nodes(data=True)}
    assert {"Paper", "Method", "Dataset", "Task"} <= kinds
    assert sum(1 for _, d in g.nodes(data=True) if d["kind"] == "Paper") == 60
    assert all("predicate" in d for *_, d in g.edges(data=True))


def test_csv_is_an_edge_list(seed_store, tmp_path):
    with open(export(seed_store, "csv", tmp_path / "kg.csv"), newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and set(rows[0]) == {"paper", "paper_title", "predicate", "entity", "entity_label", "entity_type"}
    assert {r["predicate"] for r in rows} >= {"proposes", "uses", "evaluatesOn"}


def test_export_errors_are_clear(seed_store, tmp_path):
    with pytest.raises(ExportError, match="unknown export format 'xls'"):
        export(seed_store, "xls", tmp_path / "x")
    with pytest.raises(ExportError, match="does not exist"):
        export(seed_store, "turtle", tmp_path / "missing" / "kg.ttl")
    assert set(FORMATS) == {"turtle", "ntriples", "jsonld", "rdfxml", "graphml", "gexf", "csv"}


def test_rdfxml_export_refuses_what_xml_cannot_carry(tmp_path):
    db = ox.Store()
    db.add(ox.Quad(ox.NamedNode("https://example.org/x"), ox.NamedNode("https://example.org/label"),
                   ox.Literal("bell\u0001here"), ox.DefaultGraph()))
    with pytest.raises(ExportError, match=r"U\+0001.*turtle or ntriples"):
        export(db, "rdfxml", tmp_path / "g.rdf")
    assert not (tmp_path / "g.rdf").exists()
    assert "bell\\u0001here" in export(db, "ntriples", tmp_path / "g.nt").read_text(encoding="utf-8")
