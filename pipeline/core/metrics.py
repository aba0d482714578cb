"""evaluate: how good is a model, where is it wrong, how sure are we?

Pure scoring functions (DSE five-class micro/macro F1 comparable with the
published numbers, per-class report, directed three-label macro-F1, bootstrap
interval, confusion matrix) and the stage runner that scores every trained
model once on the official test split and logs it to its MLflow run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from pipeline.core.labels import (
    DSE_CLASS_NAMES,
    ID2LABEL,
    LABELS,
    directed_proba,
    encode_labels,
)


def confusion_counts(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Confusion matrix (rows gold, columns predicted) over classes ``0..n_classes-1``; other ids are ignored."""
    y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    keep = (y_true >= 0) & (y_true < n_classes) & (y_pred >= 0) & (y_pred < n_classes)
    return np.bincount(y_true[keep] * n_classes + y_pred[keep], minlength=n_classes * n_classes).reshape(
        n_classes, n_classes)


def class_scores(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> tuple[np.ndarray, ...]:
    """Per-class precision, recall, F1 and support. An undefined ratio (nothing predicted, or no
    gold row, of a class) counts as 0, as scikit-learn's ``zero_division=0`` does."""
    matrix = confusion_counts(y_true, y_pred, n_classes)
    true_positive = np.diag(matrix).astype(float)
    predicted, support = matrix.sum(axis=0), matrix.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, true_positive / predicted, 0.0)
        recall = np.where(support > 0, true_positive / support, 0.0)
        f1 = np.where(predicted + support > 0, 2 * true_positive / (predicted + support), 0.0)
    return precision, recall, f1, support


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int = len(DSE_CLASS_NAMES)) -> float:
    """Macro-F1 over `n_classes` classes (DSE's five by default), each class weighing the same."""
    return float(class_scores(y_true, y_pred, n_classes)[2].mean())


def micro_f1(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int = len(DSE_CLASS_NAMES)) -> float:
    """Micro-F1 over `n_classes` classes: with every row in one of them, the share of rows right."""
    matrix = confusion_counts(y_true, y_pred, n_classes)
    total = matrix.sum()
    return float(np.trace(matrix) / total) if total else 0.0


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, and 0.0 when the denominator is 0 (the convention of :func:`prf`)."""
    return numerator / denominator if denominator else 0.0


def prf(n_predicted: int, n_gold: int, n_correct: int) -> dict[str, float]:
    """Precision, recall and F1 from counts: predictions, gold items, and correct predictions.

    Convention: a score whose denominator is 0 is 0.0, never 1.0: precision
    with no predictions, recall with no gold items, and F1 when precision
    and recall are both 0. An empty prediction set thus scores 0.0 even
    against an empty gold set; report the counts beside the scores so that
    such cases can be told apart.
    """
    if min(n_predicted, n_gold, n_correct) < 0 or n_correct > min(n_predicted, n_gold):
        raise ValueError(f"inconsistent counts: {n_correct} correct of {n_predicted} predicted and {n_gold} gold")
    precision, recall = ratio(n_correct, n_predicted), ratio(n_correct, n_gold)
    return {"precision": precision, "recall": recall, "f1": ratio(2 * precision * recall, precision + recall)}


def five_class_scores(y_true: np.ndarray, proba_five: np.ndarray) -> dict[str, float]:
    """Micro- and macro-F1 over DSE's five classes from per-row class probabilities."""
    y_pred = np.asarray(proba_five).argmax(axis=1)
    return {"macro_f1": macro_f1(y_true, y_pred), "micro_f1": micro_f1(y_true, y_pred)}


def per_class_report(y_true: np.ndarray, y_pred: np.ndarray, names: tuple[str, ...] = DSE_CLASS_NAMES) -> pd.DataFrame:
    """Precision, recall, F1 and support per class."""
    precision, recall, f1, support = class_scores(y_true, y_pred, len(names))
    return pd.DataFrame({"class": list(names), "precision": precision, "recall": recall,
                         "f1": f1, "support": support})


def directed_macro_f1(gold_labels: list[str], predicted_labels: list[str]) -> float:
    """Macro-F1 over the three directed labels."""
    return macro_f1(encode_labels(gold_labels), encode_labels(predicted_labels), len(LABELS))


def bootstrap_interval(
    y_true: np.ndarray, y_pred: np.ndarray, metric: Callable[[np.ndarray, np.ndarray], float],
    samples: int, confidence: float, seed: int, groups: np.ndarray | None = None,
) -> tuple[float, float]:
    """Percentile bootstrap interval of `metric`, resampling rows with replacement.

    With `groups` (one key per row, e.g. the article), whole groups are
    resampled instead (a cluster bootstrap): rows of one article are not
    independent, and resampling them apart would make the interval too narrow.
    """
    rng = np.random.default_rng(seed)
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    n = len(y_true)
    if groups is None:
        members = None
    else:
        groups = np.asarray(groups)
        if len(groups) != n:
            raise ValueError(f"{len(groups)} group keys for {n} rows")
        members = [np.flatnonzero(groups == key) for key in pd.unique(groups)]
    values = np.empty(samples)
    for i in range(samples):
        if members is None:
            index = rng.integers(0, n, n)
        else:
            chosen = rng.integers(0, len(members), len(members))
            index = np.concatenate([members[j] for j in chosen]) if len(members) else np.empty(0, dtype=np.int64)
        values[i] = metric(y_true[index], y_pred[index])
    alpha = (1.0 - confidence) / 2.0
    return float(np.quantile(values, alpha)), float(np.quantile(values, 1.0 - alpha))


def confusion_figure(y_true: np.ndarray, y_pred: np.ndarray, names: tuple[str, ...], title: str, path: Path) -> None:
    """Save a confusion-matrix image (rows gold, columns predicted)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matrix = confusion_counts(y_true, y_pred, len(names))
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    image = ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(title)
    for (row, col), count in np.ndenumerate(matrix):
        ax.text(col, row, str(count), ha="center", va="center",
                color="white" if count > matrix.max() / 2 else "black")
    fig.colorbar(image, ax=ax)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


@dataclass
class SplitResult:
    """A model's predictions on one split and the scores they earn."""
    predictions: pd.DataFrame  # one row per directed example, `predictions` schema
    rows: pd.DataFrame  # one row per DSE row: row_id, gold, predicted five-class
    metrics: dict[str, float]


def score_split(examples: pd.DataFrame, pair_proba: np.ndarray, split: str) -> SplitResult:
    """Score pair-class probabilities of every directed example of one split."""
    proba3 = directed_proba(pair_proba)
    predicted = [ID2LABEL[i] for i in proba3.argmax(axis=1)]
    predictions = pd.DataFrame({
        "example_id": examples["example_id"].to_numpy(), "row_id": examples["row_id"].to_numpy(),
        "split": split, "direction": examples["direction"].to_numpy(), "label": examples["label"].to_numpy(),
        "predicted": predicted, "confidence": proba3.max(axis=1),
        "p_supportive": proba3[:, 0], "p_hostile": proba3[:, 1], "p_neutral": proba3[:, 2],
    })
    canonical = (examples["direction"] == "pq").to_numpy()
    y_true = examples.loc[canonical, "dse_label"].to_numpy()
    five = five_class_scores(y_true, pair_proba[canonical])
    rows = pd.DataFrame({"row_id": examples.loc[canonical, "row_id"].to_numpy(), "gold": y_true,
                         "predicted": pair_proba[canonical].argmax(axis=1)})
    metrics = {
        f"{split}_macro_f1": five["macro_f1"],
        f"{split}_micro_f1": five["micro_f1"],
        f"{split}_directed_macro_f1": directed_macro_f1(list(examples["label"]), predicted),
    }
    return SplitResult(predictions, rows, metrics)
