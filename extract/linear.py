"""A multinomial linear classifier over string features, stored as JSON (no pickle), run with numpy.

The decisions made on each paper after the spaCy pipeline (which candidate names are entities of
which type, which are the paper's own, which sentences are claims, which numbers are results) are
such classifiers, fitted on our annotations by :mod:`extract.training.annotation.fit`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kg.errors import ExtractionError


@dataclass(frozen=True)
class LinearModel:
    """``P(class | features) = softmax(bias + sum of the features' weight rows)``; unknown features weigh 0."""

    classes: tuple[str, ...]
    bias: np.ndarray
    weights: Mapping[str, np.ndarray]
    _rows: dict[str, int] = field(init=False, repr=False, compare=False)
    _matrix: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # one row per feature and the bias as the last row: a paper's sum is one gather, not a loop of adds
        names = list(self.weights)
        matrix = np.vstack([*(self.weights[f] for f in names), self.bias]) if names else self.bias[None, :]
        object.__setattr__(self, "_rows", {f: i for i, f in enumerate(names)})
        object.__setattr__(self, "_matrix", matrix.astype(np.float64))

    def _rows_of(self, features: Iterable[str]) -> list[int]:
        """The weight rows of ``features`` (each known feature once) and the bias row."""
        get = self._rows.get
        idx = {i for f in features if (i := get(f)) is not None}
        idx.add(len(self._rows))
        return list(idx)

    def proba(self, features: Iterable[str]) -> dict[str, float]:
        z = self._matrix[self._rows_of(features)].sum(axis=0)
        z -= z.max()
        p = np.exp(z)
        p /= p.sum()
        return {c: float(v) for c, v in zip(self.classes, p, strict=True)}

    def proba_many(self, feature_lists: Iterable[Iterable[str]]) -> list[dict[str, float]]:
        """``proba`` of each feature list, in one gather and one segmented sum: the same numbers (rows are added
        in the same order) at a fraction of the calls, for the many small lists of one paper."""
        idx: list[int] = []
        starts: list[int] = []
        for features in feature_lists:
            starts.append(len(idx))
            idx += self._rows_of(features)
        if not starts:
            return []
        z = np.add.reduceat(self._matrix[idx], starts, axis=0)
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        return [dict(zip(self.classes, row, strict=True)) for row in p.tolist()]

    def to_json(self) -> str:
        return json.dumps({"classes": list(self.classes), "bias": [round(float(b), 5) for b in self.bias],
                           "weights": {f: [round(float(x), 5) for x in w] for f, w in sorted(self.weights.items())}},
                          ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def load(cls, path: str | Path) -> LinearModel:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            classes = tuple(data["classes"])
            bias = np.asarray(data["bias"], dtype=np.float32)
            weights = {f: np.asarray(w, dtype=np.float32) for f, w in data["weights"].items()}
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ExtractionError(f"cannot read the decision model {path}: {e}; restore it from git "
                                  "or fit it again (python -m extract.training.annotation fit)") from e
        if len(bias) != len(classes) or any(len(w) != len(classes) for w in weights.values()):
            raise ExtractionError(f"decision model {path} has weight rows of the wrong width; fit it again")
        return cls(classes, bias, weights)
