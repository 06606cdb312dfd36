"""The single crossing from spaCy ``Doc`` objects to plain domain objects."""

from __future__ import annotations

from dataclasses import replace

from spacy.tokens import Doc, Span

from extract import rules
from extract.components import CANDIDATES, PROPOSED
from extract.results import extract_results
from extract.scoring import Priors
from kg.model import (
    DEFAULT_ROLE,
    Abbreviation,
    Claim,
    CodeLink,
    EntityType,
    Extraction,
    Mention,
    Paper,
    Quantity,
    Role,
    Section,
    TextSpan,
    noisy_or,
)

# Among overlapping candidates of equal length, lower wins: an abbreviation's
# long form beats a gazetteer hit, which beats a head-noun phrase, and so on.
_PRIORITY = {"abbreviation": 1, "gazetteer": 2, "dataset-cue": 2, "model-scier": 2, "model-scierc": 3,
             "task-head": 3, "name-shape": 4}


def _text_span(section: Section, span: Span) -> TextSpan:
    return TextSpan(section, span.start_char, span.end_char, span.text)


def _resolve_overlaps(doc: Doc) -> list[tuple[Span, bool, tuple[str, ...]]]:
    """Non-overlapping spans, each flagged True when the paper proposes it, with every
    rule that found exactly that span (the winner's first)."""
    # A proposed name wins; then the longer span (the more specific name:
    # "ResNet-v1" over its gazetteer prefix "ResNet"); then the surer rule.
    ranked: list[tuple[int, int, int, int, Span, bool]] = []
    for s in doc.spans.get(PROPOSED, []):
        ranked.append((0, -len(s), 0, s.start, s, True))
    for s in doc.spans.get(CANDIDATES, []):
        ranked.append((1, -len(s), _PRIORITY.get(s.id_, 5), s.start, s, False))
    ranked.sort(key=lambda r: r[:4])
    rules_at: dict[tuple[int, int], list[str]] = {}
    for *_, span, _ in ranked:
        found = rules_at.setdefault((span.start, span.end), [])
        if (span.id_ or "unknown") not in found:
            found.append(span.id_ or "unknown")
    taken: set[int] = set()
    kept: list[tuple[Span, bool, tuple[str, ...]]] = []
    for *_, span, proposed in ranked:
        if taken.isdisjoint(range(span.start, span.end)):
            taken.update(range(span.start, span.end))
            kept.append((span, proposed, tuple(rules_at[(span.start, span.end)])))
    return sorted(kept, key=lambda k: k[0].start)


def _entity_type(label: str) -> EntityType:
    try:
        return EntityType(label)
    except ValueError:
        return EntityType.CONCEPT


def _mentions(doc: Doc, section: Section, long_forms: dict[str, str], priors: Priors) -> list[Mention]:
    out = []
    for span, proposed, found_by in _resolve_overlaps(doc):
        label = _entity_type(span.label_)
        role = Role.PROPOSES if proposed else DEFAULT_ROLE[label]
        out.append(Mention(
            span=_text_span(section, span),
            label=label,
            role=role,
            sentence=_text_span(section, span.sent),
            rule=found_by[0],
            long_form=long_forms.get(span.text) or long_forms.get(span.text.rstrip("s")),
            score=round(noisy_or(priors.rule(r) for r in found_by), 4),
            agreeing=found_by[1:],
        ))
    return out


def _claims(doc: Doc, section: Section, priors: Priors) -> list[Claim]:
    out = []
    for sent, kind, cue in doc._.abx_claims or []:
        quantities = tuple(
            Quantity(n.value, n.unit, n.text, sent.start_char + n.start, sent.start_char + n.end, n.qualifier)
            for n in rules.find_numbers(sent.text)
        )
        out.append(Claim(_text_span(section, sent), kind, cue, quantities, score=priors.claim(kind)))
    return out


def _with_results(claim: Claim, mentions: list[Mention], proposed: str | None) -> Claim:
    s = claim.sentence
    inside = [m for m in mentions if m.span.section is s.section and s.start <= m.span.start < s.end]
    results = extract_results(s.text, s.start, claim.quantities, inside, proposed)
    return replace(claim, results=results) if results else claim


def to_extraction(paper: Paper, title: Doc, abstract: Doc, *, extractor: str, version: str,
                  priors: Priors | None = None) -> Extraction:
    """Domain objects for one paper from its processed title and abstract."""
    priors = priors or Priors()
    docs = ((Section.TITLE, title), (Section.ABSTRACT, abstract))
    abbreviations = [
        Abbreviation(_text_span(section, short), _text_span(section, long))
        for section, doc in docs
        for short, long in doc._.abx_abbreviations or []
    ]
    long_forms = {a.short.text: a.long.text for a in abbreviations}
    mentions, claims, links, sentences = [], [], [], []
    for section, doc in docs:
        mentions += _mentions(doc, section, long_forms, priors)
        if section is Section.ABSTRACT:  # a title states a topic, not a result
            claims += _claims(doc, section, priors)
    proposed = next((m.span.text for m in mentions if m.role is Role.PROPOSES), None)
    claims = [_with_results(c, mentions, proposed) for c in claims]
    for section, doc in docs:
        links += [CodeLink(f.value, TextSpan(section, f.start, f.end, doc.text[f.start:f.end]))
                  for f in doc._.abx_urls or []]
        sentences += [_text_span(section, s) for s in doc.sents]
    return Extraction(
        paper=paper,
        extractor=extractor,
        version=version,
        mentions=tuple(mentions),
        abbreviations=tuple(abbreviations),
        claims=tuple(claims),
        code_links=tuple(links),
        sentences=tuple(sentences),
    )
