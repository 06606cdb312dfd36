"""How the read model asks the store: SELECT rows as plain dicts, IRIs as checked SPARQL terms.

Every reader consumes its pyoxigraph results before returning (results are
bound to the thread that ran the query), so callers may cache and pass the
values between threads freely.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from kg.errors import StoreError
from kg.model import EntityType, Role
from kg.store.generations import Generation
from kg.vocab import PREFIXES

# The paper-entity links, in the order pages list them (the Role enum's order: proposes first).
LINK_PREDICATES: tuple[str, ...] = tuple(r.value for r in Role)
TYPED = f"FILTER(?type IN ({', '.join('abx:' + t for t in EntityType)}))"  # ?type is an entity type
LINK_FILTER = f"FILTER(?pred IN ({', '.join('abx:' + p for p in LINK_PREDICATES)}))"  # ?pred is a link


def local(iri: str) -> str:
    """The local name of an IRI (after its last ``#`` or ``/``)."""
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def conf(value: str | None) -> float:
    """A stored confidence as a float; a missing one counts as 0 (shown only with no threshold)."""
    return float(value) if value not in (None, "") else 0.0


def passes(confidence: float, threshold: float) -> bool:
    """``confidence >= threshold``, forgiving the float noise of a slider (0.1 + 0.2 and so on)."""
    return confidence + 1e-9 >= threshold


def iris(values: Iterable[str]) -> str:
    """IRIs as SPARQL terms, each validated by pyoxigraph."""
    try:
        return " ".join(str(ox.NamedNode(v)) for v in values)
    except ValueError as e:
        raise StoreError(f"not a valid IRI: {e}") from e


def rows(store: ox.Store, query: str, paper: str | None = None) -> list[dict[str, str | None]]:
    """Run ``query`` with our prefixes, as a list of {variable: value or None}.

    ``$PAPER`` in the query is replaced by the IRI ``paper`` (validated by pyoxigraph).
    """
    if paper is not None:
        try:
            query = query.replace("$PAPER", str(ox.NamedNode(paper)))
        except ValueError as e:
            raise StoreError(f"{paper!r} is not a valid IRI") from e
    result = store.query(query, prefixes=PREFIXES)
    names = [v.value for v in result.variables]
    return [{n: (sol[n].value if sol[n] is not None else None) for n in names} for sol in result]


def open_generation(gen: Generation) -> ox.Store:
    """Open one published generation read-only.

    Raises:
        StoreError: the database cannot be opened.
    """
    try:
        return ox.Store.read_only(str(gen.db_path))
    except OSError as e:
        raise StoreError(f"cannot open the graph in {gen.db_path}: {e}") from e
