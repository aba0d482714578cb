"""The model registry: registering versions, crowning the champion, loading the model a stage serves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from pipeline.core.config import Config
from pipeline.tracking.runs import use_experiment


def model_uri(config: Config) -> str:
    """The model predict applies: predict.model_uri, else the registered champion."""
    return config.predict.model_uri or f"models:/{config.mlflow.registered_model}@{config.mlflow.champion_alias}"

def load_stance_model(config: Config):
    """Load the configured model once; returns (model, provenance). A missing champion is a clear error."""

    mlflow.set_tracking_uri(config.tracking_uri)
    uri = model_uri(config)
    provenance = {"model_uri": uri, "tracking_uri": config.tracking_uri}
    try:
        if uri == f"models:/{config.mlflow.registered_model}@{config.mlflow.champion_alias}":
            version = MlflowClient().get_model_version_by_alias(config.mlflow.registered_model,
                                                                config.mlflow.champion_alias)
            provenance |= {"model_version": version.version, "run_id": version.run_id,
                           "model_family": version.tags.get("model_family")}
        model = mlflow.pyfunc.load_model(uri)
    except MlflowException as exc:
        raise RuntimeError(f"cannot load the stance model {uri} from {config.tracking_uri}: {exc.message}. "
                           "Train and register one first: make train") from None
    return model, provenance


def register_once(name: str, run_info: dict[str, Any]) -> str:
    """Register a run's model as a version of `name`, unless that run already has one."""
    client = MlflowClient()
    existing = [v for v in client.search_model_versions(f"name = '{name}'") if v.run_id == run_info["run_id"]]
    if existing:
        return existing[0].version
    version = mlflow.register_model(run_info["model_uri"], name).version
    client.set_model_version_tag(name, version, "model_family", run_info["family"])
    return version


@dataclass
class Champion:
    """The registered model version that won."""

    version: str
    family: str
    score: float


def promote_champion(config: Config) -> Champion:
    """Alias the version with the best champion metric, among versions whose runs
    were validated on the same valid data as the latest one."""
    use_experiment(config)
    client = MlflowClient()
    name, metric = config.mlflow.registered_model, config.mlflow.champion_metric
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
    best_version, best_run = max(comparable, key=lambda c: (c[1].data.metrics[metric], c[1].info.start_time))
    client.set_registered_model_alias(name, config.mlflow.champion_alias, best_version.version)
    return Champion(best_version.version, best_run.data.tags.get("model_family", "?"),
                    best_run.data.metrics[metric])
