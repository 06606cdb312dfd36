"""Build a graph generation from papers with any extractor.

The extractor is passed in as a function, so this module never imports the
NLP layer; ``kg.orchestrate`` wires in the real one.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kg import corrections, store, triples
from kg.canon import EntityTable, load_aliases, load_variant_rules
from kg.config import Settings
from kg.errors import ConfigError, InputError
from kg.model import Extraction, Paper, Skipped

logger = logging.getLogger(__name__)

ExtractMany = Callable[[Iterable[Paper]], Iterator[Extraction]]
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class BuildSummary:
    papers: int
    entities: dict[str, int]
    claims: int
    code_links: int
    triples: int
    seconds: float
    store: str
    generation: str
    skipped: tuple[Skipped, ...] = field(default=())

    def as_dict(self) -> dict:
        return {
            "papers": self.papers,
            "entities": dict(self.entities),
            "claims": self.claims,
            "code_links": self.code_links,
            "triples": self.triples,
            "skipped": len(self.skipped),
            "seconds": round(self.seconds, 2),
            "store": self.store,
            "generation": self.generation,
        }


def _support_per_paper(path) -> float:  # noqa: ANN001 - Path
    try:
        return float(json.loads(path.read_text(encoding="utf-8"))["support_per_paper"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ConfigError(f"cannot read support_per_paper from {path}: {e}; restore it from git") from e


def build_store(papers: Sequence[Paper], extract_many: ExtractMany, settings: Settings, *,
                skipped: Sequence[Skipped] = (), progress: Progress | None = None,
                inputs: Sequence[str] = ()) -> BuildSummary:
    """Extract ``papers``, build the graph and publish it as the store's new generation.

    The previous generation stays published until the new one is complete.

    Raises:
        InputError: ``papers`` is empty (the existing graph is left as it is).
        StoreError: the store is locked by another build or not writable.
    """
    if not papers:
        raise InputError("no papers to build from; the existing graph was left unchanged")
    started = time.perf_counter()
    extractions: list[Extraction] = []
    for n, ex in enumerate(extract_many(papers), start=1):
        extractions.append(ex)
        if progress:
            progress(n, len(papers))
    variants = load_variant_rules(settings.seeds_dir / "patterns" / "variants.json")
    fixes = corrections.load(settings.corrections_file)
    aliases = load_aliases(settings.seeds_dir / "gazetteer" / "aliases.tsv")
    table = EntityTable(extractions, variants, fixes, aliases)
    entity_counts = Counter(e.type.value for e in table.entities.values())
    summary = {
        "papers": len(extractions),
        "entities": dict(sorted(entity_counts.items())),
        "claims": sum(len(ex.claims) for ex in extractions),
        "code_links": sum(len({c.url for c in ex.code_links}) for ex in extractions),
        "skipped": len(skipped),
        "corrections": str(settings.corrections_file) if fixes else None,
        "inputs": [str(Path(i).resolve()) for i in inputs],
    }
    support = _support_per_paper(settings.seeds_dir / "patterns" / "scores.json")
    quads = triples.to_oxigraph(
        triples.graph_triples(extractions, settings.base_iri, variants, support, fixes, aliases))
    gen = store.publish(settings.store_dir, quads, summary)
    seconds = time.perf_counter() - started
    result = BuildSummary(
        papers=summary["papers"], entities=summary["entities"], claims=summary["claims"],
        code_links=summary["code_links"], triples=gen.summary().get("triples", 0), seconds=seconds,
        store=str(settings.store_dir), generation=gen.name, skipped=tuple(skipped),
    )
    logger.info("built %s", result.as_dict())
    return result
