"""Annotated documents as plain types: gold sentences of gold tokens, typed spans, relations.

What the benchmark readers (:mod:`extract.training.corpora`) return, and what the relation model is
fitted and scored on (:mod:`extract.training.relations`). Token indices ``start``/``end`` are
**within the sentence**, ``end`` exclusive.

>>> doc = AnnotatedDoc("d", (("Deep", "nets", "work"),), (Entity(0, 0, 2, "Method"),), ())
>>> doc.entity_tokens(doc.entities[0])
('Deep', 'nets')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class Entity(NamedTuple):
    """A typed token span ``[start, end)`` within sentence ``sent``."""

    sent: int
    start: int
    end: int
    label: str


class Relation(NamedTuple):
    """A directed, typed relation between two spans of sentence ``sent`` (ends exclusive)."""

    sent: int
    h_start: int
    h_end: int
    t_start: int
    t_end: int
    label: str


@dataclass(frozen=True, slots=True)
class AnnotatedDoc:
    """One annotated document: gold sentences of gold tokens, entities and relations."""

    doc_id: str
    sentences: tuple[tuple[str, ...], ...]
    entities: tuple[Entity, ...]
    relations: tuple[Relation, ...] = ()

    def entity_tokens(self, ent: Entity) -> tuple[str, ...]:
        return self.sentences[ent.sent][ent.start : ent.end]
