"""rdflib triples -> what the store loads: N-Quads text for the bulk loader."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from rdflib import Literal, URIRef

Triple = tuple[URIRef, URIRef, URIRef | Literal]

_ESCAPE = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
_CHUNK = 4096  # lines per chunk of N-Quads


def _literal(o: Literal, iris: dict[str, str]) -> str:
    text = str(o)
    if '"' in text or "\\" in text or "\n" in text or "\r" in text:
        text = text.translate(_ESCAPE)
    if o.language:
        return f'"{text}"@{o.language}'
    datatype = o.datatype
    if datatype is None:
        return f'"{text}"'
    key = str(datatype)
    found = iris.get(key)
    if found is None:
        found = iris[key] = f"<{key}>"
    return f'"{text}"^^{found}'


def encode(triples: Iterable[Triple], graph: str | None = None) -> Iterator[bytes]:
    """N-Quads of ``triples`` (in the default graph, or the named ``graph``), UTF-8, in chunks of lines.

    A literal keeps its lexical form, language or datatype (a plain literal is an ``xsd:string``);
    IRIs are not checked here, the store's parser checks them (unless told to trust the text).
    """
    iris: dict[str, str] = {}
    # Literal objects the generator reuses are written once: keyed by identity (an rdflib Literal hashes
    # slowly), each kept alive beside its text so that no other object can take its id while cached.
    literals: dict[int, tuple[Literal, str]] = {}
    end = f" <{graph}> .\n" if graph else " .\n"
    lines: list[str] = []
    for s, p, o in triples:
        subject = iris.get(s)
        if subject is None:
            subject = iris[s] = f"<{s}>"
        predicate = iris.get(p)
        if predicate is None:
            predicate = iris[p] = f"<{p}>"
        if type(o) is URIRef or not isinstance(o, Literal):
            obj = iris.get(o)
            if obj is None:
                obj = iris[o] = f"<{o}>"
        else:
            found = literals.get(id(o))
            if found is None:
                found = literals[id(o)] = (o, _literal(o, iris))
            obj = found[1]
        lines.append(f"{subject} {predicate} {obj}{end}")
        if len(lines) >= _CHUNK:
            yield "".join(lines).encode("utf-8")
            lines.clear()
            if len(iris) + len(literals) > 200_000:  # what repeats across papers comes back; the rest need not stay
                iris.clear()
                literals.clear()
    if lines:
        yield "".join(lines).encode("utf-8")
