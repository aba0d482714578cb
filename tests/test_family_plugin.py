"""Adding a classifier family is one new module plus its test: this module is both.

It defines a tiny keyword family, registers it, and takes it through the
normal stages (train, evaluate with the champion, bench-model) and make's
plan, with no edit to the config, the registry or the benchmark. The family
is registered for these tests only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from pipeline.bench import model as bench_model
from pipeline.core import config as config_module
from pipeline.core.config import ExamplesConfig, FamilySettings, load_config
from pipeline.core.labels import PAIR_CLASS_NAMES
from pipeline.core.tables import read_table, write_table
from pipeline.corpora.examples import directed_examples
from pipeline.models import registry
from pipeline.models.base import FitReport, StanceModel
from pipeline.stages import evaluate, train
from pipeline.stages.plan import plan_text


class KeywordSettings(FamilySettings):
    """Which words between the markers make the source supportive of, or hostile to, the target."""

    supportive_words: list[str] = ["praised"]
    hostile_words: list[str] = ["condemned"]


class KeywordModel(StanceModel):
    """Source-to-target stance from keywords; the passive voice ("was praised by") turns it round."""

    def __init__(self, settings: KeywordSettings, markers: ExamplesConfig) -> None:
        super().__init__(markers)
        self.settings = settings

    def fit(self, train: pd.DataFrame, valid: pd.DataFrame, seed: int) -> FitReport:
        return FitReport(params={"words": len(self.settings.supportive_words) + len(self.settings.hostile_words)})

    def _predict_canonical(self, texts: Sequence[str]) -> np.ndarray:
        proba = np.zeros((len(texts), len(PAIR_CLASS_NAMES)))
        for row, text in enumerate(texts):
            passive = " was " in text and " by " in text
            if any(word in text for word in self.settings.supportive_words):
                proba[row, 2 if passive else 1] = 1.0
            elif any(word in text for word in self.settings.hostile_words):
                proba[row, 4 if passive else 3] = 1.0
            else:
                proba[row, 0] = 1.0
        return proba

    def _save_state(self, path: Path) -> dict[str, Any]:
        return {"keyword": self.settings.model_dump(mode="json")}

    @classmethod
    def _load_state(cls, path: Path, settings: dict[str, Any], markers: ExamplesConfig) -> "KeywordModel":
        return cls(KeywordSettings(**settings["keyword"]), markers)


@pytest.fixture
def keyword_family(monkeypatch):
    """The keyword family registered for one test: the registries are restored afterwards."""
    monkeypatch.setattr(registry, "_MODELS", dict(registry._MODELS))
    monkeypatch.setattr(registry, "_SOURCES", dict(registry._SOURCES))
    monkeypatch.setattr(config_module, "_FAMILY_SETTINGS", dict(config_module._FAMILY_SETTINGS))
    registry.register("keyword", KeywordSettings)(KeywordModel)
    return "keyword"


@pytest.fixture
def keyword_run(keyword_family, tiny_rows, tmp_path, monkeypatch):
    """Examples tables from the tiny rows, a config that trains the keyword family, an empty store."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    tables = tmp_path / "tables"
    for split in ("train", "valid", "test"):
        rows = tiny_rows.assign(split=split, row_id=tiny_rows["row_id"].str.replace("train", split))
        write_table(directed_examples(rows, ExamplesConfig()), "examples", tables / f"examples_{split}.parquet")
    return load_config("smoke", [f"paths.tables_dir={tables}", f"paths.outputs_dir={tmp_path / 'outputs'}",
                                 f"mlflow.artifact_location={tmp_path / 'mlruns'}", "train.models=[keyword]",
                                 "train.keyword.hostile_words=[condemned,slammed]",
                                 "mlflow.champion_metric=valid_macro_f1"])  # no SEESAW here: crowned on DSE valid


def test_a_new_family_validates_its_settings_when_the_config_loads(keyword_family):
    config = load_config("smoke", ["train.models=[keyword]", "train.keyword.hostile_words=[slammed]"])
    assert config.train.keyword.hostile_words == ["slammed"]
    assert "keyword" in registry.families()
    with pytest.raises(config_module.ConfigError, match="train.keyword.hostile_words"):
        load_config("smoke", ["train.models=[keyword]", "train.keyword.hostile_words=7"])


def test_a_new_family_trains_evaluates_becomes_champion_and_is_benched(keyword_run, capsys):
    config = keyword_run
    train.run(config)
    evaluate.run(config)

    client = MlflowClient()
    [run] = client.search_runs([client.get_experiment_by_name(config.mlflow.experiment).experiment_id])
    assert run.data.tags["model_family"] == "keyword"
    assert run.data.params["train.keyword.hostile_words"] == '["condemned", "slammed"]'
    # The tiny test split is written so that the keywords and the passive voice get every row right.
    assert run.data.metrics["valid_macro_f1"] == pytest.approx(1.0)
    assert run.data.metrics["test_macro_f1"] == pytest.approx(1.0)
    champion = client.get_model_version_by_alias(config.mlflow.registered_model, config.mlflow.champion_alias)
    assert champion.run_id == run.info.run_id and champion.tags["model_family"] == "keyword"

    bench_model.run(config)
    summary = json.loads((config.outputs_dir / "bench_model.json").read_text(encoding="utf-8"))
    [benched] = summary["families"]
    assert benched["family"] == "keyword" and benched["predict_path"] == "fp32"
    assert list(benched["paths"]) == ["fp32"] and benched["test_macro_f1"] == pytest.approx(1.0)
    assert "keyword" in capsys.readouterr().out
    predictions = read_table(config.outputs_dir / "reports" / "keyword" / "test_predictions.parquet", "predictions")
    assert (predictions["predicted"] == predictions["label"]).all()


def test_make_plans_a_new_family_from_its_own_module(keyword_run):
    plan = plan_text(keyword_run)
    assert "FAMILIES := keyword" in plan
    assert "FAMILY_SOURCES_keyword := tests/test_family_plugin.py" in plan
