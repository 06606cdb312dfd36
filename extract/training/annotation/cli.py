"""``python -m extract.training.annotation batch|check|ingest``: the annotation loop's verbs.

- ``batch``: write papers ``--from``..``--to`` of the uid list (1-based, inclusive) as batch files
  of ``--size`` papers (uid, title, abstract), for annotators; under the git-ignored ``build/``.
- ``check BATCH ANSWER``: align an annotator's answer (the brief's JSON list) with its batch and
  print every problem, one line each; exit 1 when there is any. Annotators run it themselves.
- ``ingest BATCH ANSWER --into FILE``: the same check, then add the accepted records to ``FILE``
  (``--partial`` keeps the accepted ones when others are rejected, and lists the rejected).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from extract.training.annotation.align import align
from extract.training.annotation.source import Paper, data_dir, read_papers, read_uids, uids_file
from extract.training.annotation.store import ANNOTATIONS_DIR, read_records, write_records
from kg.errors import AbstractaError, InputError

log = logging.getLogger(__name__)


def read_batch(path: Path) -> list[Paper]:
    papers = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            papers.append(Paper(uid=rec["uid"], title=rec["title"], abstract=rec["abstract"]))
    return papers


def read_answer(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8").strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    try:
        answer = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"{path}: not a JSON list ({err.msg} at line {err.lineno}); "
                         "write one JSON list of objects") from None
    if not isinstance(answer, list) or not all(isinstance(a, dict) for a in answer):
        raise InputError(f"{path}: must be one JSON list of objects, one per paper")
    return answer


def check(batch: list[Paper], answer: list[dict[str, Any]],
          source: str) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """Accepted guide records and the problems per uid (``*`` for the file as a whole)."""
    problems: dict[str, list[str]] = {}
    by_uid = {}
    for rec in answer:
        uid = rec.get("uid")
        if uid in by_uid:
            problems.setdefault(str(uid), []).append("answered twice: keep one object per paper")
        by_uid[uid] = rec
    extra = [u for u in by_uid if u not in {p.uid for p in batch}]
    if extra:
        problems.setdefault("*", []).append(f"uids not in the batch: {extra}")
    accepted = []
    for paper in batch:
        rec = by_uid.get(paper.uid)
        if rec is None:
            problems.setdefault(paper.uid, []).append("no answer for this paper")
            continue
        record, found = align(rec, paper)
        if found:
            problems.setdefault(paper.uid, []).extend(found)
        else:
            record["source"] = source
            accepted.append(record)
    return accepted, problems


def _report(problems: dict[str, list[str]]) -> None:
    for uid, lines in problems.items():
        for line in lines:
            print(f"{uid}: {line}")


def _batch_cmd(args: argparse.Namespace) -> int:
    uids = read_uids(uids_file(args.uids))
    chosen = uids[args.start - 1 : args.end]
    papers = read_papers(chosen, data_dir(args.data))
    args.out.mkdir(parents=True, exist_ok=True)
    paths = [args.out / f"{args.name}-{k // args.size + 1:03d}.jsonl" for k in range(0, len(chosen), args.size)]
    taken = [p for p in paths if p.exists()]
    if taken:
        raise InputError(f"batch file {taken[0]} exists (answers may refer to it): choose another --name")
    for k, path in zip(range(0, len(chosen), args.size), paths, strict=True):
        with path.open("w", encoding="utf-8") as fh:
            for uid in chosen[k : k + args.size]:
                p = papers[uid]
                fh.write(json.dumps({"uid": uid, "title": p.title, "abstract": p.abstract}, ensure_ascii=False) + "\n")
        log.info("wrote %s", path)
    return 0


def _check_cmd(args: argparse.Namespace) -> int:
    accepted, problems = check(read_batch(args.batch), read_answer(args.answer), args.batch.stem)
    _report(problems)
    n = len(read_batch(args.batch))
    print(f"{len(accepted)} of {n} papers accepted" + ("" if problems else "; no problems"))
    if args.into and (not problems or args.partial):
        total = write_records(args.into, accepted)
        print(f"{args.into}: {total} records")
    return 1 if problems else 0


HELD_EVERY = 10  # every 10th train record is held out: early stopping and confidence fitting


def split_train(records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(fit, held): every ``HELD_EVERY``-th record of the train file is held out, the rest fitted."""
    held = [r for i, r in enumerate(records) if i % HELD_EVERY == HELD_EVERY - 1]
    fit = [r for i, r in enumerate(records) if i % HELD_EVERY != HELD_EVERY - 1]
    return fit, held


def split_decisions(records: list[dict[str, Any]], ner_papers: int | None,
                    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(fit, held) for the decisions: the NER's fit and held records (``split_train``), and with ``ner_papers``
    the records after the shipped NER's first N held out too, so that thresholds and calibration rest on more
    papers the shipped NER reads as it will read new ones."""
    if ner_papers is None:
        return split_train(records)
    fit, held = split_train(records[:ner_papers])
    return fit, held + records[ner_papers:]


def candidate_cache(folder: Path, ner: Path) -> Path:
    """Where ``fit --cache`` keeps the candidates of ``ner``: a file per NER path and per version of the candidate
    extractor (the NER's weights, the rules, the relation model), so that a NER retrained at the same path never
    reads its predecessor's candidates."""
    from extract.extractor import extractor_version

    version = hashlib.blake2b(extractor_version(model_dir=ner, decisions=None).encode(), digest_size=4)
    return folder / f"{ner.resolve().as_posix().replace('/', '_')}.{version.hexdigest()}.jsonl"


def _prepare_cmd(args: argparse.Namespace) -> int:
    from extract.training.annotation.spacy_docs import write_docbin

    train = read_records(args.annotations / "train.jsonl")[: args.limit]
    dev = read_records(args.annotations / "dev.jsonl")
    fit, held = split_train(train)
    papers = read_papers([r["uid"] for r in train + dev], data_dir(args.data))
    folds = [[r for i, r in enumerate(train) if i % 2 == k] for k in (0, 1)]
    for name, recs in (("abx_train", fit), ("abx_held", held), ("abx_dev", dev),
                       ("abx_fold0", folds[0]), ("abx_fold1", folds[1])):
        counts = write_docbin(recs, papers, args.out / f"{name}.spacy")
        print(f"{name}: {len(recs)} papers, {counts}")
    return 0


def _fit_cmd(args: argparse.Namespace) -> int:
    from extract.extractor import Extractor
    from extract.training.annotation.fit import fit_decisions
    from kg.model import Paper as InputPaper

    train = read_records(args.annotations / "train.jsonl")[: args.limit]
    fit, held = split_decisions(train, args.ner_papers)
    papers = read_papers([r["uid"] for r in train], data_dir(args.data))

    def candidates(ner: Path, records: list[dict[str, Any]]) -> list:
        """The candidate extractions of ``records`` by ``ner``, kept under ``--cache`` between runs."""
        from kg.graph import codec

        cache = candidate_cache(args.cache, ner) if args.cache else None
        done = {}
        if cache is not None and cache.exists():
            done = {d["paper"]["key"]: d for d in map(json.loads, cache.read_text(encoding="utf-8").splitlines())}
        todo = [r for r in records if r["uid"] not in done]
        if todo:
            extractor = Extractor(model_dir=ner, decisions=None)
            inputs = [InputPaper(key=r["uid"], title=papers[r["uid"]].title, abstract=papers[r["uid"]].abstract)
                      for r in todo]
            for ex in extractor.extract_many(inputs):
                done[ex.paper.key] = codec.to_dict(ex)
            if cache is not None:
                cache.parent.mkdir(parents=True, exist_ok=True)
                cache.write_text("".join(json.dumps(d) + "\n" for d in done.values()), encoding="utf-8")
        return [(codec.from_dict(done[r["uid"]]), r) for r in records]

    # a fit paper's candidates come from the NER trained on the other half of train (abx_fold0 / abx_fold1);
    # a held paper's from the NER that ships (trained on the fit papers only)
    fit_pairs = []
    for k, ner in enumerate(args.folds):
        fold = {r["uid"] for i, r in enumerate(train) if i % 2 == k}
        fit_pairs += candidates(ner, [r for r in fit if r["uid"] not in fold])
    from extract.pipeline import rule_paths

    rules = rule_paths()
    report = fit_decisions(fit_pairs, candidates(args.ner, held), args.out, l2=dict(args.l2),
                           setting_numbers=rules["settings"], gazetteer=rules["terms"])
    print(json.dumps(report))
    return 0


def _l2_setting(text: str) -> tuple[str, float]:
    from extract.training.annotation.fit import L2

    name, _, value = text.partition("=")
    try:
        strength = float(value)
    except ValueError:
        strength = -1.0
    if name not in L2 or not 0 <= strength < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r}: write DECISION=VALUE, with DECISION one of {', '.join(L2)} "
                                         "and VALUE a number >= 0, e.g. claims=0.0003")
    return name, strength


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    p = argparse.ArgumentParser(prog="python -m extract.training.annotation")
    sub = p.add_subparsers(dest="verb", required=True)
    b = sub.add_parser("batch", help="write batch files for annotators")
    b.add_argument("--from", dest="start", type=int, required=True, help="first position in the uid list (1-based)")
    b.add_argument("--to", dest="end", type=int, required=True, help="last position (inclusive)")
    b.add_argument("--size", type=int, default=20)
    b.add_argument("--name", required=True, help="batch name prefix, e.g. dev or train")
    b.add_argument("--out", type=Path, default=Path("build/annotation/batches"))
    b.add_argument("--data", default=None, help="data folder (else $ABSTRACTA_DATA)")
    b.add_argument("--uids", default=None, help="uids.txt (else $ABSTRACTA_ANNOTATION/uids.txt)")
    for verb in ("check", "ingest"):
        c = sub.add_parser(verb, help="check an annotator's answer" + (" and store it" if verb == "ingest" else ""))
        c.add_argument("batch", type=Path)
        c.add_argument("answer", type=Path)
        c.add_argument("--into", type=Path, required=verb == "ingest", default=None)
        c.add_argument("--partial", action="store_true", help="store the accepted records even if others are rejected")
    pr = sub.add_parser("prepare", help="write the NER training DocBins (fit, held-out, dev) under build/corpus")
    pr.add_argument("--annotations", type=Path, default=ANNOTATIONS_DIR)
    pr.add_argument("--out", type=Path, default=Path("build/corpus"))
    pr.add_argument("--data", default=None, help="data folder (else $ABSTRACTA_DATA)")
    pr.add_argument("--limit", type=int, default=None, help="only the first N records of train.jsonl")
    f = sub.add_parser("fit", help="fit the paper-level decisions on train (candidates from cross-fitted NERs)")
    f.add_argument("--ner", type=Path, required=True, help="the NER that ships (trained on abx_train)")
    f.add_argument("--folds", type=Path, nargs=2, required=True,
                   help="the two NERs trained on abx_fold0 and abx_fold1 (for the fit papers' candidates)")
    f.add_argument("--ner-papers", type=int, default=None,
                   help="the shipped NER was trained on the first N train records (prepare --limit N): "
                        "hold out the rest too, for thresholds and calibration")
    f.add_argument("--limit", type=int, default=None,
                   help="only the first N records of train.jsonl (records annotated later stay out)")
    f.add_argument("--annotations", type=Path, default=ANNOTATIONS_DIR)
    f.add_argument("--out", type=Path, default=Path("extract/models/decisions"))
    f.add_argument("--data", default=None, help="data folder (else $ABSTRACTA_DATA)")
    f.add_argument("--cache", type=Path, default=None,
                   help="keep each NER's candidate extractions here between runs (e.g. build/candidates)")
    f.add_argument("--l2", type=_l2_setting, action="append", default=[], metavar="DECISION=VALUE",
                   help="another L2 strength for one decision (entities, roles, claims, results, metrics, methods); "
                        "repeat for several")
    args = p.parse_args(argv)
    verbs = {"fit": _fit_cmd, "batch": _batch_cmd, "check": _check_cmd, "ingest": _check_cmd, "prepare": _prepare_cmd}
    try:
        return verbs[args.verb](args)
    except AbstractaError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
