"""What the metrics decision sees of each (number, candidate name) pair, and what the shipped one picks."""

from __future__ import annotations

from extract.decision_features import mentions_in, metric_candidates
from extract.rules import find_numbers
from kg.model import EntityType, Mention, Role, Section, TextSpan

TEXT = "On WMT14, FooNet reaches 28.4 BLEU and 31.0 chrF, and 2.1 more BLEU than the Transformer."
OFFSET = 100  # the sentence's start in its section: features must read offsets relative to it


def _mention(name: str, label: EntityType, nth: int = 0) -> Mention:
    start = -1
    for _ in range(nth + 1):
        start = TEXT.index(name, start + 1)
    span = TextSpan(Section.ABSTRACT, OFFSET + start, OFFSET + start + len(name), name)
    return Mention(span, label, Role.USES, TextSpan(Section.ABSTRACT, OFFSET, OFFSET + len(TEXT), TEXT), "ner")


def _pairs(number: str) -> dict[str, list[str]]:
    sentence = TextSpan(Section.ABSTRACT, OFFSET, OFFSET + len(TEXT), TEXT)
    numbers = [(OFFSET + n.start, OFFSET + n.end) for n in find_numbers(TEXT)]
    start = OFFSET + TEXT.index(number)
    mentions = [_mention("WMT14", EntityType.DATASET), _mention("FooNet", EntityType.METHOD),
                _mention("BLEU", EntityType.METRIC), _mention("BLEU", EntityType.METHOD),  # same span twice
                _mention("chrF", EntityType.METRIC), _mention("BLEU", EntityType.METRIC, nth=1)]
    found = metric_candidates(sentence, start, start + len(number), mentions, numbers)
    return {f"{m.span.text}@{m.span.start - OFFSET}": feats for m, feats in found}


def test_each_name_once_with_its_side_distance_rank_and_the_words_between():
    pairs = _pairs("28.4")
    assert set(pairs) == {"WMT14@3", "FooNet@10", "BLEU@30", "chrF@44", "BLEU@63"}  # a span listed twice: once
    bleu = pairs["BLEU@30"]
    assert {"side=after", "rank=0", "side-rank=after0", "gap=0", "nums=0", "btw-none", "lab=Metric"} <= set(bleu)
    chrf = pairs["chrF@44"]
    assert {"side=after", "nums=1", "btw=and", "btw=31.0", "last=chrf"} <= set(chrf)
    assert {"side=before", "side-rank=before0", "btw=reaches", "lab=Method"} <= set(pairs["FooNet@10"])
    assert "btw-long" in pairs["BLEU@63"]  # far away: the words between are not listed one by one


def test_a_name_that_overlaps_the_number_is_no_candidate():
    sentence = TextSpan(Section.ABSTRACT, 0, 20, "GPT-4 scores 86.4%.")
    gpt4 = Mention(TextSpan(Section.ABSTRACT, 0, 5, "GPT-4"), EntityType.METHOD, Role.USES, sentence, "ner")
    assert metric_candidates(sentence, 4, 5, [gpt4]) == []  # the "4" of GPT-4
    assert [m.span.text for m, _ in metric_candidates(sentence, 13, 18, [gpt4])] == ["GPT-4"]


def test_the_shipped_decisions_attach_each_result_to_its_own_metric(extractor):
    from tests.extract.test_extraction import _paper

    assert extractor.decider is not None and extractor.decider.metrics is not None
    ex = extractor.extract(_paper("We propose FooNet, a translation model. FooNet reaches 28.4 BLEU on WMT14 "
                                  "English-German, while on ImageNet a top-1 accuracy of 81.2% is reached.", "FooNet"))
    got = {(r.quantity.text, r.metric, r.method) for c in ex.claims for r in c.results}
    assert ("28.4", "BLEU", "FooNet") in got and ("81.2%", "top-1 accuracy", "FooNet") in got


def test_the_numbers_of_one_list_share_their_metric_and_kind(extractor):
    from tests.extract.test_extraction import _paper

    text = ("We propose FooNet, a quantization method. FooNet improves the top-1 accuracy of "
            "ViT, DeiT and Swin on ImageNet by up to 1.7%, 1.1% and 0.5%, respectively.")
    ex = extractor.extract(_paper(text, "FooNet"))
    got = [(r.quantity.value, r.kind, r.metric) for c in ex.claims for r in c.results]
    assert [v for v, _, _ in got] == [1.7, 1.1, 0.5]
    assert len({(k, m) for _, k, m in got}) == 1 and got[0][1] == "gain"  # "by up to" is the first number's context


def test_fit_labels_the_candidate_that_names_the_gold_metric_by_any_of_its_forms():
    from extract import Extractor
    from extract.training.annotation.fit import examples
    from tests.extract.test_extraction import _paper

    abstract = ("We propose FooNet for translation. FooNet reaches 28.4 bilingual evaluation understudy (BLEU) "
                "on WMT14, and 31.0 BLEU on WMT16.")
    ex = Extractor(decisions=None).extract(_paper(abstract, "FooNet"))
    first = abstract.index("28.4")
    claim = abstract.index("FooNet reaches")
    gold = {"entities": [{"name": "bilingual evaluation understudy", "abbreviation": "BLEU", "type": "Metric",
                          "role": "reported", "mentions": []}],
            "claims": [{"section": "abstract", "start": claim, "end": len(abstract), "kind": "result"}],
            "results": [{"span": ["abstract", first, first + 4], "kind": "score", "metric": "BLEU", "value": 28.4}]}
    found = examples(ex, gold)["metrics"]
    assert found, "the gold result's number has candidates"
    right = [feats for feats, y in found if y == 1]
    assert right and all(y in (0, 1) for _, y in found)
    # every candidate that names BLEU, by its abbreviation or its long form, is right; no other is
    assert all(any(f.startswith("last=") and f[5:] in ("bleu", "understudy") for f in feats) for feats in right)
    assert len(right) < len(found)
    # only the gold result's number gives examples (31.0 is no gold result): one per candidate name of its sentence
    (sentence,) = [s for s in ex.sentences if s.start <= first < s.end]
    numbers = [(sentence.start + n.start, sentence.start + n.end) for n in find_numbers(sentence.text)]
    assert len(found) == len(metric_candidates(sentence, first, first + 4, mentions_in(ex, sentence), numbers))


def test_a_long_run_of_digits_between_a_name_and_its_number_is_read_at_once():
    # hostile input: a list pattern that could split a run of digits in many ways would take minutes here
    import subprocess
    import sys

    from kg.config import PROJECT_ROOT

    probe = ("from extract.decision_features import _LIST; "
             "print(bool(_LIST.fullmatch('accuracy of ' + '1' * 60 + ' x')), "
             "bool(_LIST.fullmatch('by 1.7%, 1.1% and')))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.split() == ["False", "True"]
