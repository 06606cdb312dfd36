"""Extraction <-> JSON-ready dicts, for the extraction cache and for shards."""

from __future__ import annotations

import dataclasses
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


def to_dict(ex: Extraction) -> dict[str, Any]:
    return dataclasses.asdict(ex)


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
