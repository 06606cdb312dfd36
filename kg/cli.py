"""Thin command-line verbs over plain functions.

Exit codes: 0 success, 1 an Abstracta error (one line on stderr), 2 bad
arguments (argparse).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from kg.config import Settings
from kg.errors import AbstractaError, ConfigError

if TYPE_CHECKING:  # the verbs import the stages when they run
    from kg.graph.build import Progress

logger = logging.getLogger("kg.cli")


def _progress_bar(total_hint: str) -> Progress:
    from tqdm import tqdm

    bar: dict[str, tqdm] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, desc=total_hint, unit="paper", file=sys.stderr,
                              disable=None, leave=False)
        bar["bar"].update(done - bar["bar"].n)
        if done >= total:
            bar["bar"].close()

    return update


def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    from kg.graph.orchestrate import build_from_inputs

    summary = build_from_inputs(args.inputs, settings, progress=_progress_bar("extracting"),
                                prune=args.prune, workers=args.workers, scheduler=args.scheduler,
                                partition_size=args.partition_size, wait_s=args.wait, full=args.full)
    s = summary.as_dict()
    ents = ", ".join(f"{k} {v}" for k, v in s["entities"].items()) or "none"
    print(f"papers: {s['papers']}\nentities: {sum(s['entities'].values())} ({ents})\n"
          f"claims: {s['claims']}\ncode links: {s['code_links']}\ntriples: {s['triples']}\n"
          f"skipped records: {s['skipped']}\ntime: {s['seconds']:.1f} s\nstore: {s['store']}\n"
          f"graph: {'only the changes written' if summary.as_changes else 'written in full'} ({s['generation']})")
    c = s["changes"]
    print(f"changes: {c['added']} added, {c['changed']} changed, {c['unchanged']} unchanged (not re-extracted), "
          f"{c['kept']} kept from earlier builds, {c['removed']} removed; entities: {c['entities_created']} created, "
          f"{c['entities_removed']} removed, {c.get('entities_replaced', 0)} retired IRIs now point at their "
          "replacement (dcterms:isReplacedBy)")
    for sk in summary.skipped[:20]:
        print(f"  skipped {sk.source}:{sk.line}: {sk.reason}")
    if len(summary.skipped) > 20:
        print(f"  ... and {len(summary.skipped) - 20} more skipped records")
    return 0


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from kg.export.files import export
    from kg.store.generations import open_current

    _, store = open_current(settings.store_dir)
    out = export(store, args.format, args.out)
    print(f"wrote {out} ({out.stat().st_size:,} bytes, {args.format})")
    return 0


def cmd_query(args: argparse.Namespace, settings: Settings) -> int:
    from kg.query.formats import to_csv, to_json, to_table
    from kg.query.runner import QueryRunner
    from kg.store.generations import open_current

    if args.file:
        try:
            text = Path(args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(f"cannot read query file {args.file}: {e}") from e
    else:
        text = args.query
    gen, _ = open_current(settings.store_dir)
    with QueryRunner(gen.db_path, timeout_s=settings.query_timeout_s, max_rows=settings.max_rows) as runner:
        result = runner.run(text)
    render = {"table": to_table, "csv": to_csv, "json": to_json}[args.format]
    sys.stdout.write(render(result).rstrip("\n") + "\n")
    if result.truncated:
        print(f"note: results truncated at {settings.max_rows} rows", file=sys.stderr)
    return 0


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    from kg.read.stats import graph_stats
    from kg.store.generations import open_current

    gen, store = open_current(settings.store_dir)
    stats = graph_stats(store, triples=gen.summary().get("triples"))
    stats["generation"] = gen.name
    stats["built"] = gen.summary()
    if args.json:
        print(json.dumps(stats, indent=2, sort_keys=True))
    else:
        print(f"store: {settings.store_dir} ({gen.name})")
        for key in ("triples", "papers", "claims", "code_links", "evidence"):
            print(f"{key}: {stats[key]}")
        print("entities: " + ", ".join(f"{k} {v}" for k, v in stats["entities"].items()))
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import ipaddress

    import uvicorn

    from kg.serve.endpoint import EndpointOptions, create_app
    from kg.serve.lanes import QueryService
    from kg.store.generations import open_current_generation

    if args.allow_update and not args.token:
        raise ConfigError("--allow-update needs --token TOKEN (clients send 'Authorization: Bearer TOKEN')")
    open_current_generation(settings.store_dir)  # fail now, not on the first request
    host, port = args.host or settings.host, args.port or settings.port
    try:
        public = not ipaddress.ip_address(host).is_loopback
    except ValueError:
        public = host != "localhost"
    if public:
        logger.warning("serving on %s: reachable from other machines", host)
    service = QueryService(settings.store_dir, timeout_s=args.timeout or settings.query_timeout_s,
                           max_rows=args.max_rows or settings.max_rows, workers=args.workers or settings.query_workers,
                           long_workers=args.long_workers, quick_s=args.quick)
    options = EndpointOptions(allow_update=args.allow_update, update_token=args.token,
                              cors_origins=tuple(args.cors_origin), max_request_bytes=settings.max_request_bytes,
                              examples_dir=settings.seeds_dir / "queries",
                              public_url=args.public_url or f"http://{host}:{port}/sparql")
    print(f"SPARQL endpoint: http://{host}:{port}/sparql  (query page: http://{host}:{port}/)", file=sys.stderr)
    try:
        # h11 reads request heads up to the body limit, so that an over-long URL is answered 414, not reset
        uvicorn.run(create_app(service, options), host=host, port=port, log_level="warning",
                    h11_max_incomplete_event_size=settings.max_request_bytes)
    finally:
        service.close()
    return 0


def cmd_fetch(args: argparse.Namespace, settings: Settings) -> int:
    from kg.ingest.feeds import fetch_main

    counts = fetch_main(args.source, query=args.query, ids=args.ids or (), date=args.date, out=args.out,
                        max_results=args.max_results)
    print(f"{args.out}: {counts.new} new, {counts.duplicate} already there")
    return 0


def cmd_push(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    from kg.export.push import PushAuth, push_store

    bar = tqdm(unit="triple", unit_scale=True, desc="pushing", file=sys.stderr, disable=None, leave=False)

    def progress(sent: int, total: int | None) -> None:
        bar.total = total
        bar.update(sent - bar.n)

    try:
        s = push_store(settings.store_dir, args.url, protocol=args.protocol, graph=args.graph,
                       with_ontology=args.with_ontology, batch_triples=args.batch, auth=PushAuth.from_env(),
                       timeout_s=args.timeout, retries=args.retries, progress=progress)
    finally:
        bar.close()
    graphs = ", ".join(f"{'default graph' if g == 'default' else g}: {n:,}" for g, n in s.graphs)
    print(f"pushed {s.triples:,} triples in {s.requests} requests, {s.seconds:.1f} s "
          f"({s.triples_per_s:,.0f} triples/s) to {s.target} ({s.protocol}; {graphs})")
    return 0


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    from kg.store.generations import open_current
    from kg.store.validate import validate_store

    _, store = open_current(settings.store_dir)
    result = validate_store(store)
    if result.conforms:
        print("conforms: 0 violations of kg/shapes.ttl")
        return 0
    print(result.report)
    print(f"{result.violations} violation(s) of kg/shapes.ttl", file=sys.stderr)
    return 1


def _parser() -> argparse.ArgumentParser:
    from kg.export.files import FORMATS

    parser = argparse.ArgumentParser(prog="python -m kg", description="Abstracta knowledge graph")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="verb", required=True)

    def with_store(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--store", metavar="DIR", help="graph store directory (default: ./store)")
        return p

    b = with_store(sub.add_parser("build", help="extract papers and (re)build the graph"))
    b.add_argument("inputs", nargs="*", metavar="INPUT", help="files or folders (default: seeds/)")
    b.add_argument("--prune", action="store_true",
                   help="drop papers that are not in the inputs (default: keep them; builds add papers)")
    b.add_argument("--workers", type=int, default=1, help="extraction processes (default 1)")
    b.add_argument("--full", action="store_true",
                   help="write the whole graph again, not only what changed since the published one")
    b.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="extract on the Dask cluster of this scheduler (needs requirements-cluster.txt; "
                        "not with --workers)")
    b.add_argument("--partition-size", type=int, metavar="N",
                   help="papers per Dask task (default: about two tasks per worker, at most 256)")
    b.add_argument("--corrections", metavar="FILE",
                   help="corrections file (default: corrections.tsv beside the store directory)")
    b.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="if another build is running on the store, wait this long for it (default: refuse at once)")
    b.set_defaults(func=cmd_build)

    e = with_store(sub.add_parser("export", help="write the graph to a file"))
    e.add_argument("--format", required=True, choices=FORMATS)
    e.add_argument("--out", required=True, metavar="FILE")
    e.set_defaults(func=cmd_export)

    q = with_store(sub.add_parser("query", help="run a read-only SPARQL query"))
    src = q.add_mutually_exclusive_group(required=True)
    src.add_argument("query", nargs="?", help="the SPARQL query text")
    src.add_argument("--file", metavar="F", help="read the query from a file")
    q.add_argument("--format", default="table", choices=("table", "csv", "json"))
    q.set_defaults(func=cmd_query)

    v = with_store(sub.add_parser("serve", help="serve the graph over the SPARQL 1.1 Protocol"))
    v.add_argument("--host", help="bind address (default: settings' host, $ABSTRACTA_HOST or 127.0.0.1, "
                                   "loopback only)")
    v.add_argument("--port", type=int, help="TCP port (default: settings' port, $ABSTRACTA_PORT or 7878)")
    v.add_argument("--timeout", type=float, help="per-query time limit in seconds (default 10)")
    v.add_argument("--max-rows", type=int, help="result row cap (default 10000)")
    v.add_argument("--workers", type=int, help="worker processes of the quick lane, where every query starts "
                                                "(default: settings' query_workers, $ABSTRACTA_QUERY_WORKERS or 2)")
    v.add_argument("--long-workers", type=int, help="worker processes for queries that ran past --quick "
                                                     "(default: half of --workers, at least 1)")
    v.add_argument("--quick", type=float, default=1.0, metavar="SECONDS",
                   help="a query running longer than this is finished in the long lane (default 1)")
    v.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                   help="allow browser pages from ORIGIN (repeatable; default: none)")
    v.add_argument("--public-url", metavar="URL",
                   help="the endpoint's address as clients see it, for the service description "
                        "(default: http://HOST:PORT/sparql)")
    v.add_argument("--allow-update", action="store_true", help="accept SPARQL updates (needs --token)")
    v.add_argument("--token", help="bearer token required for updates")
    v.set_defaults(func=cmd_serve)

    f = sub.add_parser("fetch", help="add new papers from arXiv or Hugging Face daily papers to a JSON Lines file")
    f.set_defaults(func=cmd_fetch, store=None)  # main() reads args.store; fetch needs no store
    feeds = f.add_subparsers(dest="source", required=True, metavar="SOURCE")
    fa = feeds.add_parser("arxiv", help="search the arXiv API (at most one request every 3 s)")
    what = fa.add_mutually_exclusive_group(required=True)
    what.add_argument("--query", metavar="Q", help="arXiv search query, e.g. 'cat:cs.LG AND ti:diffusion'")
    what.add_argument("--ids", nargs="+", metavar="ID", help="arXiv identifiers, e.g. 2205.13147 2106.09685")
    fa.add_argument("--max", dest="max_results", type=int, default=100, metavar="N",
                    help="most papers to fetch (default 100)")
    fa.add_argument("--out", required=True, metavar="FILE.jsonl", help="JSON Lines file to add the papers to")
    fa.set_defaults(date=None)
    fh = feeds.add_parser("hf-daily", help="the Hugging Face daily papers list")
    fh.add_argument("--date", metavar="YYYY-MM-DD", help="the list of that day (default: the latest)")
    fh.add_argument("--out", required=True, metavar="FILE.jsonl", help="JSON Lines file to add the papers to")
    fh.set_defaults(query=None, ids=None, max_results=100)

    from kg.export.push import DEFAULT_BATCH, DEFAULT_RETRIES, DEFAULT_TIMEOUT_S, PROTOCOLS

    u = with_store(sub.add_parser(
        "push", help="copy the graph to an external SPARQL server (Graph Store Protocol or SPARQL Update)",
        epilog="Credentials come from the environment: ABSTRACTA_PUSH_TOKEN (bearer token), or "
               "ABSTRACTA_PUSH_USER and ABSTRACTA_PUSH_PASSWORD (HTTP basic; ABSTRACTA_PUSH_AUTH=digest for "
               "digest). See docs/external-stores.md."))
    u.add_argument("url", metavar="URL", help="graph store endpoint for gsp (e.g. http://127.0.0.1:7878/store), "
                                              "update endpoint for update (e.g. http://127.0.0.1:7878/update)")
    u.add_argument("--protocol", choices=PROTOCOLS, default="gsp",
                   help="gsp: SPARQL 1.1 Graph Store HTTP Protocol (default); update: SPARQL 1.1 Update")
    u.add_argument("--graph", metavar="IRI", help="named graph to replace on the target (default: its default graph)")
    u.add_argument("--with-ontology", action="store_true",
                   help="also push the ontology and the build records, each into its own named graph")
    u.add_argument("--batch", type=int, default=DEFAULT_BATCH, metavar="N",
                   help=f"triples per request (default {DEFAULT_BATCH})")
    u.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="S",
                   help=f"seconds to wait for each request (default {DEFAULT_TIMEOUT_S:g})")
    u.add_argument("--retries", type=int, default=DEFAULT_RETRIES, metavar="N",
                   help=f"retries after connection errors and 5xx answers (default {DEFAULT_RETRIES})")
    u.set_defaults(func=cmd_push)

    c = with_store(sub.add_parser("validate", help="check the graph against the SHACL shapes we ship"))
    c.set_defaults(func=cmd_validate)

    s = with_store(sub.add_parser("stats", help="counts of what the graph holds"))
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=cmd_stats)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env().with_store(args.store)
        if getattr(args, "corrections", None):
            settings = replace(settings, corrections_path=Path(args.corrections))
        return args.func(args, settings)
    except AbstractaError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; the stored graph is unchanged", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and closed early
        sys.stderr.close()
        return 0
