"""``abx_sentencizer``: sentence starts, with rules for where a full stop ends no sentence."""

from __future__ import annotations

import numpy
from spacy.attrs import IS_TITLE, IS_UPPER, LIKE_NUM, ORTH, SENT_START, SPACY
from spacy.language import Language
from spacy.tokens import Doc

from extract.components.common import load_json


@Language.factory("abx_sentencizer", default_config={"rules_path": ""})
def make_sentencizer(nlp: Language, name: str, rules_path: str) -> SentenceSplitter:
    return SentenceSplitter(load_json(rules_path)["no_split_after"])


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
