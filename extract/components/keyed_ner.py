"""``abx_keyed_ner``: an entity recogniser that keeps its own label scheme in ``doc.spans[key]``.

Several of these share one ``tok2vec`` (each listens to it), so one pipeline
can carry NER heads for annotation schemes that disagree (SciERC's six labels,
SciER's three) without one scheme overwriting or constraining the other:

* **training**: a head learns only from documents annotated in its scheme,
  i.e. whose reference has ``doc.spans[spans_key]``; a document from another
  corpus is shown to it with every token's entity state *missing*, which gives
  no loss (the transition oracle allows every move). The gold spans may nest;
  the head learns the outermost (longest) ones, as ``doc.ents`` would hold;
* **prediction**: the head ignores any ``doc.ents`` set before it (the rule
  components' entities would otherwise constrain the transition system), writes
  its entities to ``doc.spans[spans_key]`` and restores ``doc.ents`` untouched;
* **scoring**: exact span + label P/R/F against the reference
  ``doc.spans[spans_key]``, on the documents that have that key only, reported
  as ``{spans_key}_f`` / ``_p`` / ``_r`` / ``_per_type``.

Import this module before ``spacy.load`` of a pipeline that uses the factory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy
from spacy.attrs import ENT_IOB, ENT_TYPE
from spacy.language import Language
from spacy.pipeline.ner import DEFAULT_NER_MODEL, EntityRecognizer
from spacy.scorer import PRFScore
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.util import filter_spans, registry
from spacy.vocab import Vocab
from thinc.api import Model, Optimizer, set_dropout_rate

if TYPE_CHECKING:
    from spacy.pipeline._parser_internals.transition_system import TransitionSystem

_ENT_ATTRS = [ENT_IOB, ENT_TYPE]


def _stash_ents(doc: Doc) -> numpy.ndarray:
    """Save the doc's entity annotation and leave every token's entity state missing."""
    saved = doc.to_array(_ENT_ATTRS)
    if saved.any():
        doc.set_ents([], default="missing")
    return saved


def _restore_ents(doc: Doc, saved: numpy.ndarray) -> None:
    """Put back what :func:`_stash_ents` saved (all missing, where nothing was); one array write, where
    ``Doc.set_ents`` would walk the doc token by token in Python."""
    doc.from_array(_ENT_ATTRS, saved)


def keyed_ner_score(examples: Iterable[Example], *, spans_key: str, **_: Any) -> dict[str, Any]:
    """Exact-match P/R/F of ``doc.spans[spans_key]``, over the examples annotated with that key."""
    micro = PRFScore()
    per: dict[str, PRFScore] = {}
    for eg in examples:
        if spans_key not in eg.reference.spans:
            continue
        gold = {(s.start_char, s.end_char, s.label_) for s in eg.reference.spans[spans_key]}
        pred = {(s.start_char, s.end_char, s.label_) for s in eg.predicted.spans.get(spans_key, [])}
        micro.score_set(pred, gold)
        for label in {x[2] for x in gold | pred}:
            per.setdefault(label, PRFScore()).score_set(
                {x for x in pred if x[2] == label}, {x for x in gold if x[2] == label}
            )
    return {
        f"{spans_key}_p": micro.precision,
        f"{spans_key}_r": micro.recall,
        f"{spans_key}_f": micro.fscore,
        f"{spans_key}_per_type": {k: v.to_dict() for k, v in sorted(per.items())},
    }


@registry.scorers("abx.keyed_ner_scorer.v1")
def make_keyed_ner_scorer() -> Callable[..., dict[str, Any]]:
    return keyed_ner_score


class KeyedEntityRecognizer(EntityRecognizer):
    """An ``EntityRecognizer`` whose gold and output live in ``doc.spans[spans_key]``."""

    def __init__(
        self,
        vocab: Vocab,
        model: Model,
        name: str = "ner",
        moves: TransitionSystem | None = None,
        *,
        spans_key: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(vocab, model, name, moves, **kwargs)
        self.spans_key = spans_key
        self.cfg["spans_key"] = spans_key

    # -------------------------------------------------------------- gold view

    def _view(self, eg: Example) -> Example:
        """The example as this head sees it: its scheme's spans as ``doc.ents``, or all missing."""
        ref = eg.reference.copy()
        if self.spans_key in ref.spans:
            spans = [Span(ref, s.start, s.end, label=s.label) for s in ref.spans[self.spans_key]]
            ref.set_ents(filter_spans(spans), default="outside")
        else:
            ref.set_ents([], default="missing")
        return Example(eg.predicted, ref)

    def update(
        self,
        examples: Iterable[Example],
        *,
        drop: float = 0.0,
        sgd: Optimizer | None = None,
        losses: dict[str, float] | None = None,
    ) -> dict[str, float]:
        views = [self._view(eg) for eg in examples]
        if any(self.moves.has_gold(eg) for eg in views):
            return super().update(views, drop=drop, sgd=sgd, losses=losses)
        # Nothing to learn from this batch, but the shared tok2vec only applies the
        # gradients its listeners accumulated when its *last* listener backprops:
        # pass a zero gradient so the other heads' updates are not dropped.
        if losses is None:
            losses = {}
        losses.setdefault(self.name, 0.0)
        docs = [eg.x for eg in views]
        if any(len(doc) for doc in docs):
            set_dropout_rate(self.model, drop)
            _, backprop_tok2vec = self.model.begin_update(docs)
            backprop_tok2vec(None)
            if sgd not in (None, False):
                self.finish_update(sgd)
        return losses

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]],
        nlp: Language | None = None,
        labels: dict[str, Any] | None = None,
    ) -> None:
        return super().initialize(lambda: (self._view(eg) for eg in get_examples()), nlp=nlp, labels=labels)

    # -------------------------------------------------------------- prediction

    def predict(self, docs: Sequence[Doc]) -> list[Any]:
        saved = [_stash_ents(doc) for doc in docs]
        try:
            return super().predict(docs)
        finally:
            for doc, arr in zip(docs, saved, strict=True):
                if arr.any():  # else the doc's entities were all missing, and predicting writes none
                    _restore_ents(doc, arr)

    def set_annotations(self, docs: Sequence[Doc], states_or_beams: list[Any]) -> None:
        saved = [_stash_ents(doc) for doc in docs]
        super().set_annotations(docs, states_or_beams)
        for doc, arr in zip(docs, saved, strict=True):
            doc.spans[self.spans_key] = [Span(doc, e.start, e.end, label=e.label) for e in doc.ents]
            _restore_ents(doc, arr)


@Language.factory(
    "abx_keyed_ner",
    assigns=["doc.spans"],
    default_config={
        "model": DEFAULT_NER_MODEL,
        "spans_key": "ents",
        "moves": None,
        "update_with_oracle_cut_size": 100,
        "incorrect_spans_key": None,
        "scorer": {"@scorers": "abx.keyed_ner_scorer.v1"},
    },
    default_score_weights={},
)
def make_keyed_ner(
    nlp: Language,
    name: str,
    model: Model,
    spans_key: str,
    moves: TransitionSystem | None,
    update_with_oracle_cut_size: int,
    incorrect_spans_key: str | None,
    scorer: Callable | None,
) -> KeyedEntityRecognizer:
    return KeyedEntityRecognizer(
        nlp.vocab,
        model,
        name,
        moves,
        spans_key=spans_key,
        update_with_oracle_cut_size=update_with_oracle_cut_size,
        incorrect_spans_key=incorrect_spans_key,
        scorer=scorer,
    )
