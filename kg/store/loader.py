"""Streaming N-Quads into Oxigraph's bulk loader while they are produced.

The text is cut into segments of about ``SEGMENT_LINES`` lines; a thread of
its own hands each segment to ``Store.bulk_load``, which releases the GIL
while it parses and writes, so on two cores the Python code producing the
next segment and the Rust code loading the last one run side by side. At
most two segments wait and one loads at a time, and each bulk load holds
only its own segment: memory stays bounded (about 0.3 GB at 250k lines,
plus the waiting text) however large the graph, where one bulk load of
12 M quads grew by 1.6 GB.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterable

import pyoxigraph as ox

from kg.errors import StoreError

logger = logging.getLogger(__name__)

SEGMENT_LINES = 250_000
_QUEUED = 2  # segments written ahead of the loader: it keeps loading while the writer computes something
_WAIT_S = 0.5  # how often a producer waiting on the loader checks that the loader still runs


def _segments(chunks: Iterable[bytes], lines: int) -> Iterable[bytes]:
    pending: list[bytes] = []
    count = 0
    for chunk in chunks:
        pending.append(chunk)
        count += chunk.count(b"\n")
        if count >= lines:
            yield b"".join(pending)
            pending.clear()
            count = 0
    if pending:
        yield b"".join(pending)


def bulk_load_stream(store: ox.Store, chunks: Iterable[bytes], *, segment_lines: int = SEGMENT_LINES,
                     lenient: bool = False) -> None:
    """Bulk-load the N-Quads text ``chunks`` (whole lines) into ``store`` as they come.

    With ``lenient`` the loader skips its IRI checks (a sixth of its time): only for text whose
    IRIs were made or checked by whoever wrote it, as a build's are.

    If producing ``chunks`` raises, that error propagates once the loader has
    stopped, and the store holds part of the data: the caller discards it (a
    build removes the generation).

    Raises:
        StoreError: the text is not valid N-Quads (the loader's message names the line of its segment).
    """
    ready: queue.Queue[bytes | None] = queue.Queue(maxsize=_QUEUED)
    failure: list[BaseException] = []
    failed_at: list[int] = []  # the segment the loader rejected, counted from 1
    timing = {"waiting": 0.0, "loading": 0.0, "segments": 0}

    def load() -> None:
        while True:
            started = time.perf_counter()
            segment = ready.get()
            timing["waiting"] += time.perf_counter() - started
            if segment is None:
                return
            if failure:
                continue  # drain what the producer already queued; it stops at its next put
            started = time.perf_counter()
            try:
                store.bulk_load(segment, format=ox.RdfFormat.N_QUADS, lenient=lenient)
            except BaseException as e:  # handed to the producing thread, which raises it
                failure.append(e)
                failed_at.append(timing["segments"] + 1)
            timing["loading"] += time.perf_counter() - started
            timing["segments"] += 1

    def put(item: bytes | None) -> None:
        while True:
            if failure and item is not None:
                return
            try:
                ready.put(item, timeout=_WAIT_S)
                return
            except queue.Full:
                if not loader.is_alive():
                    return

    loader = threading.Thread(target=load, name="abstracta-bulk-load", daemon=True)
    loader.start()
    try:
        for segment in _segments(chunks, segment_lines):
            if failure:
                break
            put(segment)
    finally:
        put(None)
        loader.join()
    # which side waited: a loader that mostly waits for text means the Python producing it is the bottleneck
    logger.info("bulk load: %d segments, %.1f s loading, %.1f s waiting for text", timing["segments"],
                timing["loading"], timing["waiting"])
    if failure:
        where = f" (segment {failed_at[0]}, lines counted from that segment's first of {segment_lines:,})"
        raise StoreError(f"the bulk loader rejected the generated N-Quads{where}: {failure[0]}; this is a bug in the "
                         "triple generator, please report it with the input that caused it") from failure[0]
