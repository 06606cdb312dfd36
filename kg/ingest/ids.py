"""arXiv identifiers in any spelling: bare, versioned, ``arXiv:`` prefixed, or an abs/pdf URL.

One regular expression for every reader and feed, so a paper gets the same key wherever it came from.
"""

from __future__ import annotations

import re

ARXIV_ID_RE = re.compile(
    r"(?:https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/|arxiv:)?"
    r"(\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})(v\d+)?(?:\.pdf)?",
    re.IGNORECASE,
)


def arxiv_id(raw: str) -> tuple[str, str] | None:
    """The bare arXiv id and version suffix of an id, URL or ``arXiv:`` reference.

    >>> arxiv_id("http://arxiv.org/abs/2205.13147v3")
    ('2205.13147', 'v3')
    >>> arxiv_id("arXiv:hep-th/9901001")
    ('hep-th/9901001', '')
    >>> arxiv_id("not an id") is None
    True
    """
    m = ARXIV_ID_RE.fullmatch(raw.strip())
    return (m.group(1), m.group(2) or "") if m else None
