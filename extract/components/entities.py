"""``abx_entities``: candidate entity spans from the gazetteer, head nouns and name shapes."""

from __future__ import annotations

import re

from spacy.attrs import LOWER, ORTH, SPACY
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, SpanGroup, Token

from extract import rules
from extract.components.common import CANDIDATES, doc_text, load_json, load_lines, pattern_tokenizer
from kg.errors import ExtractionError
from kg.iri import entity_key


@Language.factory(
    "abx_entities",
    default_config={"terms_path": "", "stoplist_path": "", "heads_path": "", "stop_names_path": ""},
)
def make_entities(nlp: Language, name: str, terms_path: str, stoplist_path: str,
                  heads_path: str, stop_names_path: str) -> EntityMatcher:
    return EntityMatcher(nlp, terms_path, stoplist_path, heads_path, stop_names_path)


class EntityMatcher:
    """Candidate entity spans from the gazetteer, head nouns and name shapes.

    Writes ``doc.spans["abx_candidates"]``; each span's ``label_`` is an entity
    type and its ``id_`` the rule that found it. Overlaps are kept here and
    resolved in ``extract.convert``.
    """

    def __init__(self, nlp: Language, terms_path: str, stoplist_path: str,
                 heads_path: str, stop_names_path: str) -> None:
        stop = {s.lower() for s in load_lines(stoplist_path)} if stoplist_path else set()
        self.stop_names = set(load_lines(stop_names_path)) if stop_names_path else set()
        self.exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.known: dict[str, str] = {}
        tokenizer = pattern_tokenizer(nlp)
        by_kind: dict[tuple[str, str], list[str]] = {}
        for label, term, match in self._read_terms(terms_path):
            if term.lower() in stop:
                continue
            by_kind.setdefault((label, match), []).append(term)
            self.known.setdefault(entity_key(term), label)
        for (label, match), terms in sorted(by_kind.items()):
            matcher = self.exact if match == "exact" else self.lower
            matcher.add(label, list(tokenizer.pipe(terms)))
        heads = load_json(heads_path) if heads_path else {}
        self.heads = {w: label for label, words in heads.items() if not label.startswith(("_", "task_"))
                      for w in words}
        self.task_heads = set(heads.get("Task", []))
        self.modifier_stop = set(heads.get("task_modifier_stopwords", []))

    @staticmethod
    def _read_terms(path: str) -> list[tuple[str, str, str]]:
        rows = []
        for n, line in enumerate(load_lines(path)[1:], start=2):
            parts = line.split("\t")
            if len(parts) != 3 or parts[2] not in {"exact", "lower"}:
                raise ExtractionError(f"{path}:{n}: expected 'label<TAB>name<TAB>exact|lower', got {line!r}")
            rows.append((parts[0], parts[1], parts[2]))
        return rows

    def type_of(self, text: str) -> str | None:
        """Type of a name: known name, else a known prefix ("ImageNet-1K"), else its head noun."""
        key = entity_key(text)
        if key in self.known:
            return self.known[key]
        words = key.split(" ")
        for n in range(len(words) - 1, 0, -1):
            label = self.known.get(" ".join(words[:n]))
            if label and len(words[0]) > 2:
                return label
        last = text.split()[-1].lower() if text.split() else ""
        return self.heads.get(last) or self.heads.get(last.rstrip("s"))

    def __call__(self, doc: Doc) -> Doc:
        spans: list[Span] = []
        for matcher, rule in ((self.exact, "gazetteer"), (self.lower, "gazetteer")):
            for match_id, start, end in matcher(doc):
                spans.append(Span(doc, start, end, label=match_id, span_id=rule))
        # Words read once from arrays; Token objects are made only where a rule fires.
        cols = doc.to_array([ORTH, LOWER, SPACY]).tolist()
        strings = doc.vocab.strings
        words = [strings[c[0]] for c in cols]
        lowers = [strings[c[1]] for c in cols]
        spaced = [c[2] for c in cols]
        spans += self._hyphenated_names(doc, words, spaced)
        for i, word in enumerate(words):
            if word in self.stop_names or not rules.is_name_shaped(word):
                continue
            if i + 1 < len(words) and lowers[i + 1] in {"dataset", "datasets", "benchmark", "corpus"}:
                spans.append(Span(doc, i, i + 1, label="Dataset", span_id="dataset-cue"))
            else:
                spans.append(Span(doc, i, i + 1, label=self.type_of(word) or "Method", span_id="name-shape"))
        for i, low in enumerate(lowers):
            if low in self.task_heads and i > 0:
                tok = doc[i]
                start, n_words = i, 0
                while n_words < 2 and start > 0:
                    if start > 1 and words[start - 1] == "-" and not spaced[start - 1] \
                            and self._modifier(doc[start - 2], in_compound=True):
                        start -= 2
                    elif self._modifier(doc[start - 1]):
                        start -= 1
                    else:
                        break
                    n_words += 1
                if start < i and doc[start].sent == tok.sent:
                    spans.append(Span(doc, start, i + 1, label="Task", span_id="task-head"))
        spans += self._abbreviation_spans(doc)
        doc.spans[CANDIDATES] = SpanGroup(doc, name=CANDIDATES, spans=spans)
        return doc

    def _hyphenated_names(self, doc: Doc, words: list[str], spaced: list[int]) -> list[Span]:
        """Coined names the tokenizer split at hyphens: "SiT-XL", "CD-CoT", "PV-Tuning".

        A run of tokens joined by hyphens without spaces, one of whose parts
        is name-shaped, is one candidate; the parts alone lose the overlap.
        ``words`` and ``spaced`` are the doc's words and trailing-space flags.
        """
        out: list[Span] = []
        n = len(words)
        i = 0
        while i < n:
            j = i
            while j + 2 < n and words[j + 1] == "-" and not spaced[j] \
                    and not spaced[j + 1] and words[j + 2][:1].isalnum():
                j += 2
            if j > i and any(rules.is_name_shaped(w) for w in words[i : j + 1 : 2]) \
                    and words[i] not in self.stop_names:
                text = doc[i : j + 1].text
                out.append(Span(doc, i, j + 1, label=self.type_of(text) or "Method", span_id="name-shape"))
            i = j + 1
        return out

    def _abbreviation_spans(self, doc: Doc) -> list[Span]:
        """Each defined abbreviation, its long form, and every later use of it."""
        out: list[Span] = []
        text = doc_text(doc) if doc._.abx_abbreviations else ""
        for short, long in doc._.abx_abbreviations or []:
            label = self.type_of(long.text) or self.type_of(short.text) or "Concept"
            out.append(Span(doc, long.start, long.end, label=label, span_id="abbreviation"))
            for form in {short.text, short.text + "s"}:
                for m in re.finditer(r"(?<!\w)" + re.escape(form) + r"(?![\w-])", text):
                    use = doc.char_span(m.start(), m.end())
                    if use is not None:
                        out.append(Span(doc, use.start, use.end, label=label, span_id="abbreviation"))
        return out

    def _modifier(self, tok: Token, *, in_compound: bool = False) -> bool:
        """Can ``tok`` modify a task head ("node" classification, "few-shot" classification)?

        Without a tagger we exclude what is usually a verb or adverb: stop words,
        listed verbs, and -ly/-ed/-s endings (the first word of a hyphenated
        compound, "long"-tail, may be anything alphabetic).
        """
        text = tok.lower_
        if not tok.is_alpha or text in self.modifier_stop or tok.is_upper:
            return False
        if in_compound:
            return True
        return not tok.is_stop and not tok.is_title and not text.endswith(("ly", "ed")) \
            and not (text.endswith("s") and not text.endswith("ss"))
