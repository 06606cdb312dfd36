"""Entity-entity relations across papers: which graph predicate each becomes, and how sure the graph is.

Plain data in and out; ``kg.graph.triples`` writes the RDF. A relation an extractor
found between two mentions of one sentence (``kg.model.Relation``) becomes a
statement between the two canonical entities when :data:`PREDICATES` maps its
label and the entities' types onto a predicate of ours; every other one
(synonymy, conjunction, feature-of, type pairs the label does not fit, two
mentions of one entity) is left out of the graph.

Confidence (not calibrated like a paper-entity link's, ``kg.graph.triples.link_confidence``: our annotations
hold no relations to fit it on):

* one sentence: the extractors that state the relation there (a model and a
  rule agreeing) combine by noisy-OR, each at its best score in the sentence;
* one paper: its sentences combine by noisy-OR;
* the graph: the best paper, plus ``support_per_paper`` for each other paper
  that states it (noisy-OR).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from kg.graph.canon import EntityTable
from kg.model import EntityType, Extraction, Relation, RelationLabel, TextSpan, noisy_or

_M, _D, _T, _X = EntityType.METHOD, EntityType.DATASET, EntityType.TASK, EntityType.METRIC


def _pairs(heads: Iterable[EntityType], tails: Iterable[EntityType]) -> list[tuple[EntityType, EntityType]]:
    tails = list(tails)
    return [(h, t) for h in heads for t in tails]


def _same(*types: EntityType) -> list[tuple[EntityType, EntityType]]:
    return [(t, t) for t in types]


# (label, head type, tail type) -> the local name of the ABX property stated from head to tail.
# Types are those of the canonical entities. See docs/relations.md, "Relations in the graph".
_MAPPING: dict[RelationLabel, tuple[tuple[list[tuple[EntityType, EntityType]], str], ...]] = {
    RelationLabel.USED_FOR: ((_pairs((_M, _D, _T), (_M, _D, _T)), "usedFor"),),
    RelationLabel.EVALUATED_WITH: ((_pairs((_M, _T), (_D,)), "evaluatedOn"), (_pairs((_M, _T), (_X,)), "measuredBy")),
    RelationLabel.TRAINED_WITH: (([(_M, _D)], "trainedOn"),),
    RelationLabel.BENCHMARK_FOR: (([(_D, _T)], "benchmarkFor"),),
    RelationLabel.COMPARE: ((_same(_M, _D, _T, _X), "comparedWith"),),
    RelationLabel.HYPONYM_OF: ((_same(_M, _D, _T, _X), "kindOf"),),
    RelationLabel.SUBTASK_OF: ((_same(_T), "kindOf"),),
    RelationLabel.PART_OF: ((_same(_M, _D, _T), "partOf"),),
}
PREDICATES: dict[tuple[RelationLabel, EntityType, EntityType], str] = {
    (label, h, t): predicate for label, rows in _MAPPING.items() for pairs, predicate in rows for h, t in pairs
}
SYMMETRIC = frozenset({"comparedWith"})  # stated once, from the entity with the smaller key
HIERARCHICAL = frozenset({"kindOf"})  # also stated as skos:broader, like abx:variantOf


@dataclass(frozen=True, slots=True)
class RelationEvidence:
    """One sentence of one paper stating a relation."""

    paper_key: str
    agent: tuple[str, str]  # (extractor name, version) of the paper's extraction
    sentence: TextSpan
    extractors: tuple[str, ...]  # the models and rules that found it in this sentence
    source_labels: tuple[str, ...]  # their own labels
    subject_forms: tuple[str, ...]  # the surface forms of the subject and object in the sentence
    object_forms: tuple[str, ...]
    score: float


@dataclass(frozen=True, slots=True)
class Statement:
    """``subject predicate object`` between entity keys, with the sentences that state it."""

    subject: str
    predicate: str
    object: str
    confidence: float
    evidence: tuple[RelationEvidence, ...]


def predicate_for(label: RelationLabel, head: EntityType, tail: EntityType) -> str | None:
    """The predicate a relation between entities of these types becomes (None: not in the graph).

    >>> predicate_for(RelationLabel.USED_FOR, EntityType.METHOD, EntityType.TASK)
    'usedFor'
    >>> predicate_for(RelationLabel.EVALUATED_WITH, EntityType.METHOD, EntityType.METRIC)
    'measuredBy'
    >>> predicate_for(RelationLabel.PART_OF, EntityType.METHOD, EntityType.TASK) is None
    True
    """
    return PREDICATES.get((label, head, tail))


def _evidence(paper_key: str, agent: tuple[str, str], found: list[tuple[Relation, bool]]) -> RelationEvidence:
    best: dict[str, float] = {}
    for r, _ in found:
        best[r.extractor] = max(best.get(r.extractor, 0.0), r.score)
    forms = [(r.tail.text, r.head.text) if swapped else (r.head.text, r.tail.text) for r, swapped in found]
    return RelationEvidence(
        paper_key=paper_key,
        agent=agent,
        sentence=found[0][0].sentence,
        extractors=tuple(sorted(best)),
        source_labels=tuple(sorted({r.source_label for r, _ in found})),
        subject_forms=tuple(sorted({s for s, _ in forms})),
        object_forms=tuple(sorted({o for _, o in forms})),
        score=noisy_or(best.values()),
    )


def statements(extractions: Iterable[Extraction], table: EntityTable,
               support_per_paper: float = 0.1) -> list[Statement]:
    """Every relation statement of the graph, in key order (deterministic)."""
    found: dict[tuple[str, str, str], dict[str, dict[tuple, list[tuple[Relation, bool]]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list)))
    agents: dict[str, tuple[str, str]] = {}
    for ex in extractions:
        if not ex.relations:
            continue
        agents[ex.paper.key] = (ex.extractor, ex.version)
        at = {(m.span.section, m.span.start, m.span.end): m for m in ex.mentions}
        for r in ex.relations:
            h = at.get((r.head.section, r.head.start, r.head.end))
            t = at.get((r.tail.section, r.tail.start, r.tail.end))
            if h is None or t is None:
                continue
            hk, tk = table.key_of(ex.paper.key, h), table.key_of(ex.paper.key, t)
            if hk == tk or hk not in table.entities or tk not in table.entities:
                continue  # one entity named twice ("LLMs" / "large language models"), or a rejected one
            predicate = predicate_for(r.label, table.entities[hk].type, table.entities[tk].type)
            if predicate is None:
                continue
            swapped = predicate in SYMMETRIC and tk < hk
            if swapped:
                hk, tk = tk, hk
            s = r.sentence
            found[(hk, predicate, tk)][ex.paper.key][(s.section.value, s.start, s.end)].append((r, swapped))
    out = []
    for (hk, predicate, tk), papers in sorted(found.items()):
        evidence = [_evidence(paper, agents[paper], sentences[where])
                    for paper, sentences in sorted(papers.items()) for where in sorted(sentences)]
        per_paper = [noisy_or(ev.score for ev in evidence if ev.paper_key == paper) for paper in papers]
        confidence = noisy_or([max(per_paper), *([support_per_paper] * (len(per_paper) - 1))])
        out.append(Statement(hk, predicate, tk, confidence, tuple(evidence)))
    return _without_cycles(out, table)


def _without_cycles(found: list[Statement], table: EntityTable) -> list[Statement]:
    """Hierarchical statements that contradict another (A kind of B and B kind of A; B kind of its
    own variant) are dropped: the weaker of two opposite ones, both when equally sure."""
    strength = {(s.subject, s.object): s.confidence for s in found if s.predicate in HIERARCHICAL}
    keep = []
    for s in found:
        if s.predicate in HIERARCHICAL:
            if table.variants.get(s.object) == s.subject:
                continue
            if strength.get((s.object, s.subject), -1.0) >= s.confidence:
                continue
        keep.append(s)
    return keep
