"""End to end: the `make train` path on the tiny `smoke` config, in a scratch folder
(the `smoke_run` fixture lives in conftest.py, shared with the predict, notebook and UI tests)."""

from __future__ import annotations

import json
import subprocess

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from pipeline.core.config import REPO_ROOT


def test_smoke_run_is_fast_and_idempotent(smoke_run):
    assert smoke_run["seconds"] < 180, f"make train on the smoke config took {smoke_run['seconds']:.0f}s"
    for stage in ("fetch", "ingest", "examples", "train", "evaluate"):
        assert f"pipeline {stage} " in smoke_run["first"]
        assert f"pipeline {stage} " not in smoke_run["second"], f"{stage} reran with nothing changed"
    assert "read 13144 = accepted 13144 + rejected 0" in smoke_run["first"]


def test_smoke_metrics_are_real_and_in_range(smoke_run):
    client = MlflowClient(tracking_uri=smoke_run["tracking_uri"])
    experiment = client.get_experiment_by_name("dse-stance")
    runs = {r.data.tags["model_family"]: r for r in client.search_runs([experiment.experiment_id])}
    assert set(runs) == {"majority", "tfidf"}
    tfidf, majority = runs["tfidf"].data.metrics, runs["majority"].data.metrics
    for key in ("test_macro_f1", "test_micro_f1", "valid_macro_f1", "valid_micro_f1", "test_directed_macro_f1",
                "test_macro_f1_ci_low", "test_macro_f1_ci_high"):
        assert 0.0 <= tfidf[key] <= 1.0, key
    assert tfidf["test_macro_f1_ci_low"] <= tfidf["test_macro_f1"] <= tfidf["test_macro_f1_ci_high"]
    # 2000 training rows: well above the floor, well below the full-data model.
    assert tfidf["test_macro_f1"] > majority["test_macro_f1"] + 0.05
    assert 0.15 < majority["test_macro_f1"] < 0.17  # one of five classes predicted, F1 about 0.79 / 5
    tags = runs["tfidf"].data.tags
    assert len(tags["dse_sha256"]) == 64 and tags["git_commit"]
    inputs = {d.dataset.name: d.dataset.digest for d in runs["tfidf"].inputs.dataset_inputs}
    assert {"dse-train", "dse-valid", "dse-test"} <= set(inputs) and all(inputs.values())
    artifacts = {a.path for a in client.list_artifacts(runs["tfidf"].info.run_id, "evaluation")}
    assert {"evaluation/test_confusion.png", "evaluation/test_per_class.csv",
            "evaluation/test_predictions.parquet", "evaluation/test_metrics.json"} <= artifacts


def test_champion_is_registered_and_loads(smoke_run):
    client = MlflowClient(tracking_uri=smoke_run["tracking_uri"])
    champion = client.get_model_version_by_alias("actor-pair-stance", "champion")
    assert champion.tags["model_family"] == "tfidf"
    mlflow.set_tracking_uri(smoke_run["tracking_uri"])
    model = mlflow.pyfunc.load_model("models:/actor-pair-stance@champion")
    import pandas as pd

    out = model.predict(pd.DataFrame({"text": ["<src>Obama</src> slammed <tgt>Congress</tgt> for the delay."]}))
    assert out.loc[0, "label"] in {"supportive", "hostile", "neutral"}
    assert out[["p_supportive", "p_hostile", "p_neutral"]].sum(axis=1).iloc[0] == pytest.approx(1.0)


def test_resolved_config_is_saved_beside_the_outputs(smoke_run):
    saved = (smoke_run["config"].outputs_dir / "config.yaml").read_text()
    assert "limit_per_split: 2000" in saved
    metrics = json.loads((smoke_run["config"].outputs_dir / "reports" / "tfidf" / "test_metrics.json").read_text())
    assert "test_macro_f1_ci_high" in metrics


def test_a_changed_config_value_reruns_only_what_reads_it(smoke_run):
    """Changing an evaluate setting reruns evaluate alone; fetch..train stay done."""
    def make_train(overrides: list[str]) -> subprocess.CompletedProcess:
        command = ["make", "--no-print-directory", "train", "CONFIG=smoke", f"STATE={smoke_run['root'] / 'state'}",
                   f"ARGS={' '.join(overrides)}"]
        return subprocess.run(command, cwd=REPO_ROOT, env=smoke_run["env"], capture_output=True, text=True,
                              timeout=300)

    try:
        done = make_train([*smoke_run["overrides"], "evaluate.bootstrap_samples=50"])
    finally:  # evaluate again with the smoke run's own settings: later tests read its make state as it was
        restored = make_train(smoke_run["overrides"])
    assert done.returncode == 0, done.stderr[-3000:]
    assert "changed sections: evaluate" in done.stdout
    assert "pipeline evaluate " in done.stdout
    for stage in ("fetch", "ingest", "examples", "train"):
        assert f"pipeline {stage} " not in done.stdout, f"{stage} reran although only evaluate changed"
    assert restored.returncode == 0, restored.stderr[-3000:]
