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
* **Distillation.** :func:`train_relations` can add a teacher's silver file
  (:func:`silver_examples`): pairs among predicted entities of unlabelled text,
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
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse

from extract.corpora import AnnotatedDoc, Corpus, Entity
from extract.scoring import PRF
from kg.errors import ExtractionError

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


# ------------------------------------------------------------------ training


def _classes(labels: Sequence[str]) -> tuple[str, ...]:
    return (NONE, *(f"{lab}{d}" for lab in labels for d in (">", "<")))


@dataclass(frozen=True, slots=True)
class LabelledPair:
    """One candidate pair of gold entities: ``a`` first in the text, ``label`` its class index (0: none)."""

    doc: int
    sent: int
    tokens: Sequence[str]
    a: Span
    b: Span
    n_between: int
    inner: tuple[Span, ...]
    label: int


def labelled_pairs(
    docs: Iterable[AnnotatedDoc], classes: Sequence[str], max_between: int, missed: list[int] | None = None
) -> Iterable[LabelledPair]:
    """Every candidate pair of the gold entities of ``docs`` with its gold class.

    ``missed``, when given, receives one count per document of the gold relations that no candidate covers.
    """
    cidx = {c: k for k, c in enumerate(classes)}
    for n, d in enumerate(docs):
        gold: dict[tuple, str] = {}
        for r in d.relations:
            if f"{r.label}>" not in cidx:
                continue
            gold[(r.sent, r.h_start, r.h_end, r.t_start, r.t_end)] = r.label
        found = 0
        by_sent: dict[int, list[Entity]] = {}
        for e in d.entities:
            by_sent.setdefault(e.sent, []).append(e)
        for s, ents in sorted(by_sent.items()):
            # one span may carry several gold types; keep the first
            spans = list(dict.fromkeys((e.start, e.end) for e in ents))
            typ = {}
            for e in ents:
                typ.setdefault((e.start, e.end), e.label)
            spans3 = [(a, b, typ[(a, b)]) for a, b in spans]
            tokens = d.sentences[s]
            for i, j, nbw, inner in candidate_pairs(spans3, max_between):
                a, b = spans3[i], spans3[j]
                fwd = gold.get((s, a[0], a[1], b[0], b[1]))
                rev = gold.get((s, b[0], b[1], a[0], a[1]))
                if fwd is not None:
                    c = cidx[f"{fwd}>"]
                    found += 1
                elif rev is not None:
                    c = cidx[f"{rev}<"]
                    found += 1
                else:
                    c = 0
                yield LabelledPair(n, s, tokens, a, b, nbw, tuple(spans3[k] for k in inner), c)
        if missed is not None:
            missed.append(len(gold) - found)


def training_examples(
    docs: Iterable[AnnotatedDoc], classes: Sequence[str], max_between: int
) -> tuple[list[list[str]], list[int], int]:
    """Feature lists and class indices of every candidate pair with gold entities; also gold relations missed."""
    X: list[list[str]] = []
    y: list[int] = []
    missed: list[int] = []
    tokens: Sequence[str] | None = None
    lower: list[str] = []
    for p in labelled_pairs(docs, classes, max_between, missed):
        if p.tokens is not tokens:  # pairs come sentence by sentence
            tokens, lower = p.tokens, [t.lower() for t in p.tokens]
        X.append(pair_features(p.tokens, p.a, p.b, p.n_between, lower=lower, inner=p.inner))
        y.append(p.label)
    return X, y, sum(missed)


def _design(rows: list[list[str]], index: dict[str, int]) -> sparse.csr_matrix:
    indptr = [0]
    indices: list[int] = []
    for feats in rows:
        ids = sorted({index[f] for f in feats if f in index})
        indices.extend(ids)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float64)
    return sparse.csr_matrix((data, indices, indptr), shape=(len(rows), len(index)))


def lbfgs(fg, x0: np.ndarray, *, max_iter: int = 400, memory: int = 10, tol: float = 1e-7) -> tuple[np.ndarray, int]:
    """Minimise ``fg(x) -> (f, grad)`` by plain L-BFGS with a backtracking (Armijo) line search.

    Written out because scipy's L-BFGS-B spends most of its time in its bound
    handling at this size; this one is deterministic and a few times faster.
    """
    x = x0.copy()
    f, g = fg(x)
    hist: list[tuple[np.ndarray, np.ndarray, float]] = []
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - `it` is returned after the loop
        q = g.copy()
        alphas = []
        for s, yv, rho in reversed(hist):
            a = rho * float(s @ q)
            q -= a * yv
            alphas.append(a)
        if hist:
            s, yv, _ = hist[-1]
            q *= float(s @ yv) / float(yv @ yv)
        else:
            q /= max(1.0, float(np.sqrt(g @ g)))
        for (s, yv, rho), a in zip(hist, reversed(alphas), strict=True):
            b = rho * float(yv @ q)
            q += (a - b) * s
        d = -q
        gd = float(g @ d)
        if gd >= 0:  # not a descent direction: restart from the gradient
            hist.clear()
            d = -g / max(1.0, float(np.sqrt(g @ g)))
            gd = float(g @ d)
        t = 1.0
        while True:
            xn = x + t * d
            fn, gn = fg(xn)
            if fn <= f + 1e-4 * t * gd or t < 1e-8:
                break
            t *= 0.5
        s, yv = xn - x, gn - g
        sy = float(s @ yv)
        if sy > 1e-12:
            hist.append((s, yv, 1.0 / sy))
            if len(hist) > memory:
                hist.pop(0)
        done = abs(f - fn) <= tol * max(abs(f), abs(fn), 1.0)
        x, f, g = xn, fn, gn
        if done:
            break
    return x, it


def fit_softmax(
    X: sparse.csr_matrix,
    y: np.ndarray,
    n_classes: int,
    *,
    l2: float,
    max_iter: int = 400,
    sample_weight: np.ndarray | None = None,
) -> np.ndarray:
    """L2-regularised multinomial logistic regression by L-BFGS; returns ``(n_features + 1, n_classes)``.

    ``y``: class indices, or an ``(n, n_classes)`` matrix of target distributions (a teacher's
    probabilities). Objective: the (``sample_weight``-weighted) mean cross-entropy
    + ``l2 / 2 * ||W||^2`` (bias unregularised). Deterministic: zero start, full batch.
    """
    n, d = X.shape
    if y.ndim == 2:
        Y = np.asarray(y, dtype=np.float64)
    else:
        Y = np.zeros((n, n_classes))
        Y[np.arange(n), y] = 1.0
    if sample_weight is not None:
        Y = Y * (np.asarray(sample_weight, dtype=np.float64)[:, None] * n / float(np.sum(sample_weight)))
    mass = Y.sum(axis=1, keepdims=True)  # each row's weight (1 without sample weights)
    Xt = X.T.tocsr()

    def fg(theta: np.ndarray):
        W = theta[: d * n_classes].reshape(d, n_classes)
        b = theta[d * n_classes :]
        Z = X @ W + b
        Z -= Z.max(axis=1, keepdims=True)
        logp = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
        loss = -float((logp * Y).sum()) / n + 0.5 * l2 * float(theta[: d * n_classes] @ theta[: d * n_classes])
        G = (np.exp(logp) * mass - Y) / n
        gW = Xt @ G + l2 * W
        return loss, np.concatenate([gW.ravel(), G.sum(axis=0)])

    theta, iters = lbfgs(fg, np.zeros(d * n_classes + n_classes), max_iter=max_iter)
    log.info("L-BFGS: %d iterations, loss %.5f", iters, fg(theta)[0])
    W = theta[: d * n_classes].reshape(d, n_classes)
    b = theta[d * n_classes :]
    return np.vstack([W, b[None, :]]).astype(np.float32)


def silver_examples(path: str | Path, classes: Sequence[str], max_between: int) -> tuple[list[list[str]], np.ndarray]:
    """Feature lists and target distributions of a teacher's silver file.

    The file (gzipped JSON Lines, written by ``extract.training.relation_teacher.label_relations``) starts with
    ``{"classes": [...]}``; each further line is a sentence: its tokens, its predicted entity spans and, per
    candidate pair ``(i, j)``, the teacher's class probabilities.
    """
    import gzip

    path = Path(path)
    rows: list[list[str]] = []
    targets: list[list[float]] = []
    line_no = 1
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            header = json.loads(fh.readline() or "{}")
            if list(header.get("classes", [])) != list(classes):
                raise ExtractionError(f"{path}: silver classes {header.get('classes')} are not the model's "
                                      f"{list(classes)}; label it again with a teacher of this scheme")
            for line_no, line in enumerate(fh, start=2):  # noqa: B007 - named in the error below
                sent = json.loads(line)
                tokens = sent["tokens"]
                lower = [t.lower() for t in tokens]
                spans = [tuple(x) for x in sent["spans"]]
                cands = {(i, j): (nbw, inner) for i, j, nbw, inner in candidate_pairs(spans, max_between)}
                for i, j, *probs in sent["pairs"]:
                    if (i, j) not in cands:
                        continue
                    if len(probs) != len(classes):
                        raise ValueError(f"{len(probs)} probabilities for {len(classes)} classes")
                    nbw, inner = cands[(i, j)]
                    inner_spans = [spans[k] for k in inner]
                    rows.append(pair_features(tokens, spans[i], spans[j], nbw, lower=lower, inner=inner_spans))
                    targets.append(probs)
    except (OSError, EOFError, ValueError, KeyError, TypeError, IndexError) as e:
        raise ExtractionError(f"{path}, line {line_no}: not a readable silver relation file ({e}); "
                              "write it again with python -m extract.training rel-teacher-label") from e
    y = np.asarray(targets, dtype=np.float64).reshape(len(targets), len(classes))
    return rows, y / np.maximum(y.sum(axis=1, keepdims=True), 1e-12)


def examples_with_silver(
    train: Iterable[AnnotatedDoc], classes: Sequence[str], max_between: int, silver: Sequence[str | Path],
    min_count: int,
) -> tuple[list[list[str]], np.ndarray, int, tuple[str, ...]]:
    """The gold pairs of ``train`` (one-hot targets) followed by the pairs of the ``silver`` files (the teacher's
    distributions): ``(feature lists, targets, number of gold pairs, feature vocabulary)``, the vocabulary being
    the features seen in at least ``min_count`` pairs, sorted."""
    rows, y, missed = training_examples(train, classes, max_between)
    n_gold = len(rows)
    parts = [np.eye(len(classes))[np.asarray(y, dtype=np.int64)]]
    for path in silver:
        more, probs = silver_examples(path, classes, max_between)
        rows += more
        parts.append(probs)
    counts = Counter(f for feats in rows for f in set(feats))
    features = tuple(sorted(f for f, c in counts.items() if c >= min_count))
    log.info(
        "%d gold pairs (%d positive; %d gold relations not candidates), %d silver pairs, %d features",
        n_gold, sum(1 for c in y if c), missed, len(rows) - n_gold, len(features),
    )
    return rows, np.vstack(parts), n_gold, features


def train_relations(
    train: Corpus | Iterable[AnnotatedDoc],
    scheme: str,
    *,
    l2: float = 3e-4,
    min_count: int = 2,
    max_between: int = MAX_BETWEEN,
    max_iter: int = 400,
    threshold: float = 0.5,
    prune: float = 0.05,
    silver: Sequence[str | Path] = (),
    silver_weight: float = 1.0,
) -> RelationModel:
    """Train on the gold entities and relations of ``train`` (labels of ``scheme``).

    ``prune``: features whose weights all lie within ``±prune`` are dropped
    after training (a smaller model; see the notes for the effect on dev).
    ``silver``: teacher-labelled files (:func:`silver_examples`) added to the gold pairs, each pair
    weighted ``silver_weight`` against 1 for a gold pair, its target the teacher's distribution.
    """
    classes = _classes(SCHEMES[scheme]["labels"])
    t0 = time.perf_counter()
    rows, targets, n_gold, features = examples_with_silver(train, classes, max_between, silver, min_count)
    weight = np.ones(len(rows))
    weight[n_gold:] = silver_weight
    X = _design(rows, {f: k for k, f in enumerate(features)})
    weights = fit_softmax(X, targets, len(classes), l2=l2, max_iter=max_iter,
                          sample_weight=weight if len(rows) > n_gold else None)
    if prune > 0:
        keep = np.flatnonzero(np.abs(weights[:-1]).max(axis=1) >= prune)
        features = tuple(features[k] for k in keep)
        weights = np.vstack([weights[keep], weights[-1:]])
        log.info("pruning at %g keeps %d features", prune, len(features))
    settings = {
        "l2": l2,
        "min_count": min_count,
        "max_iter": max_iter,
        "prune": prune,
        "train_pairs": n_gold,
    }
    if silver:
        settings |= {"silver": [Path(p).name for p in silver], "silver_pairs": len(rows) - n_gold,
                     "silver_weight": silver_weight}
    log.info("trained in %.1f s", time.perf_counter() - t0)
    return RelationModel(scheme, classes, features, weights, threshold, max_between, settings)


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
    seconds = 0.0
    for d, ents in zip(docs, ents_per_doc, strict=True):
        g = gold_relation_sets(d, model.labels)
        gold_b.append(g[0])
        gold_s.append(g[1])
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
    for gb, gs, pb, ps in zip(gold_b, gold_s, pred_b, pred_s, strict=True):
        for acc, g, p in ((tot_b, gb, pb), (tot_s, gs, ps)):
            x = _prf(g, p)
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
