"""stages.train: each configured family (or the ones asked for) is fitted, saved, scored on valid and tracked."""

from __future__ import annotations

import json

import pytest
from mlflow.tracking import MlflowClient

from pipeline.__main__ import main
from pipeline.core.config import ExamplesConfig, load_config
from pipeline.core.tables import write_table
from pipeline.corpora.examples import directed_examples
from pipeline.models import load_model
from pipeline.stages import train


@pytest.fixture
def tiny_config(tiny_rows, tmp_path, monkeypatch):
    """Examples tables of the tiny rows for every split, and a config over them with an empty store."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    for split in ("train", "valid", "test"):
        rows = tiny_rows.assign(split=split, row_id=tiny_rows["row_id"].str.replace("train", split))
        write_table(directed_examples(rows, ExamplesConfig()), "examples",
                    tmp_path / "tables" / f"examples_{split}.parquet")
    return load_config("smoke", [f"paths.tables_dir={tmp_path / 'tables'}", f"paths.outputs_dir={tmp_path / 'out'}",
                                 f"mlflow.artifact_location={tmp_path / 'mlruns'}", "train.models=[majority,tfidf]",
                                 "train.tfidf.min_df=1", "train.tfidf.c_grid=[10.0]"])


def test_train_fits_saves_and_tracks_only_the_families_asked_for(tiny_config, capsys):
    train.run(tiny_config, families=["majority"])
    models = tiny_config.outputs_dir / "models"
    assert sorted(p.name for p in models.iterdir()) == ["majority"]
    run_info = json.loads((models / "majority" / "run.json").read_text(encoding="utf-8"))
    assert load_model(models / "majority" / "model").family == "majority"
    run = MlflowClient().get_run(run_info["run_id"])
    assert run.data.tags["model_family"] == "majority" and run.data.tags["config_name"] == "smoke"
    # Five rows, one per class: the prior is flat, argmax picks class 0, one row in five is right.
    assert run.data.metrics["valid_micro_f1"] == pytest.approx(0.2)
    assert run.data.metrics["valid_macro_f1"] == pytest.approx((2 * 0.2 / 1.2) / 5)
    assert "train majority: valid macro-F1" in capsys.readouterr().out
    assert (tiny_config.outputs_dir / "config.yaml").exists()


@pytest.mark.slow  # fits TF-IDF
def test_train_without_families_fits_every_configured_one(tiny_config):
    train.run(tiny_config)
    assert sorted(p.name for p in (tiny_config.outputs_dir / "models").iterdir()) == ["majority", "tfidf"]


def test_the_family_option_is_refused_for_other_stages(capsys):
    with pytest.raises(SystemExit):
        main(["fetch", "--family", "tfidf"])
    assert "--family goes with train or evaluate" in capsys.readouterr().err
