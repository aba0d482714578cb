"""The model registry: like-for-like promotion, per-config aliases and the lookups stages use.

The store is a real SQLite MLflow store in a temporary folder; versions are
registered from real runs with the tags a training run sets.
"""

from __future__ import annotations

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from pipeline.core.config import load_config
from pipeline.core.decision import DecisionRule
from pipeline.tracking.registry import (
    Candidate,
    choose_best,
    compared_digest,
    config_alias,
    decide_promotion,
    family_version,
    load_stance_model,
    promote_champion,
    register_once,
)

DSE_VALID, SMALL_VALID = "digest-of-dse-valid", "digest-of-a-500-row-sample"


def candidate(version: str, score: float, digest: str = DSE_VALID, config: str = "default", start: int = 0):
    return Candidate(version, "tfidf", config, digest, score, start)


def test_choose_best_compares_only_the_same_valid_data():
    found = [candidate("1", 0.60), candidate("2", 0.95, SMALL_VALID), candidate("3", 0.65)]
    assert choose_best(found, DSE_VALID).version == "3"
    assert choose_best(found, SMALL_VALID).version == "2"
    assert choose_best(found, "never-seen") is None


def test_choose_best_breaks_ties_by_the_later_run():
    assert choose_best([candidate("1", 0.6, start=1), candidate("2", 0.6, start=2)], DSE_VALID).version == "2"


def test_a_version_validated_on_other_data_never_takes_the_champion_unless_forced():
    holder, small = candidate("1", 0.60), candidate("2", 0.99, SMALL_VALID, "smoke")
    assert decide_promotion(small, holder, force=False)[0] is False
    assert decide_promotion(small, holder, force=True)[0] is True
    assert decide_promotion(small, None, force=False)[0] is True


def test_a_whole_article_metric_is_compared_only_on_the_same_candidate_pairs():
    tags = {"valid_digest": DSE_VALID, "valid_e2e_digest": "candidates-1"}
    assert compared_digest(tags, "valid_macro_f1") == DSE_VALID
    assert compared_digest(tags, "valid_e2e_entity_f1") == f"{DSE_VALID}+candidates-1"
    assert compared_digest({"valid_digest": DSE_VALID}, "valid_e2e_entity_f1") == f"{DSE_VALID}+unknown"
    old_front_half = candidate("1", 0.30, compared_digest(tags, "valid_e2e_entity_f1"))
    new_front_half = candidate("2", 0.25, compared_digest(tags | {"valid_e2e_digest": "candidates-2"},
                                                          "valid_e2e_entity_f1"))
    assert choose_best([old_front_half, new_front_half], new_front_half.valid_digest).version == "2"
    assert decide_promotion(new_front_half, old_front_half, force=False) == (
        False, "the champion (version 1, config default) was validated on other data; scores are not comparable")


def test_like_for_like_promotion_needs_a_better_score():
    holder = candidate("1", 0.70)
    assert decide_promotion(candidate("2", 0.71), holder, force=False)[0] is True
    assert decide_promotion(candidate("3", 0.69), holder, force=False)[0] is False
    assert decide_promotion(holder, holder, force=False)[0] is True


@pytest.fixture
def store(tmp_path, monkeypatch):
    """An empty SQLite store the configs below point at."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    overrides = [f"mlflow.artifact_location={tmp_path / 'mlruns'}"]
    return {"default": load_config("default", overrides), "smoke": load_config("smoke", overrides)}


def trained_version(config, family: str, score: float | None, digest: str, monkeypatch,
                    rule: str | None = None) -> str:
    """A run tagged as training logs it, registered as a version (the model artifact is not needed here).
    `score` None: the run has no champion metric; `rule`: its decision_rule tag."""
    mlflow.set_tracking_uri(config.tracking_uri)
    mlflow.set_experiment(config.mlflow.experiment)
    with mlflow.start_run() as run:
        mlflow.set_tags({"model_family": family, "config_name": config.name, "valid_digest": digest,
                         **({"decision_rule": rule} if rule else {})})
        if score is not None:
            mlflow.log_metric(config.mlflow.champion_metric, score)
    client = MlflowClient()
    name = config.mlflow.registered_model
    if not client.search_registered_models(f"name = '{name}'"):
        client.create_registered_model(name)
    # register_once registers through mlflow.register_model; here it registers the plain run source.
    monkeypatch.setattr(mlflow, "register_model", lambda uri, model_name, tags=None: client.create_model_version(
        model_name, uri, run.info.run_id, tags=tags))
    return register_once(name, {"run_id": run.info.run_id, "model_uri": f"{run.info.artifact_uri}/model",
                                "family": family})


def alias_version(config, alias: str) -> str:
    return MlflowClient().get_model_version_by_alias(config.mlflow.registered_model, alias).version


def test_a_small_smoke_run_cannot_displace_the_default_champion(store, monkeypatch):
    default, smoke = store["default"], store["smoke"]
    champion = trained_version(default, "tfidf", 0.65, DSE_VALID, monkeypatch)
    assert promote_champion(default).promoted
    assert alias_version(default, "champion") == champion

    smoke_version = trained_version(smoke, "tfidf", 0.99, SMALL_VALID, monkeypatch)  # a higher score on other data
    outcome = promote_champion(smoke)
    assert not outcome.promoted and outcome.holder == champion and "other data" in outcome.reason
    assert alias_version(default, "champion") == champion
    assert alias_version(smoke, config_alias(smoke)) == smoke_version  # the smoke config keeps its own best

    better = trained_version(default, "transformer", 0.70, DSE_VALID, monkeypatch)
    assert promote_champion(default).promoted and alias_version(default, "champion") == better

    forced = promote_champion(smoke, force=True)
    assert forced.promoted and alias_version(default, "champion") == smoke_version


def test_versions_carry_family_config_and_digest_and_lookups_use_them(store, monkeypatch):
    default, smoke = store["default"], store["smoke"]
    mine = trained_version(default, "tfidf", 0.6, DSE_VALID, monkeypatch)
    trained_version(smoke, "tfidf", 0.7, SMALL_VALID, monkeypatch)  # later, but another config's
    version = family_version(default, "tfidf")
    assert version.version == mine
    assert version.tags == {"model_family": "tfidf", "config_name": "default", "valid_digest": DSE_VALID}
    with pytest.raises(RuntimeError, match="no registered version .* transformer model of config 'default'"):
        family_version(default, "transformer")


def test_register_once_is_idempotent(store, monkeypatch):
    default = store["default"]
    version = trained_version(default, "tfidf", 0.6, DSE_VALID, monkeypatch)
    run_id = MlflowClient().get_model_version(default.mlflow.registered_model, version).run_id
    assert register_once(default.mlflow.registered_model, {"run_id": run_id, "model_uri": "unused",
                                                           "family": "tfidf"}) == version


def test_a_config_without_the_champion_metric_crowns_nothing(store, monkeypatch):
    default, smoke = store["default"], store["smoke"]
    champion = trained_version(default, "tfidf", 0.2, DSE_VALID, monkeypatch)
    assert promote_champion(default).promoted
    trained_version(smoke, "majority", None, SMALL_VALID, monkeypatch)  # majority gets no decision rule
    assert promote_champion(smoke) is None
    assert alias_version(default, "champion") == champion


def test_the_decision_rule_travels_with_the_version_into_the_provenance(store, monkeypatch):
    default = store["default"]
    rule = DecisionRule(entity_threshold=0.7, author_threshold=0.8).to_json()
    version = trained_version(default, "transformer", 0.2, DSE_VALID, monkeypatch, rule=rule)
    assert family_version(default, "transformer").tags["decision_rule"] == rule
    promote_champion(default)
    monkeypatch.setattr(mlflow.pyfunc, "load_model", lambda uri: "a model")
    model, provenance = load_stance_model(default)
    assert provenance["model_version"] == version and DecisionRule.from_json(provenance["decision_rule"]) == \
        DecisionRule(0.7, 0.8)
