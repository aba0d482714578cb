"""bench-frontend: name matching, boundary scores, joined gold articles, and a tiny end-to-end run."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.bench import frontend as B
from pipeline.core.config import load_config, load_lexicon
from pipeline.frontend.runner import FrontHalf

LEXICON = load_lexicon()


@pytest.mark.parametrize("gold,candidate", [
    ("Barack Obama", "Obama"), ("Barack Obama", "President Obama"), ("Republican Party", "Republicans"),
    ("Federal Bureau of Investigation", "FBI"), ("Nancy Pelosi", "Pelosi's"), ("José Díaz", "Jose Diaz"),
])
def test_names_that_match(gold, candidate):
    assert B.name_matches(gold, candidate, LEXICON)


@pytest.mark.parametrize("gold,candidate", [
    ("Democratic Party", "Republican Party"), ("Democratic Party", "Party"), ("Barack Obama", "Michelle Obama"),
    ("United States", "United Nations"), ("Congress", ""),
])
def test_names_that_do_not_match(gold, candidate):
    assert not B.name_matches(gold, candidate, LEXICON)


def test_boundary_scores():
    scores = B.boundary_scores([{10, 20}, {5}], [{10, 21}, {5}])
    assert scores["precision"] == pytest.approx(2 / 3) and scores["recall"] == pytest.approx(2 / 3)
    assert B.boundary_scores([set()], [set()])["f1"] == 0.0  # undefined: 0.0, as everywhere (core.metrics.prf)


def test_joined_article_skips_empty_sentences_and_maps_spans():
    text, spans = B.joined_article([(0, "First one."), (1, "  "), (2, "Second\nline.")])
    assert text == "First one. Second line."
    assert spans == {0: (0, 10), 2: (11, 23)}


def test_evaluate_articles_on_a_tiny_gold_article():
    seesaw = {
        "articles": pd.DataFrame({"article_id": ["x"], "outlet": ["CNN"]}),
        "sentences": pd.DataFrame({"article_id": ["x"] * 3, "sentence_id": [0, 1, 2], "text": [
            "President Obama criticized Congress on Friday.", "He said Republicans were to blame.",
            "The weather was fine."]}),
        "entities": pd.DataFrame({"article_id": ["x"] * 4, "name": ["Barack Obama", "Congress", "Republican Party",
                                                                     "immigration reform"],
                                  "entity_type": ["People", "Organization", "Organization", "Topic"]}),
        "triplets": pd.DataFrame({"article_id": ["x"] * 3, "sentence_id": [0, 1, 0],
                                  "subject": ["Barack Obama", "Barack Obama", None], "subject_is_author": [False, False, True],
                                  "object": ["Congress", "Republican Party", "Barack Obama"]}),
    }
    config = load_config("default", ["pairs.implicit_targets=0", "pairs.implicit_issues=0",
                                     "pairs.implicit_sources=0", "pairs.context_window=0"])
    metrics = B.evaluate_articles(FrontHalf.from_config(config), seesaw, B.tradeoff_settings(config.pairs))
    assert metrics["n_articles"] == 1 and metrics["sentence_boundary_f1"] == 1.0
    assert metrics["entity_recall"] == pytest.approx(3 / 4) and metrics["actor_entity_recall"] == 1.0
    assert metrics["n_gold_pairs"] == 2 and metrics["candidate_pair_recall"] == 1.0  # "He" -> Obama
    assert metrics["n_gold_author_pairs"] == 1 and metrics["author_pair_recall"] == 0.0  # sentence 0 is reported
    assert metrics["misses"]["entities"] == [["x", "immigration reform", "Topic"]]  # no sentence names it
    assert metrics["entity_recall_without_issues"] == pytest.approx(3 / 4)
    rows = metrics["tradeoff"]
    assert list(rows) == list(B.TRADEOFF) and all(r["candidate_pair_recall"] == 1.0 for r in rows.values())
    prices = [r["candidates_per_gold_pair"] for r in rows.values()]
    assert prices[0] <= prices[-1]  # implicit participants cost candidates
    assert "recall and price" in B.format_report(metrics, {"articles_per_s": 1, "words_per_s": 1,
                                                           "words_per_article": 1, "n_process": 1})


def test_tradeoff_settings_reset_the_implicit_knobs():
    from pipeline.core.config import PairsConfig

    rows = B.tradeoff_settings(PairsConfig(implicit_targets=5, context_window=3))
    assert rows["names only (no issues, no implicit)"].implicit_targets == 0
    assert rows["names only (no issues, no implicit)"].issue_targets is False
    assert rows["+ top-2 actors as targets"].implicit_targets == 2
    assert rows["+ top-2 actors as targets"].context_window == 0
