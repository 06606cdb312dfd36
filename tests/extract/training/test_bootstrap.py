"""Bootstrap intervals of micro F1 over documents (``python -m extract.training evaluate-pipeline --bootstrap N``)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extract.training.cli import main
from extract.training.scoring import PRF, bootstrap_f1


def test_identical_documents_give_a_point():
    docs = [PRF(3, 1, 2)] * 20  # F1 = 6 / (6 + 1 + 2) = 66.67 in every resample
    assert bootstrap_f1(docs, 200) == (66.67, 66.67)


def test_the_interval_brackets_the_score_and_repeats_for_a_seed():
    docs = [PRF(tp, fp, fn) for tp, fp, fn in [(5, 0, 1), (0, 3, 4), (2, 2, 2), (7, 1, 0), (1, 0, 5)] * 6]
    micro = PRF(sum(d.tp for d in docs), sum(d.fp for d in docs), sum(d.fn for d in docs))
    low, high = bootstrap_f1(docs, 1000)
    assert low < 100 * micro.f < high
    assert high - low > 5  # five kinds of document: resamples differ
    assert bootstrap_f1(docs, 1000) == (low, high)
    assert bootstrap_f1(docs, 1000, seed=1) != (low, high)


def test_no_documents_and_bad_counts():
    assert bootstrap_f1([], 100) == (0.0, 0.0)
    with pytest.raises(ValueError, match="resamples must be at least 1"):
        bootstrap_f1([PRF(1, 0, 0)], 0)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(*[st.integers(0, 30)] * 3), min_size=1, max_size=40), st.integers(1, 300))
def test_bounds_are_ordered_percentages(counts, resamples):
    low, high = bootstrap_f1([PRF(*c) for c in counts], resamples)
    assert 0.0 <= low <= high <= 100.0


def test_a_negative_number_of_resamples_is_refused(capsys):
    with pytest.raises(SystemExit) as e:
        main(["evaluate-pipeline", "--format", "scierc", "--bootstrap", "-5", "dev.json"])
    assert e.value.code == 2
    assert "'-5' is not a number of resamples" in capsys.readouterr().err
