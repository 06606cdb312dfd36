"""Canonical keys and the deterministic IRIs minted from them.

A key is a normalised string that decides identity (two surface forms with
the same key are one node). An IRI is a pure function of base IRI and key,
so rebuilding the same input gives the same IRIs.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_HYPHENS = "\u002d\u2010\u2011\u2012\u2013\u2014\u2212_/"
_TOKEN_RE = re.compile(r"[^\W_]+", re.UNICODE)
_LETTER_DIGIT_RE = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")
_LOSSLESS_RE = re.compile(r"[a-z0-9]+(?: [a-z0-9]+)*")
_ARTICLES = frozenset({"the", "a", "an"})
_MAX_SLUG = 64


def _singular(token: str, original: str) -> str:
    """Singular of the last word of a name, for plural-insensitive keys.

    Deliberately conservative: only regular English plurals, and acronyms
    only when written with a lower-case plural ``s`` ("CNNs").
    """
    if len(token) <= 3 or token.isdigit():
        return token
    if original[:-1].isupper() and original.endswith("s"):
        return token[:-1]
    if original.isupper():
        return token
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith(("sses", "ches", "shes", "xes")):
        return token[:-2]
    if token.endswith("s") and not token.endswith(("ss", "us", "is", "ous")):
        return token[:-1]
    return token


def entity_key(name: str) -> str:
    """Normalise an entity name: case, hyphens, spacing and plural do not matter.

    >>> entity_key("Vision Transformers")
    'vision transformer'
    >>> entity_key("ResNet-50") == entity_key("ResNet50")
    True
    >>> entity_key("the ImageNet-1K")
    'imagenet 1 k'
    """
    text = unicodedata.normalize("NFKC", name)
    for ch in _HYPHENS:
        text = text.replace(ch, " ")
    text = _LETTER_DIGIT_RE.sub(" ", text)
    originals = _TOKEN_RE.findall(text)
    tokens = [t.casefold() for t in originals]
    while len(tokens) > 1 and tokens[0] in _ARTICLES:
        tokens.pop(0)
        originals.pop(0)
    if tokens:
        tokens[-1] = _singular(tokens[-1], originals[-1])
    return " ".join(tokens)


def paper_key(title: str, identifier: str | None = None) -> str:
    """Identity of a paper: its given identifier, else its normalised title.

    >>> paper_key("Matryoshka  Representation Learning")
    'title:matryoshka representation learning'
    >>> paper_key("x", "arXiv:2205.13147")
    'id:arxiv:2205.13147'
    """
    if identifier and identifier.strip():
        return "id:" + unicodedata.normalize("NFKC", identifier.strip()).casefold()
    norm = unicodedata.normalize("NFKC", title).casefold()
    return "title:" + " ".join(norm.split())


def slug(key: str) -> str:
    """A path segment for ``key``: readable, IRI-safe and collision-free.

    Keys made only of ASCII letters and digits separated by single spaces map
    one-to-one onto hyphenated slugs. Any other key gets an ASCII rendering
    plus ``~`` and a hash of the exact key; ``~`` never occurs in the first
    kind, so the two kinds cannot collide.

    >>> slug("matryoshka representation learning")
    'matryoshka-representation-learning'
    >>> slug("id:arxiv:2205.13147")
    'id-arxiv-2205-13147~1d7443c6ca6d'
    """
    if len(key) <= _MAX_SLUG and _LOSSLESS_RE.fullmatch(key):
        return "-".join(key.split(" "))
    ascii_text = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode()
    readable = "-".join(re.findall(r"[a-z0-9]+", ascii_text.lower()))[:_MAX_SLUG].strip("-")
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=6).hexdigest()
    return f"{readable}~{digest}" if readable else f"~{digest}"


def paper_iri(base: str, key: str) -> str:
    return f"{base}paper/{slug(key)}"


def entity_iri(base: str, key: str) -> str:
    return f"{base}entity/{slug(key)}"


def extractor_iri(base: str, name: str, version: str) -> str:
    return f"{base}extractor/{slug(entity_key(name))}/{slug(version)}"


def claim_iri(paper: str, section: str, start: int, end: int) -> str:
    return f"{paper}/claim/{section}-{start}-{end}"


def quantity_iri(claim: str, start: int, end: int) -> str:
    return f"{claim}/quantity-{start}-{end}"


def result_iri(claim: str, start: int, end: int) -> str:
    return f"{claim}/result-{start}-{end}"


# entity-entity relations
def relation_iri(base: str, head_key: str, predicate: str, tail_key: str) -> str:
    """The statement node of "head ``predicate`` tail" (entity keys; ``predicate`` an ABX local name)."""
    return f"{base}relation/{slug(head_key)}/{predicate}/{slug(tail_key)}"


def relation_evidence_iri(paper: str, head_key: str, predicate: str, tail_key: str, section: str, start: int,
                          end: int) -> str:
    """The evidence that the sentence [start, end) of ``paper`` (a paper IRI) states a relation."""
    return f"{paper}/relation/{slug(head_key)}/{predicate}/{slug(tail_key)}/{section}-{start}-{end}"


def evidence_iri(paper: str, role: str, entity: str, section: str, start: int, end: int) -> str:
    entity_slug = entity.rsplit("/", 1)[-1]
    return f"{paper}/evidence/{role}/{entity_slug}/{section}-{start}-{end}"


def tally_iri(base: str, group: str, name: str) -> str:
    """A per-build count (``abx:Tally``) of one group, e.g. ``tally_iri(base, "entity", "Method")``.

    >>> tally_iri("https://x.org/", "claim", "result")
    'https://x.org/tally/claim/result'
    """
    return f"{base}tally/{slug(group.casefold())}/{slug(name.casefold())}"


def cooccurrence_iri(entity: str, partner: str) -> str:
    """The node recording how often ``entity`` and ``partner`` (entity IRIs) share papers."""
    return f"{entity}/cooccurrence/{partner.rsplit('/', 1)[-1]}"


def trend_iri(entity: str, year: int) -> str:
    """The node counting the papers of ``year`` linked to ``entity`` (an entity IRI)."""
    return f"{entity}/year/{int(year)}"
