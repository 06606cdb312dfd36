"""``python -m extract run``: what the extractor finds, as JSON Lines (one paper a line).

Training, evaluation and the gazetteer are development steps: ``python -m extract.training --help``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from kg.config import SEEDS_DIR
from kg.errors import AbstractaError


def _jsonable(obj: object) -> object:
    if dataclasses.is_dataclass(obj):
        return {f.name: _jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(x) for x in obj]
    if hasattr(obj, "value") and obj.__class__.__module__ == "kg.model":
        return obj.value  # enums
    return obj


def cmd_run(args: argparse.Namespace) -> int:
    from extract import Extractor
    from kg.ingest.readers import read_inputs

    read = read_inputs(args.inputs)
    extractor = Extractor(Path(args.seeds))
    for ex in extractor.extract_many(read.papers):
        sys.stdout.write(json.dumps(_jsonable(ex), ensure_ascii=False) + "\n")
    for s in read.skipped:
        print(f"skipped {s.source}:{s.line}: {s.reason}", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m extract", description="Abstracta extraction",
                                     epilog="training, evaluation, gazetteer: python -m extract.training --help")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="verb", required=True)
    r = sub.add_parser("run", help="extract papers and print the findings as JSON Lines")
    r.add_argument("inputs", nargs="+", metavar="INPUT")
    r.add_argument("--seeds", default=str(SEEDS_DIR), help="folder with the rule data (default: seeds/)")
    r.set_defaults(func=cmd_run)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except AbstractaError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into `head` and closed early
        sys.stderr.close()
        return 0
