"""Papers in, ``Extraction`` objects out."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

from extract.components.common import TEXT
from extract.convert import to_extraction
from extract.decisions import DECISIONS_DIR, Decider
from extract.pipeline import (
    EXTRACTOR_NAME,
    EXTRACTOR_VERSION,
    NER_MODEL,
    RELATION_MODEL,
    build_pipeline,
    files_fingerprint,
    model_fingerprint,
    relations_fingerprint,
    rule_paths,
    rules_fingerprint,
)
from extract.priors import Priors
from kg.config import SEEDS_DIR
from kg.model import Extraction, Paper

logger = logging.getLogger(__name__)


def decisions_fingerprint(path: Path | None = DECISIONS_DIR) -> str:
    """A short hash of the decision models' files ("none" without decisions)."""
    return files_fingerprint(path, "*.json")


def extractor_version(seeds_dir: Path = SEEDS_DIR, model_dir: Path | None = NER_MODEL,
                      relations: str | None = RELATION_MODEL, decisions: Path | None = DECISIONS_DIR) -> str:
    """The version an Extractor built from these rules and models would stamp on its output (cheap)."""
    return (f"{EXTRACTOR_VERSION}+rules.{rules_fingerprint(seeds_dir)}+ner.{model_fingerprint(model_dir)}"
            f".{model_dir.name if model_dir else 'none'}"
            f"+rel.{relations_fingerprint(relations)}.{relations or 'none'}+dec.{decisions_fingerprint(decisions)}")


class Extractor:
    """The rule-based extraction pipeline, built once and reused.

    ``version`` combines the code version with a fingerprint of the rule
    files, so provenance in the graph says exactly which rules produced a fact.
    """

    def __init__(self, seeds_dir: Path = SEEDS_DIR, *, model_dir: Path | None = NER_MODEL,
                 relations: str | None = RELATION_MODEL, decisions: Path | None = DECISIONS_DIR) -> None:
        # with trained decisions the claim sentences are the decisions' choice: the cue rule would only cost time
        self.nlp = build_pipeline(seeds_dir, model_dir=model_dir, relations=relations, rule_claims=decisions is None)
        self.name = EXTRACTOR_NAME
        self.version = extractor_version(seeds_dir, model_dir, relations, decisions)
        self.priors = Priors.load(rule_paths(seeds_dir)["scores"])
        rules = rule_paths(seeds_dir)
        self.decider = (Decider.load(decisions, rules["settings"], rules["terms"])
                        if decisions is not None else None)

    def extract(self, paper: Paper) -> Extraction:
        return next(self.extract_many([paper]))

    def extract_many(self, papers: Iterable[Paper], *, batch_size: int = 64) -> Iterator[Extraction]:
        """Extract papers lazily, in input order, processing texts in batches."""
        batch: list[Paper] = []
        for paper in papers:
            batch.append(paper)
            if len(batch) >= batch_size:
                yield from self._batch(batch)
                batch = []
        if batch:
            yield from self._batch(batch)

    def _batch(self, papers: list[Paper]) -> Iterator[Extraction]:
        docs = []
        for paper in papers:
            for section, text in (("title", paper.title), ("abstract", paper.abstract)):
                doc = self.nlp.make_doc(text)
                doc.user_data["abx_section"] = section
                doc.user_data[TEXT] = text  # the components read it instead of rebuilding it from the tokens
                docs.append(doc)
        processed = list(self.nlp.pipe(docs))
        for i, paper in enumerate(papers):
            ex = to_extraction(paper, processed[2 * i], processed[2 * i + 1],
                               extractor=self.name, version=self.version, priors=self.priors)
            yield self.decider.apply(ex) if self.decider is not None else ex
