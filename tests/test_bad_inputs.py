"""Bad inputs: every file of tests/data/bad/ ingested on its own and checked against EXPECTED.md."""

from __future__ import annotations

import bz2
import io
import os
import random
import zipfile
from pathlib import Path

import pytest

from pipeline.core.config import ArticlesConfig, load_config
from pipeline.core.tables import read_table
from pipeline.frontend.articles import ingest_paths, input_files, read_txt
from pipeline.frontend.runner import Article
from pipeline.stages import frontend

BAD = Path(__file__).resolve().parent / "data" / "bad"
SETTINGS = ArticlesConfig()
MARKERS = ("<src>", "</src>", "<tgt>", "</tgt>")


def manifest() -> dict[str, dict[str, str]]:
    """The rows of EXPECTED.md's table: file -> outcome, accepted, rejected, reason, encoding."""
    rows = {}
    for line in (BAD / "EXPECTED.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0] not in ("file", "---"):
            rows[cells[0]] = dict(zip(("outcome", "accepted", "rejected", "reason", "encoding"), cells[1:]))
    return rows


def test_every_file_of_the_folder_is_in_the_manifest():
    assert sorted(p.name for p in input_files(BAD)) == sorted(manifest())


@pytest.mark.parametrize("name", sorted(manifest()))
def test_each_bad_input_has_its_expected_outcome(name):
    expected = manifest()[name]
    result = ingest_paths([BAD / name], SETTINGS, root=BAD)
    assert result.reconciles(), result.summary()
    assert (result.files_used, result.files_rejected) == ((1, 0) if expected["outcome"] == "used" else (0, 1))
    assert (len(result.articles), result.record_rejects) == (int(expected["accepted"]), int(expected["rejected"]))
    if expected["reason"] != "-":
        first = result.rejects[0]
        where, _, reason = expected["reason"].rpartition(": ") if expected["reason"].startswith("line ") else \
            ("", "", expected["reason"])
        assert reason in first["reason"], first
        if where:
            assert first["line"] == int(where.split()[1])
    if expected["encoding"] != "-":
        assert {a["encoding"] for a in result.articles} == {expected["encoding"]}
    for article in result.articles:
        assert not any(m in article["text"] for m in MARKERS)
        assert all(c in "\n\t" or ord(c) >= 32 and not 0x7F <= ord(c) <= 0x9F for c in article["text"])


def test_control_characters_and_surrogates_are_cleaned_and_counted():
    result = ingest_paths([BAD / "control-chars.jsonl"], SETTINGS, root=BAD)
    by_id = {a["article_id"]: a for a in result.articles}
    assert by_id["c1"]["text"].startswith("JoeBiden criticized") and by_id["c1"]["n_normalised_chars"] == 1
    assert "\ufffd" in by_id["c2"]["text"] and by_id["c2"]["n_replaced_chars"] == 1
    assert by_id["c3"]["outlet"] == "WireService" and by_id["c3"]["text"].startswith("Softhyphen and zerowidth:")
    assert by_id["c5"]["text"].startswith("Raw bell  byte")
    assert result.rejects[0]["line"] == 4


def test_markers_in_text_are_escaped_and_counted():
    (article,) = ingest_paths([BAD / "markers.txt"], SETTINGS, root=BAD).articles
    assert article["n_escaped_markers"] == 5
    assert "＜src＞Doe＜／src＞ praised ＜tgt＞Acme＜／tgt＞" in article["text"]


def test_the_whole_folder_writes_valid_tables_and_reconciles(tmp_path, capsys):
    config = load_config("default", [f"paths.tables_dir={tmp_path}", f"articles.input={BAD}"])
    frontend.articles(config)
    articles = read_table(tmp_path / "corpus" / "articles.parquet", "articles")
    rejects = read_table(tmp_path / "corpus" / "rejects_articles.parquet", "rejects")
    rows = manifest().values()
    n_files = len(rows)
    n_rejected_files = sum(r["outcome"] == "rejected" for r in rows)
    accepted, rejected = sum(int(r["accepted"]) for r in rows), sum(int(r["rejected"]) for r in rows)
    # the UTF-8-SIG, UTF-16 (twice) and UTF-32 copies of one article share its text: duplicates after the first
    duplicates = 3
    assert len(articles) == accepted - duplicates
    assert len(rejects) == n_rejected_files + rejected + duplicates
    out = capsys.readouterr().out
    assert (f"files: read {n_files} = used {n_files - n_rejected_files} + rejected {n_rejected_files}; "
            f"records: read {accepted + rejected} = accepted {accepted - duplicates} + "
            f"rejected {rejected + duplicates}") in out


def test_a_file_over_the_byte_limit_is_rejected_unread(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"Title\n" + b"Doe criticized Acme. " * 1000)
    result = ingest_paths([path], SETTINGS.model_copy(update={"max_file_bytes": 10_000}), root=tmp_path)
    assert result.articles == [] and result.files_rejected == 1
    assert "articles.max_file_bytes=10,000" in result.rejects[0]["reason"]


def test_random_binary_without_nul_bytes_is_rejected():
    raw = bytes(b for b in range(1, 256) if b not in b"\t\n\r") * 4
    result = read_txt(raw, "noise.txt", SETTINGS)
    assert result.articles == [] and result.files_rejected == 1
    assert "control, replacement or unassigned characters" in result.rejects[0]["reason"]


@pytest.mark.parametrize("bom", [b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff", b"\xef\xbb\xbf"])
def test_random_bytes_behind_a_byte_order_mark_are_rejected(bom):
    rng = random.Random(3)
    noise = bytes(rng.randrange(256) for _ in range(400))
    result = read_txt(bom + noise, "noise.txt", SETTINGS)
    assert result.articles == [] and result.files_rejected == 1
    assert "binary or wrongly encoded file" in result.rejects[0]["reason"]


def test_huge_article_is_cut_at_the_claims_and_pairs_caps():
    text = " ".join(f"Senator Jane Doe criticized the Acme Corporation and Mayor Bob Smith on day {i}."
                    for i in range(12))
    article = Article("big", text, file="big.txt")
    whole = frontend.FrontHalf.from_config(load_config("default")).run([article])
    assert len(whole.claims) > 4 and whole.rejects == []
    config = load_config("default", ["claims.max_claims_per_article=4", "pairs.max_pairs_per_article=5"])
    capped = frontend.FrontHalf.from_config(config).run([article])
    assert capped.claims == whole.claims[:4] and len(capped.pairs) == 5
    pairs_of_four = sum(p["claim_id"] in {c["claim_id"] for c in capped.claims} for p in whole.pairs)
    assert [(r["stage"], r["file"], r["reason"]) for r in capped.rejects] == [
        ("claims", "big.txt", f"article big: {len(whole.claims)} claims, the {len(whole.claims) - 4} after the "
                              "first 4 dropped (claims.max_claims_per_article)"),
        ("pairs", "big", f"article big: {pairs_of_four} pairs, the {pairs_of_four - 5} after the first 5 dropped "
                         "(pairs.max_pairs_per_article)"),
    ]


def test_broken_links_and_pipes_are_rejected_not_read(tmp_path):
    (tmp_path / "a.txt").write_text("Title\nDoe criticized Acme.\n")
    (tmp_path / "gone.txt").symlink_to(tmp_path / "missing.txt")
    os.mkfifo(tmp_path / "pipe.txt")
    result = ingest_paths(input_files(tmp_path), SETTINGS, root=tmp_path)
    assert result.reconciles() and (result.files_read, result.files_used, result.files_rejected) == (3, 1, 2)
    assert sorted((r["file"], r["reason"]) for r in result.rejects) == [
        ("gone.txt", "not a regular file (a broken link, a pipe or a device)"),
        ("pipe.txt", "not a regular file (a broken link, a pipe or a device)"),
    ]


def test_archives_are_recognised_by_their_signature_and_text_that_starts_alike_is_not():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "Doe criticized Acme.")
    for raw, kind in ((bz2.compress(b"Title\nDoe criticized Acme."), "bzip2"), (buffer.getvalue(), "zip")):
        result = read_txt(raw, "packed.txt", SETTINGS)
        assert result.files_rejected == 1 and f"binary file: {kind} data" in result.rejects[0]["reason"]
    for text in ("BZh\nDoe criticized Acme.", "PAR1\nDoe criticized Acme.", "GIF8\nDoe criticized Acme."):
        assert len(read_txt(text.encode(), "plain.txt", SETTINGS).articles) == 1


def test_the_stages_write_a_rejects_row_for_each_cut(tmp_path, capsys):
    article = tmp_path / "long.txt"
    article.write_text("A long one\n" + " ".join(
        f"Senator Jane Doe criticized the Acme Corporation and Mayor Bob Smith on day {i}." for i in range(12)))
    config = load_config("default", [f"paths.tables_dir={tmp_path / 'tables'}", f"articles.input={article}",
                                     "claims.max_claims_per_article=3", "pairs.max_pairs_per_article=4"])
    for stage in (frontend.articles, frontend.claims, frontend.actors, frontend.pairs):
        stage(config)
    corpus = tmp_path / "tables" / "corpus"
    assert len(read_table(corpus / "claims.parquet", "claims")) == 3
    assert len(read_table(corpus / "pairs.parquet", "pairs")) == 4
    (claims_cut,) = read_table(corpus / "rejects_claims.parquet", "rejects")["reason"]
    (pairs_cut,) = read_table(corpus / "rejects_pairs.parquet", "rejects")["reason"]
    assert "dropped (claims.max_claims_per_article)" in claims_cut and "dropped (pairs.max_pairs_per_article)" in pairs_cut
    out = capsys.readouterr().out
    assert f"claims: {claims_cut}" in out and f"pairs: {pairs_cut}" in out
    assert "with claims 1, without 0" in out
