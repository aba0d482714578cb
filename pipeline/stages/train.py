"""train: fit every configured model family, score it on valid, track it in MLflow.

Each family gets one MLflow run (params, per-step valid metrics, the train and
valid tables as dataset inputs, the logged model). The test split is not
read here; `evaluate` scores it once per trained model.
"""

from __future__ import annotations

import json
import time

from pipeline.core.config import Config, config_to_yaml
from pipeline.core.metrics import score_split
from pipeline.core.tables import read_table, write_text_atomic
from pipeline.models import build_model
from pipeline.tracking import runs as tracking


def run(config: Config, families: list[str] | None = None) -> None:
    """Stage runner: examples_{train,valid} -> outputs/<config>/models/<family>/ + MLflow runs,
    for every configured family, or for `families` alone (make trains each under its own target)."""
    train_path = config.tables_dir / "examples_train.parquet"
    valid_path = config.tables_dir / "examples_valid.parquet"
    train = read_table(train_path, "examples")
    valid = read_table(valid_path, "examples")
    write_text_atomic(config.outputs_dir / "config.yaml", config_to_yaml(config))
    for family in families or config.train.models:
        model = build_model(family, config)
        started = time.perf_counter()
        report = model.fit(train, valid, seed=config.train.seed)
        train_seconds = time.perf_counter() - started
        model_dir = config.outputs_dir / "models" / family
        model.save(model_dir / "model")
        valid_result = score_split(valid, model.predict_pair_proba(valid["text"].tolist()), "valid")
        metrics = {**valid_result.metrics, "train_seconds": train_seconds}
        run_info = tracking.log_training(config, family, model_dir / "model", report, metrics,
                                         {"train": (train, train_path), "valid": (valid, valid_path)})
        write_text_atomic(model_dir / "run.json", json.dumps(run_info, indent=2))
        print(f"train {family}: valid macro-F1 {metrics['valid_macro_f1']:.4f}, micro-F1 "
              f"{metrics['valid_micro_f1']:.4f} ({train_seconds:.0f}s; chosen {report.params}); "
              f"MLflow run {run_info['run_id']}")
