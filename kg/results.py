"""Render query results: text table, CSV, and SPARQL 1.1 JSON results."""

from __future__ import annotations

import csv
import io
import json

from kg.sparql import QueryResult, Term


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
    elif term.datatype and term.datatype != "http://www.w3.org/2001/XMLSchema#string":
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


def to_csv(result: QueryResult) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if result.kind == "ask":
        w.writerow(["boolean"])
        w.writerow(["true" if result.boolean else "false"])
        return buf.getvalue()
    w.writerow(result.columns)
    for row in result.rows:
        w.writerow([term_text(t) for t in row])
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
