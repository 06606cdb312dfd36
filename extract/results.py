"""Structured results from claim sentences: method, dataset, metric, value, baseline.

Works on plain data (the claim's quantities and the typed mentions of its
sentence), so it is independent of spaCy and testable on its own.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

from kg.model import Claim, EntityType, Mention, Quantity, Relation, RelationLabel, Result, Role

# a baseline's cue, with at most a determiner and a word such as "vanilla" between it and the name
BASELINE_CUES = re.compile(
    r"\b(?:than|over|outperform\w*|surpass\w*|beat\w*|compared (?:to|with)|against|versus|vs\.?)"
    r"(?:\s+(?:the|a|an|its|their|vanilla|original|standard|plain|conventional|previous|prior|existing|"
    r"strong|popular|baseline|state-of-the-art|SOTA))*\s*$", re.IGNORECASE)
_DECREASE = re.compile(r"\b(?:reduc\w*|lower\w*|smaller|fewer|less|decreas\w*|cut\w*|sav\w*|drop\w*)\b", re.IGNORECASE)
_INCREASE = re.compile(r"\b(?:improv\w*|increas\w*|higher|better|boost\w*|gain\w*|outperform\w*|surpass\w*|faster|"
                       r"speed-?ups?|exceed\w*|up to)\b", re.IGNORECASE)
# the paper speaking of its own method: "our approach", "the proposed model", "this method"
OWN_METHOD = re.compile(r"\b(?:our|the proposed|this|the resulting)(?:\s+[\w-]+)?\s+(?:method|approach|model|"
                        r"framework|system|algorithm|technique|network|architecture|pipeline|scheme|solution)s?\b",
                        re.IGNORECASE)
# Numbers that state a setting rather than a result ("6-bit", "4K", years) carry no unit of ours.
_RESULT_UNITS = {"%", "x", "pp", "points", "db", ""}


def _nearest(mentions: list[Mention], pos: int) -> Mention | None:
    return min(mentions, key=lambda m: abs(m.span.start - pos)) if mentions else None


def extract_results(text: str, offset: int, quantities: tuple[Quantity, ...], mentions: list[Mention],
                    proposed: str | None, outcomes: Collection[Quantity] | None = None,
                    metrics: Mapping[Quantity, str | None] | None = None,
                    methods: Mapping[Quantity, str | None] | None = None) -> tuple[Result, ...]:
    """Results of one claim sentence.

    Args:
        text: the sentence; ``offset`` its start in the section, which is
            where quantity and mention offsets point.
        mentions: typed mentions inside the sentence.
        proposed: the name the paper proposes, if any (the subject of "our method ...").
        outcomes: the quantities that are measured outcomes, where a trained decision chose them;
            else a unit rule chooses.
        metrics: each outcome's metric, where a trained decision chose it; else the nearest Metric mention.
        methods: each outcome's method, where a trained decision chose it; else the subject rule below.
    """
    by_type = {t: [m for m in mentions if m.label is t] for t in EntityType}
    # A bare decimal is a score only beside a metric ("BLEU of 28.4", "1.27 bits per character");
    # bare integers are mostly settings ("6-bit", "8 GPUs").
    if outcomes is not None:
        values = [q for q in quantities if q in outcomes]
    else:
        values = [q for q in quantities if q.unit in _RESULT_UNITS
                  and (q.unit or q.qualifier or ("." in q.text and by_type[EntityType.METRIC]))]
    if not values:
        return ()
    named = by_type[EntityType.METHOD]
    first_value = min(q.start for q in values)
    # the subject: a method named before the first number, else the paper's own method
    before = [m for m in named if m.span.end <= first_value and not BASELINE_CUES.search(
        text[: m.span.start - offset])]
    # the paper's own method if named, else the method nearest the number (the verb's subject:
    # "on 6-bit quantization, NoisyQuant improves ..." is about NoisyQuant, not the setting)
    own = [m for m in before if m.role is Role.PROPOSES or (proposed and m.span.text == proposed)]
    subject = (own or sorted(before, key=lambda m: -m.span.start) or [None])[0]
    # "Using ViT-B, our approach achieves 83.8%": the paper's own method is the subject, a name before it
    # is a setting (docs/annotation-guide.md, Results)
    said_own = proposed and not own and OWN_METHOD.search(text[: first_value - offset])
    method = proposed if said_own else subject.span.text if subject else proposed
    setting = subject.span.text if said_own and subject else None
    if said_own:
        subject = None
    baseline = None
    for m in named:
        if m is not subject and BASELINE_CUES.search(text[: m.span.start - offset]):
            baseline = m.span.text
            break
    if baseline is None and re.search(r"\b(?:SOTA|state[- ]of[- ]the[- ]art)\b", text, re.IGNORECASE):
        baseline = "state of the art"
    conditions: list[str | None] = [setting] * len(values)
    respectively = re.search(r"\brespectively\b", text, re.IGNORECASE)
    if respectively:
        until = offset + respectively.start()
        after = [m.span.text for m in named if max(q.end for q in values) < m.span.start < until]
        if len(after) == len(values):
            conditions = list(after)
    decrease = _DECREASE.search(text) and not _INCREASE.search(text)
    results = []
    for q, condition in zip(values, conditions, strict=True):
        nearest = _nearest(by_type[EntityType.METRIC], q.start)
        dataset = _nearest(by_type[EntityType.DATASET], q.start)
        results.append(Result(
            quantity=q,
            method=methods.get(q) if methods is not None else method,
            dataset=dataset.span.text if dataset else None,
            metric=metrics.get(q) if metrics is not None else nearest.span.text if nearest else None,
            baseline=baseline,
            condition=condition,
            direction="decrease" if decrease else "increase" if _INCREASE.search(text) else None,
        ))
    return tuple(results)


RESULT_RULE = "rule:results"
# What a result says of its method, field by field: (field, type of the mention named there, relation).
_RESULT_RELATIONS = (("dataset", EntityType.DATASET, RelationLabel.EVALUATED_WITH),
                     ("metric", EntityType.METRIC, RelationLabel.EVALUATED_WITH),
                     ("baseline", EntityType.METHOD, RelationLabel.COMPARE))


def result_relations(claim: Claim, mentions: list[Mention]) -> tuple[Relation, ...]:
    """Relations the claim's results state between mentions of its sentence (rule ``rule:results``).

    A result's method is evaluated with its dataset and its metric and compared
    with its baseline, when both are named in the sentence (not the paper's own
    method named elsewhere). The score is the result's confidence in the graph
    (``Result.confidence``).
    """
    s = claim.sentence
    named: dict[tuple[str, EntityType], Mention] = {}
    for m in sorted(mentions, key=lambda m: m.span.start):
        if m.span.section is s.section and s.start <= m.span.start and m.span.end <= s.end:
            named.setdefault((m.span.text, m.label), m)
    best: dict[tuple, Relation] = {}
    for result in claim.results:
        method = named.get((result.method or "", EntityType.METHOD))
        if method is None:
            continue
        score = result.confidence(claim.score)
        for name, etype, label in _RESULT_RELATIONS:
            other = named.get((getattr(result, name) or "", etype))
            if other is None or other is method:
                continue
            key = (method.span, other.span, label)
            if key not in best or best[key].score < score:
                best[key] = Relation(method.span, other.span, label, f"result-{name}", s, RESULT_RULE, score)
    return tuple(best.values())
