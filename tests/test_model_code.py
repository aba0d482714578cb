"""A logged model is code plus data: no pickle in the store, and it loads and predicts."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pandas as pd

from pipeline.core.config import REPO_ROOT, load_config
from pipeline.corpora.examples import directed_examples
from pipeline.models import build_model
from pipeline.tracking.runs import MODEL_CODE


def test_the_pyfunc_is_logged_as_code_and_loads_without_unpickling(tiny_rows, tmp_path):
    config = load_config("default")
    examples = directed_examples(tiny_rows, config.examples)
    model = build_model("majority", config)
    model.fit(examples, examples, seed=0)
    model.save(tmp_path / "model")
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = mlflow.create_experiment("code", artifact_location=str(tmp_path / "artifacts"))
    with mlflow.start_run(experiment_id=experiment):
        info = mlflow.pyfunc.log_model(name="model", python_model=str(MODEL_CODE),
                                       artifacts={"model_dir": str(tmp_path / "model")},
                                       code_paths=[str(REPO_ROOT / "pipeline")])
    logged = Path(mlflow.artifacts.download_artifacts(info.model_uri, dst_path=str(tmp_path / "down")))
    files = [p.relative_to(logged).as_posix() for p in logged.rglob("*") if p.is_file()]
    assert not [f for f in files if f.endswith((".pkl", ".pickle", ".joblib", ".cloudpickle"))], files
    assert "model_code.py" in {Path(f).name for f in files}
    out = mlflow.pyfunc.load_model(info.model_uri).predict(pd.DataFrame({"text": ["<src>A</src> met <tgt>B</tgt>."]}))
    assert list(out.columns)[:2] == ["label", "confidence"] and len(out) == 1
