"""``abx_model_mentions``: the trained NER heads' spans added to the entity candidates."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span, SpanGroup

from extract.components.common import CANDIDATES

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
