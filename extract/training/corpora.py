"""Readers for the annotated benchmarks (SciERC, SciER, TDMSci) in the data folder ``$ABSTRACTA_DATA``.

Every reader returns a :class:`Corpus` of :class:`AnnotatedDoc` built from plain
frozen dataclasses and tuples (no spaCy types), with one index convention for all
formats, whatever the file uses:

* tokens are the gold tokens of the file, grouped in sentences;
* an entity is ``Entity(sent, start, end, label)`` with ``start``/``end`` token
  indices **within its sentence**, ``end`` **exclusive** (Python slice style);
* a relation is ``Relation(sent, h_start, h_end, t_start, t_end, label)`` in the
  same convention (both arguments lie in the same sentence in these benchmarks).

File conventions converted here:

* SciERC ``*.json`` and SciER ``PLM/*.jsonl``: one document per line, ``ner`` and
  ``relations`` one list per sentence, **document-level inclusive** token offsets.
* SciER ``LLM/*.jsonl``: one sentence per line, whitespace-tokenised, entities and
  relations given as surface strings. :func:`read_scier_llm` locates each
  entity's token span (see :func:`locate_entities`) and reports the ones it
  could not place in ``Corpus.unlocated``.
* TDMSci derived ``*.jsonl``: one sentence per line, ``entities`` with
  **sentence-level inclusive** token indices; labels TASK/DATASET/METRIC kept as is
  (use :func:`map_labels` to map them onto another scheme).

>>> doc = AnnotatedDoc("d", (("Deep", "nets", "work"),), (Entity(0, 0, 2, "Method"),), ())
>>> doc.entity_tokens(doc.entities[0])
('Deep', 'nets')
"""

from __future__ import annotations

import gzip
import json
import logging
import os
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from extract.training.annotated import AnnotatedDoc, Entity, Relation
from extract.training.locate import locate_entities, nearest_pair
from kg.errors import ConfigError

log = logging.getLogger(__name__)

DATA_ENV = "ABSTRACTA_DATA"

SCIERC_LABELS: tuple[str, ...] = ("Generic", "Material", "Method", "Metric", "OtherScientificTerm", "Task")
SCIER_LABELS: tuple[str, ...] = ("Dataset", "Method", "Task")
# TDMSci -> SciER scheme; METRIC has no SciER label and is dropped by default.
TDMSCI_TO_SCIER: Mapping[str, str | None] = {"TASK": "Task", "DATASET": "Dataset", "METRIC": None}


@dataclass(frozen=True, slots=True)
class Unlocated:
    """An entity (or relation argument) of a surface-string format that no token span matched."""

    doc_id: str
    sent: int
    surface: str
    label: str
    reason: str


@dataclass(frozen=True, slots=True)
class Corpus:
    """The documents read from one file, plus what could not be placed."""

    name: str
    docs: tuple[AnnotatedDoc, ...]
    unlocated: tuple[Unlocated, ...] = ()
    unlocated_relations: int = 0
    notes: tuple[str, ...] = field(default=())

    def __iter__(self) -> Iterator[AnnotatedDoc]:
        return iter(self.docs)

    def __len__(self) -> int:
        return len(self.docs)

    @property
    def n_sentences(self) -> int:
        return sum(len(d.sentences) for d in self.docs)

    @property
    def n_entities(self) -> int:
        return sum(len(d.entities) for d in self.docs)

    @property
    def n_relations(self) -> int:
        return sum(len(d.relations) for d in self.docs)

    def label_counts(self) -> Counter[str]:
        return Counter(e.label for d in self.docs for e in d.entities)

    def summary(self) -> str:
        labels = ", ".join(f"{k} {v}" for k, v in sorted(self.label_counts().items()))
        text = (
            f"{self.name}: {len(self.docs)} docs, {self.n_sentences} sentences, "
            f"{self.n_entities} entities ({labels}), {self.n_relations} relations"
        )
        if self.unlocated or self.unlocated_relations:
            text += f"; unlocated: {len(self.unlocated)} entities, {self.unlocated_relations} relations"
        return text


# ------------------------------------------------------------------ file helpers


def _open_text(path: Path) -> TextIO:
    path = Path(path)
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def _json_lines(path: Path) -> Iterator[dict[str, Any]]:
    with _open_text(path) as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{lineno}: not JSON: {exc}") from exc


# ------------------------------------------------------------------ document-level inclusive (SciERC, SciER PLM)


def _doc_from_dygie(doc_id: str, sentences: list[list[str]], ner: list, relations: list) -> AnnotatedDoc:
    """Convert a DyGIE/PURE-style record (doc-level inclusive offsets) to sentence-level exclusive."""
    starts: list[int] = []
    offset = 0
    for sent in sentences:
        starts.append(offset)
        offset += len(sent)
    ents: list[Entity] = []
    rels: list[Relation] = []
    for i, sent_ner in enumerate(ner or []):
        base, n = starts[i], len(sentences[i])
        for start, end, label in sent_ner:
            s, e = start - base, end - base + 1
            if not (0 <= s < e <= n):
                raise ValueError(f"{doc_id}: entity {start}-{end} {label} outside sentence {i}")
            ents.append(Entity(i, s, e, label))
    for i, sent_rel in enumerate(relations or []):
        base, n = starts[i], len(sentences[i])
        for hs, he, ts, te, label in sent_rel:
            r = Relation(i, hs - base, he - base + 1, ts - base, te - base + 1, label)
            if not (0 <= r.h_start < r.h_end <= n and 0 <= r.t_start < r.t_end <= n):
                raise ValueError(f"{doc_id}: relation {hs}-{he}/{ts}-{te} {label} outside sentence {i}")
            rels.append(r)
    return AnnotatedDoc(
        doc_id=doc_id,
        sentences=tuple(tuple(s) for s in sentences),
        entities=tuple(ents),
        relations=tuple(rels),
    )


def _read_dygie(path: str | Path, id_key: str, prefix: str) -> Corpus:
    """A file in the DyGIE layout, one document a line; ``id_key`` names the document's identifier."""
    path = Path(path)
    docs = tuple(
        _doc_from_dygie(r[id_key], r["sentences"], r.get("ner", []), r.get("relations", []))
        for r in _json_lines(path)
    )
    return Corpus(name=f"{prefix}:{path.stem}", docs=docs)


def read_scierc(path: str | Path) -> Corpus:
    """SciERC processed JSON (``train.json``/``dev.json``/``test.json``): one abstract per line."""
    return _read_dygie(path, "doc_key", "scierc")


def read_scier_plm(path: str | Path) -> Corpus:
    """SciER PLM format (``PLM/{dev,test,test_ood}.jsonl``): one document per line."""
    return _read_dygie(path, "doc_id", "scier-plm")


# ------------------------------------------------------------------ surface strings (SciER LLM)


def read_scier_llm(path: str | Path) -> Corpus:
    """SciER LLM format (``LLM/*.jsonl``): one sentence per line, surfaces instead of offsets.

    Consecutive lines with the same ``doc_id`` form one document. Relations are
    placed on the located entity spans of their surfaces (nearest pair when a
    surface occurs more than once); the ones that cannot be placed are counted in
    ``Corpus.unlocated_relations``.
    """
    path = Path(path)
    docs: list[AnnotatedDoc] = []
    unlocated: list[Unlocated] = []
    bad_rels = 0
    cur_id: str | None = None
    sents: list[tuple[str, ...]] = []
    ents: list[Entity] = []
    rels: list[Relation] = []

    def flush() -> None:
        if cur_id is not None:
            docs.append(AnnotatedDoc(cur_id, tuple(sents), tuple(ents), tuple(rels)))

    for rec in _json_lines(path):
        if rec["doc_id"] != cur_id:
            flush()
            cur_id, sents, ents, rels = rec["doc_id"], [], [], []
        i = len(sents)
        tokens = tuple(rec["sentence"].split())
        sents.append(tokens)
        spans, missing = locate_entities(tokens, [(s, t) for s, t in rec.get("ner", [])])
        ents.extend(Entity(i, s, e, lab) for s, e, lab in spans)
        unlocated.extend(Unlocated(cur_id, i, s, lab, why) for s, lab, why in missing)
        by_surface: dict[str, list[tuple[int, int]]] = {}
        for s, e, _ in spans:
            by_surface.setdefault(" ".join(tokens[s:e]), []).append((s, e))
        for head, label, tail in rec.get("rel", []):
            pair = nearest_pair(by_surface.get(" ".join(head.split()), []), by_surface.get(" ".join(tail.split()), []))
            if pair is None:
                bad_rels += 1
                continue
            (hs, he), (ts, te) = pair
            rels.append(Relation(i, hs, he, ts, te, label))
    flush()
    if unlocated:
        log.info("%s: %d entities could not be located", path, len(unlocated))
    return Corpus(
        name=f"scier-llm:{path.stem}", docs=tuple(docs), unlocated=tuple(unlocated), unlocated_relations=bad_rels
    )


def read_scier(path: str | Path) -> Corpus:
    """SciER, either format: ``PLM/`` files (offsets) or ``LLM/`` files (surface strings).

    The format is taken from the first record (``doc_tokens`` means PLM).
    """
    path = Path(path)
    first = next(_json_lines(path), None)
    if first is not None and "sentences" in first and "doc_tokens" in first:
        return read_scier_plm(path)
    return read_scier_llm(path)


# ------------------------------------------------------------------ TDMSci (derived jsonl)


def read_tdmsci(path: str | Path, *, sentences_per_doc: int | None = None) -> Corpus:
    """TDMSci derived JSONL (``TDMSci/{train,test}.jsonl``): one sentence per line.

    Each sentence becomes its own document unless ``sentences_per_doc`` groups
    consecutive sentences. Entity ``start``/``end`` are sentence-level inclusive.
    """
    path = Path(path)
    docs: list[AnnotatedDoc] = []
    group: list[dict[str, Any]] = []

    def flush() -> None:
        if not group:
            return
        sents = tuple(tuple(r["tokens"]) for r in group)
        ents = tuple(
            Entity(i, e["start"], e["end"] + 1, e["type"]) for i, r in enumerate(group) for e in r.get("entities", [])
        )
        for ent in ents:
            if not (0 <= ent.start < ent.end <= len(sents[ent.sent])):
                raise ValueError(f"{group[0]['id']}: entity {ent} outside its sentence")
        docs.append(AnnotatedDoc(str(group[0]["id"]), sents, ents, ()))
        group.clear()

    for rec in _json_lines(path):
        group.append(rec)
        if sentences_per_doc is None or len(group) >= sentences_per_doc:
            flush()
    flush()
    return Corpus(name=f"tdmsci:{path.stem}", docs=tuple(docs))


# ------------------------------------------------------------------ transforms


def map_labels(corpus: Corpus, mapping: Mapping[str, str | None] | Callable[[str], str | None]) -> Corpus:
    """A copy of ``corpus`` with entity labels mapped; a label mapped to ``None`` drops the entity.

    Relations whose arguments lost their entity are kept (they refer to spans, not labels).
    """
    fn = mapping if callable(mapping) else mapping.get
    docs = []
    for d in corpus.docs:
        ents = tuple(Entity(e.sent, e.start, e.end, lab) for e in d.entities if (lab := fn(e.label)) is not None)
        docs.append(AnnotatedDoc(d.doc_id, d.sentences, ents, d.relations))
    return Corpus(corpus.name, tuple(docs), corpus.unlocated, corpus.unlocated_relations, corpus.notes)


def data_dir(given: str | Path | None = None) -> Path:
    """The data folder: ``given``, else ``$ABSTRACTA_DATA``; one clear error when neither is set."""
    raw = given if given is not None else os.environ.get(DATA_ENV)
    if not raw:
        raise ConfigError(f"no data folder given: set {DATA_ENV} (or pass --data) to the folder that holds "
                          "scierc/, scier/, tdmsci/ and abstracts/")
    path = Path(raw)
    if not path.is_dir():
        raise ConfigError(f"data folder {path} does not exist: set {DATA_ENV} (or --data) to an existing folder")
    return path


def standard_paths(data: Path | None = None) -> dict[str, Path]:
    """Where each benchmark split lives in the data folder."""
    root = data if data is not None else data_dir()
    return {
        "scierc:train": root / "scierc/train.json",
        "scierc:dev": root / "scierc/dev.json",
        "scierc:test": root / "scierc/test.json",
        "scier:train": root / "scier/LLM/train.jsonl",
        "scier:dev": root / "scier/PLM/dev.jsonl",
        "scier:test": root / "scier/PLM/test.jsonl",
        "scier:test_ood": root / "scier/PLM/test_ood.jsonl",
        "tdmsci:train": root / "tdmsci/TDMSci/train.jsonl",
        "tdmsci:test": root / "tdmsci/TDMSci/test.jsonl",
    }


def read_split(key: str, data: Path | None = None) -> Corpus:
    """Read a split by key (``"scierc:train"``, ``"scier:dev"``, ``"tdmsci:train"``...)."""
    path = standard_paths(data)[key]
    corpus_name = key.split(":", 1)[0]
    reader = {"scierc": read_scierc, "scier": read_scier, "tdmsci": read_tdmsci}[corpus_name]
    return reader(path)
