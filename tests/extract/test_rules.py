"""Pure text rules: URLs, Schwartz-Hearst matching, name shapes, numbers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extract import rules


@pytest.mark.parametrize(("text", "expected"), [
    ("Code available at: https://github.com/miccunifi/iamcl2r.", ["https://github.com/miccunifi/iamcl2r"]),
    ("see https://ma-lab-berkeley.github.io/CRATE", ["https://ma-lab-berkeley.github.io/CRATE"]),
    ("(code: https://github.com/a/b_c), and more", ["https://github.com/a/b_c"]),
    ("wiki https://en.wikipedia.org/wiki/Foo_(bar).", ["https://en.wikipedia.org/wiki/Foo_(bar)"]),
    ("at github.com/facebookresearch/SIE;", ["https://github.com/facebookresearch/SIE"]),
    ("no link here, e.g. a.b", []),
    (r"\href{https://github.com/ZJUHJ/TRPN}{https://github.com/ZJUHJ/TRPN}",
     ["https://github.com/ZJUHJ/TRPN", "https://github.com/ZJUHJ/TRPN"]),
])
def test_find_urls_strips_trailing_punctuation(text, expected):
    assert [f.value for f in rules.find_urls(text)] == expected


def test_url_offsets_point_at_the_written_text():
    text = "Code: https://github.com/RAIVNLab/MRL."
    (found,) = rules.find_urls(text)
    assert text[found.start:found.end] == "https://github.com/RAIVNLab/MRL"


@pytest.mark.parametrize(("short", "candidate", "long"), [
    ("MRL", "Our main contribution is Matryoshka Representation Learning", "Matryoshka Representation Learning"),
    ("GNNs", "Graph Neural Networks", "Graph Neural Networks"),
    ("PTQ", "Existing post-training quantization", "post-training quantization"),
    ("TInt", "tool called Traced Integer", "Traced Integer"),
])
def test_schwartz_hearst_long_forms(short, candidate, long):
    start = rules.match_long_form(short, candidate)
    assert start is not None and candidate[start:] == long


def test_schwartz_hearst_first_letter_must_start_a_word():
    # "m" occurs inside "sum", but no word starts with it
    assert rules.match_long_form("ML", "sum of losses") is None


@pytest.mark.parametrize(("text", "ok"), [
    ("MRL", True), ("GNNs", True), ("CD-CoT", True), ("AdaDim", True), ("T5", True),
    ("the", False), ("A", False), ("1234", False), ("Learning", False),
])
def test_is_short_form(text, ok):
    assert rules.is_short_form(text) is ok


def test_find_numbers_reads_claims():
    found = rules.find_numbers(
        "improves top-1 accuracy on ImageNet by up to 1.7% for ViT and 1,200 samples, 3 times faster")
    assert [(n.value, n.unit, n.qualifier) for n in found] == [
        (1.7, "%", "up to"), (1200.0, "", None), (3.0, "x", None)]


def test_find_numbers_reads_a_latex_percent_and_a_hyphenated_point_unit():
    found = rules.find_numbers(r"reaches 39\% accuracy (up to 4.5 \%), a 10-point gain and 2 points more")
    assert [(n.value, n.unit, n.text) for n in found] == [
        (39.0, "%", r"39\%"), (4.5, "%", r"up to 4.5 \%"), (10.0, "points", "10-point"), (2.0, "points", "2 points")]


def test_digits_inside_names_are_not_numbers():
    assert rules.find_numbers("ResNet-50 on ImageNet-1K with top-1 and GPT-4") == []


@given(st.text(max_size=200))
def test_rules_never_crash_and_offsets_are_valid(text):
    for f in rules.find_urls(text):
        assert 0 <= f.start < f.end <= len(text)
    for n in rules.find_numbers(text):
        assert text[n.start:n.end] == n.text
