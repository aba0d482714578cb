"""bench-e2e-speed: FLOPs, figures, label agreement, the config section, and a run with fake models."""

from __future__ import annotations

import json
import re
from collections import Counter
from types import SimpleNamespace

import pandas as pd
import pytest
import torch
from mlflow.tracking import MlflowClient

from pipeline.__main__ import STAGES
from pipeline.bench import speed as S
from pipeline.core.config import ConfigError, SpeedConfig, load_config
from pipeline.core.decision import DecisionRule
from pipeline.core.labels import HOSTILE, LABELS, NEUTRAL

# ------------------------------------------------------------------ FLOPs ---

SHAPE = S.EncoderShape(hidden=4, intermediate=16, layers=2)


def test_encoder_flops_match_a_hand_count():
    # Two texts of 3 and 5 tokens. Per text and layer: 2T(4H² + 2HI) + 4T²H = 384T + 16T².
    by_hand = 2 * ((384 * 3 + 16 * 9) + (384 * 5 + 16 * 25))
    assert by_hand == 7232
    assert S.encoder_flops(SHAPE, tokens=3 + 5, tokens_squared=9 + 25) == by_hand
    assert S.counted_flops(SHAPE, {"texts": 2, "tokens": 8, "tokens_squared": 34}) == (7232.0, False)


def test_without_squared_lengths_the_attention_term_is_a_mean_length_lower_bound():
    flops, estimated = S.counted_flops(SHAPE, {"texts": 2, "tokens": 8, "pairs": 5})
    assert estimated and flops == S.encoder_flops(SHAPE, 8, 8 * 8 / 2) < 7232
    assert S.counted_flops(SHAPE, {"texts": 0, "tokens": 0}) == (0.0, True)


def test_encoder_shape_reads_a_hugging_face_config():
    from transformers import BertConfig, DistilBertConfig

    bert = BertConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=3, num_attention_heads=4)
    assert S.EncoderShape.of(bert) == S.EncoderShape(32, 64, 3)
    distilbert = DistilBertConfig(dim=48, hidden_dim=96, n_layers=2, n_heads=4)
    assert S.EncoderShape.of(distilbert) == S.EncoderShape(48, 96, 2)
    model = SimpleNamespace(networks=[SimpleNamespace(encoder=SimpleNamespace(config=bert))])
    assert S.encoder_shape(model) == S.EncoderShape(32, 64, 3) and S.encoder_shape(None) is None


@pytest.mark.parametrize("path, kernel", [("fp32", "float32"), ("bf16", "bfloat16"), ("int8", "int")])
def test_the_ceiling_probe_times_a_matmul_in_the_paths_arithmetic(path, kernel):
    ceiling = S.matmul_ceiling(path, size=64, repeats=2)
    assert ceiling["gflops_per_s"] > 0 and ceiling["threads"] == torch.get_num_threads()
    assert kernel in ceiling["kernel"] or "unavailable" in ceiling["kernel"]


def test_without_an_int8_kernel_the_ceiling_is_the_fp32_one_and_says_so(monkeypatch):
    def unavailable(a, b):
        raise RuntimeError("no int8 matmul here")

    monkeypatch.setattr(torch, "_int_mm", unavailable, raising=False)
    ceiling = S.matmul_ceiling("int8", size=64, repeats=1)
    assert ceiling["kernel"].startswith("torch.matmul float32") and "int8 kernel unavailable" in ceiling["kernel"]


# ---------------------------------------------------------------- figures ---

def test_speed_figures_arithmetic():
    figures = S.speed_figures(n_articles=12, front_seconds=2.0, model_seconds=3.0, tables_seconds=1.0,
                              n_texts=48, n_pairs=144, flops=6e9, ceiling_gflops=8.0)
    assert figures["end_to_end_seconds"] == 6.0 and figures["articles_per_s"] == 2.0
    assert figures["texts_per_article"] == 4.0 and figures["pairs_per_article"] == 12.0
    assert figures["model_texts_per_s"] == 16.0 and figures["model_pairs_per_s"] == 48.0
    assert figures["model_gflops_per_s"] == 2.0 and figures["ceiling_share"] == 0.25


def test_undefined_figures_are_none():
    figures = S.speed_figures(0, 1.0, 0.0, 0.0, 0, 0, flops=None, ceiling_gflops=None)
    assert figures["texts_per_article"] is None and figures["model_texts_per_s"] is None
    assert figures["model_gflops_per_s"] is None and figures["ceiling_share"] is None
    assert S.ratio(1.0, None) is None and S.ratio(None, 2.0) is None and S.ratio(3.0, 2.0) == 1.5


def test_label_agreement():
    fp32 = pd.Series([HOSTILE, NEUTRAL, NEUTRAL, "supportive"])
    assert S.label_agreement(fp32, fp32) == 1.0
    assert S.label_agreement(pd.Series([HOSTILE, NEUTRAL, HOSTILE, NEUTRAL]), fp32) == 0.5
    assert S.label_agreement(pd.Series([], dtype=object), pd.Series([], dtype=object)) is None
    with pytest.raises(ValueError, match="reference labels"):
        S.label_agreement(fp32.head(2), fp32)


def test_paths_to_measure_skips_what_a_model_does_not_offer():
    assert S.paths_to_measure(["fp32", "int8"], "int8", []) == (["int8"], [])
    paths, notes = S.paths_to_measure(["fp32", "int8"], "int8", ["bf16", "int8", "fp32"])
    assert paths == ["int8", "fp32"] and len(notes) == 1 and "bf16 skipped" in notes[0]
    assert S.paths_to_measure([], "fp32", ["int8", "fp32"])[0] == ["fp32"]  # one path: the configured one


def test_counted_model_finds_a_hybrids_transformer_member():
    transformer = SimpleNamespace(read_counts={"texts": 0})
    assert S.counted_model(transformer) is transformer
    assert S.counted_model(SimpleNamespace(members=[SimpleNamespace(), transformer])) is transformer
    assert S.counted_model(SimpleNamespace(members=[SimpleNamespace()])) is None and S.counted_model(None) is None


def test_stance_tables_count_every_pair_and_affiliations_default_to_the_actor():
    pairs = pd.DataFrame({"article_id": ["x", "x", "y"], "source": ["A", "A", "B"], "target": ["B", "B", "A"],
                          "source_affiliation": ["Land", "Land", None], "target_affiliation": [None, None, "Land"],
                          "origin": ["mention", "mention", "speaker"]})
    labels = pd.DataFrame({"label": [HOSTILE, NEUTRAL, HOSTILE], "confidence": [0.9, 0.8, 0.7],
                           "p_supportive": [0.05, 0.1, 0.1], "p_hostile": [0.9, 0.1, 0.7]})
    articles = pd.DataFrame({"article_id": ["x", "y", "z"], "title": ["X", "Y", "Z"]})
    rule = DecisionRule(article_entity_threshold=0.8)
    stance_pairs, stance_articles, article_pairs = S.stance_tables(pairs, labels, articles, Counter({"x": 2, "y": 1}),
                                                                   rule)
    assert article_pairs[["article_id", "n_claims", "label"]].values.tolist() == [["x", 2, HOSTILE], ["y", 1, NEUTRAL]]
    assert stance_articles["n_pairs"].tolist() == [2, 1, 0] and stance_articles["n_claims"].tolist() == [2, 1, 0]
    assert stance_articles["n_hostile"].tolist() == [1, 1, 0]
    affiliation = stance_pairs[stance_pairs["level"] == "affiliation"]
    assert set(zip(affiliation["source"], affiliation["target"])) == {("Land", "B"), ("B", "Land")}
    with pytest.raises(ValueError, match="labels for"):
        S.stance_tables(pairs, labels.head(1), articles, Counter())


# ----------------------------------------------------------------- config ---

def test_speed_section_defaults():
    speed = load_config("default").speed
    assert speed == SpeedConfig()
    assert speed.models == ["champion"] and speed.paths == [] and speed.limit_articles is None
    assert speed.experiment == "speed" and speed.ceiling_repeats >= 1


def test_speed_section_takes_registered_versions_and_paths():
    speed = load_config("default", ["speed.models=[champion,models:/actor-pair-stance/7]",
                                    "speed.paths=[bf16,int8,fp32]"]).speed
    assert speed.models == ["champion", "models:/actor-pair-stance/7"] and speed.paths == ["bf16", "int8", "fp32"]


@pytest.mark.parametrize("override, message", [
    ("speed.paths=[fp16]", r"key 'speed\.paths\.0': Input should be 'fp32', 'bf16' or 'int8'"),
    ("speed.paths=[int8,int8]", r"key 'speed\.paths': lists \['int8'\] more than once"),
    ("speed.models=[tfidf]", r"key 'speed\.models': \['tfidf'\] name no model"),
    ("speed.models=[]", r"key 'speed\.models': must not be empty"),
    ("speed.limit_articles=0", r"key 'speed\.limit_articles'"),
    ("speed.ceiling_repeats=0", r"key 'speed\.ceiling_repeats'"),
])
def test_speed_section_rejects_bad_values_naming_the_key(override, message):
    with pytest.raises(ConfigError, match=message):
        load_config("default", [override])


def test_the_stage_is_registered():
    assert STAGES["bench-e2e-speed"] == "pipeline.bench.speed:run"


# -------------------------------------------------------------------- run ---

TEXTS = ["President Obama criticized Congress on Friday.", "He said Republicans were to blame.",
         "The Senate voted on Tuesday."]


def tiny_seesaw() -> dict[str, pd.DataFrame]:
    """One SEESAW-like valid article with one gold triplet (and an article the limit leaves out)."""
    return {
        "articles": pd.DataFrame({"article_id": ["x", "w"], "outlet": ["CNN", "CNN"], "title": ["X", "W"]}),
        "sentences": pd.DataFrame({"article_id": ["x"] * 3 + ["w"], "sentence_id": [0, 1, 2, 0],
                                   "text": [*TEXTS, "Nobody said anything."]}),
        "entities": pd.DataFrame({"article_id": ["x"], "name": ["Barack Obama"]}),
        "triplets": pd.DataFrame({"article_id": ["x"], "sentence_id": [0], "subject": ["Barack Obama"],
                                  "subject_is_author": [False], "sentiment": ["NEG"], "object": ["Congress"]}),
    }


class FakeTransformer:
    """Reads each distinct claim text once and counts it; int8 calls nothing hostile."""

    def __init__(self) -> None:
        self.read_counts = {"texts": 0, "tokens": 0, "tokens_squared": 0, "pairs": 0}
        self.path = "fp32"
        config = SimpleNamespace(hidden_size=8, intermediate_size=32, num_hidden_layers=2)
        self.networks = [SimpleNamespace(encoder=SimpleNamespace(config=config))]

    def prediction_paths(self) -> list[str]:
        return ["fp32", "int8"]

    def set_prediction_path(self, path: str) -> None:
        self.path = path

    def configured_prediction_path(self) -> str:
        return "int8"

    def labels(self, texts: list[str]) -> list[str]:
        distinct = {re.sub(r"</?(src|tgt)>", "", text) for text in texts}  # one read per claim, as one_pass
        lengths = [len(t.split()) for t in distinct]
        self.read_counts["texts"] += len(distinct)
        self.read_counts["tokens"] += sum(lengths)
        self.read_counts["tokens_squared"] += sum(n * n for n in lengths)
        self.read_counts["pairs"] += len(texts)
        return [HOSTILE if self.path == "fp32" and "criticized" in t else NEUTRAL for t in texts]


class FakeTfidf:
    """One path, nothing counted."""

    def prediction_paths(self) -> list[str]:
        return []

    def configured_prediction_path(self) -> str:
        return "fp32"

    def labels(self, texts: list[str]) -> list[str]:
        return [HOSTILE if "blame" in t else NEUTRAL for t in texts]


class FakePyfunc:
    """The pyfunc contract over a fake stance model, unwrappable like a loaded StancePyfunc."""

    def __init__(self, model) -> None:
        self.model = model

    def unwrap_python_model(self):
        return SimpleNamespace(model=self.model)

    def predict(self, data: pd.DataFrame) -> pd.DataFrame:
        labels = self.model.labels(data["text"].tolist())
        return pd.DataFrame({"label": labels, "confidence": 0.9,
                             **{f"p_{name}": [0.9 if name == label else 0.05 for label in labels] for name in LABELS}})


def fake_load_stance_model(config):
    """The champion (predict.model_uri unset) is the fake transformer; any other URI the fake TF-IDF."""
    if config.predict.model_uri is None:
        return FakePyfunc(FakeTransformer()), {"model_uri": "models:/actor-pair-stance@champion",
                                               "model_version": "3", "model_family": "transformer",
                                               "decision_rule": None}
    return FakePyfunc(FakeTfidf()), {"model_uri": config.predict.model_uri, "model_version": "2",
                                     "model_family": "tfidf", "decision_rule": '{"entity_threshold": 0.5}'}


def test_run_writes_one_entry_per_model_and_path_and_logs_each(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv("PIPELINE_PROGRESS", "0")
    monkeypatch.setattr(S, "load_seesaw", lambda config: tiny_seesaw())
    monkeypatch.setattr(S, "load_stance_model", fake_load_stance_model)
    config = load_config("default", [
        f"paths.outputs_dir={tmp_path / 'outputs'}", f"mlflow.artifact_location={tmp_path / 'mlruns'}",
        "speed.models=[champion,models:/actor-pair-stance/2]", "speed.paths=[fp32,int8,bf16]",
        "speed.limit_articles=1", "speed.warmup_texts=2", "speed.ceiling_size=64", "speed.ceiling_repeats=1"])
    S.run(config)

    found = json.loads((tmp_path / "outputs" / "default" / "speed" / "bench_e2e_speed.json").read_text())
    entries = {(e["model"], e["path"]): e for e in found["entries"]}
    assert set(entries) == {("champion", "fp32"), ("champion", "int8"), ("models:/actor-pair-stance/2", "fp32")}
    assert len(found["notes"]) == 3 and all("skipped" in note for note in found["notes"])  # bf16; int8 and bf16
    assert found["n_articles"] == 1 and found["machine"]["cpu"]
    fp32, int8, tfidf = entries[("champion", "fp32")], entries[("champion", "int8")], \
        entries[("models:/actor-pair-stance/2", "fp32")]
    n_pairs = fp32["n_pairs"]
    assert 0 < fp32["n_texts"] <= len(TEXTS) < n_pairs  # distinct texts read, not pairs
    assert fp32["texts_per_article"] == fp32["n_texts"] and fp32["pairs_per_article"] == n_pairs
    assert fp32["articles_per_s"] == pytest.approx(
        1 / (fp32["front_seconds"] + fp32["model_seconds"] + fp32["tables_seconds"]))
    assert fp32["flops"] > 0 and fp32["attention_flops_estimated"] is False
    assert fp32["ceiling_share"] == pytest.approx(fp32["model_gflops_per_s"] / fp32["ceiling_gflops_per_s"])
    assert set(found["ceilings"]) == {"fp32", "int8"}
    assert fp32["label_agreement_with_fp32"] == 1.0 and fp32["entity_strict_f1"] > 0
    assert int8["label_agreement_with_fp32"] == pytest.approx(1 - fp32["n_predicted"] / n_pairs)
    assert int8["n_predicted"] == 0 and int8["entity_strict_f1"] == 0.0
    assert tfidf["n_texts"] == n_pairs and tfidf["flops"] is None and tfidf["ceiling_share"] is None
    assert tfidf["texts_counted"] is False and tfidf["model_family"] == "tfidf"

    printed = capsys.readouterr().out
    assert "articles/s" in printed and "art/s" in printed and "CPU:" in printed and "note:" in printed

    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    runs = client.search_runs([client.get_experiment_by_name("speed").experiment_id])
    logged = {(r.data.tags["model"], r.data.params["path"]): r for r in runs}
    assert set(logged) == set(entries)
    run = logged[("champion", "int8")]
    assert run.data.params["model_family"] == "transformer" and run.data.params["n_articles"] == "1"
    assert run.data.tags["cpu"] == found["machine"]["cpu"] and run.data.tags["git_commit"]
    assert run.data.metrics["articles_per_s"] == pytest.approx(int8["articles_per_s"])
    assert run.data.metrics["entity_lenient_f1"] == int8["entity_lenient_f1"]
    assert "ceiling_share" not in logged[("models:/actor-pair-stance/2", "fp32")].data.metrics
