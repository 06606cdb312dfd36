"""Plain domain objects: the bottom layer every other module speaks.

Only the standard library is imported here. The extractor produces these
objects and the graph layer consumes them; neither spaCy nor rdflib types
ever cross this boundary.

All character offsets are into the text of one ``section`` of a paper
(``"title"`` or ``"abstract"``), end-exclusive, like Python slices.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field


class EntityType(enum.StrEnum):
    """Kinds of scientific entity the graph knows."""

    METHOD = "Method"
    DATASET = "Dataset"
    TASK = "Task"
    METRIC = "Metric"
    CONCEPT = "Concept"


class Role(enum.StrEnum):
    """How a paper relates to an entity it mentions.

    Values are the local names of the graph predicates (see ``kg.vocab``).
    """

    PROPOSES = "proposes"
    USES = "uses"
    EVALUATES_ON = "evaluatesOn"
    ADDRESSES = "addresses"
    REPORTS_METRIC = "reportsMetric"
    MENTIONS = "mentions"


# The link a paper has to an entity it mentions without proposing it.
DEFAULT_ROLE: dict[EntityType, Role] = {
    EntityType.METHOD: Role.USES,
    EntityType.DATASET: Role.EVALUATES_ON,
    EntityType.TASK: Role.ADDRESSES,
    EntityType.METRIC: Role.REPORTS_METRIC,
    EntityType.CONCEPT: Role.MENTIONS,
}


class Section(enum.StrEnum):
    TITLE = "title"
    ABSTRACT = "abstract"


@dataclass(frozen=True, slots=True)
class Paper:
    """One input record. ``key`` is the canonical identity used for its IRI."""

    key: str
    title: str
    abstract: str
    source: str = ""
    line: int = 0
    identifier: str | None = None
    date: str | None = None
    year: int | None = None
    authors: tuple[str, ...] = ()
    url: str | None = None


@dataclass(frozen=True, slots=True)
class TextSpan:
    """A stretch of one section of a paper."""

    section: Section
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Mention:
    """A surface form of an entity found in a paper.

    ``sentence`` is the enclosing sentence, kept as evidence. ``rule`` names
    the component or pattern that found it; ``score`` in [0, 1] is the
    extractor's confidence, combined over every rule in ``agreeing`` too.
    """

    span: TextSpan
    label: EntityType
    role: Role
    sentence: TextSpan
    rule: str
    long_form: str | None = None
    score: float = 1.0
    agreeing: tuple[str, ...] = ()  # other rules or models that found exactly this span


@dataclass(frozen=True, slots=True)
class Abbreviation:
    """``short`` was defined in the text as standing for ``long``."""

    short: TextSpan
    long: TextSpan


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number parsed out of a claim sentence ("up to 14x", "1.7%")."""

    value: float
    unit: str
    text: str
    start: int
    end: int
    qualifier: str | None = None


@dataclass(frozen=True, slots=True)
class Result:
    """A structured result read from a claim: who reached what, where, measured how.

    Entity fields hold surface forms as written in the sentence (resolved to
    graph entities later); ``condition`` is the setting a value belongs to in
    "by 1.7%, 1.1% and 0.5% for ViT, DeiT and Swin respectively".
    """

    quantity: Quantity
    method: str | None = None
    dataset: str | None = None
    metric: str | None = None
    baseline: str | None = None
    condition: str | None = None
    direction: str | None = None  # "increase" | "decrease"
    kind: str | None = None  # "score" | "gain" | "reduction" | "ratio" | "other" (docs/annotation-guide.md)
    score: float | None = None  # a fitted probability that the result is right, where a trained decision set it

    def confidence(self, claim_score: float) -> float:
        """How far to trust the result: its fitted ``score`` where set; else as its claim, and less the more of
        method, dataset, metric is missing.

        >>> Result(Quantity(1.7, "%", "1.7%", 0, 4), method="M").confidence(0.9)
        0.54
        >>> Result(Quantity(1.7, "%", "1.7%", 0, 4), score=0.83).confidence(0.9)
        0.83
        """
        if self.score is not None:
            return self.score
        filled = sum(1 for x in (self.method, self.dataset, self.metric) if x)
        return round(claim_score * (0.4 + 0.2 * filled), 4)


@dataclass(frozen=True, slots=True)
class Claim:
    """A result or finding sentence with the numbers in it."""

    sentence: TextSpan
    kind: str
    cue: str
    quantities: tuple[Quantity, ...] = ()
    results: tuple[Result, ...] = ()
    score: float = 1.0


@dataclass(frozen=True, slots=True)
class CodeLink:
    url: str
    span: TextSpan


# ------------------------------------------------------------ entity-entity relations


class RelationLabel(enum.StrEnum):
    """Kinds of relation between two entities of one sentence, in our vocabulary.

    Direction is normalised: the head *is* what the label says of the tail
    ("BERT" USED_FOR "question answering"; a method EVALUATED_WITH a dataset or
    metric, whichever way round the source scheme wrote it). Which graph
    predicate, if any, a label becomes depends on the entity types (``kg.graph.relations``).
    """

    USED_FOR = "usedFor"  # SciERC USED-FOR, SciER Used-For
    EVALUATED_WITH = "evaluatedWith"  # SciER Evaluated-With; SciERC EVALUATE-FOR (reversed); claim results
    TRAINED_WITH = "trainedWith"  # SciER Trained-With
    BENCHMARK_FOR = "benchmarkFor"  # SciER Benchmark-For
    COMPARE = "compare"  # SciERC COMPARE, SciER Compare-With; claim baselines (symmetric)
    HYPONYM_OF = "hyponymOf"  # SciERC HYPONYM-OF, SciER SubClass-Of
    SUBTASK_OF = "subtaskOf"  # SciER SubTask-Of
    PART_OF = "partOf"  # SciERC PART-OF, SciER Part-Of
    SYNONYM_OF = "synonymOf"  # SciER Synonym-Of
    FEATURE_OF = "featureOf"  # SciERC FEATURE-OF
    CONJUNCTION = "conjunction"  # SciERC CONJUNCTION (symmetric)


@dataclass(frozen=True, slots=True)
class Relation:
    """A relation stated in one sentence between two mentions of the same paper.

    ``head`` and ``tail`` are the spans of two of the Extraction's mentions
    (``Mention.span``); ``sentence`` is the sentence both lie in, kept as
    evidence. ``source_label`` is the extractor's own label ("Used-For",
    "EVALUATE-FOR", "result-dataset"), ``extractor`` names the model or rule
    ("model:relations-scier", "rule:results") and ``score`` in [0, 1] is its
    confidence (a model's probability, a rule's prior).
    """

    head: TextSpan
    tail: TextSpan
    label: RelationLabel
    source_label: str
    sentence: TextSpan
    extractor: str
    score: float = 1.0


@dataclass(frozen=True, slots=True)
class Extraction:
    """Everything the extractor found in one paper."""

    paper: Paper
    extractor: str
    version: str
    mentions: tuple[Mention, ...] = ()
    abbreviations: tuple[Abbreviation, ...] = ()
    claims: tuple[Claim, ...] = ()
    code_links: tuple[CodeLink, ...] = ()
    sentences: tuple[TextSpan, ...] = field(default=())
    relations: tuple[Relation, ...] = ()  # between mentions of this extraction


@dataclass(frozen=True, slots=True)
class Skipped:
    """An input record that could not be used, and why."""

    source: str
    line: int
    reason: str


def noisy_or(scores: Iterable[float]) -> float:
    """Probability that at least one of several independent signals is right.

    >>> round(noisy_or([0.5, 0.5]), 2)
    0.75
    """
    miss = 1.0
    for s in scores:
        miss *= 1.0 - min(1.0, max(0.0, s))
    return 1.0 - miss
