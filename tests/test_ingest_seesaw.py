import json

import pytest

from pipeline.corpora.seesaw import ingest_seesaw


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")


@pytest.fixture
def seesaw(tmp_path):
    root = tmp_path / "seesaw"
    _write(root / "meta" / "TRIPLET_001.json", {"Split": "valid", **{
        f"Meta info for article {k}": {"source": f"Outlet {k}", "bias_label": k} for k in range(3)}})
    for k in range(3):
        _write(root / "articles" / f"TRIPLET_001_DOCUMENT_{k}.json", {
            "title": f"Title {k}",
            "text": [{"id": 0, "text": "Obama criticised Congress."}, {"id": 1, "text": ""},
                     {"id": 2, "text": "Congress replied."}]})
        _write(root / "annotations" / f"TRIPLET_001_DOCUMENT_{k}.json", {
            "entity lists": [["Barack Obama", ["People"], ["Main"], ["A"]], ["Congress", ["Organization"], ["Main"], ["A"]]],
            "sentence-level stances": {
                "0": [{"subject": "Barack Obama", "sentiment": "NEG", "object": "Congress"},
                      {"subject": "None", "sentiment": "POS", "object": "Barack Obama"}],
                "2": [{"subject": "Congress", "sentiment": "MAYBE", "object": "Barack Obama"}],
                "9": [{"subject": "Congress", "sentiment": "POS", "object": "Barack Obama"}],
            }})
    return root


def test_articles_sentences_entities_and_triplets(seesaw):
    tables, rejects, tallies = ingest_seesaw(seesaw)
    articles = tables["articles"]
    assert list(articles["article_id"]) == [f"TRIPLET_001_DOCUMENT_{k}" for k in range(3)]
    assert set(articles["split"]) == {"valid"} and list(articles["outlet"]) == ["Outlet 0", "Outlet 1", "Outlet 2"]
    assert articles.loc[0, "text"] == "Obama criticised Congress. Congress replied."
    assert list(tables["sentences"].query("article_id == 'TRIPLET_001_DOCUMENT_0'")["sentence_id"]) == [0, 1, 2]
    triplets = tables["triplets"].query("article_id == 'TRIPLET_001_DOCUMENT_0'")
    author = triplets[triplets["subject_is_author"]]
    assert len(author) == 1 and author["subject"].isna().all() and author["object"].iloc[0] == "Barack Obama"
    assert len(tables["entities"]) == 6


def test_bad_triplets_are_rejected_with_reasons_and_counts_reconcile(seesaw):
    tables, rejects, tallies = ingest_seesaw(seesaw)
    reasons = sorted({r["reason"] for r in rejects})
    assert any("MAYBE" in r for r in reasons)
    assert any("sentence 9" in r and "no sentence" in r for r in reasons)
    triplet_tally = next(t for t in tallies if t.name == "seesaw triplets")
    assert triplet_tally.read == 12 and triplet_tally.accepted == 6 and triplet_tally.rejected == 6
    assert triplet_tally.read == triplet_tally.accepted + triplet_tally.rejected


def test_invalid_json_names_file_and_line(seesaw):
    broken = seesaw / "annotations" / "TRIPLET_001_DOCUMENT_1.json"
    broken.write_text('{\n  "entity lists": [\n  oops\n}', encoding="utf-8")
    tables, rejects, tallies = ingest_seesaw(seesaw)
    assert len(tables["articles"]) == 2
    assert any(f"{broken}:3: invalid JSON" in r["reason"] for r in rejects)
    article_tally = next(t for t in tallies if t.name == "seesaw articles")
    assert (article_tally.read, article_tally.accepted, article_tally.rejected) == (3, 2, 1)


def test_a_story_of_an_unknown_split_is_rejected_whole(seesaw):
    _write(seesaw / "meta" / "TRIPLET_001.json", {"Split": "test"})
    tables, rejects, tallies = ingest_seesaw(seesaw)
    assert tables["articles"].empty
    assert "'Split' is 'test'" in rejects[0]["reason"]
