"""Structured results from claim sentences, on crafted mentions and numbers."""

from __future__ import annotations

from extract.results import extract_results
from extract.rules import find_numbers
from kg.model import EntityType, Mention, Quantity, Role, Section, TextSpan

SENTENCE = ("NoisyQuant improves SOTA top-1 accuracy on ImageNet by up to 1.7%, 1.1% and 0.5% "
            "for ViT, DeiT, and Swin respectively.")


def _mention(text: str, label: EntityType, role: Role = Role.USES, nth: int = 0) -> Mention:
    start = -1
    for _ in range(nth + 1):
        start = SENTENCE.index(text, start + 1)
    span = TextSpan(Section.ABSTRACT, start, start + len(text), text)
    return Mention(span, label, role, TextSpan(Section.ABSTRACT, 0, len(SENTENCE), SENTENCE), "test")


def _quantities(text: str) -> tuple[Quantity, ...]:
    return tuple(Quantity(n.value, n.unit, n.text, n.start, n.end, n.qualifier) for n in find_numbers(text))


def test_respectively_pairs_values_with_settings():
    mentions = [_mention("NoisyQuant", EntityType.METHOD, Role.PROPOSES),
                _mention("top-1 accuracy", EntityType.METRIC), _mention("ImageNet", EntityType.DATASET),
                _mention("ViT", EntityType.METHOD), _mention("DeiT", EntityType.METHOD),
                _mention("Swin", EntityType.METHOD)]
    results = extract_results(SENTENCE, 0, _quantities(SENTENCE), mentions, proposed="NoisyQuant")
    assert [(r.quantity.value, r.quantity.unit, r.condition) for r in results] == [
        (1.7, "%", "ViT"), (1.1, "%", "DeiT"), (0.5, "%", "Swin")]
    assert {(r.method, r.dataset, r.metric, r.baseline, r.direction) for r in results} == {
        ("NoisyQuant", "ImageNet", "top-1 accuracy", "state of the art", "increase")}


def test_our_method_and_a_named_baseline():
    text = "Our approach reduces memory by 40% compared to LoRA."
    lora = TextSpan(Section.ABSTRACT, text.index("LoRA"), text.index("LoRA") + 4, "LoRA")
    mention = Mention(lora, EntityType.METHOD, Role.USES, TextSpan(Section.ABSTRACT, 0, len(text), text), "t")
    (r,) = extract_results(text, 0, _quantities(text), [mention], proposed="QLoRA-X")
    assert (r.method, r.baseline, r.direction, r.quantity.value) == ("QLoRA-X", "LoRA", "decrease", 40.0)


def test_settings_are_not_results():
    text = "We use 6-bit quantization on 8 GPUs."
    assert extract_results(text, 0, _quantities(text), [], proposed=None) == ()


def _at(text: str, name: str, label: EntityType) -> Mention:
    start = text.index(name)
    span = TextSpan(Section.ABSTRACT, start, start + len(name), name)
    return Mention(span, label, Role.USES, TextSpan(Section.ABSTRACT, 0, len(text), text), "t")


def test_a_result_whose_sentence_names_no_method_is_the_papers_own():
    # the guide: a result of this paper's claim sentence is its own method's unless another is its subject
    text = "Experiments show 85.1% accuracy on CIFAR-10."
    mentions = [_at(text, "accuracy", EntityType.METRIC), _at(text, "CIFAR-10", EntityType.DATASET)]
    (r,) = extract_results(text, 0, _quantities(text), mentions, proposed="FooNet")
    assert (r.method, r.metric, r.dataset) == ("FooNet", "accuracy", "CIFAR-10")
    (r,) = extract_results(text, 0, _quantities(text), mentions, proposed=None)
    assert r.method is None


def test_metrics_a_decision_chose_replace_the_nearest_metric():
    text = "FooNet reaches BLEU and chrF scores of 28.4 and 31.0, respectively."
    mentions = [_at(text, "BLEU", EntityType.METRIC), _at(text, "chrF", EntityType.METRIC)]
    q = _quantities(text)
    nearest = extract_results(text, 0, q, mentions, proposed=None)
    assert [r.metric for r in nearest] == ["chrF", "chrF"]  # the nearest-mention rule misreads "respectively"
    chosen = extract_results(text, 0, q, mentions, proposed=None, metrics={q[0]: "BLEU", q[1]: "chrF"})
    assert [r.metric for r in chosen] == ["BLEU", "chrF"]
    # a decision that found no metric leaves none, rather than falling back to the nearest
    assert [r.metric for r in extract_results(text, 0, q, mentions, proposed=None, metrics={})] == [None, None]


def test_our_approach_after_a_setting_is_the_subject():
    # the guide's own example: "Using ViT-B, our approach achieves 83.8%" is SimMIM's result, with ViT-B its condition
    text = "Using ViT-B, our approach achieves 83.8% top-1 fine-tuning accuracy on ImageNet-1K."
    mentions = [_at(text, "ViT-B", EntityType.METHOD), _at(text, "top-1 fine-tuning accuracy", EntityType.METRIC),
                _at(text, "ImageNet-1K", EntityType.DATASET)]
    (r,) = extract_results(text, 0, _quantities(text), mentions, proposed="SimMIM")
    assert (r.method, r.condition, r.dataset, r.quantity.value) == ("SimMIM", "ViT-B", "ImageNet-1K", 83.8)
    # with no method of its own the paper's words name none, and the name before the number stays the subject
    (r,) = extract_results(text, 0, _quantities(text), mentions, proposed=None)
    assert (r.method, r.condition) == ("ViT-B", None)
    # a plain "we" is not the paper's method: "we show that BERT reaches ..." is BERT's result
    text = "We show that BERT reaches 90.1% accuracy."
    mentions = [_at(text, "BERT", EntityType.METHOD), _at(text, "accuracy", EntityType.METRIC)]
    (r,) = extract_results(text, 0, _quantities(text), mentions, proposed="FooNet")
    assert r.method == "BERT"


def test_a_baseline_cue_may_come_with_a_determiner():
    text = "Compared with the vanilla DINO, our approach gains 7.2% mIoU."
    mentions = [_at(text, "DINO", EntityType.METHOD), _at(text, "mIoU", EntityType.METRIC)]
    (r,) = extract_results(text, 0, _quantities(text), mentions, proposed="DenseDINO")
    assert (r.method, r.baseline) == ("DenseDINO", "DINO")
