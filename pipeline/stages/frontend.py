"""The front half's stages over a user corpus: articles -> claims -> mentions -> pairs.

Each stage reads the previous stage's table under ``config.corpus_dir`` and
writes its own, with a rejects table beside it; ``show`` prints a readable
table of the claims.
"""

from __future__ import annotations

import time

import pandas as pd

from pipeline.core.config import REPO_ROOT, Config
from pipeline.core.tables import SCHEMAS, read_table, write_table
from pipeline.frontend.actors import article_mentions, load_dictionary
from pipeline.frontend.articles import ingest_paths, input_files
from pipeline.frontend.claims import build_claims, claim_records
from pipeline.frontend.nlp import load_nlp, parse_texts
from pipeline.frontend.pairs import (
    IMPLICIT,
    ISSUE,
    author_of,
    claim_pairs,
    claims_table,
    context_mentions,
)


def articles(config: Config) -> None:
    """Read config.articles.input and write the articles and rejects tables."""
    source = config.input_path
    result = ingest_paths(input_files(source), config.articles, root=REPO_ROOT)
    out = config.corpus_dir
    write_table(pd.DataFrame(result.articles, columns=list(SCHEMAS["articles"].names)), "articles", out / "articles.parquet")
    write_table(pd.DataFrame(result.rejects, columns=list(SCHEMAS["rejects"].names)), "rejects", out / "rejects_articles.parquet")
    for message in result.messages:
        print(message)
    replaced = sum(a["n_replaced_chars"] for a in result.articles)
    print(f"articles: read {result.read} records from {source}: accepted {len(result.articles)}, "
          f"rejected {len(result.rejects)}; {replaced} invalid UTF-8 sequence(s) replaced -> {out / 'articles.parquet'}")
    assert result.read == len(result.articles) + len(result.rejects), "article counts do not reconcile"


def claims(config: Config) -> None:
    """Read the articles table, write the claims table (articles without claims as rejects)."""

    out = config.corpus_dir
    articles = read_table(out / "articles.parquet", "articles")
    settings = config.claims
    nlp = load_nlp(settings.spacy_model, settings.noun_phrases)
    dictionary = load_dictionary(config.actors.dictionary)
    began = time.perf_counter()
    parsed = parse_texts(nlp, articles["text"].tolist(), settings.batch_size, settings.n_process, settings.chunk_chars)
    records, rejects = [], []
    for article, parse in zip(articles.itertuples(index=False), parsed):
        drafts = build_claims(article.text, parse, settings, dictionary)
        if not drafts:
            rejects.append({"stage": "claims", "file": article.file, "line": None if pd.isna(article.line) else int(article.line),
                            "reason": f"article {article.article_id}: no claims (only headings)", "raw": article.text[:500]})
            print(f"{article.file}:{1 if pd.isna(article.line) else int(article.line)}: article {article.article_id} has no claims")
        records += claim_records(article.article_id, drafts)
    seconds = time.perf_counter() - began
    write_table(pd.DataFrame(records, columns=SCHEMAS["claims"].names), "claims", out / "claims.parquet")
    write_table(pd.DataFrame(rejects, columns=SCHEMAS["rejects"].names), "rejects", out / "rejects_claims.parquet")
    kinds = pd.Series([r["kind"] for r in records], dtype=object).value_counts().to_dict()
    print(f"claims: read {len(articles)} articles: with claims {len(articles) - len(rejects)}, without {len(rejects)}; "
          f"{len(records)} claims {kinds}; {seconds:.1f}s -> {out / 'claims.parquet'}")



def actors(config: Config) -> None:
    """Read the claims table, write the mentions table (and no-actor articles as rejects)."""

    out = config.corpus_dir
    claims = read_table(out / "claims.parquet", "claims")
    dictionary = load_dictionary(config.actors.dictionary)
    mentions, rejects = [], []
    articles = list(dict.fromkeys(claims["article_id"]))
    for article_id, group in claims.groupby("article_id", sort=False):
        found = article_mentions(group.sort_values("claim_index").to_dict("records"), dictionary, config.actors)
        if not found:
            rejects.append({"stage": "actors", "file": str(article_id), "line": None,
                            "reason": "no actors found: the article yields no pairs", "raw": ""})
            print(f"actors: article {article_id}: no actors found; it yields no pairs")
        mentions += found
    write_table(pd.DataFrame(mentions, columns=SCHEMAS["mentions"].names), "mentions", out / "mentions.parquet")
    write_table(pd.DataFrame(rejects, columns=SCHEMAS["rejects"].names), "rejects", out / "rejects_actors.parquet")
    n_actors = len({(m["article_id"], m["canonical"]) for m in mentions})
    print(f"actors: read {len(claims)} claims of {len(articles)} articles: {len(mentions)} mentions of "
          f"{n_actors} actors; articles with actors {len(articles) - len(rejects)}, without {len(rejects)} "
          f"-> {out / 'mentions.parquet'}")



def pairs(config: Config) -> None:
    """Read articles, claims and mentions; write the pairs table."""

    out = config.corpus_dir
    articles = read_table(out / "articles.parquet", "articles")
    claims = read_table(out / "claims.parquet", "claims")
    mentions = read_table(out / "mentions.parquet", "mentions")
    dictionary = load_dictionary(config.actors.dictionary)
    outlets = dict(zip(articles["article_id"], articles["outlet"]))
    by_claim = {cid: g.to_dict("records") for cid, g in mentions.groupby("claim_id", sort=False)}
    records, without = [], 0
    for article_id, group in claims.groupby("article_id", sort=False):
        group = group.sort_values("claim_index").to_dict("records")
        author = author_of(outlets.get(article_id), config.actors.author_unknown)
        entry = dictionary.lookup(author)
        per_claim = [by_claim.get(claim["claim_id"], []) for claim in group]
        article_mentions = [m for found in per_claim for m in found]
        for index, claim in enumerate(group):
            found = claim_pairs(claim, per_claim[index], entry.name if entry else author,
                                entry.affiliation if entry else None, config.pairs, config.examples,
                                article_mentions, context_mentions(per_claim, index, config.pairs.context_window))
            without += not found
            records += found
    write_table(pd.DataFrame(records, columns=SCHEMAS["pairs"].names), "pairs", out / "pairs.parquet")
    origins = pd.Series([r["origin"] for r in records], dtype=object).value_counts().to_dict()
    issues = sum(r["target_type"] == ISSUE for r in records)
    implicit = sum(IMPLICIT in (r["source_evidence"], r["target_evidence"]) for r in records)
    print(f"pairs: read {len(claims)} claims: with pairs {len(claims) - without}, without {without} "
          f"(fewer than two actors, no speaker or author); {len(records)} pairs {origins}, "
          f"{issues} with an issue target, {implicit} with an implicit participant -> {out / 'pairs.parquet'}")

def show(config: Config) -> None:
    """Print the claims table of the user corpus (after the pairs stage)."""

    out = config.corpus_dir
    print(claims_table(read_table(out / "claims.parquet", "claims"), read_table(out / "mentions.parquet", "mentions"),
                       read_table(out / "pairs.parquet", "pairs")))

