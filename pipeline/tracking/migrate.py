"""Copy an MLflow store into another, e.g. the embedded SQLite store into the team server.

``python -m pipeline.tracking.migrate --from sqlite:///mlflow.db [--to URI]`` (``make migrate-store``;
``--to`` defaults to ``MLFLOW_TRACKING_URI``). It copies, through the public client API of both
stores: experiments (with tags); their active runs (name, times, status, params, every step of
every metric, tags, dataset inputs, artifacts); the logged models of those runs (MLflow 3's
``models:/m-…``: params, tags, artifacts); registered models with their versions (tags, sources
pointing at the copies), and aliases.

It is rerunnable: a copied run carries the tag ``migrated_from_run_id`` (set last; a copy
interrupted before that is deleted and made again), a copied logged model
``migrated_from_model_id`` and a copied version ``migrated_from_version``, and what was copied
before is skipped. MLflow 3 has no exporter of its own for this (``mlflow migrate-filestore`` only
turns a file store into SQLite, and the separate mlflow-export-import package predates logged models).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.config import REPO_ROOT
from pipeline.tracking.server import check_tracking_server

RUN_TAG = "migrated_from_run_id"
PARTIAL_TAG = "migrating_run_id"
MODEL_TAG = "migrated_from_model_id"
VERSION_TAG = "migrated_from_version"
BATCH = 500  # metrics per log_batch call (MLflow's limit is 1000 entities)


@dataclass
class Report:
    """What a migration copied and skipped."""
    experiments: int = 0
    runs: int = 0
    runs_skipped: int = 0
    metric_points: int = 0
    artifacts: int = 0
    logged_models: int = 0
    versions: int = 0
    versions_skipped: int = 0
    aliases: int = 0
    run_ids: dict[str, str] = field(default_factory=dict)
    model_ids: dict[str, str] = field(default_factory=dict)


def client(uri: str):
    """An MlflowClient whose tracking and registry stores are both `uri`."""
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def map_source(source: str, report: Report) -> str:
    """A model version's source, pointed at the copied logged model or run."""
    if source.startswith("models:/m-"):
        old = source[len("models:/"):].split("/", 1)[0]
        if old in report.model_ids:
            return source.replace(old, report.model_ids[old], 1)
    if source.startswith("runs:/"):
        old = source[len("runs:/"):].split("/", 1)[0]
        if old in report.run_ids:
            return source.replace(old, report.run_ids[old], 1)
    return source


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _local_store_uri(uri: str) -> str:
    """A relative sqlite path is relative to the repository, as in the config."""
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        return "sqlite:///" + str(REPO_ROOT / uri[len("sqlite:///"):])
    return uri


def target_experiment(dst, experiment) -> str:
    """The destination's experiment of the same name, created (with the source's tags) when missing."""
    found = dst.get_experiment_by_name(experiment.name)
    if found is not None:
        return found.experiment_id
    tags = {k: v for k, v in experiment.tags.items() if not k.startswith("mlflow.")}
    return dst.create_experiment(experiment.name, tags=tags)


def copy_run(src, dst, run, experiment_id: str, report: Report) -> str:
    """Copy one run; returns its id in the destination (an earlier copy is reused)."""
    from mlflow.entities import Metric, Param

    earlier = dst.search_runs([experiment_id], filter_string=f"tags.{PARTIAL_TAG} = '{run.info.run_id}'")
    for copy in earlier:
        if copy.data.tags.get(RUN_TAG) == run.info.run_id:
            report.runs_skipped += 1
            report.run_ids[run.info.run_id] = copy.info.run_id
            return copy.info.run_id
        dst.delete_run(copy.info.run_id)  # an interrupted copy: replaced by a whole one
    tags = {**run.data.tags, PARTIAL_TAG: run.info.run_id}
    new = dst.create_run(experiment_id, start_time=run.info.start_time, tags=tags, run_name=run.info.run_name)
    new_id = new.info.run_id
    params = [Param(k, v) for k, v in run.data.params.items()]
    for chunk in _chunks(params, 100):
        dst.log_batch(new_id, params=chunk)
    points = []
    for key in run.data.metrics:
        points += [Metric(m.key, m.value, m.timestamp, m.step) for m in src.get_metric_history(run.info.run_id, key)]
    for chunk in _chunks(points, BATCH):
        dst.log_batch(new_id, metrics=chunk)
    report.metric_points += len(points)
    if run.inputs and run.inputs.dataset_inputs:
        dst.log_inputs(new_id, datasets=list(run.inputs.dataset_inputs))
    if src.list_artifacts(run.info.run_id):
        with tempfile.TemporaryDirectory() as tmp:
            local = src.download_artifacts(run.info.run_id, "", tmp)
            report.artifacts += sum(1 for p in Path(local).rglob("*") if p.is_file())
            dst.log_artifacts(new_id, local)
    dst.set_terminated(new_id, status=run.info.status, end_time=run.info.end_time)
    dst.set_tag(new_id, RUN_TAG, run.info.run_id)  # last: marks the copy whole
    report.run_ids[run.info.run_id] = new_id
    report.runs += 1
    return new_id


def copy_logged_model(src_uri: str, dst, model, experiment_id: str, report: Report) -> str:
    """Copy one logged model (MLflow 3) with its artifacts; MLmodel's ids are rewritten to the copies'."""
    import mlflow.artifacts
    from mlflow.entities import LoggedModelStatus

    previous = dst.search_logged_models(experiment_ids=[experiment_id],
                                        filter_string=f"tags.{MODEL_TAG} = '{model.model_id}'", max_results=1)
    if previous:
        report.model_ids[model.model_id] = previous[0].model_id
        return previous[0].model_id
    run_id = report.run_ids.get(model.source_run_id) if model.source_run_id else None
    new = dst.create_logged_model(experiment_id, name=model.name, source_run_id=run_id,
                                  tags={**model.tags, MODEL_TAG: model.model_id}, params=model.params,
                                  model_type=model.model_type)
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=model.artifact_location, dst_path=tmp,
                                                         tracking_uri=src_uri))
        mlmodel = local / "MLmodel"
        if mlmodel.exists():
            text = mlmodel.read_text(encoding="utf-8").replace(model.model_id, new.model_id)
            if model.source_run_id and run_id:
                text = text.replace(model.source_run_id, run_id)
            mlmodel.write_text(text, encoding="utf-8")
        dst.log_model_artifacts(new.model_id, str(local))
    dst.finalize_logged_model(new.model_id, LoggedModelStatus.READY)
    report.model_ids[model.model_id] = new.model_id
    report.logged_models += 1
    return new.model_id


def copy_registered_model(src, dst, name: str, report: Report) -> None:
    """Copy a registered model, its versions (sources mapped to the copies) and its aliases."""
    from mlflow.exceptions import MlflowException

    model = src.get_registered_model(name)
    try:
        dst.create_registered_model(name, tags=model.tags, description=model.description)
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
    copied = {v.tags.get(VERSION_TAG): v.version for v in dst.search_model_versions(f"name = '{name}'")
              if v.tags.get(VERSION_TAG)}
    versions = {}
    for version in sorted(src.search_model_versions(f"name = '{name}'"), key=lambda v: int(v.version)):
        number = str(version.version)  # an int from a SQL store, a str over REST
        if number in copied:
            versions[number] = str(copied[number])
            report.versions_skipped += 1
            continue
        source = map_source(version.source, report)
        model_id = source[len("models:/"):].split("/", 1)[0] if source.startswith("models:/m-") else None
        new = dst.create_model_version(name, source,
                                       run_id=report.run_ids.get(version.run_id),
                                       tags={**version.tags, VERSION_TAG: number},
                                       description=version.description, model_id=model_id)
        versions[number] = str(new.version)
        report.versions += 1
    for alias, version in (model.aliases or {}).items():
        dst.set_registered_model_alias(name, alias, versions[str(version)])
        report.aliases += 1


def migrate(source_uri: str, target_uri: str) -> Report:
    """Copy everything active in `source_uri` into `target_uri`."""
    from mlflow.entities import ViewType


    if not target_uri:
        raise SystemExit("error: no target store: give --to URI or export MLFLOW_TRACKING_URI")
    source_uri, target_uri = _local_store_uri(source_uri), _local_store_uri(target_uri)
    if source_uri == target_uri:
        raise SystemExit(f"error: --from and --to are the same store ({source_uri})")
    if source_uri.startswith("sqlite:///") and not Path(source_uri[len("sqlite:///"):]).exists():
        raise SystemExit(f"error: the source store {source_uri} does not exist: give --from an existing store")
    check_tracking_server(target_uri)
    src, dst = client(source_uri), client(target_uri)
    report = Report()
    for experiment in src.search_experiments(view_type=ViewType.ACTIVE_ONLY):
        runs = src.search_runs([experiment.experiment_id], run_view_type=ViewType.ACTIVE_ONLY,
                               order_by=["attributes.start_time ASC"], max_results=50000)
        models = src.search_logged_models(experiment_ids=[experiment.experiment_id])
        if not runs and not models and experiment.name == "Default":
            continue
        # No artifact location of our own: on a server, its proxied artifact root is used.
        experiment_id = target_experiment(dst, experiment)
        report.experiments += 1
        for run in runs:
            copy_run(src, dst, run, experiment_id, report)
        for model in models:
            copy_logged_model(source_uri, dst, model, experiment_id, report)
    for registered in src.search_registered_models(max_results=1000):
        copy_registered_model(src, dst, registered.name, report)
    return report


def main(argv: list[str] | None = None) -> int:
    """Command line: --from URI [--to URI]."""
    parser = argparse.ArgumentParser(prog="python -m pipeline.tracking.migrate", description=__doc__.split("\n")[0])
    parser.add_argument("--from", dest="source", required=True, help="the store to copy, e.g. sqlite:///mlflow.db")
    parser.add_argument("--to", dest="target", default=os.environ.get("MLFLOW_TRACKING_URI", ""),
                        help="the store to copy into (default: MLFLOW_TRACKING_URI)")
    args = parser.parse_args(argv)
    if not args.source:
        print("error: give the store to copy: make migrate-store FROM=sqlite:///mlflow.db", file=sys.stderr)
        return 2
    report = migrate(args.source, args.target)
    print(f"migrate-store: {report.experiments} experiments, {report.runs} runs copied "
          f"({report.runs_skipped} copied before), {report.metric_points} metric points, "
          f"{report.artifacts} run artifacts, {report.logged_models} logged models, {report.versions} model "
          f"versions ({report.versions_skipped} copied before), {report.aliases} aliases -> {args.target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
