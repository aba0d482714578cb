"""evaluate: how good is a model, where is it wrong, how sure are we?

Pure scoring functions (DSE five-class micro/macro F1 comparable with the
published numbers, per-class report, directed three-label macro-F1, bootstrap
interval, confusion matrix) and the stage runner that scores every trained
model once on the official test split and logs it to its MLflow run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

from pipeline.labels import DSE_CLASS_NAMES, LABELS, encode_labels


def five_class_scores(y_true: np.ndarray, proba_five: np.ndarray) -> dict[str, float]:
    """Micro- and macro-F1 over DSE's five classes from per-row class probabilities."""
    y_pred = np.asarray(proba_five).argmax(axis=1)
    return {
        "macro_f1": float(f1_score(y_true, y_pred, labels=list(range(5)), average="macro", zero_division=0)),
        "micro_f1": float(f1_score(y_true, y_pred, labels=list(range(5)), average="micro", zero_division=0)),
    }


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Macro-F1 over DSE's five classes."""
    return float(f1_score(y_true, y_pred, labels=list(range(5)), average="macro", zero_division=0))


def per_class_report(y_true: np.ndarray, y_pred: np.ndarray, names: tuple[str, ...] = DSE_CLASS_NAMES) -> pd.DataFrame:
    """Precision, recall, F1 and support per class."""
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=list(range(len(names))), zero_division=0)
    return pd.DataFrame({"class": list(names), "precision": precision, "recall": recall,
                         "f1": f1, "support": support})


def directed_macro_f1(gold_labels: list[str], predicted_labels: list[str]) -> float:
    """Macro-F1 over the three directed labels."""
    return float(f1_score(encode_labels(gold_labels), encode_labels(predicted_labels),
                          labels=list(range(len(LABELS))), average="macro", zero_division=0))


def bootstrap_interval(
    y_true: np.ndarray, y_pred: np.ndarray, metric: Callable[[np.ndarray, np.ndarray], float],
    samples: int, confidence: float, seed: int,
) -> tuple[float, float]:
    """Percentile bootstrap interval of `metric`, resampling rows with replacement."""
    rng = np.random.default_rng(seed)
    n = len(y_true)
    values = np.empty(samples)
    for i in range(samples):
        index = rng.integers(0, n, n)
        values[i] = metric(y_true[index], y_pred[index])
    alpha = (1.0 - confidence) / 2.0
    return float(np.quantile(values, alpha)), float(np.quantile(values, 1.0 - alpha))


def confusion_figure(y_true: np.ndarray, y_pred: np.ndarray, names: tuple[str, ...], title: str, path: Path) -> None:
    """Save a confusion-matrix image (rows gold, columns predicted)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matrix = confusion_matrix(y_true, y_pred, labels=list(range(len(names))))
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
    from pipeline.labels import directed_proba, ID2LABEL

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


def run(config) -> None:
    """Stage runner: score every trained model on the test split; log; crown the champion."""
    from pipeline import tracking
    from pipeline.models import load_model
    from pipeline.tables import read_table, write_table, write_text_atomic

    test = read_table(config.tables_dir / "examples_test.parquet", "examples")
    for family in config.train.models:
        model_dir = config.outputs_dir / "models" / family
        run_info = json.loads((model_dir / "run.json").read_text(encoding="utf-8"))
        model = load_model(model_dir / "model")
        result = score_split(test, model.predict_pair_proba(test["text"].tolist()), "test")
        y_true, y_pred = result.rows["gold"].to_numpy(), result.rows["predicted"].to_numpy()
        low, high = bootstrap_interval(y_true, y_pred, macro_f1, config.evaluate.bootstrap_samples,
                                       config.evaluate.confidence, config.train.seed)
        result.metrics.update({"test_macro_f1_ci_low": low, "test_macro_f1_ci_high": high})
        report = per_class_report(y_true, y_pred)
        for record in report.itertuples():
            result.metrics[f"test_f1_class_{record.Index}"] = float(record.f1)

        report_dir = config.outputs_dir / "reports" / family
        write_table(result.predictions, "predictions", report_dir / "test_predictions.parquet")
        write_text_atomic(report_dir / "test_per_class.csv", report.to_csv(index=False))
        confusion_figure(y_true, y_pred, DSE_CLASS_NAMES, f"{family}: DSE test (five classes)",
                         report_dir / "test_confusion.png")
        write_text_atomic(report_dir / "test_metrics.json", json.dumps(result.metrics, indent=2))
        tracking.log_evaluation(config, run_info, result.metrics, report_dir, test,
                                config.tables_dir / "examples_test.parquet")
        print(f"evaluate {family}: test macro-F1 {result.metrics['test_macro_f1']:.4f} "
              f"[{low:.4f}, {high:.4f}], micro-F1 {result.metrics['test_micro_f1']:.4f}, "
              f"directed macro-F1 {result.metrics['test_directed_macro_f1']:.4f}")
    champion = tracking.promote_champion(config)
    print(f"evaluate: {config.mlflow.registered_model}@{config.mlflow.champion_alias} -> "
          f"version {champion.version} ({champion.family}, {config.mlflow.champion_metric} {champion.score:.4f})")
