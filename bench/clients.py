"""Independent clients against our endpoint: SPARQLWrapper (Python) and Comunica (JavaScript, npm).

    (cd bench/clients && npm ci)        # once: Comunica, pinned in package-lock.json
    python bench/clients.py [--store DIR]

Starts ``python -m kg serve`` on loopback (without ``--store``, on the seed corpus built into a
temporary store), runs SELECT, ASK, CONSTRUCT and DESCRIBE with both clients, and compares their
answers term by term (blank node labels aside). Prints one line per query and exits 1 on any
difference; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from _serve import build_seeds, serving  # bench/ is on sys.path when a script here runs

CLIENTS = Path(__file__).resolve().parent / "clients"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
PREFIXES = ("PREFIX abx: <https://w3id.org/abstracta/ontology#> PREFIX dcterms: <http://purl.org/dc/terms/> "
            "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> ")
QUERIES = {
    "select": PREFIXES + "SELECT ?p ?t WHERE { ?p a abx:Paper ; dcterms:title ?t } ORDER BY ?p LIMIT 25",
    "select-aggregate": PREFIXES + "SELECT ?l (COUNT(?p) AS ?n) WHERE { ?p ?r ?e . ?e a abx:Dataset ; "
                                   "skos:prefLabel ?l } GROUP BY ?l ORDER BY DESC(?n) ?l LIMIT 10",
    "ask": PREFIXES + "ASK { ?p a abx:Paper }",
    "ask-false": PREFIXES + "ASK { ?p a abx:NoSuchClass }",
    "construct": PREFIXES + "CONSTRUCT { ?e skos:prefLabel ?l } WHERE { ?e a abx:Dataset ; skos:prefLabel ?l }",
    "describe": None,  # filled with one paper's IRI
}


def _term(b: dict) -> str:
    if b["type"] == "bnode":
        return "_:"
    if b["type"] == "uri":
        return b["value"]
    return _literal(b["value"], b.get("xml:lang") or b.get("datatype") or XSD_STRING)


def _literal(value: str, kind: str) -> str:
    return json.dumps([value, kind], separators=(",", ":"), ensure_ascii=False)  # as JSON.stringify writes it


def _sparqlwrapper(url: str, queries: dict[str, str]) -> dict:
    from rdflib import BNode, Literal
    from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper

    def rdf(t) -> str:
        if isinstance(t, BNode):
            return "_:"
        if isinstance(t, Literal):
            return _literal(str(t), t.language or str(t.datatype or XSD_STRING))
        return str(t)

    out = {}
    for name, query in queries.items():
        client = SPARQLWrapper(url)
        client.setQuery(query)
        if name.startswith(("construct", "describe")):
            client.setReturnFormat(TURTLE)
            from rdflib import Graph

            g = Graph().parse(data=client.queryAndConvert(), format="turtle")
            out[name] = [[rdf(s), rdf(p), rdf(o)] for s, p, o in g]
        else:
            client.setReturnFormat(JSON)
            data = client.queryAndConvert()
            out[name] = data["boolean"] if "boolean" in data else [
                {k: _term(v) for k, v in b.items()} for b in data["results"]["bindings"]]
    return out


def _comunica(url: str, queries: dict[str, str]) -> dict:
    node = shutil.which("node")
    if node is None or not (CLIENTS / "node_modules" / "@comunica").exists():
        raise SystemExit("Comunica is not installed: run (cd bench/clients && npm ci) first; needs Node 18+")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(queries, fh)
    try:
        done = subprocess.run([node, str(CLIENTS / "comunica.mjs"), url, fh.name], capture_output=True, text=True,
                              timeout=300, cwd=CLIENTS)
    finally:
        os.unlink(fh.name)
    if done.returncode != 0:
        raise SystemExit(f"Comunica failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout)


def _same(a: object, b: object, ordered: bool) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        def key(x: object) -> str:
            return json.dumps(x, sort_keys=True)

        return [key(x) for x in a] == [key(x) for x in b] if ordered else sorted(map(key, a)) == sorted(map(key, b))
    return a == b


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--store", type=Path, help="a built store (default: the seeds, built into a temporary one)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store or Path(tmp) / "store"
        if args.store is None:
            build_seeds(store)
        with serving(store) as port:
            url = f"http://127.0.0.1:{port}/sparql"
            queries = dict(QUERIES)
            first = _sparqlwrapper(url, {"first": QUERIES["select"]})["first"][0]["p"]
            queries["describe"] = f"DESCRIBE <{first}>"
            python, js = _sparqlwrapper(url, queries), _comunica(url, queries)
    report, failed = {}, False
    for name in queries:
        same = _same(python[name], js[name], ordered=name.startswith("select"))
        size = len(python[name]) if isinstance(python[name], list) else python[name]
        report[name] = {"same": same, "sparqlwrapper": size,
                        "comunica": len(js[name]) if isinstance(js[name], list) else js[name]}
        failed |= not same
        print(f"{name:18s} SPARQLWrapper {report[name]['sparqlwrapper']!s:>6}  Comunica {report[name]['comunica']!s:>6}"
              f"  {'same' if same else 'DIFFERENT'}")
    print(json.dumps(report))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
