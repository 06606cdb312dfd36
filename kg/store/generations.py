"""The on-disk graph store: Oxigraph databases published as atomic generations.

Layout of a store directory::

    DIR/CURRENT          name of the published generation (replaced atomically)
    DIR/gen-<stamp>/db   an Oxigraph (RocksDB) database, never written once published
    DIR/gen-<stamp>/summary.json
    DIR/gen-<stamp>/...          the build's extraction cache, snapshot and graph state (kg.graph)
    DIR/.lock            held while a build or an update runs (its holder's pid inside)

A build loads a fresh generation and only then points ``CURRENT`` at it, so a
failed or killed build leaves the previous graph untouched, and readers never
see a half-written database. The previous generation is kept (a running
dashboard may still have it open); older ones are removed by the next build.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib.namespace import RDF

from kg.errors import StoreError
from kg.store.loader import bulk_load_stream
from kg.vocab import ABX, PREFIXES

logger = logging.getLogger(__name__)

ONTOLOGY_PATH = Path(__file__).resolve().parents[1] / "ontology.ttl"
ONTOLOGY_GRAPH = "https://w3id.org/abstracta/ontology"
BUILDS_GRAPH = "https://w3id.org/abstracta/builds"
_CURRENT = "CURRENT"
# kg.read.snapshot.FILE and kg.graph.delta.STATE_FILE: they describe the graph an update changes, so an update's
# generation has neither (the next build then writes the whole graph)
_DERIVED = ("snapshot.sqlite", "graph-state.sqlite")

Finish = Callable[[ox.Store, Path], None]


@dataclass(frozen=True, slots=True)
class Generation:
    """One published database of a store directory."""

    root: Path
    name: str

    @property
    def path(self) -> Path:
        return self.root / self.name

    @property
    def db_path(self) -> Path:
        return self.path / "db"

    def summary(self) -> dict:
        """What the build that wrote this generation recorded; {} when it recorded nothing."""
        path = self.path / "summary.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as e:
            raise StoreError(f"{path} is unreadable ({e}); rebuild the graph with 'python -m kg build' "
                             f"or restore the file from a backup") from e
        if not isinstance(data, dict):
            raise StoreError(f"{path} holds {type(data).__name__}, not an object; rebuild the graph with "
                             f"'python -m kg build'")
        return data


def current_generation(root: str | Path) -> Generation | None:
    """The published generation of ``root``, or None when nothing was built yet."""
    root = Path(root)
    try:
        name = (root / _CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise StoreError(f"cannot read {root / _CURRENT}: {e}") from e
    gen = Generation(root, name)
    if not name or not gen.db_path.is_dir():
        raise StoreError(
            f"store {root} points at missing generation {name!r}; rebuild with "
            f"`python -m kg build --store {root}`"
        )
    return gen


def open_current_generation(root: str | Path) -> Generation:
    """The published generation of ``root``.

    Raises:
        StoreError: nothing has been built in ``root`` yet, or it is unreadable.
    """
    gen = current_generation(root)
    if gen is None:
        raise StoreError(f"no graph in {root}; build one with `python -m kg build --store {root}`")
    return gen


def open_current(root: str | Path) -> tuple[Generation, ox.Store]:
    """Open the published graph of ``root`` read-only.

    Raises:
        StoreError: nothing has been built in ``root`` yet, or it is unreadable.
    """
    gen = open_current_generation(root)
    try:
        return gen, ox.Store.read_only(str(gen.db_path))
    except OSError as e:
        raise StoreError(f"cannot open the graph in {gen.db_path}: {e}") from e


_held: dict[tuple[Path, int], int] = {}  # (store directory, thread) holding its lock, and how deeply


def _holder(root: Path) -> str:
    try:
        text = (root / ".lock").read_text(encoding="utf-8").strip()
    except OSError:
        return ""
    return f" ({text})" if text else ""


@contextlib.contextmanager
def build_lock(root: str | Path, *, wait_s: float = 0.0) -> Iterator[None]:
    """Hold ``root``'s build lock: one build or update at a time per store directory, for the whole of it.

    Re-entrant within a thread (a build holds it and publishes under it); other threads and processes
    wait. Waits up to ``wait_s`` for
    the holder to finish, then refuses.

    Raises:
        StoreError: another build or update holds the lock past ``wait_s``.
    """
    root = Path(root).resolve()
    key = (root, threading.get_ident())
    if _held.get(key):
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "a+", encoding="utf-8") as fh:
        deadline = time.monotonic() + wait_s
        waited = False
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreError(f"another build or update is running on {root}{_holder(root)}; wait for "
                                     f"it to finish (kg build --wait SECONDS queues behind it)") from None
                if not waited:
                    logger.warning("waiting for the build running on %s%s", root, _holder(root))
                    waited = True
                time.sleep(0.2)
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}, since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        fh.flush()
        _held[key] = 1
        try:
            yield
        finally:
            _held.pop(key, None)
            fh.seek(0)
            fh.truncate()
            fh.flush()
            fcntl.flock(fh, fcntl.LOCK_UN)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_stale(root: Path, keep: set[str]) -> None:
    for child in root.glob("gen-*"):
        if child.name not in keep and child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
            logger.info("removed old generation %s", child)


def new_generation_name() -> str:
    """A fresh, sortable generation name."""
    return f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6:06d}"


def _new_generation(root: Path, name: str | None = None) -> Generation:
    return Generation(root, name or new_generation_name())


def _point_current(root: Path, gen: Generation, summary: dict) -> None:
    """Write the summary, then atomically make ``gen`` the published generation."""
    (gen.path / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True), encoding="utf-8")
    tmp = root / (_CURRENT + ".tmp")
    tmp.write_text(gen.name + "\n", encoding="utf-8")
    with open(tmp) as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, root / _CURRENT)
    _fsync_dir(root)


def compact(store: ox.Store) -> None:
    """Compact a freshly bulk-loaded database: the loader leaves overlapping files that every index scan
    merges. On the 55k graph this took 8 to 10 s and made the slowest example queries four to six times
    faster."""
    started = time.perf_counter()
    store.optimize()
    logger.info("compacted the database in %.1f s", time.perf_counter() - started)


def _count_default_graph(store: ox.Store) -> int:
    """Triples in the default graph: every quad, counted by the store, less those of the (small) named graphs."""
    named = sum(1 for graph in store.named_graphs() for _ in store.quads_for_pattern(None, None, None, graph))
    return len(store) - named


def publish(root: str | Path, nquads: Iterable[bytes], summary: dict | Callable[[], dict], *, name: str | None = None,
            attach: dict[str, Path] | None = None, finish: Finish | None = None, trusted: bool = False) -> Generation:
    """Load the N-Quads text ``nquads`` (plus the ontology) into a new generation and publish it.

    The text is streamed into the bulk loader as it is produced
    (``kg.store.loader``). The ontology goes into the named graph
    ``ONTOLOGY_GRAPH``; the knowledge graph itself is the default graph.
    ``summary`` (or what it returns, called once the data is loaded) is
    recorded beside the database. ``attach`` maps file names to files that are moved into the generation
    (the extraction cache). ``finish`` is called with the loaded store and the
    generation's folder before anything is published; the database is then compacted. ``trusted`` text has
    only IRIs its writer made or checked (a build's: ``kg.iri`` slugs under a
    checked base IRI, links checked by ``kg.graph.triples.valid_iri``), so the
    loader's own IRI checks are skipped.

    Raises:
        StoreError: the directory is locked by another build or not writable, or the text is not N-Quads.
    """
    root = Path(root)
    with build_lock(root):
        previous = current_generation(root) if (root / _CURRENT).exists() else None
        _remove_stale(root, {previous.name} if previous else set())
        gen = _new_generation(root, name)
        try:
            gen.db_path.mkdir(parents=True)
            store = ox.Store(str(gen.db_path))
            bulk_load_stream(store, nquads, lenient=trusted)
            store.bulk_load(path=str(ONTOLOGY_PATH), format=ox.RdfFormat.TURTLE,
                            to_graph=ox.NamedNode(ONTOLOGY_GRAPH))
            store.flush()
            if finish is not None:
                finish(store, gen.path)
            compact(store)
            triples = _count_default_graph(store)
            del store
            for file_name, source in (attach or {}).items():
                shutil.move(str(source), gen.path / file_name)
            _point_current(root, gen, {**(summary() if callable(summary) else summary), "triples": triples})
        except BaseException:
            shutil.rmtree(gen.path, ignore_errors=True)
            raise
        logger.info("published %s (%d triples)", gen.path, triples)
        return gen


def publish_changes(root: str | Path, base: Generation, change: Finish, summary: Callable[[], dict], *, name: str,
                    attach: dict[str, Path] | None = None) -> Generation:
    """Publish a new generation ``name`` made by ``change`` on a copy of ``base``'s database.

    The copy is a RocksDB checkpoint (hard links): the graph is not loaded again, and ``base`` stays
    published and untouched until the new generation is complete. ``change`` gets the writable copy and
    the new generation's folder; the ontology graph is then reloaded, so it follows ``ontology.ttl``.
    ``attach`` and ``summary`` are as for :func:`publish`. On any error the copy is removed.

    Raises:
        StoreError: the directory is locked by another build or not writable.
    """
    root = Path(root)
    with build_lock(root):
        _remove_stale(root, {base.name})
        gen = _new_generation(root, name)
        try:
            gen.path.mkdir(parents=True)
            ox.Store.read_only(str(base.db_path)).backup(str(gen.db_path))
            store = ox.Store(str(gen.db_path))
            change(store, gen.path)
            store.clear_graph(ox.NamedNode(ONTOLOGY_GRAPH))
            store.bulk_load(path=str(ONTOLOGY_PATH), format=ox.RdfFormat.TURTLE,
                            to_graph=ox.NamedNode(ONTOLOGY_GRAPH))
            store.flush()
            triples = _count_default_graph(store)
            del store
            for file_name, source in (attach or {}).items():
                shutil.move(str(source), gen.path / file_name)
            _point_current(root, gen, {**summary(), "triples": triples})
        except OSError as e:
            shutil.rmtree(gen.path, ignore_errors=True)
            raise StoreError(f"cannot write the new generation {gen.path}: {e}; check the disk and permissions") from e
        except BaseException:
            shutil.rmtree(gen.path, ignore_errors=True)
            raise
        logger.info("published %s from %s, changed in place (%d triples)", gen.path, base.name, triples)
        return gen


@contextlib.contextmanager
def fork_generation(root: str | Path) -> Iterator[Generation]:
    """A writable copy of the published generation, published if the block succeeds.

    The copy is a RocksDB checkpoint (hard links), so forking is cheap; readers
    keep using the old generation until the new one is complete. On any error
    the copy is removed and the published graph is unchanged.
    """
    root = Path(root)
    with build_lock(root):
        current = open_current_generation(root)
        _remove_stale(root, {current.name})
        gen = _new_generation(root)
        try:
            gen.path.mkdir(parents=True)
            ox.Store.read_only(str(current.db_path)).backup(str(gen.db_path))
            for extra in current.path.glob("*.sqlite"):
                if extra.name not in _DERIVED:  # an update changes the graph the snapshot was derived from
                    shutil.copyfile(extra, gen.path / extra.name)
            yield gen
            updated = ox.Store.read_only(str(gen.db_path))
            triples = _count_default_graph(updated)
            papers = sum(1 for _ in updated.quads_for_pattern(None, ox.NamedNode(str(RDF.type)),
                                                              ox.NamedNode(str(ABX.Paper)), ox.DefaultGraph()))
            del updated
            # the counts /health and stats show follow the update; the rest of the summary is the build's
            _point_current(root, gen, {**current.summary(), "triples": triples, "papers": papers,
                                       "updated_from": current.name})
        except BaseException:
            shutil.rmtree(gen.path, ignore_errors=True)
            raise
        logger.info("published update %s (%d triples)", gen.path, triples)


def dump(store: ox.Store, path: str | Path, fmt: ox.RdfFormat) -> None:
    """Serialise the default graph to ``path`` (written beside it, then renamed)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    kwargs = {"prefixes": PREFIXES} if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else {}
    try:
        store.dump(str(tmp), fmt, from_graph=ox.DefaultGraph(), **kwargs)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
