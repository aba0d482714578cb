"""ingest of user articles: formats, stable ids, boilerplate, bad input, reconciled counts."""

from __future__ import annotations

import json

import pandas as pd

from pipeline.core.config import ArticlesConfig, load_config
from pipeline.core.tables import read_table
from pipeline.frontend import articles as A
from pipeline.stages import frontend

SETTINGS = ArticlesConfig()
SEED_TAIL = ("Agencies - Xinhua\nToday's Top News\n- Consumption to play bigger part in growth\n"
             "- Opposition moves to impeach Lai\n\n\n")


def test_boilerplate_and_credit_line_are_cut_and_name_the_outlet():
    text = "Title\nThe body says something.\n" + SEED_TAIL
    kept, n_cut, outlet = A.cut_boilerplate(text, SETTINGS.boilerplate_patterns, SETTINGS.credit_patterns)
    assert kept == "Title\nThe body says something."
    assert outlet == "Xinhua"
    assert n_cut == len(text.rstrip()) - len(kept)


def test_boilerplate_pattern_on_first_line_does_not_swallow_the_article():
    kept, _, _ = A.cut_boilerplate("Today's Top News\nReal text.", SETTINGS.boilerplate_patterns, [])
    assert "Real text." in kept


def test_invalid_utf8_is_replaced_and_counted():
    text, n = A.decode_bytes("Kyiv said ok".encode() + b"\xff\xfe" + " and \ufffd kept".encode())
    assert "Kyiv said ok" in text and n == 2  # the genuine U+FFFD is not counted


def test_article_ids_are_stable_and_use_the_given_id():
    assert A.article_id_for("same text") == A.article_id_for("  same text\n")
    assert A.article_id_for("same text") != A.article_id_for("other text")
    assert A.article_id_for("x", given="doc 7/a") == "doc_7_a"


def test_txt_first_line_is_title_and_seed_tail_is_gone():
    result = A.read_txt(("US offers security\nBERLIN — Trump said yes.\n" + SEED_TAIL).encode(), "a.txt", SETTINGS)
    (article,) = result.articles
    assert article["title"] == "US offers security"
    assert article["text"] == "BERLIN — Trump said yes."
    assert article["outlet"] == "Xinhua" and article["n_boilerplate_chars"] > 0


def test_jsonl_malformed_line_is_rejected_with_its_line():
    lines = [json.dumps({"id": "a1", "text": "Putin said no.", "outlet": "TASS"}), "{not json", "",
             json.dumps(["a", "list"]), json.dumps({"id": "a4", "body": "no text field"}),
             json.dumps({"id": "a5", "text": "   "})]
    result = A.read_jsonl("\n".join(lines).encode(), "in.jsonl", SETTINGS)
    assert [a["article_id"] for a in result.articles] == ["a1"]
    assert result.articles[0]["outlet"] == "TASS"
    reasons = {r["line"]: r["reason"] for r in result.rejects}
    assert set(reasons) == {2, 4, 5, 6}
    assert "not valid JSON" in reasons[2] and "JSON object" in reasons[4]
    assert "no 'text' field" in reasons[5] and "empty article" in reasons[6]
    assert result.read == len(result.articles) + len(result.rejects) == 5
    assert any(m.startswith("in.jsonl:2: rejected") for m in result.messages)


def test_csv_without_text_column_is_one_clear_file_reject():
    result = A.read_csv(b"id,body\n1,hello\n", "in.csv", SETTINGS)
    assert result.articles == [] and result.read == 0
    assert (result.files_read, result.files_used, result.files_rejected) == (1, 0, 1)
    (reject,) = result.rejects
    assert reject["line"] is None and "no column 'text'" in reject["reason"] and "['id', 'body']" in reject["reason"]
    assert result.reconciles()


def test_csv_rows_with_multiline_text_keep_their_start_line():
    raw = b'id,text\n1,"Line one.\nLine two."\n2,\n3,Third.\n'
    result = A.read_csv(raw, "in.csv", SETTINGS)
    assert [a["article_id"] for a in result.articles] == ["1", "3"]
    assert [a["line"] for a in result.articles] == [2, 5]
    assert result.rejects[0]["line"] == 4 and "empty" in result.rejects[0]["reason"]


def test_one_megabyte_article_is_rejected_with_the_limit_named():
    big = ("Word " * 220_000).encode()
    result = A.read_txt(b"Title\n" + big, "big.txt", SETTINGS)
    assert result.articles == []
    assert "articles.max_chars" in result.rejects[0]["reason"]
    ok = A.read_txt(b"Title\n" + big, "big.txt", SETTINGS.model_copy(update={"max_chars": 2_000_000}))
    assert ok.articles and ok.articles[0]["n_chars"] > 1_000_000


def test_run_writes_tables_and_counts_reconcile(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"Title\nLavrov said \xff no.\n")
    (folder / "empty.txt").write_text("")
    (folder / "b.jsonl").write_text(json.dumps({"id": "b1", "text": "Trump said yes."}) + "\n{bad\n")
    (folder / "c.csv").write_text("id,body\n1,x\n")
    (folder / "dup.txt").write_bytes(b"Other title\nLavrov said \xff no.\n")
    (folder / "notes.md").write_text("# not an article\n")
    config = load_config("default", [f"paths.tables_dir={tmp_path / 'tables'}", f"articles.input={folder}"])
    frontend.articles(config)
    arts = read_table(tmp_path / "tables" / "corpus" / "articles.parquet", "articles")
    rejects = read_table(tmp_path / "tables" / "corpus" / "rejects_articles.parquet", "rejects")
    assert sorted(arts["article_id"].str[:1]) == ["a", "b"]
    latin = arts.loc[arts["file"].str.endswith("a.txt")].iloc[0]
    assert latin["encoding"] == "cp1252" and latin["text"] == "Lavrov said ÿ no."
    assert len(rejects) == 5  # empty, bad JSON, CSV without text, duplicate; notes.md unsupported
    assert any("duplicate article id" in r for r in rejects["reason"])
    assert any("unsupported file type '.md'" in r for r in rejects["reason"])
    out = capsys.readouterr().out
    assert "files: read 6 = used 4 + rejected 2; records: read 5 = accepted 2 + rejected 3" in out
    assert "decoded as cp1252" in out


def test_seed_folder_is_the_default_input(tmp_path):
    config = load_config("default", [f"paths.tables_dir={tmp_path}"])
    frontend.articles(config)
    arts = pd.read_parquet(tmp_path / "corpus" / "articles.parquet")
    assert len(arts) == 1
    text = arts["text"].iloc[0]
    assert "Today's Top News" not in text and "Consumption to play" not in text and "Agencies" not in text
    assert text.endswith("did not object to.")
    assert arts["outlet"].iloc[0] == "Xinhua"
