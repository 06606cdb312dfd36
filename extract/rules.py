"""Pure text rules used by the spaCy components: no spaCy objects here.

Keeping these as plain functions over strings lets them be tested (and
property-tested) without building a pipeline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# ----------------------------------------------------------------- URLs

_URL_RE = re.compile(
    r"(?:https?://|(?<![\w@/.])(?:www\.|github\.com/|gitlab\.com/|huggingface\.co/))[^\s<>\"'`{}|\\^]+",
    re.IGNORECASE,
)
# "url](url)" (a Markdown link whose text is the URL) and "url[4]" (a footnote mark): cut before them
_MARKDOWN_TAIL_RE = re.compile(r"(?:\]\(.*|\[\d{1,3}\])$")
_TRAILING = ".,;:!?"
_PAIRS = {")": "(", "]": "[", "}": "{"}


@dataclass(frozen=True, slots=True)
class Found:
    """A match in a string: the cleaned value and its character span."""

    value: str
    start: int
    end: int


def find_urls(text: str) -> list[Found]:
    """Code and project URLs, without trailing sentence punctuation.

    >>> [f.value for f in find_urls("Code: https://github.com/a/b. See (github.com/c/d).")]
    ['https://github.com/a/b', 'https://github.com/c/d']

    Markdown links and footnote marks that abstracts carry over are not part of the URL:

    >>> [f.value for f in find_urls("[code](https://github.com/a/b) https://x.io/c](https://x.io/c) https://y.org/d[4]")]
    ['https://github.com/a/b', 'https://x.io/c', 'https://y.org/d']
    """
    found = []
    for m in _URL_RE.finditer(text):
        url, start = m.group(0), m.start()
        url = _MARKDOWN_TAIL_RE.sub("", url)
        while url:
            last = url[-1]
            if last in _TRAILING:
                url = url[:-1]
            elif last in _PAIRS and url.count(last) > url.count(_PAIRS[last]):
                url = url[:-1]
            else:
                break
        if "." not in url.split("//", 1)[-1]:
            continue
        value = url if re.match(r"https?://", url, re.IGNORECASE) else "https://" + url
        found.append(Found(value, start, start + len(url)))
    return found


# -------------------------------------------------- Schwartz-Hearst matching


def match_long_form(short: str, candidate: str) -> int | None:
    """Where the long form of ``short`` starts inside ``candidate``, or None.

    Schwartz & Hearst (2003): walk both strings from the right, matching each
    alphanumeric character of the short form in order; the first character
    of the short form must begin a word of the long form, which stops the
    match from settling on a letter in the middle of an unrelated word.

    >>> c = "Our main contribution is Matryoshka Representation Learning"
    >>> c[match_long_form("MRL", c):]
    'Matryoshka Representation Learning'
    >>> match_long_form("XYZ", "graph neural networks") is None
    True
    """
    s, pos = len(short) - 1, len(candidate) - 1
    while s >= 0:
        ch = short[s].lower()
        if not ch.isalnum():
            s -= 1
            continue
        while pos >= 0 and (
            candidate[pos].lower() != ch
            or (s == 0 and pos > 0 and candidate[pos - 1].isalnum())
        ):
            pos -= 1
        if pos < 0:
            return None
        pos -= 1
        s -= 1
    return candidate.rfind(" ", 0, pos + 2) + 1


def is_short_form(text: str) -> bool:
    """Could ``text`` be an abbreviation? ("MRL", "GNNs", "AdaDim", "CD-CoT")."""
    if not 2 <= len(text) <= 12 or " " in text.strip():
        return False
    if not text[0].isalnum() or not any(c.isalpha() for c in text):
        return False
    return sum(c.isupper() for c in text) >= 2 or (text[0].isupper() and any(c.isdigit() for c in text))


# ------------------------------------------------------------ name shapes

_NAME_SHAPE_RE = re.compile(
    r"""^(?:
        [A-Z][a-z0-9]*[A-Z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*     # ResNet, RoBERTa, GPT-4, LLaMA-13B
      | [a-z]+[A-Z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*               # aTLAS, word2Vec
      | [A-Z]{2,}[0-9]*(?:-[A-Za-z0-9]+)*                       # BERT, CIFAR-10, T5
      | [A-Z][a-z]+-?[0-9]+[A-Za-z0-9]*(?:-[A-Za-z0-9]+)*       # Llama2, Swin-B? no: Mistral-7B
    )$""",
    re.VERBOSE,
)


def is_name_shaped(token: str) -> bool:
    """Does a single token look like a coined name rather than a word?

    >>> [t for t in ["ResNet-50", "BERT", "aTLAS", "Mistral-7B", "Learning", "the", "A"] if is_name_shaped(t)]
    ['ResNet-50', 'BERT', 'aTLAS', 'Mistral-7B']
    """
    return bool(_NAME_SHAPE_RE.match(token))


# ------------------------------------------------------------- quantities

_NUMBER_RE = re.compile(
    r"""(?<![\w.\-])
    (?:(?P<qual>up\ to|at\ least|at\ most|more\ than|less\ than|over|nearly|almost|about|
        around|approximately|roughly|by|only)\s+)?
    (?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)
    \s?(?P<unit>\\?%|×|x(?![A-Za-z])|times(?![A-Za-z])|-?fold(?![A-Za-z])|pp(?![A-Za-z])|
        percentage\ points?|-?points?(?![A-Za-z])|dB(?![A-Za-z]))?
    (?![\w])""",
    re.VERBOSE | re.IGNORECASE,
)
# LaTeX sources write a percent sign as "\\%" (61 results of our train annotations are so written, against one
# number that is not a result); "a 10-point gain" is written like "a 10-fold gain"
_UNIT_NAMES = {"×": "x", "times": "x", "fold": "x", "-fold": "x", "percentage point": "pp",
               "percentage points": "pp", "point": "points", "-point": "points", "-points": "points", "\\%": "%"}


@dataclass(frozen=True, slots=True)
class Number:
    value: float
    unit: str
    text: str
    start: int
    end: int
    qualifier: str | None


def find_numbers(text: str) -> list[Number]:
    r"""Numbers with their unit and qualifier, as stated in a claim.

    Digits inside names ("ResNet-50", "ImageNet-1K", "top-1") are not numbers
    of the claim, hence the look-behind on word characters and hyphens.

    >>> [(n.value, n.unit, n.qualifier) for n in find_numbers("up to 14x smaller and by 1.7% on ImageNet-1K")]
    [(14.0, 'x', 'up to'), (1.7, '%', 'by')]
    >>> [(n.value, n.unit) for n in find_numbers(r"39\% accuracy, a 10-point gain")]
    [(39.0, '%'), (10.0, 'points')]
    """
    out = []
    for m in _NUMBER_RE.finditer(text):
        unit = (m.group("unit") or "").lower()
        unit = _UNIT_NAMES.get(unit, unit)
        qual = m.group("qual")
        out.append(Number(
            value=float(m.group("num").replace(",", "")),
            unit=unit,
            text=m.group(0),
            start=m.start(),
            end=m.end(),
            qualifier=qual.lower() if qual else None,
        ))
    return out
