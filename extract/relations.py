"""A small, fast relation classifier: entity pairs of a sentence -> relation type or none.

Design (see ``docs/relations-notes.md`` for the experiment log):

* **Candidates.** Every *unordered* pair of non-overlapping entities of one
  sentence, taken in text order ``(a, b)`` with ``a`` first, with at most
  ``max_between`` other entities between them. In SciERC and SciER no gold
  relation links overlapping spans, and (bar 8 of 8,743 SciER train relations)
  no pair is linked in both directions, so one decision per unordered pair loses
  nothing and halves the work.
* **Classes.** ``NONE`` plus every relation label in both directions:
  ``"USED-FOR>"`` means ``a`` is the head (``a -> b``), ``"USED-FOR<"`` means
  ``b -> a``. Symmetric labels (COMPARE, CONJUNCTION; Compare-With, Synonym-Of)
  are learned with the direction the annotators wrote them in (mostly the first
  mention as head), so the output follows the gold convention and is scored by
  the standard *directed* exact match.
* **Features.** Sparse binary string features (types of both arguments, their
  head/first words and surfaces, the words between them: bag, first, last,
  bigrams, the whole span when short and a version with inner entities replaced
  by their type, distance and inner-entity counts, words around the pair,
  parentheses, cue phrases), mostly also conjoined with the type pair. The
  feature vocabulary is the set seen ``min_count`` times in training (sorted, so
  the model is a deterministic function of the data).
* **Classifier.** Multinomial logistic regression with L2, trained full-batch
  by L-BFGS (scipy), zero start: deterministic, no seeds needed. Or, with
  ``output`` set, one hidden layer over the same features: the sum of the
  present features' rows of ``weights``, a ReLU, then ``output`` (trained with
  torch by :mod:`extract.training.relation_student`; run here with numpy only).
* **Fitting** (training time only) lives in :mod:`extract.relations_fit`.
* **Distillation.** :func:`extract.relations_fit.train_relations` can add a teacher's silver file
  (:func:`extract.relations_fit.silver_examples`): pairs among predicted entities of unlabelled text,
  each with the teacher's class probabilities as its target.
* **Decision.** Output the best non-``NONE`` class when its probability is at
  least ``threshold`` (tuned on dev by :func:`tune_threshold`).
* **Artefacts.** A directory with ``model.json`` (settings, classes, feature
  strings) and ``weights.npz`` (float16 matrices; a hidden layer's input rows
  as int8 codes with a power-of-two step per row); nothing pickled.

Index convention: as :mod:`extract.corpora`: token spans ``(start, end)`` within
a sentence, ``end`` exclusive.

>>> feats = pair_features(("a", "CNN", "for", "parsing", "."), (1, 2, "Method"), (3, 4, "Task"), 0)
>>> "bs=for" in feats and "tp=Method|Task" in feats
True

Command line: ``python -m extract.relations train|eval|speed --help``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from extract.annotated import AnnotatedDoc, Entity
from extract.scoring import PRF

log = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).resolve().parent / "models"
NONE = "NONE"

SCHEMES: dict[str, dict] = {
    "scierc": {
        "labels": ("USED-FOR", "FEATURE-OF", "HYPONYM-OF", "PART-OF", "COMPARE", "CONJUNCTION", "EVALUATE-FOR"),
        "train": "scierc:train",
        "dev": "scierc:dev",
    },
    "scier": {
        "labels": (
            "Used-For",
            "Part-Of",
            "Evaluated-With",
            "Synonym-Of",
            "Compare-With",
            "SubClass-Of",
            "Benchmark-For",
            "SubTask-Of",
            "Trained-With",
        ),
        "train": "scier:train",
        "dev": "scier:dev",
    },
}

# Multi-word cues looked for in the words between the two arguments.
_CUES = (
    "such as",
    "as well as",
    "compared to",
    "compared with",
    "in terms of",
    "based on",
    "applied to",
    "used for",
    "used to",
    "is a",
    "are a",
    "as a",
    "consists of",
    "evaluated on",
    "trained on",
    "in order to",
    "rather than",
    "instead of",
    "e.g.",
    "i.e.",
)
_OPEN = {"(", "-lrb-", "["}
_CLOSE = {")", "-rrb-", "]"}

Span = tuple  # (start, end_exclusive, label or None)
MAX_BETWEEN = 8  # the candidate rule's default: at most this many other entities between the two of a pair


def _bucket(n: int) -> str:
    if n <= 4:
        return str(n)
    if n <= 6:
        return "5-6"
    if n <= 9:
        return "7-9"
    if n <= 14:
        return "10-14"
    return "15+"


def _head(lower: Sequence[str], start: int, end: int) -> str:
    """Last word of the span, or the word before an inner "of"/"for" ("accuracy of parsers" -> accuracy)."""
    for k in range(start + 1, end - 1):
        if lower[k] in ("of", "for"):
            return lower[k - 1]
    return lower[end - 1]


def pair_features(
    tokens: Sequence[str],
    a: Span,
    b: Span,
    n_between: int,
    *,
    lower: Sequence[str] | None = None,
    inner: Sequence[Span] = (),
) -> list[str]:
    """String features of the pair ``a`` (first in the text) and ``b`` (after it, not overlapping).

    ``n_between`` counts the other entities wholly between them; ``inner`` lists
    them (used for the type-masked between string).
    """
    lw = lower if lower is not None else [t.lower() for t in tokens]
    n = len(lw)
    a0, a1 = a[0], a[1]
    b0, b1 = b[0], b[1]
    ta = a[2] if len(a) > 2 and a[2] else "ENT"
    tb = b[2] if len(b) > 2 and b[2] else "ENT"
    tp = f"{ta}|{tb}"
    ha, hb = _head(lw, a0, a1), _head(lw, b0, b1)
    between = lw[a1:b0]
    nb = len(between)
    f = [
        "tp=" + tp,
        "ta=" + ta,
        "tb=" + tb,
        "ha=" + ha,
        "hb=" + hb,
        f"ha|tb={ha}|{tb}",
        f"ta|hb={ta}|{hb}",
        f"ha|hb={ha}|{hb}",
        "fa=" + lw[a0],
        "fb=" + lw[b0],
        "nb=" + _bucket(nb),
        f"nb|tp={_bucket(nb)}|{tp}",
        f"ne={min(n_between, 3)}",
        f"ne|tp={min(n_between, 3)}|{tp}",
        f"la={min(a1 - a0, 4)}",
        f"lb={min(b1 - b0, 4)}",
    ]
    if a1 - a0 <= 4:
        f.append("sa=" + " ".join(lw[a0:a1]))
    if b1 - b0 <= 4:
        f.append("sb=" + " ".join(lw[b0:b1]))
    # words before a and after b
    pa1 = lw[a0 - 1] if a0 >= 1 else "<s>"
    pa2 = lw[a0 - 2] if a0 >= 2 else "<s>"
    nb1 = lw[b1] if b1 < n else "</s>"
    nb2 = lw[b1 + 1] if b1 + 1 < n else "</s>"
    f += ["a-1=" + pa1, f"a-2,a-1={pa2}_{pa1}", "b+1=" + nb1, f"b+1,b+2={nb1}_{nb2}", f"a-1|tp={pa1}|{tp}"]
    f.append(f"b+1|tp={nb1}|{tp}")
    if pa1 in _OPEN and a1 < n and lw[a1] in _CLOSE:
        f.append("a_in_paren")
    if b0 >= 1 and lw[b0 - 1] in _OPEN and nb1 in _CLOSE:
        f.append("b_in_paren")
    if nb == 0:
        f += ["adjacent", "adjacent|" + tp]
    else:
        f += [
            "bf=" + between[0],
            "bl=" + between[-1],
            f"bf|tp={between[0]}|{tp}",
            f"bl|tp={between[-1]}|{tp}",
        ]
        seen = set()
        for w in between:
            if w not in seen:
                seen.add(w)
                f.append("bw=" + w)
                if nb <= 10:
                    f.append(f"bw|tp={w}|{tp}")
        for k in range(nb - 1):
            f.append(f"bb={between[k]}_{between[k + 1]}")
        if nb <= 4:
            s = " ".join(between)
            f += ["bs=" + s, f"bs|tp={s}|{tp}"]
        if between[0] in _OPEN:
            f.append("b_after_paren")
        joined = " " + " ".join(between) + " "
        for cue in _CUES:
            if f" {cue} " in joined:
                f.append("cue=" + cue)
    if inner or n_between == 0:
        # the between words with inner entities replaced by their type, when short
        parts: list[str] = []
        k = a1
        for e in inner:
            parts.extend(lw[k : e[0]])
            parts.append("<" + (e[2] if len(e) > 2 and e[2] else "ENT") + ">")
            k = e[1]
        parts.extend(lw[k:b0])
        if 0 < len(parts) <= 6:
            f.append("bm=" + " ".join(parts) + "|" + tp)
    return f


def candidate_pairs(spans: Sequence[Span], max_between: int) -> list[tuple[int, int, int, list[int]]]:
    """``(i, j, n_between, inner)`` for the non-overlapping pairs, ``i`` first in text order."""
    order = sorted(range(len(spans)), key=lambda k: (spans[k][0], spans[k][1]))
    out = []
    for x, i in enumerate(order):
        si = spans[i]
        for j in order[x + 1 :]:
            sj = spans[j]
            if sj[0] < si[1]:  # overlapping / nested
                continue
            inner = [k for k in order if k != i and k != j and spans[k][0] >= si[1] and spans[k][1] <= sj[0]]
            if len(inner) > max_between:
                break
            out.append((i, j, len(inner), inner))
    return out


# ------------------------------------------------------------------ model

FORMAT_LINEAR = "abstracta-relations/1"
FORMAT_HIDDEN = "abstracta-relations/2"  # adds the hidden layer's output weights


def _f16(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(a, dtype=np.float16), dtype=np.float32)


def _q8(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row as int8 codes times a power-of-two step: ``(codes, exponents)``, ``row = codes * 2.0**exponent``.

    Powers of two make it idempotent: quantising an already quantised matrix gives the same values, so a
    saved and reloaded model predicts exactly what the trained one does."""
    a = np.asarray(a, dtype=np.float32)
    top = np.abs(a).max(axis=1)
    exp = np.where(top > 0, np.ceil(np.log2(np.maximum(top, 1e-30) / 127.0)), 0).astype(np.int8)
    codes = np.clip(np.rint(a / np.exp2(exp.astype(np.float32))[:, None]), -127, 127).astype(np.int8)
    return codes, exp


def _from_q8(codes: np.ndarray, exp: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(codes.astype(np.float32) * np.exp2(exp.astype(np.float32))[:, None])


@dataclass
class RelationModel:
    """A trained relation classifier; see the module docstring."""

    scheme: str
    classes: tuple[str, ...]
    features: tuple[str, ...]
    # (n_features + 1, n_classes) float32, the last row the bias; with a hidden layer, (n_features + 1, hidden)
    weights: np.ndarray
    threshold: float = 0.5
    max_between: int = MAX_BETWEEN
    settings: dict = field(default_factory=dict)
    # the hidden layer's output weights, (hidden + 1, n_classes), the last row the bias; None for a linear model
    output: np.ndarray | None = None
    _index: dict[str, int] = field(default=None, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        # round the weights here as they are stored (float16; a hidden layer's input rows, most of
        # its size, int8) so that a saved and reloaded model predicts exactly what the trained one does
        self.weights = _f16(self.weights) if self.output is None else _from_q8(*_q8(self.weights))
        width = self.weights.shape[1]
        if self.output is not None:
            self.output = _f16(self.output)
            if self.output.shape != (width + 1, len(self.classes)):
                raise ValueError(f"output weights {self.output.shape} do not fit hidden width {width} "
                                 f"and {len(self.classes)} classes")
        elif width != len(self.classes):
            raise ValueError(f"weights have {width} columns for {len(self.classes)} classes")
        self._index = {f: k for k, f in enumerate(self.features)}

    @property
    def hidden(self) -> int:
        """The hidden layer's width; 0 for a linear model."""
        return 0 if self.output is None else self.weights.shape[1]

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c[:-1] for c in self.classes if c != NONE))

    # -------------------------------------------------------------- prediction

    def _rows(self, tokens: Sequence[str], spans: Sequence[Span]):
        lower = [t.lower() for t in tokens]
        pairs = candidate_pairs(spans, self.max_between)
        index = self._index
        rows = []
        for i, j, nbw, inner in pairs:
            feats = pair_features(tokens, spans[i], spans[j], nbw, lower=lower, inner=[spans[k] for k in inner])
            rows.append([index[x] for x in feats if x in index])
        return pairs, rows

    def _scores(self, rows: list[list[int]]) -> np.ndarray:
        w = self.weights
        bias = w[-1]
        out = np.empty((len(rows), w.shape[1]), dtype=np.float32)
        for r, idx in enumerate(rows):
            out[r] = w[idx].sum(axis=0) + bias if idx else bias
        if self.output is not None:  # ReLU, then the output layer
            np.maximum(out, 0.0, out=out)
            out = out @ self.output[:-1] + self.output[-1]
        out -= out.max(axis=1, keepdims=True)
        np.exp(out, out=out)
        out /= out.sum(axis=1, keepdims=True)
        return out

    def predict_proba(self, tokens: Sequence[str], entity_spans: Sequence[Span]):
        """``(pairs, probabilities)``: the candidate pairs and a row of class probabilities each."""
        pairs, rows = self._rows(tokens, entity_spans)
        return pairs, self._scores(rows)

    def predict_relations(
        self, tokens: Sequence[str], entity_spans: Sequence[Span], threshold: float | None = None
    ) -> list[tuple[int, int, str, float]]:
        """Relations among the entities of one sentence.

        ``entity_spans``: ``(start, end_exclusive, label)`` (label may be ``None``)
        within ``tokens``. Returns ``(head_idx, tail_idx, label, probability)``,
        indices into ``entity_spans``, in text order of the pairs.
        """
        if len(entity_spans) < 2:
            return []
        thr = self.threshold if threshold is None else threshold
        pairs, probs = self.predict_proba(tokens, entity_spans)
        if not pairs:
            return []
        none = self.classes.index(NONE)
        p = probs.copy()
        p[:, none] = -1.0
        best = p.argmax(axis=1)
        out = []
        for r, ((i, j, _, _), c) in enumerate(zip(pairs, best, strict=True)):
            prob = float(probs[r, c])
            if prob < thr:
                continue
            name = self.classes[c]
            label, direction = name[:-1], name[-1]
            h, t = (i, j) if direction == ">" else (j, i)
            out.append((h, t, label, prob))
        return out

    def predict_doc(
        self, sentences: Sequence[Sequence[str]], entities: Iterable[Entity], threshold: float | None = None
    ) -> list[tuple[Entity, Entity, str, float]]:
        """Relations of a whole document: ``(head_entity, tail_entity, label, probability)``."""
        by_sent: dict[int, list[Entity]] = {}
        for e in entities:
            by_sent.setdefault(e.sent, []).append(e)
        out = []
        for s, ents in sorted(by_sent.items()):
            spans = [(e.start, e.end, e.label) for e in ents]
            for h, t, label, prob in self.predict_relations(sentences[s], spans, threshold):
                out.append((ents[h], ents[t], label, prob))
        return out

    # -------------------------------------------------------------- persistence

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": FORMAT_LINEAR,
            "scheme": self.scheme,
            "classes": list(self.classes),
            "threshold": self.threshold,
            "max_between": self.max_between,
            "settings": self.settings,
            "features": list(self.features),
        }
        if self.output is None:
            arrays = {"weights": self.weights.astype(np.float16)}
        else:
            meta["format"] = FORMAT_HIDDEN
            codes, exp = _q8(self.weights)
            arrays = {"codes": codes, "exponents": exp, "output": self.output.astype(np.float16)}
        (path / "model.json").write_text(json.dumps(meta, ensure_ascii=False, separators=(",", ":")) + "\n")
        np.savez_compressed(path / "weights.npz", **arrays)
        return path

    @classmethod
    def load(cls, path: str | Path) -> RelationModel:
        path = Path(path)
        meta = json.loads((path / "model.json").read_text())
        if meta.get("format") not in (FORMAT_LINEAR, FORMAT_HIDDEN):
            raise ValueError(f"{path}: not a relation model (format {meta.get('format')!r})")
        with np.load(path / "weights.npz", allow_pickle=False) as z:
            hidden = meta["format"] == FORMAT_HIDDEN
            weights = _from_q8(z["codes"], z["exponents"]) if hidden else z["weights"]
            output = z["output"] if hidden else None
        return cls(
            scheme=meta["scheme"],
            classes=tuple(meta["classes"]),
            features=tuple(meta["features"]),
            weights=weights,
            threshold=float(meta["threshold"]),
            max_between=int(meta["max_between"]),
            settings=meta.get("settings", {}),
            output=output,
        )


_LOADED: dict[str, RelationModel] = {}


def load_model(model: str | Path = "scierc") -> RelationModel:
    """A model by scheme name (``"scierc"``, ``"scier"``: the committed artefacts) or directory; cached."""
    key = str(model)
    if key not in _LOADED:
        path = MODELS_DIR / f"relations-{key}" if key in SCHEMES else Path(key)
        _LOADED[key] = RelationModel.load(path)
    return _LOADED[key]


def predict_relations(
    tokens: Sequence[str], entity_spans: Sequence[Span], model: RelationModel | str | Path = "scierc"
) -> list[tuple[int, int, str, float]]:
    """Module-level shortcut for :meth:`RelationModel.predict_relations` (default: the SciERC model)."""
    m = model if isinstance(model, RelationModel) else load_model(model)
    return m.predict_relations(tokens, entity_spans)


# ------------------------------------------------------------------ evaluation


RelScores = PRF  # relation counts are scored like any other


def _prf(gold: set, pred: set) -> RelScores:
    return RelScores(len(gold & pred), len(pred - gold), len(gold - pred))


def gold_relation_sets(doc: AnnotatedDoc, labels: Sequence[str]) -> tuple[set, set]:
    """``(boundaries, strict)`` tuple sets of a document's gold relations (strict adds argument types)."""
    types: dict[tuple, str] = {}
    for e in doc.entities:
        types.setdefault((e.sent, e.start, e.end), e.label)
    wanted = set(labels)
    b, s = set(), set()
    for r in doc.relations:
        if r.label not in wanted:
            continue
        b.add((r.sent, r.h_start, r.h_end, r.t_start, r.t_end, r.label))
        s.add(
            (
                r.sent,
                r.h_start,
                r.h_end,
                types.get((r.sent, r.h_start, r.h_end)),
                r.t_start,
                r.t_end,
                types.get((r.sent, r.t_start, r.t_end)),
                r.label,
            )
        )
    return b, s


def _pred_sets(preds: Iterable[tuple[Entity, Entity, str, float]]) -> tuple[set, set]:
    b, s = set(), set()
    for h, t, label, _ in preds:
        b.add((h.sent, h.start, h.end, t.start, t.end, label))
        s.add((h.sent, h.start, h.end, h.label, t.start, t.end, t.label, label))
    return b, s


@dataclass
class EvalResult:
    boundaries: RelScores
    strict: RelScores
    per_label: dict[str, RelScores]
    n_docs: int
    n_pairs: int
    seconds: float
    # gold relations whose head and tail spans are both among the entities scored: what any relation
    # model could find on them (boundaries), the ceiling of its recall
    both_arguments_found: int = 0
    per_doc: tuple[RelScores, ...] = ()  # boundaries counts of each document, in input order

    def as_dict(self) -> dict:
        def row(x: RelScores) -> dict:
            return x.as_dict()

        return {
            "boundaries": row(self.boundaries),
            "strict": row(self.strict),
            "per_label": {k: row(v) for k, v in sorted(self.per_label.items())},
            "docs": self.n_docs,
            "pairs": self.n_pairs,
            "ms_per_doc": round(1000 * self.seconds / max(self.n_docs, 1), 3),
            "pairs_per_s": round(self.n_pairs / self.seconds) if self.seconds else None,
            "both_arguments_found": self.both_arguments_found,
            "gold": self.boundaries.tp + self.boundaries.fn,
        }

    def table(self) -> str:
        lines = [f"relations (boundaries+type): {self.boundaries}", f"relations strict (+entity types): {self.strict}"]
        for k, v in sorted(self.per_label.items()):
            lines.append(f"  {k:<15} {v}  (gold {v.tp + v.fn})")
        return "\n".join(lines)


def evaluate(
    model: RelationModel,
    docs: Sequence[AnnotatedDoc],
    predicted_entities: Sequence[Sequence[Entity]] | None = None,
    threshold: float | None = None,
) -> EvalResult:
    """Micro P/R/F of the relations predicted on gold entities, or on ``predicted_entities`` (one list per doc)."""
    ents_per_doc = [d.entities for d in docs] if predicted_entities is None else predicted_entities
    gold_b, gold_s, pred_b, pred_s = [], [], [], []
    n_pairs = 0
    reachable = 0
    seconds = 0.0
    for d, ents in zip(docs, ents_per_doc, strict=True):
        g = gold_relation_sets(d, model.labels)
        gold_b.append(g[0])
        gold_s.append(g[1])
        spans = {(e.sent, e.start, e.end) for e in ents}
        reachable += sum(1 for x in g[0] if (x[0], x[1], x[2]) in spans and (x[0], x[3], x[4]) in spans)
        t0 = time.perf_counter()
        preds = model.predict_doc(d.sentences, ents, threshold)
        seconds += time.perf_counter() - t0
        by_sent: dict[int, list] = {}
        for e in ents:
            by_sent.setdefault(e.sent, []).append(e)
        for es in by_sent.values():
            n_pairs += len(candidate_pairs([(e.start, e.end) for e in es], model.max_between))
        p = _pred_sets(preds)
        pred_b.append(p[0])
        pred_s.append(p[1])
    tot_b = [0, 0, 0]
    tot_s = [0, 0, 0]
    per: dict[str, list[int]] = {}
    per_doc = []
    for gb, gs, pb, ps in zip(gold_b, gold_s, pred_b, pred_s, strict=True):
        per_doc.append(_prf(gb, pb))
        for acc, x in ((tot_b, per_doc[-1]), (tot_s, _prf(gs, ps))):
            acc[0] += x.tp
            acc[1] += x.fp
            acc[2] += x.fn
        for x in gb | pb:
            c = per.setdefault(x[-1], [0, 0, 0])
            c[0 if (x in gb and x in pb) else 1 if x in pb else 2] += 1
    return EvalResult(
        RelScores(*tot_b),
        RelScores(*tot_s),
        {k: RelScores(*v) for k, v in per.items()},
        len(docs),
        n_pairs,
        seconds,
        reachable,
        tuple(per_doc),
    )


def tune_threshold(
    model: RelationModel,
    docs: Sequence[AnnotatedDoc],
    predicted_entities: Sequence[Sequence[Entity]] | None = None,
    grid: Iterable[float] = tuple(x / 100 for x in range(5, 81, 5)),
) -> tuple[float, dict[float, float]]:
    """The threshold with the best boundaries F1 on ``docs`` (ties: the higher threshold)."""
    scores = {t: evaluate(model, docs, predicted_entities, t).boundaries.f for t in grid}
    best = max(scores, key=lambda t: (round(scores[t], 6), t))
    return best, scores


# ------------------------------------------------------------------ predicted entities (end to end)


def ner_entities(nlp_path: str | Path, docs: Sequence[AnnotatedDoc]) -> list[list[Entity]]:
    """Entities predicted by a spaCy NER pipeline on the gold tokens of each document (sentence-relative)."""
    import spacy

    from extract.training import tokens_doc

    nlp = spacy.load(nlp_path)
    out = []
    sdocs = [tokens_doc(nlp.vocab, d.sentences) for d in docs]
    for d, sdoc in zip(docs, nlp.pipe(sdocs, batch_size=64), strict=True):
        starts = []
        k = 0
        for s in d.sentences:
            starts.append(k)
            k += len(s)
        ents = []
        for span in sdoc.ents:
            sent = max(i for i, st in enumerate(starts) if st <= span.start)
            s0, s1 = span.start - starts[sent], span.end - starts[sent]
            if s1 > len(d.sentences[sent]):  # crosses a sentence boundary
                continue
            ents.append(Entity(sent, s0, s1, span.label_))
        out.append(ents)
    return out


def entity_scores(docs: Sequence[AnnotatedDoc], pred: Sequence[Sequence[Entity]]) -> tuple[RelScores, RelScores]:
    """``(boundaries, typed)`` micro scores of predicted entities."""
    tb, tt = [0, 0, 0], [0, 0, 0]
    for d, p in zip(docs, pred, strict=True):
        g_t = {tuple(e) for e in d.entities}
        p_t = {tuple(e) for e in p}
        g_b = {e[:3] for e in g_t}
        p_b = {e[:3] for e in p_t}
        for acc, g, q in ((tb, g_b, p_b), (tt, g_t, p_t)):
            acc[0] += len(g & q)
            acc[1] += len(q - g)
            acc[2] += len(g - q)
    return RelScores(*tb), RelScores(*tt)
