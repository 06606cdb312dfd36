"""What the method decision sees of each (result number, method) pair, how fit labels it and keeps it."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from extract.decision_features import method_candidates
from extract.decisions import METHODS_FILE, Decider
from kg.model import EntityType, Mention, Paper, Quantity, Role, Section, TextSpan

TEXT = "Our approach reaches 28.4 BLEU with FooNet, 2.1 more than the Transformer."
OFFSET = 50  # the sentence's start in its section: features must read offsets relative to it
SENTENCE = TextSpan(Section.ABSTRACT, OFFSET, OFFSET + len(TEXT), TEXT)


def _mention(name: str, label: EntityType = EntityType.METHOD, role: Role = Role.USES) -> Mention:
    start = TEXT.index(name)
    span = TextSpan(Section.ABSTRACT, OFFSET + start, OFFSET + start + len(name), name)
    return Mention(span, label, role, SENTENCE, "ner")


def _candidates(number: str, proposed: str | None) -> dict[str | None, list[str]]:
    start = OFFSET + TEXT.index(number)
    mentions = [_mention("FooNet"), _mention("Transformer"), _mention("BLEU", EntityType.METRIC),
                _mention("FooNet")]  # the same span twice
    found = method_candidates(SENTENCE, start, start + len(number), mentions, proposed)
    return {m.span.text if m else None: feats for m, feats in found}


def test_each_method_once_and_the_papers_own_method_where_it_has_one():
    found = _candidates("28.4", "BarNet")
    assert set(found) == {"FooNet", "Transformer", None}  # a Metric is no candidate; a span listed twice: once
    assert {"own", "own-named=False", "own-said-own=True"} <= set(found[None])  # "Our approach" comes first
    assert {"side=after", "rank=0", "baseline-cue=False", "proposed=False", "btw=bleu", "btw=with"} <= set(
        found["FooNet"])
    assert {"baseline-cue=True", "side-cue=after-True", "b1=the"} <= set(found["Transformer"])
    assert None not in _candidates("28.4", None)  # no proposed method: only the names of the sentence


def test_the_proposed_name_is_marked_and_a_name_on_the_number_is_no_candidate():
    found = _candidates("2.1", "FooNet")
    assert "proposed=True" in found["FooNet"] and "own-named=True" in found[None]
    start = OFFSET + TEXT.index("FooNet")
    assert [m for m, _ in method_candidates(SENTENCE, start, start + 3, [_mention("FooNet")], None)] == []


def test_a_fitted_method_decision_picks_the_result_method_and_without_it_the_rule_does(tmp_path):
    import numpy as np

    from extract.decisions import DECISIONS_DIR
    from extract.linear import LinearModel

    shipped = Decider.load()
    start = OFFSET + TEXT.index("28.4")
    quantity = Quantity(28.4, "", "28.4", start, start + 4, None)
    kept = [_mention("FooNet"), _mention("Transformer")]
    # a decision that rates only a name after the number and after no baseline cue (FooNet) above its threshold
    after = LinearModel(classes=("other", "method"), bias=np.array([0.0, -4.0]),
                        weights={"side=after": np.array([0.0, 5.0]), "baseline-cue=True": np.array([0.0, -9.0])})
    assert replace(shipped, methods=after)._methods(SENTENCE, [quantity], kept, "BarNet") == {quantity: "FooNet"}
    never = LinearModel(classes=("other", "method"), bias=np.array([0.0, -9.0]), weights={})
    assert replace(shipped, methods=never)._methods(SENTENCE, [quantity], kept, "BarNet") == {quantity: None}
    # a decisions folder without methods.json: the subject rule of extract.results chooses
    for name in ("entities", "roles", "claims", "results", "metrics"):
        (tmp_path / f"{name}.json").write_text((DECISIONS_DIR / f"{name}.json").read_text(encoding="utf-8"),
                                               encoding="utf-8")
    (tmp_path / "settings.json").write_text((DECISIONS_DIR / "settings.json").read_text(encoding="utf-8"),
                                            encoding="utf-8")
    assert Decider.load(tmp_path).methods is None
    (tmp_path / METHODS_FILE).write_text(after.to_json(), encoding="utf-8")
    assert Decider.load(tmp_path).methods.proba(["side=after"]) == after.proba(["side=after"])


def test_fit_labels_the_method_candidate_that_names_the_gold_method():
    from extract import Extractor
    from extract.training.annotation.fit import examples

    made, gold = _made_up(0, "FooNet", "28.4", "On WMT14, {name} reaches {value} BLEU, 2.1 more than the Transformer.")
    ex = Extractor(decisions=None).extract(made)
    found = examples(ex, gold)["methods"]
    assert found and all(y in (0, 1) for _, y in found)
    right = [feats for feats, y in found if y == 1]
    # FooNet is both a name of the sentence and the paper's own method: both candidates are right, no other
    assert right and all("proposed=True" in f or "own" in f for f in right)
    assert len(right) < len(found)


def test_fit_drops_a_stale_method_decision_when_it_keeps_none(tmp_path):
    from extract.training.annotation.fit import save

    shipped = Decider.load()
    (tmp_path / METHODS_FILE).write_text("{}", encoding="utf-8")
    models = {name: getattr(shipped, name) for name in ("entities", "roles", "claims", "results", "metrics")}
    save(tmp_path, models, {"claim_threshold": 0.5}, {}, {})
    assert not (tmp_path / METHODS_FILE).exists()
    assert json.loads((tmp_path / "settings.json").read_text(encoding="utf-8"))["settings"] == {"claim_threshold": 0.5}


@pytest.mark.parametrize("template, kept", [
    # the rule's subject (the name before the number) is right: the decision cannot beat it, so it is dropped
    ("On WMT14, {name} reaches {value} BLEU, 2.1 more than the Transformer.", False),
    # the rule takes the backbone named before the number; the paper's own method, not named there, is right
    ("Using ResNet-50 as the backbone, the approach reaches {value} BLEU on WMT14.", True),
])
def test_fit_keeps_the_method_decision_only_where_it_beats_the_rule(tmp_path, template, kept):
    """A whole fit on a few made-up papers: every decision file is written, and methods.json (with its threshold)
    only where the decision gets more held-out results right with their method than the subject rule."""
    from extract import Extractor
    from extract.pipeline import rule_paths
    from extract.training.annotation.fit import fit_decisions

    names = ["FooNet", "BarNet", "BazNet", "QuxNet", "ZedNet", "RayNet", "KitNet", "SunNet"]
    extractor = Extractor(decisions=None)
    pairs = [(extractor.extract(p), g) for p, g in (_made_up(i, n, f"{20 + i}.4", template)
                                                    for i, n in enumerate(names))]
    rules = rule_paths()
    report = fit_decisions(pairs[:5], pairs[5:], tmp_path, setting_numbers=rules["settings"],
                           gazetteer=rules["terms"])
    for name in ("entities", "roles", "claims", "results", "metrics"):
        assert (tmp_path / f"{name}.json").is_file()
    settings = json.loads((tmp_path / "settings.json").read_text(encoding="utf-8"))["settings"]
    counts = report["held"]["results_right_with_method"]
    assert (counts["decision"] > counts["rule"]) is kept
    assert (tmp_path / METHODS_FILE).is_file() is kept and ("method_threshold" in settings) is kept
    assert (Decider.load(tmp_path).methods is not None) is kept


def _made_up(i: int, name: str, value: str, template: str) -> tuple[Paper, dict]:
    """A paper proposing ``name`` with one result sentence (``template``), and its gold record."""
    first = f"We propose {name} for translation."
    result = template.format(name=name, value=value)
    abstract = f"{first} {result}"
    start = abstract.index(value)
    gold = {"uid": f"u{i}", "entities": [
                {"name": name, "type": "Method", "role": "proposed", "mentions": []},
                *({"name": n, "type": "Method", "role": "used", "mentions": []}
                  for n in ("Transformer", "ResNet-50") if n in abstract),
                {"name": "WMT14", "type": "Dataset", "role": "used", "mentions": []},
                {"name": "BLEU", "type": "Metric", "role": "reported", "mentions": []}],
            "claims": [{"section": "abstract", "start": abstract.index(result), "end": len(abstract),
                        "kind": "result"}],
            "results": [{"span": ["abstract", start, start + len(value)], "kind": "score", "metric": "BLEU",
                         "value": float(value), "method": name, "text": value}],
            "code_urls": []}
    return Paper(key=f"u{i}", title=f"{name}: translation", abstract=abstract), gold
