"""Trained decisions on each paper's candidates: which names are entities (of which type), which the
paper proposes, which sentences are claims, which of their numbers are results and which names are each
result's metric and method; each with a probability fitted on our annotations.

The spaCy pipeline and :mod:`extract.convert` propose candidates generously (rules, gazetteer, NER
heads). :class:`Decider` keeps what its classifiers (:mod:`extract.linear`, fitted by
``python -m extract.training.annotation fit``) accept and sets every kept fact's score to the
classifier's probability, mapped through the calibration table fitted on held-out annotations, so
that of the facts scored about ``c``, about ``c`` are right (``docs/benchmarks.md``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path

import numpy as np

from extract import rules
from extract.decision_features import (
    LIST_JOIN,
    background_starts,
    group_features,
    groups,
    mentions_in,
    method_candidates,
    metric_candidates,
    number_features,
    role_features,
    sentence_features,
)
from extract.linear import LinearModel
from extract.results import extract_results, result_relations
from kg.config import PROJECT_ROOT
from kg.errors import ExtractionError
from kg.model import DEFAULT_ROLE, Claim, EntityType, Extraction, Mention, Quantity, Role, Section, TextSpan

DECISIONS_DIR: Path = PROJECT_ROOT / "extract" / "models" / "decisions"
MODEL_FILES = ("entities", "roles", "claims", "results")
METRICS_FILE = "metrics.json"  # which kept name is a result's metric; without it, each takes the nearest Metric
METHODS_FILE = "methods.json"  # which kept Method name (or the paper's own) a result is of; without it, a rule says
CLAIM_CUE = "model:claims"  # the cue of a claim the claims classifier chose (a rule's cue is its words)
NONE = "none"


_TOP_K = re.compile(r"top[- ]?\d+", re.IGNORECASE)
_LIST_GLUE = re.compile(LIST_JOIN)


def _complete_fragments(mentions: list[Mention]) -> list[Mention]:
    """"top-1" alone is short for "top-1 accuracy": the metric is named so (as an abbreviation's long form is)."""
    return [replace(m, long_form=f"{m.span.text} accuracy")
            if m.label is EntityType.METRIC and m.long_form is None and _TOP_K.fullmatch(m.span.text) else m
            for m in mentions]


def _split_fused(mentions: list[Mention], known: frozenset[str] = frozenset()) -> list[Mention]:
    """A task named after its dataset ("ImageNet classification", "COCO detection") is the dataset and the
    task (docs/annotation-guide.md, Boundaries): where the first word is a dataset the paper names on its
    own too, or a name-shaped dataset name of the gazetteer (``known``, case-folded), such a Task or Metric mention
    becomes a Dataset mention and a mention of the rest."""
    datasets = {m.span.text.casefold(): m for m in mentions if m.label is EntityType.DATASET}
    out = []
    for m in mentions:
        head, _, rest = m.span.text.partition(" ")
        ds = datasets.get(head.casefold())
        fused = ds is not None or (head.casefold() in known and any(c.isupper() or c.isdigit() for c in head))
        if m.label in (EntityType.TASK, EntityType.METRIC) and fused and rest and m.long_form is None:
            s = m.span
            role, score = (ds.role, ds.score) if ds is not None else (DEFAULT_ROLE[EntityType.DATASET], m.score)
            out.append(replace(m, span=replace(s, end=s.start + len(head), text=head), label=EntityType.DATASET,
                               role=role, score=score))
            cut = s.start + len(m.span.text) - len(rest)
            out.append(replace(m, span=replace(s, start=cut, text=rest)))
        else:
            out.append(m)
    return out


def _listed(s: TextSpan, quantities: Iterable[Quantity]) -> list[tuple[Quantity, Quantity]]:
    """Neighbouring numbers of one list in sentence ``s`` ("1.7%, 1.1% and 0.5%"), in text order."""
    return [(a, b) for a, b in pairwise(sorted(quantities, key=lambda q: q.start))
            if _LIST_GLUE.fullmatch(s.text[a.end - s.start: b.start - s.start])]


def dataset_names(path: Path | None) -> frozenset[str]:
    """The gazetteer's one-word dataset names matched exactly ("ImageNet", "COCO", "ADE20K"), case-folded."""
    if path is None:
        return frozenset()
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()[1:]
    except OSError as e:
        raise ExtractionError(f"cannot read the gazetteer {path}: {e}; restore it from git") from e
    rows = (line.split("\t") for line in lines)
    return frozenset(r[1].casefold() for r in rows
                     if len(r) == 3 and r[0] == "Dataset" and r[2] == "exact" and " " not in r[1])


@dataclass(frozen=True)
class Calibration:
    """Piecewise-linear maps from a classifier's probability to the observed frequency, per fact kind."""

    points: dict[str, tuple[tuple[float, ...], tuple[float, ...]]]

    def __call__(self, kind: str, p: float) -> float:
        xy = self.points.get(kind)
        if xy is None:
            return round(p, 4)
        return round(float(np.interp(p, xy[0], xy[1])), 4)


@dataclass(frozen=True)
class SettingNumbers:
    """Numbers that state a setting ("2.5-bit", "650M parameters", "10% of the data"), never results
    (patterns from ``seeds/patterns/settings.json``)."""

    after: re.Pattern | None = None
    before: re.Pattern | None = None

    @classmethod
    def load(cls, path: Path | None) -> SettingNumbers:
        if path is None:
            return cls()
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            after = re.compile("|".join(f"(?:{p})" for p in data["after"]), re.IGNORECASE)
            before = re.compile("|".join(f"(?:{p})" for p in data["before"]), re.IGNORECASE)
        except (OSError, ValueError, KeyError, TypeError, re.error) as e:
            raise ExtractionError(f"cannot read the setting patterns {path}: {e}; restore it from git") from e
        return cls(after, before)

    def __call__(self, sentence: str, start: int, end: int) -> bool:
        return bool((self.after and self.after.match(sentence, end))
                    or (self.before and self.before.search(sentence[:start])))


def _best(model: LinearModel, label: str, threshold: float, candidates: Iterable[tuple[str | None, list[str]]],
          ) -> str | None:
    """The candidate name ``model`` rates highest as ``label``, if at or above ``threshold`` (of equals, the
    last), else none."""
    named = list(candidates)
    best, best_p = None, threshold
    for (name, _), p in zip(named, model.proba_many(feats for _, feats in named), strict=True):
        if p[label] >= best_p:
            best, best_p = name, p[label]
    return best


@dataclass(frozen=True)
class Decider:
    entities: LinearModel
    roles: LinearModel
    claims: LinearModel
    results: LinearModel
    calibration: Calibration
    settings: dict
    setting_numbers: SettingNumbers = SettingNumbers()
    known_datasets: frozenset[str] = frozenset()
    metrics: LinearModel | None = None
    methods: LinearModel | None = None

    @classmethod
    def load(cls, path: Path = DECISIONS_DIR, setting_numbers: Path | None = None,
             gazetteer: Path | None = None) -> Decider:
        models = {name: LinearModel.load(path / f"{name}.json") for name in MODEL_FILES}
        metrics = LinearModel.load(path / METRICS_FILE) if (path / METRICS_FILE).is_file() else None
        methods = LinearModel.load(path / METHODS_FILE) if (path / METHODS_FILE).is_file() else None
        try:
            meta = json.loads((path / "settings.json").read_text(encoding="utf-8"))
            points = {k: (tuple(v[0]), tuple(v[1])) for k, v in meta["calibration"].items()}
        except (OSError, ValueError, KeyError, TypeError, IndexError) as e:
            raise ExtractionError(f"cannot read {path / 'settings.json'}: {e}; restore it from git or fit again") from e
        return cls(**models, calibration=Calibration(points), settings=meta["settings"],
                   setting_numbers=SettingNumbers.load(setting_numbers), known_datasets=dataset_names(gazetteer),
                   metrics=metrics, methods=methods)

    # -------------------------------------------------------------- entities and roles

    def decide_mentions(self, ex: Extraction) -> list[Mention]:
        texts = {Section.TITLE: ex.paper.title, Section.ABSTRACT: ex.paper.abstract}
        n_sent = len(ex.sentences)
        background = background_starts(ex)
        kept: list[Mention] = []
        found = groups(ex)
        # one batch per classifier and paper: the same probabilities as one call per group, faster
        typed = []
        for g, p in zip(found, self.entities.proba_many(group_features(g, texts, n_sent) for g in found), strict=True):
            label = max((c for c in p if c != NONE), key=p.__getitem__)
            if p[label] >= self.settings["entity_thresholds"][label]:
                typed.append((g, EntityType(label), p[label]))
        with_role = (EntityType.METHOD, EntityType.DATASET)
        roles = iter(self.roles.proba_many(role_features(g, texts) for g, etype, _ in typed if etype in with_role))
        for g, etype, p_type in typed:
            role, p_role = DEFAULT_ROLE[etype], 1.0
            if etype in with_role:
                pr = next(roles)["proposed"]
                if pr >= self.settings["proposed_threshold"]:
                    role, p_role = Role.PROPOSES, pr
                else:
                    p_role = 1.0 - pr
            if role is not Role.PROPOSES and etype in (EntityType.TASK, EntityType.DATASET) and all(
                    m.span.section is Section.ABSTRACT and m.sentence.start in background for m in g.mentions):
                role = Role.MENTIONS  # named only in the background: not what this paper addresses or uses
            score = self.calibration("link", p_type * p_role)
            kept += [replace(m, label=etype, role=role, score=score) for m in g.mentions]
        kept = _split_fused(_complete_fragments(kept), self.known_datasets)
        return sorted(kept, key=lambda m: (m.span.section != Section.TITLE, m.span.start))

    # -------------------------------------------------------------- claims and results

    def decide_claims(self, ex: Extraction, mentions: list[Mention]) -> list[Claim]:
        cues = {(c.sentence.start, c.sentence.end): c.cue for c in ex.claims}
        abstract = [s for s in ex.sentences if s.section is Section.ABSTRACT]
        proposed = next((m.long_form or m.span.text for m in mentions if m.role is Role.PROPOSES), None)
        out = []
        probs = self.claims.proba_many(sentence_features(s.text, i, len(abstract), mentions_in(ex, s))
                                       for i, s in enumerate(abstract))
        for s, p in zip(abstract, probs, strict=True):
            if 1.0 - p[NONE] < self.settings["claim_threshold"]:
                continue
            kind = max((c for c in p if c != NONE), key=p.__getitem__)
            score = self.calibration("claim", 1.0 - p[NONE])
            quantities = tuple(Quantity(n.value, n.unit, n.text, s.start + n.start, s.start + n.end, n.qualifier)
                               for n in rules.find_numbers(s.text))
            claim = Claim(s, kind, cues.get((s.start, s.end), CLAIM_CUE), quantities, score=score)
            out.append(self._with_results(claim, 1.0 - p[NONE], mentions, proposed))
        return out

    def _with_results(self, claim: Claim, p_claim: float, mentions: list[Mention], proposed: str | None) -> Claim:
        """The claim with its results; a result's score is calibrated from the classifiers' raw probabilities
        (the number's times its sentence's), as the calibration table was fitted. Each result's metric is picked
        among the sentence's kept names, so that the graph can link it (a name the entity decision dropped has no
        entity to link to)."""
        s = claim.sentence
        kinds: dict[Quantity, tuple[str, float]] = {}
        for q in claim.quantities:
            if self.setting_numbers(s.text, q.start - s.start, q.end - s.start):
                continue
            p = self.results.proba(number_features(s.text, q.start - s.start, q.end - s.start, q.unit, q.qualifier))
            kind = max((c for c in p if c != NONE), key=p.__getitem__)
            if 1.0 - p[NONE] >= self.settings["result_threshold"]:
                kinds[q] = (kind, 1.0 - p[NONE])
        if not kinds:
            return claim
        # the numbers of one list ("by up to 1.7%, 1.1% and 0.5%") share the first one's kind (so do 77 of 77 such
        # neighbours in our train annotations); the words before the list are the first number's context only
        for a, b in _listed(s, kinds):
            kinds[b] = (kinds[a][0], kinds[b][1])
        inside = [m for m in mentions if m.span.section is s.section and s.start <= m.span.start < s.end]
        metric_of = self._metrics(s, kinds, claim.quantities, inside) if self.metrics else None
        method_of = self._methods(s, kinds, inside, proposed) if self.methods else None
        found = extract_results(s.text, s.start, claim.quantities, inside, proposed, outcomes=kinds, metrics=metric_of,
                                methods=method_of)
        results = tuple(replace(r, kind=kinds[r.quantity][0],
                                score=self.calibration("result", kinds[r.quantity][1] * p_claim))
                        for r in found)
        return replace(claim, results=results)

    def _metrics(self, s: TextSpan, outcomes: Iterable[Quantity], quantities: Iterable[Quantity],
                 kept: list[Mention]) -> dict[Quantity, str | None]:
        """Each outcome's metric: the kept name of the sentence the metrics model rates highest, if at or above
        its threshold, else none."""
        assert self.metrics is not None
        numbers = [(q.start, q.end) for q in quantities]
        threshold = self.settings.get("metric_threshold", 0.5)
        out = {q: _best(self.metrics, "metric", threshold, ((m.span.text, feats) for m, feats in
                                                             metric_candidates(s, q.start, q.end, kept, numbers)))
               for q in outcomes}
        # the numbers of one list ("by 1.7%, 1.1% and 0.5%") share a metric: one left without takes its neighbour's
        listed = _listed(s, out)
        for a, b in listed:
            out[b] = out[b] or out[a]
        for a, b in reversed(listed):  # and back, for a list whose first numbers were left without
            out[a] = out[a] or out[b]
        return out

    def _methods(self, s: TextSpan, outcomes: Iterable[Quantity], kept: list[Mention],
                 proposed: str | None) -> dict[Quantity, str | None]:
        """Each outcome's method: the kept Method name of the sentence, or the paper's own method, that the methods
        model rates highest, if at or above its threshold, else none. The numbers of one list share it."""
        assert self.methods is not None
        threshold = self.settings.get("method_threshold", 0.5)
        out = {q: _best(self.methods, "method", threshold, ((proposed if m is None else m.span.text, feats) for m, feats
                                                             in method_candidates(s, q.start, q.end, kept, proposed)))
               for q in outcomes}
        for a, b in _listed(s, out):
            out[b] = out[a]
        return out

    # -------------------------------------------------------------- the whole paper

    def apply(self, ex: Extraction) -> Extraction:
        mentions = self.decide_mentions(ex)
        claims = self.decide_claims(ex, mentions)
        spans = {(m.span.section, m.span.start, m.span.end) for m in mentions}
        kept_relations = [r for r in ex.relations if r.extractor != "rule:results"
                          and (r.head.section, r.head.start, r.head.end) in spans
                          and (r.tail.section, r.tail.start, r.tail.end) in spans]
        kept_relations += [r for c in claims for r in result_relations(c, mentions)]
        return replace(ex, mentions=tuple(mentions), claims=tuple(claims), relations=tuple(kept_relations))
