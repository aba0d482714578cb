"""decision: the rule from label probabilities to triplets, and its tuning on labelled candidates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.core.decision import (
    CLAIM_FEATURES,
    ClaimScorer,
    DecisionRule,
    LabelledCandidates,
    actor_prominence,
    apply_rule,
    article_folds,
    claim_features,
    fit_claim_scorer,
    article_evidence,
    article_labels,
    claim_labels,
    f1_curve,
    pair_context,
    pooled_stance,
    tune_article_rule,
    tune_claim_gate,
    tune_rule,
)
from pipeline.core.labels import HOSTILE, NEUTRAL, SUPPORTIVE

#            supportive hostile neutral
PROBA = np.array([[0.50, 0.10, 0.40],
                  [0.05, 0.30, 0.65],
                  [0.20, 0.25, 0.55],
                  [0.02, 0.03, 0.95]])


def test_argmax_rule_takes_the_most_probable_label():
    labels = apply_rule(PROBA, np.zeros(4, bool), DecisionRule())
    assert labels.tolist() == ["supportive", "neutral", "neutral", "neutral"]


def test_thresholds_apply_to_the_larger_stance_probability_per_group():
    rule = DecisionRule(entity_threshold=0.25, author_threshold=0.6)
    labels = apply_rule(PROBA, np.array([False, False, False, True]), rule)
    assert labels.tolist() == ["supportive", "hostile", "hostile", "neutral"]
    assert apply_rule(PROBA, np.array([True, False, False, False]), rule)[0] == "neutral"  # 0.5 < 0.6


def test_rule_round_trips_through_json_and_refuses_garbage():
    rule = DecisionRule(0.31, None)
    assert DecisionRule.from_json(rule.to_json()) == rule
    assert DecisionRule.from_json(None) == DecisionRule()
    with pytest.raises(ValueError, match="not a decision rule"):
        DecisionRule.from_json('{"threshold": 1}')


def test_f1_curve_counts_correct_stances_against_all_gold():
    gold = np.array(["supportive", "hostile", "supportive", "neutral"])
    curve = f1_curve(PROBA, gold, n_gold=4, thresholds=np.array([0.26, 0.9]))
    # At 0.26: rows 0 (supportive, right) and 1 (hostile, right) are predicted: P 1, R 2/4.
    assert curve[0].tolist() == pytest.approx([1.0, 0.5, 2 / 3, 2])
    assert curve[1].tolist() == [0.0, 0.0, 0.0, 0.0]


def test_tuning_picks_the_threshold_with_the_best_f1_per_group():
    rng = np.random.default_rng(0)
    n = 400
    gold = np.where(rng.random(n) < 0.1, "hostile", "neutral")
    strength = np.where(gold == "hostile", rng.uniform(0.3, 0.9, n), rng.uniform(0.0, 0.5, n))
    proba = np.column_stack([np.zeros(n), strength, 1 - strength])
    rule, figures = tune_rule(proba, gold, np.zeros(n, bool), {"entity": int((gold == "hostile").sum())})
    assert rule.author_threshold is None and 0.3 <= rule.entity_threshold <= 0.55
    best = f1_curve(proba, gold, int((gold == "hostile").sum()), np.array([rule.entity_threshold]))[0, 2]
    argmax_f1 = f1_curve(proba, gold, int((gold == "hostile").sum()), np.array([0.5]))[0, 2]
    assert figures["entity_rule_f1"] == pytest.approx(best) and best >= argmax_f1


def test_a_tolerance_takes_the_highest_threshold_near_the_best_f1():
    gold = np.array(["hostile"] * 4 + ["neutral"] * 4)
    hostile = np.array([0.9, 0.8, 0.6, 0.5, 0.85, 0.55, 0.3, 0.2])
    proba = np.column_stack([np.zeros(8), hostile, 1 - hostile])
    thresholds = np.array([0.5, 0.75, 0.9])
    exact, figures = tune_rule(proba, gold, np.zeros(8, bool), {"entity": 4}, thresholds)
    assert exact.entity_threshold == 0.5 and figures["entity_rule_f1"] == pytest.approx(2 * 4 / (6 + 4))
    loose, figures = tune_rule(proba, gold, np.zeros(8, bool), {"entity": 4}, thresholds, tolerance=0.25)
    # At 0.75: 2 right of 3 predicted, F1 4/7 = 0.571, within 0.25 of 0.8; at 0.9 (1 of 1) F1 0.4 is not.
    assert loose.entity_threshold == 0.75 and figures["entity_rule_best_f1"] == pytest.approx(0.8)


def test_candidates_digest_changes_with_any_text_label_group_or_gold_count():
    def candidates(texts=("a", "b"), gold=(SUPPORTIVE, NEUTRAL), author=(False, True), n_gold=None):
        return LabelledCandidates(tuple(texts), np.array(gold, dtype=object), np.array(author),
                                  n_gold or {"entity": 1, "author": 0})

    base = candidates().digest()
    assert base == candidates().digest() and len(base) == 16
    changed = [candidates(texts=("a", "c")), candidates(gold=(HOSTILE, NEUTRAL)), candidates(author=(False, False)),
               candidates(n_gold={"entity": 2, "author": 0})]
    assert all(other.digest() != base for other in changed)


# ---------------------------------------------------------- article level ---

def _claims(rows):
    return pd.DataFrame(rows, columns=["article_id", "source", "target", "label", "p_supportive", "p_hostile"])


def test_article_evidence_combines_a_pairs_claims_by_noisy_or():
    rows = _claims([("a", "X", "Y", NEUTRAL, 0.1, 0.5), ("a", "X", "Y", HOSTILE, 0.0, 0.6),
                    ("a", "Y", "X", NEUTRAL, 0.2, 0.1), ("b", "X", "Y", SUPPORTIVE, 1.0, 0.0)])
    evidence = article_evidence(rows, ["article_id", "source", "target"])
    assert evidence[["article_id", "source", "target"]].values.tolist() == [["a", "X", "Y"], ["a", "Y", "X"],
                                                                             ["b", "X", "Y"]]
    assert evidence["n_claims"].tolist() == [2, 1, 1] and evidence["n_hostile"].tolist() == [1, 0, 0]
    assert evidence["hostility"].tolist() == pytest.approx([1 - 0.5 * 0.4, 0.1, 0.0])
    assert evidence["support"].tolist() == pytest.approx([0.1, 0.2, 1.0], abs=1e-5)  # certainty is clipped


def test_article_labels_hold_the_combined_strength_to_the_groups_threshold():
    rows = _claims([("a", "X", "Y", NEUTRAL, 0.1, 0.5), ("a", "X", "Y", NEUTRAL, 0.0, 0.5),
                    ("a", "Y", "X", SUPPORTIVE, 0.6, 0.1), ("a", "Z", "X", NEUTRAL, 0.3, 0.3)])
    evidence = article_evidence(rows, ["article_id", "source", "target"])
    author = np.array([False, False, True])
    # Two claims at 0.5 hostility make 0.75 together: above 0.7, where neither claim alone is.
    rule = DecisionRule(article_entity_threshold=0.7, article_author_threshold=0.2)
    assert article_labels(evidence, author, rule).tolist() == [HOSTILE, NEUTRAL, SUPPORTIVE]  # a tie goes to support
    # Without article thresholds: the majority of the stanced claims, neutral where none is stanced.
    assert not DecisionRule(0.5, 0.5).has_article_rule() and rule.has_article_rule()
    assert article_labels(evidence, author, DecisionRule(0.5, 0.5)).tolist() == [NEUTRAL, SUPPORTIVE, NEUTRAL]
    assert DecisionRule.from_json(rule.to_json()) == rule


def test_article_tuning_scores_a_pair_once_against_the_articles_gold():
    evidence = pd.DataFrame({"support": [0.9, 0.2, 0.1, 0.05], "hostility": [0.0, 0.7, 0.4, 0.3]})
    gold = pd.Series([frozenset({SUPPORTIVE}), frozenset({SUPPORTIVE, HOSTILE}), frozenset(), frozenset({HOSTILE})])
    thresholds, figures = tune_article_rule(evidence, gold, np.zeros(4, bool), {"entity": 5, "author": 0},
                                            np.array([0.25, 0.35, 0.5, 0.8]))
    # 0.35: three predicted, two right (P 2/3, R 2/5); 0.25 adds a right one (3/4, 3/5): F1 2/3 is the best.
    assert thresholds == {"entity": 0.25, "author": None}
    assert figures["article_entity_f1"] == pytest.approx(2 / 3) and figures["article_entity_predicted"] == 4


def _pairs(rows):
    """Claims' pairs of whole articles: (article, source, target, author?, p_supportive, p_hostile)."""
    frame = pd.DataFrame(rows, columns=["article_id", "source", "target", "is_author", "p_supportive", "p_hostile"])
    return frame.assign(p_neutral=1.0 - frame["p_supportive"] - frame["p_hostile"])


def test_pair_context_gives_each_claim_its_pairs_article_strength_and_mean_log_odds():
    rows = _pairs([("a", "X", "Y", False, 0.1, 0.5), ("b", "X", "Y", False, 0.6, 0.2),
                   ("a", "X", "Y", False, 0.1, 0.5), ("a", "Y", "X", False, 0.4, 0.1)])
    context = pair_context(rows)
    assert context["article_strength"].tolist() == pytest.approx([0.75, 0.6, 0.75, 0.4])
    assert context["mean_log_odds"].tolist() == pytest.approx([np.log(0.2), np.log(3), np.log(0.2), np.log(4)])
    assert pair_context(rows.head(0)).empty


def test_pooled_stance_blends_a_claims_log_odds_with_its_pairs_mean():
    own, mean = np.array([0.5, 0.5, -0.2, 0.0]), np.array([-2.0, -0.4, 1.0, 0.0])
    assert pooled_stance(own, mean, None).tolist() == [SUPPORTIVE, SUPPORTIVE, HOSTILE, SUPPORTIVE]
    # Half and half: 0.5 - 2.0 < 0, 0.5 - 0.4 > 0, -0.2 + 1.0 > 0; a tie reads supportive, as apply_rule's.
    assert pooled_stance(own, mean, 0.5).tolist() == [HOSTILE, SUPPORTIVE, SUPPORTIVE, SUPPORTIVE]


def test_claim_labels_gate_a_claim_on_its_articles_pair_and_pool_its_polarity():
    rows = _pairs([("a", "X", "Y", False, 0.10, 0.60),   # alone above the claim threshold; article 0.8 with the next
                   ("a", "X", "Y", False, 0.05, 0.50),
                   ("a", "Z", "Y", False, 0.10, 0.60),   # alone in its article: 0.6 < gate 0.7
                   ("b", "X", "Y", False, 0.55, 0.45),   # supportive alone, hostile over the article
                   ("b", "X", "Y", False, 0.02, 0.90),
                   ("a", "", "Y", True, 0.10, 0.60)])    # the author's: gate 0.5
    plain = DecisionRule(0.55, 0.55)
    assert not plain.decides_by_article()
    assert claim_labels(rows, plain).tolist() == [HOSTILE, NEUTRAL, HOSTILE, SUPPORTIVE, HOSTILE, HOSTILE]
    rule = DecisionRule(0.5, 0.55, gate_entity_threshold=0.7, gate_author_threshold=0.5, polarity_pooling=0.5)
    assert rule.decides_by_article() and DecisionRule.from_json(rule.to_json()) == rule
    # Claim 4 reaches 0.55 alone and reads hostile once pooled with the article's other claim of the pair.
    assert claim_labels(rows, rule).tolist() == [HOSTILE, HOSTILE, NEUTRAL, HOSTILE, HOSTILE, HOSTILE]
    assert claim_labels(rows, DecisionRule(0.5, 0.55, gate_entity_threshold=0.7)).tolist() == [
        HOSTILE, HOSTILE, NEUTRAL, SUPPORTIVE, HOSTILE, HOSTILE]


def test_claim_gate_tuning_keeps_a_gate_only_where_it_raises_f1():
    # Article a's pair is joined by two claims, b's and c's by one each: the lone claims are wrong.
    rows = _pairs([("a", "X", "Y", False, 0.1, 0.6), ("a", "X", "Y", False, 0.1, 0.6),
                   ("b", "X", "Y", False, 0.1, 0.7), ("c", "X", "Y", False, 0.1, 0.65),
                   ("a", "", "Y", True, 0.1, 0.6)])
    gold = np.array([HOSTILE, HOSTILE, NEUTRAL, NEUTRAL, HOSTILE], dtype=object)
    chosen, figures = tune_claim_gate(rows, gold, {"entity": 2, "author": 1}, None,
                                      thresholds=np.array([0.5, 0.6, 0.65, 0.7]), gates=np.array([0.8, 0.9]))
    # No gate: at best 2 right of 4 (F1 2/3); gate 0.8 keeps a's two claims alone (F1 1), at 0.5 and 0.6
    # alike: the higher threshold is taken, as tune_rule takes it.
    assert chosen["entity"] == (0.6, 0.8) and figures["entity_rule_f1"] == pytest.approx(1.0)
    assert figures["entity_rule_ungated_f1"] == pytest.approx(2 / 3) and figures["entity_rule_gate"] == 0.8
    # The author's one claim is right without a gate, so none is kept.
    assert chosen["author"] == (0.6, None) and "author_rule_gate" not in figures
    # A group left out of `gated` gets its best claim threshold alone.
    chosen, figures = tune_claim_gate(rows, gold, {"entity": 2, "author": 1}, None, gated=("author",),
                                      thresholds=np.array([0.5, 0.6, 0.65, 0.7]), gates=np.array([0.8, 0.9]))
    assert chosen["entity"][1] is None and figures["entity_rule_f1"] == figures["entity_rule_ungated_f1"]
    # A tolerance takes the highest threshold near the best: F1 0.8 at 0.5, 0.5 at 0.6, 2/3 at 0.7.
    rows = _pairs([("a", "X", "Y", False, 0.1, 0.9), ("b", "X", "Y", False, 0.1, 0.55),
                   ("c", "X", "Y", False, 0.1, 0.6)])
    gold = np.array([HOSTILE, HOSTILE, NEUTRAL], dtype=object)
    for tolerance, expected in ((0.0, 0.5), (0.15, 0.7)):
        chosen, _ = tune_claim_gate(rows, gold, {"entity": 2}, None, gated=(),
                                    thresholds=np.array([0.5, 0.6, 0.7]), tolerance=tolerance)
        assert chosen["entity"] == (expected, None)


# ------------------------------------------------------------ claim scorer ---

def _article_rows() -> pd.DataFrame:
    """Two articles: in a1, Obama is in every claim's pair and Biden in one; a2 has one pair."""
    return pd.DataFrame({
        "article_id": ["a1", "a1", "a1", "a2"],
        "source": ["Obama", "Obama", "Pelosi", "Putin"],
        "target": ["Biden", "Pelosi", "Obama", "NATO"],
        "is_author": [False] * 4,
        "p_supportive": [0.5, 0.1, 0.2, 0.0], "p_hostile": [0.1, 0.3, 0.2, 0.5], "p_neutral": [0.4, 0.6, 0.6, 0.5]})


def test_actor_prominence_counts_each_actors_claims_share_rank_and_activity():
    actors = actor_prominence(_article_rows()).set_index(["article_id", "actor"])
    assert actors.loc[("a1", "Obama"), ["claims", "share", "rank"]].tolist() == [3, 1.0, 1.0]
    assert actors.loc[("a1", "Pelosi"), ["claims", "rank"]].tolist() == [2, 2.0]
    assert actors.loc[("a1", "Biden"), ["claims", "share", "rank"]].tolist() == [1, pytest.approx(1 / 3), 3.0]
    # Biden's one pair: 1 - (1 - 0.5)(1 - 0.1)
    assert actors.loc[("a1", "Biden"), "activity"] == pytest.approx(1 - 0.5 * 0.9)
    assert actors.loc[("a2", "NATO"), "article_claims"] == 1


def test_claim_features_follow_the_rows_and_name_every_feature():
    rows = _article_rows().iloc[[3, 0, 2, 1]]  # shuffled: features follow the rows, not the article order
    features = claim_features(rows)
    assert list(features.columns) == list(CLAIM_FEATURES) and features.index.equals(rows.index)
    assert features.loc[0, "strength"] == 0.5 and features.loc[3, "strength"] == 0.5
    assert features.loc[0, "log_target_claims"] == pytest.approx(np.log1p(1))  # Biden
    assert features.loc[0, "log_source_rank"] == pytest.approx(np.log1p(1))  # Obama is first
    assert features.loc[3, "log_article_claims"] == pytest.approx(np.log1p(1))
    assert np.isfinite(features.to_numpy()).all()
    assert claim_features(rows.iloc[:0]).empty


def test_claim_scorer_scores_as_its_logistic_formula_and_refuses_bad_settings():
    scorer = ClaimScorer(("strength", "target_share"), (0.5, 0.0), (0.5, 1.0), (2.0, -1.0), 0.25)
    features = pd.DataFrame({"strength": [1.0, 0.5], "target_share": [0.5, 0.0], "p_hostile": [9.0, 9.0]})
    z = np.array([2.0 * 1.0 - 1.0 * 0.5 + 0.25, 0.25])
    assert scorer.score(features) == pytest.approx(1 / (1 + np.exp(-z)))
    with pytest.raises(ValueError, match="unknown features"):
        ClaimScorer(("loudness",), (0.0,), (1.0,), (1.0,), 0.0)
    with pytest.raises(ValueError, match="2 features with 1 means"):
        ClaimScorer(("strength", "p_hostile"), (0.0,), (1.0, 1.0), (1.0, 1.0), 0.0)
    with pytest.raises(ValueError, match="scale must be positive"):
        ClaimScorer(("strength",), (0.0,), (0.0,), (1.0,), 0.0)


def test_a_rule_with_a_scorer_round_trips_through_json_and_decides_by_article():
    scorer = ClaimScorer(("strength",), (0.2,), (0.1,), (3.0,), -1.0)
    rule = DecisionRule(entity_threshold=0.5, entity_scorer=scorer)
    assert rule.decides_by_article() and rule.scorer("entity") == scorer and rule.scorer("author") is None
    assert DecisionRule.from_json(rule.to_json()) == rule
    assert "logistic over 1 features" in rule.summary() and "coef" not in rule.summary()
    with pytest.raises(ValueError, match="not a decision rule"):
        DecisionRule.from_json('{"entity_scorer": {"features": ["strength"]}}')


def test_claim_labels_hold_a_scored_groups_threshold_to_the_scorers_probability():
    rows = _article_rows()
    # Scores rise with the target's share: Obama and NATO (share 1) as targets pass, Biden (1/3) and Pelosi (2/3) not.
    scorer = ClaimScorer(("target_share",), (0.5,), (0.25,), (4.0,), 0.0)
    labels = claim_labels(rows, DecisionRule(entity_threshold=0.95, entity_scorer=scorer))
    assert labels.tolist() == [NEUTRAL, NEUTRAL, SUPPORTIVE, HOSTILE]  # row 2: 0.2 each way reads supportive
    # Without the scorer the same threshold holds the stance probability: nothing reaches 0.9.
    assert claim_labels(rows, DecisionRule(entity_threshold=0.9)).tolist() == [NEUTRAL] * 4


def test_article_folds_keep_each_article_whole_and_use_every_fold():
    ids = np.array(["a", "b", "a", "c", "d", "b", "e"], dtype=object)
    folds = article_folds(ids, 3, seed=1)
    assert folds[0] == folds[2] and folds[1] == folds[5] and set(folds) == {0, 1, 2}
    assert (article_folds(ids, 3, seed=1) == folds).all()


def test_fit_claim_scorer_learns_a_prominence_signal_and_chooses_its_threshold_out_of_fold():
    rng = np.random.default_rng(0)
    n = 600
    articles = np.array([f"a{i % 30}" for i in range(n)], dtype=object)
    strength = rng.uniform(0, 1, n)
    share = rng.uniform(0, 1, n)
    # A claim is a gold triplet when it is strong and its target prominent; strength alone is a weak guide.
    correct = (strength > 0.5) & (share > 0.6)
    features = pd.DataFrame({"strength": strength, "target_share": share})
    scorer, threshold, figures = fit_claim_scorer(features, correct, articles, int(correct.sum()), folds=5, seed=3)
    assert scorer is not None and scorer.features == ("strength", "target_share")
    assert threshold == figures["scorer_threshold"] and 0 < threshold < 1
    by_strength = f1_curve(np.column_stack([strength, np.zeros(n), 1 - strength]),
                           np.where(correct, SUPPORTIVE, NEUTRAL), int(correct.sum()),
                           np.round(np.arange(0.01, 1, 0.01), 2))[:, 2].max()
    assert figures["scorer_f1"] > by_strength + 0.1
    assert figures["scorer_insample_f1"] >= figures["scorer_f1"] - 0.05
    # Nothing to learn: no scorer.
    assert fit_claim_scorer(features, np.zeros(n, bool), articles, 5) == (None, None, {})
    with pytest.raises(ValueError, match="missing or infinite"):
        fit_claim_scorer(features.assign(strength=np.nan), correct, articles, 5)
