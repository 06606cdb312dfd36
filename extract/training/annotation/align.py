"""Annotator records (names and strings) -> guide records (offsets), with every problem named.

An annotator returns, per paper, entity names by type and role, claim sentences, abbreviations
and results (see ``docs/annotator-brief.md``). This module finds each string in the paper's
title and abstract and computes end-exclusive character offsets. A record is accepted only when
every string is found where it must be: names in the text, claims in the abstract, each result's
number inside its claim sentence, types, roles and kinds in the closed sets. Problems are
returned as one line each, so that they can be sent back to the annotator verbatim.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from extract.training.annotation.source import Paper

ENTITY_LISTS: Mapping[str, tuple[str, str]] = {
    "methods_proposed": ("Method", "proposed"),
    "methods_used": ("Method", "used"),
    "datasets_proposed": ("Dataset", "proposed"),
    "datasets_used": ("Dataset", "used"),
    "tasks": ("Task", "addressed"),
    "metrics": ("Metric", "reported"),
}
CLAIM_KINDS = frozenset({"result", "theory", "finding"})
RESULT_KINDS = frozenset({"score", "gain", "reduction", "ratio", "other"})
RESULT_NAME_FIELDS = ("metric", "dataset", "method", "baseline")
REQUIRED_KEYS = frozenset(ENTITY_LISTS) | {"uid", "claims", "results", "code_urls", "abbreviations"}
_NUMBER = re.compile(r"(?:(?<![\w.])\.)?\d+(?:[.,]\d+)*")  # ".931" is 0.931
_WORD = re.compile(r"\w")
_FRACTION = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)(?![\d.])")
_URL_TRAIL = ".,;:)]}'\""

Mention = tuple[str, int, int]


def _bounded(text: str, start: int, end: int) -> bool:
    """True when [start, end) is not glued to a letter or digit on either side."""
    left_ok = start == 0 or not (text[start - 1].isalnum() and text[start].isalnum())
    right_ok = end == len(text) or not (text[end].isalnum() and text[end - 1].isalnum())
    return left_ok and right_ok


def _list_marker(text: str, start: int, end: int) -> bool:
    """True when [start, end) is a whole number that numbers an item of a list: "(3)" or a "3)" opening a clause."""
    if not text[start:end].isdigit() or text[end : end + 1] != ")":
        return False
    before = text[:start].rstrip(" ")
    return not before or before[-1] in "(,;:"  # not after a full stop: "vs. 0)" is a value


def _case_bound(name: str) -> bool:
    """True for a short acronym-like name (at most four letters or digits, a capital after the first): "CAN", "IS",
    "mAP", "ViT". Read without case, these match ordinary words ("can", "is", "map")."""
    return name.isalnum() and len(name) <= 4 and any(c.isupper() for c in name[1:])


def find_all(paper: Paper, name: str) -> list[Mention]:
    """Every bounded, case-insensitive occurrence of ``name`` (or its plural) in title and abstract; a short
    acronym-like name (:func:`_case_bound`) only as written or in capitals."""
    name = name.strip()
    if not name:
        return []
    cased = _case_bound(name)
    # words may be joined by spaces or hyphens either way ("zero-shot" / "Zero Shot")
    body = r"[\s\-]+".join(re.escape(part) for part in re.split(r"[\s\-]+", name) if part)
    pattern = re.compile(body + r"(?-i:e?s)?", re.IGNORECASE)
    found: list[Mention] = []
    for section in ("title", "abstract"):
        text = paper.section(section)
        for m in pattern.finditer(text):
            start, end = m.start(), m.end()
            if not _bounded(text, start, end):
                # the plural suffix may have glued the match to a longer word: retry without it
                bare = re.compile(body, re.IGNORECASE).match(text, start)
                if bare is None or not _bounded(text, start, bare.end()):
                    continue
                end = bare.end()
            if cased and text[start:start + len(name)] not in (name, name.upper()):
                continue
            found.append((section, start, end))
    return found


def find_sentence(text: str, sentence: str) -> tuple[int, int] | None:
    """Offsets of ``sentence`` in ``text``, exact or up to whitespace."""
    at = text.find(sentence)
    if at >= 0:
        return at, at + len(sentence)
    parts = sentence.split()
    if not parts:
        return None
    m = re.search(r"\s+".join(re.escape(p) for p in parts), text)
    return (m.start(), m.end()) if m else None


def numbers_in(text: str) -> list[float]:
    """The numbers written with digits in ``text`` (thousands commas allowed)."""
    out = []
    for raw in _NUMBER.findall(text):
        candidates = {raw.replace(",", "")}
        if raw.count(",") == 1 and raw.count(".") == 0:
            candidates.add(raw.replace(",", "."))  # a decimal comma
        for c in candidates:
            try:
                out.append(float(c))
            except ValueError:
                continue
    return out


def value_matches(value: float, text: str) -> bool:
    """True when ``value`` is a number written in ``text``, possibly scaled (k, M, B, %) ; word numbers pass."""
    written = numbers_in(text)
    if not written:
        return True  # "two-fold", "half": nothing to check against
    written += [float(a) / float(b) for a, b in _FRACTION.findall(text) if float(b)]  # "1/4" is 0.25
    for n in written:
        for scale in (1, 1e3, 1e6, 1e9, 1e12, 1e-2, 1e2, -1):
            if math.isclose(value, n * scale, rel_tol=1e-6, abs_tol=1e-9):
                return True
    return False


def _str_list(rec: Mapping[str, Any], key: str, problems: list[str]) -> list[str]:
    raw = rec.get(key) or []
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        problems.append(f"{key}: must be a list of strings")
        return []
    return [x for x in raw if x.strip()]


def _entities(rec: Mapping[str, Any], paper: Paper, problems: list[str]) -> list[dict[str, Any]]:
    abbrevs: dict[str, str] = {}
    for pair in rec.get("abbreviations") or []:
        short, long = (pair or {}).get("short"), (pair or {}).get("long")
        if not isinstance(short, str) or not isinstance(long, str):
            problems.append(f"abbreviation {pair!r}: needs 'short' and 'long' strings")
            continue
        for form in (short, long):
            if not find_all(paper, form):
                problems.append(f"abbreviation {short!r}/{long!r}: {form!r} is not in the title or abstract")
        abbrevs[short.casefold()] = long
        abbrevs[long.casefold()] = short
    entities: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    for key, (etype, role) in ENTITY_LISTS.items():
        for name in _str_list(rec, key, problems):
            folded = name.casefold()
            if folded in seen:
                problems.append(f"entity {name!r} is listed twice ({seen[folded]} and {key}): keep one")
                continue
            seen[folded] = key
            mentions = find_all(paper, name)
            if not mentions:
                problems.append(f"entity {name!r} ({key}) is not in the title or abstract: "
                                "copy the name exactly as written")
                continue
            entity: dict[str, Any] = {"name": name, "type": etype, "role": role}
            other = abbrevs.get(folded)
            if other is not None:
                entity["abbreviation" if len(other) < len(name) else "expansion"] = other
                mentions = mentions + find_all(paper, other)
            entity["mentions"] = sorted(set(mentions), key=lambda m: (m[0] != "title", m[1], m[2]))
            entities.append(entity)
    _drop_nested(entities, paper)
    return entities


def _drop_nested(entities: list[dict[str, Any]], paper: Paper) -> None:
    """A mention inside another entity's longer mention belongs to that entity (ResNet in ResNet-50);
    a span found for two entities belongs to the one whose name or other form it spells exactly."""
    spans = [(e["name"], m) for e in entities for m in e["mentions"]]
    owner: dict[Mention, str] = {}
    for e in entities:
        forms = {e["name"], e.get("abbreviation"), e.get("expansion")}
        for m in e["mentions"]:
            if m not in owner or paper.section(m[0])[m[1] : m[2]] in forms:
                owner[m] = e["name"]
    for e in entities:
        kept = []
        for sec, s, t in e["mentions"]:
            inside = any(
                other != e["name"] and osec == sec and os_ <= s and t <= ot and (ot - os_) > (t - s)
                for other, (osec, os_, ot) in spans
            )
            if not inside and owner[(sec, s, t)] == e["name"]:
                kept.append([sec, s, t])
        e["mentions"] = kept or [list(m) for m in e["mentions"]]


def _claims(rec: Mapping[str, Any], paper: Paper, problems: list[str]) -> list[dict[str, Any]]:
    claims = []
    for i, c in enumerate(rec.get("claims") or []):
        text, kind = (c or {}).get("text"), (c or {}).get("kind")
        if kind not in CLAIM_KINDS:
            problems.append(f"claim {i}: kind {kind!r} is not one of {sorted(CLAIM_KINDS)}")
        where = find_sentence(paper.abstract, text) if isinstance(text, str) and text.strip() else None
        if where is None:  # an empty text would be "found" at the start of every abstract
            problems.append(f"claim {i}: sentence not found in the abstract; copy it exactly: {str(text)[:60]!r}")
            claims.append(None)
            continue
        claims.append({"section": "abstract", "start": where[0], "end": where[1], "kind": kind})
    return claims


def _results(rec: Mapping[str, Any], paper: Paper, claims: Sequence[dict[str, Any] | None],
             problems: list[str]) -> list[dict[str, Any]]:
    results = []
    used: set[tuple[int, int]] = set()
    for i, r in enumerate(rec.get("results") or []):
        r = r or {}
        label = f"result {i} ({r.get('text')!r})"
        kind, ci, text, value = r.get("kind"), r.get("claim"), r.get("text"), r.get("value")
        if kind not in RESULT_KINDS:
            problems.append(f"{label}: kind {kind!r} is not one of {sorted(RESULT_KINDS)}")
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            problems.append(f"{label}: value {value!r} must be a number")
            continue
        if not isinstance(ci, int) or not 0 <= ci < len(claims):
            problems.append(f"{label}: claim index {ci!r} is not an index of this paper's claims")
            continue
        claim = claims[ci]
        if claim is None:
            continue  # its claim was already reported
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{label}: 'text' must be the number exactly as written")
            continue
        sentence = paper.abstract[claim["start"] : claim["end"]]
        c0 = claim["start"]
        at = [(c0 + m.start(), c0 + m.end()) for m in re.finditer(re.escape(text.strip()), sentence)]
        found = [x for x in at if x not in used and _bounded(paper.abstract, *x)]
        # the first occurrence that is not a list marker ("(3)", "3)"): "3" names the result, not the item
        span = next((x for x in found if not _list_marker(paper.abstract, *x)), found[0] if found else None)
        if span is None:
            problems.append(f"{label}: not found inside claim {ci}; 'text' must be copied from that sentence")
            continue
        if not value_matches(float(value), text):
            problems.append(f"{label}: value {value} is not the number written in {text!r}")
        used.add(span)
        out = {"value": value, "unit": r.get("unit"), "kind": kind, "text": text.strip()}
        for field in RESULT_NAME_FIELDS + ("condition",):
            v = r.get(field)
            if v is not None and not isinstance(v, str):
                problems.append(f"{label}: {field} must be a string or null")
                v = None
            if v is not None and field in RESULT_NAME_FIELDS and not find_all(paper, v):
                problems.append(f"{label}: {field} {v!r} is not in the title or abstract; name it as written or null")
            out[field] = v
        out["span"] = ["abstract", span[0], span[1]]
        out["claim"] = ci
        results.append(out)
    return results


def align(rec: Mapping[str, Any], paper: Paper) -> tuple[dict[str, Any], list[str]]:
    """The guide record for one annotator record, and the problems found (empty when accepted)."""
    problems: list[str] = []
    missing = REQUIRED_KEYS - rec.keys()
    if missing:
        problems.append(f"missing keys {sorted(missing)}: every paper needs all of them (empty lists allowed)")
    entities = _entities(rec, paper, problems)
    url_spans = [m.span() for m in re.finditer(r"https?://\S+", paper.abstract)]
    for e in entities:  # a name inside a URL is no mention of it
        e["mentions"] = [m for m in e["mentions"] if m[0] != "abstract"
                         or not any(a <= m[1] < b for a, b in url_spans)] or e["mentions"]
    claims = _claims(rec, paper, problems)
    results = _results(rec, paper, claims, problems)
    urls = []
    for url in _str_list(rec, "code_urls", problems):
        url = url.rstrip(_URL_TRAIL)
        at = paper.abstract.find(url)
        if at < 0:
            problems.append(f"code URL {url!r} is not in the abstract")
            continue
        urls.append({"url": url, "span": ["abstract", at, at + len(url)]})
    record = {
        "uid": paper.uid,
        "entities": entities,
        "claims": [c for c in claims if c is not None],
        "results": results,
        "code_urls": urls,
    }
    return record, problems
