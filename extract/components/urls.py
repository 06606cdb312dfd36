"""``abx_urls``: the URLs of a text."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from extract import rules
from extract.components.common import doc_text, ensure_extension


@Language.factory("abx_urls")
def make_urls(nlp: Language, name: str) -> UrlFinder:
    return UrlFinder()


class UrlFinder:
    """Code and project links: ``doc._.abx_urls`` = ``[Found(url, start, end)]``."""

    def __init__(self) -> None:
        ensure_extension("abx_urls")

    def __call__(self, doc: Doc) -> Doc:
        doc._.abx_urls = rules.find_urls(doc_text(doc))
        return doc
