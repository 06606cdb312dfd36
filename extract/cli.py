"""Thin command-line verbs of the NLP layer.

``run`` prints what the extractor finds (JSON Lines, one paper a line);
``evaluate`` scores the full pipeline on a benchmark; ``train`` trains the models;
``gazetteer`` regenerates ``seeds/gazetteer/terms.tsv`` from the Papers with
Code name lists (a development step; nothing at run time reads ../shared).
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


def cmd_gazetteer(args: argparse.Namespace) -> int:
    from extract.aliases import derive_aliases
    from extract.gazetteer import derive_gazetteer

    counts = derive_gazetteer(Path(args.data), Path(args.out))
    aliases = derive_aliases(Path(args.data), Path(args.out))
    print(", ".join(f"{k} {v}" for k, v in sorted(counts.items())) +
          f"; aliases: {aliases['same']} same, {aliases['variant']} variant")
    return 0


def _resamples(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of resamples; give 0 (none) or more, e.g. 1000")
    return n


def cmd_evaluate(args: argparse.Namespace) -> int:
    if args.format == "abstracta":
        from extract.training.annotation.evaluate import evaluate_lines

        extractor = None
        if args.ner or args.decisions:
            from extract.decisions import DECISIONS_DIR
            from extract.extractor import Extractor
            from extract.pipeline import NER_MODEL

            no = {"none", ""}
            extractor = Extractor(model_dir=Path(args.ner) if args.ner else NER_MODEL,
                                  decisions=None if args.decisions in no else Path(args.decisions or DECISIONS_DIR))
        for line in evaluate_lines(args.path, data=args.data, limit=args.limit, extractor=extractor):
            print(line)
        return 0
    from extract.evaluate import evaluate_main

    if "test" in Path(args.path).name:
        logging.getLogger("extract").warning("scoring a TEST split: do it once, after every choice was made on dev")
    for line in evaluate_main(args.format, args.path, mode=args.mode, limit=args.limit, bootstrap=args.bootstrap):
        print(line)
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from extract.relations_cli import main as relations_main
    from extract.training import train_main

    if args.what == "relations":
        return relations_main(["train", *args.rest])
    return train_main(args.rest)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m extract", description="Abstracta extraction")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="verb", required=True)
    r = sub.add_parser("run", help="extract papers and print the findings as JSON Lines")
    r.add_argument("inputs", nargs="+", metavar="INPUT")
    r.add_argument("--seeds", default=str(SEEDS_DIR), help="folder with the rule data (default: seeds/)")
    r.set_defaults(func=cmd_run)
    e = sub.add_parser("evaluate", help="score the full pipeline on a benchmark file")
    e.add_argument("--format", required=True, choices=("abstracta", "scierc", "scier", "tdmsci"),
                   help="abstracta: our own annotations (extract/training/data/dev.jsonl); the others: benchmarks")
    e.add_argument("--data", default=None,
                   help="abstracta only: the data folder holding the abstracts (else $ABSTRACTA_DATA)")
    e.add_argument("--mode", default="both", choices=("both", "model", "rules"),
                   help="what predicts entities (default: the model, then the rules where it found nothing)")
    e.add_argument("--limit", type=int, help="only the first N documents")
    e.add_argument("--ner", default=None, help="abstracta only: a NER model directory instead of the shipped one")
    e.add_argument("--decisions", default=None,
                   help="abstracta only: a decisions directory instead of the shipped one "
                        "('none': candidates as found)")
    e.add_argument("--bootstrap", type=_resamples, default=0, metavar="N",
                   help="add 95%% intervals of the micro F1s, from N resamples of the documents (e.g. 1000)")
    e.add_argument("path", help="a benchmark file, e.g. ../shared/data/scierc/dev.json")
    e.set_defaults(func=cmd_evaluate)
    t = sub.add_parser("train", help="train the NER (spaCy) or relation models; see extract/models/*/README.md")
    t.add_argument("what", choices=("ner", "relations"))
    t.add_argument("rest", nargs=argparse.REMAINDER, help="arguments for the trainer")
    t.set_defaults(func=cmd_train)
    g = sub.add_parser("gazetteer", help="regenerate the gazetteer from Papers with Code name lists")
    g.add_argument("--data", required=True, help="e.g. ../shared/data/gazetteers")
    g.add_argument("--out", default=str(SEEDS_DIR / "gazetteer"))
    g.set_defaults(func=cmd_gazetteer)
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
