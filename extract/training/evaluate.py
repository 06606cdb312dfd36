"""``python -m extract.training evaluate-pipeline --format {scierc,scier,tdmsci} PATH``: the pipeline on a benchmark.

The pipeline runs on each document's gold tokens (so spans align exactly) and
its output is mapped onto the benchmark's labels. Entities are scored by exact
span and type; relations (SciERC, SciER) by exact boundaries of both arguments
plus the relation type, and "strict" adds both entity types. ``--mode`` picks
what predicts entities: the trained model's head for that scheme, the rules
(mapped onto the scheme), or both (the model, then rule spans that overlap none
of its spans).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from spacy.language import Language
from spacy.tokens import Doc

from extract.components.common import CANDIDATES

if TYPE_CHECKING:  # the functions below import corpora when they run
    from extract.training.corpora import Corpus, Entity

logger = logging.getLogger(__name__)

# How rule candidates (our entity types) read in each benchmark's scheme.
RULES_AS = {
    "scierc": {"Method": "Method", "Task": "Task", "Metric": "Metric", "Dataset": "Material",
               "Concept": "OtherScientificTerm"},
    "scier": {"Method": "Method", "Task": "Task", "Dataset": "Dataset"},
    "tdmsci": {"Task": "TASK", "Dataset": "DATASET", "Metric": "METRIC"},
}
# Which model head answers for a scheme, and how its labels read there.
MODEL_AS = {
    "scierc": {"scierc": None},
    "scier": {"scier": None},
    "tdmsci": {"scier": {"Task": "TASK", "Dataset": "DATASET"}, "scierc": {"Metric": "METRIC"}},
}
# The relation model's decision threshold here, for each benchmark, chosen on its dev split end to end (on the
# pipeline's own entities, mode both). A model's own threshold (its model.json) is tuned on gold entities, where
# every candidate pair joins two real entities; among predicted ones more pairs are wrong, and both dev splits
# peak one grid step higher (docs/notes/relations-experiments.md, "Round nine").
END_TO_END_THRESHOLD = {"scierc": 0.35, "scier": 0.30}


def _read(fmt: str, path: Path) -> Corpus:
    from extract.training import corpora

    return {"scierc": corpora.read_scierc, "scier": corpora.read_scier, "tdmsci": corpora.read_tdmsci}[fmt](path)


def _model_spans(doc: Doc, fmt: str) -> set[tuple[int, int, str]]:
    out = set()
    for key, mapping in MODEL_AS[fmt].items():
        for s in doc.spans.get(key, []):
            label = s.label_ if mapping is None else mapping.get(s.label_)
            if label:
                out.add((s.start, s.end, label))
    return out


def _rule_spans(doc: Doc, fmt: str) -> set[tuple[int, int, str]]:
    """Rule candidates, overlaps resolved longest-first, mapped onto the scheme."""
    mapping = RULES_AS[fmt]
    spans = [s for s in doc.spans.get(CANDIDATES, []) if not s.id_.startswith("model-") and s.label_ in mapping]
    taken: set[int] = set()
    out = set()
    for s in sorted(spans, key=lambda s: (-len(s), s.start)):
        if taken.isdisjoint(range(s.start, s.end)):
            taken.update(range(s.start, s.end))
            out.add((s.start, s.end, mapping[s.label_]))
    return out


def predict(doc: Doc, fmt: str, mode: str) -> set[tuple[int, int, str]]:
    model = _model_spans(doc, fmt) if mode in ("both", "model") else set()
    if mode == "model":
        return model
    rules = _rule_spans(doc, fmt)
    if mode == "rules":
        return rules
    covered = {i for s, e, _ in model for i in range(s, e)}
    return model | {r for r in rules if covered.isdisjoint(range(r[0], r[1]))}


def _to_entities(spans: set[tuple[int, int, str]], sent_starts: list[int]) -> list[Entity]:
    from bisect import bisect_right

    from extract.training.corpora import Entity

    out = []
    for s, e, label in sorted(spans):
        i = bisect_right(sent_starts, s) - 1
        if i + 1 < len(sent_starts) and e > sent_starts[i + 1]:
            continue  # a span across sentences cannot be a relation argument
        out.append(Entity(i, s - sent_starts[i], e - sent_starts[i], label))
    return out


def evaluate(fmt: str, path: str | Path, *, mode: str = "both", limit: int | None = None,
             nlp: Language | None = None, bootstrap: int = 0) -> dict:
    """Scores of the full pipeline on a benchmark file, as a JSON-ready dict.

    ``bootstrap`` > 0 adds a 95% interval to the micro F1 of entities and relations (boundaries):
    the documents drawn again with replacement that many times (seed 0, so the figures repeat).
    """
    from extract.pipeline import ALL_HEADS, NER_JOINT, build_pipeline
    from extract.training.scoring import PRF, bootstrap_f1
    from extract.training.spans import gold_spans, score_spans, tokens_doc

    corpus = _read(fmt, Path(path))
    docs = list(corpus.docs[:limit] if limit else corpus.docs)
    # relations are scored from its entities
    nlp = nlp or build_pipeline(model_dir=NER_JOINT, heads=ALL_HEADS, relations=None)
    gold, pred, predicted_entities = [], [], []
    for ad in docs:
        doc = tokens_doc(nlp.vocab, ad.sentences)
        for name, proc in nlp.pipeline:
            if name != "abx_sentencizer":  # keep the gold sentence boundaries
                doc = proc(doc)
        spans = predict(doc, fmt, mode)
        gold.append(gold_spans(ad))
        pred.append(spans)
        starts, n = [], 0
        for sent in ad.sentences:
            starts.append(n)
            n += len(sent)
        predicted_entities.append(_to_entities(spans, starts))
    micro, per = score_spans(gold, pred)

    def row(x: PRF) -> dict:
        return {"precision": round(100 * x.p, 2), "recall": round(100 * x.r, 2), "f1": round(100 * x.f, 2),
                "tp": x.tp, "fp": x.fp, "fn": x.fn}

    result = {"format": fmt, "path": str(path), "mode": mode, "documents": len(docs),
              "entities": {"micro": row(micro), "per_label": {k: row(v) for k, v in per.items()}},
              "relations": None}
    if bootstrap:
        result["bootstrap"] = {"resamples": bootstrap, "unit": "document", "level": 0.95, "seed": 0}
        per_doc = [score_spans([g], [p])[0] for g, p in zip(gold, pred, strict=True)]
        result["entities"]["micro"]["interval95"] = list(bootstrap_f1(per_doc, bootstrap))
    if fmt in ("scierc", "scier"):
        from extract.relations.model import load_model
        from extract.training.relations.evaluate import evaluate as evaluate_relations

        threshold = END_TO_END_THRESHOLD[fmt]
        rel_result = evaluate_relations(load_model(fmt), docs, predicted_entities, threshold)
        rel = rel_result.as_dict()
        result["relations"] = {
            "threshold": threshold,
            "boundaries": {"precision": rel["boundaries"]["p"], "recall": rel["boundaries"]["r"],
                           "f1": rel["boundaries"]["f"]},
            "strict": {"precision": rel["strict"]["p"], "recall": rel["strict"]["r"], "f1": rel["strict"]["f"]},
            "per_label": {k: {"precision": v["p"], "recall": v["r"], "f1": v["f"]}
                          for k, v in rel["per_label"].items()},
            # how many gold relations have both arguments among the predicted entities: the relation
            # model's recall ceiling on them, and the NER's share of the relation score
            "arguments": {"gold_relations": rel["gold"], "both_found": rel["both_arguments_found"]},
        }
        if bootstrap:
            result["relations"]["boundaries"]["interval95"] = list(bootstrap_f1(rel_result.per_doc, bootstrap))
    return result


def _interval(row: dict) -> str:
    if "interval95" not in row:
        return ""
    low, high = row["interval95"]
    return f"   95% interval {low:.2f}-{high:.2f} (documents resampled)"


def format_table(result: dict) -> str:
    lines = [f"{result['format']} {result['path']} ({result['documents']} documents, mode {result['mode']})",
             f"{'entities':<22}{'P':>8}{'R':>8}{'F1':>8}"]
    for label, r in sorted(result["entities"]["per_label"].items()):
        lines.append(f"  {label:<20}{r['precision']:>8.2f}{r['recall']:>8.2f}{r['f1']:>8.2f}")
    m = result["entities"]["micro"]
    lines.append(f"  {'micro':<20}{m['precision']:>8.2f}{m['recall']:>8.2f}{m['f1']:>8.2f}{_interval(m)}")
    if result["relations"]:
        lines.append(f"{'relations':<22}{'P':>8}{'R':>8}{'F1':>8}   (threshold {result['relations']['threshold']})")
        for label, r in sorted(result["relations"]["per_label"].items()):
            lines.append(f"  {label:<20}{r['precision']:>8.2f}{r['recall']:>8.2f}{r['f1']:>8.2f}")
        for kind in ("boundaries", "strict"):
            r = result["relations"][kind]
            lines.append(f"  {'micro ' + kind:<20}{r['precision']:>8.2f}{r['recall']:>8.2f}{r['f1']:>8.2f}"
                         f"{_interval(r)}")
        a = result["relations"]["arguments"]
        lines.append(f"  gold relations with both arguments among the entities: {a['both_found']} of "
                     f"{a['gold_relations']} (the relations' recall ceiling)")
    return "\n".join(lines)


def evaluate_main(fmt: str, path: str, *, mode: str, limit: int | None, bootstrap: int = 0) -> Sequence[str]:
    """The printed lines: a table, then one JSON object (the last line)."""
    result = evaluate(fmt, path, mode=mode, limit=limit, bootstrap=bootstrap)
    return [format_table(result), json.dumps(result)]
