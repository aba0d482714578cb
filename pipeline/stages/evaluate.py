"""evaluate: score every trained model once on the official test split, log it, crown the champion."""

from __future__ import annotations

import json

from pipeline.core.config import Config
from pipeline.core.labels import DSE_CLASS_NAMES
from pipeline.core.metrics import (
    bootstrap_interval,
    confusion_figure,
    macro_f1,
    per_class_report,
    score_split,
)
from pipeline.core.tables import read_table, write_table, write_text_atomic
from pipeline.models import load_model
from pipeline.tracking import runs as tracking
from pipeline.tracking.registry import (
    Champion,
    config_alias,
    promote_champion,
    register_once,
)


def run(config: Config, families: list[str] | None = None) -> None:
    """Stage runner: score every trained model (or `families` alone) once on the test split and log it;
    without `families`, then crown the champion."""

    test = read_table(config.tables_dir / "examples_test.parquet", "examples")
    for family in families or config.train.models:
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
        register_once(config.mlflow.registered_model, run_info)
        print(f"evaluate {family}: test macro-F1 {result.metrics['test_macro_f1']:.4f} "
              f"[{low:.4f}, {high:.4f}], micro-F1 {result.metrics['test_micro_f1']:.4f}, "
              f"directed macro-F1 {result.metrics['test_directed_macro_f1']:.4f}")
    if families is None:
        champion(config)


def champion(config: Config) -> None:
    """Stage runner: alias this config's best version, and move the shared champion like-for-like."""
    report_promotion(config, promote_champion(config))


def report_promotion(config: Config, champion: Champion | None) -> None:
    """Print where this config's alias and the shared champion alias now point."""
    name, metric = config.mlflow.registered_model, config.mlflow.champion_metric
    if champion is None:
        print(f"evaluate: no version of {name} from config {config.name} has {metric} (a family of "
              f"decision.families has it); the aliases stay where they were")
        return
    print(f"evaluate: {name}@{config_alias(config)} -> version {champion.version} "
          f"({champion.family}, {metric} {champion.score:.4f})")
    if champion.promoted:
        print(f"evaluate: {name}@{config.mlflow.champion_alias} -> version {champion.version} ({champion.reason})")
    else:
        print(f"evaluate: {name}@{config.mlflow.champion_alias} stays version {champion.holder}: {champion.reason}. "
              f"To serve this config's best anyway: make promote CONFIG={config.name}")


def promote(config: Config) -> None:
    """Stage runner: make this config's best version the shared champion, on purpose."""
    report_promotion(config, promote_champion(config, force=True))

