"""Score one set of guide records against another: the extractor against our annotations, or one
annotator against another (the agreement ceiling).

Both sides are guide records (``docs/annotation-guide.md``). Fields scored, micro-averaged over
papers:

- ``entity/<Type>``: exact mention spans (section, start, end) with the type;
- ``lenient/<Type>``: paper-level entities, matched by normalised name (case, hyphens, plural;
  an entity's abbreviation or expansion counts as its name too);
- ``proposed`` and ``proposed/Method``: the paper's own Methods and Datasets, lenient names;
- ``claims``: claim sentences, matched when they overlap by at least half of their union;
  ``claims/kind``: the same with the kind;
- ``results/value+metric``, ``results/value+metric+method``: each result's value with its
  metric (and method), names normalised;
- ``code_urls``.

Predicted records may carry ``confidence`` on entities, claims and results; :func:`calibration`
bins them into a reliability table and its expected calibration error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from extract.decision_features import norm

ENTITY_TYPES = ("Method", "Dataset", "Task", "Metric")


def forms(entity: Mapping[str, Any]) -> set[str]:
    """Every compare-form an entity answers to: its name, abbreviation, expansion."""
    out = {norm(entity.get("name"))}
    for key in ("abbreviation", "expansion"):
        if entity.get(key):
            out.add(norm(entity[key]))
    return out - {""}


def _match_count(pred: Sequence[set[str]], gold: Sequence[set[str]]) -> tuple[int, int]:
    """How many predicted items and how many gold items have a partner (items are sets of forms)."""
    p_hit = sum(1 for p in pred if any(p & g for g in gold))
    g_hit = sum(1 for g in gold if any(p & g for p in pred))
    return p_hit, g_hit


@dataclass(frozen=True, slots=True)
class FieldScore:
    """Precision counts matched predictions, recall matched gold items (they differ when two
    predicted names fall on one gold entity); F1 from both, all in [0, 1]."""

    tp_pred: int
    n_pred: int
    tp_gold: int
    n_gold: int

    @property
    def p(self) -> float:
        return self.tp_pred / self.n_pred if self.n_pred else 0.0

    @property
    def r(self) -> float:
        return self.tp_gold / self.n_gold if self.n_gold else 0.0

    @property
    def f(self) -> float:
        return 2 * self.p * self.r / (self.p + self.r) if self.p + self.r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"p": round(self.p, 4), "r": round(self.r, 4), "f": round(self.f, 4),
                "n_pred": self.n_pred, "n_gold": self.n_gold}


class Tally:
    """Counts per field, added paper by paper."""

    def __init__(self) -> None:
        self.counts: dict[str, list[int]] = {}

    def add(self, field: str, tp_pred: int, n_pred: int, tp_gold: int, n_gold: int) -> None:
        c = self.counts.setdefault(field, [0, 0, 0, 0])
        for i, v in enumerate((tp_pred, n_pred, tp_gold, n_gold)):
            c[i] += v

    def add_sets(self, field: str, pred: set, gold: set) -> None:
        both = len(pred & gold)
        self.add(field, both, len(pred), both, len(gold))

    def scores(self) -> dict[str, FieldScore]:
        return {k: FieldScore(*v) for k, v in sorted(self.counts.items())}


def _entities_of(rec: Mapping[str, Any], etype: str, role: str | None = None) -> list[set[str]]:
    return [forms(e) for e in rec.get("entities", ())
            if e["type"] == etype and (role is None or e.get("role") == role)]


def _spans(rec: Mapping[str, Any], etype: str) -> set[tuple]:
    return {(s, a, b) for e in rec.get("entities", ()) if e["type"] == etype for s, a, b in e["mentions"]}


def _claims_match(a: Mapping[str, Any], b: Mapping[str, Any], same_kind: bool = False) -> bool:
    if same_kind and a["kind"] != b["kind"]:
        return False
    inter = min(a["end"], b["end"]) - max(a["start"], b["start"])
    union = max(a["end"], b["end"]) - min(a["start"], b["start"])
    return a["section"] == b["section"] and union > 0 and inter / union >= 0.5


def name_aliases(rec: Mapping[str, Any]) -> dict[str, set[str]]:
    """Each compare-form of a record's entities -> every form of the entities answering to it."""
    aliases: dict[str, set[str]] = {}
    for e in rec.get("entities", ()):
        f = forms(e)
        for x in f:
            aliases.setdefault(x, set()).update(f)
    return aliases


def _result_keys(rec: Mapping[str, Any], with_method: bool) -> list[set[tuple]]:
    """Each result as the set of its acceptable keys (method names may be written by any form)."""
    aliases = name_aliases(rec)
    out = []
    for r in rec.get("results", ()):
        value = round(float(r["value"]), 6)
        metrics = aliases.get(norm(r.get("metric")), {norm(r.get("metric"))})
        methods = aliases.get(norm(r.get("method")), {norm(r.get("method"))}) if with_method else {""}
        out.append({(value, m, me) for m in metrics for me in methods})
    return out


def score_paper(tally: Tally, pred: Mapping[str, Any], gold: Mapping[str, Any]) -> None:
    """Add one paper's comparison to ``tally``."""
    for etype in ENTITY_TYPES:
        tally.add_sets(f"entity/{etype}", _spans(pred, etype), _spans(gold, etype))
        p, g = _entities_of(pred, etype), _entities_of(gold, etype)
        tally.add(f"lenient/{etype}", *_pair(p, g))
    prop_p = _entities_of(pred, "Method", "proposed") + _entities_of(pred, "Dataset", "proposed")
    prop_g = _entities_of(gold, "Method", "proposed") + _entities_of(gold, "Dataset", "proposed")
    tally.add("proposed", *_pair(prop_p, prop_g))
    tally.add("proposed/Method", *_pair(_entities_of(pred, "Method", "proposed"),
                                        _entities_of(gold, "Method", "proposed")))
    pc, gc = pred.get("claims", ()), gold.get("claims", ())
    for field, same_kind in (("claims", False), ("claims/kind", True)):
        tally.add(field, sum(any(_claims_match(a, b, same_kind) for b in gc) for a in pc), len(pc),
                  sum(any(_claims_match(a, b, same_kind) for a in pc) for b in gc), len(gc))
    for field, with_method in (("results/value+metric", False), ("results/value+metric+method", True)):
        tally.add(field, *_pair(_result_keys(pred, with_method), _result_keys(gold, with_method)))

    def urls(r: Mapping[str, Any]) -> set[str]:
        return {u["url"].rstrip("/") for u in r.get("code_urls", ())}

    tally.add_sets("code_urls", urls(pred), urls(gold))


def _pair(pred: Sequence[set], gold: Sequence[set]) -> tuple[int, int, int, int]:
    p_hit, g_hit = _match_count(pred, gold)
    return p_hit, len(pred), g_hit, len(gold)


def score(pred: Iterable[Mapping[str, Any]], gold: Iterable[Mapping[str, Any]]) -> dict[str, FieldScore]:
    """Scores per field over the papers of ``gold`` (a paper missing from ``pred`` predicts nothing)."""
    by_uid = {r["uid"]: r for r in pred}
    tally = Tally()
    for g in gold:
        score_paper(tally, by_uid.get(g["uid"], {"uid": g["uid"]}), g)
    return tally.scores()


def link_outcomes(pred: Iterable[Mapping[str, Any]], gold: Iterable[Mapping[str, Any]]) -> list[tuple[float, bool]]:
    """(confidence, right) for each predicted paper-entity link: right when gold has that entity with the same
    type and, for a Method or Dataset, the same answer to "does this paper propose it?"."""
    by_uid = {r["uid"]: r for r in gold}
    out = []
    for rec in pred:
        g = by_uid.get(rec["uid"])
        if g is None:
            continue
        for e in rec.get("entities", ()):
            proposed = e.get("role") == "proposed"
            right = any(forms(e) & forms(ge) and (ge.get("role") == "proposed") == proposed
                        for ge in g.get("entities", ()) if ge["type"] == e["type"])
            out.append((float(e.get("confidence", 1.0)), right))
    return out


def claim_outcomes(pred: Iterable[Mapping[str, Any]], gold: Iterable[Mapping[str, Any]]) -> list[tuple[float, bool]]:
    """(confidence, right) for each predicted claim: right when it overlaps a gold claim by half."""
    by_uid = {r["uid"]: r for r in gold}
    return [(float(c.get("confidence", 1.0)), any(_claims_match(c, g) for g in by_uid[rec["uid"]].get("claims", ())))
            for rec in pred if rec["uid"] in by_uid for c in rec.get("claims", ())]


def result_outcomes(pred: Iterable[Mapping[str, Any]], gold: Iterable[Mapping[str, Any]],
                    with_method: bool = False) -> list[tuple[float, bool]]:
    """(confidence, right) for each predicted result: right when gold has its value with its metric (and its
    method, ``with_method``)."""
    by_uid = {r["uid"]: r for r in gold}
    out = []
    for rec in pred:
        if rec["uid"] not in by_uid:
            continue
        gold_keys = set().union(*_result_keys(by_uid[rec["uid"]], with_method))
        for r, keys in zip(rec.get("results", ()), _result_keys(rec, with_method), strict=True):
            out.append((float(r.get("confidence", 1.0)), bool(keys & gold_keys)))
    return out


def calibration(outcomes: Sequence[tuple[float, bool]], bins: int = 10) -> tuple[list[dict[str, Any]], float]:
    """Reliability table (equal-width confidence bins) and expected calibration error."""
    table = []
    ece = 0.0
    n = len(outcomes)
    for k in range(bins):
        lo, hi = k / bins, (k + 1) / bins
        inside = [(c, r) for c, r in outcomes if lo <= c < hi or (k == bins - 1 and c == 1.0)]
        if not inside:
            continue
        conf = sum(c for c, _ in inside) / len(inside)
        acc = sum(r for _, r in inside) / len(inside)
        ece += len(inside) / n * abs(conf - acc)
        table.append({"bin": f"{lo:.1f}-{hi:.1f}", "n": len(inside), "confidence": round(conf, 3),
                      "right": round(acc, 3)})
    return table, round(ece, 4)
