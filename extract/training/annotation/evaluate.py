"""``python -m extract.training evaluate-pipeline --format abstracta PATH``: the extractor against our own annotations.

``PATH`` is an annotation file (``extract/training/data/dev.jsonl``). The papers' text comes
from the data folder (``--data`` or ``$ABSTRACTA_DATA``). When a second, independent annotation
of some of the same papers sits beside it (``dev-second.jsonl``), the agreement between the two
on those papers is printed beside every score: the ceiling an extractor can be measured to.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from extract.training.annotation.predict import predict
from extract.training.annotation.score import calibration, claim_outcomes, link_outcomes, result_outcomes, score
from extract.training.annotation.source import data_dir, read_papers
from extract.training.annotation.store import read_records
from kg.errors import InputError

TARGETS = {"lenient/Method": 0.85, "lenient/Dataset": 0.85, "lenient/Task": 0.75, "lenient/Metric": 0.75,
           "proposed/Method": 0.85, "claims": 0.85, "results/value+metric": 0.70,
           "results/value+metric+method": 0.60}


def second_path(path: Path) -> Path:
    """Where the second annotation of ``path``'s papers is kept: ``NAME-second.jsonl`` beside it."""
    return path.with_name(f"{path.stem}-second{path.suffix}")


def agreement(path: Path) -> dict[str, Any]:
    """Scores of the second annotation against the first, on the papers both annotated."""
    second = read_records(second_path(path))
    if not second:
        return {}
    uids = {r["uid"] for r in second}
    first = [r for r in read_records(path) if r["uid"] in uids]
    return score(second, first)


def evaluate_lines(path: str | Path, data: str | None = None, limit: int | None = None,
                   extractor: Any = None) -> Iterator[str]:
    """The evaluation report, line by line; the last line is one JSON object."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path} does not exist: give an annotation file such as extract/training/data/dev.jsonl")
    gold = read_records(path)
    if not gold:
        raise InputError(f"{path} holds no annotation records: "
                         "give an annotation file such as extract/training/data/dev.jsonl")
    gold = gold[:limit] if limit else gold
    papers = read_papers([r["uid"] for r in gold], data_dir(data))
    pred = list(predict((papers[r["uid"]] for r in gold), extractor))
    scores = score(pred, gold)
    ceiling = agreement(path)
    yield f"{len(gold)} papers of {path.name}; agreement on {_n_second(path)} doubly annotated papers"
    yield f"{'field':30} {'P':>6} {'R':>6} {'F1':>6} {'pred':>5} {'gold':>5} {'agree':>6} {'target':>6}"
    for field, s in scores.items():
        agree = f"{ceiling[field].f:6.3f}" if field in ceiling else f"{'-':>6}"
        target = f"{TARGETS[field]:6.2f}" if field in TARGETS else f"{'':>6}"
        yield f"{field:30} {s.p:6.3f} {s.r:6.3f} {s.f:6.3f} {s.n_pred:5d} {s.n_gold:5d} {agree} {target}"
    table, ece = calibration(link_outcomes(pred, gold))
    yield "link calibration (paper-entity links): bin, links, mean confidence, fraction right"
    for row in table:
        yield f"  {row['bin']}  {row['n']:5d}  {row['confidence']:.3f}  {row['right']:.3f}"
    yield f"  expected calibration error {ece:.4f}"
    others = {kind: calibration(outcomes(pred, gold)) for kind, outcomes in
              (("claims", claim_outcomes), ("results", result_outcomes))}
    for kind, (rows, error) in others.items():
        shown = ", ".join(f"{r['bin']}: {r['n']} at {r['confidence']:.2f}, {r['right']:.2f} right" for r in rows)
        yield f"{kind} calibration: expected calibration error {error:.4f} ({shown})"
    yield json.dumps({"file": path.name, "papers": len(gold),
                      "scores": {k: v.as_dict() for k, v in scores.items()},
                      "agreement": {k: round(v.f, 4) for k, v in ceiling.items()},
                      "calibration": {"links": table, "ece": ece, **{
                          kind: {"table": rows, "ece": error} for kind, (rows, error) in others.items()}}},
                     sort_keys=True)


def _n_second(path: Path) -> int:
    return len(read_records(second_path(path)))
