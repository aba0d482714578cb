"""MLflow tracking: runs, dataset inputs, logged models and the champion alias.

MLflow records; it does not orchestrate. The store is `config.tracking_uri`
(`MLFLOW_TRACKING_URI` overrides the config).
"""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature

from pipeline.core.config import REPO_ROOT, Config, config_to_yaml, flatten
from pipeline.corpora.fetch import corpus_digests
from pipeline.models.base import FitReport
from pipeline.tracking.pyfunc import StancePyfunc
from pipeline.tracking.server import check_tracking_server
from pipeline.tracking.store import open_store

log = logging.getLogger(__name__)

MODEL_ARTIFACT = "model"


def git_commit() -> str:
    """The current commit of the repository ('unknown' outside git), marked dirty if edited."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO_ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
        return f"{commit}-dirty" if dirty else commit
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def experiment_artifact_location(config: Config, name: str) -> str | None:
    """Where a new experiment keeps its artifacts: the configured folder for a local store; None for
    a tracking server (http/https), so that the server's proxied `mlflow-artifacts:` root is used."""
    if config.tracking_uri.startswith(("http://", "https://")):
        return None
    return f"{config.artifact_location.rstrip('/')}/{name}"


def use_experiment(config: Config, experiment: str | None = None) -> str:
    """Point MLflow at the configured store and experiment; return the experiment id."""
    open_store(config, create=True)
    check_tracking_server(config.tracking_uri)
    name = experiment or config.mlflow.experiment
    if mlflow.get_experiment_by_name(name) is None:
        try:
            mlflow.create_experiment(name, artifact_location=experiment_artifact_location(config, name))
        except MlflowException as exc:  # a concurrent run created it first
            if exc.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
    return mlflow.set_experiment(name).experiment_id


#: The pyfunc logged as code, not as a pickle (see :mod:`pipeline.tracking.model_code`).
MODEL_CODE = Path(__file__).with_name("model_code.py")


def _dataset(df: pd.DataFrame, path: Path, name: str):
    return mlflow.data.from_pandas(df, source=str(path), name=name, targets="label")


def log_training(
    config: Config, family: str, model_dir: Path, report: FitReport, metrics: dict[str, float],
    tables: dict[str, tuple[pd.DataFrame, Path]], tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One MLflow run for a trained model; returns the ids later stages need. `tags` (the
    decision rule) are set on the run and copied to the registered version."""
    use_experiment(config)
    sample = tables["valid"][0]["text"].head(3).to_frame()
    with mlflow.start_run(run_name=f"{config.name}-{family}") as active:
        mlflow.set_tags({
            "model_family": family, "config_name": config.name, "git_commit": git_commit(),
            **corpus_digests(config), **(tags or {}),
        })
        params = {k: v for k, v in flatten(config.model_dump(mode="json")).items()
                  if k.split(".")[0] in {"train", "examples", "evaluate"}}
        params.update({f"chosen.{k}": v for k, v in report.params.items()})
        mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
        for step in report.history:
            mlflow.log_metrics({k: v for k, v in step.items() if k != "step"}, step=int(step["step"]))
        mlflow.log_metrics(metrics)
        train_ds = _dataset(tables["train"][0], tables["train"][1], "dse-train")
        valid_ds = _dataset(tables["valid"][0], tables["valid"][1], "dse-valid")
        mlflow.log_input(train_ds, context="training")
        mlflow.log_input(valid_ds, context="validation")
        mlflow.set_tag("valid_digest", valid_ds.digest)
        mlflow.log_text(config_to_yaml(config), "config.yaml")
        wrapper = StancePyfunc()
        wrapper.load_context(type("Context", (), {"artifacts": {"model_dir": str(model_dir)}})())
        signature = infer_signature(sample, wrapper.predict(None, sample))
        info = mlflow.pyfunc.log_model(
            name=MODEL_ARTIFACT, python_model=str(MODEL_CODE), artifacts={"model_dir": str(model_dir)},
            code_paths=[str(REPO_ROOT / "pipeline")], signature=signature, input_example=sample,
        )
        return {"run_id": active.info.run_id, "model_uri": info.model_uri,
                "experiment_id": active.info.experiment_id, "family": family}


def log_evaluation(
    config: Config, run_info: dict[str, Any], metrics: dict[str, float], report_dir: Path,
    test: pd.DataFrame, test_path: Path,
) -> None:
    """Add test metrics, artifacts and the test dataset to a model's run."""
    use_experiment(config)
    with mlflow.start_run(run_id=run_info["run_id"]):
        mlflow.log_metrics(metrics)
        mlflow.log_input(_dataset(test, test_path, "dse-test"), context="testing")
        for artifact in sorted(report_dir.iterdir()):
            mlflow.log_artifact(str(artifact), artifact_path="evaluation")
