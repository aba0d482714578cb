"""runner: one front half for the stages, the benchmarks and gold sentences; the seed's pairs; author and rejects."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from pipeline.core.config import load_config
from pipeline.core.tables import read_table
from pipeline.frontend.articles import read_txt
from pipeline.frontend.pairs import article_author
from pipeline.frontend.runner import Article, FrontHalf
from pipeline.frontend.sentences import sentence_spans
from pipeline.stages import frontend

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_cc2e266a8b9d55b3.txt"


@pytest.fixture(scope="module")
def front():
    return FrontHalf.from_config(load_config("default"))


@pytest.fixture(scope="module")
def seed(front):
    article = read_txt(SEED.read_bytes(), "seed.txt", load_config("default").articles).articles[0]
    return article, front.run([Article(article["article_id"], article["text"], article["outlet"])])


def test_gold_sentences_that_agree_with_spacy_give_the_same_claims(front):
    text = ("Senator Jane Doe criticized the Acme Corporation on Monday. The company said it would appeal. "
            '"We did nothing wrong," a company spokesman told reporters. Doe said the ruling was fair.')
    (parsed,) = front.parse([text])
    spans = sentence_spans(text, parsed.sentences)
    assert len(spans) == 4
    by_stage, _ = front.claims([Article("a", text)])
    by_gold, _ = front.claims([Article("a", text, sentences=spans)])
    assert by_gold == by_stage
    assert (by_stage[2]["kind"], by_stage[2]["speaker_type"]) == ("direct quote", "role")
    assert by_stage[3]["speaker_resolved"] == "Jane Doe"


def test_seed_counts_and_known_pairs(seed):
    article, result = seed
    assert (len(result.claims), len(result.mentions), len(result.pairs), result.rejects) == (20, 115, 405, [])
    assert Counter(p["origin"] for p in result.pairs) == {"mention": 316, "speaker": 80, "author": 9}
    assert sum(p["target_type"] == "issue" for p in result.pairs) == 129
    assert not any("implicit" in (p["source_evidence"], p["target_evidence"]) for p in result.pairs)  # off by default
    first = result.pairs[0]
    assert (first["pair_id"], first["source"], first["source_affiliation"], first["target"]) == (
        f"{article['article_id']}-c000-p00", "Xinhua", "China", "United States")
    assert first["text"].startswith("<src>Xinhua</src>: <tgt>The United States</tgt> has offered")
    keys = {(p["source"], p["target"], p["origin"]) for p in result.pairs}
    assert {("Sergey Lavrov", "Europe", "speaker"), ("Dmitry Peskov", "NATO", "speaker")} <= keys


def test_stage_tables_equal_the_runner_records(seed, tmp_path):
    _, result = seed
    config = load_config("default", [f"paths.tables_dir={tmp_path}"])
    for stage in (frontend.articles, frontend.claims, frontend.actors, frontend.pairs):
        stage(config)
    assert read_table(tmp_path / "corpus" / "rejects_pairs.parquet", "rejects").empty  # the seed is not cut
    for table, records in (("mentions", result.mentions), ("pairs", result.pairs)):
        written = read_table(tmp_path / "corpus" / f"{table}.parquet", table)
        assert written.astype(object).where(written.notna(), None).to_dict("records") == records, table
    claims = read_table(tmp_path / "corpus" / "claims.parquet", "claims")
    columns = ["claim_id", "start", "end", "text", "kind", "speaker", "speaker_resolved", "cue"]
    written = claims[columns].astype(object).where(claims[columns].notna(), None).to_dict("records")
    assert written == [{k: c[k] for k in columns} for c in result.claims]
    assert [[dict(e) for e in found] for found in claims["entities"]] == [c["entities"] for c in result.claims]


def test_author_is_the_outlet_under_its_dictionary_name(front):
    assert article_author("Xinhua", "The author", front.dictionary) == ("Xinhua", "China")
    assert article_author("  Weekly Gazette ", "The author", front.dictionary) == ("Weekly Gazette", None)
    assert article_author(None, "The author", front.dictionary) == ("The author", None)
    assert front.author(None) == ("The author", None)


def test_articles_without_claims_or_actors_are_rejects(front):
    result = front.run([Article("h", "Only A Heading", file="h.txt", line=3),
                        Article("q", "It rained all day. The wind was cold.")])
    assert [(r["stage"], r["file"], r["line"]) for r in result.rejects] == [("claims", "h.txt", 3), ("actors", "q", None)]
    assert {c["article_id"] for c in result.claims} == {"q"} and result.mentions == [] and result.pairs == []
