"""``docs/vocabulary.md``, the reference page of our terms, written from ``kg/ontology.ttl``.

``python -m tests._vocabulary_doc`` rewrites the page; ``tests/kg/test_vocab.py`` checks that the
committed page is what the ontology gives, so the two cannot drift apart.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rdflib import OWL, RDF, RDFS, Graph, URIRef

from kg.config import PROJECT_ROOT
from kg.store.generations import ONTOLOGY_PATH
from kg.vocab import PREFIXES

PAGE = PROJECT_ROOT / "docs" / "vocabulary.md"
KINDS = ((OWL.Class, "Classes"), (OWL.ObjectProperty, "Links between nodes (object properties)"),
         (OWL.DatatypeProperty, "Values (datatype properties)"))


def _short(term: URIRef) -> str:
    for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if str(term).startswith(ns):
            return f"{prefix}:{str(term)[len(ns):]}"
    return f"<{term}>"


def _cell(g: Graph, term: URIRef, predicate: URIRef) -> str:
    return ", ".join(f"`{_short(o)}`" for o in sorted(g.objects(term, predicate), key=str)) or ""


def _text(value: object) -> str:
    """A literal as one table cell: one line, no column break."""
    return " ".join(str(value or "").split()).replace("|", "\\|")


def render(ontology: Path = ONTOLOGY_PATH) -> str:
    g = Graph().parse(ontology, format="turtle")
    lines = [
        "# Graph vocabulary",
        "",
        "Every term of the `abx:` namespace (`https://w3id.org/abstracta/ontology#`), as `kg/ontology.ttl`",
        "defines it; the standard terms used beside them are listed at the top of that file and in the",
        "README's \"The graph\". This page is written from the ontology (`python -m tests._vocabulary_doc`)",
        "and a test keeps the two the same.",
    ]
    for kind, title in KINDS:
        terms = sorted((t for t in g.subjects(RDF.type, kind) if isinstance(t, URIRef)), key=_short)
        lines += ["", f"## {title}", ""]
        if kind == OWL.Class:
            lines += ["| term | label | subclass of | meaning |", "|---|---|---|---|"]
            lines += [f"| `{_short(t)}` | {_text(g.value(t, RDFS.label))} | {_cell(g, t, RDFS.subClassOf)} | "
                      f"{_text(g.value(t, RDFS.comment))} |" for t in terms]
        else:
            lines += ["| term | label | domain | range | meaning |", "|---|---|---|---|---|"]
            lines += [f"| `{_short(t)}` | {_text(g.value(t, RDFS.label))} | {_cell(g, t, RDFS.domain)} | "
                      f"{_cell(g, t, RDFS.range)} | {_text(g.value(t, RDFS.comment))} |" for t in terms]
    return "\n".join(lines) + "\n"


def main() -> int:
    PAGE.write_text(render(), encoding="utf-8")
    sys.stderr.write(f"{PAGE}: written from {ONTOLOGY_PATH}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
