"""eval-pairs: the scored triplets, the marked texts, the two readings, the article bootstrap, and a fast run."""

from __future__ import annotations

import json
import re
from contextlib import nullcontext

import numpy as np
import pandas as pd
import pytest

from pipeline.bench import pairs_given as P
from pipeline.core.config import load_config
from pipeline.core.metrics import bootstrap_interval
from pipeline.core.tables import read_table
from pipeline.frontend import gold_examples as G

CONFIG = load_config("default")
MARKERS, LEXICON = CONFIG.examples, CONFIG.lexicon


def triplets_frame(rows):
    """seesaw_triplets-like rows from (article, sentence, subject, is_author, sentiment, object)."""
    return pd.DataFrame(rows, columns=["article_id", "sentence_id", "subject", "subject_is_author", "sentiment",
                                       "object"]).assign(split="valid")


def test_triplets_leave_out_authors_unlisted_and_duplicates_and_reconcile():
    frame = triplets_frame([
        ("a", 0, "Donald Trump", False, "NEG", "Nancy Pelosi"),
        ("a", 0, "Donald Trump", False, "NEG", "Nancy Pelosi"),  # duplicate
        ("a", 1, None, True, "POS", "Donald Trump"),  # author
        ("a", 2, "Not in the list", False, "NEG", "Nancy Pelosi"),  # unlisted subject
        ("b", 0, "Nancy Pelosi", False, "POS", "Not in the list"),  # unlisted object
        ("b", 1, "Nancy Pelosi", False, "POS", "Donald Trump"),
        ("b", 1, "Nancy Pelosi", False, "NEG", "Donald Trump"),  # same pair, other polarity: not a duplicate
    ])
    kept, counts = P.pair_given_triplets(frame)
    assert counts == {"n_read": 7, "n_kept": 3, "n_author": 1, "n_not_listed": 2, "n_duplicate": 1}
    assert counts["n_read"] == counts["n_kept"] + counts["n_author"] + counts["n_not_listed"] + counts["n_duplicate"]
    assert kept[["article_id", "subject", "object", "sentiment"]].values.tolist() == [
        ["a", "Donald Trump", "Nancy Pelosi", "NEG"], ["b", "Nancy Pelosi", "Donald Trump", "POS"],
        ["b", "Nancy Pelosi", "Donald Trump", "NEG"]]
    with pytest.raises(ValueError, match="unknown sentiments"):
        P.pair_given_triplets(frame.assign(sentiment="MEH"))


def test_article_gold_counts_one_triplet_per_article_pair_and_polarity():
    frame = triplets_frame([
        ("a", 0, "Donald Trump", False, "NEG", "Nancy Pelosi"),
        ("a", 3, "Donald Trump", False, "NEG", "Nancy Pelosi"),  # the same stance in another sentence
        ("a", 4, "Donald Trump", False, "POS", "Nancy Pelosi"),  # the other polarity counts apart
        ("a", 1, None, True, "POS", "Donald Trump"),
        ("a", 2, None, True, "POS", "Donald Trump"),
        ("a", 2, "Not in the list", False, "NEG", "Nancy Pelosi"),
        ("b", 0, None, True, "NEG", "Not in the list"),
        ("b", 1, "Donald Trump", False, "NEG", "Nancy Pelosi"),  # another article
    ])
    assert G.article_gold_counts(frame) == {"entity": 3, "author": 1}


def marks(text: str) -> list[tuple[str, str]]:
    """The (marker, inner text) of every marked span."""
    return re.findall(r"<(src|tgt)>(.*?)</\1>", text)


def no_overlap(text: str) -> bool:
    """The markers are well nested: each closes before the other opens."""
    return re.fullmatch(r"[^<]*(?:<(src|tgt)>[^<]*</\1>[^<]*)*", text) is not None


def test_both_entities_marked_in_place_when_present():
    text = P.pair_text("Nancy Pelosi attacked Donald Trump on Friday.", "Nancy Pelosi", "Donald Trump", MARKERS, LEXICON)
    assert text == "<src>Nancy Pelosi</src> attacked <tgt>Donald Trump</tgt> on Friday."


def test_a_name_given_in_full_is_found_by_its_surname_case_insensitively():
    text = P.pair_text("PELOSI said that President Trump lied.", "Nancy Pelosi", "Donald Trump", MARKERS, LEXICON)
    assert text == "<src>PELOSI</src> said that President <tgt>Trump</tgt> lied."
    # whole words only: "Trumpet" is no Trump
    assert G.name_spans("Donald Trump", "The Trumpet sounded.", LEXICON) == []


def test_absent_entities_are_named_in_the_prefix_forms():
    sentence = "Pelosi spoke on Friday."
    assert P.pair_text(sentence, "Nancy Pelosi", "Donald Trump", MARKERS, LEXICON) == \
        "On <tgt>Donald Trump</tgt>: <src>Pelosi</src> spoke on Friday."
    assert P.pair_text(sentence, "Mitch McConnell", "Nancy Pelosi", MARKERS, LEXICON) == \
        "<src>Mitch McConnell</src>: <tgt>Pelosi</tgt> spoke on Friday."
    assert P.pair_text("It rained.", "Mitch McConnell", "Nancy Pelosi", MARKERS, LEXICON) == \
        "<src>Mitch McConnell</src> on <tgt>Nancy Pelosi</tgt>: It rained."


def test_marks_never_overlap():
    # the subject's name lies inside the object's: the longer is placed first, the other elsewhere or prefixed
    both = P.pair_text("The Trump administration defended Trump.", "Donald Trump", "Trump administration",
                       MARKERS, LEXICON)
    assert no_overlap(both) and marks(both) == [("tgt", "Trump administration"), ("src", "Trump")]
    once = P.pair_text("The Trump administration spoke.", "Donald Trump", "Trump administration", MARKERS, LEXICON)
    assert no_overlap(once) and once == "<src>Donald Trump</src>: The <tgt>Trump administration</tgt> spoke."
    same = P.pair_text("Trump praised Trump.", "Donald Trump", "Trump", MARKERS, LEXICON)
    assert no_overlap(same) and len(marks(same)) == 2


def test_forced_and_open_readings_on_known_answers():
    gold = pd.Series(["POS", "NEG", "NEG", "POS"])
    p_sup = np.array([0.6, 0.2, 0.5, 0.1])
    p_hos = np.array([0.3, 0.7, 0.1, 0.2])
    p_neu = np.array([0.1, 0.1, 0.4, 0.7])
    # forced: POS, NEG, POS, NEG -> 2 of 4 right; open: POS, NEG, POS, neutral -> 2 right of 3 answered, 4 gold
    m = P.score_pair_given(gold, p_sup, p_hos, p_neu)
    assert m["forced_micro_f1"] == pytest.approx(0.5) and m["forced_n_correct"] == 2
    assert m["open_micro_precision"] == pytest.approx(2 / 3) and m["open_micro_recall"] == pytest.approx(0.5)
    assert m["open_micro_f1"] == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5)) and m["open_n_neutral"] == 1
    assert m["forced_POS_precision"] == pytest.approx(0.5) and m["forced_POS_recall"] == pytest.approx(0.5)
    assert m["forced_NEG_f1"] == pytest.approx(0.5)
    tie = P.score_pair_given(pd.Series(["POS"]), [0.4], [0.4], [0.2])  # a tie goes to POS
    assert tie["forced_micro_f1"] == 1.0
    with pytest.raises(ValueError, match="gold polarities"):
        P.score_pair_given(pd.Series(["neutral"]), [0.4], [0.4], [0.2])


def test_pooled_reading_blends_each_sentence_with_its_articles_same_pair():
    scored = pd.DataFrame({"article_id": ["a", "a", "a", "b"], "subject": ["X", "X", "Y", "X"],
                           "object": ["Y", "Y", "X", "Y"]})
    p_supportive, p_hostile = np.array([0.6, 0.05, 0.6, 0.6]), np.array([0.4, 0.9, 0.4, 0.4])
    # a's X -> Y: log-odds 0.41 and -2.89, mean -1.24; half and half the first reads NEG. Y -> X and b's
    # X -> Y stand alone.
    assert P.pooled_polarity(scored, p_supportive, p_hostile, 0.5).tolist() == ["NEG", "NEG", "POS", "POS"]
    assert P.pooled_polarity(scored, p_supportive, p_hostile, 0.0).tolist() == ["POS", "NEG", "POS", "POS"]


def test_article_bootstrap_contains_the_estimate_and_is_seeded():
    rng = np.random.default_rng(3)
    n = 200
    gold = pd.Series(rng.choice(["POS", "NEG"], n))
    p_sup = rng.random(n)
    p_hos = np.where(rng.random(n) < 0.8, np.where(gold == "POS", 0.0, 2.0), rng.random(n))  # 80 % forced right
    articles = pd.Series([f"a{i // 5}" for i in range(n)])
    point = P.score_pair_given(gold, p_sup, p_hos, np.zeros(n))["forced_micro_f1"]
    low, high = P.forced_interval(gold, p_sup, p_hos, articles, samples=300, seed=7)
    assert low <= point <= high and low < high
    assert (low, high) == P.forced_interval(gold, p_sup, p_hos, articles, samples=300, seed=7)
    other_low, other_high = P.forced_interval(gold, p_sup, p_hos, articles, samples=300, seed=8)
    assert other_low <= point <= other_high


def test_articles_are_resampled_whole():
    # each article is all right or all wrong: every resample's score is a share of whole articles (k/2 here)
    y_true = np.array(["POS"] * 6)
    y_pred = np.array(["POS"] * 3 + ["NEG"] * 3)
    seen = []
    bootstrap_interval(y_true, y_pred, lambda t, p: seen.append(float(np.mean(t == p))) or 0.0, 50, 0.95, 0,
                       groups=np.array(["a"] * 3 + ["b"] * 3))
    assert set(seen) <= {0.0, 0.5, 1.0} and len(set(seen)) > 1


class FakeModel:
    """Supportive when the marked target is Trump, else hostile (pyfunc-like `predict`)."""
    def predict(self, data: pd.DataFrame) -> pd.DataFrame:
        sup = np.array([0.7 if "<tgt>Trump" in t or "<tgt>Donald Trump" in t else 0.2 for t in data["text"]])
        return pd.DataFrame({"label": np.where(sup > 0.5, "supportive", "hostile"), "confidence": 0.7,
                             "p_supportive": sup, "p_hostile": 0.9 - sup, "p_neutral": 0.1})


class FakeMlflow:
    """Records what the stage logs."""
    def __init__(self) -> None:
        self.logged: dict = {"metrics": {}, "artifacts": [], "tags": {}}

    def start_run(self, run_name: str):
        self.logged["run_name"] = run_name
        return nullcontext()

    def set_tags(self, tags): self.logged["tags"] |= tags
    def log_metrics(self, metrics): self.logged["metrics"] |= metrics
    def log_text(self, text, name): self.logged["report"] = text
    def log_artifact(self, path): self.logged["artifacts"].append(path)


def test_run_scores_a_fake_champion_and_writes_its_tables(tmp_path, monkeypatch, capsys):
    config = load_config("default", [f"paths.outputs_dir={tmp_path}", "evaluate.bootstrap_samples=50"])
    seesaw = {
        "articles": pd.DataFrame({"article_id": ["a", "b"]}),
        "sentences": pd.DataFrame({"article_id": ["a", "a", "b"], "sentence_id": [0, 1, 0], "text": [
            "Pelosi attacked Trump.", "McConnell praised Trump.", "The senator criticized Pelosi."]}),
        "triplets": triplets_frame([("a", 0, "Nancy Pelosi", False, "NEG", "Donald Trump"),
                                    ("a", 1, "Mitch McConnell", False, "POS", "Donald Trump"),
                                    ("a", 1, None, True, "POS", "Donald Trump"),
                                    ("b", 0, "Not in the list", False, "NEG", "Nancy Pelosi"),
                                    ("b", 0, "Mitch McConnell", False, "NEG", "Nancy Pelosi")]),
    }
    fake = FakeMlflow()
    monkeypatch.setattr(P, "load_seesaw", lambda c: seesaw)
    monkeypatch.setattr(P, "load_stance_model", lambda c: (FakeModel(), {"model_uri": "fake", "model_family": "f"}))
    monkeypatch.setattr(P, "use_experiment", lambda c, name: name)
    monkeypatch.setattr(P, "mlflow", fake)
    P.run(config)
    out = config.outputs_dir / "e2e"
    metrics = json.loads((out / "pairs_given_metrics.json").read_text())
    assert (metrics["n_kept"], metrics["n_author"], metrics["n_not_listed"]) == (3, 1, 1)
    # the fake says POS towards Trump, NEG otherwise: right on sentence a/1 and b/0, wrong on a/0
    assert metrics["forced_micro_f1"] == pytest.approx(2 / 3) and metrics["model_uri"] == "fake"
    table = read_table(out / "pairs_given_triplets.parquet", "pairs_given")
    assert table["predicted"].tolist() == ["POS", "POS", "NEG"] and table["gold"].tolist() == ["NEG", "POS", "NEG"]
    assert table["subject_found"].tolist() == [True, True, False]  # b/0's McConnell is only "the senator"
    assert fake.logged["run_name"] == "pairs-given-default"
    assert fake.logged["metrics"]["valid_pairs_given_forced_micro_f1"] == pytest.approx(2 / 3)
    assert len(fake.logged["artifacts"]) == 2 and fake.logged["tags"]["model_family"] == "f"
    assert "84.11" in capsys.readouterr().out and "pooled_micro_f1" not in metrics  # the rule has no pooling
    rule = '{"entity_threshold": 0.5, "polarity_pooling": 0.5}'
    monkeypatch.setattr(P, "load_stance_model", lambda c: (FakeModel(), {"model_uri": "fake", "decision_rule": rule}))
    P.run(config)
    metrics = json.loads((out / "pairs_given_metrics.json").read_text())
    # Each article's pairs are different ones, so pooling changes nothing here.
    assert metrics["pooled_micro_f1"] == pytest.approx(2 / 3) and metrics["pooling_weight"] == 0.5
    assert "pooled  micro-F1 66.67" in capsys.readouterr().out
