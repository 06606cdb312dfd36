"""``python -m extract.training relations train|eval|speed``: the relation model's commands.

Printing results is this module's job; the model itself lives in ``extract.relations``.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path

from extract.relations.features import MAX_BETWEEN
from extract.relations.model import MODELS_DIR, SCHEMES, load_model
from extract.training.corpora import Corpus, read_split
from extract.training.relations.evaluate import entity_scores, evaluate, ner_entities, predict_doc, tune_threshold
from extract.training.relations.fit import train_relations

log = logging.getLogger("extract.training.relations")


def _load_split(key: str) -> Corpus:
    if key.endswith(":test") or key.endswith(":test_ood"):
        log.warning("scoring a TEST split: do this once, after every choice was made on dev")
    return read_split(key)


def _train_cmd(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m extract.training relations train")
    p.add_argument("scheme", choices=sorted(SCHEMES))
    p.add_argument("--out", type=Path, default=None, help="default: extract/models/relations-SCHEME")
    p.add_argument("--l2", type=float, default=None)
    p.add_argument("--min-count", type=int, default=2)
    p.add_argument("--max-between", type=int, default=MAX_BETWEEN)
    p.add_argument("--max-iter", type=int, default=400)
    p.add_argument("--prune", type=float, default=0.05, help="drop features whose weights all lie within ±PRUNE")
    p.add_argument("--train", default=None, help="split key(s) joined by +; default: the scheme's train split")
    p.add_argument("--dev", default=None, help="split used to tune the threshold; default: the scheme's dev split")
    p.add_argument("--threshold", type=float, default=None, help="fix the threshold instead of tuning it on dev")
    p.add_argument("--tune-ner", default=None, metavar="PIPELINE",
                   help="tune the threshold on the dev entities this spaCy NER pipeline predicts (default: gold)")
    p.add_argument("--silver", type=Path, action="append", default=[], metavar="FILE.jsonl.gz",
                   help="teacher-labelled pairs (python -m extract.training rel-teacher-label); repeatable")
    p.add_argument("--silver-weight", type=float, default=1.0, help="weight of a silver pair against a gold one")
    args = p.parse_args(argv)
    missing = [str(f) for f in args.silver if not f.is_file()]
    if missing:
        raise SystemExit(f"no silver file {', '.join(missing)}: "
                         "make it with python -m extract.training rel-teacher-label")
    scheme = SCHEMES[args.scheme]
    l2 = args.l2 if args.l2 is not None else DEFAULT_L2[args.scheme]
    train_docs = [d for key in (args.train or scheme["train"]).split("+") for d in _load_split(key).docs]
    dev = _load_split(args.dev or scheme["dev"])
    model = train_relations(
        train_docs,
        args.scheme,
        l2=l2,
        min_count=args.min_count,
        max_between=args.max_between,
        max_iter=args.max_iter,
        prune=args.prune,
        silver=args.silver,
        silver_weight=args.silver_weight,
    )
    if args.threshold is None:
        pred = ner_entities(args.tune_ner, dev.docs) if args.tune_ner else None
        model.threshold, grid = tune_threshold(model, dev.docs, pred)
        tuned_on = f"entities of {args.tune_ner}" if pred else "gold entities"
        model.settings["threshold_tuned_on"] = f"{dev.name} {tuned_on}"
        log.info("threshold %.2f (dev boundaries F1 by threshold: %s)", model.threshold,
                 {k: round(100 * v, 2) for k, v in grid.items()})
    else:
        model.threshold = args.threshold
    model.settings["dev"] = args.dev or scheme["dev"]
    out = model.save(args.out or MODELS_DIR / f"relations-{args.scheme}")
    res = evaluate(model, dev.docs)
    print(f"saved {out} ({len(model.features)} features, threshold {model.threshold:.2f})")
    print(f"{dev.name}, gold entities:\n{res.table()}")
    return 0


def _eval_cmd(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m extract.training relations eval")
    p.add_argument("model", help="model directory, or a scheme name for the committed model")
    p.add_argument("split", help="scierc:dev, scier:dev, ...")
    p.add_argument("--ner", default=None, help="a spaCy NER pipeline: also score end to end on its entities")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    model = load_model(args.model)
    corpus = _load_split(args.split)
    report: dict = {"model": str(args.model), "split": args.split, "threshold": model.threshold}
    res = evaluate(model, corpus.docs)
    report["gold_entities"] = res.as_dict()
    print(f"{corpus.name}, gold entities:\n{res.table()}")
    if args.ner:
        pred = ner_entities(args.ner, corpus.docs)
        eb, et = entity_scores(corpus.docs, pred)
        e2e = evaluate(model, corpus.docs, pred)
        report["ner"] = {"boundaries_f": round(100 * eb.f, 2), "typed_f": round(100 * et.f, 2)}
        report["end_to_end"] = e2e.as_dict()
        print(f"NER {args.ner}: boundaries {eb}; typed {et}")
        print(f"{corpus.name}, predicted entities:\n{e2e.table()}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


def _speed_cmd(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m extract.training relations speed")
    p.add_argument("model")
    p.add_argument("split")
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args(argv)
    model = load_model(args.model)
    docs = _load_split(args.split).docs
    best = float("inf")
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        for d in docs:
            predict_doc(model, d.sentences, d.entities)
        best = min(best, time.perf_counter() - t0)
    res = evaluate(model, docs)
    print(json.dumps({"docs": len(docs), "pairs": res.n_pairs, "seconds": round(best, 4),
                      "ms_per_doc": round(1000 * best / len(docs), 3), "pairs_per_s": round(res.n_pairs / best)}))
    return 0


DEFAULT_L2 = {"scierc": 3e-4, "scier": 3e-4}


def main(argv: Sequence[str] | None = None) -> int:
    import sys

    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    commands = {"train": _train_cmd, "eval": _eval_cmd, "speed": _speed_cmd}
    if not argv or argv[0] not in commands:
        print(__doc__)
        print("commands: train SCHEME | eval MODEL SPLIT [--ner PIPELINE] | speed MODEL SPLIT")
        return 0 if not argv or argv[0] in {"-h", "--help"} else 2
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
