"""eval-e2e: gold triplets, one-to-one matching under each scheme, the floor baseline, and a small real run."""

from __future__ import annotations

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from pipeline.bench import e2e as E
from pipeline.core.config import load_config, load_lexicon
from pipeline.core.decision import DecisionRule
from pipeline.core.tables import read_table
from pipeline.frontend.runner import FrontHalf


def pred(rows):
    """Predicted triplets from (article, sentence, source, target, polarity, is_author)."""
    frame = pd.DataFrame(rows, columns=["article_id", "sentence_id", "source", "target", "polarity", "is_author"])
    return frame.assign(confidence=0.9, text="t")


def gold(rows):
    """Gold triplets from (article, sentence, subject, object, polarity, is_author)."""
    return pd.DataFrame(rows, columns=["article_id", "sentence_id", "subject", "object", "polarity", "is_author"])


LEXICON = load_lexicon()
NAMES = {"x": {"Obama": {"Obama", "President Obama"}, "Congress": {"Congress"}, "Republicans": {"Republicans"}}}


def test_gold_triplets_drop_unlisted_entities_and_duplicates_and_reconcile():
    triplets = pd.DataFrame({
        "article_id": ["x"] * 5, "sentence_id": [0, 0, 1, 2, 3],
        "subject": ["Barack Obama", "Barack Obama", "Not in the list", None, "Barack Obama"],
        "subject_is_author": [False, False, False, True, False],
        "sentiment": ["NEG", "NEG", "POS", "POS", "NEG"],
        "object": ["Congress", "Congress", "Congress", "Barack Obama", "Not in the list"],
    })
    kept, counts = E.gold_triplets(triplets)
    assert counts == {"n_gold_read": 5, "n_gold_unlisted": 2, "n_gold_duplicates": 1, "n_gold": 2}
    assert kept["subject"].tolist() == ["Barack Obama", ""] and kept["is_author"].tolist() == [False, True]
    with pytest.raises(ValueError, match="unknown sentiments"):
        E.gold_triplets(triplets.assign(sentiment="MEH"))


def test_schemes_differ_on_sentence_and_polarity():
    matcher = E.NameMatcher(NAMES, LEXICON)
    g = gold([("x", 0, "Barack Obama", "Congress", "NEG", False)])
    right = pred([("x", 0, "Obama", "Congress", "NEG", False)])
    wrong_polarity = pred([("x", 0, "Obama", "Congress", "POS", False)])
    other_sentence = pred([("x", 1, "Obama", "Congress", "NEG", False)])
    reversed_ = pred([("x", 0, "Congress", "Obama", "NEG", False)])
    expected = {  # scheme -> matched? for each prediction
        "strict": (True, False, False, False), "lenient": (True, False, True, False), "pair": (True, True, False, False)}
    for scheme, hits in expected.items():
        for p, hit in zip((right, wrong_polarity, other_sentence, reversed_), hits):
            p_hit, g_hit = E.match_triplets(p, g, matcher, scheme)
            assert bool(p_hit["hit"].iloc[0]) is hit and bool(g_hit["hit"].iloc[0]) is hit, (scheme, p)
    with pytest.raises(ValueError, match="unknown scheme"):
        E.match_triplets(right, g, matcher, "fuzzy")


def test_matching_is_one_to_one():
    matcher = E.NameMatcher(NAMES, LEXICON)
    # One prediction cannot satisfy two gold triplets that both match its names...
    g = gold([("x", 0, "Barack Obama", "Congress", "NEG", False), ("x", 0, "President Obama", "Congress", "NEG", False)])
    p_hit, g_hit = E.match_triplets(pred([("x", 0, "Obama", "Congress", "NEG", False)]), g, matcher, "strict")
    assert p_hit["hit"].sum() == 1 and g_hit["hit"].sum() == 1
    # ...and another article's gold never matches.
    p_hit, _ = E.match_triplets(pred([("y", 0, "Obama", "Congress", "NEG", False)]), g, matcher, "strict")
    assert not p_hit["hit"].any()


def test_score_keeps_author_triplets_apart_and_flags_rows():
    matcher = E.NameMatcher(NAMES, LEXICON)
    p = pred([("x", 0, "Obama", "Congress", "NEG", False), ("x", 0, "CNN", "Obama", "POS", True),
              ("x", 2, "Obama", "Republicans", "NEG", False)])
    g = gold([("x", 0, "Barack Obama", "Congress", "NEG", False), ("x", 0, "", "Barack Obama", "POS", True),
              ("x", 1, "", "Congress", "NEG", True)])
    metrics, flagged_pred, flagged_gold = E.score(p, g, matcher)
    assert metrics["entity_strict_precision"] == pytest.approx(1 / 2) and metrics["entity_strict_recall"] == 1.0
    assert metrics["entity_strict_f1"] == pytest.approx(2 / 3)
    assert metrics["author_strict_precision"] == 1.0 and metrics["author_strict_recall"] == pytest.approx(1 / 2)
    assert (metrics["author_strict_n_predicted"], metrics["author_strict_n_gold"]) == (1, 2)
    assert flagged_pred["matched_strict"].tolist() == [True, True, False]
    assert flagged_gold["found_strict"].tolist() == [True, True, False]


def test_article_counts_add_up_to_the_scores_and_the_bootstrap_brackets_them():
    matcher = E.NameMatcher(NAMES | {"y": NAMES["x"]}, LEXICON)
    p = pred([("x", 0, "Obama", "Congress", "NEG", False), ("x", 2, "Obama", "Republicans", "NEG", False),
              ("y", 0, "Obama", "Congress", "NEG", False)])
    g = gold([("x", 0, "Barack Obama", "Congress", "NEG", False), ("y", 0, "Barack Obama", "Congress", "POS", False),
              ("y", 1, "Congress", "Barack Obama", "NEG", False)])
    metrics, _, _ = E.score(p, g, matcher)
    counts = E.article_counts(p, g, matcher)
    strict = counts[(counts["group"] == "entity") & (counts["scheme"] == "strict")]
    assert strict[["n_predicted", "n_gold", "n_matched"]].sum().tolist() == [
        metrics["entity_strict_n_predicted"], metrics["entity_strict_n_gold"], metrics["entity_strict_n_matched"]]
    interval = E.bootstrap_f1(counts, ["x", "y", "z"], samples=500, confidence=0.9, seed=1)
    assert interval["entity_strict_f1_low"] <= metrics["entity_strict_f1"] <= interval["entity_strict_f1_high"]
    assert interval["entity_strict_f1_low"] < interval["entity_strict_f1_high"]
    assert interval == E.bootstrap_f1(counts, ["x", "y", "z"], samples=500, confidence=0.9, seed=1)


def test_article_triplets_combine_a_pairs_candidates_and_the_lenient_scheme_scores_them():
    candidates = pd.DataFrame({"article_id": ["x"] * 4, "sentence_id": [0, 1, 2, 2],
                               "source": ["Obama", "Obama", "Obama", "CNN"],
                               "target": ["Congress", "Congress", "Republicans", "Obama"],
                               "origin": ["mention", "speaker", "mention", "author"]})
    labels = pd.DataFrame({"label": ["neutral", "neutral", "hostile", "neutral"],
                           "p_supportive": [0.0, 0.1, 0.0, 0.5], "p_hostile": [0.6, 0.6, 0.5, 0.0]})
    rule = DecisionRule(0.55, 0.55, article_entity_threshold=0.8, article_author_threshold=0.9)
    found = E.article_triplets(candidates, labels, rule)
    # Obama -> Congress: two claims at 0.6 make 0.84, above 0.8; Obama -> Republicans (0.5) is not;
    # the author's 0.5 is below its 0.9.
    assert found[["source", "target", "polarity", "is_author", "sentence_id"]].values.tolist() == [
        ["Obama", "Congress", "NEG", False, -1]]
    assert found["confidence"].tolist() == pytest.approx([1 - 0.4 * 0.4])
    claim_level = pred([("x", 2, "Obama", "Republicans", "NEG", False)])
    g = gold([("x", 0, "Barack Obama", "Congress", "NEG", False)])
    metrics, flagged, _ = E.score(claim_level, g, E.NameMatcher(NAMES, LEXICON), found)
    assert metrics["entity_lenient_f1"] == 1.0 and metrics["entity_strict_f1"] == 0.0
    assert flagged["matched_lenient"].tolist() == [False]  # its article-level triplet is not Obama -> Republicans
    counts = E.article_counts(claim_level, g, E.NameMatcher(NAMES, LEXICON), found)
    lenient = counts[(counts["group"] == "entity") & (counts["scheme"] == "lenient")]
    assert lenient[["n_predicted", "n_gold", "n_matched"]].sum().tolist() == [1, 1, 1]


def test_floor_baseline_labels_every_pair_with_the_train_majority():
    label = E.majority_polarity(pd.DataFrame({"sentiment": ["NEG", "NEG", "POS"]}))
    assert label == "hostile"
    out = E.ConstantModel(label).predict(pd.DataFrame({"text": ["a", "b"]}))
    assert out["label"].tolist() == ["hostile", "hostile"] and out["p_hostile"].tolist() == [1.0, 1.0]
    candidates = pd.DataFrame({"article_id": ["x", "x"], "sentence_id": [0, 1], "source": ["A", "CNN"],
                               "target": ["B", "A"], "origin": ["mention", "author"], "text": ["t", "u"]})
    triplets = E.predicted_triplets(candidates, out)
    assert triplets["polarity"].tolist() == ["NEG", "NEG"] and triplets["is_author"].tolist() == [False, True]
    labels = out.assign(label=["neutral", "supportive"])
    assert E.predicted_triplets(candidates, labels)["polarity"].tolist() == ["POS"]
    with pytest.raises(ValueError, match="unknown label"):
        E.ConstantModel("angry")
    with pytest.raises(ValueError, match="labels for"):
        E.predicted_triplets(candidates, out.head(1))


def test_candidates_of_a_tiny_gold_article():
    seesaw = {
        "articles": pd.DataFrame({"article_id": ["x"], "outlet": ["CNN"]}),
        "sentences": pd.DataFrame({"article_id": ["x"] * 3, "sentence_id": [0, 1, 2], "text": [
            "President Obama criticized Congress on Friday.", "He said Republicans were to blame.",
            "The Senate voted on Tuesday."]}),
    }
    config = load_config("default")
    found = E.article_candidates(FrontHalf.from_config(config), seesaw)
    pairs = found.pairs
    assert found.n_articles == 1 and set(pairs["sentence_id"]) == {0, 1, 2}
    assert list(pairs.columns) == E.CANDIDATE_COLUMNS
    assert ((pairs["sentence_id"] == 0) & (pairs["source"] == "Barack Obama") & (pairs["target"] == "United States Congress")).any()
    assert ((pairs["sentence_id"] == 1) & (pairs["source"] == "Barack Obama")).any()  # "He said" -> Obama
    author = pairs[pairs["origin"] == "author"]  # the narrative sentence: the outlet towards its actors
    assert set(author["sentence_id"]) == {2} and set(author["source"]) == {"CNN"}
    assert "United States Senate" in set(author["target"])
    matcher = E.NameMatcher(found.names, config.lexicon)
    assert matcher("x", "Barack Obama", "Obama") and matcher("x", "United States Congress", "Congress")


def test_limit_articles_keeps_the_first_articles_in_every_table():
    seesaw = {"articles": pd.DataFrame({"article_id": ["a", "b", "c"]}),
              "sentences": pd.DataFrame({"article_id": ["c", "a", "b", "a"], "sentence_id": [0, 0, 0, 1]})}
    kept = E.limit_articles(seesaw, 2)
    assert kept["articles"]["article_id"].tolist() == ["a", "b"]
    assert kept["sentences"]["article_id"].tolist() == ["a", "b", "a"]
    assert E.limit_articles(seesaw, None) is seesaw


# ---------------------------------------------------------- make eval-e2e ---

def test_make_eval_e2e_logs_one_run_per_system(smoke_run, smoke_e2e):
    client = MlflowClient(tracking_uri=smoke_run["tracking_uri"])
    experiment = client.get_experiment_by_name("seesaw-e2e")
    runs = {r.data.tags["system"]: r for r in client.search_runs([experiment.experiment_id])}
    assert set(runs) == {"champion", "constant", "tfidf"}
    for system, run in runs.items():
        m = run.data.metrics
        for group in ("entity", "author"):
            for scheme in ("strict", "lenient", "pair"):
                for key in ("precision", "recall", "f1"):
                    assert 0.0 <= m[f"valid_{group}_{scheme}_{key}"] <= 1.0
                assert m[f"valid_{group}_{scheme}_n_matched"] <= min(m[f"valid_{group}_{scheme}_n_predicted"],
                                                                     m[f"valid_{group}_{scheme}_n_gold"])
        assert m["valid_n_articles"] == 4 and m["valid_n_gold"] > 20
        assert m["valid_n_gold_read"] == m["valid_n_gold"] + m["valid_n_gold_unlisted"] + m["valid_n_gold_duplicates"]
    assert runs["constant"].data.metrics["valid_n_predicted"] == runs["constant"].data.metrics["valid_n_candidates"]
    assert runs["constant"].data.metrics["valid_entity_pair_recall"] > 0  # candidates reach some gold pairs
    assert runs["champion"].data.tags["model_family"] and runs["tfidf"].data.tags["model_family"] == "tfidf"
    out = smoke_e2e["config"].outputs_dir / "e2e"
    triplets = read_table(out / "champion_triplets.parquet", "e2e_triplets")
    assert len(triplets) == runs["champion"].data.metrics["valid_n_predicted"]
    assert "e2e champion:" in smoke_e2e["stdout"] and "entity strict" in smoke_e2e["stdout"]
