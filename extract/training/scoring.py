"""P/R/F counts, and bootstrap intervals of micro F1 over documents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class PRF:
    """True positives, false positives and false negatives, with precision, recall and F1."""

    tp: int
    fp: int
    fn: int

    @property
    def p(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def r(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f(self) -> float:
        return 2 * self.p * self.r / (self.p + self.r) if self.p + self.r else 0.0

    def __str__(self) -> str:
        return f"P {100 * self.p:5.1f} R {100 * self.r:5.1f} F {100 * self.f:5.2f}"

    def as_dict(self) -> dict:
        """Counts, and P/R/F in per cent rounded to 2 decimals."""
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn,
                "p": round(100 * self.p, 2), "r": round(100 * self.r, 2), "f": round(100 * self.f, 2)}


def bootstrap_f1(per_doc: Sequence[PRF], resamples: int, *, seed: int = 0,
                 level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of micro F1 (per cent) when the documents are drawn again with replacement.

    A benchmark's documents are its unit of sampling: resampling them shows how far the score of
    another test set of the same size and kind could fall. Deterministic for a given ``seed``.
    """
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    if not per_doc:
        return 0.0, 0.0
    counts = np.array([(x.tp, x.fp, x.fn) for x in per_doc], dtype=np.int64)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(per_doc), size=(resamples, len(per_doc)))
    tp, fp, fn = (counts[draws, k].sum(axis=1).astype(float) for k in range(3))
    denom = 2 * tp + fp + fn
    f1 = np.divide(200 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(f1, [tail, 100 - tail])
    return round(float(low), 2), round(float(high), 2)
