"""network: pair aggregates at both levels, the graph, GraphML and the picture."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import networkx as nx
import pandas as pd
import pytest

from pipeline.core.tables import check_frame
from pipeline.stances import network as N


def stances(rows: list[tuple]) -> pd.DataFrame:
    """Stance rows from (article, source, target, source_aff, target_aff, label, confidence)."""
    return pd.DataFrame(rows, columns=["article_id", "source", "target", "source_affiliation", "target_affiliation",
                                       "label", "confidence"])


ROWS = [
    ("a1", "Sergey Lavrov", "Volodymyr Zelensky", "Russia", "Ukraine", "hostile", 0.9),
    ("a1", "Sergey Lavrov", "Volodymyr Zelensky", "Russia", "Ukraine", "hostile", 0.7),
    ("a2", "Sergey Lavrov", "Volodymyr Zelensky", "Russia", "Ukraine", "neutral", 0.6),
    ("a2", "Dmitry Peskov", "Volodymyr Zelensky", "Russia", "Ukraine", "supportive", 0.5),
    ("a2", "Donald Trump", "US officials", "United States", "United States", "supportive", 0.8),
]


def test_aggregate_counts_labels_articles_and_mean_stance_at_both_levels():
    pairs = N.aggregate(stances(ROWS))
    check_frame(pairs, "stance_pairs")
    actor = pairs[pairs["level"] == "actor"].set_index(["source", "target"])
    lavrov = actor.loc[("Sergey Lavrov", "Volodymyr Zelensky")]
    assert (lavrov.n_pairs, lavrov.n_hostile, lavrov.n_neutral, lavrov.n_supportive, lavrov.n_articles) == (3, 2, 1, 0, 2)
    assert lavrov.mean_stance == pytest.approx(-2 / 3)
    assert lavrov.mean_confidence == pytest.approx((0.9 + 0.7 + 0.6) / 3)
    affiliation = pairs[pairs["level"] == "affiliation"].set_index(["source", "target"])
    russia = affiliation.loc[("Russia", "Ukraine")]
    assert (russia.n_pairs, russia.n_hostile, russia.n_supportive) == (4, 2, 1)
    assert russia.mean_stance == pytest.approx((1 - 2) / 4)
    for level in N.LEVELS:  # counts reconcile with the rows at each level
        assert pairs.loc[pairs["level"] == level, "n_pairs"].sum() == len(ROWS)


def test_aggregating_in_batches_equals_aggregating_at_once():
    whole = N.aggregate(stances(ROWS))
    aggregator = N.PairAggregator()
    for start in range(0, len(ROWS), 2):
        aggregator.add(stances(ROWS[start:start + 2]))
    aggregator.add(stances([]))
    pd.testing.assert_frame_equal(aggregator.frame(), whole)
    assert aggregator.n_rows == len(ROWS)


def test_batches_that_trigger_merges_give_the_same_table(monkeypatch):
    import random

    rng = random.Random(3)
    actors = [f"actor {k}" for k in range(12)]
    rows = [(f"a{rng.randrange(9)}", *rng.sample(actors, 2), rng.choice(["X", "Y"]), rng.choice(["X", "Z"]),
             rng.choice(["supportive", "hostile", "neutral"]), rng.random()) for _ in range(400)]
    rows.sort(key=lambda row: row[0])  # each article's rows together, as both engines write them
    whole = N.aggregate(stances(rows))
    monkeypatch.setattr(N.PairAggregator, "MERGE_ROWS", 5)  # merge after nearly every batch
    aggregator = N.PairAggregator()
    for start in range(0, len(rows), 7):
        aggregator.add(stances(rows[start:start + 7]))
    batched = aggregator.frame()
    pd.testing.assert_frame_equal(batched.drop(columns="mean_confidence"), whole.drop(columns="mean_confidence"))
    assert batched["mean_confidence"].to_numpy() == pytest.approx(whole["mean_confidence"].to_numpy())
    assert batched["n_pairs"].sum() == 2 * len(rows) and aggregator.n_rows == len(rows)


def test_an_article_running_on_into_the_next_batch_is_counted_once():
    rows = [("a1", "x", "y", "X", "Y", "hostile", 0.5)] * 3 + [("a2", "x", "y", "X", "Y", "neutral", 0.5)] * 2
    aggregator = N.PairAggregator()
    for row in rows:  # a1 spans three batches, a2 two
        aggregator.add(stances([row]))
    pairs = aggregator.frame().set_index(["level", "source", "target"])
    assert pairs.loc[("actor", "x", "y"), "n_articles"] == 2 and pairs.loc[("actor", "x", "y"), "n_pairs"] == 5
    assert pairs.loc[("affiliation", "X", "Y"), "n_articles"] == 2


def test_an_article_whose_rows_come_back_after_another_is_an_error_not_a_double_count():
    aggregator = N.PairAggregator()
    aggregator.add(stances(ROWS[:2]))  # a1
    aggregator.add(stances(ROWS[2:]))  # a2 closes a1
    with pytest.raises(ValueError, match="article 'a1' come after other articles"):
        aggregator.add(stances(ROWS[:1]))


def test_memory_follows_the_pairs_not_the_articles(monkeypatch):
    monkeypatch.setattr(N.PairAggregator, "MERGE_ROWS", 5)
    aggregator = N.PairAggregator()
    for k in range(200):  # the same pairs in 200 articles
        aggregator.add(stances([(f"a{k}", *row[1:]) for row in ROWS]))
    aggregator._merge()
    assert len(aggregator._sums) == 1 and len(aggregator._sums[0]) == 5  # 3 actor and 2 affiliation pairs
    assert len(aggregator._open_pairs) == 5  # the last article's pairs, and no earlier article's
    assert aggregator.frame().set_index(["level", "source", "target"]).loc[
        ("actor", "Sergey Lavrov", "Volodymyr Zelensky"), "n_articles"] == 200


def test_empty_and_invalid_input():
    empty = N.aggregate(stances([]))
    assert empty.empty and list(empty.columns) == N.SCHEMAS["stance_pairs"].names
    check_frame(empty, "stance_pairs")
    with pytest.raises(ValueError, match="unknown stance labels"):
        N.aggregate(stances([("a", "x", "y", "x", "y", "angry", 1.0)]))
    with pytest.raises(ValueError, match="unknown level"):
        N.build_graph(empty, "planet")


def test_graph_and_graphml_keep_every_pair_and_its_counts(tmp_path):
    pairs = N.aggregate(stances(ROWS))
    graph = N.build_graph(pairs, "actor")
    assert graph.number_of_edges() == 3 and graph.number_of_nodes() == 5
    assert graph.nodes["Volodymyr Zelensky"]["n_in"] == 4
    N.write_graphml(graph, tmp_path / "g.graphml")
    back = nx.read_graphml(tmp_path / "g.graphml")
    assert back.is_directed()
    assert back.edges["Sergey Lavrov", "Volodymyr Zelensky"]["n_hostile"] == 2
    assert back.edges["Sergey Lavrov", "Volodymyr Zelensky"]["mean_stance"] == pytest.approx(-2 / 3)


def test_drawn_edges_filter_by_label_count_and_drop_self_loops():
    rows = ROWS + [("a3", "Xi Jinping", "Joe Biden", "China", "United States", "neutral", 0.9)]
    pairs = N.aggregate(stances(rows))
    actor = N.drawn_edges(N.build_graph(pairs, "actor"))
    assert [(s, t, n) for s, t, n, _ in actor] == [("Sergey Lavrov", "Volodymyr Zelensky", 2),
                                                   ("Dmitry Peskov", "Volodymyr Zelensky", 1),
                                                   ("Donald Trump", "US officials", 1)]
    assert actor[0][3] == -1.0 and actor[1][3] == 1.0  # net stance among non-neutral claims
    affiliation = N.drawn_edges(N.build_graph(pairs, "affiliation"))
    assert [(s, t) for s, t, *_ in affiliation] == [("Russia", "Ukraine")]  # US -> US is a self-loop
    assert affiliation[0][3] == pytest.approx((1 - 2) / 3)
    assert len(N.drawn_edges(N.build_graph(pairs, "actor"), min_count=2)) == 1
    assert len(N.drawn_edges(N.build_graph(pairs, "actor"), max_edges=1)) == 1
    with_neutral = N.drawn_edges(N.build_graph(pairs, "actor"), labels=("neutral",))
    assert {(s, t) for s, t, *_ in with_neutral} == {("Sergey Lavrov", "Volodymyr Zelensky"), ("Xi Jinping", "Joe Biden")}
    with pytest.raises(ValueError, match="unknown labels"):
        N.drawn_edges(N.build_graph(pairs, "actor"), labels=("angry",))


def test_draw_network_writes_a_png_also_for_an_empty_graph(tmp_path):
    pairs = N.aggregate(stances(ROWS))
    N.draw_network(N.build_graph(pairs, "actor"), tmp_path / "a.png")
    N.draw_network(N.build_graph(N.aggregate(stances([])), "actor"), tmp_path / "empty.png")
    for name in ("a.png", "empty.png"):
        data = (tmp_path / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_triplets_as_stances_maps_polarity_and_the_author():
    triplets = pd.DataFrame({"article_id": ["x", "x"], "subject": ["Barack Obama", None],
                             "object": ["Congress", "Barack Obama"], "sentiment": ["NEG", "POS"]})
    rows = N.triplets_as_stances(triplets)
    assert rows["source"].tolist() == ["Barack Obama", "(author)"]
    assert rows["label"].tolist() == ["hostile", "supportive"]
    pairs = N.aggregate(rows)
    assert pairs["n_pairs"].sum() == 4  # two rows, two levels
    with pytest.raises(ValueError, match="unknown sentiments"):
        N.triplets_as_stances(triplets.assign(sentiment=["NEG", "MEH"]))


def test_summary_lines_list_non_neutral_pairs_most_claims_first():
    lines = N.summary_lines(N.aggregate(stances(ROWS)), "actor")
    assert lines[0].startswith("  Sergey Lavrov -> Volodymyr Zelensky: supportive 0, hostile 2, neutral 1")
    assert len(lines) == 3


def test_graphml_is_well_formed_xml_whatever_the_names(tmp_path):
    rows = [("a1", "Joe\x07Biden", "Acme\x00Corp", "US\x0b", "Acme", "hostile", 0.9),
            ("a1", "Joe\x08Biden", "Acme\x00Corp", "US", "Acme", "supportive", 0.8)]
    graph = N.build_graph(N.aggregate(stances(rows)), "actor")
    N.write_graphml(graph, tmp_path / "g.graphml")
    ET.parse(tmp_path / "g.graphml")  # raises on malformed XML
    read = nx.read_graphml(tmp_path / "g.graphml")
    assert sorted(read.nodes) == ["Acme\ufffdCorp", "Joe\ufffdBiden"]
    assert read.nodes["Joe\ufffdBiden"]["n_out"] == 2  # the two names that became one are one node
    affiliation = N.build_graph(N.aggregate(stances(rows)), "affiliation")
    N.write_graphml(affiliation, tmp_path / "a.graphml")
    assert sorted(nx.read_graphml(tmp_path / "a.graphml").nodes) == ["Acme", "US", "US\ufffd"]
