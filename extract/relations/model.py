"""The relation classifier at run time: prediction, its files (``model.json``, ``weights.npz``), loading.

See :mod:`extract.relations` for the design.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from extract.relations.features import MAX_BETWEEN, Span, candidate_pairs, pair_features

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
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

    def _rows(
        self, tokens: Sequence[str], spans: Sequence[Span]
    ) -> tuple[list[tuple[int, int, int, list[int]]], list[list[int]]]:
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

    def predict_proba(
        self, tokens: Sequence[str], entity_spans: Sequence[Span]
    ) -> tuple[list[tuple[int, int, int, list[int]]], np.ndarray]:
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
