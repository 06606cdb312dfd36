"""Build a graph generation from papers with any extractor.

The extractor is passed in as a function, so this module never imports the
NLP layer; ``kg.graph.orchestrate`` wires in the real one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import gc
import json
import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kg.config import Settings
from kg.errors import ConfigError, InputError
from kg.graph import corrections, phase
from kg.graph.cache import FILE as CACHE_FILE
from kg.graph.cache import ExtractionCache
from kg.graph.canon import EntityTable, load_aliases, load_variant_rules
from kg.graph.codec import content_hash
from kg.model import Extraction, Paper, Skipped
from kg.store import generations as store

logger = logging.getLogger(__name__)

_TEMPORARY = ("cache", "snapshot", "state", "shared")  # a build's files beside the store, until it publishes them
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
    changes: dict[str, int] = field(default_factory=dict)
    steps: tuple[phase.Step, ...] = ()  # the graph phase, step by step
    as_changes: bool = False  # the graph was written as changes to the published one (kg.graph.delta)

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
            "changes": dict(self.changes),
            "steps": [step.as_dict() for step in self.steps],
            "written": "changes" if self.as_changes else "in full",
        }


def _support_per_paper(path: Path) -> float:
    try:
        return float(json.loads(path.read_text(encoding="utf-8"))["support_per_paper"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ConfigError(f"cannot read support_per_paper from {path}: {e}; restore it from git") from e


def _replacements(table: EntityTable, retired: dict[str, str]) -> dict[str, str]:
    """Retired entity key -> the key standing for it now, for keys of earlier builds that are gone.

    Kept from build to build, so an IRI once published keeps pointing somewhere
    (``dcterms:isReplacedBy``) until its key comes back as an entity of its own.
    """
    out = {}
    for key in sorted(retired):
        found = table.replacement(key)
        if found:
            out[key] = found
    return out


def entity_table(extractions: Sequence[Extraction], settings: Settings,
                 fixes: corrections.Corrections | None = None) -> EntityTable:
    """The entities of ``extractions`` under the settings' variant rules, aliases and corrections
    (``fixes``, read from the settings' corrections file when not given)."""
    return EntityTable(extractions, load_variant_rules(settings.seeds_dir / "patterns" / "variants.json"),
                       corrections.load(settings.corrections_file) if fixes is None else fixes,
                       load_aliases(settings.seeds_dir / "gazetteer" / "aliases.tsv"))


def _extract_changed(papers: Sequence[Paper], cache: ExtractionCache, extract_many: ExtractMany, version: str,
                     prune: bool, progress: Progress | None) -> tuple[list[Extraction], dict[str, int]]:
    """Every paper's extraction: cached where unchanged, fresh where new or changed."""
    index = cache.index()
    todo: list[Paper] = []
    added = changed = 0
    for p in papers:
        old = index.get(p.key)
        if old != (content_hash(p), version):
            todo.append(p)
            added += old is None
            changed += old is not None
    input_keys = {p.key for p in papers}
    removed = sorted(k for k in index if k not in input_keys) if prune else []
    cache.remove(removed)
    fresh: list[Extraction] = []
    given = {p.key: p for p in todo}
    for n, ex in enumerate(extract_many(todo), start=1):
        if ex.paper == given.get(ex.paper.key):  # a worker's copy of the paper: keep the one in hand, not two
            ex = dataclasses.replace(ex, paper=given[ex.paper.key])
        fresh.append(ex)
        if progress:
            progress(n, len(todo))
    cache.put(fresh)
    fresh_keys = {ex.paper.key for ex in fresh}
    kept = sorted(k for k in index if k not in fresh_keys and k not in removed)
    with _no_cycle_collection():
        extractions = sorted([*cache.load(kept), *fresh], key=lambda ex: ex.paper.key)
    changes = {"added": added, "changed": changed, "unchanged": len(papers) - len(todo),
               "kept": len(kept) - (len(papers) - len(todo)), "removed": len(removed), "extracted": len(fresh)}
    return extractions, changes


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Hold Python's cycle collector while a build decodes records and writes the graph.

    Those steps make millions of long-lived objects and almost no reference cycles, and each full
    collection walks all of them: on 55k papers the collector took half the time of decoding the
    extraction cache. Objects are still freed as their last reference goes; cycles wait for the end.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _remove_stale_caches(root: Path) -> None:
    """Remove the files a killed build left beside the store (extraction cache, snapshot, graph state; called
    under the build lock, so none runs)."""
    mine = tuple(f".{kind}-{os.getpid()}." for kind in _TEMPORARY)
    for path in (path for kind in _TEMPORARY for path in root.glob(f".{kind}-*")):
        if path.name.startswith(mine):
            continue
        path.unlink(missing_ok=True)
        logger.info("removed %s, left by a build that did not finish", path)


def build_store(papers: Sequence[Paper], extract_many: ExtractMany, settings: Settings, *,
                version: str = "", skipped: Sequence[Skipped] = (), progress: Progress | None = None,
                inputs: Sequence[str] = (), prune: bool = False, wait_s: float = 0.0,
                full: bool = False) -> BuildSummary:
    """Add ``papers`` to the store's graph and publish the result as a new generation.

    Papers already in the graph with the same content and extractor ``version``
    are not extracted again; a changed paper replaces exactly its own facts;
    papers missing from ``papers`` stay unless ``prune``. The whole graph is then
    regenerated from the extractions, so entity support and confidence follow; where the published
    generation was made by a build, only the triples that differ are written (:mod:`kg.graph.delta`),
    unless ``full``.
    The previous generation stays published until the new one is complete. The store's build lock
    is held from reading the previous generation to publishing the new one, so a second build waits
    (up to ``wait_s``) or is refused, and never publishes over the first one's papers.

    Raises:
        InputError: ``papers`` is empty (the existing graph is left as it is).
        StoreError: another build holds the store past ``wait_s``, or it is not writable.
    """
    if not papers:
        raise InputError("no papers to build from; the existing graph was left unchanged")
    started_at = datetime.datetime.now(datetime.UTC)
    started = time.perf_counter()
    root = Path(settings.store_dir)
    root.mkdir(parents=True, exist_ok=True)
    with store.build_lock(root, wait_s=wait_s):
        _remove_stale_caches(root)
        previous = store.current_generation(root)
        cache = ExtractionCache(root / f".cache-{os.getpid()}.sqlite",
                                copy_from=previous.path / CACHE_FILE if previous else None)
        try:
            extractions, changes = _extract_changed(papers, cache, extract_many, version, prune, progress)
            clock = phase.Clock()
            name = store.new_generation_name()
            resolved: dict[str, dict] = {}

            def resolve() -> phase.Phase:  # run by the graph phase while the papers' own triples load
                fixes = corrections.load(settings.corrections_file)
                table = entity_table(extractions, settings, fixes)
                before = cache.entity_keys()
                changes["entities_created"] = sum(1 for k in table.entities if k not in before)
                changes["entities_removed"] = sum(1 for k in before if k not in table.entities)
                cache.set_entity_keys(table.entities)
                replaced = _replacements(table,
                                         {**cache.retired(), **dict.fromkeys(before - table.entities.keys(), "")})
                cache.set_retired(replaced)
                changes["entities_replaced"] = len(replaced)
                entity_counts = Counter(e.type.value for e in table.entities.values())
                resolved["summary"] = {
                    "papers": len(extractions),
                    "entities": dict(sorted(entity_counts.items())),
                    "claims": sum(len(ex.claims) for ex in extractions),
                    "code_links": sum(len({c.url for c in ex.code_links}) for ex in extractions),
                    "skipped": len(skipped),
                    "changes": changes,
                    "corrections": str(settings.corrections_file) if fixes else None,
                    "inputs": [str(Path(i).resolve()) for i in inputs],
                }
                record = {**changes, "started": started_at.isoformat(timespec="seconds"),
                          "ended": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                          "inputs": [Path(i).name for i in inputs]}
                cache.add_build(name, record)
                support = _support_per_paper(settings.seeds_dir / "patterns" / "scores.json")
                builds = cache.builds()
                cache.close()
                return phase.Phase(extractions, table, replaced, builds, support)

            with _no_cycle_collection():
                gen, as_changes = phase.publish_graph(extractions, resolve, settings, clock, name=name,
                                                      summary=lambda: resolved["summary"], cache_path=cache.path,
                                                      full=full)
            summary = resolved["summary"]
        finally:
            cache.path.unlink(missing_ok=True)
    seconds = time.perf_counter() - started
    result = BuildSummary(
        papers=summary["papers"], entities=summary["entities"], claims=summary["claims"],
        code_links=summary["code_links"], triples=gen.summary().get("triples", 0), seconds=seconds,
        store=str(settings.store_dir), generation=gen.name, skipped=tuple(skipped), changes=changes,
        steps=tuple(clock.steps), as_changes=as_changes,
    )
    logger.info("built %s", result.as_dict())
    return result
