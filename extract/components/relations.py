"""``abx_relations``: relations between the mentions of a sentence, by the trained relation model."""

from __future__ import annotations

import bisect

from spacy.attrs import ORTH
from spacy.language import Language
from spacy.tokens import Doc, Span

from extract.components.common import ensure_extension
from extract.components.mentions import resolve_overlaps
from kg.errors import ExtractionError

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
        from extract.relations.model import load_model

        try:
            self.model = load_model(model)
        except (OSError, ValueError, KeyError) as e:
            raise ExtractionError(f"cannot load the relation model {model!r}: {e}; restore "
                                  f"extract/models/relations-{model} from git or configure another") from e
        self.threshold = threshold
        self.types = frozenset(types)
        self.extractor = f"model:relations-{self.model.scheme}"
        ensure_extension("abx_relations")

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
            strings = doc.vocab.strings
            for k, members in by_sentence.items():
                if len(members) < 2:
                    continue
                words = words or [strings[orth] for orth in doc.to_array(ORTH).tolist()]  # no Token objects
                start, end = bounds[k]
                args = [(s.start - start, s.end - start, s.label_) for s in members]
                for h, t, label, prob in self.model.predict_relations(words[start:end], args, self.threshold):
                    found.append((members[h], members[t], label, prob, self.extractor))
        doc._.abx_relations = found
        return doc
