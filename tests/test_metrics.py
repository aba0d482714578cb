"""metrics: precision, recall and F1 from counts, with one convention where they are undefined."""

from __future__ import annotations

import pytest

from pipeline.core.metrics import prf, ratio


def test_prf_from_counts():
    assert prf(4, 2, 1) == pytest.approx({"precision": 0.25, "recall": 0.5, "f1": 1 / 3})
    assert prf(3, 3, 3) == {"precision": 1.0, "recall": 1.0, "f1": 1.0}


@pytest.mark.parametrize("counts,expected", [
    ((0, 0, 0), {"precision": 0.0, "recall": 0.0, "f1": 0.0}),  # nothing predicted, nothing to find
    ((0, 5, 0), {"precision": 0.0, "recall": 0.0, "f1": 0.0}),  # nothing predicted
    ((5, 0, 0), {"precision": 0.0, "recall": 0.0, "f1": 0.0}),  # nothing to find
    ((5, 5, 0), {"precision": 0.0, "recall": 0.0, "f1": 0.0}),  # nothing right
])
def test_prf_is_zero_where_undefined(counts, expected):
    assert prf(*counts) == expected


@pytest.mark.parametrize("counts", [(1, 2, 3), (3, 1, 2), (-1, 0, 0)])
def test_prf_rejects_inconsistent_counts(counts):
    with pytest.raises(ValueError, match="inconsistent counts"):
        prf(*counts)


def test_ratio_is_zero_on_an_empty_denominator():
    assert ratio(3, 4) == 0.75 and ratio(0, 0) == 0.0 and ratio(2, 0) == 0.0
