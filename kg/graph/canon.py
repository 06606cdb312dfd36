"""Canonical entities: one node per normalised name, abbreviations merged.

Identity is decided by ``kg.iri.entity_key`` (case, hyphens, spacing and
plural do not matter) and by abbreviation definitions: a short form defined
in a paper ("Matryoshka Representation Learning (MRL)") takes the key of its
long form there, and elsewhere the long form it is most often defined as.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import ConfigError
from kg.graph.corrections import Corrections
from kg.iri import entity_key
from kg.model import EntityType, Extraction, Mention, noisy_or

# How much one mention's label counts towards its entity's type: a gazetteer
# hit or an explicit proposal is better evidence than a capitalised token.
_RULE_WEIGHT = {"gazetteer": 3, "dataset-cue": 3, "naming": 3, "propose-cue": 3, "appositive": 3,
                "title-prefix": 3, "abbreviation": 2, "task-head": 2, "name-shape": 1}
_TYPE_ORDER = [EntityType.METHOD, EntityType.DATASET, EntityType.TASK, EntityType.METRIC, EntityType.CONCEPT]


@dataclass(frozen=True, slots=True)
class VariantRules:
    """Which trailing tokens make a name a variant of a shorter one (see seeds/patterns/variants.json)."""

    words: frozenset[str] = frozenset()
    units: frozenset[str] = frozenset()
    max_suffix_tokens: int = 4

    def is_variant_suffix(self, tokens: list[str]) -> bool:
        if not tokens or len(tokens) > self.max_suffix_tokens:
            return False
        previous_number = False
        for tok in tokens:
            if tok.isdigit():
                previous_number = True
                continue
            if tok in self.words or (previous_number and tok in self.units):
                previous_number = False
                continue
            return False
        return True


def load_variant_rules(path: str | Path) -> VariantRules:
    """Read ``seeds/patterns/variants.json``."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return VariantRules(frozenset(data["words"]), frozenset(data["units"]), int(data["max_suffix_tokens"]))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ConfigError(f"cannot read variant rules {path}: {e}; restore it from git") from e


@dataclass(frozen=True, slots=True)
class Aliases:
    """Seed alias table (seeds/gazetteer/aliases.tsv, from Papers with Code names)."""

    same: tuple[tuple[str, str], ...] = ()  # (canonical key, alias key)
    variants: dict[str, str] = field(default_factory=dict)  # variant key -> base key


def load_aliases(path: str | Path) -> Aliases:
    """Read the alias table; a missing file means no aliases."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()[1:]
    except FileNotFoundError:
        return Aliases()
    except OSError as e:
        raise ConfigError(f"cannot read alias table {path}: {e}; restore it from git") from e
    same, variants = [], {}
    for n, line in enumerate(lines, start=2):
        parts = line.split("\t")
        if len(parts) != 3 or parts[2] not in ("same", "variant"):
            raise ConfigError(f"{path}:{n}: expected 'name<TAB>canonical<TAB>same|variant', got {line!r}")
        name, canonical = entity_key(parts[0]), entity_key(parts[1])
        if name and canonical and name != canonical:
            if parts[2] == "same":
                same.append((canonical, name))
            else:
                variants[name] = canonical
    return Aliases(tuple(same), variants)


@dataclass(frozen=True, slots=True)
class Entity:
    key: str
    type: EntityType
    pref_label: str
    alt_labels: tuple[str, ...]
    paper_count: int
    confidence: float = 1.0


def _is_short(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return " " not in text and len(letters) >= 2 and sum(c.isupper() for c in letters) >= 2


class EntityTable:
    """Maps mentions of each paper to canonical entity keys, and describes entities."""

    def __init__(self, extractions: Iterable[Extraction], variants: VariantRules | None = None,
                 corrections: Corrections | None = None, aliases: Aliases | None = None) -> None:
        self._extractions = list(extractions)
        self._variant_rules = variants or VariantRules()
        self._corrections = corrections or Corrections()
        self._aliases = aliases or Aliases()
        # seed aliases first, so that a user's merge can still join their groups
        self._merged = _merge_map(self._aliases.same + self._corrections.merges)
        self._local: dict[str, dict[str, str]] = {}
        global_defs: dict[str, Counter[str]] = defaultdict(Counter)
        for ex in self._extractions:
            local = {}
            for abbr in ex.abbreviations:
                short, long = entity_key(abbr.short.text), entity_key(abbr.long.text)
                if short and long and short != long:
                    local[short] = long
                    global_defs[short][long] += 1
            self._local[ex.paper.key] = local
        # The most frequent definition wins; ties go to the alphabetically first
        # long form so that the choice does not depend on input order.
        self._global = {s: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for s, c in global_defs.items()}
        self.entities = self._describe()
        self.variants = self._variants()

    def key_of(self, paper_key: str, mention: Mention) -> str:
        """The canonical key of ``mention`` as read in paper ``paper_key`` ("" if rejected)."""
        if mention.long_form and entity_key(mention.span.text) not in self._corrections.splits:
            return self._corrected(entity_key(mention.long_form))
        return self.key_for_text(paper_key, mention.span.text)

    def key_for_text(self, paper_key: str, text: str) -> str:
        """The canonical key of a name written in paper ``paper_key`` ("" if rejected)."""
        key = entity_key(text)
        if key in self._corrections.splits:
            return self._corrected(key)
        local = self._local.get(paper_key, {})
        if key in local:
            key = local[key]
        elif key in self._global and _is_short(text):
            key = self._global[key]
        return self._corrected(key)

    def replacement(self, key: str) -> str | None:
        """The entity that now stands for a key no longer in the table (None if none does).

        A short form defined elsewhere in the corpus resolves to its long form
        (as an undefined abbreviation would be read now); a merged key to the
        key it was merged into.
        """
        if key in self.entities:
            return None
        found = self._corrected(self._global.get(key, key))
        return found if found and found != key and found in self.entities else None

    def _corrected(self, key: str) -> str:
        key = self._merged.get(key, key)
        return "" if key in self._corrections.rejects else key

    def _describe(self) -> dict[str, Entity]:
        surfaces: dict[str, Counter[str]] = defaultdict(Counter)
        long_surfaces: dict[str, Counter[str]] = defaultdict(Counter)
        votes: dict[str, Counter[EntityType]] = defaultdict(Counter)
        papers: dict[str, set[str]] = defaultdict(set)
        best: dict[str, dict[str, float]] = defaultdict(dict)  # key -> paper -> best mention score
        for ex in self._extractions:
            for m in ex.mentions:
                key = self.key_of(ex.paper.key, m)
                if not key:
                    continue
                text = m.span.text
                surfaces[key][text] += 1
                if entity_key(text) == key:
                    long_surfaces[key][text] += 1
                votes[key][m.label] += _RULE_WEIGHT.get(m.rule, 1)
                papers[key].add(ex.paper.key)
                best[key][ex.paper.key] = max(best[key].get(ex.paper.key, 0.0), m.score)
        entities = {}
        for key, forms in surfaces.items():
            preferred_pool = long_surfaces[key] or forms
            pref = min(preferred_pool.items(), key=lambda kv: (_is_short(kv[0]), -kv[1], kv[0]))[0]
            vote = votes[key]
            etype = min(vote, key=lambda t: (-vote[t], _TYPE_ORDER.index(t)))
            etype = self._corrections.retypes.get(key, etype)
            pref = self._corrections.renames.get(key, pref)
            entities[key] = Entity(
                key=key,
                type=etype,
                pref_label=pref,
                alt_labels=tuple(sorted(f for f in forms if f != pref)),
                paper_count=len(papers[key]),
                confidence=noisy_or(best[key].values()),
            )
        return entities

    def _variants(self) -> dict[str, str]:
        """variant key -> key of the entity it varies ("imagenet 1 k" -> "imagenet").

        The base is the longest shorter key of the same type; types must agree
        so that "BERT" the method is never the base of "BERT 2019" the dataset.
        """
        out = {}
        for key, entity in self.entities.items():
            listed = self._merged.get(self._aliases.variants.get(key, ""), self._aliases.variants.get(key))
            if listed in self.entities and listed != key:
                out[key] = listed
                continue
            tokens = key.split(" ")
            for cut in range(len(tokens) - 1, 0, -1):
                base = self.entities.get(" ".join(tokens[:cut]))
                if base is not None and base.type is entity.type \
                        and self._variant_rules.is_variant_suffix(tokens[cut:]):
                    out[key] = base.key
                    break
        return out


def _merge_map(merges: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """key -> the key it was merged into, following chains (a<-b, b<-c gives c -> a)."""
    parent: dict[str, str] = {}

    def root(k: str) -> str:
        seen = set()
        while k in parent and k not in seen:
            seen.add(k)
            k = parent[k]
        return k

    for kept, merged in merges:
        a, b = root(kept), root(merged)
        if a != b:
            parent[b] = a
    return {k: root(k) for k in parent}
