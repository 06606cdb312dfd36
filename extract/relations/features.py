"""Candidate pairs of a sentence's entities and the string features of a pair.

>>> feats = pair_features(("a", "CNN", "for", "parsing", "."), (1, 2, "Method"), (3, 4, "Task"), 0)
>>> "bs=for" in feats and "tp=Method|Task" in feats
True
"""

from __future__ import annotations

from collections.abc import Sequence

# Multi-word cues looked for in the words between the two arguments.
_CUES = (
    "such as",
    "as well as",
    "compared to",
    "compared with",
    "in terms of",
    "based on",
    "applied to",
    "used for",
    "used to",
    "is a",
    "are a",
    "as a",
    "consists of",
    "evaluated on",
    "trained on",
    "in order to",
    "rather than",
    "instead of",
    "e.g.",
    "i.e.",
)
_OPEN = {"(", "-lrb-", "["}
_CLOSE = {")", "-rrb-", "]"}

Span = tuple  # (start, end_exclusive, label or None)
MAX_BETWEEN = 8  # the candidate rule's default: at most this many other entities between the two of a pair


def _bucket(n: int) -> str:
    if n <= 4:
        return str(n)
    if n <= 6:
        return "5-6"
    if n <= 9:
        return "7-9"
    if n <= 14:
        return "10-14"
    return "15+"


def _head(lower: Sequence[str], start: int, end: int) -> str:
    """Last word of the span, or the word before an inner "of"/"for" ("accuracy of parsers" -> accuracy)."""
    for k in range(start + 1, end - 1):
        if lower[k] in ("of", "for"):
            return lower[k - 1]
    return lower[end - 1]


def pair_features(
    tokens: Sequence[str],
    a: Span,
    b: Span,
    n_between: int,
    *,
    lower: Sequence[str] | None = None,
    inner: Sequence[Span] = (),
) -> list[str]:
    """String features of the pair ``a`` (first in the text) and ``b`` (after it, not overlapping).

    ``n_between`` counts the other entities wholly between them; ``inner`` lists
    them (used for the type-masked between string).
    """
    lw = lower if lower is not None else [t.lower() for t in tokens]
    n = len(lw)
    a0, a1 = a[0], a[1]
    b0, b1 = b[0], b[1]
    ta = a[2] if len(a) > 2 and a[2] else "ENT"
    tb = b[2] if len(b) > 2 and b[2] else "ENT"
    tp = f"{ta}|{tb}"
    ha, hb = _head(lw, a0, a1), _head(lw, b0, b1)
    between = lw[a1:b0]
    nb = len(between)
    f = [
        "tp=" + tp,
        "ta=" + ta,
        "tb=" + tb,
        "ha=" + ha,
        "hb=" + hb,
        f"ha|tb={ha}|{tb}",
        f"ta|hb={ta}|{hb}",
        f"ha|hb={ha}|{hb}",
        "fa=" + lw[a0],
        "fb=" + lw[b0],
        "nb=" + _bucket(nb),
        f"nb|tp={_bucket(nb)}|{tp}",
        f"ne={min(n_between, 3)}",
        f"ne|tp={min(n_between, 3)}|{tp}",
        f"la={min(a1 - a0, 4)}",
        f"lb={min(b1 - b0, 4)}",
    ]
    if a1 - a0 <= 4:
        f.append("sa=" + " ".join(lw[a0:a1]))
    if b1 - b0 <= 4:
        f.append("sb=" + " ".join(lw[b0:b1]))
    # words before a and after b
    pa1 = lw[a0 - 1] if a0 >= 1 else "<s>"
    pa2 = lw[a0 - 2] if a0 >= 2 else "<s>"
    nb1 = lw[b1] if b1 < n else "</s>"
    nb2 = lw[b1 + 1] if b1 + 1 < n else "</s>"
    f += ["a-1=" + pa1, f"a-2,a-1={pa2}_{pa1}", "b+1=" + nb1, f"b+1,b+2={nb1}_{nb2}", f"a-1|tp={pa1}|{tp}"]
    f.append(f"b+1|tp={nb1}|{tp}")
    if pa1 in _OPEN and a1 < n and lw[a1] in _CLOSE:
        f.append("a_in_paren")
    if b0 >= 1 and lw[b0 - 1] in _OPEN and nb1 in _CLOSE:
        f.append("b_in_paren")
    if nb == 0:
        f += ["adjacent", "adjacent|" + tp]
    else:
        f += [
            "bf=" + between[0],
            "bl=" + between[-1],
            f"bf|tp={between[0]}|{tp}",
            f"bl|tp={between[-1]}|{tp}",
        ]
        seen = set()
        for w in between:
            if w not in seen:
                seen.add(w)
                f.append("bw=" + w)
                if nb <= 10:
                    f.append(f"bw|tp={w}|{tp}")
        for k in range(nb - 1):
            f.append(f"bb={between[k]}_{between[k + 1]}")
        if nb <= 4:
            s = " ".join(between)
            f += ["bs=" + s, f"bs|tp={s}|{tp}"]
        if between[0] in _OPEN:
            f.append("b_after_paren")
        joined = " " + " ".join(between) + " "
        for cue in _CUES:
            if f" {cue} " in joined:
                f.append("cue=" + cue)
    if inner or n_between == 0:
        # the between words with inner entities replaced by their type, when short
        parts: list[str] = []
        k = a1
        for e in inner:
            parts.extend(lw[k : e[0]])
            parts.append("<" + (e[2] if len(e) > 2 and e[2] else "ENT") + ">")
            k = e[1]
        parts.extend(lw[k:b0])
        if 0 < len(parts) <= 6:
            f.append("bm=" + " ".join(parts) + "|" + tp)
    return f


def candidate_pairs(spans: Sequence[Span], max_between: int) -> list[tuple[int, int, int, list[int]]]:
    """``(i, j, n_between, inner)`` for the non-overlapping pairs, ``i`` first in text order."""
    order = sorted(range(len(spans)), key=lambda k: (spans[k][0], spans[k][1]))
    out = []
    for x, i in enumerate(order):
        si = spans[i]
        for j in order[x + 1 :]:
            sj = spans[j]
            if sj[0] < si[1]:  # overlapping / nested
                continue
            inner = [k for k in order if k != i and k != j and spans[k][0] >= si[1] and spans[k][1] <= sj[0]]
            if len(inner) > max_between:
                break
            out.append((i, j, len(inner), inner))
    return out
