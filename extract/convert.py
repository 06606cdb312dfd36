"""The single crossing from spaCy ``Doc`` objects to plain domain objects."""

from __future__ import annotations

from dataclasses import replace

from spacy.tokens import Doc, Span

from extract import rules
from extract.components.mentions import resolve_overlaps
from extract.priors import Priors
from extract.results import extract_results, result_relations
from kg.errors import ExtractionError
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
    Relation,
    RelationLabel,
    Role,
    Section,
    TextSpan,
    noisy_or,
)

# The relation models' labels in our vocabulary, and whether the model's head is our tail
# (SciERC writes "metric EVALUATE-FOR method"; we say the method is evaluated with the metric).
SOURCE_LABELS: dict[str, tuple[RelationLabel, bool]] = {
    # SciERC
    "USED-FOR": (RelationLabel.USED_FOR, False),
    "EVALUATE-FOR": (RelationLabel.EVALUATED_WITH, True),
    "COMPARE": (RelationLabel.COMPARE, False),
    "HYPONYM-OF": (RelationLabel.HYPONYM_OF, False),
    "PART-OF": (RelationLabel.PART_OF, False),
    "FEATURE-OF": (RelationLabel.FEATURE_OF, False),
    "CONJUNCTION": (RelationLabel.CONJUNCTION, False),
    # SciER
    "Used-For": (RelationLabel.USED_FOR, False),
    "Evaluated-With": (RelationLabel.EVALUATED_WITH, False),
    "Trained-With": (RelationLabel.TRAINED_WITH, False),
    "Benchmark-For": (RelationLabel.BENCHMARK_FOR, False),
    "Compare-With": (RelationLabel.COMPARE, False),
    "SubClass-Of": (RelationLabel.HYPONYM_OF, False),
    "SubTask-Of": (RelationLabel.SUBTASK_OF, False),
    "Part-Of": (RelationLabel.PART_OF, False),
    "Synonym-Of": (RelationLabel.SYNONYM_OF, False),
}


def _text_span(section: Section, span: Span, text: str) -> TextSpan:
    """``span`` as a TextSpan; ``text`` is its doc's text (``Span.text`` would rebuild it from the tokens).

    One object per span of a doc: a sentence is shared by the doc's sentence list and every mention,
    claim and relation in it, so records hold (and pickle, and cache) its text once, not once each.
    """
    made = span.doc.user_data.setdefault(_SPANS, {})
    key = (section, span.start_char, span.end_char)
    found = made.get(key)
    if found is None:
        found = made[key] = TextSpan(section, span.start_char, span.end_char, text[span.start_char : span.end_char])
    return found


_SPANS = "abx_text_spans"  # Doc.user_data key of the TextSpans made from the doc


def _entity_type(label: str) -> EntityType:
    try:
        return EntityType(label)
    except ValueError:
        return EntityType.CONCEPT


def _mentions(doc: Doc, section: Section, text: str, long_forms: dict[str, str], priors: Priors) -> list[Mention]:
    out = []
    for span, proposed, found_by in resolve_overlaps(doc):
        label = _entity_type(span.label_)
        role = Role.PROPOSES if proposed else DEFAULT_ROLE[label]
        where = _text_span(section, span, text)
        out.append(Mention(
            span=where,
            label=label,
            role=role,
            sentence=_text_span(section, span.sent, text),
            rule=found_by[0],
            long_form=long_forms.get(where.text) or long_forms.get(where.text.rstrip("s")),
            score=round(noisy_or(priors.rule(r) for r in found_by), 4),
            agreeing=found_by[1:],
        ))
    return out


# The claim rule's cue kinds (seeds/patterns/claims.json) as the guide's claim kinds.
CLAIM_KIND_OF_CUE = {"proves": "theory", "finds": "finding"}


def _claims(doc: Doc, section: Section, text: str, priors: Priors) -> list[Claim]:
    out = []
    if not Doc.has_extension("abx_claims"):  # no claim rule in this pipeline: the trained decisions choose claims
        return out
    for sent, kind, cue in doc._.abx_claims or []:
        where = _text_span(section, sent, text)
        quantities = tuple(
            Quantity(n.value, n.unit, n.text, sent.start_char + n.start, sent.start_char + n.end, n.qualifier)
            for n in rules.find_numbers(where.text)
        )
        out.append(Claim(where, CLAIM_KIND_OF_CUE.get(kind, "result"), cue, quantities, score=priors.claim(kind)))
    return out


def _with_results(claim: Claim, mentions: list[Mention], proposed: str | None) -> Claim:
    s = claim.sentence
    inside = [m for m in mentions if m.span.section is s.section and s.start <= m.span.start < s.end]
    results = extract_results(s.text, s.start, claim.quantities, inside, proposed)
    return replace(claim, results=results) if results else claim


def _relations(doc: Doc, section: Section, text: str, mentions: list[Mention]) -> list[Relation]:
    """The relation model's relations of ``doc``, between mentions of it (others are dropped)."""
    if not Doc.has_extension("abx_relations"):  # no relation component was ever built in this process
        return []
    at = {(m.span.start, m.span.end): m for m in mentions if m.span.section is section}
    out = []
    for head, tail, label, prob, extractor in doc._.abx_relations or []:
        h, t = at.get((head.start_char, head.end_char)), at.get((tail.start_char, tail.end_char))
        ours = SOURCE_LABELS.get(label)
        if h is None or t is None or ours is None:
            continue
        if ours[1]:
            h, t = t, h
        out.append(Relation(h.span, t.span, ours[0], label, _text_span(section, head.sent, text), extractor,
                            round(prob, 4)))
    return out


def to_extraction(paper: Paper, title: Doc, abstract: Doc, *, extractor: str, version: str,
                  priors: Priors | None = None) -> Extraction:
    """Domain objects for one paper from its processed title and abstract."""
    priors = priors or Priors()
    docs = ((Section.TITLE, title), (Section.ABSTRACT, abstract))
    # the docs were made from these strings, and a doc's text is its input's (``Doc.text`` rebuilds it token by token)
    texts = {Section.TITLE: paper.title, Section.ABSTRACT: paper.abstract}
    if len(title) and title[-1].idx + len(title[-1].text_with_ws) != len(paper.title) or len(abstract) and (
            abstract[-1].idx + len(abstract[-1].text_with_ws) != len(paper.abstract)):
        raise ExtractionError(f"paper {paper.key!r}: its docs were not made from its title and abstract")
    abbreviations = [
        Abbreviation(_text_span(section, short, texts[section]), _text_span(section, long, texts[section]))
        for section, doc in docs
        for short, long in doc._.abx_abbreviations or []
    ]
    long_forms = {a.short.text: a.long.text for a in abbreviations}
    mentions, claims, links, sentences, relations = [], [], [], [], []
    for section, doc in docs:
        found = _mentions(doc, section, texts[section], long_forms, priors)
        mentions += found
        relations += _relations(doc, section, texts[section], found)
        if section is Section.ABSTRACT:  # a title states a topic, not a result
            claims += _claims(doc, section, texts[section], priors)
    proposed = next((m.span.text for m in mentions if m.role is Role.PROPOSES), None)
    claims = [_with_results(c, mentions, proposed) for c in claims]
    relations += [r for c in claims for r in result_relations(c, mentions)]
    for section, doc in docs:
        links += [CodeLink(f.value, TextSpan(section, f.start, f.end, texts[section][f.start:f.end]))
                  for f in doc._.abx_urls or []]
        sentences += [_text_span(section, s, texts[section]) for s in doc.sents]
    return Extraction(
        paper=paper,
        extractor=extractor,
        version=version,
        mentions=tuple(mentions),
        abbreviations=tuple(abbreviations),
        claims=tuple(claims),
        code_links=tuple(links),
        sentences=tuple(sentences),
        relations=tuple(relations),
    )
