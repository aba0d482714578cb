"""MLflow tracking: runs, dataset inputs, logged models and the champion alias.

MLflow records; it does not orchestrate. The store is `config.tracking_uri`
(`MLFLOW_TRACKING_URI` overrides the config).
"""

from __future__ import annotations

import logging
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from mlflow.tracking import MlflowClient

from pipeline.config import REPO_ROOT, Config, config_to_yaml, flatten
from pipeline.fetch import corpus_sha256
from pipeline.models.base import FitReport
from pipeline.server import check_tracking_server

log = logging.getLogger(__name__)

# MLflow's advice that does not apply here: our dataset sources are local
# Parquet paths, our integer columns never hold missing values, and the model
# signature is given explicitly.
for _pattern in ("The specified dataset source can be interpreted", "Hint: Inferred schema contains integer",
                 "Add type hints to the `predict` method"):
    warnings.filterwarnings("ignore", message=f".*{_pattern}.*")

MODEL_ARTIFACT = "model"


class StancePyfunc(mlflow.pyfunc.PythonModel):
    """MLflow wrapper: a DataFrame with a marked `text` column in, directed stance out."""

    def load_context(self, context) -> None:
        from pipeline.models import load_model

        self.model = load_model(Path(context.artifacts["model_dir"]))

    def predict(self, context, model_input, params=None):
        from pipeline.labels import LABELS

        texts = list(pd.DataFrame(model_input)["text"].astype(str))
        proba = self.model.predict_proba(texts)
        return pd.DataFrame({
            "label": [LABELS[i] for i in proba.argmax(axis=1)],
            "confidence": proba.max(axis=1),
            **{f"p_{label}": proba[:, i] for i, label in enumerate(LABELS)},
        })


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
    mlflow.set_tracking_uri(config.tracking_uri)
    check_tracking_server(config.tracking_uri)
    name = experiment or config.mlflow.experiment
    if mlflow.get_experiment_by_name(name) is None:
        try:
            mlflow.create_experiment(name, artifact_location=experiment_artifact_location(config, name))
        except MlflowException as exc:  # a concurrent run created it first
            if exc.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
    return mlflow.set_experiment(name).experiment_id


def _dataset(df: pd.DataFrame, path: Path, name: str):
    return mlflow.data.from_pandas(df, source=str(path), name=name, targets="label")


def log_training(
    config: Config, family: str, model_dir: Path, report: FitReport, metrics: dict[str, float],
    tables: dict[str, tuple[pd.DataFrame, Path]],
) -> dict[str, Any]:
    """One MLflow run for a trained model; returns the ids later stages need."""
    use_experiment(config)
    sample = tables["valid"][0]["text"].head(3).to_frame()
    with mlflow.start_run(run_name=f"{config.name}-{family}") as active:
        mlflow.set_tags({
            "model_family": family, "config_name": config.name, "git_commit": git_commit(),
            "dse_sha256": corpus_sha256(config.corpora.dse),
            "seesaw_sha256": corpus_sha256(config.corpora.seesaw),
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
            name=MODEL_ARTIFACT, python_model=StancePyfunc(), artifacts={"model_dir": str(model_dir)},
            code_paths=[str(REPO_ROOT / "pipeline")], signature=signature, input_example=sample,
        )
        return {"run_id": active.info.run_id, "model_uri": info.model_uri,
                "experiment_id": active.info.experiment_id, "family": family}


def log_evaluation(
    config: Config, run_info: dict[str, Any], metrics: dict[str, float], report_dir: Path,
    test: pd.DataFrame, test_path: Path,
) -> None:
    """Add test metrics, artifacts and the test dataset to a model's run; register its model."""
    use_experiment(config)
    with mlflow.start_run(run_id=run_info["run_id"]):
        mlflow.log_metrics(metrics)
        mlflow.log_input(_dataset(test, test_path, "dse-test"), context="testing")
        for artifact in sorted(report_dir.iterdir()):
            mlflow.log_artifact(str(artifact), artifact_path="evaluation")
        register_once(config.mlflow.registered_model, run_info)


def register_once(name: str, run_info: dict[str, Any]) -> str:
    """Register a run's model as a version of `name`, unless that run already has one."""
    client = MlflowClient()
    existing = [v for v in client.search_model_versions(f"name = '{name}'") if v.run_id == run_info["run_id"]]
    if existing:
        return existing[0].version
    # The tag travels with the creation: a version never exists without it.
    return mlflow.register_model(run_info["model_uri"], name, tags={"model_family": run_info["family"]}).version


@dataclass
class Champion:
    """The registered model version that won."""

    version: str
    family: str
    score: float


def champion_choice(client: MlflowClient, name: str, metric: str) -> tuple[Any, Any]:
    """(version, run) that should hold the champion alias: the best `metric` among versions whose
    runs were validated on the same valid data as the newest one; ties go to the newer run, then
    to the higher version. A function of the registry's content alone, whoever computes it."""
    candidates = []
    for version in client.search_model_versions(f"name = '{name}'"):
        if not version.run_id:
            continue
        run = client.get_run(version.run_id)
        if metric in run.data.metrics:
            candidates.append((version, run))
    if not candidates:
        raise RuntimeError(f"no version of {name!r} has a {metric!r} metric")
    latest_digest = max(candidates, key=lambda c: c[1].info.start_time)[1].data.tags.get("valid_digest")
    comparable = [c for c in candidates if c[1].data.tags.get("valid_digest") == latest_digest]
    return max(comparable, key=lambda c: (c[1].data.metrics[metric], c[1].info.start_time, int(c[0].version)))


def promote_champion(config: Config, rounds: int = 50) -> Champion:
    """Alias the version with the best champion metric, among versions whose runs were validated on
    the same valid data as the latest one.

    Safe when several trainings finish together: each re-reads the registry after its own write
    and writes again until the alias already names the choice computed from a read made before the
    alias was read. The last write is therefore always followed, in its writer, by a read that
    saw every version registered before it, and every version registered later is checked by its
    own trainer, so the alias ends on the best version, not on whichever finished last."""
    use_experiment(config)
    client = MlflowClient()
    name, alias, metric = config.mlflow.registered_model, config.mlflow.champion_alias, config.mlflow.champion_metric
    for _ in range(rounds):
        best_version, best_run = champion_choice(client, name, metric)
        try:
            current = client.get_model_version_by_alias(name, alias).version
        except MlflowException:
            current = None
        if current == best_version.version:
            return Champion(best_version.version, best_run.data.tags.get("model_family", "?"),
                            best_run.data.metrics[metric])
        client.set_registered_model_alias(name, alias, best_version.version)
    raise RuntimeError(f"the alias {name}@{alias} did not settle after {rounds} rounds of concurrent updates")
