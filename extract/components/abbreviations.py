"""``abx_abbreviations``: "long form (SF)" definitions, Schwartz-Hearst style."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span

from extract import rules
from extract.components.common import ensure_extension


@Language.factory("abx_abbreviations", default_config={"max_inner_tokens": 16})
def make_abbreviations(nlp: Language, name: str, max_inner_tokens: int) -> AbbreviationDetector:
    return AbbreviationDetector(max_inner_tokens)


class AbbreviationDetector:
    """Schwartz-Hearst abbreviation definitions: "long form (SF)" and "SF (long form)".

    Sets ``doc._.abx_abbreviations`` to a list of ``(short_span, long_span)``.
    """

    def __init__(self, max_inner_tokens: int) -> None:
        self.max_inner = max_inner_tokens
        ensure_extension("abx_abbreviations")

    def __call__(self, doc: Doc) -> Doc:
        pairs: list[tuple[Span, Span]] = []
        for open_tok in doc:
            if open_tok.text != "(":
                continue
            sent = open_tok.sent
            close = next((t for t in doc[open_tok.i + 1 : min(sent.end, open_tok.i + self.max_inner + 2)]
                          if t.text == ")"), None)
            if close is None or close.i == open_tok.i + 1:
                continue
            inner = doc[open_tok.i + 1 : close.i]
            pair = (self._short_in_parens(doc, sent, open_tok.i, inner)
                    or self._long_in_parens(doc, sent, open_tok.i, inner))
            if pair:
                pairs.append(pair)
        doc._.abx_abbreviations = pairs
        return doc

    @staticmethod
    def _short_in_parens(doc: Doc, sent: Span, paren: int, inner: Span) -> tuple[Span, Span] | None:
        text = inner.text
        if len(inner) > 3 or not rules.is_short_form(text.replace(" ", "")):
            return None
        n_chars = sum(c.isalnum() for c in text)
        window_start = max(sent.start, paren - min(n_chars + 5, n_chars * 2))
        window = doc[window_start:paren]
        start = rules.match_long_form(text, window.text)
        if start is None:
            return None
        long_span = doc.char_span(window.start_char + start, window.end_char, alignment_mode="expand")
        if long_span is None or len(long_span) < 2 and long_span.text.lower() == text.lower():
            return None
        return inner, long_span

    @staticmethod
    def _long_in_parens(doc: Doc, sent: Span, paren: int, inner: Span) -> tuple[Span, Span] | None:
        if paren == sent.start or len(inner) < 2:
            return None
        short = doc[paren - 1]
        if not rules.is_short_form(short.text):
            return None
        start = rules.match_long_form(short.text, inner.text)
        if start != 0:
            return None
        return doc[paren - 1 : paren], inner
