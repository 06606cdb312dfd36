"""Fitting the relation classifier of :mod:`extract.relations` (training time only).

Gold candidate pairs (:func:`labelled_pairs`, :func:`training_examples`), a
teacher's silver pairs (:func:`silver_examples`; :func:`examples_with_silver`
joins the two), and the linear model fitted by full-batch L-BFGS
(:func:`fit_softmax`, :func:`train_relations`). The hidden-layer student is
fitted by :mod:`extract.training.relation_student` from the same examples.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from extract.relations.features import MAX_BETWEEN, Span, candidate_pairs, pair_features
from extract.relations.model import NONE, SCHEMES, RelationModel
from extract.training.corpora import AnnotatedDoc, Corpus, Entity
from kg.errors import ExtractionError

log = logging.getLogger(__name__)


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


def lbfgs(fg: Callable[[np.ndarray], tuple[float, np.ndarray]], x0: np.ndarray, *, max_iter: int = 400,
          memory: int = 10, tol: float = 1e-7) -> tuple[np.ndarray, int]:
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

    def fg(theta: np.ndarray) -> tuple[float, np.ndarray]:
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
