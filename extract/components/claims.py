"""``abx_claims``: claim sentences by cue words (left out where trained decisions choose claims)."""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc

from extract import rules
from extract.components.common import doc_text, ensure_extension, load_json
from kg.errors import ExtractionError


@Language.factory("abx_claims", default_config={"rules_path": ""})
def make_claims(nlp: Language, name: str, rules_path: str) -> ClaimDetector:
    return ClaimDetector(load_json(rules_path))


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
        ensure_extension("abx_claims")

    def _own_result(self, text: str) -> bool:
        return bool(self.own_work.search(text)) or any(n.unit in self.units for n in rules.find_numbers(text))

    def __call__(self, doc: Doc) -> Doc:
        found = []
        text_of_doc = doc_text(doc)
        for sent in doc.sents:
            text = text_of_doc[sent.start_char : sent.end_char]
            for kind, pattern in self.kinds:
                m = pattern.search(text)
                if m:
                    if self._own_result(text):
                        found.append((sent, kind, m.group(0)))
                    break
        doc._.abx_claims = found
        return doc
