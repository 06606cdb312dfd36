"""``python -m extract.training prepare|train|evaluate|evaluate-pipeline|relations|gazetteer|speed|teacher-*|...``.

Printing results is this module's job; the training and scoring code lives in ``extract.training``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from extract.training.corpora import read_split
from extract.training.ner import (
    add_trained_components,
    evaluate_ner,
    export_model,
    load_pipeline,
    measure_throughput,
    seed_texts,
    train_main,
)
from extract.training.prepare import prepare_corpora, prepare_pretrain_text
from kg.config import SEEDS_DIR
from kg.errors import AbstractaError, ExtractionError

log = logging.getLogger("extract.training")


def _eval_cmd(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="extract.training evaluate")
    p.add_argument("model", help="a trained pipeline directory")
    p.add_argument("split", help="scierc:dev, scier:dev, ... (see extract.training.corpora.standard_paths)")
    p.add_argument("--spans-key", default=None)
    p.add_argument("--gold-tokens", action="store_true", help="feed the gold tokens instead of re-tokenising")
    p.add_argument("--json", type=Path, default=None, help="also write the scores here")
    args = p.parse_args(argv)
    if args.split.endswith(":test") or args.split.endswith(":test_ood"):
        log.warning("scoring a TEST split: do this once, after every choice was made on dev")
    scores = evaluate_ner(args.model, read_split(args.split), spans_key=args.spans_key, gold_tokens=args.gold_tokens)
    print(scores.table())
    print(f"  {scores.as_dict()['words_per_s']} words/s")
    if args.json:
        args.json.write_text(json.dumps(scores.as_dict(), indent=2))
    return 0


def _speed_cmd(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="extract.training speed")
    p.add_argument("models", nargs="*", help="trained pipeline directories (each added after the rule pipeline)")
    p.add_argument("--no-rules", action="store_true", help="time the NER pipelines alone, without the rule pipeline")
    args = p.parse_args(argv)
    texts = seed_texts()
    results = {"blank-tokenizer": measure_throughput(spacy.blank("en"), texts)}
    if not args.no_rules:
        from extract.pipeline import build_pipeline

        results["rules"] = measure_throughput(build_pipeline(), texts)
    loaded = [load_pipeline(m) for m in args.models]
    for m, nlp in zip(args.models, loaded, strict=True):
        results[f"ner-only:{m}"] = measure_throughput(nlp, texts)
    if loaded:
        results["all-ner-models"] = _time_chain(loaded, texts)
        if not args.no_rules:
            combined = add_trained_components(build_pipeline(), *loaded)
            results["rules+all-ner-models"] = measure_throughput(combined, texts)
    print(json.dumps(results, indent=2))
    return 0


def _time_chain(nlps: Sequence[Language], texts: Sequence[str], repeats: int = 5) -> dict:
    """Time the first pipeline on the texts, then every further pipeline's components on its docs."""

    class _Chain:
        def pipe(self, texts: Sequence[str], batch_size: int = 64) -> list[Doc]:
            docs = list(nlps[0].pipe(texts, batch_size=batch_size))
            for extra in nlps[1:]:
                for _, proc in extra.pipeline:
                    docs = list(proc.pipe(docs, batch_size=batch_size))
            return docs

    return measure_throughput(_Chain(), texts, repeats=repeats)  # type: ignore[arg-type]


def _export_cmd(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="extract.training export", description="ship a trained pipeline, strings cut down")
    p.add_argument("model", type=Path, help="e.g. build/runs/r07A/model-best")
    p.add_argument("output", type=Path, help="e.g. extract/models/ner_joint")
    args = p.parse_args(argv)
    texts = seed_texts() + [" ".join(w for s in d.sentences for w in s) for d in read_split("scierc:dev")]
    print(json.dumps(export_model(args.model, args.output, texts), indent=1))
    return 0


def _teacher_train_cmd(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="extract.training teacher-train", description="fine-tune the MiniLM teacher")
    p.add_argument("output", type=Path)
    p.add_argument("--epochs", type=int, default=6, help="the learning rate decays to zero over this many epochs")
    p.add_argument("--stop-after", type=int, default=None,
                   help="stop after this many epochs of that schedule (default: all of them)")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--limit", type=int, default=None, help="train on a random sample of this many sentences")
    p.add_argument("--seed", type=int, default=42, help="torch and sampling seed (t1: 42)")
    p.add_argument("--context", type=int, default=0,
                   help="also read this many words of the document on each side of a sentence (t1: 0)")
    p.add_argument("--abstracta", type=Path, nargs=2, metavar=("TRAIN", "DEV"), default=None,
                   help="train one head of our guide's types on these DocBins of our annotations "
                        "(build/corpus/abx_train.spacy build/corpus/abx_held.spacy) instead of the benchmarks")
    args = p.parse_args(argv)
    from extract.training.teacher import train_teacher

    info = train_teacher(args.output, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                         seed=args.seed, threads=args.threads, limit=args.limit, context=args.context,
                         abstracta=tuple(args.abstracta) if args.abstracta else None, stop_after=args.stop_after)
    print(json.dumps(info["history"], indent=1))
    return 0


def _label_args(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The arguments both teachers' labelling commands take."""
    p.add_argument("teacher", type=Path)
    p.add_argument("raw", type=Path, help='JSONL of {"text": ...} (build/pretrain/raw.jsonl)')
    p.add_argument("output", type=Path)
    p.add_argument("--limit", type=int, required=True)
    p.add_argument("--skip", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    return p


def _teacher_label_cmd(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="extract.training teacher-label", description="silver DocBin from the teacher")
    p.add_argument("--also", type=Path, action="append", default=[], metavar="TEACHER",
                   help="another teacher; the tag probabilities of all of them are averaged (repeatable)")
    args = _label_args(p).parse_args(argv)
    from extract.training.teacher_label import label_texts

    teachers = [args.teacher, *args.also]
    print(json.dumps(label_texts(teachers, args.raw, args.output, limit=args.limit, skip=args.skip,
                                 threads=args.threads), indent=1))
    return 0


def _teacher_eval_cmd(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="extract.training teacher-eval",
                                description="dev scores of a teacher, or of several averaged")
    p.add_argument("teachers", type=Path, nargs="+")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    from extract.training.teacher_label import evaluate_dirs

    scores = evaluate_dirs(args.teachers, threads=args.threads)
    print(json.dumps({s: v["micro"] for s, v in scores.items()}, indent=1))
    return 0


def _rel_teacher_train_cmd(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="extract.training rel-teacher-train", description="fine-tune the relation teacher")
    p.add_argument("output", type=Path)
    p.add_argument("--scheme", default="scierc", choices=["scierc", "scier"])
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=42, help="torch and sampling seed (rel1: 42)")
    p.add_argument("--encoder", type=Path, default=None,
                   help="start from this saved encoder instead of MiniLM (e.g. build/teacher/t1/encoder)")
    p.add_argument("--also", choices=["scierc", "scier"], default=None,
                   help="mix in this scheme's train pairs, with a head of their own (not saved)")
    p.add_argument("--also-none", type=int, default=2000, help="how many of its unrelated pairs to mix in")
    args = p.parse_args(argv)
    from extract.training.relation_teacher import train_relation_teacher

    info = train_relation_teacher(args.output, args.scheme, epochs=args.epochs, batch_size=args.batch_size,
                                  lr=args.lr, seed=args.seed, threads=args.threads, encoder_dir=args.encoder,
                                  also=args.also, also_none=args.also_none)
    print(json.dumps(info["history"], indent=1))
    return 0


def _rel_teacher_label_cmd(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="extract.training rel-teacher-label",
                                description="silver relation targets (JSONL.gz) from the relation teacher")
    args = _label_args(p).parse_args(argv)
    from extract.training.relation_teacher import label_relations

    info = label_relations(args.teacher, args.raw, args.output, limit=args.limit, skip=args.skip, threads=args.threads)
    print(json.dumps(info, indent=1))
    return 0


def _rel_teacher_rescore_cmd(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="extract.training rel-teacher-rescore",
                                description="average a silver file's probabilities with more relation teachers', "
                                            "or replace them")
    p.add_argument("silver", type=Path, help="a rel-teacher-label output (.jsonl.gz)")
    p.add_argument("output", type=Path)
    p.add_argument("teachers", type=Path, nargs="+")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--replace", action="store_true",
                   help="drop the file's own probabilities: the pairs get the given teachers' average only")
    args = p.parse_args(argv)
    from extract.training.relation_teacher import rescore_silver

    info = rescore_silver(args.silver, args.teachers, args.output, threads=args.threads, replace=args.replace)
    print(json.dumps(info))
    return 0


def _rel_student_train_cmd(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="extract.training rel-student-train",
                                description="the relation model with a hidden layer, fitted to gold + teacher silver")
    p.add_argument("output", type=Path, help="model directory (the shipped one: extract/models/relations-scierc)")
    p.add_argument("--scheme", default="scierc", choices=["scierc", "scier"])
    p.add_argument("--silver", type=Path, action="append", default=[], metavar="FILE.jsonl.gz",
                   help="teacher-labelled pairs (rel-teacher-label); repeatable")
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--min-count", type=int, default=50, help="keep features seen in at least this many pairs")
    p.add_argument("--gold-weight", type=float, default=1.0, help="a gold pair's loss weight (a silver pair's: 1)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    missing = [str(f) for f in args.silver if not f.is_file()]
    if missing:
        raise ExtractionError(f"no silver file {', '.join(missing)}: make it with rel-teacher-label")
    from extract.training.relation_student import train_relation_student

    model = train_relation_student(args.output, args.scheme, silver=args.silver, hidden=args.hidden,
                                   epochs=args.epochs, lr=args.lr, min_count=args.min_count,
                                   gold_weight=args.gold_weight, seed=args.seed, threads=args.threads)
    print(json.dumps(model.settings["history"], indent=1))
    return 0


def _resamples(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of resamples; give 0 (none) or more, e.g. 1000")
    return n


def _evaluate_pipeline_cmd(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m extract.training evaluate-pipeline",
                                description="score the full pipeline on a benchmark file")
    p.add_argument("--format", required=True, choices=("abstracta", "scierc", "scier", "tdmsci"),
                   help="abstracta: our own annotations (extract/training/data/dev.jsonl); the others: benchmarks")
    p.add_argument("--data", default=None,
                   help="abstracta only: the data folder holding the abstracts (else $ABSTRACTA_DATA)")
    p.add_argument("--mode", default="both", choices=("both", "model", "rules"),
                   help="what predicts entities (default: the model, then the rules where it found nothing)")
    p.add_argument("--limit", type=int, help="only the first N documents")
    p.add_argument("--ner", default=None, help="abstracta only: a NER model directory instead of the shipped one")
    p.add_argument("--decisions", default=None,
                   help="abstracta only: a decisions directory instead of the shipped one "
                        "('none': candidates as found)")
    p.add_argument("--bootstrap", type=_resamples, default=0, metavar="N",
                   help="add 95%% intervals of the micro F1s, from N resamples of the documents (e.g. 1000)")
    p.add_argument("path", help="a benchmark file, e.g. ../shared/data/scierc/dev.json")
    args = p.parse_args(argv)
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
    from extract.training.evaluate import evaluate_main

    if "test" in Path(args.path).name:
        log.warning("scoring a TEST split: do it once, after every choice was made on dev")
    for line in evaluate_main(args.format, args.path, mode=args.mode, limit=args.limit, bootstrap=args.bootstrap):
        print(line)
    return 0


def _gazetteer_cmd(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m extract.training gazetteer",
                                description="regenerate the gazetteer from Papers with Code name lists "
                                            "(a development step; nothing at run time reads ../shared)")
    p.add_argument("--data", required=True, help="e.g. ../shared/data/gazetteers")
    p.add_argument("--out", default=str(SEEDS_DIR / "gazetteer"))
    args = p.parse_args(argv)
    from extract.training.aliases import derive_aliases
    from extract.training.gazetteer import derive_gazetteer

    counts = derive_gazetteer(Path(args.data), Path(args.out))
    aliases = derive_aliases(Path(args.data), Path(args.out))
    print(", ".join(f"{k} {v}" for k, v in sorted(counts.items())) +
          f"; aliases: {aliases['same']} same, {aliases['variant']} variant")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    import sys

    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__)
        print(
            "commands: prepare | pretrain-text | train CONFIG OUTPUT --train NAME --dev NAME"
            " | evaluate MODEL SPLIT | speed MODEL... | export MODEL OUTPUT"
            " | evaluate-pipeline --format abstracta|scierc|scier|tdmsci PATH"
            " | relations train|eval|speed ... | gazetteer --data DIR"
            " | teacher-train OUT [--abstracta TRAIN DEV] | abstracta-unlabelled OUT.jsonl"
            " | teacher-label TEACHER RAW.jsonl OUT.spacy --limit N [--also TEACHER]"
            " | teacher-eval TEACHER..."
            " | rel-teacher-train OUT | rel-teacher-label TEACHER RAW.jsonl OUT.jsonl.gz --limit N"
            " | rel-teacher-rescore SILVER OUT TEACHER... | rel-student-train OUT --silver FILE.jsonl.gz ..."
            "  (the teachers and the student need requirements-train.txt)"
        )
        return 0
    cmd, rest = argv[0], argv[1:]
    try:
        return _dispatch(cmd, rest)
    except AbstractaError as e:
        log.error("%s", e)
        return 2


def _dispatch(cmd: str, rest: list[str]) -> int:
    if cmd == "prepare":
        print(json.dumps(prepare_corpora(), indent=2))
        return 0
    if cmd == "pretrain-text":
        print(json.dumps(prepare_pretrain_text(), indent=2))
        return 0
    if cmd == "train":
        return train_main(rest)
    if cmd == "evaluate":
        return _eval_cmd(rest)
    if cmd == "evaluate-pipeline":
        return _evaluate_pipeline_cmd(rest)
    if cmd == "gazetteer":
        return _gazetteer_cmd(rest)
    if cmd == "relations":
        from extract.training.relations.cli import main as relations_main

        return relations_main(rest)
    if cmd == "export":
        return _export_cmd(rest)
    if cmd == "teacher-train":
        return _teacher_train_cmd(rest)
    if cmd == "teacher-label":
        return _teacher_label_cmd(rest)
    if cmd == "teacher-eval":
        return _teacher_eval_cmd(rest)
    if cmd == "abstracta-unlabelled":
        from extract.training.teacher_abstracta import unlabelled_from_args

        print(json.dumps(unlabelled_from_args(rest)))
        return 0
    if cmd == "rel-teacher-train":
        return _rel_teacher_train_cmd(rest)
    if cmd == "rel-teacher-label":
        return _rel_teacher_label_cmd(rest)
    if cmd == "rel-teacher-rescore":
        return _rel_teacher_rescore_cmd(rest)
    if cmd == "rel-student-train":
        return _rel_student_train_cmd(rest)
    if cmd == "speed":
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        return _speed_cmd(rest)
    raise SystemExit(f"unknown command {cmd!r}")
