"""``abx_span_repeats``: a head's span labelled again where its name recurs in the document."""

from __future__ import annotations

import bisect

from spacy.attrs import LOWER, SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Span, SpanGroup


@Language.factory("abx_span_repeats", default_config={"span_keys": ["scier", "scierc"]})
def make_span_repeats(nlp: Language, name: str, span_keys: list[str]) -> SpanRepeats:
    return SpanRepeats(nlp.Defaults.stop_words, span_keys)


class SpanRepeats:
    """Gives every other occurrence of a head's span in the same document the span's label.

    An abstract names its concepts more than once, and the annotators mark every
    mention; the heads tag each sentence on its own evidence, so a name they find in
    one sentence they may miss in the next. For each key of ``span_keys``, every
    occurrence of a span's words (matched lower-cased, within one sentence) that
    touches none of that key's spans becomes a span with the label of the first
    span of those words; longer names are placed first. Words that are all stop
    words or have no letter ("and", "3") are never repeated.
    """

    def __init__(self, stop_words: set[str], span_keys: list[str]) -> None:
        self.stop_words = frozenset(w.lower() for w in stop_words)
        self.span_keys = tuple(span_keys)
        self._word_ok: dict[int, bool] = {}  # word id -> not a stop word and has a letter

    def _repeatable(self, doc: Doc, words: tuple[int, ...]) -> bool:
        for w in words:
            ok = self._word_ok.get(w)
            if ok is None:
                text = doc.vocab.strings[w]
                ok = self._word_ok[w] = text not in self.stop_words and any(c.isalpha() for c in text)
            if ok:
                return True
        return False

    def __call__(self, doc: Doc) -> Doc:
        keys = [k for k in self.span_keys if len(doc.spans.get(k, ()))]
        if not keys:
            return doc
        lower = doc.to_array(LOWER).tolist()  # word ids: compared as numbers, far cheaper than strings
        ends = [len(doc)]
        if doc.has_annotation("SENT_START"):
            ends = [i for i, v in enumerate(doc.to_array(SENT_START).tolist()) if v == 1 and i] + ends
        for key in keys:
            spans = list(doc.spans[key])
            names: dict[tuple[int, ...], str] = {}
            for s in sorted(spans, key=lambda s: s.start):
                words = tuple(lower[s.start:s.end])
                if words not in names and self._repeatable(doc, words):
                    names[words] = s.label_
            by_first: dict[int, list[tuple[int, ...]]] = {}
            for words in names:
                by_first.setdefault(words[0], []).append(words)
            found = []
            for i, w in enumerate(lower):
                if w not in by_first:
                    continue
                end = ends[bisect.bisect_right(ends, i)]  # the end of word i's sentence
                for words in by_first[w]:
                    j = i + len(words)
                    if j <= end and tuple(lower[i:j]) == words:
                        found.append((i, j, names[words]))
            taken = {i for s in spans for i in range(s.start, s.end)}
            added = []
            for i, j, label in sorted(found, key=lambda f: (f[0] - f[1], f[0])):
                if taken.isdisjoint(range(i, j)):
                    taken.update(range(i, j))
                    added.append(Span(doc, i, j, label=label))
            if added:
                doc.spans[key] = SpanGroup(doc, name=key, spans=sorted([*spans, *added], key=lambda s: s.start))
        return doc
