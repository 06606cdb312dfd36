"""Fair service under load: runaway clients beside normal ones, against a real ``python -m kg serve``.

    python bench/endpoint_load.py [--store DIR] [--runaway 10] [--normal 20] [--seconds 60]

Loopback only, bounded in time. Without ``--store`` the seed corpus is built into a temporary store
first. Each runaway client sends, one after another, queries that run until the time limit (counts
over cross products); each normal client sends the dashboard's kind of query. Prints, per kind of
client, the answers by status and the latency percentiles; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from _serve import build_seeds, serving  # bench/ is on sys.path when a script here runs

RUNAWAY = [
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . FILTER(?a != ?g) }",
    "SELECT ?a (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } GROUP BY ?a",
]
NORMAL = [
    "SELECT (COUNT(?p) AS ?n) WHERE { ?p a abx:Paper }",
    "SELECT ?p ?t WHERE { ?p a abx:Paper ; dcterms:title ?t } ORDER BY ?p LIMIT 20",
    "SELECT ?l (COUNT(?p) AS ?n) WHERE { ?p ?r ?e . ?e skos:prefLabel ?l } GROUP BY ?l ORDER BY DESC(?n) LIMIT 10",
    "ASK { ?s ?p ?o }",
    "CONSTRUCT { ?e skos:prefLabel ?l } WHERE { ?e a abx:Dataset ; skos:prefLabel ?l }",
]


def _request(url: str, query: str) -> int:
    req = urllib.request.Request(url + "?" + urllib.parse.urlencode({"query": query}))
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        e.read()
        return e.code
    except OSError:
        return 0


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def run(store: Path, *, runaway: int, normal: int, seconds: float, serve_args: list[str]) -> dict:
    got: dict[str, list[tuple[int, float]]] = {"runaway": [], "normal": []}
    with serving(store, *serve_args) as port:
        url = f"http://127.0.0.1:{port}/sparql"
        lock = threading.Lock()
        stop_at = time.monotonic() + seconds

        def client(kind: str, i: int) -> None:
            queries = RUNAWAY if kind == "runaway" else NORMAL
            j = i
            while time.monotonic() < stop_at:
                t0 = time.perf_counter()
                status = _request(url, queries[j % len(queries)])
                with lock:
                    got[kind].append((status, time.perf_counter() - t0))
                j += 1

        threads = [threading.Thread(target=client, args=("runaway", i)) for i in range(runaway)]
        threads += [threading.Thread(target=client, args=("normal", i)) for i in range(normal)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    report = {"clients": {"runaway": runaway, "normal": normal}, "seconds": seconds, "serve_args": serve_args}
    for kind, answers in got.items():
        statuses: dict[str, int] = {}
        for status, _ in answers:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        lat = [s for _, s in answers]
        report[kind] = {"answers": len(answers), "statuses": statuses, "p50_s": round(_pct(lat, 0.5), 3),
                        "p95_s": round(_pct(lat, 0.95), 3), "max_s": round(max(lat, default=float("nan")), 3)}
    return report


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--store", type=Path, help="a built store directory (default: build the seeds into a temp one)")
    p.add_argument("--runaway", type=int, default=10)
    p.add_argument("--normal", type=int, default=20)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("serve_args", nargs="*", help="extra arguments for kg serve (after --)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store
        if store is None:
            store = Path(tmp) / "store"
            build_seeds(store)
        report = run(store, runaway=args.runaway, normal=args.normal, seconds=args.seconds,
                     serve_args=args.serve_args)
    for kind in ("normal", "runaway"):
        r = report[kind]
        print(f"{kind:8s} clients {report['clients'][kind]:3d}: {r['answers']:6d} answers {r['statuses']}, "
              f"p50 {r['p50_s']:.3f} s, p95 {r['p95_s']:.3f} s, max {r['max_s']:.3f} s")
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
