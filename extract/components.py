"""Our spaCy components, registered with ``@Language.factory``.

Each component reads its rules from data files under ``seeds/`` (paths come
from its config) and writes its results onto the ``Doc``: sentence starts,
``doc.spans`` groups and ``doc._`` extensions. ``extract.convert`` is the only
code that turns those into domain objects.
"""

from __future__ import annotations

import bisect
import json
import re
from pathlib import Path

import numpy
from spacy.attrs import IS_TITLE, IS_UPPER, LIKE_NUM, LOWER, ORTH, SENT_START, SPACY
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc, Span, SpanGroup

from extract import rules
from kg.errors import ExtractionError
from kg.iri import entity_key

CANDIDATES = "abx_candidates"
PROPOSED = "abx_proposed"


def _load_json(path: str | Path) -> dict:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ExtractionError(f"cannot read rule file {path}: {e}; restore it from git") from e


def _load_lines(path: str | Path) -> list[str]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise ExtractionError(f"cannot read rule file {path}: {e}; restore it from git") from e
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def pattern_tokenizer(nlp: Language) -> Tokenizer:
    """A private copy of ``nlp``'s tokenizer, for turning rule terms into match patterns.

    spaCy's tokenizer memoises at most 10,000 whitespace-separated chunks and then
    stops adding to its cache. Tokenizing the 16k gazetteer names with the shared
    tokenizer filled that cache with names, and every document afterwards was
    tokenized from scratch: eight times slower (1.1 ms against 0.14 ms per seed
    paper, title and abstract). The copy shares the vocabulary, so its patterns
    match as before.
    """
    copy = Tokenizer(nlp.vocab)
    copy.from_bytes(nlp.tokenizer.to_bytes(exclude=["vocab"]), exclude=["vocab"])
    return copy


def _ensure_extension(name: str) -> None:
    if not Doc.has_extension(name):
        Doc.set_extension(name, default=None)


# ------------------------------------------------------------- sentences


@Language.factory("abx_sentencizer", default_config={"rules_path": ""})
def make_sentencizer(nlp: Language, name: str, rules_path: str) -> SentenceSplitter:
    return SentenceSplitter(_load_json(rules_path)["no_split_after"])


# Closing quotes and brackets written right after a full stop belong to its sentence: `termed "Object Images." This`.
_CLOSERS = frozenset({'"', "'", "\u201d", "\u2019", ")", "]"})


class SentenceSplitter:
    """Splits after ``.``/``!``/``?`` when the next token can start a sentence: it begins with a
    capital ("The", "BERT", "SynMirror"), is a number, or opens a quote or bracket.

    The tokenizer already keeps "e.g." and decimals whole; the rule file lists
    the abbreviations ("et al.", "Fig.") after which a full stop is not an end.
    Closing quotes and brackets attached to the stop stay with its sentence, and
    the token after them decides.
    """

    def __init__(self, no_split_after: list[str]) -> None:
        self.no_split = {w.lower().rstrip(".") for w in no_split_after}

    def __call__(self, doc: Doc) -> Doc:
        n = len(doc)
        if n == 0:
            return doc
        # Lexical flags and words read once from arrays: a Token object per word cost six times as much.
        flags = doc.to_array([ORTH, LIKE_NUM, IS_TITLE, IS_UPPER, SPACY]).tolist()
        strings = doc.vocab.strings
        words = [strings[row[0]] for row in flags]
        starts = [-1] * n
        starts[0] = 1
        for i in range(n - 1):
            word = words[i]
            if word in {".", "!", "?"}:
                if word == "." and i > 0 and words[i - 1].lower().rstrip(".") in self.no_split:
                    continue
            elif not (word.endswith(".") and len(word) > 1 and word[:-1].lower() not in self.no_split
                      and not flags[i][1] and word.count(".") == 1):
                continue
            nxt = i + 1
            while nxt < n and words[nxt] in _CLOSERS and not flags[nxt - 1][4]:
                nxt += 1
            if nxt == n:
                continue
            _, like_num, is_title, is_upper, _ = flags[nxt]
            if is_title or is_upper or like_num or words[nxt][:1].isupper() or words[nxt][:1] in "\"'([":
                starts[nxt] = 1
        doc.from_array([SENT_START], numpy.array(starts, dtype="int64").astype("uint64"))
        return doc


# --------------------------------------------------------- abbreviations


@Language.factory("abx_abbreviations", default_config={"max_inner_tokens": 16})
def make_abbreviations(nlp: Language, name: str, max_inner_tokens: int) -> AbbreviationDetector:
    return AbbreviationDetector(max_inner_tokens)


class AbbreviationDetector:
    """Schwartz-Hearst abbreviation definitions: "long form (SF)" and "SF (long form)".

    Sets ``doc._.abx_abbreviations`` to a list of ``(short_span, long_span)``.
    """

    def __init__(self, max_inner_tokens: int) -> None:
        self.max_inner = max_inner_tokens
        _ensure_extension("abx_abbreviations")

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


# ------------------------------------------------------ entity candidates


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
        stop = {s.lower() for s in _load_lines(stoplist_path)} if stoplist_path else set()
        self.stop_names = set(_load_lines(stop_names_path)) if stop_names_path else set()
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
        heads = _load_json(heads_path) if heads_path else {}
        self.heads = {w: label for label, words in heads.items() if not label.startswith(("_", "task_"))
                      for w in words}
        self.task_heads = set(heads.get("Task", []))
        self.modifier_stop = set(heads.get("task_modifier_stopwords", []))

    @staticmethod
    def _read_terms(path: str) -> list[tuple[str, str, str]]:
        rows = []
        for n, line in enumerate(_load_lines(path)[1:], start=2):
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
        text = doc.text if doc._.abx_abbreviations else ""  # built from every token: once, not per form
        for short, long in doc._.abx_abbreviations or []:
            label = self.type_of(long.text) or self.type_of(short.text) or "Concept"
            out.append(Span(doc, long.start, long.end, label=label, span_id="abbreviation"))
            for form in {short.text, short.text + "s"}:
                for m in re.finditer(r"(?<!\w)" + re.escape(form) + r"(?![\w-])", text):
                    use = doc.char_span(m.start(), m.end())
                    if use is not None:
                        out.append(Span(doc, use.start, use.end, label=label, span_id="abbreviation"))
        return out

    def _modifier(self, tok, *, in_compound: bool = False) -> bool:
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


# ------------------------------------------------------------- proposals


@Language.factory("abx_proposals", default_config={"rules_path": ""})
def make_proposals(nlp: Language, name: str, rules_path: str) -> ProposalDetector:
    return ProposalDetector(_load_json(rules_path))


class ProposalDetector:
    """Names the paper introduces: "we propose X", "a method called X", "X, a novel ...".

    Writes ``doc.spans["abx_proposed"]``. Only coined names qualify (name-shaped
    tokens, abbreviations and their long forms, and the words after a naming
    verb): "we propose a novel framework" proposes nothing nameable.
    """

    def __init__(self, cfg: dict) -> None:
        self.subjects = set(cfg["subjects"])
        self.verbs = set(cfg["verbs"])
        self.naming = set(cfg["naming"])
        self.appositive = set(cfg["appositive"])
        self.window = int(cfg["window"])
        self.dataset_nouns = set(cfg["dataset_nouns"])
        self.metric_nouns = set(cfg["metric_nouns"])
        self.concept_nouns = set(cfg["concept_nouns"])
        self.window_stop = set(cfg["window_stop"])
        self.max_title_prefix = int(cfg["max_title_prefix_tokens"])

    def __call__(self, doc: Doc) -> Doc:
        abbrevs = doc._.abx_abbreviations or []
        named: list[Span] = []
        for short, long in abbrevs:
            named += [short, long]
        named += [s for s in doc.spans.get(CANDIDATES, []) if s.id_ in {"name-shape", "dataset-cue"}]
        found: list[Span] = self._title_prefix(doc)
        for sent in doc.sents:
            found += self._in_sentence(doc, sent, named)
        doc.spans[PROPOSED] = SpanGroup(doc, name=PROPOSED, spans=found)
        return doc

    def _title_prefix(self, doc: Doc) -> list[Span]:
        """A title "ERASE: Error-Resilient ..." proposes its short prefix name."""
        if doc.user_data.get("abx_section") != "title":
            return []
        colon = next((t.i for t in doc if t.text == ":"), None)
        if colon is None or not 0 < colon <= self.max_title_prefix or colon + 1 >= len(doc):
            return []
        prefix = doc[:colon]
        if len(prefix) > 1 and not any(rules.is_name_shaped(t.text) for t in prefix):
            return []
        if not prefix[0].text[:1].isalnum():
            return []
        return [Span(doc, 0, colon, label=self._label(doc, prefix), span_id="title-prefix")]

    def _label(self, doc: Doc, span: Span) -> str:
        # The describing noun sits in the same clause: "X, an MNIST-based dataset, ..."
        # or "a new benchmark X"; stop at the clause end so the next clause's nouns don't leak in.
        after: set[str] = set()
        for t in doc[span.end : min(span.sent.end, span.end + 10)]:
            if t.text in {".", ";", ":"} or t.lower_ in {"which", "that", "and"} or (t.text == "," and after):
                break
            after.add(t.lower_)
        before = {t.lower_ for t in doc[max(span.sent.start, span.start - 4) : span.start]}
        if (after | before) & self.dataset_nouns:
            return "Dataset"
        if (after | before) & self.metric_nouns:
            return "Metric"
        if before & self.concept_nouns:
            return "Concept"
        return "Method"

    def _in_sentence(self, doc: Doc, sent: Span, named: list[Span]) -> list[Span]:
        out: list[Span] = []
        toks = list(sent)
        for j, tok in enumerate(toks):
            low = tok.lower_
            if low in self.naming:
                target = self._name_after(doc, tok.i + 1, sent.end, named)
                if target is not None:
                    out.append(Span(doc, target.start, target.end, label=self._label(doc, target), span_id="naming"))
            elif low in self.verbs and any(t.lower_ in self.subjects for t in toks[max(0, j - 2) : j]):
                end = min(sent.end, tok.i + 1 + self.window)
                covered = {i for s in named for i in range(s.start, s.end)}
                end = next((t.i for t in doc[tok.i + 1 : end]
                            if t.lower_ in self.window_stop and t.i not in covered), end)
                inside = [s for s in named if tok.i < s.start and s.end <= end]
                if inside:
                    first = min(inside, key=lambda s: (s.start, -len(s)))
                    out.append(Span(doc, first.start, first.end, label=self._label(doc, first), span_id="propose-cue"))
        # "NAME, a novel ..." / "NAME - a ..." at the start of a sentence
        for s in named:
            if s.start == sent.start and s.end + 1 < sent.end and doc[s.end].text in {",", "-", "–", ":"} \
                    and doc[s.end + 1].lower_ in self.appositive:
                out.append(Span(doc, s.start, s.end, label=self._label(doc, s), span_id="appositive"))
        return out

    @staticmethod
    def _name_after(doc: Doc, start: int, limit: int, named: list[Span]) -> Span | None:
        for s in named:
            if s.start == start:
                return max((n for n in named if n.start == start), key=len)
        stop = {"which", "that", "to", "for", "with", "where", "and", "as", "in", "on", "of", "is"}
        while start < limit and doc[start].lower_ in {"a", "an", "the", "our", "this", "its", "their"}:
            start += 1
        end = start
        while end < min(limit, start + 6):
            tok = doc[end]
            if tok.lower_ in stop or not (tok.is_alpha or tok.text == "-"):
                break
            end += 1
        while end > start and doc[end - 1].text == "-":
            end -= 1
        if end == start or all(t.is_stop for t in doc[start:end]):
            return None
        return doc[start:end]


# ---------------------------------------------------------------- claims


@Language.factory("abx_claims", default_config={"rules_path": ""})
def make_claims(nlp: Language, name: str, rules_path: str) -> ClaimDetector:
    return ClaimDetector(_load_json(rules_path))


def _alternation(words: list[str], what: str) -> re.Pattern:
    try:
        return re.compile(r"\b(?:" + "|".join(words) + r")\b", re.IGNORECASE)
    except re.error as e:
        raise ExtractionError(f"{what} pattern is not a valid regular expression: {e}; fix claims.json") from e


class ClaimDetector:
    """Result and finding sentences: ``doc._.abx_claims`` = ``[(sent, kind, cue)]``.

    A cue alone ("has achieved remarkable success") is often background; the
    sentence must also speak of the paper's own work or state a measured number.
    """

    def __init__(self, cfg: dict) -> None:
        self.kinds = [(kind, _alternation(cues, f"claim cue ({kind})")) for kind, cues in cfg["kinds"]]
        self.own_work = _alternation(cfg["own_work"], "own-work")
        self.units = set(cfg["units"])
        _ensure_extension("abx_claims")

    def _own_result(self, text: str) -> bool:
        return bool(self.own_work.search(text)) or any(n.unit in self.units for n in rules.find_numbers(text))

    def __call__(self, doc: Doc) -> Doc:
        found = []
        doc_text = doc.text  # built from every token on each call: once per document, not per cue
        for sent in doc.sents:
            text = doc_text[sent.start_char : sent.end_char]
            for kind, pattern in self.kinds:
                m = pattern.search(text)
                if m:
                    if self._own_result(text):
                        found.append((sent, kind, m.group(0)))
                    break
        doc._.abx_claims = found
        return doc


# ------------------------------------------------------------------ URLs


@Language.factory("abx_urls")
def make_urls(nlp: Language, name: str) -> UrlFinder:
    return UrlFinder()


class UrlFinder:
    """Code and project links: ``doc._.abx_urls`` = ``[Found(url, start, end)]``."""

    def __init__(self) -> None:
        _ensure_extension("abx_urls")

    def __call__(self, doc: Doc) -> Doc:
        doc._.abx_urls = rules.find_urls(doc.text)
        return doc


# ------------------------------------------------------ trained model spans


# Which labels of each trained head become which entity types of the graph.
MODEL_LABEL_MAP: dict[str, dict[str, str]] = {
    "abstracta": {"Method": "Method", "Dataset": "Dataset", "Task": "Task", "Metric": "Metric"},
    "scier": {"Method": "Method", "Dataset": "Dataset", "Task": "Task"},
    "scierc": {"Metric": "Metric"},
}


@Language.factory("abx_model_mentions", default_config={"label_map": MODEL_LABEL_MAP})
def make_model_mentions(nlp: Language, name: str, label_map: dict[str, dict[str, str]]) -> ModelMentions:
    return ModelMentions(label_map)


class ModelMentions:
    """Adds the trained NER heads' spans (``doc.spans[scheme]``) to the candidates.

    ``label_map`` says which benchmark labels become which entity types; spans
    of other labels stay in ``doc.spans`` for evaluation only (SciERC's Generic
    "this method" and OtherScientificTerm are not graph entities). Each span's
    ``id_`` is ``model-<scheme>``, so its score prior and agreement with the
    rules are handled like any rule's.
    """

    def __init__(self, label_map: dict[str, dict[str, str]]) -> None:
        self.label_map = label_map

    def __call__(self, doc: Doc) -> Doc:
        added = [Span(doc, s.start, s.end, label=self.label_map[key][s.label_], span_id=f"model-{key}")
                 for key in self.label_map for s in doc.spans.get(key, []) if s.label_ in self.label_map[key]]
        doc.spans[CANDIDATES] = SpanGroup(doc, name=CANDIDATES, spans=[*doc.spans.get(CANDIDATES, []), *added])
        return doc


@Language.factory("abx_span_edges", default_config={"rules_path": "", "span_keys": ["scier", "scierc"]})
def make_span_edges(nlp: Language, name: str, rules_path: str, span_keys: list[str]) -> SpanEdges:
    return SpanEdges(_load_json(rules_path).get("words", []), span_keys)


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


# ------------------------------------------------ the entities that become mentions

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


# ------------------------------------------------------ relations between entities

RELATION_TYPES = ("Method", "Dataset", "Task")  # the entity types the SciER relation model was trained on


@Language.factory("abx_relations",
                  default_config={"model": "scier", "threshold": None, "types": list(RELATION_TYPES)})
def make_relations(nlp: Language, name: str, model: str, threshold: float | None,
                   types: list[str]) -> RelationFinder:
    return RelationFinder(model, threshold, types)


class RelationFinder:
    """Relations between the entities of each sentence, by a trained relation model (``extract.relations``).

    Runs on the spans that become mentions (:func:`resolve_overlaps`) whose
    entity type is one of ``types`` (the types the model was trained on; pairs
    with other types are never candidates, which also keeps it cheap), one
    sentence at a time. ``threshold`` overrides the model's own (tuned for F1
    on dev). Writes ``doc._.abx_relations`` = ``[(head, tail, label, probability,
    extractor)]`` with head and tail spans of the doc and the model's own label.
    """

    def __init__(self, model: str, threshold: float | None, types: list[str]) -> None:
        from extract.relations import load_model

        try:
            self.model = load_model(model)
        except (OSError, ValueError, KeyError) as e:
            raise ExtractionError(f"cannot load the relation model {model!r}: {e}; restore "
                                  f"extract/models/relations-{model} from git or configure another") from e
        self.threshold = threshold
        self.types = frozenset(types)
        self.extractor = f"model:relations-{self.model.scheme}"
        _ensure_extension("abx_relations")

    def __call__(self, doc: Doc) -> Doc:
        found: list[tuple[Span, Span, str, float, str]] = []
        spans = [s for s, _, _ in resolve_overlaps(doc) if s.label_ in self.types]
        if len(spans) >= 2:
            bounds = [(sent.start, sent.end) for sent in doc.sents]
            starts = [b[0] for b in bounds]
            by_sentence: dict[int, list[Span]] = {}
            for s in spans:
                k = bisect.bisect_right(starts, s.start) - 1
                if s.end <= bounds[k][1]:  # a span across a sentence end is no argument
                    by_sentence.setdefault(k, []).append(s)
            words: list[str] = []
            for k, members in by_sentence.items():
                if len(members) < 2:
                    continue
                words = words or [t.text for t in doc]
                start, end = bounds[k]
                args = [(s.start - start, s.end - start, s.label_) for s in members]
                for h, t, label, prob in self.model.predict_relations(words[start:end], args, self.threshold):
                    found.append((members[h], members[t], label, prob, self.extractor))
        doc._.abx_relations = found
        return doc
