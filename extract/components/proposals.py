"""``abx_proposals``: the names a paper proposes ("We propose X")."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span, SpanGroup

from extract import rules
from extract.components.common import CANDIDATES, PROPOSED, load_json


@Language.factory("abx_proposals", default_config={"rules_path": ""})
def make_proposals(nlp: Language, name: str, rules_path: str) -> ProposalDetector:
    return ProposalDetector(load_json(rules_path))


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
