"""Extraction <-> JSON-ready dicts, for the extraction cache and for shards."""

from __future__ import annotations

import dataclasses
import hashlib
import json
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


def _span(d: dict) -> TextSpan:
    return TextSpan(Section(d["section"]), d["start"], d["end"], d["text"])


def _quantity(d: dict) -> Quantity:
    return Quantity(d["value"], d["unit"], d["text"], d["start"], d["end"], d["qualifier"])


def _relation(d: dict) -> Relation:
    return Relation(_span(d["head"]), _span(d["tail"]), RelationLabel(d["label"]), d["source_label"],
                    _span(d["sentence"]), d["extractor"], d["score"])


def from_dict(d: dict[str, Any]) -> Extraction:
    """The Extraction of a record; records written before relations existed decode with none."""
    p = d["paper"]
    paper = Paper(p["key"], p["title"], p["abstract"], p["source"], p["line"], p["identifier"], p["date"],
                  p["year"], tuple(p["authors"]), p["url"])
    mentions = tuple(
        Mention(_span(m["span"]), EntityType(m["label"]), Role(m["role"]), _span(m["sentence"]), m["rule"],
                m["long_form"], m["score"], tuple(m["agreeing"]))
        for m in d["mentions"])
    claims = tuple(
        Claim(_span(c["sentence"]), c["kind"], c["cue"], tuple(_quantity(q) for q in c["quantities"]),
              tuple(Result(_quantity(r["quantity"]), r["method"], r["dataset"], r["metric"], r["baseline"],
                           r["condition"], r["direction"], r.get("kind"), r.get("score"))
                    for r in c["results"]),
              c["score"])
        for c in d["claims"])
    return Extraction(
        paper=paper,
        extractor=d["extractor"],
        version=d["version"],
        mentions=mentions,
        abbreviations=tuple(Abbreviation(_span(a["short"]), _span(a["long"])) for a in d["abbreviations"]),
        claims=claims,
        code_links=tuple(CodeLink(c["url"], _span(c["span"])) for c in d["code_links"]),
        sentences=tuple(_span(s) for s in d["sentences"]),
        relations=tuple(_relation(r) for r in d.get("relations", ())),
    )
