"""Render query results: text table, and the W3C formats.

SELECT/ASK: SPARQL 1.1 Query Results JSON, XML, CSV and TSV.
CONSTRUCT/DESCRIBE: Turtle, N-Triples, JSON-LD, RDF/XML (through pyoxigraph).
"""

from __future__ import annotations

import csv
import io
import json
import re
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from kg.errors import QueryError
from kg.query.runner import QueryResult, Term
from kg.vocab import PREFIXES

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
# characters no XML 1.0 document can hold, not even as a character reference
XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def check_xml_safe(result: QueryResult) -> None:
    """Refuse a result XML cannot carry.

    Raises:
        QueryError: a value holds a control character; names it, its variable and row.
    """
    for i, row in enumerate(result.rows, start=1):
        for name, t in zip(result.columns, row, strict=True):
            if t is not None and (m := XML_UNSAFE.search(t.value)):
                raise QueryError(f"row {i}, ?{name} holds U+{ord(m.group()):04X}, which XML cannot carry; "
                                 f"ask for JSON, CSV, TSV, Turtle or N-Triples instead")


def term_text(term: Term | None) -> str:
    return "" if term is None else term.value


def _json_term(term: Term) -> dict:
    if term.kind == "iri":
        return {"type": "uri", "value": term.value}
    if term.kind == "bnode":
        return {"type": "bnode", "value": term.value}
    out: dict = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype and term.datatype != XSD_STRING:
        out["datatype"] = term.datatype
    return out


def to_json(result: QueryResult) -> str:
    """SPARQL 1.1 Query Results JSON (W3C), plus our ``truncated`` flag."""
    if result.kind == "ask":
        return json.dumps({"head": {}, "boolean": result.boolean})
    bindings = [
        {c: _json_term(t) for c, t in zip(result.columns, row, strict=True) if t is not None}
        for row in result.rows
    ]
    return json.dumps({"head": {"vars": list(result.columns)}, "results": {"bindings": bindings},
                       "truncated": result.truncated}, ensure_ascii=False)


def to_xml(result: QueryResult) -> str:
    """SPARQL Query Results XML Format (W3C).

    Raises:
        QueryError: a value holds a character XML cannot carry (``check_xml_safe``).
    """
    check_xml_safe(result)
    out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">']
    out.append("<head>" + "".join(f"<variable name={quoteattr(c)}/>" for c in result.columns) + "</head>")
    if result.kind == "ask":
        out.append(f"<boolean>{'true' if result.boolean else 'false'}</boolean>")
    else:
        out.append("<results>")
        for row in result.rows:
            cells = []
            for c, t in zip(result.columns, row, strict=True):
                if t is None:
                    continue
                if t.kind == "iri":
                    inner = f"<uri>{escape(t.value)}</uri>"
                elif t.kind == "bnode":
                    inner = f"<bnode>{escape(t.value)}</bnode>"
                elif t.language:
                    inner = f"<literal xml:lang={quoteattr(t.language)}>{escape(t.value)}</literal>"
                elif t.datatype and t.datatype != XSD_STRING:
                    inner = f"<literal datatype={quoteattr(t.datatype)}>{escape(t.value)}</literal>"
                else:
                    inner = f"<literal>{escape(t.value)}</literal>"
                cells.append(f"<binding name={quoteattr(c)}>{inner}</binding>")
            out.append("<result>" + "".join(cells) + "</result>")
        out.append("</results>")
    out.append("</sparql>\n")
    return "\n".join(out)


def _ox_term(t: Term) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if t.kind == "iri":
        return ox.NamedNode(t.value)
    if t.kind == "bnode":
        return ox.BlankNode(t.value)
    if t.language:
        return ox.Literal(t.value, language=t.language)
    return ox.Literal(t.value, datatype=ox.NamedNode(t.datatype) if t.datatype else None)


def to_tsv(result: QueryResult) -> str:
    """SPARQL 1.1 TSV: terms in Turtle/N-Triples syntax."""
    if result.kind == "ask":
        return "?boolean\n" + ("true" if result.boolean else "false") + "\n"
    lines = ["\t".join("?" + c for c in result.columns)]
    lines += ["\t".join("" if t is None else str(_ox_term(t)) for t in row) for row in result.rows]
    return "\n".join(lines) + "\n"


GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


def to_rdf(result: QueryResult, media_type: str) -> bytes:
    """A CONSTRUCT/DESCRIBE result serialised as ``media_type`` (a key of GRAPH_FORMATS).

    Raises:
        QueryError: RDF/XML asked for a graph with a character XML cannot carry.
    """
    fmt = GRAPH_FORMATS[media_type]
    if fmt == ox.RdfFormat.RDF_XML:
        check_xml_safe(result)
    triples = [ox.Triple(*(_ox_term(t) for t in row)) for row in result.rows]
    kwargs = {"prefixes": PREFIXES} if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else {}
    return ox.serialize(triples, format=fmt, **kwargs)


def _csv_text(term: Term | None) -> str:
    if term is not None and term.kind == "bnode":
        return "_:" + term.value
    return term_text(term)


def to_csv(result: QueryResult) -> str:
    """SPARQL 1.1 CSV: plain values, blank nodes as ``_:label``, lines ended by CRLF (RFC 4180)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    if result.kind == "ask":
        w.writerow(["boolean"])
        w.writerow(["true" if result.boolean else "false"])
        return buf.getvalue()
    w.writerow(result.columns)
    for row in result.rows:
        w.writerow([_csv_text(t) for t in row])
    return buf.getvalue()


def to_table(result: QueryResult, *, max_width: int = 60) -> str:
    if result.kind == "ask":
        return "true" if result.boolean else "false"
    cells = [[term_text(t) for t in row] for row in result.rows]
    cells = [[c if len(c) <= max_width else c[: max_width - 1] + "…" for c in row] for row in cells]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(result.columns)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(result.columns, widths, strict=True)),
             "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    note = f"{len(result.rows)} row(s)" + (" (truncated at the row limit)" if result.truncated else "")
    return "\n".join(lines + [note])
