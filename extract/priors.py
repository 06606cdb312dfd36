"""The score priors per rule and claim kind (``seeds/patterns/scores.json``) that candidates start from."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import ExtractionError


@dataclass(frozen=True, slots=True)
class Priors:
    rules: dict[str, float] = field(default_factory=dict)
    claim_kinds: dict[str, float] = field(default_factory=dict)
    default: float = 0.5

    def rule(self, name: str) -> float:
        return self.rules.get(name, self.default)

    def claim(self, kind: str) -> float:
        return self.claim_kinds.get(kind, self.default)

    @classmethod
    def load(cls, path: str | Path) -> Priors:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            return cls({k: float(v) for k, v in data["rules"].items()},
                       {k: float(v) for k, v in data["claim_kinds"].items()},
                       float(data["default"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise ExtractionError(f"cannot read score priors {path}: {e}; restore it from git") from e
