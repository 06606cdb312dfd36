"""Features of the decisions taken on each paper after the spaCy pipeline (plain data in, strings out).

The pipeline proposes candidates (every name a rule, the gazetteer or a NER head found; every
sentence; every number of a sentence). The trained decisions (:mod:`extract.decisions`) weigh
these features; the trainer (:mod:`extract.training.annotation.fit`) computes the very same ones
on annotated papers, so what is fitted is what runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from extract.results import BASELINE_CUES, OWN_METHOD
from kg.model import EntityType, Extraction, Mention, Role, Section, TextSpan

_WORD = re.compile(r"[A-Za-z][A-Za-z\-]*|\d+(?:\.\d+)?|[%$×x]")
_SEP = re.compile(r"[\s\-_/]+")


def norm(name: str | None) -> str:
    """Compare-form of a name: case-folded, hyphens and spaces alike, a plural 's' dropped."""
    if not name:
        return ""
    text = _SEP.sub(" ", name.casefold()).strip(" .,;:()[]\"'")
    if len(text) > 3 and text.endswith("s") and not text.endswith("ss"):
        text = text[:-1]
    return text


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _shape(name: str) -> str:
    if re.fullmatch(r"[A-Z0-9][A-Za-z0-9\-\.]*[A-Z0-9][A-Za-z0-9\-\.]*", name) and sum(c.isupper() for c in name) >= 2:
        return "coined"
    if " " not in name and re.search(r"[a-z][A-Z]|[A-Za-z]-?\d", name):
        return "camel-or-digit"
    if name[:1].isupper():
        return "capitalised"
    return "lower"


@dataclass(frozen=True)
class Group:
    """The mentions of one name in one paper (all types any rule gave it), with its long form if defined."""

    key: str
    mentions: tuple[Mention, ...]

    @property
    def name(self) -> str:
        long = next((m.long_form for m in self.mentions if m.long_form), None)
        return long or max((m.span.text for m in self.mentions), key=len)


def groups(ex: Extraction) -> list[Group]:
    """Candidate names of a paper: mentions grouped by the normalised long form or text."""
    by_key: dict[str, list[Mention]] = {}
    for m in ex.mentions:
        by_key.setdefault(norm(m.long_form or m.span.text), []).append(m)
    return [Group(k, tuple(ms)) for k, ms in by_key.items() if k]


def _context(text: str, span: TextSpan, n: int = 2) -> tuple[list[str], list[str]]:
    before = words(text[max(0, span.start - 60) : span.start])[-n:]
    after = words(text[span.end : span.end + 60])[:n]
    return before, after


def group_features(g: Group, paper_text: dict[Section, str], n_sentences: int) -> list[str]:
    """What says whether a candidate name is an entity, and of which type."""
    feats = ["bias"]
    name = g.name
    for m in g.mentions:
        feats += [f"type={m.label.value}", f"rule={m.rule}", f"rule={m.rule}|type={m.label.value}"]
        feats += [f"agree={r}|type={m.label.value}" for r in m.agreeing]
        if m.role is Role.PROPOSES:
            feats.append("proposal-rule")
        before, after = _context(paper_text[m.span.section], m.span)
        feats += [f"b1={w}" for w in before[-1:]] + [f"b2={' '.join(before)}"] + [f"a1={w}" for w in after[:1]]
        feats.append(f"section={m.span.section.value}")
    n = len({(m.span.section, m.span.start) for m in g.mentions})
    feats.append(f"count={min(n, 4)}")
    types = sorted({m.label.value for m in g.mentions})
    feats.append("types=" + "+".join(types))
    feats.append(f"rules={len({m.rule for m in g.mentions} | {r for m in g.mentions for r in m.agreeing})}")
    feats += [f"shape={_shape(name)}", f"nwords={min(len(name.split()), 5)}"]
    toks = words(name)
    if toks:
        feats += [f"head={toks[-1]}", f"first={toks[0]}", f"name={norm(name)}"]
    if any(m.long_form for m in g.mentions):
        feats.append("abbreviated")
    return feats


_OWN = re.compile(r"\b(?:we|our|this paper|this work)\b", re.IGNORECASE)
_INTRODUCE = re.compile(r"\b(?:propos\w*|introduc\w*|present\w*|develop\w*|design\w*|devis\w*|call\w*|"
                        r"nam\w*|dub\w*|build|construct\w*|releas\w*|creat\w*|collect\w*|novel|new)\b", re.IGNORECASE)
_APPLY = re.compile(r"\b(?:us\w*|appl\w*|adopt\w*|follow\w*|leverag\w*|exist\w*|previous\w*|prior|"
                    r"baselines?|compared?|such as|including|e\.g\.|outperform\w*|than)\b", re.IGNORECASE)


@lru_cache(maxsize=4096)
def _sentence_cues(sent: str) -> str:
    """Whether a sentence speaks of the paper's own work, introduces something, applies something
    (cached: a sentence holds several names)."""
    own, intro, apply = bool(_OWN.search(sent)), bool(_INTRODUCE.search(sent)), bool(_APPLY.search(sent))
    return f"sentence-own={own}|introduce={intro}|apply={apply}"


def background_starts(ex: Extraction) -> set[int]:
    """Starts of the abstract's opening sentences that come before it first speaks of its own work
    ("we", "our", "this paper"): the background, which states what others did or what is known."""
    out = set()
    for s in ex.sentences:
        if s.section is not Section.ABSTRACT:
            continue
        if _OWN.search(s.text):
            break
        out.add(s.start)
    return out


def role_features(g: Group, paper_text: dict[Section, str]) -> list[str]:
    """What says whether the paper introduces a name (proposed) or applies or cites it (used)."""
    feats = ["bias"]
    title = paper_text[Section.TITLE]
    for m in g.mentions:
        feats.append(f"section={m.span.section.value}")
        feats.append(_sentence_cues(paper_text[m.sentence.section][m.sentence.start : m.sentence.end]))
        if m.sentence.start == 0 and m.span.section is Section.ABSTRACT:
            feats.append("first-sentence")
        if m.role is Role.PROPOSES:
            feats.append(f"proposal-rule={m.rule}")
        if m.span.section is Section.TITLE:
            colon = title.find(":")
            feats.append("title-before-colon" if 0 <= colon and m.span.end <= colon else "title-body")
        before, after = _context(paper_text[m.span.section], m.span, 3)
        feats += [f"b={w}" for w in before] + [f"b1={w}" for w in before[-1:]] + [f"a1={w}" for w in after[:1]]
        if {"our", "we", "propose", "proposed", "introduce", "present", "called", "named", "dubbed"} & set(before):
            feats.append("own-cue-before")
        if {"outperforms", "achieves", "significantly", "consistently"} & set(after):
            feats.append("result-subject")
    feats += [f"shape={_shape(g.name)}", f"count={min(len(g.mentions), 4)}"]
    if any(m.long_form for m in g.mentions):
        feats.append("abbreviated")
    return feats


def sentence_features(text: str, index: int, n_sentences: int, inside: Iterable[Mention] = ()) -> list[str]:
    """What says whether an abstract sentence states a result, theory or finding of this paper
    (``inside``: the candidate names found in it, before the decisions)."""
    toks = words(text)
    feats = ["bias", f"pos={min(index, 3)}", f"from-end={min(n_sentences - 1 - index, 3)}",
             f"rel={int(5 * index / max(n_sentences, 1))}"]
    feats += [f"w={t}" for t in toks]
    feats += [f"bi={a} {b}" for a, b in zip(toks, toks[1:], strict=False)]
    feats += [f"start={' '.join(toks[:2])}", f"start1={' '.join(toks[:1])}"]
    if re.search(r"\d", text):
        feats.append("has-digit")
    if "%" in text:
        feats.append("has-percent")
    for m in inside:
        feats.append(f"has={m.label.value}")
        if m.role is Role.PROPOSES:
            feats.append("has-proposed")
    return feats


def mentions_in(ex: Extraction, sentence: TextSpan) -> list[Mention]:
    """The candidate mentions inside one sentence of the paper."""
    return [m for m in ex.mentions if m.span.section is sentence.section
            and sentence.start <= m.span.start < sentence.end]


def number_features(sentence: str, start: int, end: int, unit: str, qualifier: str | None) -> list[str]:
    """What says whether a number of a claim sentence is a measured outcome, and of which kind.
    ``start``/``end`` are the number's offsets in ``sentence``."""
    text = sentence[start:end]
    before = words(sentence[max(0, start - 50) : start])[-3:]
    after = words(sentence[end : end + 50])[:3]
    feats = ["bias", f"unit={unit or '-'}", f"qual={qualifier or '-'}"]
    feats += [f"b={w}" for w in before] + [f"a={w}" for w in after]
    feats += [f"b1={w}" for w in before[-1:]] + [f"a1={w}" for w in after[:1]]
    feats.append("decimal" if "." in text else "integer")
    feats.append(f"prev-char={sentence[start - 1] if start else '^'}")
    feats.append(f"next-char={sentence[end] if end < len(sentence) else '$'}")
    if re.search(r"\b(?:19|20)\d\d\b", text):
        feats.append("year-like")
    return feats


# what separates a number from the name before it when only its list's other numbers do ("by up to 1.7%, 1.1%
# and"); the name itself may be followed by a few words ("accuracy on ImageNet by up to"). Two numbers of the
# list always have a separator between them, so no run of digits can be split two ways (no backtracking blow-up)
_NUM = r"[-+]?\d+(?:\.\d+)?\s*%?"
LIST_JOIN = r"\s*(?:,|,?\s*and|,?\s*or)\s*"  # what joins two numbers of one list
_LIST = re.compile(rf"\D{{0,40}}?{_NUM}(?:{LIST_JOIN}{_NUM})*(?:{LIST_JOIN})?", re.IGNORECASE)


def _gap(n: int) -> str:
    return str(n) if n < 3 else "3-5" if n < 6 else "6+"


def metric_candidates(sentence: TextSpan, start: int, end: int, candidates: Iterable[Mention],
                      numbers: Iterable[tuple[int, int]] = ()) -> list[tuple[Mention, list[str]]]:
    """Each candidate name of ``sentence`` that could be the metric of the number at ``[start, end)`` (section
    offsets), with what says whether it is: which side of the number, how far (words, other numbers between),
    its rank by distance, the words between, its own last word and the type a head gave it. ``numbers``: the
    sentence's other numbers (section offsets)."""
    text, off = sentence.text, sentence.start
    seen, unique = set(), []
    for m in candidates:
        if (m.span.start, m.span.end) not in seen and not (m.span.start < end and start < m.span.end):
            seen.add((m.span.start, m.span.end))
            unique.append(m)

    def between(m: Mention) -> tuple[str, str]:
        if m.span.end <= start:
            return "before", text[m.span.end - off: start - off]
        return "after", text[end - off: m.span.start - off]

    ranked = sorted(unique, key=lambda m: len(words(between(m)[1])))
    side_rank: dict[str, int] = {}
    resp = "respectively" in text.lower()
    out = []
    for rank, m in enumerate(ranked):
        side, gap = between(m)
        k = side_rank[side] = side_rank.get(side, -1) + 1
        w = words(gap)
        lo, hi = sorted((m.span.end if side == "before" else end, start if side == "before" else m.span.start))
        n_num = sum(1 for a, b in numbers if lo <= a and b <= hi)
        own = words(m.span.text)
        feats = ["bias", f"side={side}", f"rank={min(rank, 3)}", f"side-rank={side}{min(k, 3)}", f"gap={_gap(len(w))}",
                 f"nums={min(n_num, 2)}", f"lab={m.label.value}", f"last={own[-1] if own else '-'}",
                 f"side-lab={side}-{m.label.value}", f"rule={m.rule}"]
        feats += [f"btw={x}" for x in w] if len(w) <= 5 else ["btw-long"]
        if n_num and _LIST.fullmatch(text[lo - off: hi - off].strip()):
            feats.append(f"list-between-{side}")  # "accuracy of 1.7%, 1.1% and 0.5%": the list's numbers share a metric
        feats += [f"btw1={w[0]}", f"btwN={w[-1]}"] if w else ["btw-none"]
        if resp:
            feats.append(f"resp-{side}")
        out.append((m, feats))
    return out


def method_candidates(sentence: TextSpan, start: int, end: int, candidates: Iterable[Mention], proposed: str | None,
                      ) -> list[tuple[Mention | None, list[str]]]:
    """Each Method name of ``sentence`` that could be the method the number at ``[start, end)`` (section offsets)
    is a result of, and the paper's own method (``proposed``, the mention ``None``) where the paper has one,
    with what says whether it is: which side of the number and how far, whether a baseline cue ("than",
    "outperforms") or "our ..." comes before it, whether it is the name the paper proposes."""
    text, off = sentence.text, sentence.start
    seen, methods = set(), []
    for m in candidates:
        if m.label is EntityType.METHOD and (m.span.start, m.span.end) not in seen and not (
                m.span.start < end and start < m.span.end):
            seen.add((m.span.start, m.span.end))
            methods.append(m)
    methods.sort(key=lambda m: m.span.start)
    own_said = bool(OWN_METHOD.search(text[: start - off]))
    shared = [f"own-said={own_said}", f"n-methods={min(len(methods), 3)}"]
    ranked = sorted(methods, key=lambda m: abs(m.span.start - start))
    out: list[tuple[Mention | None, list[str]]] = []
    for rank, m in enumerate(ranked):
        side = "before" if m.span.end <= start else "after"
        gap = text[m.span.end - off: start - off] if side == "before" else text[end - off: m.span.start - off]
        w = words(gap)
        mine = m.role is Role.PROPOSES or (proposed is not None and (m.long_form or m.span.text) == proposed)
        cue = bool(BASELINE_CUES.search(text[: m.span.start - off]))
        feats = ["bias", "mention", *shared, f"side={side}", f"rank={min(rank, 3)}", f"gap={_gap(len(w))}",
                 f"proposed={mine}", f"baseline-cue={cue}", f"side-cue={side}-{cue}", f"side-proposed={side}-{mine}",
                 f"first={methods.index(m) == 0}", f"rule={m.rule}", f"own-said-proposed={own_said}-{mine}"]
        feats += [f"btw={x}" for x in w] if len(w) <= 5 else ["btw-long"]
        feats += [f"btw1={w[0]}", f"btwN={w[-1]}"] if w else ["btw-none"]
        before = words(text[max(0, m.span.start - off - 30): m.span.start - off])[-1:]
        feats += [f"b1={x}" for x in before] or ["b1-none"]
        out.append((m, feats))
    if proposed is not None:
        named = any((m.long_form or m.span.text) == proposed for m in methods)
        feats = ["bias", "own", *shared, f"own-named={named}", f"own-said-own={own_said}",
                 f"we={bool(_OWN.search(text))}"]
        out.append((None, feats))
    return out
