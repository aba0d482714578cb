"""stages.train: each configured family (or the ones asked for) is fitted, saved, scored on valid and tracked."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from pipeline.__main__ import main
from pipeline.core.config import ExamplesConfig, load_config
from pipeline.core.decision import DecisionRule
from pipeline.core.tables import write_table
from pipeline.corpora.examples import directed_examples
from pipeline.models import load_model
from pipeline.models.base import TEACHER_COLUMNS
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
                                 "train.tfidf.min_df=1", "train.tfidf.c_grid=[10.0]", "decision.families=[]"])


def seesaw_tables(tiny_rows, config) -> None:
    """SEESAW-like candidate tables (train and valid) from the tiny rows, and the gold counts' report."""
    for split in ("train", "valid"):
        examples = directed_examples(tiny_rows.assign(split=split), ExamplesConfig())
        candidates = examples.assign(origin="mention", source_evidence="named", target_evidence="named",
                                     article_id="a", sentence_id=range(len(examples)), sentence_annotated=True)
        write_table(candidates, "seesaw_examples", config.tables_dir / f"seesaw_examples_{split}.parquet")
    recall = {group: {"scored": n, "matched": n, "recall": 1.0} for group, n in (("entity", 4), ("author", 0))}
    report = {"splits": {"valid": {"candidate_recall": recall}}}
    (config.tables_dir / "seesaw_examples.json").write_text(json.dumps(report), encoding="utf-8")
    # Valid's gold at the article level: two entity triplets (one repeated in another sentence) and
    # one "Not in the list", which is not counted.
    write_table(pd.DataFrame({"article_id": ["a"] * 4, "split": ["valid"] * 4, "sentence_id": [0, 1, 1, 2],
                              "subject": ["Nancy Pelosi", "Nancy Pelosi", "Joe Biden", "Not in the list"],
                              "subject_is_author": [False] * 4, "sentiment": ["NEG", "NEG", "POS", "POS"],
                              "object": ["Donald Trump", "Donald Trump", "Nancy Pelosi", "Joe Biden"]}),
                "seesaw_triplets", config.tables_dir / "seesaw_triplets.parquet")


def test_whole_article_candidates_join_dse_train_with_their_weight(tiny_rows, tiny_config):
    config = tiny_config.model_copy(update={"train": tiny_config.train.model_copy(update={
        "transformer": tiny_config.train.transformer.model_copy(update={"in_domain_weight": 2.0,
                                                                        "in_domain_neutral_per_positive": None})})})
    seesaw_tables(tiny_rows, config)
    dse = train.read_table(config.tables_dir / "examples_train.parquet", "examples")
    joined = train.training_examples(config, "transformer", dse)
    assert len(joined) == len(dse) + len(dse)  # the tiny rows again, as one canonical pair each, two directions
    assert joined["weight"].tolist() == [1.0] * len(dse) + [2.0] * len(dse)
    assert train.training_examples(config, "tfidf", dse)["weight"].eq(1.0).all()  # TF-IDF learns DSE alone


def test_gold_pairs_of_seesaw_train_join_the_in_domain_examples_when_asked(tiny_rows, tiny_config):
    settings = tiny_config.train.transformer.model_copy(update={"in_domain_weight": 2.0,
                                                                "in_domain_neutral_per_positive": None})
    config = tiny_config.model_copy(update={"train": tiny_config.train.model_copy(update={"transformer": settings})})
    seesaw_tables(tiny_rows, config)
    write_table(pd.DataFrame({"article_id": ["a", "a"], "split": ["train", "valid"], "sentence_id": [0, 0],
                              "subject": ["Nancy Pelosi", "Nancy Pelosi"], "subject_is_author": [False, False],
                              "sentiment": ["NEG", "POS"], "object": ["Donald Trump", "Donald Trump"]}),
                "seesaw_triplets", config.tables_dir / "seesaw_triplets.parquet")
    write_table(pd.DataFrame({"article_id": ["a"], "split": ["train"], "sentence_id": [0],
                              "text": ["Pelosi attacked Trump on Friday."]}),
                "seesaw_sentences", config.tables_dir / "seesaw_sentences.parquet")
    dse = train.read_table(config.tables_dir / "examples_train.parquet", "examples")
    without = train.training_examples(config, "transformer", dse)
    with_gold = settings.model_copy(update={"in_domain_gold_pairs": True})
    config = config.model_copy(update={"train": config.train.model_copy(update={"transformer": with_gold})})
    joined = train.training_examples(config, "transformer", dse)
    added = joined.iloc[len(without):]
    assert len(added) == 2 and added["in_domain"].all() and added["weight"].eq(2.0).all()  # one pair, two directions
    assert set(added["text"]) == {"<src>Pelosi</src> attacked <tgt>Trump</tgt> on Friday.",
                                  "<tgt>Pelosi</tgt> attacked <src>Trump</src> on Friday."}
    assert sorted(added["label"]) == ["hostile", "neutral"]  # Pelosi -> Trump hostile; Trump -> Pelosi none


def test_a_teacher_labels_every_training_row_with_its_pair_class_probabilities(tiny_config, tmp_path):
    dse = train.read_table(tiny_config.tables_dir / "examples_train.parquet", "examples")
    train.run(tiny_config, ["tfidf"])
    teacher = tiny_config.outputs_dir / "models" / "tfidf" / "model"
    labelled = train.with_teacher(dse.assign(weight=1.0, in_domain=False), str(teacher), "transformer")
    expected = load_model(teacher).predict_pair_proba(dse["text"].tolist())
    assert labelled[list(TEACHER_COLUMNS)].to_numpy() == pytest.approx(expected)
    assert len(labelled) == len(dse) and labelled["text"].tolist() == dse["text"].tolist()
    some = train.with_teacher(dse.assign(weight=1.0, in_domain=False), str(teacher), "transformer", dse.index[:2])
    assert some[list(TEACHER_COLUMNS)].iloc[:2].to_numpy() == pytest.approx(expected[:2])
    assert some[list(TEACHER_COLUMNS)].iloc[2:].isna().all().all()  # the others learn from gold alone
    with pytest.raises(RuntimeError, match="no saved stance model for train.transformer.teacher"):
        train.with_teacher(dse, str(tmp_path / "nowhere"), "transformer")


def test_a_rule_family_gets_its_decision_rule_on_seesaw_valid(tiny_rows, tiny_config):
    config = load_config("smoke", [f"paths.tables_dir={tiny_config.tables_dir}",
                                   f"paths.outputs_dir={tiny_config.paths.outputs_dir}",
                                   f"mlflow.artifact_location={tiny_config.mlflow.artifact_location}",
                                   "train.models=[majority]", "decision.families=[majority]"])
    seesaw_tables(tiny_rows, config)
    train.run(config)
    run_info = json.loads((config.outputs_dir / "models" / "majority" / "run.json").read_text(encoding="utf-8"))
    run = MlflowClient().get_run(run_info["run_id"])
    rule = DecisionRule.from_json(run.data.tags["decision_rule"])
    assert rule.entity_threshold is not None and rule.author_threshold is None  # no author candidates
    assert rule.article_entity_threshold is not None and rule.article_author_threshold is None
    # The default tries a gate on the author's claims alone (there are none here) and pools no polarity.
    assert config.decision.claim_gate == ["author"] and config.decision.polarity_pooling == 0.0
    assert rule.gate_entity_threshold is rule.gate_author_threshold is rule.polarity_pooling is None
    metrics = run.data.metrics
    assert metrics["valid_e2e_entity_f1"] == metrics["valid_e2e_entity_ungated_f1"]
    assert train.article_gold(config) == {"entity": 2, "author": 0}
    assert 0.0 <= run.data.metrics["valid_e2e_article_entity_f1"] <= 1.0
    assert run.data.tags["valid_e2e_digest"] == train.labelled_candidates(
        train.read_table(config.tables_dir / "seesaw_examples_valid.parquet", "seesaw_examples"), config).digest()
    assert 0.0 <= run.data.metrics["valid_e2e_entity_f1"] <= 1.0 and run.data.metrics["valid_e2e_candidates"] == 10
    proba = train.read_table(config.outputs_dir / "models" / "majority" / "seesaw_valid_proba.parquet",
                             "seesaw_valid_proba")
    assert len(proba) == 10 and proba[["p_supportive", "p_hostile", "p_neutral"]].sum(axis=1).round(6).eq(1).all()


def _scored_candidates(n_articles: int = 20) -> tuple[pd.DataFrame, np.ndarray]:
    """Candidates of `n_articles` articles where the gold stances lie on the pairs of each article's most
    prominent actor (in every pair) while the probabilities barely tell them apart: salience decides."""
    rows, proba = [], []
    rng = np.random.default_rng(5)
    for a in range(n_articles):
        for i in range(12):
            main_pair = i % 2 == 0  # "Main" is the source of every other pair and the target of the rest
            source, target = ("Main", f"X{i}") if main_pair else (f"Y{i}", f"Z{i}")
            gold = "hostile" if main_pair and i % 4 == 0 else "neutral"
            rows.append({"article_id": f"a{a}", "source": source, "target": target, "origin": "mention",
                         "label": gold})
            p_hostile = rng.uniform(0.3, 0.5)
            proba.append([0.05, p_hostile, 0.95 - p_hostile])
    return pd.DataFrame(rows), np.array(proba)


def test_a_claim_scorer_joins_the_rule_where_it_beats_the_threshold_out_of_fold():
    candidates, proba = _scored_candidates()
    config = load_config("smoke", ["decision.claim_scorer=[entity]"])
    n_gold = {"entity": int((candidates["label"] != "neutral").sum()), "author": 0}
    baseline = DecisionRule(entity_threshold=0.3)
    figures = {"entity_rule_f1": 0.4}
    rule, found = train.with_claim_scorer(baseline, candidates, proba, n_gold, config, figures)
    assert rule.entity_scorer is not None and rule.entity_threshold == found["entity_scorer_threshold"]
    assert found["entity_rule_f1"] == found["entity_scorer_f1"] > 0.4  # the out-of-fold figure is the rule's
    assert rule.author_scorer is None and rule.author_threshold is None
    # Where the threshold rule already does as well, the rule stays as it was (the scorer's figures are logged).
    kept, found = train.with_claim_scorer(baseline, candidates, proba, n_gold, config, {"entity_rule_f1": 1.0})
    assert kept == baseline and "entity_scorer_f1" in found and "entity_rule_f1" not in found


def test_a_group_is_scored_or_gated_never_both():
    with pytest.raises(ValueError, match="a group's claims are ranked by the scorer or gated, not both"):
        load_config("smoke", ["decision.claim_scorer=[author]"])  # the default gates the author's claims
    assert load_config("default").decision.claim_scorer == []


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
