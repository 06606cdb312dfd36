"""Benchmark: building a large graph, and the same work done the plain-rdflib way.

Usage:
    python bench/scale.py build PAPERS.jsonl.gz --store /tmp/big --workers 2
    python bench/scale.py graph --from-store /tmp/big --store /tmp/g [--sample N]
    python bench/scale.py add PAPERS.jsonl.gz --store /tmp/g --new 1000
    python bench/scale.py compare PAPERS.jsonl.gz --sample 2000

``build`` runs our incremental build (``kg.graph.orchestrate.build_from_inputs``)
and prints extraction throughput, graph time (identity resolution, triples,
bulk load, analytics and snapshot), triples loaded per second, wall time,
peak RSS (this process and its extraction workers) and size on disk.

``graph`` runs the graph phase alone on the extractions a store already
holds (its extraction cache), so the graph phase can be measured without
the NLP; ``--sample N`` takes the first N papers by key.

``add`` is the incremental build: it takes ``--new`` papers of the input
that the store lacks (written to a temporary file, removed afterwards) and
adds them with the build's own code, extraction included, printing the same
figures.

Every subcommand that builds prints the graph phase step by step (seconds,
triples streamed, triples/s, peak RSS so far) and then, in the same run, a
plain pyoxigraph bulk load of the built graph exported as N-Triples, with
the ratio of the two rates (``--no-plain`` skips it).

``compare`` takes the first ``--sample`` papers, extracts them once, then
builds the graph from the same extractions twice, each in a fresh child
process so peak memory is its own: ours (Oxigraph bulk load, analytics,
snapshot) and a plain-rdflib pipeline (the same triples added to an
in-memory ``rdflib.Graph`` and serialised to N-Triples, the usual way to
persist one). It prints the ratio. The input is read in place, never copied.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _peak_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def _hwm_mb() -> float:
    """This process's peak resident memory since its exec (ru_maxrss would include the parent's, inherited at fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return _peak_mb()[0]


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _print_steps(summary: object, graph_s: float) -> None:
    """The graph phase step by step: seconds, triples streamed, triples/s, peak RSS so far."""
    print("\n| graph phase step | s | triples | triples/s | peak RSS so far |\n|---|---|---|---|---|")
    for step in summary.steps:
        rate = f"{step.triples / step.seconds:,.0f}" if step.triples and step.seconds else ""
        name = f"↳ alongside the stream: {step.name}" if step.alongside else step.name
        print(f"| {name} | {step.seconds:.1f} | {step.triples:,} | {rate} | {step.peak_rss_mb:,.0f} MB |")
    print(f"| **graph phase, all steps** | **{graph_s:.1f}** | {summary.triples:,} (stored, distinct) | "
          f"**{summary.triples / max(graph_s, 1e-9):,.0f}** | |")


def _plain_bulk_load(store_dir: Path) -> tuple[int, float]:
    """Export the built default graph as N-Triples and time a plain pyoxigraph bulk load of that file, in a
    child process (a single bulk load of millions of triples takes 1.6 GB more: not the build's memory)."""
    code = """
import sys, time, tempfile, pathlib
import pyoxigraph as ox
sys.path.insert(0, sys.argv[2])
from kg.store.generations import dump, open_current
with tempfile.TemporaryDirectory() as tmp:
    _, built = open_current(sys.argv[1])
    nt = pathlib.Path(tmp) / "graph.nt"
    dump(built, nt, ox.RdfFormat.N_TRIPLES)
    del built
    t0 = time.perf_counter()
    plain = ox.Store(str(pathlib.Path(tmp) / "db"))
    plain.bulk_load(path=str(nt), format=ox.RdfFormat.N_TRIPLES)
    plain.flush()
    print(len(plain), time.perf_counter() - t0)
"""
    done = subprocess.run([sys.executable, "-c", code, str(store_dir), str(ROOT)], capture_output=True, text=True,
                          check=True)
    loaded, seconds = done.stdout.split()
    return int(loaded), float(seconds)


def _report(args: argparse.Namespace, summary: object, t0: float, wall: float, marks: dict) -> None:
    own, children = _peak_mb()
    extracted = marks.get("extracted", t0)
    graph_s = sum(step.seconds for step in summary.steps if not step.alongside)
    n = int(marks.get("n", 0))
    rows = [
        ("papers in the graph", f"{summary.papers:,}"),
        ("papers extracted in this run", f"{n:,}"),
        ("reading the input, before extraction", f"{marks.get('first', extracted) - t0:.1f} s"),
        ("extraction", f"{extracted - marks.get('first', t0):.1f} s, "
                       f"{n / max(extracted - marks.get('first', t0), 1e-9):.1f} abstracts/s "
                       f"({getattr(args, 'workers', 0)} worker(s))"),
        ("graph phase (steps below)", f"{graph_s:.1f} s"),
        ("triples (default graph)", f"{summary.triples:,}"),
        ("triples per second, graph phase", f"{summary.triples / max(graph_s, 1e-9):,.0f}"),
        ("wall time, whole build", f"{wall:.1f} s ({wall / 60:.1f} min)"),
        ("peak RSS: build process / largest worker", f"{own:,.0f} MB / {children:,.0f} MB"),
        ("store on disk", f"{_du(Path(args.store)) / 1e6:,.0f} MB"),
    ]
    print("| measure | value |\n|---|---|")
    for k, v in rows:
        print(f"| {k} | {v} |")
    _print_steps(summary, graph_s)
    if not args.no_plain:
        loaded, seconds = _plain_bulk_load(Path(args.store))
        rate = loaded / seconds
        print(f"\nplain pyoxigraph bulk load of the exported N-Triples ({loaded:,} triples): {seconds:.1f} s, "
              f"{rate:,.0f} triples/s; graph phase / plain bulk load = "
              f"{summary.triples / max(graph_s, 1e-9) / rate:.2f}")


def _timed_build(args: argparse.Namespace, inputs: list) -> None:
    """``kg build``'s code on ``inputs`` into ``args.store``, timed, with when extraction started and ended."""
    from kg.config import Settings
    from kg.graph.orchestrate import build_from_inputs

    marks: dict[str, float] = {}

    def progress(done: int, total: int) -> None:
        marks.setdefault("first", time.perf_counter())
        if done >= total:
            marks["extracted"] = time.perf_counter()
            marks["n"] = total

    t0 = time.perf_counter()
    summary = build_from_inputs(inputs, Settings(store_dir=Path(args.store)), progress=progress,
                                workers=args.workers)
    _report(args, summary, t0, time.perf_counter() - t0, marks)


def cmd_build(args: argparse.Namespace) -> None:
    _timed_build(args, args.inputs)


def cmd_graph(args: argparse.Namespace) -> None:
    """The graph phase alone, on extractions a build already made (its extraction cache): no NLP."""
    from kg.config import Settings
    from kg.graph.build import build_store
    from kg.graph.cache import FILE, ExtractionCache
    from kg.store.generations import open_current_generation

    with tempfile.TemporaryDirectory() as tmp:
        source = open_current_generation(args.from_store).path / FILE
        cache = ExtractionCache(Path(tmp) / "cache.sqlite", copy_from=source)
        keys = sorted(cache.index())[: args.sample or None]
        by_key = {ex.paper.key: ex for ex in cache.load(keys)}
        cache.close()
    papers = [ex.paper for ex in by_key.values()]
    print(f"{len(papers):,} papers' extractions read from {args.from_store}\n")
    t0 = time.perf_counter()
    summary = build_store(papers, lambda ps: (by_key[p.key] for p in ps), Settings(store_dir=Path(args.store)))
    _report(args, summary, t0, time.perf_counter() - t0, {})


def cmd_add(args: argparse.Namespace) -> None:
    """An incremental build: ``--new`` papers of the input that the store lacks, added with ``kg build``'s code."""
    from kg.graph.cache import FILE, ExtractionCache
    from kg.ingest.readers import read_inputs
    from kg.store.generations import open_current_generation

    with tempfile.TemporaryDirectory() as tmp:
        cache = ExtractionCache(Path(tmp) / "cache.sqlite", copy_from=open_current_generation(args.store).path / FILE)
        known = set(cache.index())
        cache.close()
        new = [p for p in read_inputs(args.inputs).papers if p.key not in known][: args.new]
        source = Path(tmp) / "new.jsonl"  # a temporary copy of the new papers only, removed at the end
        source.write_text("".join(json.dumps({"title": p.title, "abstract": p.abstract, "id": p.identifier,
                                              "year": p.year, "authors": list(p.authors)}) + "\n" for p in new),
                          encoding="utf-8")
        print(f"{len(new):,} new papers added to the {len(known):,} of {args.store}\n")
        _timed_build(args, [source])


def _engine(args: argparse.Namespace) -> None:
    """Child process: build from pickled extractions with one engine; print a JSON line."""
    from kg.config import SEEDS_DIR, Settings
    from kg.graph.build import build_store
    from kg.graph.canon import EntityTable, load_aliases, load_variant_rules
    from kg.graph.codec import from_dict
    from kg.graph.triples import graph_triples

    with open(args.extractions, encoding="utf-8") as fh:
        extractions = [from_dict(json.loads(line)) for line in fh]
    papers = [ex.paper for ex in extractions]
    by_key = {ex.paper.key: ex for ex in extractions}
    t0 = time.perf_counter()
    if args.engine == "ours":
        summary = build_store(papers, lambda ps: (by_key[p.key] for p in ps), Settings(store_dir=Path(args.out)))
        triples = summary.triples
    else:
        from rdflib import Graph

        table = EntityTable(extractions, load_variant_rules(SEEDS_DIR / "patterns" / "variants.json"), None,
                            load_aliases(SEEDS_DIR / "gazetteer" / "aliases.tsv"))
        g = Graph()
        for t in graph_triples(extractions, "https://w3id.org/abstracta/", table=table):
            g.add(t)
        g.serialize(Path(args.out) / "graph.nt", format="nt", encoding="utf-8")
        triples = len(g)
    seconds = time.perf_counter() - t0
    print(json.dumps({"engine": args.engine, "seconds": seconds, "triples": triples,
                      "peak_mb": _hwm_mb(), "disk_mb": _du(Path(args.out)) / 1e6}))


def cmd_compare(args: argparse.Namespace) -> None:
    from extract import Extractor
    from kg.graph.codec import to_dict
    from kg.ingest.readers import read_inputs

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        if args.from_store:  # the extractions a build already made (its extraction cache)
            from kg.graph.cache import FILE, ExtractionCache
            from kg.store.generations import open_current_generation

            cache = ExtractionCache(Path(tmp) / "cache.sqlite",
                                    copy_from=open_current_generation(args.from_store).path / FILE)
            extractions = list(cache.load(sorted(cache.index())[: args.sample]))
            cache.close()
            papers = [ex.paper for ex in extractions]
            how = f"read from the extraction cache of {args.from_store}"
        else:
            papers = read_inputs(args.inputs).papers[: args.sample]
            extractions = list(Extractor().extract_many(papers))
            how = "extracted in one process"
        extract_s = time.perf_counter() - t0
        results = {}
        pickled = Path(tmp) / "extractions.jsonl"
        pickled.write_text("".join(json.dumps(to_dict(ex)) + "\n" for ex in extractions), encoding="utf-8")
        for engine in ("ours", "rdflib"):
            out = Path(tmp) / engine
            out.mkdir()
            done = subprocess.run([sys.executable, __file__, "_engine", "--engine", engine, "--extractions",
                                   str(pickled), "--out", str(out)], capture_output=True, text=True, check=True,
                                  env={**os.environ, "PYTHONPATH": str(ROOT)})
            results[engine] = json.loads(done.stdout.strip().splitlines()[-1])
    ours, plain = results["ours"], results["rdflib"]
    print(f"{len(papers):,} papers; extractions (shared by both) {how} in {extract_s:.1f} s\n")
    print("| graph phase | ours (Oxigraph) | plain rdflib | rdflib / ours |\n|---|---|---|---|")
    print(f"| wall time | {ours['seconds']:.1f} s | {plain['seconds']:.1f} s | "
          f"{plain['seconds'] / ours['seconds']:.2f} |")
    print(f"| triples per second | {ours['triples'] / ours['seconds']:,.0f} | "
          f"{plain['triples'] / plain['seconds']:,.0f} | |")
    print(f"| triples | {ours['triples']:,} (with analytics) | {plain['triples']:,} | |")
    print(f"| peak RSS | {ours['peak_mb']:,.0f} MB | {plain['peak_mb']:,.0f} MB | "
          f"{plain['peak_mb'] / ours['peak_mb']:.2f} |")
    print(f"| on disk | {ours['disk_mb']:,.0f} MB (database, cache, snapshot) | {plain['disk_mb']:,.0f} MB "
          "(N-Triples) | |")


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("inputs", nargs="+")
    b.add_argument("--store", required=True)
    b.add_argument("--workers", type=int, default=2)
    b.add_argument("--no-plain", action="store_true", help="skip the plain pyoxigraph bulk load for comparison")
    g = sub.add_parser("graph")
    g.add_argument("--from-store", metavar="DIR", required=True, help="take the extractions from this store's cache")
    g.add_argument("--store", required=True, help="build into this (new) store directory")
    g.add_argument("--sample", type=int, default=0, help="the first N papers (default: all)")
    g.add_argument("--no-plain", action="store_true", help="skip the plain pyoxigraph bulk load for comparison")
    a = sub.add_parser("add")
    a.add_argument("inputs", nargs="+")
    a.add_argument("--store", required=True, help="an existing store to add to")
    a.add_argument("--new", type=int, default=1000, help="how many papers the store lacks to add")
    a.add_argument("--workers", type=int, default=2)
    a.add_argument("--no-plain", action="store_true", help="skip the plain pyoxigraph bulk load for comparison")
    c = sub.add_parser("compare")
    c.add_argument("inputs", nargs="*")
    c.add_argument("--sample", type=int, default=2000)
    c.add_argument("--from-store", metavar="DIR", help="take the extractions from this store's cache")
    e = sub.add_parser("_engine")
    e.add_argument("--engine", choices=("ours", "rdflib"), required=True)
    e.add_argument("--extractions", required=True)
    e.add_argument("--out", required=True)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")  # stderr; tables go to stdout
    {"build": cmd_build, "graph": cmd_graph, "add": cmd_add, "compare": cmd_compare, "_engine": _engine}[args.cmd](args)


if __name__ == "__main__":
    main()
