"""predict: labels checked, claims joined in a stream, counts that reconcile, bounded memory, and `make predict`."""

from __future__ import annotations

import json
import sys

import networkx as nx
import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline.core.decision import ClaimScorer, DecisionRule, claim_labels
from pipeline.core.labels import LABELS
from pipeline.core.tables import SCHEMAS, SchemaError, read_table, write_table
from pipeline.stances import predict as P
from pipeline.tracking.registry import load_stance_model


class KeywordModel:
    """A stand-in for the champion: 'attacked' is hostile, 'praised' supportive, else neutral."""

    def __init__(self) -> None:
        self.batch_sizes: list[int] = []

    def predict(self, data: pd.DataFrame) -> pd.DataFrame:
        self.batch_sizes.append(len(data))
        labels = ["hostile" if "attacked" in t else "supportive" if "praised" in t else "neutral" for t in data["text"]]
        return pd.DataFrame({"label": labels, "confidence": 0.8,
                             **{f"p_{l}": [0.8 if l == x else 0.1 for x in labels] for l in LABELS}})


def complete(records: list[dict], table: str) -> pd.DataFrame:
    """Records as a frame of a declared table; columns the test does not care about get neutral values
    (so the front half may add columns without breaking these tests)."""
    import pyarrow as pa

    defaults = {}
    for field in SCHEMAS[table]:
        if field.nullable:
            defaults[field.name] = None
        elif pa.types.is_string(field.type):
            defaults[field.name] = ""
        elif pa.types.is_boolean(field.type):
            defaults[field.name] = False
        else:
            defaults[field.name] = 0
    return pd.DataFrame([{**defaults, **r} for r in records], columns=SCHEMAS[table].names)


def write_corpus(folder, n_articles: int, claims_per_article: int = 3, empty_articles: int = 0,
                 reverse_pairs: bool = False, padding: int = 0) -> dict[str, int]:
    """Corpus tables: each claim has one speaker pair (hostile or supportive) and one mention pair (neutral);
    `empty_articles` more articles have a claim but no pairs."""
    articles, claims, pairs = [], [], []
    for a in range(n_articles + empty_articles):
        article_id = f"a{a:05d}"
        articles.append({"article_id": article_id, "file": "x.jsonl", "line": a + 1, "title": f"Title {a}",
                         "outlet": None, "text": "...", "n_chars": 3, "n_replaced_chars": 0, "n_boilerplate_chars": 0})
        for c in range(claims_per_article):
            claim_id = f"{article_id}-c{c:03d}"
            verb = "attacked" if c % 2 else "praised"
            text = f"Lavrov {verb} Zelensky and Macron." + " More words of the claim." * padding
            claims.append({"claim_id": claim_id, "article_id": article_id, "claim_index": c, "start": 0, "end": len(text),
                           "text": text, "kind": "narrative", "n_sentences": 1, "speaker": None, "speaker_type": None,
                           "speaker_start": None, "speaker_end": None, "speaker_resolved": "Sergey Lavrov" if c else None,
                           "speaker_affiliation": None, "cue": None, "entities": []})
            if a >= n_articles:
                continue
            for k, (source, target, aff, marked) in enumerate([
                ("Sergey Lavrov", "Volodymyr Zelensky", "Russia", f"<src>Lavrov</src> {verb} <tgt>Zelensky</tgt>."
                 + " More words of the claim." * padding),
                ("Volodymyr Zelensky", "Emmanuel Macron", None, "<src>Zelensky</src> and <tgt>Macron</tgt>."
                 + " More words of the claim." * padding),
            ]):
                pairs.append({"pair_id": f"{claim_id}-p{k:02d}", "claim_id": claim_id, "article_id": article_id,
                              "source": source, "target": target, "source_affiliation": aff,
                              "target_affiliation": "Ukraine" if k == 0 else None, "origin": "mention",
                              "source_mention_id": f"{claim_id}-m00", "target_mention_id": f"{claim_id}-m01",
                              "text": marked})
    if reverse_pairs:
        pairs.reverse()
    write_table(complete(articles, "articles"), "articles", folder / "articles.parquet")
    write_table(complete(claims, "claims"), "claims", folder / "claims.parquet")
    write_table(complete(pairs, "pairs"), "pairs", folder / "pairs.parquet")
    return {"articles": len(articles), "claims": len(claims), "pairs": len(pairs)}


def test_label_texts_checks_what_the_model_returns():
    assert P.label_texts(KeywordModel(), ["<src>A</src> attacked <tgt>B</tgt>"])["label"].tolist() == ["hostile"]
    assert P.label_texts(KeywordModel(), []).empty

    class Short(KeywordModel):
        def predict(self, data):
            return super().predict(data).head(1)

    class Odd(KeywordModel):
        def predict(self, data):
            return super().predict(data).assign(label="angry")

    class Bare:
        def predict(self, data):
            return pd.DataFrame({"label": ["neutral"] * len(data)})

    with pytest.raises(ValueError, match="returned 1 rows for 2 texts"):
        P.label_texts(Short(), ["a", "b"])
    with pytest.raises(ValueError, match="unknown labels"):
        P.label_texts(Odd(), ["a"])
    with pytest.raises(ValueError, match="lacks columns"):
        P.label_texts(Bare(), ["a"])


def test_predict_corpus_counts_reconcile_and_articles_without_pairs_get_zero_rows(tmp_path):
    sizes = write_corpus(tmp_path, n_articles=5, claims_per_article=3, empty_articles=2)
    model = KeywordModel()
    result = P.predict_corpus(model, tmp_path, tmp_path / "out", batch_size=4)
    counts = result["counts"]
    assert counts["n_pairs"] == sizes["pairs"] == 30 and counts["n_claims"] == sizes["claims"] == 21
    assert (counts["n_articles"], counts["n_articles_with_pairs"]) == (7, 5)
    assert (counts["n_hostile"], counts["n_supportive"], counts["n_neutral"]) == (5, 10, 15)
    assert max(model.batch_sizes) <= 4 and sum(model.batch_sizes) == 30

    stances = read_table(tmp_path / "out" / "stances.parquet", "stances")
    assert len(stances) == 30 and len(pd.read_csv(tmp_path / "out" / "stances.csv")) == 30
    first = stances.iloc[0]
    assert (first.claim, first.kind, first.label) == ("Lavrov praised Zelensky and Macron.", "narrative", "supportive")
    assert pd.isna(first.speaker)
    mention = stances.iloc[1]  # no affiliation known: the actor stands for itself
    assert (mention.source_affiliation, mention.target_affiliation) == ("Volodymyr Zelensky", "Emmanuel Macron")
    assert stances.iloc[2].speaker == "Sergey Lavrov"

    articles = read_table(tmp_path / "out" / "stance_articles.parquet", "stance_articles").set_index("article_id")
    assert articles.loc["a00006"].tolist() == ["Title 6", 3, 0, 0, 0, 0]
    assert articles["n_pairs"].sum() == 30
    pairs = read_table(tmp_path / "out" / "stance_pairs.parquet", "stance_pairs")
    lavrov = pairs[(pairs["level"] == "actor") & (pairs["source"] == "Sergey Lavrov")].iloc[0]
    assert (lavrov.n_pairs, lavrov.n_supportive, lavrov.n_hostile, lavrov.n_articles) == (15, 10, 5, 5)
    russia = pairs[(pairs["level"] == "affiliation") & (pairs["source"] == "Russia")].iloc[0]
    assert (russia.target, russia.n_pairs) == ("Ukraine", 15)


def test_article_pairs_combine_each_articles_claims_across_batches(tmp_path):
    write_corpus(tmp_path, n_articles=5, claims_per_article=3)  # per article: praised, attacked, praised
    result = P.predict_corpus(KeywordModel(), tmp_path, tmp_path / "out", batch_size=4)  # articles straddle batches
    by_article = read_table(tmp_path / "out" / "stance_article_pairs.parquet", "stance_article_pairs")
    assert len(by_article) == 10 == result["counts"]["n_article_pairs"] and by_article["n_claims"].sum() == 30
    assert len(pd.read_csv(tmp_path / "out" / "stance_article_pairs.csv")) == 10
    lavrov = by_article[by_article["source"] == "Sergey Lavrov"]
    assert lavrov[["n_claims", "n_supportive", "n_hostile"]].drop_duplicates().values.tolist() == [[3, 2, 1]]
    assert lavrov["support"].tolist() == pytest.approx([1 - 0.2 * 0.9 * 0.2] * 5)
    assert lavrov["hostility"].tolist() == pytest.approx([1 - 0.9 * 0.2 * 0.9] * 5)
    assert (lavrov["source_affiliation"] + "/" + lavrov["target_affiliation"]).eq("Russia/Ukraine").all()
    # The version's rule without article thresholds: the majority of the stanced claims.
    assert lavrov["label"].eq("supportive").all() and result["counts"]["n_article_supportive"] == 5
    assert by_article.loc[by_article["source"] == "Volodymyr Zelensky", "label"].eq("neutral").all()
    # With them: the combined support, 0.964, against the threshold.
    for threshold, expected in ((0.95, "supportive"), (0.97, "neutral")):
        rule = DecisionRule(article_entity_threshold=threshold, article_author_threshold=0.5)
        P.predict_corpus(KeywordModel(), tmp_path, tmp_path / "out", batch_size=4, rule=rule)
        again = read_table(tmp_path / "out" / "stance_article_pairs.parquet", "stance_article_pairs")
        assert again.loc[again["source"] == "Sergey Lavrov", "label"].eq(expected).all()


def test_article_pairs_are_handed_on_as_soon_as_their_article_closes():
    def rows(article_id, n, p_hostile=0.5):
        return pd.DataFrame({"article_id": article_id, "source": "A", "target": "B", "origin": "mention",
                             "source_affiliation": "A", "target_affiliation": "B", "label": "neutral",
                             "p_supportive": 0.0, "p_hostile": [p_hostile] * n})

    handed: list[list[str]] = []
    tally = P.ArticlePairTally(DecisionRule(article_entity_threshold=0.7),
                               lambda frame: handed.append(frame["article_id"].tolist()))
    tally.add(rows("a1", 1))
    assert handed == []  # a1 may run on into the next batch
    tally.add(pd.concat([rows("a1", 1), rows("a2", 1)], ignore_index=True))
    assert handed == [["a1"]]
    tally.add(rows("a3", 2))
    tally.close()
    assert handed == [["a1"], ["a2"], ["a3"]] and tally.n_claims == 5 and tally.n_rows == 5
    # a1's two claims at 0.5 make 0.75 (hostile), a2's one 0.5 (neutral), a3's two again 0.75.
    assert tally.label_counts == {"hostile": 2, "neutral": 1}


def test_a_rule_by_article_decides_each_articles_claims_together_across_batches(tmp_path):
    write_corpus(tmp_path, n_articles=4, claims_per_article=3)  # per article: praised, attacked, praised
    # Read by the pair's mean log-odds alone (pooling 1: two claims at +2.08, one at -2.08), Lavrov's one
    # 'attacked' claim reads supportive like the other two; Zelensky -> Macron (neutral, 0.1 each) stays neutral.
    rule = DecisionRule(0.5, 0.5, gate_entity_threshold=0.9, polarity_pooling=1.0)
    P.predict_corpus(KeywordModel(), tmp_path, tmp_path / "out", batch_size=4, rule=rule)  # articles straddle batches
    stances = read_table(tmp_path / "out" / "stances.parquet", "stances")
    assert len(stances) == 24
    lavrov = stances[stances["source"] == "Sergey Lavrov"]
    assert lavrov["label"].eq("supportive").all() and len(lavrov) == 12
    assert lavrov["confidence"].tolist() == pytest.approx([0.1 if "attacked" in c else 0.8 for c in lavrov["claim"]])
    assert stances.loc[stances["source"] != "Sergey Lavrov", "label"].eq("neutral").all()
    # A gate above Lavrov's article strength (0.964 support) leaves every claim neutral.
    P.predict_corpus(KeywordModel(), tmp_path, tmp_path / "out", batch_size=4,
                     rule=DecisionRule(0.5, 0.5, gate_entity_threshold=0.97))
    assert read_table(tmp_path / "out" / "stances.parquet", "stances")["label"].eq("neutral").all()


def test_a_claim_scorer_reads_each_whole_article_though_its_rows_straddle_batches(tmp_path):
    write_corpus(tmp_path, n_articles=4, claims_per_article=3)  # 6 pairs an article, in batches of 4
    # The score rises with the article's size: its 6 pairs pass (0.82), any 4 of them would not (0.14).
    scorer = ClaimScorer(("log_article_claims",), (1.791759,), (1.0,), (10.0,), 0.0)
    rule = DecisionRule(0.5, 0.5, entity_scorer=scorer)
    P.predict_corpus(KeywordModel(), tmp_path, tmp_path / "out", batch_size=4, rule=rule)
    stances = read_table(tmp_path / "out" / "stances.parquet", "stances")
    whole = claim_labels(stances.assign(is_author=stances["origin"] == "author"), rule)
    assert stances["label"].tolist() == whole.tolist()
    assert (stances["label"] != "neutral").sum() == 24  # every pair of every article passes, read whole


def test_decide_by_article_holds_the_last_article_and_refuses_one_that_comes_back():
    rule = DecisionRule(0.5, 0.5, gate_entity_threshold=0.7)

    def rows(article_id, n):
        return pd.DataFrame({"article_id": article_id, "source": "A", "target": "B", "origin": "mention",
                             "label": "neutral", "confidence": 0.5, "p_supportive": 0.0, "p_hostile": [0.5] * n,
                             "p_neutral": 0.5})

    out = list(P.decide_by_article(iter([rows("a1", 1), pd.concat([rows("a1", 1), rows("a2", 1)]), rows("a3", 2)]),
                                   rule))
    assert [frame["article_id"].tolist() for frame in out] == [["a1", "a1"], ["a2"], ["a3", "a3"]]
    # a1's two claims at 0.5 make 0.75 together, past the gate; a2's one does not.
    assert [frame["label"].tolist() for frame in out] == [["hostile"] * 2, ["neutral"], ["hostile"] * 2]
    with pytest.raises(ValueError, match=r"article\(s\) \['a1'\] came after"):
        list(P.decide_by_article(iter([rows("a1", 1), rows("a2", 1), rows("a1", 1)]), rule))
    plain = [rows("a1", 1), rows("a1", 1)]
    assert list(P.decide_by_article(iter(plain), DecisionRule(0.5, 0.5))) == plain  # decided alone: passed through


def test_a_corpus_without_pairs_writes_empty_tables_not_errors(tmp_path):
    write_corpus(tmp_path, n_articles=0, empty_articles=2)
    result = P.predict_corpus(KeywordModel(), tmp_path, tmp_path / "out", batch_size=8)
    assert result["counts"]["n_pairs"] == 0 and result["counts"]["n_articles"] == 2
    assert read_table(tmp_path / "out" / "stances.parquet", "stances").empty
    assert pd.read_csv(tmp_path / "out" / "stances.csv").columns.tolist() == SCHEMAS["stances"].names
    assert len(read_table(tmp_path / "out" / "stance_articles.parquet", "stance_articles")) == 2
    drawn = P.write_networks(result["pairs"], tmp_path / "out", ["supportive", "hostile"], 1, 10)
    assert drawn == {"actor": 0, "affiliation": 0}
    assert (tmp_path / "out" / "network_actor.png").stat().st_size > 0


def test_missing_or_mismatched_tables_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="make pairs"):
        P.predict_corpus(KeywordModel(), tmp_path, tmp_path / "out", batch_size=8)
    write_corpus(tmp_path, n_articles=1)
    pd.DataFrame({"pair_id": ["x"]}).to_parquet(tmp_path / "pairs.parquet")
    with pytest.raises(SchemaError, match="pairs"):
        P.predict_corpus(KeywordModel(), tmp_path, tmp_path / "out", batch_size=8)
    assert not (tmp_path / "out" / "stances.parquet").exists()


def test_claim_lookup_reads_forward_and_survives_another_order(tmp_path):
    write_corpus(tmp_path, n_articles=20, claims_per_article=5)
    lookup = P.ClaimLookup(tmp_path / "claims.parquet", batch_size=8)
    ids = pq.read_table(tmp_path / "claims.parquet", columns=["claim_id"]).column(0).to_pylist()
    most = 0
    for start in range(0, len(ids), 3):
        got = lookup.get(ids[start:start + 3])
        assert got["claim_id"].tolist() == ids[start:start + 3]
        most = max(most, lookup.buffered)
    assert lookup.rescans == 0 and most <= 8 + 3  # one read-ahead batch, never the table
    assert lookup.get([ids[0]])["claim_index"].tolist() == [0]  # behind: read again from the start
    assert lookup.rescans == 1
    with pytest.raises(KeyError, match="claims table lacks"):
        lookup.get(["nope"])


def test_pairs_out_of_claim_order_still_get_their_claims(tmp_path):
    write_corpus(tmp_path, n_articles=3, claims_per_article=2, reverse_pairs=True)
    result = P.predict_corpus(KeywordModel(), tmp_path, tmp_path / "out", batch_size=2)
    stances = read_table(tmp_path / "out" / "stances.parquet", "stances")
    assert result["counts"]["n_pairs"] == 12
    assert (stances["claim"].str.contains("attacked") == (stances["claim_index"] % 2 == 1)).all()


MEASURE = """
import json, sys, tracemalloc
from pathlib import Path
import pyarrow as pa
sys.path.insert(0, {tests!r})
from test_predict import KeywordModel
from pipeline.stances.predict import predict_corpus
tracemalloc.start()
predict_corpus(KeywordModel(), Path({folder!r}), Path({folder!r}) / "out", batch_size=128)
print(json.dumps({{"arrow": pa.default_memory_pool().max_memory(), "python": tracemalloc.get_traced_memory()[1]}}))
"""


@pytest.mark.slow  # predicts a generated corpus in a subprocess
def test_memory_does_not_grow_with_the_corpus(tmp_path):
    """A corpus 20x larger: the stage's peak memory (Python objects plus Arrow buffers, measured in a
    fresh process) grows far less than 20x. Loading the tables whole would grow it about 13x."""
    import subprocess
    import sys
    from pathlib import Path

    peaks = {}
    for n in (10, 200):
        folder = tmp_path / f"c{n}"
        folder.mkdir()
        write_corpus(folder, n_articles=n, claims_per_article=10, padding=100)  # 2.5 kB a claim and a pair
        code = MEASURE.format(tests=str(Path(__file__).parent), folder=str(folder))
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        measured = json.loads(done.stdout.strip().splitlines()[-1])
        peaks[n] = measured["arrow"] + measured["python"]
    assert peaks[200] < 3 * peaks[10], peaks


# ------------------------------------------------------------- make predict ---

def test_make_predict_on_the_seed(smoke_predict):
    out, config = smoke_predict["out"], smoke_predict["config"]
    n_pairs = len(read_table(config.corpus_dir / "pairs.parquet", "pairs"))
    stances = read_table(out / "stances.parquet", "stances")
    assert len(stances) == n_pairs > 50
    assert len(pd.read_csv(out / "stances.csv")) == n_pairs
    assert set(stances["label"]) <= set(LABELS) and stances["confidence"].between(0, 1).all()
    # The champion's decision rule labels the pairs: a stance only at or above its group's threshold.
    rule = DecisionRule.from_json(json.loads((out / "predict_summary.json").read_text())["decision_rule"])
    strength = stances[["p_supportive", "p_hostile"]].max(axis=1)
    threshold = stances["origin"].map(lambda o: rule.threshold("author" if o == "author" else "entity"))
    assert (strength[stances["label"] != "neutral"] >= threshold[stances["label"] != "neutral"]).all()
    # Below the threshold a pair is neutral; above it, only where the rule's gate holds the article's pair back.
    assert (stances.loc[strength < threshold, "label"] == "neutral").all()
    rows = stances.assign(is_author=stances["origin"] == "author")
    assert (stances["label"].to_numpy() == claim_labels(rows, rule)).all()
    pairs = read_table(out / "stance_pairs.parquet", "stance_pairs")
    for level in ("actor", "affiliation"):
        assert pairs.loc[pairs["level"] == level, "n_pairs"].sum() == n_pairs
    assert ("Sergey Lavrov" in set(pairs["source"])) and ("Russia" in set(pairs.loc[pairs["level"] == "affiliation", "source"]))
    summary = json.loads((out / "predict_summary.json").read_text())
    assert summary["model_family"] and summary["model_version"] and summary["n_pairs"] == n_pairs
    assert summary["n_articles"] == 1
    for level in ("actor", "affiliation"):
        graph = nx.read_graphml(out / f"network_{level}.graphml")
        assert graph.number_of_edges() == (pairs["level"] == level).sum()
        assert (out / f"network_{level}.png").read_bytes()[:4] == b"\x89PNG"
    assert "predict: models:/actor-pair-stance@champion (version" in smoke_predict["stdout"]
    assert "non-neutral actor pairs:" in smoke_predict["stdout"]


def test_predict_without_a_champion_says_what_to_do(tmp_path, monkeypatch):
    from pipeline.core.config import load_config

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(RuntimeError, match="make train"):
        load_stance_model(load_config("default"))


def test_decide_relabels_by_the_rule_with_the_author_threshold_apart():
    labels = pd.DataFrame({"label": ["neutral", "neutral"], "confidence": [0.6, 0.6],
                           "p_supportive": [0.35, 0.35], "p_hostile": [0.05, 0.05], "p_neutral": [0.6, 0.6]})
    origins = pd.Series(["mention", "author"])
    decided = P.decide(labels, origins, DecisionRule(entity_threshold=0.3, author_threshold=0.5))
    assert decided["label"].tolist() == ["supportive", "neutral"]
    assert decided["confidence"].tolist() == pytest.approx([0.35, 0.6])
    assert P.decide(labels, origins, DecisionRule()) is labels  # no rule: the model's own labels


def test_the_model_loads_while_the_command_alongside_builds_the_front_half(tmp_path, monkeypatch):
    from pipeline.core.alongside import CommandAlongside
    from pipeline.stages import predict as stage

    built = tmp_path / "pairs.parquet"
    seen_while_loading = []

    def load(config):
        seen_while_loading.append(built.exists())
        return "model", {"model_uri": "models:/m/1"}

    monkeypatch.setattr(stage, "load_stance_model", load)
    slow_front_half = CommandAlongside(f"{sys.executable} -c \"import pathlib, time; time.sleep(1); "
                                       f"pathlib.Path(r'{built}').write_text('x')\"")
    assert stage.load_then_wait(None, slow_front_half) == ("model", {"model_uri": "models:/m/1"})
    assert seen_while_loading == [False] and built.exists()  # loaded while the command ran, returned after it
    failing = CommandAlongside(f"{sys.executable} -c \"import sys; sys.exit(3)\"")
    with pytest.raises(RuntimeError, match=r"failed \(exit 3\)"):
        stage.load_then_wait(None, failing)
    failing.wait(check=False)
    assert stage.load_then_wait(None, None) == ("model", {"model_uri": "models:/m/1"})


def test_output_differences_are_up_to_row_order_and_count_what_differs(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    stances = pd.DataFrame({"pair_id": ["p1", "p2"], "label": ["neutral", "hostile"], "speaker": [None, "X"],
                            "p_supportive": [0.1, 0.2], "confidence": [0.7, 0.6]})
    pairs = pd.DataFrame({"level": ["actor"], "source": ["A"], "target": ["B"], "n_pairs": [2], "mean_stance": [0.5]})
    articles = pd.DataFrame({"article_id": ["a1"], "n_pairs": [2]})
    article_pairs = pd.DataFrame({"article_id": ["a1", "a1"], "source": ["A", "B"], "target": ["B", "A"],
                                  "is_author": [False, False], "support": [0.3, 0.1], "label": ["neutral", "hostile"]})
    for folder, frame, by_article in ((first, stances, article_pairs),
                                      (second, stances.iloc[::-1].assign(p_supportive=[0.2, 0.1 + 1e-4]),
                                       article_pairs.iloc[::-1].assign(support=[0.1, 0.3 + 1e-3],
                                                                       label=["neutral", "neutral"]))):
        folder.mkdir()
        frame.to_parquet(folder / "stances.parquet")
        pairs.to_parquet(folder / "stance_pairs.parquet")
        articles.to_parquet(folder / "stance_articles.parquet")
        by_article.to_parquet(folder / "stance_article_pairs.parquet")
    found = P.output_differences(first, second)
    assert found["stance_article_pairs"]["rows_differing"] == 1  # B -> A: hostile against neutral
    assert found["stance_article_pairs"]["max_float_difference"] == pytest.approx(1e-3)
    assert found["stances"]["rows_differing"] == 0 and found["stances"]["max_float_difference"] == 0.0
    assert found["stances"]["max_probability_difference"] == pytest.approx(1e-4)
    assert found["stance_pairs"] == {"rows": 1, "rows_differing": 0, "max_probability_difference": 0.0,
                                     "max_float_difference": 0.0}
    stances.assign(label=["hostile", "hostile"]).to_parquet(second / "stances.parquet")
    assert P.output_differences(first, second)["stances"]["rows_differing"] == 1
    stances.iloc[:1].to_parquet(second / "stances.parquet")
    assert P.output_differences(first, second)["stances"]["rows"] == [2, 1]
