"""Extraction <-> JSON-ready dicts, for the extraction cache and for shards."""

from __future__ import annotations

import copy
import dataclasses
import enum
import hashlib
import json
import sys
from typing import Any

from kg.model import (
    Abbreviation,
    Claim,
    CodeLink,
    EntityType,
    Extraction,
    Mention,
    Paper,
    Quantity,
    Relation,
    RelationLabel,
    Result,
    Role,
    Section,
    TextSpan,
)


def content_hash(paper: Paper) -> str:
    """Hash of what extraction reads and the graph states about a paper (not where it came from)."""
    payload = [paper.key, paper.title, paper.abstract, paper.identifier, paper.date, paper.year,
               list(paper.authors), paper.url]
    return hashlib.blake2b(json.dumps(payload, ensure_ascii=False).encode("utf-8"), digest_size=16).hexdigest()


_FIELDS: dict[type, tuple[str, ...]] = {}  # dataclass -> its field names, in order
_ATOMS = (str, int, float, type(None), enum.Enum)


def _plain(value: Any) -> Any:
    """``dataclasses.asdict``'s conversion, without its deep copy of every atom (the model's atoms are immutable)."""
    if isinstance(value, _ATOMS):
        return value
    cls = type(value)
    names = _FIELDS.get(cls)
    if names is None and dataclasses.is_dataclass(cls):
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls))
    if names is not None:
        return {name: _plain(getattr(value, name)) for name in names}
    if cls is tuple or cls is list:
        return cls(_plain(v) for v in value)
    if cls is dict:
        return {_plain(k): _plain(v) for k, v in value.items()}
    return copy.deepcopy(value)


def to_dict(ex: Extraction) -> dict[str, Any]:
    """The JSON-ready record of ``ex``: what ``dataclasses.asdict`` gives, about three times faster."""
    return _plain(ex)


class _Decoder:
    """Decodes one record, sharing equal spans and short strings: a sentence is one object for the paper's
    sentence list, each mention and claim in it, not one copy each (a third of a 55k build's records)."""

    def __init__(self) -> None:
        self._spans: dict[tuple, TextSpan] = {}

    def span(self, d: dict) -> TextSpan:
        key = (d["section"], d["start"], d["end"], d["text"])
        found = self._spans.get(key)
        if found is None:
            found = self._spans[key] = TextSpan(Section(d["section"]), d["start"], d["end"], d["text"])
        return found

    @staticmethod
    def name(text: str | None) -> str | None:
        """A rule or extractor name: one of a few, kept once for all records."""
        return None if text is None else sys.intern(text)

    def quantity(self, d: dict) -> Quantity:
        return Quantity(d["value"], d["unit"], d["text"], d["start"], d["end"], d["qualifier"])

    def relation(self, d: dict) -> Relation:
        return Relation(self.span(d["head"]), self.span(d["tail"]), RelationLabel(d["label"]), d["source_label"],
                        self.span(d["sentence"]), self.name(d["extractor"]), d["score"])

    def extraction(self, d: dict[str, Any]) -> Extraction:
        p = d["paper"]
        paper = Paper(p["key"], p["title"], p["abstract"], p["source"], p["line"], p["identifier"], p["date"],
                      p["year"], tuple(p["authors"]), p["url"])
        sentences = tuple(self.span(s) for s in d["sentences"])
        mentions = tuple(
            Mention(self.span(m["span"]), EntityType(m["label"]), Role(m["role"]), self.span(m["sentence"]),
                    self.name(m["rule"]), m["long_form"], m["score"], tuple(self.name(a) for a in m["agreeing"]))
            for m in d["mentions"])
        claims = tuple(
            Claim(self.span(c["sentence"]), c["kind"], c["cue"], tuple(self.quantity(q) for q in c["quantities"]),
                  tuple(Result(self.quantity(r["quantity"]), r["method"], r["dataset"], r["metric"], r["baseline"],
                               r["condition"], r["direction"], r.get("kind"), r.get("score"))
                        for r in c["results"]),
                  c["score"])
            for c in d["claims"])
        return Extraction(
            paper=paper,
            extractor=self.name(d["extractor"]),
            version=self.name(d["version"]),
            mentions=mentions,
            abbreviations=tuple(Abbreviation(self.span(a["short"]), self.span(a["long"]))
                                for a in d["abbreviations"]),
            claims=claims,
            code_links=tuple(CodeLink(c["url"], self.span(c["span"])) for c in d["code_links"]),
            sentences=sentences,
            relations=tuple(self.relation(r) for r in d.get("relations", ())),
        )


def from_dict(d: dict[str, Any]) -> Extraction:
    """The Extraction of a record; records written before relations existed decode with none."""
    return _Decoder().extraction(d)
