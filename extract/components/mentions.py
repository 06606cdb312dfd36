"""The entities that become mentions: overlapping candidates resolved (no component)."""

from __future__ import annotations

from spacy.tokens import Doc, Span

from extract.components.common import CANDIDATES, PROPOSED

# Among overlapping candidates of equal length, lower wins: an abbreviation's
# long form beats a gazetteer hit, which beats a head-noun phrase, and so on.
_PRIORITY = {"model-abstracta": 1, "abbreviation": 1, "gazetteer": 2, "dataset-cue": 2, "model-scier": 2,
             "model-scierc": 3, "task-head": 3, "name-shape": 4}


def resolve_overlaps(doc: Doc) -> list[tuple[Span, bool, tuple[str, ...]]]:
    """Non-overlapping spans, each flagged True when the paper proposes it, with every
    rule that found exactly that span (the winner's first), in text order.

    These are exactly the spans ``extract.convert`` turns into mentions, so
    components that need the final entities (relations) call this too.
    """
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
