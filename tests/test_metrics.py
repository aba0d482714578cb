import numpy as np
import pandas as pd
import pytest

from pipeline.core.labels import DSE_CLASS_NAMES
from pipeline.core.metrics import (
    bootstrap_interval,
    class_scores,
    confusion_figure,
    directed_macro_f1,
    five_class_scores,
    macro_f1,
    micro_f1,
    per_class_report,
    prf,
    ratio,
    score_split,
)


def test_five_class_scores_from_probabilities():
    y_true = np.array([0, 1, 2, 3, 4, 0])
    proba = np.eye(5)[[0, 1, 2, 3, 0, 0]]
    scores = five_class_scores(y_true, proba)
    assert scores["micro_f1"] == pytest.approx(5 / 6)
    # class 4 never predicted: F1 0; class 0: P 2/3, R 1 -> 0.8
    assert scores["macro_f1"] == pytest.approx((0.8 + 1 + 1 + 1 + 0) / 5)


def test_bootstrap_interval_brackets_the_estimate_and_is_seeded():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 5, 400)
    y_pred = np.where(rng.random(400) < 0.7, y_true, rng.integers(0, 5, 400))
    low, high = bootstrap_interval(y_true, y_pred, macro_f1, 300, 0.95, seed=1)
    assert low < macro_f1(y_true, y_pred) < high
    assert (low, high) == bootstrap_interval(y_true, y_pred, macro_f1, 300, 0.95, seed=1)
    assert 0.02 < high - low < 0.3


def test_per_class_report_and_directed_f1():
    report = per_class_report(np.array([0, 1, 1]), np.array([0, 1, 0]))
    assert list(report["class"]) == list(DSE_CLASS_NAMES)
    assert report.loc[1, "recall"] == pytest.approx(0.5)
    assert directed_macro_f1(["hostile", "neutral"], ["hostile", "neutral"]) == pytest.approx(2 / 3)


def test_score_split_pairs_directions_into_rows():
    examples = pd.DataFrame({
        "example_id": ["r1-pq", "r1-qp"], "row_id": ["r1", "r1"], "split": ["test", "test"],
        "direction": ["pq", "qp"], "source": ["A", "B"], "target": ["B", "A"], "text": ["x", "y"],
        "label": ["supportive", "neutral"], "dse_label": [1, 1],
    })
    pair_proba = np.array([[0.1, 0.6, 0.1, 0.1, 0.1], [0.1, 0.1, 0.6, 0.1, 0.1]])
    result = score_split(examples, pair_proba, "test")
    assert result.rows["predicted"].tolist() == [1]
    assert result.predictions["predicted"].tolist() == ["supportive", "neutral"]
    assert result.metrics["test_micro_f1"] == pytest.approx(1.0)


def test_confusion_figure_is_written(tmp_path):
    path = tmp_path / "cm.png"
    confusion_figure(np.array([0, 1]), np.array([0, 0]), DSE_CLASS_NAMES, "t", path)
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_micro_f1_is_accuracy_over_rows():
    assert micro_f1(np.array([0, 1, 2, 3]), np.array([0, 1, 0, 3])) == pytest.approx(0.75)


@pytest.mark.parametrize("seed", range(5))
def test_f1_scores_equal_scikit_learns_with_zero_division_zero(seed):
    from sklearn.metrics import f1_score, precision_recall_fscore_support

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    y_true, y_pred = rng.integers(0, 5, n), rng.integers(0, 4, n)  # class 4 never predicted; some never gold
    labels = list(range(5))
    assert macro_f1(y_true, y_pred) == pytest.approx(
        f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0))
    assert micro_f1(y_true, y_pred) == pytest.approx(
        f1_score(y_true, y_pred, labels=labels, average="micro", zero_division=0))
    ours = class_scores(y_true, y_pred, 5)
    theirs = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine, reference)


# Precision, recall and F1 from counts, with one convention where they are undefined.


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
