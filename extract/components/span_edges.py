"""``abx_span_edges``: edge words stripped from the trained heads' spans."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span, SpanGroup

from extract.components.common import load_json


@Language.factory("abx_span_edges", default_config={"rules_path": "", "span_keys": ["scier", "scierc"]})
def make_span_edges(nlp: Language, name: str, rules_path: str, span_keys: list[str]) -> SpanEdges:
    return SpanEdges(load_json(rules_path).get("words", []), span_keys)


class SpanEdges:
    """Strips words that never begin or end an entity ("of", "the", "and", ...) from the
    trained heads' spans in ``doc.spans[key]``; a span of nothing else is dropped.

    The words come from ``seeds/patterns/span_edges.json`` (matched lower-cased).
    """

    def __init__(self, words: list[str], span_keys: list[str]) -> None:
        self.words = frozenset(w.lower() for w in words)
        self.span_keys = tuple(span_keys)

    def trimmed(self, doc: Doc, start: int, end: int) -> tuple[int, int]:
        while start < end and doc[end - 1].lower_ in self.words:
            end -= 1
        while start < end and doc[start].lower_ in self.words:
            start += 1
        return start, end

    def __call__(self, doc: Doc) -> Doc:
        for key in self.span_keys:
            if key not in doc.spans:
                continue
            kept = []
            for s in doc.spans[key]:
                start, end = self.trimmed(doc, s.start, s.end)
                if start < end:
                    kept.append(s if (start, end) == (s.start, s.end)
                                else Span(doc, start, end, label=s.label, kb_id=s.kb_id, span_id=s.id))
            doc.spans[key] = SpanGroup(doc, name=key, spans=kept)
        return doc
